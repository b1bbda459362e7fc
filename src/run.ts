/**
 * The runs behind the CLI: learn (pass 1), strip (pass 2), clean (both), over input sources, with
 * counts of everything that went in and out. Each is a loop over record batches; the per-document work
 * is Model.learnDoc and Stripper.strip.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BoilerstripError } from './errors.js';
import { isBad, readSources, resolveInputs, type BadRecord, type InputSource, type ReadOptions, type RawRecord, type ReadItem } from './io/input.js';
import { FileSink, tempFiles, type Sink } from './io/output.js';
import { Model, type LearnOptions } from './model.js';
import { resolveFields, siteOfRecord, spliceRecord, textOf, type FieldOptions, type TextProblem } from './record.js';
import { Stripper, type Reason, type StripOptions } from './strip.js';
import { noRoomForCache, SerialSideWriter, SideStore } from './side.js';
import { defaultThreads } from './parallel/threads.js';

export type OnError = 'fail' | 'skip';
export type OnEmpty = 'keep' | 'empty' | 'drop';

export interface RunOptions extends FieldOptions, StripOptions, LearnOptions, ReadOptions {
  /** Worker threads for both passes (plain JSONL files are split into chunks). Default: the number of cores
   * for 64 MB or more of plain JSONL, else 1. */
  threads?: number;
  /** Bad records: stop with an error (default) or skip and count them. */
  onError?: OnError;
  /** With onError 'skip': write each rejected raw line to this file. */
  rejects?: string;
  /** Keep the text and add the removed spans under this field instead of removing them. */
  annotate?: string | null;
  /** A document whose every line is chrome: keep it unchanged (default), emit it empty, or drop it. */
  onEmpty?: OnEmpty;
  /** Collect per-site figures and removed units for the report. */
  collectReport?: boolean;
  /** Called now and then with progress. */
  onProgress?: (p: Progress) => void;
  /** Directory for the stdin spool and clean's analysis cache. */
  tmpDir?: string;
  /** clean: keep pass 1's analyses for pass 2 in a temporary file (about a quarter of the input). Default true. */
  cacheAnalysis?: boolean;
}

export interface Progress {
  pass: 1 | 2;
  docs: number;
  chars: number;
  seconds: number;
}

interface SiteFigures {
  docs: number;
  changed: number;
  emptied: number;
  charsIn: number;
  charsOut: number;
  fallback: boolean;
  threshold: number;
}

/** Removed units the report tracks; more are counted as untracked. */
const MAX_UNITS = 100_000;

/** Removed units of a chunk as a thread sends them (see RunStats.packUnits). */
export interface PackedUnits {
  keys: Float64Array;
  docs: Int32Array;
  first: [number, UnitFigures][];
}

export interface UnitFigures {
  site: string;
  reason: Reason;
  df: number;
  docs: number;
  text: string;
}

/** Everything counted in a run; `report()` is what --report writes. */
export class RunStats {
  recordsIn = 0;
  recordsOut = 0;
  rejected = 0;
  dropped = 0;
  rejectedBy: Record<string, number> = {};
  rejectSamples: { file: string; line: number; code: string; message: string }[] = [];
  passedThrough: Record<TextProblem, number> = { missing: 0, null: 0, 'not-string': 0, empty: 0 };
  cleaned = 0;
  changed = 0;
  emptied = 0;
  fallbackDocs = 0;
  /** Documents with other copies in the input (a page scraped twice, a wire story on several sites). */
  copies = 0;
  charsIn = 0;
  charsOut = 0;
  invalidUtf8Lines = 0;
  bytesIn = 0;
  learnSeconds = 0;
  stripSeconds = 0;
  /** clean kept pass 1's analyses for pass 2 (null: not a clean run). */
  analysisCached: boolean | null = null;
  /** Why clean ran without the analysis cache though it was on (no room, a failed write). */
  analysisCacheOff: string | null = null;
  readonly sites = new Map<string, SiteFigures>();
  /** Removed units by key (53 bits of the 64-bit key: a report figure, where a rare merge does no harm). */
  readonly units = new Map<number, UnitFigures>();
  unitsUntracked = 0;
  model: Model | null = null;

