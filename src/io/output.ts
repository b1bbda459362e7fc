/**
 * Output sinks. A file is written under a temporary name in its directory and renamed when the run
 * succeeds, so a failed or interrupted run leaves no half file. Standard output respects backpressure;
 * a closed pipe (`| head`) ends the run quietly (see cli/main.ts). Either can be compressed, gzip or zstd.
 */
import fs from 'node:fs';
import path from 'node:path';
import { constants, deflateRawSync } from 'node:zlib';
import { crc32 } from './crc32.js';
import { BoilerstripError } from '../errors.js';
import { encode } from './blocks.js';
import type { RawRecord } from './records.js';
import type { ParquetTable } from './parquet-table.js';
import { zstdCompressor } from './zstd.js';
import { sweepStale, tempFiles, tempPrefix } from './temp.js';

export interface Sink {
  write(s: string): void | Promise<void>;
  /** Write bytes that are already UTF-8 (worker threads encode their own output). */
  writeBytes(b: Buffer): void | Promise<void>;
  /** Flush and make the output visible (rename into place). */
  close(): Promise<void>;
  /** Drop the output (temporary file removed). */
  abort(): void;
}

/** A kept record as pass 2 leaves it, for a sink that writes rows rather than JSONL lines. */
export interface CleanRow {
  record: RawRecord;
  /** The cleaned text, or null when the record's own text (or non-text) stands. */
  text: string | null;
  /** The removed spans, with --annotate (null otherwise). */
  spans: readonly (readonly [number, number, string])[] | null;
}

/**
 * A sink that takes rows (Parquet): pass 2 hands it each kept record with its new text instead of a JSONL
 * line, and each input's schema as the input is opened. Its write/writeBytes are never called.
 */
export interface RowSink extends Sink {
  readonly takesRows: true;
  begin(table: ParquetTable): void;
  writeRows(rows: CleanRow[]): void | Promise<void>;
}

export function isRowSink(s: Sink): s is RowSink {
  return (s as Partial<RowSink>).takesRows === true;
}

const FLUSH_AT = 1 << 20;

export type Compression = 'gzip' | 'zstd' | 'none';

/** The compression an output file's name asks for: .gz gzip, .zst zstd, else none. */
export function compressionOf(file: string): Compression {
  const f = file.toLowerCase();
  return f.endsWith('.gz') ? 'gzip' : f.endsWith('.zst') ? 'zstd' : 'none';
}

/** Compresses bytes as they are written: push gives what is ready (if anything), end the rest. */
export interface Codec {
  push(b: Buffer): Buffer | null;
  end(): Buffer;
}

/** Uncompressed bytes compressed at a time (one zstd frame, one flushed gzip segment). */
const SEGMENT_BYTES = 4 << 20;

/** Gathers pushed bytes into segments of SEGMENT_BYTES and compresses each with `seg`. */
class Segmented implements Codec {
  private parts: Buffer[] = [];
  private size = 0;
  constructor(private readonly seg: (raw: Buffer, last: boolean) => Buffer) {}
  push(b: Buffer): Buffer | null {
    this.parts.push(b);
    this.size += b.length;
    if (this.size < SEGMENT_BYTES) return null;
    return this.take(false);
  }
  end(): Buffer {
    return this.take(true);
  }
  private take(last: boolean): Buffer {
    const raw = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return this.seg(raw, last);
  }
}

/**
 * Level 4: on JSONL crawls gzip -4 gives 92% of -6's ratio (4.42 vs 4.83) at 3x its speed (84 vs 27 MB/s),
 * and -6 would be slower than clean's own output on two threads; -1 is faster still but 27% larger than -4.
 * For small files, use zstd (5.8, ~140 MB/s).
 */
export const GZIP_LEVEL = 4;
/** zstd's own default level. */
export const ZSTD_LEVEL = 3;

/**
 * One gzip member, made of raw deflate segments that each end in a sync flush (as pigz does): every segment
 * is compressed on its own, synchronously, and their concatenation is one valid deflate stream.
 */
