/**
 * A worker thread: learns from (pass 1) or strips (pass 2) chunks of JSONL files sent by pool.ts.
 * Line numbers it reports are relative to the chunk; the main thread makes them absolute.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parentPort, threadId } from 'node:worker_threads';
import { readBlock, SideFile, SideReader, SideWriter, type BlockAt } from '../side.js';
import { decode, encode } from '../io/blocks.js';
import { isBad, parseJsonlBlock, type ReadItem } from '../io/input.js';
import { Counter64, type SharedCounter } from '../counter.js';
import { Model, type ModelParams } from '../model.js';
import { learnRecord } from '../doc.js';
import { resolveFields } from '../record.js';
import type { RunOptions } from '../run-options.js';
import { RunStats } from '../stats.js';
import { attrLines, StripContext } from '../strip-context.js';
import { countLines, readChunk, type Chunk } from './plan.js';

export interface WorkerInit {
  mode: 'learn' | 'strip';
  opts: RunOptions;
  /** Pass 1 of clean: write each chunk's analyses to a file of this thread in this directory. */
  cacheDir?: string;
  shared?: { params: ModelParams; counter: SharedCounter; sites: [string, number][]; docs: number };
}

export type WorkerRequest = { type: 'init'; init: WorkerInit } | { type: 'chunk'; chunk: Chunk; bytes?: ArrayBuffer } | { type: 'finish' };

/** A bad record in fail mode: where (relative line) and what. */
export interface ChunkBad {
  line: number;
  code: string;
  message: string;
}

const port = parentPort!;
const fds = new Map<string, number>();
const fdOf = (file: string): number => {
  let fd = fds.get(file);
  if (fd === undefined) {
    fd = fs.openSync(file, 'r');
    fds.set(file, fd);
  }
  return fd;
};

function decodeChunk(c: Chunk): { text: string; invalid: boolean; lines: number } {
  const bytes = readChunk(c, c.bytes ? -1 : fdOf(c.file));
  const d = decode(bytes);
  return { text: d.text, invalid: d.invalid, lines: countLines(bytes) };
}

type Handler = (m: Exclude<WorkerRequest, { type: 'init' }>) => void;

/** The records of a chunk; a line the feed read past as too long (Chunk.oversize) is one rejection. */
function chunkItems(c: Chunk, text: string, invalid: boolean, opts: RunOptions): ReadItem[] {
  if (c.oversize !== undefined) return [{ file: c.label, line: 1, code: 'E_DOC_TOO_LARGE', message: `record is ${c.oversize} bytes, over --max-doc-bytes ${opts.maxDocBytes}`, raw: null }];
  return parseJsonlBlock(text, c.label, 1, invalid, opts);
}

let passes = 0;

/** Pass 1: a model of this thread's chunks; `finish` sends it back. */
function learner(init: WorkerInit): Handler {
  const opts = init.opts;
  const fields = resolveFields(opts);
  const skip = opts.onError === 'skip';
  const model = new Model(opts);
  // A file per pass 1 this thread serves (a run has one per parallel group of sources).
  let sideFile: SideFile | null = null;
  let sideBroken = false;
  let sideError: string | undefined;
  if (init.cacheDir !== undefined) {
    const name = path.join(init.cacheDir, `t${threadId}-${passes++}.side`);
    try {
      sideFile = new SideFile(name);
    } catch (e) {
      sideBroken = true;
      sideError = `cannot create ${name}: ${(e as Error).message}`;
    }
  }
  const side = sideFile ? new SideWriter() : null;
  return (m) => {
    if (m.type === 'finish') {
      sideFile?.close();
      const parts = model.toParts();
      port.postMessage({ type: 'finished', parts }, [parts.k1.buffer, parts.k2.buffer, parts.cnt.buffer] as ArrayBuffer[]);
      handler = null; // the model's memory goes with it
      return;
    }
    const c = m.bytes ? { ...m.chunk, bytes: Buffer.from(m.bytes) } : m.chunk;
    const { text, invalid, lines } = decodeChunk(c);
    let bad: ChunkBad | null = null;
    for (const r of chunkItems(c, text, invalid, opts)) {
      if (isBad(r)) {
        if (skip) continue;
        bad = { line: r.line, code: r.code, message: r.message };
        break;
      }
      if (learnRecord(model, r.value as Record<string, unknown>, fields) > 0 && !sideBroken) side?.add(model.lastAnalysis);
    }
    let at: BlockAt | undefined;
    if (side && sideFile && bad === null && !sideBroken) {
      try {
        at = sideFile.append(side.take());
      } catch (e) {
        sideBroken = true;
        sideError = `cannot write ${sideFile.file}: ${(e as Error).message}`;
      }
    }
    port.postMessage({ type: 'chunk', index: c.index, lines, bad, docs: model.docs, side: at, sideError });
  };
}

/** Pass 2: strips chunks with the shared model table. */
function stripper(init: WorkerInit): Handler {
  const sh = init.shared!;
  const model = new Model({ dedup: false, maxMemory: 1 << 22 }, sh.params, Counter64.fromShared(sh.counter));
  for (const [name, docs] of sh.sites) model.sites.set(name, { docs });
  model.docs = sh.docs;
  const opts = init.opts;
  const sentUnits = new Set<number>();
  return (m) => {
    if (m.type !== 'chunk') {
      port.postMessage({ type: 'finished' });
      return;
    }
    const c = m.bytes ? { ...m.chunk, bytes: Buffer.from(m.bytes) } : m.chunk;
    const stats = new RunStats();
    const ctx = new StripContext(model, opts, stats);
    if (c.side) {
      // Opened for the one read: an idle thread must not keep the (deleted) cache file's space.
      const fd = fs.openSync(c.side.file, 'r');
      try {
        ctx.stripper.cache = SideReader.over([readBlock(fd, c.side.off, c.side.bytes)], c.label);
      } finally {
        fs.closeSync(fd);
      }
    }
    const { text, invalid, lines } = decodeChunk(c);
    const items = chunkItems(c, text, invalid, {
      ...opts,
      onInvalidUtf8: () => {
        stats.invalidUtf8Lines++;
      },
    });
    const out: string[] = [];
    const rejects: string[] = [];
    const b = ctx.batch(items, out, rejects);
    const bad: ChunkBad | null = b ? { line: b.line, code: b.code, message: b.message } : null;
    stats.model = null;
    // Removed units (--report) go as typed arrays, each unit's text once per thread: a Map of them per
    // chunk made the main thread the bottleneck.
    const units = stats.units.size > 0 ? RunStats.packUnits(stats.units, sentUnits) : undefined;
    stats.units.clear();
    // Encoded here and moved, not copied: the main thread only writes bytes.
    const bytes = encode(out.join(''));
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    const moved: ArrayBuffer[] = [ab];
    if (units) moved.push(units.keys.buffer as ArrayBuffer, units.docs.buffer as ArrayBuffer);
    const attrs = ctx.attrRows !== null ? attrLines(ctx.attrRows) : undefined;
    port.postMessage({ type: 'chunk', index: c.index, lines, bad, out: ab, rejects, stats, units, attrs }, moved);
  };
}

// A thread serves pass after pass: each starts with an init message.
let handler: Handler | null = null;
port.on('message', (m: WorkerRequest) => {
  if (m.type === 'init') {
    for (const fd of fds.values()) fs.closeSync(fd);
    fds.clear();
    handler = m.init.mode === 'learn' ? learner(m.init) : stripper(m.init);
    return;
  }
  handler!(m);
});
