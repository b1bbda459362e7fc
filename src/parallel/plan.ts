/**
 * Chunks of plain JSONL files for worker threads: byte ranges that start and end at line boundaries.
 * Chunks are numbered in file order; results are combined in that order, so the output never depends
 * on which thread finished first.
 */
import fs from 'node:fs';
import type { InputSource } from '../io/input.js';

export interface Chunk {
  /** Global index, in input order. */
  index: number;
  /** Index of the file among the group's sources (the duplicate scope). */
  fileIndex: number;
  file: string;
  /** Name shown in messages. */
  label: string;
  start: number;
  end: number;
}

/** Chunk size; BOILERSTRIP_CHUNK_BYTES overrides it (tests use small chunks to cross many boundaries). */
export const CHUNK_BYTES = Number(process.env.BOILERSTRIP_CHUNK_BYTES) > 0 ? Number(process.env.BOILERSTRIP_CHUNK_BYTES) : 1024 * 1024;

/** Cut each file near every `chunkBytes`, just after a newline. */
export function planChunks(sources: InputSource[], chunkBytes = CHUNK_BYTES): Chunk[] {
  const chunks: Chunk[] = [];
  const probe = Buffer.alloc(1 << 16);
  sources.forEach((src, fileIndex) => {
    const fd = fs.openSync(src.name, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      let start = 0;
      while (start < size) {
        let end = Math.min(size, start + chunkBytes);
        // Move the cut forward to just after the next newline.
        while (end < size) {
          const n = fs.readSync(fd, probe, 0, probe.length, end);
          if (n === 0) {
            end = size;
            break;
          }
          const nl = probe.subarray(0, n).indexOf(10);
          if (nl >= 0) {
            end += nl + 1;
            break;
          }
          end += n;
        }
        chunks.push({ index: chunks.length, fileIndex, file: src.name, label: src.display ?? src.name, start, end });
        start = end;
      }
    } finally {
      fs.closeSync(fd);
    }
  });
  return chunks;
}

/** The bytes of a chunk, without a leading byte-order mark at the start of its file. */
export function readChunk(c: Chunk, fd: number): Buffer {
  const buf = Buffer.allocUnsafe(c.end - c.start);
  let off = 0;
  while (off < buf.length) {
    const n = fs.readSync(fd, buf, off, buf.length - off, c.start + off);
    if (n === 0) break;
    off += n;
  }
  const b = buf.subarray(0, off);
  return c.start === 0 && b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? b.subarray(3) : b;
}

/** Lines in a chunk (a final line without a newline counts). */
export function countLines(b: Buffer): number {
  let n = 0;
  let i = b.indexOf(10);
  while (i >= 0) {
    n++;
    i = b.indexOf(10, i + 1);
  }
  if (b.length > 0 && b[b.length - 1] !== 10) n++;
  return n;
}
