/**
 * Output sinks. A file is written under a temporary name in its directory and renamed when the run
 * succeeds, so a failed or interrupted run leaves no half file. Standard output respects backpressure;
 * a closed pipe (`| head`) ends the run quietly (see cli/main.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { BoilerstripError } from '../errors.js';
import { encode } from './blocks.js';

/** Files to remove if the process is interrupted (temporary outputs, the stdin spool). */
export const tempFiles = new Set<string>();

export function removeTempFiles(): void {
  for (const f of tempFiles) {
    try {
      fs.rmSync(f, { force: true, recursive: true });
    } catch {
      /* best effort on the way out */
    }
  }
  tempFiles.clear();
}

export interface Sink {
  write(s: string): void | Promise<void>;
  /** Write bytes that are already UTF-8 (worker threads encode their own output). */
  writeBytes(b: Buffer): void | Promise<void>;
  /** Flush and make the output visible (rename into place). */
  close(): Promise<void>;
  /** Drop the output (temporary file removed). */
  abort(): void;
}

const FLUSH_AT = 1 << 20;

/** A sink that buffers strings and writes ~1 MB at a time. */
abstract class Buffered implements Sink {
  private parts: string[] = [];
  private size = 0;
  write(s: string): void | Promise<void> {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= FLUSH_AT) return this.flush();
  }
  writeBytes(b: Buffer): void | Promise<void> {
    const f = this.flush();
    if (f) return f.then(() => this.emit(b));
    return this.emit(b);
  }
  protected flush(): void | Promise<void> {
    if (this.size === 0) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    return this.emit(encode(chunk));
  }
  protected abstract emit(b: Buffer): void | Promise<void>;
  abstract close(): Promise<void>;
  abstract abort(): void;
}

export class FileSink extends Buffered {
  private readonly tmp: string;
  private fd: number;
  constructor(private readonly file: string) {
    super();
    const dir = path.dirname(path.resolve(file));
    this.tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.partial`);
    try {
      this.fd = fs.openSync(this.tmp, 'w');
    } catch (e) {
      throw new BoilerstripError('E_OUTPUT', `cannot write output: ${(e as Error).message}`, { file });
    }
    tempFiles.add(this.tmp);
  }
  protected emit(b: Buffer): void {
    try {
      let off = 0;
      while (off < b.length) off += fs.writeSync(this.fd, b, off);
    } catch (e) {
      this.abort();
      throw new BoilerstripError('E_OUTPUT', `cannot write output: ${(e as Error).message}`, { file: this.file });
    }
  }
  async close(): Promise<void> {
    await this.flush();
    try {
      fs.closeSync(this.fd);
      this.fd = -1;
      fs.renameSync(this.tmp, this.file);
      tempFiles.delete(this.tmp);
    } catch (e) {
      this.abort();
      throw new BoilerstripError('E_OUTPUT', `cannot write output: ${(e as Error).message}`, { file: this.file });
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
    fs.rmSync(this.tmp, { force: true });
    tempFiles.delete(this.tmp);
  }
}

/** Writes to a Node writable stream (stdout), waiting for 'drain' when it pushes back. */
export class StreamSink extends Buffered {
  constructor(private readonly stream: NodeJS.WritableStream) {
    super();
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
    await this.flush();
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