  /**
   * Add counts gathered elsewhere (a worker thread's chunk; its removed units come packed, see packUnits).
   * `lineOffset` turns chunk lines into file lines.
   */
  absorb(o: RunStats, lineOffset = 0, units?: PackedUnits): void {
    const nums = ['recordsIn', 'recordsOut', 'rejected', 'dropped', 'cleaned', 'changed', 'emptied', 'fallbackDocs', 'copies', 'charsIn', 'charsOut', 'invalidUtf8Lines', 'unitsUntracked'] as const;
    for (const k of nums) this[k] += o[k];
    for (const [k, v] of Object.entries(o.rejectedBy)) this.rejectedBy[k] = (this.rejectedBy[k] ?? 0) + v;
    for (const r of o.rejectSamples) if (this.rejectSamples.length < 100) this.rejectSamples.push({ ...r, line: r.line + lineOffset });
    for (const k of Object.keys(o.passedThrough) as TextProblem[]) this.passedThrough[k] += o.passedThrough[k];
    for (const [site, f] of o.sites) {
      const mine = this.sites.get(site);
      if (!mine) this.sites.set(site, { ...f });
      else {
        mine.docs += f.docs;
        mine.changed += f.changed;
        mine.emptied += f.emptied;
        mine.charsIn += f.charsIn;
        mine.charsOut += f.charsOut;
      }
    }
    if (units) {
      const first = new Map(units.first);
      for (let i = 0; i < units.keys.length; i++) {
        const u = first.get(units.keys[i]!);
        this.countUnit(units.keys[i]!, units.docs[i]!, () => u && { ...u });
      }
    }
  }

  /**
   * Count `docs` more documents a unit was removed from. Its figures (text, reason, ...) are made only
   * when the unit is new and there is room (MAX_UNITS); `make` returns undefined when the caller was not
   * given them (a thread sends each unit's figures once: the first time a unit comes, in input order, it
   * carries them).
   */
  countUnit(k: number, docs: number, make: () => UnitFigures | undefined): void {
    const mine = this.units.get(k);
    if (mine) {
      mine.docs += docs;
      return;
    }
    const u = this.units.size < MAX_UNITS ? make() : undefined;
    if (u !== undefined) this.units.set(k, u);
    else this.unitsUntracked++;
  }

  /**
   * A thread's removed units for one chunk, as sent: keys and document counts in typed arrays, full
   * figures only for the units this thread has not sent before (`sent` remembers them).
   */
  static packUnits(units: Map<number, UnitFigures>, sent: Set<number>): PackedUnits {
    const keys = new Float64Array(units.size);
    const docs = new Int32Array(units.size);
    const first: [number, UnitFigures][] = [];
    let i = 0;
    for (const [k, u] of units) {
      keys[i] = k;
      docs[i++] = u.docs;
      if (!sent.has(k)) {
        sent.add(k);
        first.push([k, u]);
      }
    }
    return { keys, docs, first };
  }


  reject(b: BadRecord): void {
    this.rejected++;
    this.rejectedBy[b.code] = (this.rejectedBy[b.code] ?? 0) + 1;
    if (this.rejectSamples.length < 100) this.rejectSamples.push({ file: b.file, line: b.line, code: b.code, message: b.message });
  }

  /** records in = records out + rejected + dropped: nothing is lost without being counted. */
  get balanced(): boolean {
    return this.recordsIn === this.recordsOut + this.rejected + this.dropped;
  }

