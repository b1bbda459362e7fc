/**
 * Exact counts in bounded memory. Most units of a crawl are in one document only (84% of the table's
 * entries on the bench crawl: each article's own lines), and they grow with the input; the units that
 * repeat, which are all that a decision reads, grow far slower. When the count table reaches its budget,
 * its single-document units move to disk (a spill run) instead of being pruned; a unit that comes back
 * later starts again from 1, and its document in the run is added back at the end of pass 1 (finalize):
 * a unit's count is its table count plus the runs it is in. Documents are counted once each whatever the
 * order, so the counts, and the output, are the same as with a table large enough for all units, and the
 * same for every thread count.
 *
 * What finalize drops is the units in one document of the whole input: no decision compares a count
 * below 2 (the model is marked pruned below 2, as `merge --prune-below 2` marks it; strip refuses
 * thresholds of 1 with it, and clean does not spill with --min-docs 1).
 *
 * A run is one file: its keys split into PARTS partitions by key hash, partition after partition (two
 * int32 a key), with their offsets kept in memory. Finalize reads one partition of every run at a time, so
 * its memory is a partition's keys, not all of them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Counter64 } from './counter.js';
import { BoilerstripError } from './errors.js';
import { sweepStale, tempFiles, tempPrefix } from './io/temp.js';

/** Partitions a run is split into: finalize holds 1/PARTS of all spilled keys at once. */
const PARTS = 64;

/**
 * A new directory for spill runs in `tmp` (removed on exit or a signal, and by later runs if this process
 * is killed), or undefined when it cannot be made: the table then prunes when full, as without spilling.
 */
export function makeSpillDir(tmp: string): string | undefined {
  sweepStale(tmp);
  try {
    const dir = fs.mkdtempSync(path.join(tmp, tempPrefix('spill')));
    tempFiles.add(dir);
    return dir;
  } catch {
    return undefined;
  }
}

/**
 * Where a full count table spills its single-document units (exact counts in bounded memory): a new
 * directory in `tmp`; undefined when the least threshold the run judges by is 1 (it reads the units of one
 * document that spilling drops) or the directory cannot be made (the table then prunes when full). The
 * CLI's runs and the library's learn and clean both ask here.
 */
export function spillDirFor(leastThreshold: number, tmp: string = os.tmpdir()): string | undefined {
  return leastThreshold >= 2 ? makeSpillDir(tmp) : undefined;
}

/** Remove a directory makeSpillDir made. */
export function removeSpillDir(dir: string | undefined): void {
  if (dir === undefined) return;
  fs.rmSync(dir, { recursive: true, force: true });
  tempFiles.delete(dir);
}

/** One spill run: a file and where each partition's keys start (PARTS + 1 offsets, in keys). */
export interface SpillRun {
  file: string;
  offsets: number[];
}

/** Spill runs written by this thread so far (their file names). */
let runSerial = 0;

/** Which partition a key goes to (top bits of a mix of both lanes; the table's slot uses the low bits). */
function partOf(a: number, b: number): number {
  return (Math.imul(a ^ Math.imul(b, 0x85ebca6b), 0xc2b2ae35) >>> 26) & (PARTS - 1);
}

/** The spill runs of one table (a thread's, or the run's), written in `dir`. */
export class Spiller {
  readonly runs: SpillRun[] = [];
  /** Keys moved to disk in all. */
  keys = 0;
  /** Why a run could not be written (a full disk), or null. The table then prunes when full, as without spilling. */
  failed: string | null = null;

  constructor(
    private readonly dir: string,
    private readonly tag: string,
  ) {}

  /** Move the table's single-document units (but those of document `current`) to a new run. */
  spill(c: Counter64, current: number): void {
    if (this.failed !== null) return;
    // Two sweeps of the table, so the run is the only copy of the keys in memory: count per partition,
    // then place each key in its partition's range.
    const counts = new Int32Array(PARTS + 1);
    c.forEachSingle(current, (a, b) => void counts[partOf(a, b) + 1]!++);
    for (let p = 0; p < PARTS; p++) counts[p + 1]! += counts[p]!;
    const n = counts[PARTS]!;
    if (n === 0) return;
    const offsets = Array.from(counts);
    const out = new Int32Array(2 * n);
    const at = counts.slice(0, PARTS);
    c.forEachSingle(current, (a, b) => {
      const j = at[partOf(a, b)]!++;
      out[2 * j] = a;
      out[2 * j + 1] = b;
    });
    // (Numbered per thread, not per Spiller: a model given a new Spiller for its next group of inputs keeps
    // the runs of the last one, which a name used again would overwrite.)
    const file = path.join(this.dir, `${this.tag}-${runSerial++}.spill`);
    try {
      this.write(file, out);
    } catch (e) {
      // Nothing was taken out: the counts so far stay exact, and the table grows or prunes from here.
      fs.rmSync(file, { force: true });
      this.failed = `cannot write ${file}: ${(e as Error).message}`;
      return;
    }
    c.dropSingles(current);
    this.runs.push({ file, offsets });
    this.keys += n;
  }

