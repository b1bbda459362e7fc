/**
 * The work on one chunk of JSONL, for pass 1 (analyze and count) and pass 2 (judge and copy): what a
 * worker thread runs (worker.ts), and what the main thread runs itself for a one-thread run (pool.ts,
 * LocalThread), so that serial is the one-worker case of the same pipeline, not a second code path.
 * Requests and replies are messages; line numbers in replies are relative to the chunk, and the pool makes
 * them absolute.
 */
import fs from 'node:fs';
import path from 'node:path';
import { readBlock, SideFile, SideReader, SideWriter, type BlockAt } from '../side.js';
import { LineEncoder } from '../io/blocks.js';
import { eachJsonlBytes, isBad, type BadRecord, type InPlaceReader, type ItemSink } from '../io/input.js';
import { Counter64, type SharedCounter } from '../counter.js';
import { Model, type ModelParams } from '../model.js';
import { learnDocument, learnLoaded, learnRecord, pageDocOf } from '../doc.js';
import { addPage } from '../html/page-cache.js';
import { htmlDoc, PARSE, type PageSource } from '../html/page.js';
import { JsonlInPlace } from '../jsonl-docs.js';
import { resolveFields } from '../record.js';
import type { RunOptions } from '../run-options.js';
import { LaneIndex, RunStats } from '../stats.js';
import type { CleanRow } from '../io/output.js';
import { attrLines, StripContext, type Reject } from '../strip-context.js';
import { countLines, readChunk, type Chunk } from './plan.js';

export interface WorkerInit {
  /** Pass 2 into a row sink (Parquet output): replies carry rows, not bytes (in-process only). */
  rows?: boolean;
  mode: 'learn' | 'strip';
  opts: RunOptions;
  /** Pass 1 of clean: write each chunk's analyses to a file of this thread in this directory. */
  cacheDir?: string;
  /** Pass 1 of learn with --on-error skip: send the rejected records back (clean's pass 2 rejects them instead). */
  rejects?: boolean;
  /** Pass 1: spill the table's single-document units to runs in this directory when it is full at `from` slots or more (spill.ts). */
  spill?: { dir: string; from: number };
  /** Pass 1: distinct keys this thread's table is expected to hold (Counter64.expect); 0: no guess. */
  expect?: number;
  shared?: { params: ModelParams; counter: SharedCounter; sites: [string, number][]; docs: number };
}

export type WorkerRequest = { type: 'init'; init: WorkerInit } | { type: 'chunk'; chunk: Chunk; bytes?: ArrayBuffer } | { type: 'finish' };

/** How replies leave: a thread's port, or the pool's in-process thread. */
export type Post = (message: unknown, transfer?: ArrayBuffer[]) => void;

/**
 * In-process work only: the run's own model. Pass 1 counts into it (no table to send back and add) and
 * pass 2 reads it (no copy to shared memory).
 */
export interface LocalModel {
  model: Model;
}

/** A bad record in fail mode: where (relative line) and what. */
export interface ChunkBad {
  line: number;
  code: string;
  message: string;
}

/**
 * JSONL lines are read in place (jsonl-docs.ts) unless BOILERSTRIP_PARSE_ALL is set: then every line goes
 * through JSON.parse, the reference the tests hold the in-place reader to (and a way round it, were it wrong).
 */
const IN_PLACE = !process.env.BOILERSTRIP_PARSE_ALL;

/** Open file descriptors of the input files, per worker (closed when a pass starts). */
type Fds = Map<string, number>;

function fdOf(fds: Fds, file: string): number {
  let fd = fds.get(file);
  if (fd === undefined) {
    fd = fs.openSync(file, 'r');
    fds.set(file, fd);
  }
  return fd;
}

type Handler = (m: Exclude<WorkerRequest, { type: 'init' }>) => void;

/**
 * The records of a chunk handed to `sink` one at a time (false stops), and the chunk's line count: the
 * records the main thread read (Chunk.items: line numbers are the file's, lines 0), or the chunk's JSONL
 * decoded and parsed as it goes (line numbers relative to the chunk; one record alive at a time); a line
 * the feed read past as too long (Chunk.oversize) is one rejection.
 */