  report(options: Record<string, unknown> = {}): Record<string, unknown> {
    const m = this.model;
    const sites = [...this.sites].sort((a, b) => b[1].docs - a[1].docs || (a[0] < b[0] ? -1 : 1));
    const units = [...this.units.values()].sort((a, b) => b.docs - a.docs || b.df - a.df || (a.text < b.text ? -1 : 1));
    const secs = this.learnSeconds + this.stripSeconds;
    return {
      records: {
        in: this.recordsIn,
        out: this.recordsOut,
        rejected: this.rejected,
        dropped: this.dropped,
        balanced: this.balanced,
        rejectedBy: this.rejectedBy,
        passedThrough: this.passedThrough,
        invalidUtf8Lines: this.invalidUtf8Lines,
      },
      docs: { cleaned: this.cleaned, changed: this.changed, emptied: this.emptied, judgedByCorpusCounts: this.fallbackDocs, withCopies: this.copies },
      chars: { in: this.charsIn, out: this.charsOut, removedShare: this.charsIn > 0 ? round((this.charsIn - this.charsOut) / this.charsIn) : 0 },
      throughput: { bytesIn: this.bytesIn, learnSeconds: round(this.learnSeconds), stripSeconds: round(this.stripSeconds), mbPerSecond: secs > 0 ? round(this.bytesIn / 1e6 / secs) : null, analysisCached: this.analysisCached, analysisCacheOff: this.analysisCacheOff },
      model: m
        ? {
            docs: m.docs,
            sites: m.sites.size,
            units: m.counter.size,
            tableBytes: m.counter.bytes,
            pruning: m.prune,
          }
        : null,
      sites: sites.slice(0, 1000).map(([site, f]) => ({ site, ...f })),
      sitesOmitted: Math.max(0, sites.length - 1000),
      removedUnits: units.slice(0, 500),
      removedUnitsUntracked: this.unitsUntracked,
      rejects: this.rejectSamples,
      options,
    };
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Standard input spooled to a temporary file (pass 1 and pass 2 both need to read it). */
export async function spoolStdin(stdin: NodeJS.ReadableStream, tmpDir = os.tmpdir()): Promise<string> {
  const file = path.join(tmpDir, `boilerstrip-stdin-${process.pid}-${Date.now()}.spool`);
  tempFiles.add(file);
  await pipeline(stdin, fs.createWriteStream(file));
  return file;
}

function progressTicker(opts: RunOptions, pass: 1 | 2): { tick: (docs: number, chars: number) => void } {
  const t0 = performance.now();
  let next = 0;
  return {
    tick(docs, chars) {
      if (!opts.onProgress) return;
      const now = performance.now();
      if (now < next) return;
      next = now + 500;
      opts.onProgress({ pass, docs, chars, seconds: (now - t0) / 1000 });
    },
  };
}

/** Pass 1 over sources: a model of per-site unit document frequencies. */
export async function learnSources(sources: InputSource[], opts: RunOptions = {}, stats?: RunStats, cache?: SideStore | null): Promise<Model> {
  const fields = resolveFields(opts);
  const model = new Model(opts);
  const skip = opts.onError === 'skip';
  const t0 = performance.now();
  const p = progressTicker(opts, 1);
  const threads = threadsFor(sources, opts);
  let chars = 0;
  let g = 0;
  for (const group of groupSources(sources, threads)) {
    const gi = g++;
    if (group.parallel) {
      const { learnParallel } = await import('./parallel/pool.js');
      let docs = model.docs;
      await learnParallel(model, group.sources, opts, threads, (records, text) => p.tick((docs += records), (chars += text)), cache ? { dir: cache.dir, blocks: cache.chunkBlocks(gi), fail: (why) => cache.fail(why) } : undefined);
      continue;
    }
    const sideFile = cache?.serialFile(gi) ?? null;
    const side = cache && sideFile ? new SerialSideWriter(sideFile, cache) : null;
    for await (const batch of readSources(group.sources, { ...opts, textField: fields.textField, idField: fields.idField })) {
      for (const r of batch) {
        if (isBad(r)) {
          if (skip) continue;
          throw new BoilerstripError(r.code, r.message, { file: r.file, line: r.line });
        }
        const v = r.value as Record<string, unknown>;
        const t = textOf(v, fields);
        if (typeof t !== 'string') continue;
        chars += t.length;
        model.learnDoc(t, siteOfRecord(v, fields));
        side?.add(model.lastAnalysis);
      }
      p.tick(model.docs, chars);
    }
    side?.end();
  }
  if (stats) {
    stats.learnSeconds += (performance.now() - t0) / 1000;
    stats.model = model;
  }
  return model;
}

/**
 * Both passes over sources (what `clean` does). Pass 1 keeps each document's analysis in a temporary
 * cache that pass 2 reads instead of analyzing again (see side.ts), unless opts.cacheAnalysis is false or
 * the temporary directory lacks the room; the output is the same either way.
 */
export async function cleanSources(sources: InputSource[], sink: Sink, opts: RunOptions = {}, stats = new RunStats()): Promise<Model> {
  const tmp = opts.tmpDir ?? os.tmpdir();
  let bytes = 0;
  for (const s of sources) bytes += s.bytes > 0 ? (s.gzip ? s.bytes * 5 : s.bytes) : 0;
  let cache: SideStore | null = null;
  if (opts.cacheAnalysis !== false) {
    const noRoom = noRoomForCache(tmp, bytes);
    if (noRoom === null) cache = new SideStore(tmp);
    else stats.analysisCacheOff = noRoom;
  }
  try {
    const model = await learnSources(sources, opts, stats, cache);
    if (cache?.failed) stats.analysisCacheOff = cache.failed;
    stats.analysisCached = cache !== null && cache.failed === null;
    await stripSources(model, sources, sink, opts, stats, cache?.failed ? null : cache);
    return model;
  } finally {
    cache?.dispose();
  }
}

/** Pass-2 state over batches of records: one per thread. */
export class StripContext {
  readonly fields: ReturnType<typeof resolveFields>;
  readonly skip: boolean;
  readonly onEmpty: OnEmpty;
  readonly annotate: string | null;
  readonly stripper: Stripper;
  readonly collect: boolean;
  constructor(
    readonly model: Model,
    opts: RunOptions,
    readonly stats: RunStats,
  ) {
    this.fields = resolveFields(opts);
    this.skip = opts.onError === 'skip';
    this.onEmpty = opts.onEmpty ?? 'keep';
    this.annotate = opts.annotate ?? null;
    this.stripper = new Stripper(model, opts);
    this.collect = opts.collectReport ?? false;
    if (this.collect) this.stripper.removedUnits = [];
  }

  /**
   * Clean a batch: output lines go to `out`, rejected raw lines to `rejects`. In fail mode the first bad
   * record stops the batch and is returned (the caller raises it, knowing the absolute line).
   */
  batch(items: ReadItem[], out: string[], rejects: string[] | null): BadRecord | null {
    const stats = this.stats;
    for (const r of items) {
      stats.recordsIn++;
      if (isBad(r)) {
        if (!this.skip) {
          stats.recordsIn--;
          return r;
        }
        stats.reject(r);
        if (rejects && r.raw !== null) rejects.push(r.raw + '\n');
        continue;
      }
      const line = processRecord(r, this.stripper, this.fields, this.onEmpty, this.annotate, stats, this.collect);
      if (line === null) continue;
      stats.recordsOut++;
      out.push(line, '\n'); // (no copy of the line to append its newline)
    }
    return null;
  }
}

/** Pass 2 over sources: every record written to the sink, cleaned, with counts in stats. */
export async function stripSources(model: Model, sources: InputSource[], sink: Sink, opts: RunOptions = {}, stats = new RunStats(), cache?: SideStore | null): Promise<RunStats> {
  const ctx = new StripContext(model, opts, stats);
  const rejects = ctx.skip && opts.rejects ? new FileSink(opts.rejects) : null;
  const t0 = performance.now();
  const p = progressTicker(opts, 2);
  stats.model = model;
  const readOpts: ReadOptions = {
    ...opts,
    textField: ctx.fields.textField,
    idField: ctx.fields.idField,
    onInvalidUtf8: () => {
      stats.invalidUtf8Lines++;
    },
  };
  const threads = threadsFor(sources, opts);
  const emit = async (out: string[], rej: string[]): Promise<void> => {
    for (const l of out) {
      const w = sink.write(l);
      if (w) await w;
    }
    if (rejects) for (const l of rej) await rejects.write(l);
  };
  try {
    let g = 0;
    for (const group of groupSources(sources, threads)) {
      // Pass 1 made the same groups (clean reads files, and stdin spooled to one).
      const cached = cache?.groups[g++];
      if (group.parallel) {
        const { stripParallel } = await import('./parallel/pool.js');
        await stripParallel(model, group.sources, opts, threads, stats, async (bytes, rej) => {
          if (bytes) {
            const w = sink.writeBytes(bytes);
            if (w) await w;
          }
          if (rejects) for (const l of rej) await rejects.write(l);
        }, () => p.tick(stats.cleaned, stats.charsIn), cached?.kind === 'chunks' ? cached.blocks : undefined);
        continue;
      }
      ctx.stripper.cache = cached?.kind === 'serial' ? cached.file.reader(group.sources.map((s) => s.display ?? s.name).join(', ')) : null;
      for await (const batch of readSources(group.sources, readOpts)) {
        const out: string[] = [];
        const rej: string[] = [];
        const bad = ctx.batch(batch, out, rej);
        await emit(out, rej);
        if (bad) throw new BoilerstripError(bad.code, bad.message, { file: bad.file, line: bad.line });
        p.tick(stats.cleaned, stats.charsIn);
      }
    }
    await sink.close();
    if (rejects) await rejects.close();
  } catch (e) {
    sink.abort();
    rejects?.abort();
    throw e;
  }
  stats.stripSeconds += (performance.now() - t0) / 1000;
  return stats;
}

/** Below this much splittable input, starting threads costs more than it saves. */
export const THREADS_MIN_BYTES = 64 * 1024 * 1024;

/** --threads when given; else the number of cores for 64 MB or more of JSONL (gzip counted 4x), else 1. */
export function threadsFor(sources: InputSource[], opts: RunOptions): number {
  if (opts.threads !== undefined) return opts.threads;
  let bytes = 0;
  for (const s of sources) if (s.format === 'jsonl' && s.bytes > 0) bytes += s.gzip ? s.bytes * 4 : s.bytes;
  return bytes >= THREADS_MIN_BYTES ? defaultThreads() : 1;
}

/**
 * Consecutive JSONL sources form parallel groups: files (plain ones cut by offset, gzip ones cut as they
 * are decompressed) and stdin; JSON arrays and text files stream on the main thread. Order is kept.
 */
export function groupSources(sources: InputSource[], threads: number): { parallel: boolean; sources: InputSource[] }[] {
  const groups: { parallel: boolean; sources: InputSource[] }[] = [];
  for (const s of sources) {
    const parallel = threads > 1 && s.format === 'jsonl';
    const last = groups[groups.length - 1];
    if (last && last.parallel === parallel) last.sources.push(s);
    else groups.push({ parallel, sources: [s] });
  }
  return groups;
}

function processRecord(
  r: RawRecord,
  stripper: Stripper,
  fields: ReturnType<typeof resolveFields>,
  onEmpty: OnEmpty,
  annotate: string | null,
  stats: RunStats,
  collect: boolean,
): string | null {
  const v = r.value as Record<string, unknown>;
  const t = textOf(v, fields);
  if (typeof t !== 'string') {
    stats.passedThrough[t.problem]++;
    return r.raw ?? JSON.stringify(v);
  }
  const site = siteOfRecord(v, fields);
  const res = stripper.strip(t, site);
  stats.cleaned++;
  if (res.fallback) stats.fallbackDocs++;
  if (res.copies > 1) stats.copies++;
  let newText: string | null = res.spans.length > 0 ? res.text : null;
  if (res.emptied) {
    stats.emptied++;
    if (onEmpty === 'drop') {
      stats.dropped++;
      return null;
    }
    if (onEmpty === 'keep') newText = null;
  }
  if (newText !== null) stats.changed++;
  const outText = newText ?? t;
  stats.charsIn += t.length;
  stats.charsOut += outText.length;
  if (collect) {
    let f = stats.sites.get(site);
    if (f === undefined) {
      const th = stripper.thresholds(site);
      f = { docs: 0, changed: 0, emptied: 0, charsIn: 0, charsOut: 0, fallback: th.fallback, threshold: th.t };
      stats.sites.set(site, f);
    }
    f.docs++;
    if (newText !== null) f.changed++;
    if (res.emptied) f.emptied++;
    f.charsIn += t.length;
    f.charsOut += outText.length;
    for (const u of stripper.removedUnits!) {
      stats.countUnit((u.k1 >>> 0) * 2097152 + (u.k2 >>> 11), 1, () => ({ site, reason: u.reason, df: u.df, docs: 1, text: t.slice(u.start, Math.min(u.end, u.start + 200)) }));
    }
  }
  const ann = annotate !== null ? { field: annotate, json: JSON.stringify(res.spans) } : null;
  if (annotate !== null) newText = null; // annotate keeps the text
  if (r.raw !== null) return newText === null && ann === null ? r.raw : spliceRecord(r.raw, fields.textField, newText, ann);
  const out: Record<string, unknown> = { ...v };
  if (newText !== null) out[fields.textField] = newText;
  if (ann !== null) out[ann.field] = res.spans;
  return JSON.stringify(out);
}

/** Resolve inputs, spooling stdin when it must be read twice. */
export async function prepareSources(inputs: string[], opts: RunOptions, twoPass: boolean): Promise<InputSource[]> {
  let names = inputs.length === 0 ? ['-'] : inputs;
  if (twoPass && names.includes('-')) {
    const spool = await spoolStdin(opts.stdin ?? process.stdin, opts.tmpDir);
    names = names.map((n) => (n === '-' ? spool : n));
    const sources = await resolveInputs(names, opts);
    // Report the spool as standard input in messages.
    return sources.map((s) => (s.name === spool ? { ...s, name: spool, display: '-' } : s));
  }
  return resolveInputs(names, opts);
}

export function inputBytes(sources: InputSource[]): number {
  let n = 0;
  for (const s of sources) if (s.bytes > 0) n += s.bytes;
  return n;
}
