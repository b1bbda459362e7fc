/**
 * Worker threads started with the process, before the CLI loads its modules (bin/boilerstrip): a thread's
 * own start (its module loading and WebAssembly set-up, ~0.2 s) then runs beside the main thread's, not
 * after it. The pool takes these first (pool.ts lease). The number is a guess from the command line, as
 * run.ts threadsFor decides later from the resolved inputs: a run that needs fewer leaves them idle, and
 * idle threads are unreferenced (they do not keep the process alive). Only what a thread needs is imported.
 */
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { defaultThreads } from './threads.js';

/** Started and not yet leased, alive (a thread that fails or exits before its lease leaves the list). */
export const spareThreads: Worker[] = [];

/** Plain JSONL from which a run takes every core (run.ts THREADS_MIN_BYTES; gzip counts 4x its size). */
const MIN_BYTES = 64 * 1024 * 1024;

/** Start the worker threads `boilerstrip ARGS` will likely lease for its first pass. */
export function prespawn(args: readonly string[]): void {
  const n = likelyThreads(args) - 1;
  for (let i = 0; i < n; i++) {
    const w = new Worker(new URL('./worker.js', import.meta.url));
    const gone = (): void => {
      const k = spareThreads.indexOf(w);
      if (k >= 0) spareThreads.splice(k, 1);
    };
    // (A spare's failure is nobody's to report: the pool starts another.)
    w.once('error', gone);
    w.once('exit', gone);
    w.unref();
    spareThreads.push(w);
  }
}

/** Threads for clean, learn or strip over these arguments: --threads, else every core for 64 MB+ of JSONL files named. */
function likelyThreads(args: readonly string[]): number {
  if (!['clean', 'learn', 'strip'].includes(args[0] ?? '')) return 1;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--threads' || a.startsWith('--threads=')) {
      const v = Number(a === '--threads' ? args[i + 1] : a.slice('--threads='.length));
      return Number.isInteger(v) && v >= 1 && v <= 256 ? v : 1;
    }
  }
  let bytes = 0;
  for (const a of args.slice(1)) {
    if (!/\.(jsonl|ndjson)(\.gz)?$/i.test(a)) continue;
    try {
      const s = fs.statSync(a);
      if (s.isFile()) bytes += a.toLowerCase().endsWith('.gz') ? 4 * s.size : s.size;
    } catch {
      // (Not a file: the CLI will say so.)
    }
  }
  return bytes >= MIN_BYTES ? defaultThreads() : 1;
}
