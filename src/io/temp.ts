/**
 * Temporary files of a run: the analysis cache, the standard-input, pipe and zstd spools, partial outputs.
 * Each is removed when the run ends or is interrupted (SIGINT, SIGTERM, SIGHUP). A process killed outright
 * (SIGKILL, the kernel's OOM killer, a lost Dask worker) cannot remove its own, and a cache takes about
 * a third of the input's size; so their names carry the host and process id of their owner, and the
 * next run that makes one in the same directory removes those whose owner on this host has exited.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BoilerstripError } from '../errors.js';

/** Files and directories to remove if the process is interrupted. */
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

const HOST = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host';
const OWNED = /^\.?boilerstrip-[a-z]+-(.+)~(\d+)-/;

/** The start of the name of one of this process's temporary files of this kind (e.g. `cache`). */
export function tempPrefix(kind: string): string {
  return `boilerstrip-${kind}-${HOST}~${process.pid}-`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const swept = new Set<string>();

/**
 * Remove the temporary files in `dir` left by boilerstrip processes of this host that have exited
 * (once a directory per process). Returns how many went.
 */
export function sweepStale(dir: string): number {
  const abs = path.resolve(dir);
  if (swept.has(abs)) return 0;
  swept.add(abs);
  let names: string[];
  try {
    names = fs.readdirSync(abs);
  } catch {
    return 0;
  }
  let n = 0;
  for (const name of names) {
    const m = OWNED.exec(name);
    if (m === null || m[1] !== HOST) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || alive(pid)) continue;
    try {
      fs.rmSync(path.join(abs, name), { recursive: true, force: true });
      n++;
    } catch {
      /* another sweeper got there first, or no permission: leave it */
    }
  }
  return n;
}

/** Whether `file` is this process's spool of standard input (run.ts spoolStdin names it): messages call it '-'. */
export function isStdinSpool(file: string): boolean {
  return path.basename(file).startsWith(tempPrefix('stdin'));
}

let spools = 0;

/**
 * A stream copied whole into a temporary file in `tmpDir` (removed at exit or on a signal), for an input
 * that can be read only once but must be read again (standard input for clean's two passes, a named pipe):
 * `kind` names the file (isStdinSpool knows stdin's), `fail` says what could not be copied where.
 */
export async function spool(input: NodeJS.ReadableStream, kind: 'stdin' | 'pipe', tmpDir: string, fail: (e: Error) => BoilerstripError): Promise<string> {
  sweepStale(tmpDir);
  const file = path.join(tmpDir, `${tempPrefix(kind)}${Date.now()}-${++spools}.spool`);
  tempFiles.add(file);
  try {
    await pipeline(input, fs.createWriteStream(file));
  } catch (e) {
    if (e instanceof BoilerstripError) throw e;
    throw fail(e as Error);
  }
  return file;
}

/**
 * A named pipe, /dev/fd/N (`<(cmd)`) or other input that is not a regular file, copied to a temporary file
 * in `tmpDir`: it can be read once, from its start, while inputs are sniffed by their first bytes (then read
 * again from the start), Parquet by byte range, and clean reads its inputs twice. Removed with the other
 * temporary files.
 */
export function spoolPipe(file: string, tmpDir = os.tmpdir()): Promise<string> {
  return spool(fs.createReadStream(file), 'pipe', tmpDir, (e) => new BoilerstripError('E_INPUT', `cannot copy this pipe into ${tmpDir} (it is not a regular file: its bytes are read once and kept there; --tmp-dir chooses where): ${e.message}`, { file }));
}
