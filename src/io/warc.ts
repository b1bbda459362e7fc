/**
 * WARC / WET records from a stream of (already decompressed) bytes.
 *
 * Why our own reader and not warcio (npm `warcio` 2.4.11, the maintained JS reader). Speed does not decide
 * it: bench/warc.ts on a 200 MB generated WARC (5,705 records, dragnet pages; 2-core shared VM, best of 3,
 * two runs) gives readWarc 664–908 MB/s against warcio's 473–525 on the plain file (1.4–1.7×, but single
 * rounds overlap), and on the per-record .warc.gz 302–353 MB/s against warcio's 99–106 (3×, warcio inflates
 * with pako), yet only 0.96–1.16× when warcio is fed the same natively gunzipped bytes, as a wrapper would.
 * Behaviour decides it. On the bad inputs of test/warc.test.ts warcio yields records for all of them: a
 * Content-Length that is too long swallows the next record into a body (or ends silently at EOF), one too
 * short is a console.warn and an empty body, a non-numeric one swallows the rest of the file, a garbled
 * version line or a non-WARC file passes, broken chunked encoding comes back raw, and a 48 kB gzip body
 * inflates to 50 MB with no limit (the table at the end of bench/warc.ts). A wrapper giving this API's
 * errors would have to re-frame every record on the bytes, dechunk and inflate itself, i.e. contain this
 * reader, plus warcio's 28 packages (pako, hash-wasm, tempy, yargs 17, …) for the header-line parsing.
 *
 * Framing (WARC 1.0/1.1 §4): `WARC/1.x CRLF`, header lines, CRLF, a block of exactly Content-Length bytes,
 * CRLF CRLF. The stream is parsed as Buffers: only the header block of each record (and of its HTTP
 * message) is decoded to a string. At most one record plus one read block is held; a record over
 * maxRecordBytes is never buffered (with onError 'skip' its bytes are read past and dropped).
 */
