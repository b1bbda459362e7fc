/**
 * The analysis cache of `clean`. Pass 1 analyzes every document (lines, hashes, chain segments, template
 * keys) to count it; pass 2 needs the same analysis to judge and rebuild the document. Instead of
 * analyzing the text a second time, pass 1 writes each analysis to a temporary file and pass 2 reads it
 * back: a third of pass 2's work becomes a sequential read. The file takes about a quarter of the input's
 * size (7 words a line), two thirds for HTML pages (their blocks and text: 73 MB for 110 MB of Dragnet's
 * pages); `clean` skips the cache when the temporary directory lacks the room, and gives it up when a
 * write fails.
 *
 * Layout: blocks of records. A block is a run of records written at once (a worker thread's chunk, or
 * about 4 MB of the main thread's documents); each block is preceded by its length in words. A record is
 *   [words, text length, lines, segments, extras, duplicate fingerprints (2 x FP_BANDS), their lines (2 x FP_BANDS)]
 *   lines    x [end - start, h1, h2, normalized length, tokens, segments, extras | terminator << 16 | ellipsis << 20]
 *   segments x [start, end, h1, h2, normalized length]
 *   extras   x [kind, h1, h2]
 * Records of another kind (`other`: their size negated, so the two kinds tell apart) hold what a caller
 * writes: an HTML page's blocks before its analysis (html/page-cache.ts), so pass 2 does not parse the page
 * again.
 * Records are read back in the order they were written, by the same reading of the same input; the text
 * length (and a page's HTML length) is checked on every record, so a cache out of step with its input fails
 * loudly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Analysis, FP_BANDS } from './analyze.js';
import { BoilerstripError } from './errors.js';
import { tempFiles, tempPrefix } from './io/temp.js';

const HEAD = 5 + 4 * FP_BANDS;
const LINE = 7;
const SEG = 5;
const EXTRA = 3;
/** Collects records; the caller takes them as one block (written to a file from where they are, or copied). */
export class SideWriter {
  /** Word 0 is kept for the block's length word, the records follow. */
  private w = new Int32Array(1 << 16);
  /** The bytes of `w` (strings are written through it). */
  private bytes = Buffer.from(this.w.buffer);
  private n = 1;

  get words(): number {
    return this.n - 1;
  }

  /** Room for `size` more words. */
  private room(size: number): void {
    if (this.n + size <= this.w.length) return;
    let cap = this.w.length * 2;
    while (cap < this.n + size) cap *= 2;
    const b = new Int32Array(cap);
    b.set(this.w.subarray(0, this.n));
    this.w = b;
    this.bytes = Buffer.from(b.buffer);
  }

  /**
   * Room for a record of another kind (html/page-cache.ts: a page's blocks) of `size` words: its place in
   * `words`, whose word there the writer sets to -size (its kind's mark). The caller fills the rest through
   * `words` and `bytes`, then calls `end`.
   */
  other(size: number): number {
    this.room(size);
    const p = this.n;
    this.w[p] = -size;
    this.n = p + size;
    return p;
  }

  /** The writer's words (valid until the next `other` or `add`, which may grow them). */
  get words32(): Int32Array {
    return this.w;
  }

  /** The bytes of words32. */
  get bytes8(): Buffer {
    return this.bytes;
  }

  /** Append the analysis of a document (valid until the next analyze). */
  add(a: Analysis): void {
    const nL = a.nLines;
    const nS = a.nSegs;
    const nX = a.nExtra;
    const size = HEAD + nL * LINE + nS * SEG + nX * EXTRA;
    this.room(size);
    const w = this.w;
    let p = this.n;
    w[p] = size;
    w[p + 1] = a.text.length;
    w[p + 2] = nL;
    w[p + 3] = nS;
    w[p + 4] = nX;
    w.set(a.fp, p + 5);
    w.set(a.fpLine, p + 5 + 2 * FP_BANDS);
    p += HEAD;
    const start = a.lineStart;
    const end = a.lineEnd;
    const next = a.lineNext;
    const h1 = a.lineH1;
    const h2 = a.lineH2;
    const len = a.lineLen;
    const tok = a.lineTok;
    const segN = a.lineSegN;
    const xN = a.lineXN;
    const ell = a.lineEll;
    for (let i = 0; i < nL; i++) {
      w[p] = end[i]! - start[i]!;
      w[p + 1] = h1[i]!;
      w[p + 2] = h2[i]!;
      w[p + 3] = len[i]!;
      w[p + 4] = tok[i]!;
      w[p + 5] = segN[i]!;
      w[p + 6] = xN[i]! | ((next[i]! - end[i]!) << 16) | (ell[i]! << 20);
      p += LINE;
    }
    const ss = a.segStart;
    const se = a.segEnd;
    const sh1 = a.segH1;
    const sh2 = a.segH2;
    const sl = a.segLen;
    for (let s = 0; s < nS; s++) {
      w[p] = ss[s]!;
      w[p + 1] = se[s]!;
      w[p + 2] = sh1[s]!;
      w[p + 3] = sh2[s]!;
      w[p + 4] = sl[s]!;
      p += SEG;
    }
    const xk = a.extraKind;
    const xh1 = a.extraH1;
    const xh2 = a.extraH2;
    for (let x = 0; x < nX; x++) {
      w[p] = xk[x]!;
      w[p + 1] = xh1[x]!;
      w[p + 2] = xh2[x]!;
      p += EXTRA;
    }
    this.n = p;
  }

