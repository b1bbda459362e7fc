/**
 * Chunks of plain JSONL files for worker threads: byte ranges that start and end at line boundaries.
 * Chunks are numbered in file order; results are combined in that order, so the output never depends
 * on which thread finished first.
 */
import fs from 'node:fs';
import { readSources, sourceBytes, warcAsJsonl, type InputSource, type ReadItem, type ReadOptions } from '../io/input.js';
import type { BlockAt } from '../side.js';
import { COMPRESSED_GUESS } from './threads.js';

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
  /**
   * Records the main thread read (formats that cannot be cut by offset: JSON arrays, HTML and text files,
   * Parquet, WARC on one thread), with their files' line numbers; for the in-process worker only.
   */
  items?: ReadItem[];
  /** Pass 2 of clean: the chunk's analyses from pass 1 (see side.ts). */
  side?: BlockAt;
  /**
   * A streamed line over --max-doc-bytes, read past and never held: the chunk is that one line, its
   * bytes dropped (`bytes` is a lone newline) and this many counted. The thread rejects it as a record.
   */
  oversize?: number;
  /** In fail mode: the oversize line was not read to its end, `oversize` is what was read of it (streamChunks). */
  cut?: boolean;
}

const NEWLINE = Buffer.from('\n');

/** Bytes of JSONL the sources hold, as far as their sizes tell (compressed ones guessed, COMPRESSED_GUESS; stdin as 0). */
export function jsonlBytesOf(sources: readonly InputSource[]): number {
  let bytes = 0;
  for (const s of sources) if (s.format === 'jsonl' && s.bytes > 0) bytes += s.gzip ? s.bytes * COMPRESSED_GUESS : s.bytes;
  return bytes;
}

/** Chunk size; BOILERSTRIP_CHUNK_BYTES overrides it (tests use small chunks to cross many boundaries). */
export const CHUNK_BYTES = Number(process.env.BOILERSTRIP_CHUNK_BYTES) > 0 ? Number(process.env.BOILERSTRIP_CHUNK_BYTES) : 1024 * 1024;

/**
 * Cut each file near every `chunkBytes`, just after a newline. A line longer than both the chunk and
 * `maxLineBytes` (--max-doc-bytes) is never read whole: it becomes a chunk of its own that only says how
 * long it is (Chunk.oversize), and the worker rejects it as a record.
 */
export function planChunks(sources: InputSource[], chunkBytes = CHUNK_BYTES, maxLineBytes = Number.POSITIVE_INFINITY): Chunk[] {
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
        const label = src.display ?? src.name;
        if (end - start > chunkBytes && end - start > maxLineBytes) {
          // The cut moved past a line and the chunk is long enough to hold one over the limit: is it? (It
          // starts after the last newline of the chunk's first chunkBytes.) Without the size test every
          // chunk whose cut moved was read here once more: the planner read the whole input.
          const head = Buffer.allocUnsafe(chunkBytes);
          const got = fs.readSync(fd, head, 0, chunkBytes, start);
          const lineStart = start + head.subarray(0, got).lastIndexOf(10) + 1;
          const lineBytes = end - lineStart - (end < size || endsWithNewline(fd, end) ? 1 : 0);
          if (lineBytes > maxLineBytes) {
            if (lineStart > start) chunks.push({ index: chunks.length, fileIndex, file: src.name, label, start, end: lineStart });
            chunks.push({ index: chunks.length, fileIndex, file: src.name, label, start: lineStart, end, bytes: NEWLINE, oversize: lineBytes });
            start = end;
            continue;
          }
        }
        chunks.push({ index: chunks.length, fileIndex, file: src.name, label, start, end });
        start = end;
      }
    } finally {
      fs.closeSync(fd);
    }
  });
  return chunks;
}

/** Does the byte before `end` of the file hold a newline? */
function endsWithNewline(fd: number, end: number): boolean {
  const b = Buffer.alloc(1);
  return end > 0 && fs.readSync(fd, b, 0, 1, end - 1) === 1 && b[0] === 10;
}