import { brotliDecompressSync, constants as zc, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { BoilerstripError } from '../errors.js';

export interface WarcRecord {
  /** WARC-Type: response, request, metadata, warcinfo, conversion, resource, revisit, … */
  type: string;
  /** WARC-Record-ID ('' when the record has none). */
  recordId: string;
  targetUri: string | undefined;
  /** WARC-Date as written. */
  date?: string;
  /** Every WARC header, names lower-cased; a repeated header's values are joined with ', '. */
  headers: Record<string, string>;
  /** The WARC Content-Type (application/http;msgtype=response, text/plain for WET, …). */
  contentType: string | undefined;
  /** Status code of a response record whose block is an HTTP message. */
  httpStatus?: number;
  /**
   * HTTP headers of request/response/revisit records with an HTTP block, names lower-cased. The page's
   * charset is the `charset` parameter of `content-type` here (see httpCharset); the caller decodes.
   */
  httpHeaders?: Record<string, string>;
  /**
   * The payload. Response records: the HTTP body, with chunked transfer-encoding and gzip/deflate/br
   * content-encoding undone. Other records (conversion/WET text, resource, metadata, …): the block.
   * Never larger than maxRecordBytes. A copy: holding it does not pin the reader's buffers.
   */
  body: Buffer;
  /** Byte offset of the record's `WARC/1.x` line in the decompressed stream. */
  offset: number;
  /** Record number in the file, from 1 (records dropped by skip or resync are numbered too). */
  index: number;
}

/** What went wrong with a record; also the key of WarcStats.skippedBy. */
export type WarcProblem =
  | 'version' // no `WARC/1.0` or `WARC/1.1` line where a record should start
  | 'header' // a header block that does not end, a header line without ':', a missing WARC-Type
  | 'length' // Content-Length missing, not a number, or lying (the block is not followed by CRLF CRLF and a record or EOF)
  | 'oversize' // Content-Length, or the decoded HTTP body, over maxRecordBytes
  | 'chunked' // HTTP chunked transfer-encoding that does not parse
  | 'encoding' // HTTP content-encoding that cannot be undone (corrupt, unsupported)
  | 'bomb'; // HTTP content-encoding that inflates past maxInflateRatio × its compressed size

/** Counts of a read; pass one in WarcReadOptions.stats and read it when the generator ends. */
export interface WarcStats {
  /** Records yielded. */
  records: number;
  /** Records dropped by onError 'skip' or by resync, by problem. */
  skipped: number;
  skippedBy: Partial<Record<WarcProblem, number>>;
  /** Times the reader scanned forward to the next record after a framing error (resync: true). */
  resyncs: number;
  /** Bytes of the (decompressed) stream consumed. */
  bytes: number;
}

export function newWarcStats(): WarcStats {
  return { records: 0, skipped: 0, skippedBy: {}, resyncs: 0, bytes: 0 };
}

export interface WarcReadOptions {
  /** Largest WARC block and largest decoded HTTP body, in bytes (default 64 MB). Larger: a 'oversize' problem. */
  maxRecordBytes?: number;
  /**
   * Decompression-bomb guard for HTTP content-encoding: inflating stops, with a 'bomb' problem, past this
   * many times the compressed size (default 100). Bodies up to 1 MB decoded are always allowed.
   */
  maxInflateRatio?: number;
  /**
   * A record whose payload cannot be had (oversize, broken chunked encoding, content-encoding that fails or
   * inflates too far): 'fail' throws (default); 'skip' drops the record, counts it in stats and calls onSkip.
   */
  onError?: 'fail' | 'skip';
  /**
   * Framing errors (a lying or bad Content-Length, a garbled version line or header block): false (default)
   * throws; true scans forward to the next `CRLF CRLF WARC/1.`, drops the record, and counts a resync. The
   * length is what delimits records, so a resync can in principle land on a WARC line inside a payload.
   */
  resync?: boolean;
  /** Filled in as the read goes. */
  stats?: WarcStats;
  /** Called with the error of every record dropped by skip or resync. */
  onSkip?: (err: WarcError) => void;
}

/** A WARC problem, located: `FILE: record N: what (field)`. Code E_WARC. */
export class WarcError extends BoilerstripError {
  readonly record: number;
  readonly offset: number;
  readonly problem: WarcProblem;
  constructor(problem: WarcProblem, message: string, where: { file: string; record: number; offset: number }) {
    super('E_WARC', `record ${where.record}: ${message}`, { file: where.file });
    this.name = 'WarcError';
    this.record = where.record;
    this.offset = where.offset;
    this.problem = problem;
  }
}

const FRAMING: ReadonlySet<WarcProblem> = new Set(['version', 'header', 'length']);
const CRLF2 = Buffer.from('\r\n\r\n');
const NEXT_RECORD = Buffer.from('\r\n\r\nWARC/1.');
const MAX_HEADER_BYTES = 1024 * 1024;
const INFLATE_FLOOR = 1024 * 1024;
const DEFAULT_MAX_RECORD = 64 * 1024 * 1024;
const DEFAULT_INFLATE_RATIO = 100;

/** True when the (decompressed) head of a stream starts with a WARC 1.0 or 1.1 version line. */
export function sniffWarc(head: Buffer): boolean {
  return head.length >= 8 && head.toString('latin1', 0, 7) === 'WARC/1.' && (head[7] === 0x30 || head[7] === 0x31);
}

/** The charset parameter of the HTTP Content-Type, lower-cased, without quotes. */
export function httpCharset(r: WarcRecord): string | undefined {
  const ct = r.httpHeaders?.['content-type'];
  const m = ct ? /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(ct) : null;
  return m ? m[1]!.toLowerCase() : undefined;
}

/**
 * A response whose HTTP Content-Type is text/html or application/xhtml+xml; when it has no Content-Type, a
 * body that starts (after a BOM and white space) with `<!doctype html` or `<html`.
 */
export function isHtmlRecord(r: WarcRecord): boolean {
  if (r.type !== 'response') return false;
  const ct = r.httpHeaders?.['content-type'];
  if (ct !== undefined && ct.trim() !== '') {
    const mime = ct.split(';', 1)[0]!.trim().toLowerCase();
    return mime === 'text/html' || mime === 'application/xhtml+xml';
  }
  let i = 0;
  const b = r.body;
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) i = 3;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  const head = b.toString('latin1', i, Math.min(b.length, i + 14)).toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html');
}

