/**
 * Chunks of plain JSONL files for worker threads: byte ranges that start and end at line boundaries.
 * Chunks are numbered in file order; results are combined in that order, so the output never depends
 * on which thread finished first.
 */
import fs from 'node:fs';
import { sourceBytes, warcAsJsonl, type InputSource, type ReadOptions } from '../io/input.js';
import type { BlockAt } from '../side.js';

export interface Chunk {
  /** The chunk's bytes, when they come from a stream (gzip, stdin) rather than a file range. */
  bytes?: Buffer;
  /** Global index, in input order. */
  index: number;
  /** Index of the file among the group's sources. */
  fileIndex: number;
  file: string;
  /** Name shown in messages. */
  label: string;
  start: number;
  end: number;
  /** Pass 2 of clean: the chunk's analyses from pass 1 (see side.ts). */
  side?: BlockAt;
  /**
   * A streamed line over --max-doc-bytes, read past and never held: the chunk is that one line, its
   * bytes dropped (`bytes` is a lone newline) and this many counted. The thread rejects it as a record.
   */
  oversize?: number;
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
  if (c.bytes) return c.start === 0 && c.bytes.length >= 3 && c.bytes[0] === 0xef && c.bytes[1] === 0xbb && c.bytes[2] === 0xbf ? c.bytes.subarray(3) : c.bytes;
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

const NEWLINE = Buffer.from('\n');

/**
 * Chunks of a byte stream (gzip or stdin): the same cuts planChunks makes on a file, at the first newline
 * at or after every chunkBytes of (decompressed) content, so they are the same however the stream arrives.
 */
async function* streamChunks(src: InputSource, fileIndex: number, firstIndex: number, opts: ReadOptions = {}, chunkBytes = CHUNK_BYTES): AsyncGenerator<Chunk> {
  let buf: Buffer = Buffer.alloc(0);
  let start = 0; // absolute offset of buf[0]
  let index = firstIndex;
  const label = src.display ?? src.name;
  let searchFrom = 0;
  const max = opts.maxDocBytes ?? Number.POSITIVE_INFINITY;
  // Bytes of a line over max read past so far (-1: not in one).
  let skipped = -1;
  for await (const b of src.format === 'warc' ? warcAsJsonl(src, opts) : sourceBytes(src, opts)) {
    if (skipped >= 0) {
      const nl = b.indexOf(10);
      if (nl < 0) {
        skipped += b.length;
        continue;
      }
      skipped += nl;
      yield { index: index++, fileIndex, file: src.name, label, start, end: start + skipped + 1, bytes: NEWLINE, oversize: skipped };
      start += skipped + 1;
      skipped = -1;
      buf = b.subarray(nl + 1);
      searchFrom = 0;
    } else buf = buf.length === 0 ? b : Buffer.concat([buf, b]);
    while (buf.length > chunkBytes) {
      const nl = buf.indexOf(10, Math.max(chunkBytes, searchFrom));
      if (nl < 0) {
        searchFrom = buf.length;
        // A line longer than max is never held whole: what ends before it goes as a chunk, it is read past.
        const last = buf.lastIndexOf(10);
        if (buf.length - (last + 1) > max) {
          if (last >= 0) {
            const head = buf.subarray(0, last + 1);
            yield { index: index++, fileIndex, file: src.name, label, start, end: start + head.length, bytes: head };
            start += head.length;
          }
          skipped = buf.length - (last + 1);
          buf = Buffer.alloc(0);
          searchFrom = 0;
        }
        break;
      }
      const bytes = buf.subarray(0, nl + 1);
      yield { index: index++, fileIndex, file: src.name, label, start, end: start + bytes.length, bytes };
      start += bytes.length;
      buf = buf.subarray(nl + 1);
      searchFrom = 0;
    }
  }
  if (skipped >= 0) {
    yield { index: index++, fileIndex, file: src.name, label, start, end: start + skipped, bytes: NEWLINE, oversize: skipped };
    return;
  }
  if (buf.length > 0) yield { index: index++, fileIndex, file: src.name, label, start, end: start + buf.length, bytes: buf };
}

/**
 * Chunks of every source in order: file ranges for plain files, streamed chunks for gzip, stdin and WARC
 * (whose records the main thread turns into JSONL lines: warcAsJsonl).
 */
export async function* feedChunks(sources: InputSource[], opts: ReadOptions = {}): AsyncGenerator<Chunk> {
  let index = 0;
  for (let f = 0; f < sources.length; f++) {
    const src = sources[f]!;
    if (!src.gzip && src.name !== '-' && src.format !== 'warc') {
      for (const c of planChunks([src])) {
        opts.onBytes?.(c.end - c.start);
        yield { ...c, index: index++, fileIndex: f };
      }
    } else {
      for await (const c of streamChunks(src, f, index, opts)) {
        index = c.index + 1;
        yield c;
      }
    }
  }
}