function eachChunkItem(c: Chunk, fds: Fds, opts: RunOptions, sink: ItemSink, inPlace?: InPlaceReader): number {
  if (c.items) {
    for (const r of c.items) if (sink(r) === false) break;
    return 0;
  }
  const bytes = readChunk(c, c.bytes ? -1 : fdOf(fds, c.file));
  const lines = countLines(bytes);
  if (c.oversize !== undefined) sink({ file: c.label, line: 1, code: 'E_DOC_TOO_LARGE', message: `record is ${c.cut ? 'at least ' : ''}${c.oversize} bytes, over --max-doc-bytes ${opts.maxDocBytes}${c.cut ? ' (not read to its end)' : ''}`, raw: null });
  else eachJsonlBytes(bytes, c.label, 1, opts, sink, inPlace);
  return lines;
}

let passes = 0;
let spills = 0;

/** Pass 1: a model of this thread's chunks; `finish` sends it back (in-process: counted into the run's). */
function learner(init: WorkerInit, post: Post, fds: Fds, tag: string, local: LocalModel | undefined, done: () => void): Handler {
  const opts = init.opts;
  const fields = resolveFields(opts);
  const skip = opts.onError === 'skip';
  const model = local?.model ?? new Model(opts);
  if (init.spill !== undefined) model.enableSpill(init.spill.dir, `${tag}-${spills++}`, init.spill.from);
  if (init.expect !== undefined) model.counter.expect(init.expect);
  // A file per pass 1 this thread serves (a run has one per parallel group of sources).
  let sideFile: SideFile | null = null;
  let sideBroken = false;
  let sideError: string | undefined;
  if (init.cacheDir !== undefined) {
    const name = path.join(init.cacheDir, `${tag}-${passes++}.side`);
    try {
      sideFile = new SideFile(name);
    } catch (e) {
      sideBroken = true;
      sideError = `cannot create ${name}: ${(e as Error).message}`;
    }
  }
  const side = sideFile ? new SideWriter() : null;
  // This chunk's records and code units counted.
  let records = 0;
  let chars = 0;
  const counted = (n: number): void => {
    chars += n;
    if (n > 0 && !sideBroken) side?.add(model.lastAnalysis);
  };
  // An HTML page's parse goes to the cache too: pass 2 reads it back instead of parsing the page again.
  const pages: PageSource = side
    ? {
        page: (html) => {
          const d = htmlDoc(html);
          if (!sideBroken) addPage(side, d, html.length);
          return d;
        },
      }
    : PARSE;
  // JSONL records read in place (no JSON.parse): the same count as through learnRecord.
  const inPlace: JsonlInPlace = new JsonlInPlace(
    fields,
    (text, site) => {
      records++;
      counted(learnLoaded(model, text, site));
    },
    (_length, site) => {
      records++;
      counted(learnDocument(model, pageDocOf(pages.page(inPlace.html()), site, fields)));
    },
  );
  return (m) => {
    if (m.type === 'finish') {
      sideFile?.close();
      done(); // the model's memory goes with it
      if (local) {
        post({ type: 'finished', parts: null });
        return;
      }
      model.spillRest();
      const parts = model.toParts();
      post({ type: 'finished', parts }, [parts.k1.buffer, parts.k2.buffer, parts.cnt.buffer] as ArrayBuffer[]);
      // (The thread serves pass 2 next: the table it counted in is not kept until its next collection.)
      model.counter.release();
      return;
    }
    const c = m.bytes ? { ...m.chunk, bytes: Buffer.from(m.bytes) } : m.chunk;
    let bad: ChunkBad | null = null;
    records = 0;
    chars = 0;
    const rejected: BadRecord[] | undefined = init.rejects ? [] : undefined;
    const lines = eachChunkItem(
      c,
      fds,
      opts,
      (r) => {
        if (isBad(r)) {
          if (skip) {
            rejected?.push(r);
            return true;
          }
          bad = { line: r.line, code: r.code, message: r.message };
          return false;
        }
        records++;
        counted(learnRecord(model, r.value as Record<string, unknown>, fields, pages));
        return true;
      },
      IN_PLACE ? inPlace : undefined,
    );
    let at: BlockAt | undefined;
    if (side && sideFile && bad === null && !sideBroken) {
      try {
        at = side.appendTo(sideFile);
      } catch (e) {
        sideBroken = true;
        sideError = `cannot write ${sideFile.file}: ${(e as Error).message}`;
      }
    }
    post({ type: 'chunk', index: c.index, lines, records, chars, bad, docs: model.docs, side: at, sideError, rejected });
  };
}

/** The model of pass 2 in a thread: the shared table (see pool.ts stripParallel). */
function sharedModel(init: WorkerInit): Model {
  const sh = init.shared!;
  const model = new Model({ dedup: false, maxMemory: 1 << 22 }, sh.params, Counter64.fromShared(sh.counter));
  for (const [name, docs] of sh.sites) model.sites.set(name, { docs });
  model.docs = sh.docs;
  return model;
}

