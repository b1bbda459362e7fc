/**
 * A thread that decompresses one .zst file for zstd-thread.ts: it reads the file, decodes it (zstd.ts)
 * and posts the output in ~4 MB pieces (moved, not copied), at most a few ahead of what the reader took.
 */
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { zstdDecompress, ZstdError } from './zstd.js';

const port = parentPort!;
const AHEAD = 4;
const PIECE = 4 << 20;
let credit = AHEAD;
let wake: (() => void) | null = null;
port.on('message', () => {
  credit++;
  const w = wake;
  wake = null;
  w?.();
});

async function main(): Promise<void> {
  const parts: Buffer[] = [];
  let size = 0;
  const send = async (): Promise<void> => {
    if (size === 0) return;
    while (credit === 0) await new Promise<void>((r) => (wake = r));
    credit--;
    // (One copy: a piece of 4 MB gets an ArrayBuffer of its own, moved as it is.)
    const b = Buffer.concat(parts, size);
    parts.length = 0;
    size = 0;
    const ab = (b.byteOffset === 0 && b.buffer.byteLength === b.length ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.length)) as ArrayBuffer;
    port.postMessage({ type: 'data', buf: ab, read }, [ab]);
  };
  // Compressed bytes read so far (for progress).
  let read = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const c of createReadStream(workerData.file as string, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      read += c.length;
      yield c;
    }
  }
  try {
    for await (const out of zstdDecompress(counted())) {
      parts.push(out);
      size += out.length;
      if (size >= PIECE) await send();
    }
    await send();
    port.postMessage({ type: 'end' });
  } catch (e) {
    const z = e instanceof ZstdError;
    port.postMessage({ type: 'error', message: (e as Error).message, zstd: z, truncated: z && (e as ZstdError).truncated });
  }
}

void main();
