/**
 * The pipeline of both passes over JSONL: the planner (plan.ts) cuts the input into chunks at line
 * boundaries; chunks go to the workers in input order, a bounded number at a time; replies are combined
 * in chunk order. The main thread is always one of the workers (LocalThread), and `--threads N` adds N-1
 * worker threads: the same chunk work (chunk-work.ts) everywhere, so a serial run is the one-worker case
 * of this pipeline, and N threads are N cores' work (not N threads beside a main thread that waits).
 * Pass 1 sums the threads' models into the run's, which the in-process worker counts into (counts are
 * sums, so which thread saw what does not matter). Pass 2 shares the model's table with the threads
 * (SharedArrayBuffer) and writes the output in chunk order.
 * The output is byte-identical for every thread count (unless the table hits --max-memory: pruning
 * then depends on what each thread saw, and the report says it happened).
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { BoilerstripError, type ErrorCode } from '../errors.js';
import type { BadRecord, InputSource } from '../io/input.js';
import { Model, type ModelParts } from '../model.js';
import { Counter64 } from '../counter.js';
import type { RunOptions } from '../run-options.js';
import { RunStats, type PackedUnits } from '../stats.js';
import { feedChunks, jsonlBytesOf, type Chunk } from './plan.js';
import { startThread, takePrestarted } from './prestart.js';
import type { CleanRow } from '../io/output.js';
import { chunkWorker, type ChunkBad, type LocalModel, type WorkerInit, type WorkerRequest } from './chunk-work.js';
import type { BlockAt } from '../side.js';
import { rejectLine, type Reject } from '../strip-context.js';

/** Options that can cross to a thread (no functions or streams). */
function portable(opts: RunOptions): RunOptions {
  const { onProgress: _a, onInvalidUtf8: _b, stdin: _c, onBytes: _d, onNotDocument: _e, onParquetTable: _f, onWarning: _g, ...rest } = opts;
  return rest;
}

export { defaultThreads } from './threads.js';

/** What the pool needs of a worker: a worker_threads Worker, or a LocalThread. */
interface Thread {
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message' | 'error' | 'exit', listener: (value: any) => void): unknown;
  once(event: 'message' | 'error' | 'exit', listener: (value: any) => void): unknown;
  removeAllListeners(event?: 'message' | 'error' | 'exit'): unknown;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

/**
 * The one worker of a one-thread run: the chunk work on the main thread, with the run's own model.
 * A message is handled on a later turn of the event loop, as a thread's would be, so the pool's loop
 * runs unchanged.
 */
class LocalThread extends EventEmitter implements Thread {
  private readonly work: (m: WorkerRequest) => void;

  constructor(local: LocalModel) {
    super();
    this.work = chunkWorker((m) => this.emit('message', m), 'main', local);
  }

  postMessage(message: unknown): void {
    setImmediate(() => {
      try {
        this.work(message as WorkerRequest);
      } catch (e) {
        this.emit('error', e);
      }
    });
  }