/** Pass 2: strips chunks with the model (a thread's view of the shared table, or the run's own). */
function stripper(init: WorkerInit, post: Post, fds: Fds, local: LocalModel | undefined): Handler {
  const model = local?.model ?? sharedModel(init);
  const opts = init.opts;
  const sentUnits = new LaneIndex();
  const ctx = new StripContext(model, opts, new RunStats());
  // JSONL records read in place (no JSON.parse), into this chunk's output.
  let label = '';
  let out = new LineEncoder();
  let rows: CleanRow[] | null = null;
  const inPlace: JsonlInPlace = new JsonlInPlace(
    ctx.fields,
    (text, site) => {
      ctx.recordInPlace(label, inPlace.lineNo, inPlace.raw(), text, site, [inPlace.textFrom, inPlace.textTo], inPlace, out, rows);
    },
    // (The HTML leaves the output but with --keep-html: the line goes without it, unless a row sink takes the record's value.)
    (length, site) => {
      const raw = ctx.fields.keepHtml || rows !== null ? inPlace.raw() : inPlace.rawWithoutHtml();
      ctx.pageInPlace(label, inPlace.lineNo, raw, length, () => inPlace.html(), site, inPlace, out, rows);
    },
  );
  return (m) => {
    if (m.type !== 'chunk') {
      post({ type: 'finished' });
      return;
    }
    const c = m.bytes ? { ...m.chunk, bytes: Buffer.from(m.bytes) } : m.chunk;
    const stats = new RunStats();
    ctx.nextChunk(stats);
    ctx.stripper.cache = null;
    if (c.side) {
      // Opened for the one read: an idle thread must not keep the (deleted) cache file's space.
      const fd = fs.openSync(c.side.file, 'r');
      try {
        ctx.stripper.cache = SideReader.over([readBlock(fd, c.side.off, c.side.bytes)], c.label);
      } finally {
        fs.closeSync(fd);
      }
    }
    // Output lines become bytes as they come (a chunk's output is moved, not copied: the main thread only writes bytes).
    out = new LineEncoder();
    label = c.label;
    const rejects: Reject[] = [];
    // A row sink (Parquet output, in-process only) takes records with their values, not lines.
    rows = init.rows ? [] : null;
    let bad: ChunkBad | null = null;
    const countInvalid = { ...opts, onInvalidUtf8: () => void stats.invalidUtf8Lines++ };
    const lines = eachChunkItem(
      c,
      fds,
      countInvalid,
      (r) => {
        const b = ctx.record(r, out, rejects, rows);
        if (b !== null) bad = { line: b.line, code: b.code, message: b.message };
        return b === null;
      },
      IN_PLACE ? inPlace : undefined,
    );
    stats.model = null;
    // Removed units (--report) go as typed arrays, each unit's text once per thread: a Map of them per
    // chunk made the main thread the bottleneck.
    const units = stats.takeUnits(sentUnits);
    const bytes = out.finish();
    // (A buffer that is a whole ArrayBuffer of its own moves as it is; one in Node's shared pool is copied.)
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer);
    const ab = (whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) as ArrayBuffer;
    const moved: ArrayBuffer[] = [ab];
    if (units) moved.push(units.a.buffer as ArrayBuffer, units.b.buffer as ArrayBuffer, units.removals.buffer as ArrayBuffer);
    const attrs = ctx.attrRows !== null ? attrLines(ctx.attrRows) : undefined;
    post({ type: 'chunk', index: c.index, lines, bad, out: ab, rejects, stats, units, attrs, rows: rows ?? undefined }, moved);
  };
}

/**
 * A worker: serves pass after pass, each started by an init message, then its chunks, then `finish`.
 * `tag` names its analysis cache files; `local` is the run's model when the worker runs in-process.
 */
export function chunkWorker(post: Post, tag: string, local?: LocalModel): (m: WorkerRequest) => void {
  const fds: Fds = new Map();
  let handler: Handler | null = null;
  return (m) => {
    if (m.type === 'init') {
      for (const fd of fds.values()) fs.closeSync(fd);
      fds.clear();
      handler = m.init.mode === 'learn' ? learner(m.init, post, fds, tag, local, () => (handler = null)) : stripper(m.init, post, fds, local);
      return;
    }
    handler!(m);
  };
}
