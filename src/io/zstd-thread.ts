/**
 * A .zst file decompressed on a thread of its own while the caller works: both passes of `clean` read
 * the input, and on one thread decoding took a tenth of the run (bench/RESULTS.md). Same bytes and the
 * same ZstdError as zstd.ts's zstdDecompress on the main thread.
 */
import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { zstdDecompress, ZstdError } from './zstd.js';

const WORKER = new URL('./zstd-worker.js', import.meta.url);
/** The thread's script is there once built; run from the TypeScript sources (tests), decode in-process. */
const HAS_WORKER = existsSync(fileURLToPath(WORKER));

type Msg = { type: 'data'; buf: ArrayBuffer; read: number } | { type: 'end' } | { type: 'error'; message: string; zstd: boolean; truncated: boolean };

/** The file's decompressed bytes; `onRead` gets the compressed bytes read since the last piece. */
export async function* zstdFileInThread(file: string, onRead?: (n: number) => void): AsyncGenerator<Buffer> {
  let read = 0;
  if (!HAS_WORKER) {
    for await (const b of zstdDecompress(createReadStream(file, { highWaterMark: 1 << 20 }))) yield b;
    return;
  }
  const w = new Worker(WORKER, { workerData: { file } });
  const queue: Msg[] = [];
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  const signal = (): void => {
    const f = wake;
    wake = null;
    f?.();
  };
  w.on('message', (m: Msg) => {
    queue.push(m);
    signal();
  });
  w.on('error', (e) => {
    failure ??= e;
    signal();
  });
  w.on('exit', (code) => {
    if (code !== 0) failure ??= new Error(`the zstd thread stopped (exit code ${code})`);
    signal();
  });
  try {
    for (;;) {
      while (queue.length === 0 && failure === null) await new Promise<void>((r) => (wake = r));
      const m = queue.shift();
      if (m === undefined) throw failure!;
      if (m.type === 'end') return;
      if (m.type === 'error') throw m.zstd ? new ZstdError(m.message, m.truncated) : new Error(m.message);
      w.postMessage('ack');
      onRead?.(m.read - read);
      read = m.read;
      yield Buffer.from(m.buf);
    }
  } finally {
    void w.terminate();
  }
}
