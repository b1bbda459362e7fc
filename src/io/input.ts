/**
 * Inputs to records. JSONL (one object per line), one JSON array of objects (tokenized by stream-json), plain text
 * files or directories of them (one file = one document, its path is the id), any of these gzip- or
 * zstd-compressed (detected by magic bytes), Parquet files (row group by row group, see parquet.ts), and
 * standard input ('-'). Several inputs in one call are one corpus, read in the order given (directories in
 * sorted order), so results never depend on timing.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import path from 'node:path';
import pLimit from 'p-limit';
import { BoilerstripError } from '../errors.js';
import { isUtf8, transcode } from 'node:buffer';
import { decode, mostlyAscii, textBlocks } from './blocks.js';
import { isBad, type BadRecord, type Format, type FormatOption, type InputSource, type ReadItem, type ReadOptions } from './records.js';
import { isZstd, zstdDecompress, zstdHead, ZstdError } from './zstd.js';
import { zstdFileInThread } from './zstd-thread.js';
import { decodeHtml } from '../html/decode.js';
import { httpCharset, isHtmlRecord, readWarc, sniffWarc, type WarcError } from './warc.js';
import { isStdinSpool, spoolPipe } from './temp.js';
import { readJsonArray as readJsonElements } from './json-array.js';

export * from './records.js';

function label(src: InputSource): string {
  return src.display ?? src.name;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;
const GZIP_MAGIC = Buffer.from([GZIP_MAGIC_0, GZIP_MAGIC_1]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const ZSTD_HEAD_BYTES = 132 * 1024;

async function readHead(file: string, n: number): Promise<Buffer> {
  const fh = await fsp.open(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Parquet files start (and end) with these 4 bytes. */
export function isParquet(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x41 && b[2] === 0x52 && b[3] === 0x31;
}