function gzipCodec(level: number): Codec {
  let crc = 0;
  let size = 0;
  let started = false;
  return new Segmented((raw, last) => {
    const out: Buffer[] = [];
    if (!started) {
      out.push(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])); // no name, no mtime, Unix
      started = true;
    }
    crc = crc32(raw, crc);
    size = (size + raw.length) % 0x100000000;
    out.push(deflateRawSync(raw, { level, finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH }));
    if (last) {
      const t = Buffer.alloc(8);
      t.writeUInt32LE(crc >>> 0, 0);
      t.writeUInt32LE(size, 4);
      out.push(t);
    }
    return Buffer.concat(out);
  });
}

/** zstd frames of SEGMENT_BYTES each (an empty output is one empty frame, still a valid .zst). */
async function zstdCodec(level: number): Promise<Codec> {
  const frame = await zstdCompressor(level);
  let frames = 0;
  return new Segmented((raw, last) => (raw.length > 0 || (last && frames === 0) ? (frames++, frame(raw)) : Buffer.alloc(0)));
}

/** The codec for a compression (null: none). */
export async function codecFor(c: Compression): Promise<Codec | null> {
  return c === 'gzip' ? gzipCodec(GZIP_LEVEL) : c === 'zstd' ? zstdCodec(ZSTD_LEVEL) : null;
}

/** A sink that buffers strings and writes ~1 MB at a time, compressed by `codec` when there is one. */
abstract class Buffered implements Sink {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly codec: Codec | null = null) {}
  write(s: string): void | Promise<void> {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= FLUSH_AT) return this.flush();
  }
  writeBytes(b: Buffer): void | Promise<void> {
    const f = this.flush();
    if (f) return f.then(() => this.put(b));
    return this.put(b);
  }
  protected flush(): void | Promise<void> {
    if (this.size === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    return this.put(encode(chunk));
  }
  /** Flush, then the codec's last bytes: the output is complete. */
  protected async finish(): Promise<void> {
    await this.flush();
    if (this.codec) await this.emit(this.codec.end());
  }
  private put(b: Buffer): void | Promise<void> {
    if (!this.codec) return this.emit(b);
    const z = this.codec.push(b);
    if (z) return this.emit(z);
  }
  protected abstract emit(b: Buffer): void | Promise<void>;
  abstract close(): Promise<void>;
  abstract abort(): void;
}

/**
 * A system error's reason without the path it names: the output's temporary name (.boilerstrip-output-…
 * .partial) is ours, not the user's; the message names the file the user gave.
 */
function systemReason(e: unknown): string {
  return (e as Error).message.replace(/, \w+ '[^']*'( -> '[^']*')?$/, '');
}

/** Links followed at most, as Linux's open(2) does (ELOOP past it). */
const MAX_LINKS = 40;

/**
 * The path a file written as `file` lands on: symbolic links followed, a dangling one too (to the file
 * it names, which the write creates), at the file and at any folder above it, as open(2) with O_CREAT and
 * a shell's `>` do. A path that does not resolve for another reason than a missing file (a loop of links,
 * a folder that cannot be searched) throws the system's error, and so does a chain of more than MAX_LINKS
 * links.
 */
