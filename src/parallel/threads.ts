import os from 'node:os';

/** The number of cores this process may use. */
export function defaultThreads(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

/** Below this much splittable input, starting threads costs more than it saves (run.ts threadsFor; prestart.ts guesses the same). */
export const THREADS_MIN_BYTES = 64 * 1024 * 1024;

/** A compressed input's size is guessed at this many times its size on disk (gzip or zstd JSONL). */
export const COMPRESSED_GUESS = 4;