function isJsonObjectLine(line: string): boolean {
  const l = line.trim();
  if (!l.startsWith('{')) return false;
  try {
    const v = JSON.parse(l) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** Lines of the head looked at past the first, to tell JSONL with a broken first line from text. */
const SNIFF_LINES = 20;

/**
 * Do the lines after the first non-blank one (up to SNIFF_LINES) say JSONL: at least 3 in 4 of them JSON
 * objects? A last line the head cuts short counts when it starts as an object does (`{"`). `whole`: the
 * head is the whole content (its last line is whole).
 */
function jsonlPastFirstLine(t: string, whole: boolean): boolean {
  const lines = t.split(/\r?\n|\r/);
  const cut = whole ? null : lines.pop()!;
  let seen = 0;
  let objects = 0;
  for (let i = 1; i < lines.length && seen < SNIFF_LINES; i++) {
    if (lines[i]!.trim().length === 0) continue;
    seen++;
    if (isJsonObjectLine(lines[i]!)) objects++;
  }
  if (cut !== null && seen < SNIFF_LINES && lines.length > 1 && cut.trim().length > 0) {
    seen++;
    if (/^\s*\{\s*"/.test(cut)) objects++;
  }
  return objects > 0 && objects * 4 >= seen * 3;
}

/** Bytes of a file (decompressed) its format is guessed from. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * Guess a format from the first bytes of the (decompressed) content; `whole`: they are all of it. An
 * unnamed file is JSONL when its first line is an object, or, that line broken, most of the next are.
 */
export function sniffFormat(head: Buffer | string, name: string, whole = false): Format {
  if (typeof head !== 'string' && isParquet(head)) return 'parquet';
  const lower = name.toLowerCase().replace(/\.(gz|zst)$/, '');
  if (lower.endsWith('.parquet')) return 'parquet';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.txt')) return 'text';
  if (lower.endsWith('.warc') || lower.endsWith('.wet') || lower.endsWith('.arc')) return 'warc';
  if (lower.endsWith('.html') || lower.endsWith('.htm') || lower.endsWith('.xhtml')) return 'html';
  const buf = typeof head === 'string' ? Buffer.from(head) : head;
  if (sniffWarc(buf)) return 'warc';
  const s = buf.toString('utf8');
  const t = s.replace(/^\ufeff/, '').trimStart();
  if (t.startsWith('[')) return 'json';
  // A .json file holding one pretty-printed object: its first line is whole and no JSON.
  if (t.startsWith('{')) return lower.endsWith('.json') && t.includes('\n') && !isJsonObjectLine(t.slice(0, t.indexOf('\n'))) ? 'json' : 'jsonl';
  // JSONL whose first line is broken (a Spark part-00000, a .gz): its next lines say it is JSONL.
  if (jsonlPastFirstLine(t, whole)) return 'jsonl';
  if (lower.endsWith('.json')) return 'json';
  if (/^(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html)\b/i.test(t)) return 'html';
  return 'text';
}

async function gunzipHead(buf: Buffer): Promise<Buffer> {
  const gz = createGunzip();
  const out: Buffer[] = [];
  let n = 0;
  return new Promise((resolve) => {
    gz.on('data', (d: Buffer) => {
      out.push(d);
      n += d.length;
      if (n >= SNIFF_BYTES) gz.destroy();
    });
    const done = (): void => resolve(Buffer.concat(out));
    gz.on('close', done);
    gz.on('end', done);
    gz.on('error', done);
    gz.end(buf);
  });
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new BoilerstripError('E_INPUT', `cannot read directory: ${(e as Error).message}`, { file: dir });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push(p);
    else if (e.isSymbolicLink()) {
      let st;
      try {
        st = await fsp.stat(p);
      } catch (err) {
        throw new BoilerstripError('E_INPUT', `cannot read: ${(err as Error).message}`, { file: p });
      }
      if (st.isDirectory()) await walk(p, out);
      else if (st.isFile()) out.push(p);
    }
  }
}

/**
 * Resolve inputs to sources: expand directories, check every path can be read, sniff gzip and format.
 * Fails before the first record is read when any path is missing or unreadable.
 */
export async function resolveInputs(inputs: string[], opts: ReadOptions = {}): Promise<InputSource[]> {
  const names = inputs.length === 0 ? ['-'] : inputs;
  if (names.filter((n) => n === '-').length > 1) throw new BoilerstripError('E_OPTION', "standard input ('-') can be read only once");
  const files: string[] = [];
  for (const n of names) {
    if (n === '-') {
      files.push(n);
      continue;
    }
    let st;
    try {
      st = await fsp.stat(n);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new BoilerstripError('E_INPUT', code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${(e as Error).message}`, { file: n });
    }
    if (st.isDirectory()) {
      const inDir: string[] = [];
      await walk(n, inDir);
      files.push(...inDir);
    } else files.push(n);
  }
  const limit = pLimit(opts.concurrency ?? 8);
  return Promise.all(
    files.map((f) =>
      limit(async (): Promise<InputSource> => {
        if (f === '-') return { name: f, gzip: false, format: opts.format === 'auto' || !opts.format ? 'jsonl' : opts.format, bytes: -1 };
        // (Messages name the input as given: standard input, not its spool. A pipe is read from a copy.)
        const shown = isStdinSpool(f) ? '-' : f;
        let read = f;
        let head: Buffer;
        let bytes: number;
        try {
          if (!(await fsp.stat(f)).isFile()) read = await spoolPipe(f, opts.tmpDir);
          head = await readHead(read, SNIFF_BYTES);
          bytes = (await fsp.stat(read)).size;
        } catch (e) {
          if (e instanceof BoilerstripError) throw e;
          throw new BoilerstripError('E_INPUT', `cannot read: ${(e as Error).message}`, { file: shown });
        }
        const as = read === f ? {} : { display: f };
        let format: Format | null = opts.format && opts.format !== 'auto' ? opts.format : null;
        if (format === 'parquet' || (format === null && isParquet(head))) {
          await checkParquetTail(read, head, bytes, shown);
          return { name: read, ...as, gzip: false, format: 'parquet', bytes };
        }
        const gzip = head.length >= 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1;
        const zstd = isZstd(head);
        // A .gz or .zst file too short to hold its magic: empty, no records (its stream was never written);
        // the start of the magic, a stream cut inside it. (Else, not the magic: read as its bytes say.)
        const named = /\.(gz|zst)$/i.exec(f)?.[1]?.toLowerCase();
        if (named !== undefined && bytes === 0) return { name: read, ...as, gzip: true, format: 'jsonl', bytes };
        const magic = named === 'gz' ? GZIP_MAGIC : named === 'zst' ? ZSTD_MAGIC : null;
        if (magic !== null && head.length < magic.length && magic.subarray(0, head.length).equals(head)) {
          throw new BoilerstripError('E_GZIP', `${named === 'gz' ? 'gzip' : 'zstd'} stream is truncated: the file is ${bytes} byte${bytes === 1 ? '' : 's'}, cut inside the magic number`, { file: shown });
        }
        // A zstd block gives nothing until it is whole (up to 128 KB compressed): sniff from a longer head.
        const content = gzip ? await gunzipHead(head) : zstd ? await zstdHead(await readHead(read, ZSTD_HEAD_BYTES)) : head;
        const whole = !gzip && !zstd && head.length === bytes;
        // (Sniffed by the name given: a pipe's copy has a name of its own.)
        format = notUtf16(content, format ?? sniffFormat(content, f, whole), shown, whole);
        if (format === 'parquet') await checkParquetTail(read, head, bytes, shown);
        const crLines = format === 'jsonl' && content.includes(13) && !content.includes(10);
        return { name: read, ...as, gzip: gzip || zstd, zstd, format, bytes, ...(crLines ? { crLines } : {}) };
      }),
    ),
  );
}

/** The UTF-16 byte order mark a content starts with ('le', 'be'), or null. */
export function utf16Bom(b: Uint8Array): 'le' | 'be' | null {
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'le';
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'be';
  return null;
}

/** UTF-16 (BOM first) bytes as a string. */
export function fromUtf16(b: Buffer, bom: 'le' | 'be'): string {
  return new TextDecoder(bom === 'le' ? 'utf-16le' : 'utf-16be').decode(b);
}

/**
 * A content starting with a UTF-16 BOM: sniffed as the text it decodes to (`format`, when given, stays).
 * A text or HTML file is read as UTF-16 (readTextFile, decodeHtml); JSONL or JSON is refused, named.
 */
function notUtf16(content: Buffer, format: Format, name: string, whole: boolean): Format {
  const bom = utf16Bom(content);
  if (bom === null || format === 'parquet' || format === 'warc') return format;
  const f = format === 'text' ? sniffFormat(Buffer.from(fromUtf16(content.subarray(0, content.length & ~1), bom), 'utf8'), name, whole) : format;
  if (f === 'jsonl' || f === 'json') {
    throw new BoilerstripError('E_INPUT', `the file is UTF-16${bom === 'le' ? 'LE' : 'BE'} (it starts with a UTF-16 byte order mark), and ${f === 'jsonl' ? 'JSONL' : 'JSON'} is read as UTF-8: convert it (iconv -f UTF-16 -t UTF-8)`, { file: name });
  }
  return f;
}

/**
 * Standard input read as a stream (learn, strip): its format sniffed from its first bytes as a file's is
 * (decompressed; what sniffs as text is JSONL, as for clean's spool), and a stream that gives those bytes
 * again, then the rest. A format given (not 'auto') is kept.
 */
export async function sniffStdin(stdin: NodeJS.ReadableStream, given: FormatOption | undefined): Promise<{ format: Format; crLines: boolean; stream: NodeJS.ReadableStream }> {
  const it = (stdin as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const got: Buffer[] = [];
  let n = 0;
  let done = false;
  try {
    while (n < SNIFF_BYTES) {
      const r = await it.next();
      if (r.done) {
        done = true;
        break;
      }
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      got.push(b);
      n += b.length;
    }
  } catch (e) {
    throw new BoilerstripError('E_INPUT', `cannot read: ${(e as Error).message}`, { file: '-' });
  }
  const head = Buffer.concat(got, n);
  const gzip = head.length >= 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1;
  const zstd = isZstd(head);
  const content = gzip ? await gunzipHead(head) : zstd ? await zstdHead(head.subarray(0, ZSTD_HEAD_BYTES)) : head;
  let format: Format = given !== undefined && given !== 'auto' ? given : sniffFormat(content, '-', done && !gzip && !zstd);
  // (Parquet on a stream: sourceBytes says to give it as a file.)
  if ((format === 'text' || format === 'parquet') && (given === undefined || given === 'auto')) format = 'jsonl';
  format = notUtf16(content, format, '-', done && !gzip && !zstd);
  const crLines = format === 'jsonl' && content.includes(13) && !content.includes(10);
  async function* again(): AsyncGenerator<Buffer> {
    for (const b of got) yield b;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  }
  return { format, crLines, stream: Readable.from(again(), { objectMode: true }) };
}

/** A Parquet file ends with its footer and PAR1: a file cut short is refused before anything is read. */
async function checkParquetTail(f: string, head: Buffer, bytes: number, shown = f): Promise<void> {
  let tail = Buffer.alloc(0);
  try {
    if (bytes >= 12) {
      const fh = await fsp.open(f, 'r');
      try {
        tail = Buffer.alloc(4);
        await fh.read(tail, 0, 4, bytes - 4);
      } finally {
        await fh.close();
      }
    }
  } catch (e) {
    throw new BoilerstripError('E_INPUT', `cannot read: ${(e as Error).message}`, { file: shown });
  }
  if (!isParquet(head)) throw new BoilerstripError('E_PARQUET', 'not a Parquet file (it does not start with PAR1)', { file: shown });
  if (!isParquet(tail)) throw new BoilerstripError('E_PARQUET', `Parquet file is truncated: its ${bytes} bytes do not end with the footer's PAR1`, { file: shown });
}

function zstdInputError(e: ZstdError, src: InputSource): BoilerstripError {
  return new BoilerstripError('E_GZIP', e.truncated ? 'zstd stream is truncated' : `zstd stream is corrupt: ${e.message}`, { file: label(src) });
}

/**
 * The byte stream of a source, decompressed when it is gzip or zstd. Stdin is sniffed on its first bytes
 * too. A source whose lines end in CR alone (InputSource.crLines) has its CRs made newlines.
 */
export function sourceBytes(src: InputSource, opts: ReadOptions = {}): AsyncGenerator<Buffer> {
  return src.crLines === true ? crAsNewline(storedBytes(src, opts)) : storedBytes(src, opts);
}

async function* crAsNewline(chunks: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    let i = chunk.indexOf(13);
    if (i < 0) {
      yield chunk;
      continue;
    }
    const b = Buffer.from(chunk);
    for (; i >= 0; i = b.indexOf(13, i + 1)) b[i] = 10;
    yield b;
  }
}

/** sourceBytes as stored (decompressed). */
async function* storedBytes(src: InputSource, opts: ReadOptions = {}): AsyncGenerator<Buffer> {
  // A .zst file is decompressed on a thread of its own (zstd-thread.ts), beside the work on its bytes.
  if (src.name !== '-' && src.zstd === true) {
    try {
      yield* zstdFileInThread(src.name, opts.onBytes);
    } catch (e) {
      if (!(e instanceof ZstdError)) throw new BoilerstripError('E_INPUT', `cannot read: ${(e as Error).message}`, { file: label(src) });
      throw zstdInputError(e, src);
    }
    return;
  }
  let stream: NodeJS.ReadableStream;
  if (src.name === '-') stream = opts.stdin ?? process.stdin;
  else stream = createReadStream(src.name, { highWaterMark: 1024 * 1024 });
  const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  // Peek the first chunk to detect gzip or zstd on streams whose bytes were not sniffed.
  let firstRes = await it.next().catch((e: unknown) => {
    throw new BoilerstripError('E_INPUT', `cannot read: ${(e as Error).message}`, { file: label(src) });
  });
  if (firstRes.done) return;
  let first = typeof firstRes.value === 'string' ? Buffer.from(firstRes.value) : firstRes.value;
  while (first.length < 4) {
    const r = await it.next();
    if (r.done) break;
    first = Buffer.concat([first, typeof r.value === 'string' ? Buffer.from(r.value) : r.value]);
  }
  const gzip = first.length >= 2 && first[0] === GZIP_MAGIC_0 && first[1] === GZIP_MAGIC_1;
  // Parquet is read by byte range (its footer first): from a stream it cannot be (clean spools stdin to a file).
  if (src.name === '-' && src.format !== 'parquet' && isParquet(first)) {
    await it.return?.();
    throw new BoilerstripError('E_INPUT', 'standard input is a Parquet file, which is read by byte range: give it as a file (clean spools standard input to one; learn and strip read it as a stream)', { file: '-' });
  }
  const onBytes = opts.onBytes;
  async function* raw(): AsyncGenerator<Buffer> {
    onBytes?.(first.length);
    yield first;
    for (;;) {
      let r;
      try {
        r = await it.next();
      } catch (e) {
        throw new BoilerstripError('E_INPUT', `cannot read: ${(e as Error).message}`, { file: label(src) });
      }
      if (r.done) return;
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      onBytes?.(b.length);
      yield b;
    }
  }
  if (isZstd(first)) {
    try {
      yield* zstdDecompress(raw());
    } catch (e) {
      if (!(e instanceof ZstdError)) throw e;
      throw zstdInputError(e, src);
    } finally {
      await it.return?.();
    }
    return;
  }
  if (!gzip) {
    yield* raw();
    return;
  }
  yield* gunzipMembers(raw(), label(src));
}

/**
 * The gunzipped bytes of a stream of gzip members. Node's Gunzip reads member after member, but takes a zero
 * byte after a member for the end of the stream and drops everything after it, quietly. So the bytes it
 * leaves are read here: zeros to the end are padding (accepted, as gzip and Python's gzip accept them); zeros
 * then another member are read on (as Python's gzip does; gzip -d stops there, "trailing garbage ignored");
 * zeros then anything else is a corrupt stream, named with its byte offset. Chunks are written one at a time,
 * each after the last was taken in, so what the Gunzip left is always the tail of the last one.
 */
async function* gunzipMembers(raw: AsyncGenerator<Buffer>, file: string): AsyncGenerator<Buffer> {
  let carry: Buffer | null = null; // bytes read past the end of the last Gunzip, to start the next
  let base = 0; // offset in the compressed stream of the first byte the current Gunzip is given
  try {
    for (;;) {
      const gz = createGunzip({ chunkSize: 256 * 1024 });
      let fed = 0;
      let left: Buffer | null = null; // what the Gunzip did not take: it ended before its input
      const write = (b: Buffer): Promise<void> =>
        new Promise<void>((resolve, reject) => {
          const closed = (): void => reject(new Error('gunzip closed'));
          gz.once('close', closed);
          gz.write(b, (e) => {
            gz.off('close', closed);
            if (e) reject(e);
            else resolve();
          });
        });
      const feed = async (): Promise<void> => {
        try {
          for (;;) {
            let b = carry;
            carry = null;
            if (b === null) {
              const r = await raw.next();
              if (r.done) {
                gz.end();
                return;
              }
              b = r.value;
            }
            await write(b);
            fed += b.length;
            if (gz.bytesWritten < fed) {
              left = b.subarray(b.length - (fed - gz.bytesWritten));
              return;
            }
          }
        } catch (e) {
          gz.destroy(e as Error);
        }
      };
      const fedAll = feed();
      try {
        for await (const chunk of gz as AsyncIterable<Buffer>) yield chunk;
      } catch (e) {
        if (e instanceof BoilerstripError) throw e;
        const msg = (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? 'gzip stream is truncated' : `gzip stream is corrupt: ${(e as Error).message}`;
        throw new BoilerstripError('E_GZIP', msg, { file });
      } finally {
        gz.destroy();
      }
      await fedAll;
      if (left === null) return;
      // The Gunzip stopped at a zero byte after a member: skip the zeros, then end or read on.
      const zerosAt = base + gz.bytesWritten;
      let at = zerosAt; // offset of rest[0]
      let rest: Buffer = left;
      for (;;) {
        let i = 0;
        while (i < rest.length && rest[i] === 0) i++;
        at += i;
        rest = rest.subarray(i);
        // (Two bytes to tell a member from other bytes, unless the stream ends first.)
        if (rest.length >= 2) break;
        const r = await raw.next();
        if (r.done) break;
        rest = rest.length === 0 ? r.value : Buffer.concat([rest, r.value]);
      }
      if (rest.length === 0) return; // zero padding to the end
      if (rest[0] !== GZIP_MAGIC_0 || (rest.length >= 2 && rest[1] !== GZIP_MAGIC_1)) {
        throw new BoilerstripError('E_GZIP', `gzip stream is corrupt: ${at - zerosAt} zero bytes at byte ${zerosAt} are followed by bytes that do not start a gzip member (byte ${at})`, { file });
      }
      if (rest.length < 2) throw new BoilerstripError('E_GZIP', 'gzip stream is truncated', { file });
      carry = rest;
      base = at;
    }
  } finally {
    // (Not awaited: a stdin left open would never answer.)
    raw.return(undefined).catch(() => undefined);
  }
}

/** Where parsed JSONL lines go, one at a time: return false to stop reading the block. */
export type ItemSink = (item: ReadItem) => boolean | void;

/**
 * The records of a decoded block of JSONL lines whose first line is `firstLine` of `file`. Blank lines
 * carry no record; a bad line becomes a BadRecord (the caller applies --on-error).
 */
export function parseJsonlBlock(text: string, file: string, firstLine: number, invalidUtf8: boolean, opts: ReadOptions = {}): ReadItem[] {
  const out: ReadItem[] = [];
  eachJsonlBlock(text, file, firstLine, invalidUtf8, opts, (r) => {
    out.push(r);
  });
  return out;
}

/** parseJsonlBlock's records handed to `sink` one at a time, as they are parsed. */
function eachJsonlBlock(text: string, file: string, firstLine: number, invalidUtf8: boolean, opts: ReadOptions, sink: ItemSink): void {
  const max = opts.maxDocBytes ?? Number.POSITIVE_INFINITY;
  let line = firstLine;
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    let end = nl;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    if (end > start && parseJsonlLine(text.slice(start, end), file, line, invalidUtf8, max, sink, opts) === false) return;
    line++;
    start = nl + 1;
  }
}

const NL8 = Buffer.from('\n', 'utf8');
const NL16 = Buffer.from('\n', 'utf16le');

/**
 * parseJsonlBlock over the bytes of a block of JSONL lines, each line decoded alone, its record handed to
 * `sink` as it is parsed. No string of the whole block: at a chunk's size (1 MB, 2 MB as UTF-16) V8 puts
 * one in its large-object space, kept until a full collection (the heap grew by ~170 MB over pass 2 of a
 * 1.2 GB crawl). And a worker keeps one record alive, not a chunk's: a chunk's records outlived the young
 * generation's collections and were promoted. Valid UTF-8 only (checked first); a block with invalid
 * bytes is decoded whole as before, so its lines are flagged the same way.
 */
export function eachJsonlBytes(bytes: Buffer, file: string, firstLine: number, opts: ReadOptions, sink: ItemSink, inPlace?: InPlaceReader): void {
  if (!isUtf8(bytes)) {
    const d = decode(bytes);
    eachJsonlBlock(d.text, file, firstLine, d.invalid, opts, sink);
    return;
  }
  const max = opts.maxDocBytes ?? Number.POSITIVE_INFINITY;
  // Mostly ASCII: V8's decoder, line by line (fast on one-byte text). Else transcoded once to UTF-16 (4x
  // V8's decoder on Arabic), then a string per line. `w` bytes a code unit.
  // (Read in place: always as UTF-16, which the reader takes.)
  const ascii = inPlace === undefined && mostlyAscii(bytes);
  const buf = ascii ? bytes : transcode(bytes, 'utf8', 'ucs2');
  const reader = inPlace !== undefined && inPlace.block(buf) ? inPlace : undefined;
  const w = ascii ? 1 : 2;
  const nlUnit = ascii ? NL8 : NL16;
  let line = firstLine;
  for (let start = 0; start < buf.length; line++) {
    let nl = buf.indexOf(nlUnit, start);
    // (In UTF-16 a match at an odd offset straddles two code units, as in U+0A30 U+0100.)
    while (nl >= 0 && nl % w !== 0) nl = buf.indexOf(nlUnit, nl + 1);
    if (nl < 0) nl = buf.length;
    let end = nl;
    if (end > start && buf[end - w] === 13 && (w === 1 || buf[end - 1] === 0)) end -= w;
    // (A line that may be over max: parsed, which measures it.)
    if (end > start && (reader === undefined || (end - start) * 1.5 > max || !reader.line(buf, start, end, line))) {
      if (parseJsonlLine(buf.toString(ascii ? 'utf8' : 'ucs2', start, end), file, line, false, max, sink, opts) === false) return;
    }
    start = nl + w;
  }
}

/**
 * Reads the lines of a block where they lie, without a string or JSON.parse, and hands their records on
 * itself: `block` takes the block as UTF-16LE code units (false: parse it as usual), then `line` each line
 * (byte offsets in it, no newline, and its line number; false: the line must be parsed).
 */
export interface InPlaceReader {
  block(units: Buffer): boolean;
  line(units: Buffer, start: number, end: number, line: number): boolean;
}

/** One non-empty JSONL line (no newline) as a record or a BadRecord, handed to sink (its answer returned); blank lines carry none. */
function parseJsonlLine(raw: string, file: string, line: number, invalidUtf8: boolean, max: number, sink: ItemSink, opts: ReadOptions): boolean | void {
  if (raw.trim().length === 0) return true;
  if (invalidUtf8 && raw.includes('\ufffd')) opts.onInvalidUtf8?.(file, line);
  if (raw.length * 3 > max && Buffer.byteLength(raw, 'utf8') > max) {
    return sink({ file, line, code: 'E_DOC_TOO_LARGE', message: `record is ${Buffer.byteLength(raw, 'utf8')} bytes, over --max-doc-bytes ${max}`, raw: null });
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    return sink({ file, line, code: 'E_JSON', message: `invalid JSON: ${(e as Error).message}`, raw });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return sink({ file, line, code: 'E_RECORD', message: `record is ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}, not a JSON object`, raw });
  }
  return sink({ file, line, format: 'jsonl', value, raw });
}

/** JSONL records of a source, in batches (one batch per decoded block). */
export async function* readJsonl(src: InputSource, opts: ReadOptions = {}): AsyncGenerator<ReadItem[]> {
  const max = opts.maxDocBytes ?? Number.POSITIVE_INFINITY;
  for await (const b of textBlocks(sourceBytes(src, opts), { file: label(src), maxLineBytes: max })) {
    if (b.kind === 'oversize') {
      yield [{ file: label(src), line: b.line, code: 'E_DOC_TOO_LARGE', message: `record is ${b.bytes} bytes, over --max-doc-bytes ${max}`, raw: null }];
      continue;
    }
    const out = parseJsonlBlock(b.text, label(src), b.firstLine, b.invalidUtf8, opts);
    if (out.length > 0) yield out;
  }
}


/** The records of a JSON file (json-array.ts): its array's elements, or its one object. */
export async function* readJsonArray(src: InputSource, opts: ReadOptions = {}): AsyncGenerator<ReadItem[]> {
  yield* readJsonElements(label(src), sourceBytes(src, opts), opts);
}

export { JSON_ELEMENT_MAX_DEPTH } from './json-array.js';

/** A plain text file as one record: {id: path, text}. */
export async function* readTextFile(src: InputSource, opts: ReadOptions = {}): AsyncGenerator<ReadItem[]> {
  let buf = await readWhole(src, opts);
  if (buf === null) {
    yield [{ file: label(src), line: 1, code: 'E_DOC_TOO_LARGE', message: `text file is over --max-doc-bytes ${opts.maxDocBytes}`, raw: null }];
    return;
  }
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
  const bom = utf16Bom(buf);
  if (bom !== null) {
    // (A UTF-16 text: decoded by its BOM; a lone surrogate or odd last byte becomes U+FFFD.)
    const text = fromUtf16(buf.subarray(2), bom);
    if (text.includes('\ufffd')) opts.onInvalidUtf8?.(label(src), 1);
    yield [{ file: label(src), line: 1, format: 'text', value: { [opts.idField ?? 'id']: label(src), [opts.textField ?? 'text']: text }, raw: null }];
    return;
  }
  const text = buf.toString('utf8');
  if (text.includes('\ufffd') && !Buffer.from(text, 'utf8').equals(buf)) opts.onInvalidUtf8?.(label(src), 1);
  yield [{ file: label(src), line: 1, format: 'text', value: { [opts.idField ?? 'id']: label(src), [opts.textField ?? 'text']: text }, raw: null }];
}

/** An HTML file as one record: {id: path, html}, decoded by its BOM or <meta> charset. */
export async function* readHtmlFile(src: InputSource, opts: ReadOptions = {}): AsyncGenerator<ReadItem[]> {
  const buf = await readWhole(src, opts);
  if (buf === null) {
    yield [{ file: label(src), line: 1, code: 'E_DOC_TOO_LARGE', message: `HTML file is over --max-doc-bytes ${opts.maxDocBytes}`, raw: null }];
    return;
  }
  const d = decodeHtml(buf);
  if (d.invalidBytes > 0) opts.onInvalidUtf8?.(label(src), 1);
  yield [{ file: label(src), line: 1, format: 'html', value: { [opts.idField ?? 'id']: label(src), [opts.htmlField ?? 'html']: d.html }, raw: null }];
}

/** A source's bytes, or null when they pass maxDocBytes (never buffered past it). */
async function readWhole(src: InputSource, opts: ReadOptions): Promise<Buffer | null> {
  const max = opts.maxDocBytes ?? Number.POSITIVE_INFINITY;
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of sourceBytes(src, opts)) {
    n += chunk.length;
    if (n > max) return null;
    parts.push(chunk);
  }
  return Buffer.concat(parts, n);
}

/**
 * WARC and WET records as documents. A response whose payload is HTML: {id: WARC-Record-ID, url:
 * WARC-Target-URI, date: WARC-Date, html} (charset from the HTTP header, the page, or a BOM); a WET
 * conversion record: {id, url, date, text}. Other records are no documents (onNotDocument). Line numbers
 * are record numbers. With onError 'skip', a broken record (lying length, bomb, …) becomes a rejected
 * record and the read goes on at the next one.
 */
export async function* readWarcSource(src: InputSource, opts: ReadOptions = {}): AsyncGenerator<ReadItem[]> {
  const file = label(src);
  const skip = opts.onError === 'skip';
  const pending: ReadItem[] = [];
  const idF = opts.idField ?? 'id';
  const urlF = opts.urlField ?? 'url';
  const htmlF = opts.htmlField ?? 'html';
  const textF = opts.textField ?? 'text';
  const records = readWarc(sourceBytes(src, opts), file, {
    maxRecordBytes: opts.maxDocBytes ?? 64 * 1024 * 1024,
    onError: skip ? 'skip' : 'fail',
    resync: skip,
    onSkip: (e: WarcError) => pending.push({ file, line: e.record, code: 'E_WARC', message: e.message.replace(/^.*?: record \d+: /, ''), raw: null }),
  });
  let batch: ReadItem[] = [];
  for await (const r of records) {
    if (pending.length > 0) batch.push(...pending.splice(0));
    const base: Record<string, unknown> = { [idF]: r.recordId, [urlF]: r.targetUri ?? null };
    if (r.date !== undefined) base.date = r.date;
    if (r.type === 'conversion') {
      const text = r.body.toString('utf8');
      if (text.includes('\ufffd')) opts.onInvalidUtf8?.(file, r.index);
      base[textF] = text;
      batch.push({ file, line: r.index, format: 'warc', value: base, raw: null });
    } else if (isHtmlRecord(r)) {
      const d = decodeHtml(r.body, r.httpHeaders?.['content-type'] ?? (httpCharset(r) ? `text/html; charset=${httpCharset(r)}` : undefined));
      if (d.invalidBytes > 0) opts.onInvalidUtf8?.(file, r.index);
      base[htmlF] = d.html;
      batch.push({ file, line: r.index, format: 'warc', value: base, raw: null });
    } else opts.onNotDocument?.(file, r.type);
    if (batch.length >= 64) {
      yield batch;
      batch = [];
    }
  }
  if (pending.length > 0) batch.push(...pending.splice(0));
  if (batch.length > 0) yield batch;
}

/**
 * A WARC or WET source as JSONL bytes, one line per document, for the worker threads (they read JSONL):
 * each line is the JSON of the record readWarcSource gives, so a thread cleans it to the same bytes the
 * main thread writes. Only with onError 'fail' (a broken record throws here, naming file and record):
 * rejected records have no line to travel in, so with 'skip' WARC stays on the main thread.
 */
export async function* warcAsJsonl(src: InputSource, opts: ReadOptions = {}): AsyncGenerator<Buffer> {
  if (opts.onError === 'skip') throw new BoilerstripError('E_INTERNAL', 'WARC with --on-error skip is read on the main thread', { file: label(src) });
  for await (const batch of readWarcSource(src, opts)) {
    let s = '';
    for (const r of batch) if (!isBad(r)) s += JSON.stringify(r.value) + '\n';
    if (s.length > 0) yield Buffer.from(s, 'utf8');
  }
}

/** Every record of every source, in order, in batches. `onSource` is called as each source starts. */
export async function* readSources(sources: InputSource[], opts: ReadOptions = {}, onSource?: (src: InputSource) => void): AsyncGenerator<ReadItem[]> {
  for (const src of sources) {
    onSource?.(src);
    if (src.format === 'jsonl') yield* readJsonl(src, opts);
    else if (src.format === 'json') yield* readJsonArray(src, opts);
    else if (src.format === 'html') yield* readHtmlFile(src, opts);
    else if (src.format === 'warc') yield* readWarcSource(src, opts);
    else if (src.format === 'parquet') yield* (await import('./parquet.js')).readParquet(src, opts);
    else yield* readTextFile(src, opts);
  }
}
