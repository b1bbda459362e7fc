/**
 * The runs behind the CLI: learn (pass 1), strip (pass 2), clean (both), over input sources, with
 * counts of everything that went in and out. Every run is the one pipeline of parallel/pool.ts: sources
 * cut into chunks (JSONL by offset or as it streams; other formats as batches of records read here),
 * workers that analyze and count or judge and copy (worker threads, or the main thread for one), and
 * replies combined in input order. The per-document work is doc.ts (learnRecord, DocCleaner).
 */
import { collectGarbage } from './gc.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BoilerstripError } from './errors.js';
import { AttributesWriter } from './io/attributes.js';
import { resolveInputs, sniffStdin, sourceBytes, type BadRecord, type InputSource, type ReadOptions } from './io/input.js';
import { FileSink, isRowSink, type CleanRow, type Sink } from './io/output.js';
import { spool, sweepStale, tempFiles, tempPrefix } from './io/temp.js';
import { Model } from './model.js';
import { SPILL_FROM } from './counter.js';
import { removeSpillDir, spillDirFor } from './spill.js';
import { resolveFields } from './record.js';
import type { RunOptions } from './run-options.js';
import { noRoomForCache, SideStore } from './side.js';
import { RunStats } from './stats.js';
import { StripContext } from './strip-context.js';
import { leastThreshold, resolveStripOptions } from './strip.js';
import { defaultThreads, THREADS_MIN_BYTES } from './parallel/threads.js';
import { learnChunks, stripChunks } from './parallel/pool.js';
import { jsonlBytesOf, recordChunks } from './parallel/plan.js';

export type { OnEmpty, OnError, Progress, RunOptions } from './run-options.js';
export { RunStats } from './stats.js';

/** Standard input spooled to a temporary file (pass 1 and pass 2 both need to read it). */
export function spoolStdin(stdin: NodeJS.ReadableStream, tmpDir = os.tmpdir()): Promise<string> {
  return spool(stdin, 'stdin', tmpDir, (e) => new BoilerstripError('E_INPUT', `cannot spool standard input into ${tmpDir} (both passes read it; --tmp-dir chooses where): ${e.message}`, { file: '-' }));
}

function progressTicker(opts: RunOptions, pass: 1 | 2, sources: InputSource[]): { tick: (docs: number, chars: number) => void; opts: RunOptions } {
  const t0 = performance.now();
  let next = 0;
  let bytes = 0;
  const totalBytes = sources.every((s) => s.bytes >= 0) ? inputBytes(sources) : null;
  const outer = opts.onBytes;
  return {
    // The options to read with: they count the input bytes read (see ReadOptions.onBytes).
    opts: opts.onProgress ? { ...opts, onBytes: (n) => ((bytes += n), outer?.(n)) } : opts,
    tick(docs, chars) {
      if (!opts.onProgress) return;
      const now = performance.now();
      if (now < next) return;
      next = now + 500;
      opts.onProgress({ pass, docs, chars, seconds: (now - t0) / 1000, bytes, totalBytes });
    },
  };
}

/**
 * Pass 1 over sources: a model of per-site unit document frequencies (counted into `into` if given).
 * A full table spills its single-document units (spill.ts) at its budget, so a model to be merged keeps
 * them while it can; a `final` model (clean's: nothing counts into it again, nothing is merged into it)
 * spills from SPILL_FROM slots on and drops its per-slot document serials before the spills are added
 * back (the table it grows to then is 12 bytes a slot).
 */
