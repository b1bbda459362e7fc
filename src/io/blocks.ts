/**
 * Bytes to decoded text blocks that end at a newline, with the source line number of their first line.
 *
 * Decoding Arabic UTF-8 with V8's decoder caps the whole pipeline at ~160 MB/s; transcoding to UTF-16
 * first and slicing that is ~4x faster (perf-notes.md). transcode throws on invalid UTF-8, so such a
 * block falls back to the ordinary decoder (which writes U+FFFD) and is flagged. Mostly-ASCII blocks
 * take the ordinary decoder, which is faster on them.
 */
import { transcode } from 'node:buffer';

export interface TextBlock {
  kind: 'text';
  text: string;
  /** 1-based source line of the block's first line. */
  firstLine: number;
  /** The bytes were not valid UTF-8: invalid sequences became U+FFFD. */
  invalidUtf8: boolean;
}

export interface OversizeBlock {
  kind: 'oversize';
  /** The line that exceeded the limit. */
  line: number;
  /** Bytes seen of it before it was dropped (at least the limit). */
  bytes: number;
}

export type Block = TextBlock | OversizeBlock;

export interface BlockOptions {
  /** Where the bytes come from, for messages. */
  file: string;
  /** Target block size in bytes. */
  blockBytes?: number;
  /** A line longer than this is reported as an OversizeBlock and skipped, never buffered whole. */
  maxLineBytes?: number;
}

/** Decode UTF-8: transcode for mostly non-ASCII bytes (4x faster on Arabic), V8's decoder otherwise. */
export function decode(buf: Buffer): { text: string; invalid: boolean } {
  if (mostlyAscii(buf)) {
    const text = buf.toString('utf8');
    return { text, invalid: text.includes('\ufffd') && !Buffer.from(text, 'utf8').equals(buf) };
  }
  try {
    return { text: transcode(buf, 'utf8', 'ucs2').toString('ucs2'), invalid: false };
  } catch {
    return { text: buf.toString('utf8'), invalid: true };
  }
}

/** Fewer than 1 byte in 8 of the first 4 KB is non-ASCII: V8's decoder is the faster there. */
export function mostlyAscii(buf: Buffer): boolean {
  let high = 0;
  const probe = Math.min(buf.length, 4096);
  for (let i = 0; i < probe; i++) if (buf[i]! >= 0x80) high++;
  return high * 8 < probe;
}

const NON_LATIN1 = /[^\u0000-\u00ff]/;

/**
 * Encode UTF-8. V8's encoder is fast on one-byte strings but about 200 MB/s on two-byte ones (Arabic);
 * copying the UTF-16 out and transcoding it is several times faster there. transcode refuses lone
 * surrogates, which V8 writes as U+FFFD: those strings take V8's path, so the bytes are the same.
 */
export function encode(s: string): Buffer {
  if (s.length < 4096 || !NON_LATIN1.test(s)) return Buffer.from(s, 'utf8');
  try {
    return transcode(Buffer.from(s, 'ucs2'), 'ucs2', 'utf8');
  } catch {
    return Buffer.from(s, 'utf8');
  }
}

/** Characters a piece of LineEncoder joins at most: a string under V8's large-object size (64K two-byte characters). */
const PIECE_CHARS = 32 * 1024;

/**
 * UTF-8 of strings pushed one after another, as encode would give their concatenation, without a string
 * of them all: joined and encoded in pieces of at most PIECE_CHARS (a longer string goes alone). A chunk's
 * output joined whole (~1.4 MB as UTF-16) went to V8's large-object space, kept until a full collection;
 * and a chunk's output lines kept to the end outlived the young generation's collections.
 */
export class LineEncoder {
  private readonly parts: Buffer[] = [];
  private total = 0;
  private pending: string[] = [];
  private chars = 0;

  push(s: string): void {
    if (this.chars + s.length > PIECE_CHARS && this.pending.length > 0) this.flush();
    this.pending.push(s);
    this.chars += s.length;
  }

  private flush(): void {
    const p = this.pending;
    const b = encode(p.length === 1 ? p[0]! : p.join(''));
    this.parts.push(b);
    this.total += b.length;
    this.pending = [];
    this.chars = 0;
  }

  /** The bytes of everything pushed. */
  finish(): Buffer {
    if (this.pending.length > 0) this.flush();
    const parts = this.parts;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.total);
  }
}

/** Newlines in buf[from, to). */
export function countNewlines(buf: Uint8Array, from = 0, to = buf.length): number {
  let n = 0;
  let i = buf.indexOf(10, from);
  while (i >= 0 && i < to) {
    n++;
    i = buf.indexOf(10, i + 1);
  }
  return n;
}

/** Split a byte stream into newline-terminated decoded blocks. The last block may lack its newline. */
export async function* textBlocks(chunks: AsyncIterable<Buffer | Uint8Array | string>, opts: BlockOptions): AsyncGenerator<Block> {
  const blockBytes = opts.blockBytes ?? 4 * 1024 * 1024;
  const maxLine = opts.maxLineBytes ?? Number.POSITIVE_INFINITY;
  let parts: Buffer[] = [];
  let size = 0;
  let line = 1;
  let first = true;
  /** Bytes of the current (unterminated) line already seen, for the size guard. */
  let skipping = false;
  let skipBytes = 0;

  function* flush(final: boolean): Generator<Block> {
    if (size === 0) return;
    let buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    parts = [];
    size = 0;
    if (first) {
      first = false;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    if (skipping) {
      const nl = buf.indexOf(10);
      if (nl < 0) {
        skipBytes += buf.length;
        return;
      }
      skipping = false;
      yield { kind: 'oversize', line, bytes: skipBytes + nl };
      line++;
      buf = buf.subarray(nl + 1);
    }
    const cut = final ? buf.length : buf.lastIndexOf(10) + 1;
    const head = buf.subarray(0, cut);
    const rest = buf.subarray(cut);
    if (head.length > 0) {
      // Any line inside head longer than the limit is reported and cut out.
      let from = 0;
      if (Number.isFinite(maxLine)) {
        let nl = head.indexOf(10);
        let start = 0;
        while (start < head.length) {
          const end = nl < 0 ? head.length : nl;
          if (end - start > maxLine) {
            const l = line + countNewlines(head, from, start);
            if (start > from) {
              const d = decode(head.subarray(from, start));
              yield { kind: 'text', text: d.text, firstLine: line + countNewlines(head, 0, from), invalidUtf8: d.invalid };
            }
            yield { kind: 'oversize', line: l, bytes: end - start };
            from = Math.min(head.length, end + 1);
          }
          if (nl < 0) break;
          start = nl + 1;
          nl = head.indexOf(10, start);
        }
      }
      if (from < head.length) {
        const d = decode(head.subarray(from));
        yield { kind: 'text', text: d.text, firstLine: line + countNewlines(head, 0, from), invalidUtf8: d.invalid };
      }
      line += countNewlines(head);
    }
    if (rest.length > 0) {
      if (rest.length > maxLine) {
        skipping = true;
        skipBytes = rest.length;
      } else {
        parts.push(Buffer.from(rest));
        size = rest.length;
      }
    }
  }

  for await (const chunk of chunks) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (b.length === 0) continue;
    parts.push(b);
    size += b.length;
    if (size >= blockBytes || (size > maxLine && !skipping) || skipping) yield* flush(false);
  }
  if (skipping) {
    yield { kind: 'oversize', line, bytes: skipBytes };
    return;
  }
  yield* flush(true);
}