  /** The records added since the last take, as one block (length word first); the writer starts over. */
  take(): Buffer {
    this.w[0] = this.n - 1;
    const out = Buffer.from(this.bytes.subarray(0, this.n * 4));
    this.n = 1;
    return out;
  }

  /**
   * The records added since the last take appended to `file` as one block, written from where they are (a
   * copy a chunk made garbage outside the heap that the collector let pile up: +130 MB peak on HTML pages).
   */
  appendTo(file: SideFile): BlockAt {
    this.w[0] = this.n - 1;
    const at = file.append(this.bytes.subarray(0, this.n * 4));
    this.n = 1;
    return at;
  }
}

/** Reads records back, one block at a time. */
export class SideReader {
  private w: Int32Array = new Int32Array(0);
  private p = 0;

  /**
   * @param nextBlock the next block's words (without its length word), or null at the end.
   * @param where names the input in errors.
   */
  constructor(
    private readonly nextBlock: () => Int32Array | null,
    private readonly where: string,
  ) {}

  /** A reader over blocks already in memory (their words, as readBlock or blockWords give them). */
  static over(blocks: Int32Array[], where: string): SideReader {
    let i = 0;
    return new SideReader(() => blocks[i++] ?? null, where);
  }

  /** The next record's place (a block read when the last one is done). */
  private record(): number {
    while (this.p >= this.w.length) {
      const b = this.nextBlock();
      if (b === null) throw this.stale('ended early');
      this.w = b;
      this.p = 0;
    }
    return this.p;
  }

  /**
   * The next record, which must be one of another kind (`what` names it for the error): its words and its
   * place in them (valid until the next record is read).
   */
  other(what: string): { w: Int32Array; p: number } {
    const p = this.record();
    const w = this.w;
    if (w[p]! >= 0) throw this.stale(`holds a text where the input has ${what}`);
    this.p = p - w[p]!;
    return { w, p };
  }

  /** Fill `a` with the next record, which must be the analysis of `text`. */
  next(text: string, a: Analysis): Analysis {
    let p = this.record();
    const w = this.w;
    if (w[p]! < 0) throw this.stale('holds another record (an HTML page) where the input has a text');
    if (w[p + 1] !== text.length) throw this.stale(`holds a text of ${w[p + 1]} code units where the input has ${text.length}`);
    const size = w[p]!;
    const nL = w[p + 2]!;
    const nS = w[p + 3]!;
    const nX = w[p + 4]!;
    this.p = p + size;
    // (Word by word, not subarray + set: two views a document cost more than the copy.)
    for (let k = 0; k < 2 * FP_BANDS; k++) {
      a.fp[k] = w[p + 5 + k]!;
      a.fpLine[k] = w[p + 5 + 2 * FP_BANDS + k]!;
    }
    p += HEAD;
    a.text = text;
    // The columns are written in place (one size check a document, not one a unit).
    a.reserve(nL, nS, nX);
    a.nLines = nL;
    a.nSegs = nS;
    a.nExtra = nX;
    const lineStart = a.lineStart;
    const lineEnd = a.lineEnd;
    const lineNext = a.lineNext;
    const lineH1 = a.lineH1;
    const lineH2 = a.lineH2;
    const lineLen = a.lineLen;
    const lineTok = a.lineTok;
    const lineEll = a.lineEll;
    const lineSeg0 = a.lineSeg0;
    const lineSegN = a.lineSegN;
    const lineX0 = a.lineX0;
    const lineXN = a.lineXN;
    let start = 0;
    let seg0 = 0;
    let x0 = 0;
    for (let i = 0; i < nL; i++, p += LINE) {
      const end = start + w[p]!;
      const packed = w[p + 6]!;
      const next = end + ((packed >>> 16) & 15);
      lineStart[i] = start;
      lineEnd[i] = end;
      lineNext[i] = next;
      lineH1[i] = w[p + 1]!;
      lineH2[i] = w[p + 2]!;
      lineLen[i] = w[p + 3]!;
      lineTok[i] = w[p + 4]!;
      lineEll[i] = (packed >>> 20) & 1;
      const segN = w[p + 5]!;
      lineSeg0[i] = seg0;
      lineSegN[i] = segN;
      seg0 += segN;
      const xN = packed & 0xffff;
      lineX0[i] = x0;
      lineXN[i] = xN;
      x0 += xN;
      start = next;
    }
    const segStart = a.segStart;
    const segEnd = a.segEnd;
    const segH1 = a.segH1;
    const segH2 = a.segH2;
    const segLen = a.segLen;
    for (let s = 0; s < nS; s++, p += SEG) {
      segStart[s] = w[p]!;
      segEnd[s] = w[p + 1]!;
      segH1[s] = w[p + 2]!;
      segH2[s] = w[p + 3]!;
      segLen[s] = w[p + 4]!;
    }
    const extraKind = a.extraKind;
    const extraH1 = a.extraH1;
    const extraH2 = a.extraH2;
    for (let x = 0; x < nX; x++, p += EXTRA) {
      extraKind[x] = w[p]!;
      extraH1[x] = w[p + 1]!;
      extraH2[x] = w[p + 2]!;
    }
    return a;
  }