  /** Write a run's file (a seam for tests of a full disk). */
  write(file: string, data: Int32Array): void {
    fs.writeFileSync(file, data);
  }
}

/** What finalize did. */
export interface SpillTotals {
  /** Why spilling stopped (a run that could not be written), or null. */
  failed?: string | null;
  runs: number;
  /** Keys written to disk in all (a unit once per run it is in). */
  spilled: number;
  /** Units of one document in all, dropped. */
  singles: number;
}

/**
 * Add the spill runs back into the table: a unit in the table gains one per run it is in; a unit in no
 * table slot but in 2+ runs comes back with that count; a unit in one run only is dropped. The runs'
 * files are removed as they are read.
 */
export function finalizeSpills(c: Counter64, runs: SpillRun[], passKeys = PASS_KEYS, compact = false): SpillTotals {
  const totals: SpillTotals = { runs: runs.length, spilled: 0, singles: 0 };
  if (runs.length === 0) return totals;
  // compact (a final model: only lookups follow): the units the table lacks wait here, and go in once the
  // table has dropped its own units of one document (Counter64.compactBelow), so it never grows for them.
  let later = new Int32Array(compact ? 3 << 16 : 0);
  let nLater = 0;
  try {
    for (let p = 0; p < PARTS; p++) {
      let n = 0;
      for (const r of runs) n += r.offsets[p + 1]! - r.offsets[p]!;
      if (n === 0) continue;
      totals.spilled += n;
      // A partition larger than passKeys (a very large input) is counted in several passes over its keys,
      // each taking the keys of one slice of the hash space: memory stays that of passKeys keys.
      const passes = Math.ceil(n / passKeys);
      for (let q = 0; q < passes; q++) {
        const occ = new Counter64(Number.MAX_SAFE_INTEGER, Math.max(1 << 10, 2 ** Math.ceil(Math.log2(Math.min(n, passKeys) / 0.7 + 1))));
        for (const r of runs) {
          const keys = r.offsets[p + 1]! - r.offsets[p]!;
          if (keys === 0) continue;
          const a = readKeys(r, r.offsets[p]!, keys);
          for (let i = 0; i < keys; i++) {
            const k1 = a[2 * i]!;
            const k2 = a[2 * i + 1]!;
            if (passes === 1 || sliceOf(k1, k2, passes) === q) occ.add(k1, k2, 1);
          }
        }
        occ.forEach((k1, k2, m) => {
          if (c.addIfPresent(k1, k2, m)) return;
          if (m === 1) totals.singles++;
          else if (!compact) c.add(k1, k2, m);
          else {
            if (nLater + 3 > later.length) {
              const grown = new Int32Array(later.length * 2);
              grown.set(later);
              later = grown;
            }
            later[nLater++] = k1;
            later[nLater++] = k2;
            later[nLater++] = m;
          }
        });
      }
    }
  } finally {
    for (const r of runs) fs.rmSync(r.file, { force: true });
  }
  if (compact) {
    c.compactBelow(2, nLater / 3);
    for (let i = 0; i < nLater; i += 3) c.add(later[i]!, later[i + 1]!, later[i + 2]!);
  }
  return totals;
}

/** Keys a finalize pass holds at most (a 64 MB table); a partition with more takes several passes. */
const PASS_KEYS = 2_000_000;

/** Which of `passes` slices of a partition a key is counted in (bits apart from partOf's and the table's). */
function sliceOf(a: number, b: number, passes: number): number {
  return (Math.imul(b ^ Math.imul(a, 0x27d4eb2f), 0x165667b1) >>> 8) % passes;
}

/** `keys` keys of a run from key `at` on (the file is opened for the read: a run count is not bounded by the open-file limit). */
function readKeys(r: SpillRun, at: number, keys: number): Int32Array {
  const buf = Buffer.allocUnsafe(keys * 8);
  const fd = fs.openSync(r.file, 'r');
  try {
    let got = 0;
    while (got < buf.length) {
      const m = fs.readSync(fd, buf, got, buf.length - got, at * 8 + got);
      if (m === 0) throw new BoilerstripError('E_INTERNAL', `count spill ${r.file} is shorter than written`);
      got += m;
    }
  } finally {
    fs.closeSync(fd);
  }
  return new Int32Array(buf.buffer, buf.byteOffset, keys * 2);
}