/** A short, printable excerpt of bytes for messages. */
function excerpt(b: Buffer, start: number, n = 24): string {
  return JSON.stringify(b.toString('latin1', start, Math.min(b.length, start + n)));
}

/** The buffered window over the input: bytes [pos, buf.length) of buf are stream bytes [base + pos, …). */
class Window {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  base = 0;
  eof = false;
  private readonly it: AsyncIterator<Buffer>;
  constructor(chunks: AsyncIterable<Buffer>) {
    this.it = chunks[Symbol.asyncIterator]();
  }
  get avail(): number {
    return this.buf.length - this.pos;
  }
  /** Make at least n bytes available from pos (fewer only at EOF). Bytes before pos are dropped. */
  async need(n: number): Promise<boolean> {
    if (this.avail >= n) return true;
    if (this.eof) return false;
    const parts: Buffer[] = [this.buf.subarray(this.pos)];
    let have = this.avail;
    while (have < n) {
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        break;
      }
      if (r.value.length === 0) continue;
      parts.push(r.value);
      have += r.value.length;
    }
    this.base += this.pos;
    this.buf = parts.length === 2 && parts[0]!.length === 0 ? parts[1]! : Buffer.concat(parts, have);
    this.pos = 0;
    return have >= n;
  }
  /** Drop n bytes from pos, reading (and not keeping) what is not buffered yet. False if the stream ends first. */
  async discard(n: number): Promise<boolean> {
    while (n > this.avail) {
      n -= this.avail;
      this.base += this.buf.length;
      this.buf = Buffer.alloc(0);
      this.pos = 0;
      if (this.eof) return false;
      const r = await this.it.next();
      if (r.done) {
        this.eof = true;
        return n === 0;
      }
      this.buf = r.value;
    }
    this.pos += n;
    return true;
  }
  async return(): Promise<void> {
    await this.it.return?.();
  }
}

interface Framed {
  headers: Record<string, string>;
  headerLen: number;
  length: number;
}

/** Parse `name: value` lines (CRLF or LF ends; continuation lines start with space or tab). */
function parseHeaderLines(text: string, lower: Record<string, string>): string | null {
  let last: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && last !== null) {
      lower[last] += ' ' + line.trim();
      continue;
    }
    const c = line.indexOf(':');
    if (c <= 0) return line;
    const name = line.slice(0, c).trim().toLowerCase();
    const value = line.slice(c + 1).trim();
    lower[name] = lower[name] === undefined ? value : `${lower[name]}, ${value}`;
    last = name;
  }
  return null;
}

/** Undo chunked transfer-encoding (a truncated record keeps what it has). Throws when it does not parse. */
function dechunk(b: Buffer, truncated: boolean): Buffer {
  const parts: Buffer[] = [];
  let p = 0;
  let n = 0;
  while (p < b.length) {
    const eol = b.indexOf(0x0a, p);
    if (eol < 0 || eol - p > 1024) {
      if (truncated) break;
      throw new Error(`chunk size line at body byte ${p} does not end: ${excerpt(b, p)}`);
    }
    const line = b.toString('latin1', p, eol).replace(/\r$/, '');
    const m = /^([0-9a-fA-F]{1,15})[ \t]*(?:;.*)?$/.exec(line);
    if (!m) throw new Error(`chunk size line at body byte ${p} is not hexadecimal: ${excerpt(b, p)}`);
    const size = parseInt(m[1]!, 16);
    p = eol + 1;
    if (size === 0) break; // trailers, if any, are dropped
    if (p + size > b.length) {
      if (truncated) {
        parts.push(b.subarray(p));
        n += b.length - p;
        break;
      }
      throw new Error(`chunk of ${size} bytes at body byte ${p} runs past the end of the body (${b.length - p} bytes left)`);
    }
    parts.push(b.subarray(p, p + size));
    n += size;
    p += size;
    if (b[p] === 0x0d && b[p + 1] === 0x0a) p += 2;
    else if (b[p] === 0x0a) p += 1;
    else if (p < b.length) throw new Error(`chunk at body byte ${p - size} is not followed by CRLF: ${excerpt(b, p)}`);
  }
  return Buffer.concat(parts, n);
}