  ref(): void {}
  unref(): void {}
  terminate(): Promise<number> {
    return Promise.resolve(0);
  }
}

interface ChunkReply {
  type: 'chunk';
  index: number;
  lines: number;
  /** Pass 1: good records counted, and the characters of their texts. */
  records?: number;
  chars?: number;
  /** Pass 2 into a row sink: the chunk's kept records. */
  rows?: CleanRow[];
  bad: ChunkBad | null;
  /** UTF-8 output of the chunk (moved from the thread). */
  out?: ArrayBuffer;
  rejects?: Reject[];
  /** Pass 1 of learn with --on-error skip: the chunk's rejected records (lines relative to the chunk). */
  rejected?: BadRecord[];
  /** --attributes: the chunk's attribute lines, per input file in order. */
  attrs?: [string, string][];
  stats?: RunStats;
  units?: PackedUnits;
  /** Pass 1 with the analysis cache: where the thread wrote the chunk's analyses. */
  side?: BlockAt;
  /** ...or why it could not. */
  sideError?: string;
}

/**
 * Run chunks through `threads` workers, at most 2 per worker in flight; replies are handed to onReply
 * strictly in chunk order (onReply returning false stops the run). Chunks come from an async feed, so a
 * gzip or stdin stream is cut while the threads work. The workers are returned alive (learn asks them
 * for their models next).
 */
async function runChunks<T extends Thread>(init: WorkerInit, feed: AsyncIterator<Chunk>, workers: T[], onReply: (r: ChunkReply, chunk: Chunk) => Promise<boolean>): Promise<T[]> {
  for (const w of workers) w.postMessage({ type: 'init', init });
  // How far the chunks handed out may run ahead of the oldest unanswered one. Pass 2's replies hold their
  // output until written in order: 2 a worker. Pass 1's replies are counts, so a thread that is behind (the
  // new thread loading its modules while the main thread starts) need not hold the others up: 8 a worker.
  const window = workers.length * (init.mode === 'learn' ? 8 : 2);
  // A thread has two chunks at a time (the next waits in its port while it works on one); the in-process
  // worker one (it runs between the event loop's turns).
  const idle: T[] = [...workers, ...workers.filter((w) => !(w instanceof LocalThread))];
  const meta = new Map<number, Chunk>();
  const pending = new Map<number, ChunkReply>();
  let next = 0;
  let done = 0;
  let stop = false;
  let exhausted = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const signal = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  for (const w of workers) {
    w.on('error', (e: unknown) => {
      failure ??= e;
      stop = true;
      signal();
    });
    // A thread that dies never answers for its chunks in flight: fail now rather than wait for them.
    w.on('exit', (code: number) => {
      failure ??= new Error(`a worker thread stopped (exit code ${code})`);
      stop = true;
      signal();
    });
    w.on('message', (m: ChunkReply) => {
      if (m.type !== 'chunk') return;
      pending.set(m.index, m);
      idle.push(w);
      signal();
    });
  }
  for (;;) {
    // Hand over the replies that are next in order.
    while (pending.has(done)) {
      const r = pending.get(done)!;
      pending.delete(done);
      if (!stop) {
        try {
          if (!(await onReply(r, meta.get(done)!))) stop = true;
        } catch (e) {
          failure ??= e;
          stop = true;
        }
      }
      meta.delete(done);
      done++;
    }
    if ((stop || exhausted) && done === next) break;
    if (!stop && !exhausted && idle.length > 0 && next - done < window) {
      let it: IteratorResult<Chunk>;
      try {
        it = await feed.next();
      } catch (e) {
        failure ??= e;
        stop = true;
        continue;
      }
      if (it.done) {
        exhausted = true;
        continue;
      }
      const c = it.value;
      meta.set(c.index, { ...c, bytes: undefined });
      const w = idle.pop()!;
      // (The in-process worker takes the chunk as it is; a thread is handed its bytes, moved.)
      if (c.bytes && !(w instanceof LocalThread)) {
        const ab = c.bytes.buffer.slice(c.bytes.byteOffset, c.bytes.byteOffset + c.bytes.length) as ArrayBuffer;
        w.postMessage({ type: 'chunk', chunk: { ...c, bytes: undefined }, bytes: ab }, [ab]);
      } else w.postMessage({ type: 'chunk', chunk: c });
      next++;
      continue;
    }
    if (failure) break;
    await new Promise<void>((r) => (wake = r));
  }
  for (const w of workers) {
    w.removeAllListeners('message');
    w.removeAllListeners('error');
    w.removeAllListeners('exit');
  }
  // A feed left part-read (a bad record stopped the run) is closed: its reader may hold a decoding
  // thread or a stream that would keep the process alive.
  if (!exhausted) {
    try {
      await feed.return?.(undefined);
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure) {
    await discard(workers);
    throw failure;
  }
  return workers;
}

/**
 * Threads kept between passes (and runs), so clean starts them once: leased for a pass, given back
 * unreferenced (they do not keep the process alive), discarded after a failure.
 */
const idleThreads: Worker[] = [];
/** Threads that learned from more than this with a table that does not spill early are not kept for pass 2. */
const REUSE_MAX_BYTES = 256 * 1024 * 1024;

function lease(n: number): Worker[] {
  const ws = idleThreads.splice(0, n);
  ws.push(...takePrestarted(n - ws.length));
  while (ws.length < n) ws.push(startThread());
  for (const w of ws) w.ref();
  return ws;
}

/** The worker threads of a pool (not its in-process worker). */
function threadsOf(ws: Thread[]): Worker[] {
  return ws.filter((w): w is Worker => w instanceof Worker);
}

function giveBack(ws: Worker[]): void {
  for (const w of ws) {
    w.removeAllListeners('message');
    w.removeAllListeners('error');
    w.removeAllListeners('exit');
    w.unref();
    idleThreads.push(w);
  }
}

async function discard(ws: Thread[]): Promise<void> {
  // Threads still busy may fail too before they stop: their errors are no longer anyone's to report.
  for (const w of ws) {
    w.removeAllListeners();
    w.on('error', () => {});
  }
  await Promise.all(ws.map((w) => w.terminate()));
}

function badError(b: ChunkBad, file: string, line: number): BoilerstripError {
  return new BoilerstripError(b.code as ErrorCode, b.message, { file, line });
}

/**
 * Bytes of JSONL a distinct counting key takes, about: the generated 300 MB bench crawl gives one a 152
 * bytes, its crawl of mostly unique lines one a 103. A table sized from this holds a thread's share of
 * either without doubling more than once.
 */
export const JSONL_BYTES_PER_KEY = 128;

/**
 * Pass 1 over sources, added into `model`: their JSONL chunks (feedChunks), or the chunks `feed` gives
 * (recordChunks: records the main thread read), on `threads` workers (1: the main thread).
 */
export async function learnChunks(
  model: Model,
  sources: InputSource[],
  opts: RunOptions,
  threads: number,
  tick: (records: number, chars: number) => void,
  cache?: { dir: string; blocks: BlockAt[]; fail: (why: string) => void },
  feed?: AsyncGenerator<Chunk>,
  spill?: { dir: string; from: number; lastCounts?: boolean },
  onRejected?: (r: BadRecord[], lines: string[]) => Promise<void>,
): Promise<void> {
  let fileLines = 0;
  let lastFile = -1;
  // The memory budget is shared: each thread's table gets its part of --max-memory, the main thread's (the
  // run's model, which the in-process worker counts into) too until the others' tables are added to it.
  const budget = opts.maxMemory ?? 512 * 1024 * 1024;
  const local = threads <= 1;
  const share = Math.max(Math.min(budget, 16 << 20), Math.floor(budget / threads));
  const perThread = { ...portable(opts), maxMemory: share };
  // Each thread's table starts at the size its share of the input is expected to need (Counter64.expect).
  const expect = feed === undefined ? Math.round(jsonlBytesOf(sources) / threads / JSONL_BYTES_PER_KEY) : 0;
  // (Given back before the threads' tables are added, or when the pass fails: a sum served by `serve` lives on.)
  const wholeBudget = local ? (): void => {} : model.counter.shareBudget(share);
  let bytes = 0;
  const threadsUsed: Thread[] = [new LocalThread({ model }), ...lease(threads - 1)];
  const workers = await runChunks({ mode: 'learn', opts: perThread, cacheDir: cache?.dir, spill, rejects: onRejected !== undefined, expect }, feed ?? feedChunks(sources, opts), threadsUsed, async (r, c) => {
    if (cache && r.side) cache.blocks[c.index] = r.side;
    if (cache && r.sideError) cache.fail(r.sideError);
    bytes += c.end - c.start;
    if (c.fileIndex !== lastFile) {
      fileLines = 0;
      lastFile = c.fileIndex;
    }
    fileLines += r.lines;
    if (r.bad) throw badError(r.bad, c.label, fileLines - r.lines + r.bad.line);
    if (onRejected && r.rejected && r.rejected.length > 0) {
      const base = fileLines - r.lines;
      const rej = r.rejected.map((b) => ({ ...b, line: b.line + base }));
      await onRejected(rej, rej.map((b) => rejectLine(b.raw !== null ? b.raw + '\n' : { file: b.file, line: b.line, code: b.code, error: b.message }, 0)));
    }
    tick(r.records ?? 0, r.chars ?? 0);
    return true;
  }).catch((e: unknown) => {
    wholeBudget();
    throw e;
  });
  // Collect each thread's model. Threads that are not kept for pass 2 stop as soon as their table has
  // moved here (their heaps go with them), and the main table is sized once for all the tables before they
  // are added one at a time, each released once added: at 3 GB with 2 threads this took the peak of the
  // run from ~970 to ~770 MB.
  // (A table that spills from SPILL_FROM on stays small, and so does the heap of its thread: kept at any
  // size, which saved 3-11% of the CPU of clean --threads 2 on 0.3 and 1.2 GB for +15-45 MB of peak RSS.)
  const reuse = bytes < REUSE_MAX_BYTES || (spill !== undefined && Number.isFinite(spill.from));
  const parts: (ModelParts | null)[] = [];
  try {
    for (const w of workers) {
      const f = await new Promise<{ parts: ModelParts | null }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code: number) => reject(new Error(`a worker thread stopped (exit code ${code})`)));
        w.postMessage({ type: 'finish' });
      });
      w.removeAllListeners('error');
      w.removeAllListeners('exit');
      if (f.parts !== null) parts.push(f.parts);
      if (!reuse && !(w instanceof LocalThread)) await discard([w]);
    }
  } catch (e) {
    wholeBudget();
    await discard(workers);
    throw e;
  }
  // The in-process worker counted into `model` itself.
  if (local) return;
  wholeBudget();
  // Keeping the threads saves their start-up and warm-up for pass 2; after a large pass 1 with a table
  // that grew to the budget their heaps are large too, and fresh threads keep the peak lower.
  if (reuse) giveBack(threadsOf(workers));
  if (spill !== undefined) model.enableSpill(spill.dir, 'merge', spill.from);
  // A final model (clean's) keeps only units of 2+ documents for pass 2 (Model.compactBelow): when these
  // are its last counts (`lastCounts`: the last group of sources) and every count is in these tables, the
  // table is compacted as they are added, not grown for units that would be dropped after.
  const lastCounts = spill?.lastCounts === true && model.canSkipSingles(parts);
  // Pass 2's threads will read this table: it is made (or grown) in shared memory, not copied there then.
  if (!lastCounts) model.counter.useSharedMemory();
  model.addParts(parts, lastCounts, true);
}

