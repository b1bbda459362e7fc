/**
 * Worker threads started before the command line's modules load. A thread takes ~0.3 s to become ready
 * (Node's start and the module graph of chunk-work.ts), and the main thread spends about as long loading its
 * own before pass 1 asks for threads: started at the very start (bin/boilerstrip), they are ready when the
 * pool leases them (pool.ts lease), and the second core does not sit out the first 0.4 s of the run.
 *
 * Only a guess from the command line, before yargs has read it: threadsFor (run.ts) decides how many threads
 * a run takes, once the inputs are sniffed; a prestarted thread it does not take is unref'd, so it never
 * keeps the process alive, and ends with it. The guess is the one threadsFor makes for JSONL: `--threads N`,
 * else the number of cores when the command's arguments name JSONL files (by their names) of 64 MB or more
 * (compressed counted 4x). This module imports nothing of the pipeline, so that it loads at once.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { COMPRESSED_GUESS, defaultThreads, THREADS_MIN_BYTES } from './threads.js';

/** The commands that run the pipeline, and so take threads. */
const COMMANDS = new Set(['clean', 'learn', 'strip']);
/**
 * Names of JSONL (threadsFor counts JSONL only: WARC, Parquet, HTML files and JSON arrays, which `.json` files
 * mostly are, go to one thread unless asked).
 */
const JSONL_NAME = /\.(jsonl|ndjson|jl)(\.gz|\.zst)?$/i;

/** Prestarted threads not yet leased. */
const waiting: Worker[] = [];

/**
 * The threads a command line will likely take, beside the main thread (0: none): `size(path)` is a file's
 * size, or -1 when it is not a regular file.
 */
export function prestartCount(argv: readonly string[], size: (path: string) => number, cores = defaultThreads()): number {
  if (!COMMANDS.has(argv[0] ?? '')) return 0;
  let bytes = 0;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--threads(?:=(.*))?$/.exec(a);
    if (m !== null) {
      const n = Number(m[1] ?? argv[i + 1]);
      return Number.isInteger(n) && n >= 1 && n <= 256 ? n - 1 : 0;
    }
    if (a.startsWith('-') || !JSONL_NAME.test(a)) continue;
    const s = size(a);
    if (s > 0) bytes += /\.(gz|zst)$/i.test(a) ? COMPRESSED_GUESS * s : s;
  }
  return bytes >= THREADS_MIN_BYTES ? cores - 1 : 0;
}

function fileSize(p: string): number {
  try {
    const st = fs.statSync(p);
    return st.isFile() ? st.size : -1;
  } catch {
    return -1;
  }
}

/** Start the threads `argv` (the command line after the program) will likely take. */
export function prestartThreads(argv: readonly string[]): void {
  const n = prestartCount(argv, fileSize);
  for (let i = 0; i < n; i++) {
    const w = startThread();
    w.unref();
    // (A thread that fails to start is dropped: the pool starts its own.)
    w.once('error', () => {
      const k = waiting.indexOf(w);
      if (k >= 0) waiting.splice(k, 1);
    });
    waiting.push(w);
  }
}

/** A new worker thread (worker.ts: chunk-work.ts on the chunks the pool sends). */
export function startThread(): Worker {
  return new Worker(new URL('./worker.js', import.meta.url));
}

/** Up to `n` prestarted threads, taken from the waiting ones (the pool refs them). */
export function takePrestarted(n: number): Worker[] {
  const ws = waiting.splice(0, n);
  for (const w of ws) w.removeAllListeners('error');
  return ws;
}