export async function learnSources(sources: InputSource[], opts: RunOptions = {}, stats?: RunStats, cache?: SideStore | null, into?: Model, final = false): Promise<Model> {
  const spillFrom = final ? SPILL_FROM : Infinity;
  const fields = resolveFields(opts);
  const model = into ?? new Model(opts);
  const t0 = performance.now();
  const p = progressTicker(opts, 1, sources);
  const threads = threadsFor(sources, opts);
  let chars = 0;
  let docs = 0;
  let g = 0;
  const spillDir = spillDirFor(leastThreshold(resolveStripOptions(opts)), opts.tmpDir);
  // learn with --on-error skip counts its rejected records, and writes them to --rejects (clean's pass 2 does
  // both for clean).
  const rejects = !final && stats && opts.onError === 'skip' && opts.rejects ? new FileSink(opts.rejects) : null;
  const onRejected =
    !final && stats && opts.onError === 'skip'
      ? async (bad: BadRecord[], lines: string[]): Promise<void> => {
          for (const b of bad) stats.reject(b);
          if (rejects) for (const l of lines) await rejects.write(l);
        }
      : undefined;
  try {
    const groups = groupSources(sources, threads, opts);
    for (const group of groups) {
      const gi = g++;
      // Formats that cannot be cut by offset are read here, and their records go to one worker in chunks.
      // (Parquet: pass 1 reads only the text and the site's columns; of a struct, only the field a dotted name follows.)
      // (idField as given, as in stripSources.)
      const onlyFields = [fields.textField, fields.htmlField, fields.urlField, ...(fields.siteField !== undefined ? [fields.siteField] : [])];
      const feed = group.jsonl ? undefined : recordChunks(group.sources, { ...p.opts, textField: fields.textField, onlyFields });
      const side = cache ? { dir: cache.dir, blocks: cache.chunkBlocks(gi), fail: (why: string) => cache.fail(why) } : undefined;
      // (The last group's are the last counts a final model takes: see learnChunks.)
      const spill = spillDir !== undefined ? { dir: spillDir, from: spillFrom, lastCounts: final && gi === groups.length - 1 } : undefined;
      await learnChunks(model, group.sources, p.opts, group.jsonl ? threads : 1, (records, text) => p.tick((docs += records), (chars += text)), side, feed, spill, onRejected);
    }
    // The spill runs of every group and thread, added back once all documents are counted.
    // Only lookups follow in a final model: the units of one document go (no decision reads a count below
    // 2 at these thresholds), and pass 2 probes a table of the repeated units only.
    const compact = final && leastThreshold(resolveStripOptions(opts)) >= 2;
    if (final) model.counter.dropDocMarks();
    model.finishSpills(compact);
    if (compact) model.compactBelow(2);
    await rejects?.close();
  } catch (e) {
    rejects?.abort();
    throw e;
  } finally {
    removeSpillDir(spillDir);
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
  checkRowSink(sources, sink);
  const { cache, off } = analysisCache(sources, opts);
  if (off) stats.analysisCacheOff = off;
  try {
    const model = await learnSources(sources, opts, stats, cache, undefined, true);
    if (cache?.failed) stats.analysisCacheOff = cache.failed;
    stats.analysisCached = cache !== null && cache.failed === null;
    collectGarbage();
    await stripSources(model, sources, sink, opts, stats, cache?.failed ? null : cache);
    return model;
  } finally {
    cache?.dispose();
  }
}

/**
 * A new analysis cache for pass 1 over these sources (in opts.tmpDir), or null: turned off
 * (opts.cacheAnalysis false), or, with `off` saying why, the temporary directory lacks the room.
 */
export function analysisCache(sources: InputSource[], opts: RunOptions): { cache: SideStore | null; off?: string } {
  if (opts.cacheAnalysis === false) return { cache: null };
  const tmp = opts.tmpDir ?? os.tmpdir();
  sweepStale(tmp); // a killed run's cache would take the room counted below
  let bytes = 0;
  for (const s of sources) bytes += s.bytes > 0 ? (s.gzip || s.format === 'parquet' ? s.bytes * 5 : s.bytes) : 0;
  const noRoom = noRoomForCache(tmp, bytes);
  return noRoom === null ? { cache: new SideStore(tmp) } : { cache: null, off: noRoom };
}

/** Pass 2 over sources: every record written to the sink, cleaned, with counts in stats. */
export async function stripSources(model: Model, sources: InputSource[], sink: Sink, opts: RunOptions = {}, stats = new RunStats(), cache?: SideStore | null): Promise<RunStats> {
  checkRowSink(sources, sink);
  const rowSink = isRowSink(sink) ? sink : null;
  const ctx = new StripContext(model, opts, stats);
  const rejects = ctx.skip && opts.rejects ? new FileSink(opts.rejects, null, 'rejects') : null;
  const t0 = performance.now();
  const p = progressTicker(opts, 2, sources);
  stats.model = model;
  // (idField as given, not resolved: a Parquet file refuses one named that names no column, see readParquet.)
  const readOpts: ReadOptions = {
    ...p.opts,
    textField: ctx.fields.textField,
    onInvalidUtf8: () => {
      stats.invalidUtf8Lines++;
    },
    onNotDocument: () => {
      stats.notDocuments++;
    },
    // A row sink writes the rows back with their types; JSONL output wants JSON-friendly values.
    parquetValues: rowSink ? 'exact' : 'json',
    idJson: opts.attributes !== undefined || opts.collectReport === true,
    onParquetTable: rowSink ? (t) => rowSink.begin(t) : undefined,
  };
  const threads = threadsFor(sources, opts);
  const attributes = opts.attributes !== undefined ? new AttributesWriter(opts.attributes, new Set(sources.filter((s) => s.format !== 'jsonl' && s.format !== 'json').map((s) => s.display ?? s.name))) : null;
  const emit = async (bytes: Buffer | null, rej: string[], attrs?: [string, string][], rows?: CleanRow[]): Promise<void> => {
    if (rows && rows.length > 0) await rowSink!.writeRows(rows);
    if (bytes) {
      const w = sink.writeBytes(bytes);
      if (w) await w;
    }
    if (attributes && attrs) for (const [file, lines] of attrs) await attributes.addLines(file, lines);
    if (rejects) for (const l of rej) await rejects.write(l);
  };
  try {
    let g = 0;
    for (const group of groupSources(sources, threads, opts)) {
      // Pass 1 made the same groups and chunks (clean reads files, and stdin spooled to one).
      const cached = cache?.groups[g++];
      const feed = group.jsonl ? undefined : recordChunks(group.sources, readOpts);
      // (A row sink takes Parquet inputs only: record chunks, one worker.)
      await stripChunks(model, group.sources, { ...p.opts, onNotDocument: readOpts.onNotDocument, onInvalidUtf8: readOpts.onInvalidUtf8 }, group.jsonl ? threads : 1, stats, emit, () => p.tick(stats.cleaned, stats.charsIn), cached?.blocks, feed, rowSink !== null);
    }
    await sink.close();
    if (rejects) await rejects.close();
    await attributes?.close();
  } catch (e) {
    sink.abort();
    rejects?.abort();
    attributes?.abort();
    throw e;
  }
  stats.stripSeconds += (performance.now() - t0) / 1000;
  return stats;
}

/** A row sink (Parquet output) takes its schema from its inputs: every input must be Parquet. */
function checkRowSink(sources: InputSource[], sink: Sink): void {
  if (!isRowSink(sink)) return;
  const other = sources.find((s) => s.format !== 'parquet');
  if (!other) return;
  sink.abort();
  throw new BoilerstripError('E_OPTION', `a Parquet output takes its schema from Parquet inputs, and ${other.display ?? other.name} is ${other.format}: write JSONL (-o out.jsonl), or convert the input to Parquet first`);
}

/**
 * --threads when given; else the number of cores for 64 MB or more of JSONL (compressed counted 4x), else 1
 * (prestart.ts guesses the same from the command line, to start the threads early).
 * WARC takes threads only when asked: its records reach the threads through the main thread, which was
 * the bottleneck here (1,382 pages, 23 MB .warc.gz, 2 threads: 1.3x the wall time of 1; bench/RESULTS.md).
 */
export function threadsFor(sources: InputSource[], opts: RunOptions): number {
  if (opts.threads !== undefined) return opts.threads;
  return jsonlBytesOf(sources) >= THREADS_MIN_BYTES ? defaultThreads() : 1;
}

/**
 * Sources the pipeline's workers get as chunks of JSONL bytes, on any number of threads: JSONL (files cut
 * by offset, gzip, zstd and stdin cut as they stream); and, on 2+ threads, WARC/WET, whose documents the
 * main thread reads and hands over as JSONL lines (not with --on-error skip: a rejected WARC record cannot
 * travel as a line). The other formats (JSON arrays, HTML and text files, Parquet, WARC on one thread) are
 * read here, record by record, and go to one worker as chunks of records (plan.ts recordChunks).
 */
function chunked(s: InputSource, threads: number, opts: RunOptions): boolean {
  return s.format === 'jsonl' || (threads > 1 && s.format === 'warc' && opts.onError !== 'skip');
}

/** Consecutive sources of one kind (JSONL chunks, or records read here) form a group. Order is kept. */
export function groupSources(sources: InputSource[], threads: number, opts: RunOptions = {}): { jsonl: boolean; sources: InputSource[] }[] {
  const groups: { jsonl: boolean; sources: InputSource[] }[] = [];
  for (const s of sources) {
    const jsonl = chunked(s, threads, opts);
    const last = groups[groups.length - 1];
    if (last && last.jsonl === jsonl) last.sources.push(s);
    else groups.push({ jsonl, sources: [s] });
  }
  return groups;
}

/**
 * Resolve inputs, spooling stdin when it must be read twice. For both passes on threads, a zstd JSONL file
 * is also decompressed once to a temporary file (spoolZstd), so the passes read plain JSONL, cut by offset
 * for the threads, instead of decompressing twice and feeding every chunk through the main thread.
 */
export async function prepareSources(inputs: string[], opts: RunOptions, twoPass: boolean): Promise<InputSource[]> {
  let names = inputs.length === 0 ? ['-'] : inputs;
  let stdinSpool: string | null = null;
  if (twoPass && names.includes('-')) {
    stdinSpool = await spoolStdin(opts.stdin ?? process.stdin, opts.tmpDir);
    const spool = stdinSpool;
    names = names.map((n) => (n === '-' ? spool : n));
  }
  const sources = await resolveInputs(names, opts);
  // Standard input read once (learn, strip) is sniffed on its first bytes, which are then read again.
  const stdinAt = stdinSpool === null ? sources.findIndex((s) => s.name === '-') : -1;
  if (stdinAt >= 0) {
    const sniffed = await sniffStdin(opts.stdin ?? process.stdin, opts.format);
    opts.stdin = sniffed.stream;
    sources[stdinAt] = { ...sources[stdinAt]!, format: sniffed.format, ...(sniffed.crLines ? { crLines: true } : {}) };
  }
  const out: InputSource[] = [];
  for (const s of sources) {
    // Report the spool as standard input in messages. Standard input is JSONL unless its bytes say otherwise
    // (a JSON array, HTML, WARC, Parquet, compressed): what is none of these is JSONL, as learn and strip read it,
    // not a text document (an empty stdin is no record).
    if (s.name === stdinSpool) {
      const sniffedText = s.format === 'text' && (opts.format === undefined || opts.format === 'auto');
      out.push({ ...s, display: '-', ...(sniffedText ? { format: 'jsonl' as const } : {}) });
      continue;
    }
    // (On one thread a .zst is read through its decoding thread, overlapped with the work; spooling first
    // would only add the decoding in front: measured 1.06x against 1.14x the time of plain JSONL.)
    const spooled = twoPass && s.zstd === true && s.format === 'jsonl' && threadsFor([s], opts) > 1 ? await spoolZstd(s, opts) : null;
    out.push(spooled ?? s);
  }
  return out;
}

/**
 * A zstd file decompressed to a temporary file, as a plain source named like the original in messages;
 * null when it decompresses past 20x its size or half the free space of the
 * temporary directory (a decompression bomb, or no room): it is then read compressed, as before.
 */
async function spoolZstd(src: InputSource, opts: RunOptions): Promise<InputSource | null> {
  const tmp = opts.tmpDir ?? os.tmpdir();
  let free = Number.POSITIVE_INFINITY;
  try {
    const st = fs.statfsSync(tmp);
    free = st.bavail * st.bsize;
  } catch {
    /* unknown: the ratio cap alone */
  }
  const cap = Math.min(20 * Math.max(src.bytes, 1 << 20), free / 2);
  sweepStale(tmp);
  const file = path.join(tmp, `${tempPrefix('zstd')}${Date.now()}-${path.basename(src.name)}.jsonl`);
  tempFiles.add(file);
  const out = fs.openSync(file, 'w');
  let n = 0;
  let over = false;
  try {
    for await (const b of sourceBytes(src, { ...opts, onBytes: undefined })) {
      n += b.length;
      if (n > cap) {
        over = true;
        break;
      }
      for (let off = 0; off < b.length; ) off += fs.writeSync(out, b, off);
    }
  } finally {
    fs.closeSync(out);
  }
  if (over) {
    fs.rmSync(file, { force: true });
    tempFiles.delete(file);
    return null;
  }
  return { name: file, display: src.display ?? src.name, gzip: false, format: src.format, bytes: n, compressedBytes: src.bytes };
}

/** The input's bytes as read from what was given: a compressed file's compressed size, spooled or not. */
export function inputBytes(sources: InputSource[]): number {
  let n = 0;
  for (const s of sources) {
    const b = s.compressedBytes ?? s.bytes;
    if (b > 0) n += b;
  }
  return n;
}