/** Chunks with the blocks pass 1 wrote for them (same chunks: the cuts depend only on the bytes). */
async function* withCache(feed: AsyncGenerator<Chunk>, blocks: BlockAt[] | undefined): AsyncGenerator<Chunk> {
  for await (const c of feed) yield blocks?.[c.index] ? { ...c, side: blocks[c.index] } : c;
}

/**
 * Pass 2 over sources (their JSONL chunks, or the chunks `feed` gives) on `threads` workers (1: the main
 * thread); output handed to `emit` in input order: bytes, or with `rows` (a row sink, one thread) records.
 */
export async function stripChunks(
  model: Model,
  sources: InputSource[],
  opts: RunOptions,
  threads: number,
  stats: RunStats,
  emit: (out: Buffer | null, rejects: string[], attrs?: [string, string][], rows?: CleanRow[]) => Promise<void>,
  tick: () => void,
  cached?: BlockAt[],
  feed?: AsyncGenerator<Chunk>,
  rows = false,
): Promise<void> {
  const local = threads <= 1;
  if (rows && !local) throw new BoilerstripError('E_INTERNAL', 'rows are written from one thread');
  let init: WorkerInit = { mode: 'strip', opts: portable(opts), rows };
  if (!local) {
    // The table moves into shared memory (and the model reads it from there): one copy, not two.
    const counter = model.counter.toShared();
    model.useCounter(Counter64.fromShared(counter), model.counter.prune);
    init = { ...init, shared: { params: model.params, counter, sites: [...model.sites].map(([n, s]) => [n, s.docs] as [string, number]), docs: model.docs } };
  }
  let fileLines = 0;
  let lastFile = -1;
  const workers = await runChunks(init, withCache(feed ?? feedChunks(sources, opts), cached), [new LocalThread({ model }) as Thread, ...(lease(threads - 1) as Thread[])], async (r, c) => {
    if (c.fileIndex !== lastFile) {
      fileLines = 0;
      lastFile = c.fileIndex;
    }
    const base = fileLines;
    fileLines += r.lines;
    if (r.stats) stats.absorb(r.stats, base, r.units);
    await emit(r.out && r.out.byteLength > 0 ? Buffer.from(r.out) : null, (r.rejects ?? []).map((x) => rejectLine(x, base)), r.attrs, r.rows);
    if (r.bad) throw badError(r.bad, c.label, base + r.bad.line);
    tick();
    return true;
  });
  if (!local) giveBack(threadsOf(workers));
}