/** A thread's read buffer, reused chunk after chunk. */
let scratch = Buffer.alloc(0);

/**
 * The bytes of a chunk, without a leading byte-order mark at the start of its file. Read into the
 * thread's buffer: valid until the next readChunk (a chunk's bytes live only while it is worked on).
 */
export function readChunk(c: Chunk, fd: number): Buffer {
  if (c.bytes) return c.start === 0 && c.bytes.length >= 3 && c.bytes[0] === 0xef && c.bytes[1] === 0xbb && c.bytes[2] === 0xbf ? c.bytes.subarray(3) : c.bytes;
  if (scratch.length < c.end - c.start) scratch = Buffer.allocUnsafeSlow(Math.max(c.end - c.start, 2 << 20));
  const buf = scratch.subarray(0, c.end - c.start);
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
  const skip = opts.onError === 'skip';
  // Bytes of a line over max read past so far (-1: not in one).
  let skipped = -1;
  // A line longer than a chunk at buf's end (its bytes there; -1: none): the pieces that go on with it without
  // a newline are held apart, joined to buf once a newline comes or it passes max. (Joined piece by piece,
  // the line was copied again with each: 30 s to reach a 64 MB --max-doc-bytes in a .gz of one line.)
  let longLine = -1;
  const more: Buffer[] = [];
  let moreBytes = 0;
  for await (const b of src.format === 'warc' ? warcAsJsonl(src, opts) : sourceBytes(src, opts)) {
    if (longLine >= 0 && b.indexOf(10) < 0 && longLine + moreBytes + b.length <= max) {
      more.push(b);
      moreBytes += b.length;
      continue;
    }
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
    } else {
      buf = buf.length === 0 ? b : Buffer.concat([buf, ...more, b]);
      more.length = 0;
      moreBytes = 0;
      longLine = -1;
    }
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
          // In fail mode the line stops the run: it is not read to its end for its size (a small .gz or .zst
          // can expand to gigabytes of one line), nor is anything after it.
          if (!skip) {
            yield { index: index++, fileIndex, file: src.name, label, start, end: start + skipped, bytes: NEWLINE, oversize: skipped, cut: true };
            return;
          }
        } else longLine = buf.length - (last + 1);
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
  if (more.length > 0) buf = Buffer.concat([buf, ...more]);
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
    // (A file whose lines end in CR alone is streamed: sourceBytes makes its CRs newlines.)
    if (!src.gzip && src.name !== '-' && src.format !== 'warc' && src.crLines !== true) {
      // A spooled .zst counts its compressed bytes, in proportion (they add up to its size exactly).
      const z = src.compressedBytes;
      const counted = z === undefined || src.bytes <= 0 ? (at: number): number => at : (at: number): number => Math.floor((at / src.bytes) * z);
      for (const c of planChunks([src], CHUNK_BYTES, opts.maxDocBytes)) {
        opts.onBytes?.(counted(c.end) - counted(c.start));
        yield { ...c, index: index++, fileIndex: f };
      }
    } else {
      for await (const c of streamChunks(src, f, index, opts)) {
        index = c.index + 1;
        yield c;
        // (A line cut in fail mode stops the run: no later source is read.)
        if (c.cut) return;
      }
    }
  }
}

/**
 * Chunks of records read on the main thread, one per batch a reader gives (a Parquet row group, 256
 * elements of a JSON array, a file), in order: the planner's chunks for the formats that cannot be cut by
 * offset. The same input gives the same chunks in both passes (pass 1's analyses are found by index).
 */
export async function* recordChunks(sources: InputSource[], opts: ReadOptions = {}): AsyncGenerator<Chunk> {
  let index = 0;
  let fileIndex = -1;
  for await (const items of readSources(sources, opts, () => fileIndex++)) {
    const src = sources[fileIndex]!;
    yield { index: index++, fileIndex, file: src.name, label: items[0]?.file ?? src.display ?? src.name, start: 0, end: 0, items };
  }
}