  /** The error of a cache out of step with its input (`what` it holds where the input has something else). */
  stale(what: string): BoilerstripError {
    return new BoilerstripError('E_INTERNAL', `the analysis cache of pass 1 ${what}: the input changed between the passes (or this is a bug: rerun with --no-cache-analysis)`, { file: this.where });
  }
}

/** The words of a block as SideWriter.take returns it (length word dropped; aligned copy). */
export function blockWords(block: Buffer): Int32Array {
  return new Int32Array(block.buffer.slice(block.byteOffset, block.byteOffset + block.length)).subarray(1);
}

/** Read a block (length word included) at `off` of a cache file. */
let blockBuf = Buffer.alloc(0);

/**
 * Read a block (length word included) at `off` of a cache file, into this thread's one buffer (grown as
 * blocks need): the words are valid until the next readBlock, i.e. for the chunk being cleaned. (A fresh
 * buffer a chunk was garbage outside the heap, collected late.)
 */
export function readBlock(fd: number, off: number, bytes: number): Int32Array {
  // (Not from Buffer's pool: the Int32Array view needs an aligned offset, which an unpooled buffer has.)
  if (blockBuf.length < bytes) blockBuf = Buffer.allocUnsafeSlow(Math.max(bytes, 2 * blockBuf.length));
  const buf = blockBuf;
  let got = 0;
  while (got < bytes) {
    const n = fs.readSync(fd, buf, got, bytes - got, off + got);
    if (n === 0) break;
    got += n;
  }
  const words = new Int32Array(buf.buffer, buf.byteOffset, got >>> 2);
  return words.subarray(1, 1 + words[0]!);
}

/** Where a worker thread put a chunk's block. */
export interface BlockAt {
  file: string;
  off: number;
  bytes: number;
}

/** A file of blocks written in order (the main thread's, or one worker thread's). */
export class SideFile {
  private fd: number;
  private size = 0;
  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w+');
  }

  /** Append a block; returns where it went. */
  append(block: Buffer): BlockAt {
    const off = this.size;
    let done = 0;
    while (done < block.length) done += fs.writeSync(this.fd, block, done, block.length - done, off + done);
    this.size += block.length;
    return { file: this.file, off, bytes: block.length };
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * The cache of one clean run: a temporary directory with a file per worker (the main thread's too) and
 * pass, and where each chunk's block is. Removed by dispose (and on a signal).
 */
export class SideStore {
  readonly dir: string;
  /** Per source group: where each chunk's block is (in the files of the workers that wrote them). */
  readonly groups: { blocks: BlockAt[] }[] = [];

  /** Why the cache was given up (a write failed), or null. Pass 2 then analyzes every document again. */
  failed: string | null = null;

  constructor(tmpDir: string) {
    this.dir = fs.mkdtempSync(path.join(tmpDir, tempPrefix('cache')));
    tempFiles.add(this.dir);
  }

  fail(why: string): void {
    this.failed ??= why;
  }

  chunkBlocks(group: number): BlockAt[] {
    const blocks: BlockAt[] = [];
    this.groups[group] = { blocks };
    return blocks;
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
    tempFiles.delete(this.dir);
  }
}

/** Bytes the cache takes, at most, for this much input (JSONL bytes; gzip counted at 5x). */
function cacheBytesFor(inputBytes: number): number {
  return Math.ceil(inputBytes * 0.35);
}

/** Why the cache of this much input cannot go in `dir` (it needs twice the estimate and 256 MB to spare), or null. */
export function noRoomForCache(dir: string, inputBytes: number): string | null {
  const need = 2 * cacheBytesFor(inputBytes) + (256 << 20);
  try {
    const s = fs.statfsSync(dir);
    const free = s.bavail * s.bsize;
    return free >= need ? null : `${dir} has ${(free / 1e6).toFixed(0)} MB free, the cache wants ${(need / 1e6).toFixed(0)} MB (use --tmp-dir)`;
  } catch (e) {
    return `cannot use ${dir}: ${(e as Error).message}`;
  }
}
