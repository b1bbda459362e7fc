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
 * An HTML page's record (its size negated, so the two kinds tell apart) comes before its analysis: pass 2
 * takes the page's blocks from it instead of parsing the HTML again (two fifths of pass 2 on HTML pages).
 *   [-words, HTML length, blocks, text length, flags, paths]
 *   strings (title, lang, canonical, charset) x [length + 1 (0: none), code units two a word]
 *   paths    x [length, code units two a word]
 *   blocks   x [kind, depth, link chars, hints, table, path, chars, ancestors (ANCESTORS)]
 *   path hashes (4 x blocks: HtmlDoc.pathH), then the text's code units, two a word
 * Records are read back in the order they were written, by the same reading of the same input; the text
 * length (and a page's HTML length) is checked on every record, so a cache out of step with its input fails
 * loudly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Analysis, FP_BANDS } from './analyze.js';
import { BoilerstripError } from './errors.js';
import { ANCESTORS, type Block, type BlockKind, type HtmlPage } from './html/blocks.js';
import type { HtmlDoc } from './html/page.js';
import { tempFiles, tempPrefix } from './io/temp.js';

const HEAD = 5 + 4 * FP_BANDS;
const LINE = 7;
const SEG = 5;
const EXTRA = 3;
const PAGE_HEAD = 6;
const BLOCK = 7 + ANCESTORS;
const F_TRUNCATED = 1;
const KIND_NAMES: readonly BlockKind[] = ['paragraph', 'heading', 'item', 'cell', 'caption', 'quote', 'pre', 'title', 'other'];
const KIND_CODE = new Map(KIND_NAMES.map((k, i) => [k, i]));