/**
 * Undo one content-encoding, stopping at `limit` output bytes. The stream must end: a body cut short (or
 * without its end) throws, as a corrupt one does. Only a record that says it was cut (`truncated`,
 * WARC-Truncated) keeps what its stream gives up to the cut.
 */
function decode(b: Buffer, enc: string, limit: number, truncated: boolean): Buffer {
  const z = truncated ? { maxOutputLength: limit, finishFlush: zc.Z_SYNC_FLUSH } : { maxOutputLength: limit };
  switch (enc) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(b, z);
    case 'deflate':
      try {
        return inflateSync(b, z);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // (A zlib stream cut short: said as such, not as raw deflate's complaint about its header.)
        if (code === 'ERR_BUFFER_TOO_LARGE' || (code === 'Z_BUF_ERROR' && isZlibHeader(b))) throw e;
        return inflateRawSync(b, z); // servers that send raw deflate under this name
      }
    case 'br':
      return brotliDecompressSync(b, truncated ? { maxOutputLength: limit, finishFlush: zc.BROTLI_OPERATION_FLUSH } : { maxOutputLength: limit });
    default:
      throw new Error(`unsupported content-encoding ${JSON.stringify(enc)}`);
  }
}

/** The two bytes a zlib (RFC 1950) stream starts with: deflate, a window up to 32 KB, a valid check. */
function isZlibHeader(b: Buffer): boolean {
  return b.length >= 2 && (b[0]! & 0x0f) === 8 && b[0]! >> 4 <= 7 && ((b[0]! << 8) | b[1]!) % 31 === 0;
}

/**
 * The records of a WARC or WET stream. `chunks` are the decompressed bytes (sourceBytes gunzips, one gzip
 * member per record or one for the file); `file` names the input in messages.
 */