export function writePath(file: string, hops = 0): string {
  let p = path.resolve(file);
  for (;;) {
    try {
      return fs.realpathSync(p);
    } catch (e) {
      // A loop (ELOOP), a folder that cannot be searched: the write fails, as open(2) would (renaming
      // over the path would replace the link).
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    // p, or a folder above it, is missing: its folder as it resolves, then p itself if it is a link.
    const dir = path.dirname(p);
    const real = dir === p ? dir : path.join(writePath(dir, hops), path.basename(p));
    let link: string;
    try {
      link = fs.readlinkSync(real);
    } catch {
      return real; // not there (or not a link): the file to create
    }
    if (++hops > MAX_LINKS) throw Object.assign(new Error(`ELOOP: too many symbolic links encountered, open '${file}'`), { code: 'ELOOP' });
    p = path.resolve(path.dirname(real), link);
  }
}

/**
 * A file written under a temporary name next to it and renamed when complete: an output is there whole
 * or not at all (FileSink, ParquetSink). Temporary names are removed on abort and on SIGINT/SIGTERM/SIGHUP.
 *
 * A path that is there and is no regular file (/dev/null, a named pipe, /dev/stdout) is written in
 * place: a rename would put a file where the device or pipe was. A symbolic link stays a link: the file
 * it points to is replaced, or, when the link dangles, created (as `>` and open(2) write through a link;
 * renaming over the link's own path would replace the link with a file).
 */
/** What a written file is, for errors ("FILE: cannot write <what>: why"). */
export type OutputKind = 'output' | 'model' | 'report' | 'rejects';

export class PartialFile {
  readonly tmp: string;
  fd: number;
  /** Written in place (a device or pipe): nothing to rename or remove. */
  private readonly inPlace: boolean;
  private readonly target: string;
  /** @param what what the file is, for errors: "FILE: cannot write <what>: why". */
  constructor(
    readonly file: string,
    private readonly what: OutputKind = 'output',
  ) {
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(file);
    } catch {
      /* a new file */
    }
    this.inPlace = st !== null && !st.isFile();
    try {
      if (this.inPlace) {
        this.target = this.tmp = file;
        this.fd = fs.openSync(file, 'w');
        return;
      }
      this.target = writePath(file);
      const dir = path.dirname(this.target);
      sweepStale(dir);
      this.tmp = path.join(dir, `.${tempPrefix('output')}${Date.now()}-${path.basename(this.target)}.partial`);
      this.fd = fs.openSync(this.tmp, 'w');
    } catch (e) {
      throw new BoilerstripError('E_OUTPUT', `cannot write ${what}: ${systemReason(e)}`, { file });
    }
    tempFiles.add(this.tmp);
  }
  write(b: Uint8Array): void {
    try {
      let off = 0;
      while (off < b.length) off += fs.writeSync(this.fd, b, off);
    } catch (e) {
      this.abort();
      throw new BoilerstripError('E_OUTPUT', `cannot write ${this.what}: ${systemReason(e)}`, { file: this.file });
    }
  }
  /** Close and rename into place. */
  commit(): void {
    try {
      fs.closeSync(this.fd);
      this.fd = -1;
      if (this.inPlace) return;
      fs.renameSync(this.tmp, this.target);
      tempFiles.delete(this.tmp);
    } catch (e) {
      this.abort();
      throw new BoilerstripError('E_OUTPUT', `cannot write ${this.what}: ${systemReason(e)}`, { file: this.file });
    }
  }
  abort(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = -1;
    }
    if (this.inPlace) return;
    fs.rmSync(this.tmp, { force: true });
    tempFiles.delete(this.tmp);
  }
}

export class FileSink extends Buffered {
  private readonly out: PartialFile;
  constructor(file: string, codec: Codec | null = null, what: OutputKind = 'output') {
    super(codec);
    this.out = new PartialFile(file, what);
  }
  protected emit(b: Buffer): void {
    this.out.write(b);
  }
  async close(): Promise<void> {
    await this.finish();
    this.out.commit();
  }
  abort(): void {
    this.out.abort();
  }
}

/** Writes to a Node writable stream (stdout), waiting for 'drain' when it pushes back. */
export class StreamSink extends Buffered {
  constructor(
    private readonly stream: NodeJS.WritableStream,
    codec: Codec | null = null,
  ) {
    super(codec);
  }
  protected emit(b: Buffer): void | Promise<void> {
    if (!this.stream.write(b)) {
      return new Promise((resolve, reject) => {
        const done = (): void => {
          this.stream.off('drain', done);
          this.stream.off('error', fail);
          this.stream.off('close', done);
          resolve();
        };
        const fail = (e: Error): void => {
          this.stream.off('drain', done);
          this.stream.off('close', done);
          reject(new BoilerstripError('E_OUTPUT', `cannot write output: ${e.message}`));
        };
        this.stream.once('drain', done);
        this.stream.once('close', done);
        this.stream.once('error', fail);
      });
    }
  }
  async close(): Promise<void> {
    await this.finish();
  }
  abort(): void {
    /* nothing to remove */
  }
}

/** Collects output in memory (tests, library use). */
export class StringSink implements Sink {
  readonly parts: string[] = [];
  write(s: string): void {
    this.parts.push(s);
  }
  writeBytes(b: Buffer): void {
    this.parts.push(b.toString('utf8'));
  }
  async close(): Promise<void> {}
  abort(): void {}
  toString(): string {
    return this.parts.join('');
  }
}