/** Words a string of n code units takes (its length word included). */
function stringWords(n: number): number {
  return 1 + ((n + 1) >> 1);
}

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

  /** `s` at word p as its length (`plus`: + 1, so that 0 can mean none) and its code units; returns the next word. */
  private putString(p: number, s: string, plus: number): number {
    this.w[p] = s.length + plus;
    if (s.length > 0) this.bytes.write(s, (p + 1) * 4, 'utf16le');
    return p + stringWords(s.length);
  }

  /** Append an HTML page's blocks (`htmlLength`: the code units of the HTML it was parsed from). */
  addPage(doc: HtmlDoc, htmlLength: number): void {
    const page = doc.page;
    const bs = page.blocks;
    const n = bs.length;
    // Each distinct path once (the blocks of one element share its path: the last one is tried first).
    const pathIx = new Map<string, number>();
    const paths: string[] = [];
    const blockPath = new Int32Array(n);
    let last = '';
    let lastIx = -1;
    for (let i = 0; i < n; i++) {
      const path = bs[i]!.path;
      if (path !== last || lastIx < 0) {
        let ix = pathIx.get(path);
        if (ix === undefined) {
          ix = paths.length;
          pathIx.set(path, ix);
          paths.push(path);
        }
        last = path;
        lastIx = ix;
      }
      blockPath[i] = lastIx;
    }
    const opt = (s: string | undefined): number => (s === undefined ? 1 : stringWords(s.length));
    let size = PAGE_HEAD + stringWords(page.title.length) + opt(page.lang) + opt(page.canonical) + stringWords(page.charset.length);
    for (const path of paths) size += stringWords(path.length);
    size += n * BLOCK + 4 * n + ((doc.text.length + 1) >> 1);
    this.room(size);
    const w = this.w;
    let p = this.n;
    w[p] = -size;
    w[p + 1] = htmlLength;
    w[p + 2] = n;
    w[p + 3] = doc.text.length;
    w[p + 4] = page.truncated ? F_TRUNCATED : 0;
    w[p + 5] = paths.length;
    p += PAGE_HEAD;
    p = this.putString(p, page.title, 1);
    p = page.lang === undefined ? ((w[p] = 0), p + 1) : this.putString(p, page.lang, 1);
    p = page.canonical === undefined ? ((w[p] = 0), p + 1) : this.putString(p, page.canonical, 1);
    p = this.putString(p, page.charset, 1);
    for (const path of paths) p = this.putString(p, path, 0);
    for (let i = 0; i < n; i++, p += BLOCK) {
      const b = bs[i]!;
      w[p] = KIND_CODE.get(b.kind)!;
      w[p + 1] = b.depth;
      w[p + 2] = b.linkChars;
      w[p + 3] = b.hints;
      w[p + 4] = b.table;
      w[p + 5] = blockPath[i]!;
      w[p + 6] = b.chars;
      const anc = b.anc;
      for (let k = 0; k < ANCESTORS; k++) w[p + 7 + k] = anc[k]!;
    }
    w.set(doc.pathH, p);
    p += 4 * n;
    if (doc.text.length > 0) this.bytes.write(doc.text, p * 4, 'utf16le');
    this.n = p + ((doc.text.length + 1) >> 1);
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

  /** `n` code units at word p as a string. */
  private string(p: number, n: number): string {
    return n === 0 ? '' : Buffer.from(this.w.buffer, this.w.byteOffset + p * 4, n * 2).toString('utf16le');
  }

  /** The next record, which must be the blocks of a page parsed from `html`: the page as htmlDoc gave it. */
  page(html: string): HtmlDoc {
    let p = this.record();
    const w = this.w;
    if (w[p]! >= 0) throw this.stale('holds a text where the input has an HTML page');
    if (w[p + 1] !== html.length) throw this.stale(`holds a page of ${w[p + 1]} code units of HTML where the input has ${html.length}`);
    this.p = p - w[p]!;
    const n = w[p + 2]!;
    const textLength = w[p + 3]!;
    const flags = w[p + 4]!;
    const nPaths = w[p + 5]!;
    p += PAGE_HEAD;
    const opt = (): string | undefined => {
      const len = w[p]! - 1;
      const s = len < 0 ? undefined : this.string(p + 1, len);
      p += len < 0 ? 1 : stringWords(len);
      return s;
    };
    const title = opt()!;
    const lang = opt();
    const canonical = opt();
    const charset = opt()!;
    const paths: string[] = new Array<string>(nPaths);
    for (let k = 0; k < nPaths; k++) {
      paths[k] = this.string(p + 1, w[p]!);
      p += stringWords(w[p]!);
    }
    const blockAt = p;
    p += n * BLOCK;
    const pathH = w.slice(p, p + 4 * n);
    p += 4 * n;
    const text = this.string(p, textLength);
    const starts = new Int32Array(n + 1);
    const bw = w.slice(blockAt, blockAt + n * BLOCK);
    const blocks: Block[] = new Array<Block>(n);
    let pos = 0;
    for (let i = 0, q = 0; i < n; i++, q += BLOCK) {
      // (A block holds no newline: the text is the blocks joined by one.)
      const end = i + 1 < n ? text.indexOf('\n', pos) : textLength;
      starts[i] = pos;
      const ix = bw[q + 5]!;
      blocks[i] = {
        text: text.slice(pos, end),
        kind: KIND_NAMES[bw[q]!]!,
        path: paths[ix]!,
        pathHash: Int32Array.of(pathH[2 * i]!, pathH[2 * i + 1]!, pathH[2 * n + 2 * i]!, pathH[2 * n + 2 * i + 1]!),
        anc: bw.subarray(q + 7, q + 7 + ANCESTORS),
        linkChars: bw[q + 2]!,
        chars: bw[q + 6]!,
        depth: bw[q + 1]!,
        index: i,
        hints: bw[q + 3]!,
        table: bw[q + 4]!,
      };
      pos = end + 1;
    }
    starts[n] = pos;
    const pg: HtmlPage = { title, blocks, charset };
    if (lang !== undefined) pg.lang = lang;
    if (canonical !== undefined) pg.canonical = canonical;
    if ((flags & F_TRUNCATED) !== 0) pg.truncated = true;
    // (`distinct` is pass 1's, which counted it.)
    return { page: pg, text, starts, pathH, distinct: new Int32Array(0) };
  }

  /** Fill `a` with the next record, which must be the analysis of `text`. */
  next(text: string, a: Analysis): Analysis {
    let p = this.record();
    const w = this.w;
    if (w[p]! < 0) throw this.stale('holds an HTML page where the input has a text');
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

  private stale(what: string): BoilerstripError {
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