export async function* readWarc(chunks: AsyncIterable<Buffer>, file: string, opts: WarcReadOptions = {}): AsyncGenerator<WarcRecord> {
  const maxRecord = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD;
  const ratio = opts.maxInflateRatio ?? DEFAULT_INFLATE_RATIO;
  if (!(maxRecord > 0) || !(ratio >= 1)) throw new BoilerstripError('E_OPTION', 'maxRecordBytes must be > 0 and maxInflateRatio ≥ 1', { file });
  const skip = opts.onError === 'skip';
  const stats = opts.stats ?? newWarcStats();
  const w = new Window(chunks);
  let index = 0;

  /** Throw, or count the drop; framing problems return whether to resync. */
  const problem = (p: WarcProblem, msg: string, offset: number): void => {
    const err = new WarcError(p, msg, { file, record: index, offset });
    const recover = FRAMING.has(p) ? opts.resync === true : skip;
    if (!recover) throw err;
    stats.skipped++;
    stats.skippedBy[p] = (stats.skippedBy[p] ?? 0) + 1;
    opts.onSkip?.(err);
  };

  /** Scan from `from` (relative to pos) to the next CRLF CRLF WARC/1.; leave pos at its WARC line (or at EOF). */
  const resyncFrom = async (from: number): Promise<void> => {
    stats.resyncs++;
    let at = w.pos + from;
    for (;;) {
      const i = w.buf.indexOf(NEXT_RECORD, at);
      if (i >= 0) {
        w.pos = i + 4;
        return;
      }
      if (w.eof) {
        w.pos = w.buf.length;
        return;
      }
      w.pos = Math.max(w.pos, w.buf.length - NEXT_RECORD.length + 1);
      await w.need(w.avail + 1);
      at = w.pos;
    }
  };

  /** Read the version line and header block at pos. Null at a clean end of stream or after a problem was recovered. */
  const frame = async (offset: number): Promise<Framed | null> => {
    await w.need(10);
    if (w.avail === 0) return null;
    if (w.avail < 10 || w.buf.toString('latin1', w.pos, w.pos + 7) !== 'WARC/1.' || (w.buf[w.pos + 7] !== 0x30 && w.buf[w.pos + 7] !== 0x31) || w.buf[w.pos + 8] !== 0x0d || w.buf[w.pos + 9] !== 0x0a) {
      index++;
      await w.need(24); // enough for the message
      const hint = index > 1 ? ` (or record ${index - 1}'s Content-Length is too short)` : '';
      problem('version', `no WARC/1.0 or WARC/1.1 version line at byte ${offset}: found ${excerpt(w.buf, w.pos)}${hint}`, offset);
      await resyncFrom(0);
      return null;
    }
    index++;
    let end = w.buf.indexOf(CRLF2, w.pos + 8);
    while (end < 0) {
      if (w.avail > MAX_HEADER_BYTES || w.eof) {
        problem('header', w.eof ? 'the WARC header block runs past the end of the file' : `the WARC header block has no blank line within ${MAX_HEADER_BYTES} bytes`, offset);
        await resyncFrom(0);
        return null;
      }
      const seen = w.avail;
      await w.need(seen + 1);
      end = w.buf.indexOf(CRLF2, w.pos + Math.max(8, seen - 3));
    }
    const headers: Record<string, string> = {};
    const bad = parseHeaderLines(w.buf.toString('utf8', w.pos + 10, end), headers);
    const headerLen = end + 4 - w.pos;
    if (bad !== null) {
      problem('header', `WARC header line without ':': ${JSON.stringify(bad.slice(0, 60))}`, offset);
      await resyncFrom(headerLen - 4);
      return null;
    }
    const cl = headers['content-length'];
    if (cl === undefined || !/^\d{1,15}$/.test(cl)) {
      const why = cl === undefined ? 'no Content-Length header' : /^\d{16,}$/.test(cl) ? `Content-Length ${cl} is too large (over 15 digits)` : `Content-Length ${JSON.stringify(cl)} is not a number`;
      problem('length', why, offset);
      await resyncFrom(headerLen - 4);
      return null;
    }
    if (headers['warc-type'] === undefined) {
      problem('header', 'no WARC-Type header', offset);
      await resyncFrom(headerLen - 4);
      return null;
    }
    return { headers, headerLen, length: Number(cl) };
  };

  /**
   * Check what follows the block, which ends at `end` (relative to pos): CRLF CRLF, then any stray CRLFs.
   * Returns the distance from pos to the next record (whose version line frame() checks), or a message.
   */
  const trailer = async (end: number): Promise<number | string> => {
    await w.need(end + 6);
    const b = w.buf;
    const at = w.pos + end;
    const left = b.length - at;
    if (left < 4) {
      // The stream ends in the record's closing CRLF CRLF or right after the block: the block is whole.
      if (w.eof && b.subarray(at).equals(CRLF2.subarray(0, left))) return end + left;
      return `the block is followed by ${excerpt(b, at)}, not CRLF CRLF`;
    }
    if (b[at] !== 0x0d || b[at + 1] !== 0x0a || b[at + 2] !== 0x0d || b[at + 3] !== 0x0a) {
      await w.need(end + 24);
      return `the block is followed by ${excerpt(w.buf, w.pos + end)}, not CRLF CRLF`;
    }
    let next = end + 4;
    while ((await w.need(next + 2)) && w.buf[w.pos + next] === 0x0d && w.buf[w.pos + next + 1] === 0x0a) next += 2;
    return next;
  };

  try {
    for (;;) {
      const offset = w.base + w.pos;
      const f = await frame(offset);
      if (f === null) {
        if (w.avail === 0 && (w.eof || !(await w.need(1)))) break;
        continue;
      }
      const { headers, headerLen, length } = f;
      if (length > maxRecord) {
        problem('oversize', `Content-Length ${length} is over --max-doc-bytes ${maxRecord}`, offset);
        // Skipped: read past the block without keeping it.
        if (!(await w.discard(headerLen + length))) {
          problem('length', `Content-Length ${length} runs past the end of the file`, offset);
          break;
        }
        const t = await trailer(0);
        if (typeof t === 'string') {
          problem('length', `Content-Length ${length} does not end the record: ${t}`, offset);
          await resyncFrom(0);
        } else w.pos += t;
        continue;
      }
      if (!(await w.need(headerLen + length))) {
        const inside = w.buf.indexOf(NEXT_RECORD, w.pos + headerLen - 4);
        const hint = inside >= 0 ? ` (a WARC/1. line follows at byte ${w.base + inside + 4}: the length is too long)` : '';
        problem('length', `Content-Length ${length} runs past the end of the file${hint}`, offset);
        await resyncFrom(headerLen - 4);
        continue;
      }
      const t = await trailer(headerLen + length);
      if (typeof t === 'string') {
        const blockStart = w.pos + headerLen;
        const inside = w.buf.indexOf(NEXT_RECORD, blockStart);
        const why =
          inside >= 0 && inside < blockStart + length
            ? `runs into the next record (a WARC/1. line at byte ${w.base + inside + 4}): the length is too long`
            : `ends inside the record: ${t}`;
        problem('length', `Content-Length ${length} ${why}`, offset);
        await resyncFrom(headerLen - 4);
        continue;
      }
      const block = w.buf.subarray(w.pos + headerLen, w.pos + headerLen + length);
      const rec = record(headers, block, offset);
      w.pos += t;
      stats.bytes = w.base + w.pos;
      if (typeof rec === 'string') continue;
      stats.records++;
      yield rec;
    }
  } finally {
    stats.bytes = w.base + w.pos;
    await w.return();
  }

  /** The record of a block, or 'skipped' after a recovered payload problem. */
  function record(headers: Record<string, string>, block: Buffer, offset: number): WarcRecord | 'skipped' {
    const type = headers['warc-type']!;
    const contentType = headers['content-type'];
    const rec: WarcRecord = {
      type,
      recordId: headers['warc-record-id'] ?? '',
      targetUri: headers['warc-target-uri'],
      headers,
      contentType,
      body: block,
      offset,
      index,
    };
    if (headers['warc-date'] !== undefined) rec.date = headers['warc-date'];
    const isHttp = contentType !== undefined && /^application\/http\b/i.test(contentType.trim());
    if (!isHttp || (type !== 'response' && type !== 'request' && type !== 'revisit')) {
      rec.body = Buffer.from(block);
      return rec;
    }
    let he = block.indexOf(CRLF2);
    let sep = 4;
    if (he < 0) {
      he = block.indexOf('\n\n');
      sep = 2;
    }
    if (he < 0) {
      he = block.length; // a header block without a body (revisits, HEAD requests)
      sep = 0;
    }
    const http: Record<string, string> = {};
    const text = block.toString('latin1', 0, he);
    const nl = text.indexOf('\n');
    const first = nl < 0 ? text : text.slice(0, nl);
    parseHeaderLines(nl < 0 ? '' : text.slice(nl + 1), http); // a garbled HTTP header line is ignored, not fatal
    rec.httpHeaders = http;
    const status = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(first);
    if (type === 'response' && status) rec.httpStatus = Number(status[1]);
    let body = block.subarray(Math.min(block.length, he + sep));
    if (type !== 'response') {
      rec.body = Buffer.from(body);
      return rec;
    }
    const truncated = headers['warc-truncated'] !== undefined;
    let decoded = false;
    if (/\bchunked\b/i.test(http['transfer-encoding'] ?? '')) {
      try {
        body = dechunk(body, truncated);
        decoded = true;
      } catch (e) {
        problem('chunked', `HTTP chunked transfer-encoding is broken: ${(e as Error).message}`, offset);
        return 'skipped';
      }
    }
    const encodings = (http['content-encoding'] ?? '')
      .toLowerCase()
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '' && s !== 'identity');
    for (const enc of encodings.reverse()) {
      const byRatio = Math.max(INFLATE_FLOOR, body.length * ratio);
      const limit = Math.min(maxRecord, byRatio);
      try {
        body = decode(body, enc, limit, truncated);
        decoded = true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          const msg =
            limit === maxRecord
              ? `HTTP content-encoding ${enc} inflates ${body.length} bytes past --max-doc-bytes ${maxRecord}`
              : `HTTP content-encoding ${enc} inflates ${body.length} bytes past ${ratio}× (maxInflateRatio): a decompression bomb`;
          problem(limit === maxRecord ? 'oversize' : 'bomb', msg, offset);
        } else problem('encoding', `HTTP content-encoding ${enc} cannot be decoded: ${(e as Error).message}`, offset);
        return 'skipped';
      }
    }
    rec.body = decoded ? body : Buffer.from(body);
    return rec;
  }
}
