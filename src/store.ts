/**
 * Model files. Binary, versioned, checksummed:
 *
 *   "BSTRIPMD"            8 bytes magic
 *   u32 format version    FORMAT_VERSION; a newer file is refused with a clear message
 *   u32 header length     then the header: UTF-8 JSON (settings, documents, sites, entry counts)
 *   entries               N x (i32 k1, i32 k2, u32 count), sorted by key: equal counts give equal entries
 *   texts                 M x (i32 k1, i32 k2, u32 byte length, UTF-8 bytes): sample texts for inspect
 *   u32 CRC-32            of every byte before it
 *
 * Little-endian throughout. Files are written to a temporary name and renamed, so a failed save leaves
 * no half file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { Counter64 } from './counter.js';
import { BoilerstripError } from './errors.js';
import { Model, assertCompatible, type ModelParams, keyString } from './model.js';

export const MAGIC = Buffer.from('BSTRIPMD', 'latin1');
/** 2: raw document counts plus duplicate fingerprints (1: copies within a file were skipped; refused). */
export const FORMAT_VERSION = 2;

interface Header {
  params: ModelParams;
  docs: number;
  prune: { events: number; units: number; maxUndercount: number };
  /** Units in fewer documents than this were dropped (absent in older files: 1). */
  prunedBelow?: number;
  sites: [string, number][];
  entries: number;
  texts: number;
  tool: string;
}

/** Occupied slots of a counter, sorted by unsigned (k1, k2): LSD radix sort on 16-bit digits. */
function sortedSlots(c: Counter64): Uint32Array {
  const cap = c.capacity;
  let idx = new Uint32Array(c.size);
  let n = 0;
  for (let i = 0; i < cap; i++) if (c.cnt[i] !== 0) idx[n++] = i;
  let tmp = new Uint32Array(n);
  const counts = new Uint32Array(65537);
  const digit = [(i: number) => c.k2[i]! & 0xffff, (i: number) => (c.k2[i]! >>> 16) & 0xffff, (i: number) => c.k1[i]! & 0xffff, (i: number) => (c.k1[i]! >>> 16) & 0xffff];
  for (const d of digit) {
    counts.fill(0);
    for (let j = 0; j < n; j++) counts[d(idx[j]!) + 1]!++;
    for (let j = 1; j <= 65536; j++) counts[j]! += counts[j - 1]!;
    for (let j = 0; j < n; j++) {
      const v = idx[j]!;
      tmp[counts[d(v)]!++] = v;
    }
    [idx, tmp] = [tmp, idx];
  }
  return idx;
}

class ChunkWriter {
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  crc = 0;
  constructor(private readonly fd: number) {}
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }
  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v | 0, this.pos);
    this.pos += 4;
  }
  flush(): void {
    if (this.pos === 0) return;
    const view = this.buf.subarray(0, this.pos);
    this.crc = crc32(view, this.crc);
    fs.writeSync(this.fd, view);
    this.pos = 0;
  }
}

/** Write a model file (atomically: temporary name, then rename). */
export function saveModel(model: Model, file: string): void {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w');
  } catch (e) {
    throw new BoilerstripError('E_OUTPUT', `cannot write model: ${(e as Error).message}`, { file });
  }
  try {
    const c = model.counter;
    const textKeys = [...model.texts.keys()].sort();
    const header: Header = {
      params: model.params,
      docs: model.docs,
      prune: { ...c.prune },
      prunedBelow: model.prunedBelow,
      sites: [...model.sites].map(([name, s]) => [name, s.docs] as [string, number]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
      entries: c.size,
      texts: textKeys.length,
      tool: 'boilerstrip',
    };
    const w = new ChunkWriter(fd);
    w.bytes(MAGIC);
    w.u32(FORMAT_VERSION);
    const hb = Buffer.from(JSON.stringify(header), 'utf8');
    w.u32(hb.length);
    w.bytes(hb);
    for (const i of sortedSlots(c)) {
      w.i32(c.k1[i]!);
      w.i32(c.k2[i]!);
      w.u32(c.cnt[i]!);
    }
    for (const k of textKeys) {
      const t = Buffer.from(model.texts.get(k)!, 'utf8');
      w.i32(parseInt(k.slice(0, 8), 16));
      w.i32(parseInt(k.slice(8), 16));
      w.u32(t.length);
      w.bytes(t);
    }
    w.flush();
    const tail = Buffer.alloc(4);
    tail.writeUInt32LE(w.crc >>> 0, 0);
    fs.writeSync(fd, tail);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      /* already closed */
    }
    fs.rmSync(tmp, { force: true });
    if (e instanceof BoilerstripError) throw e;
    throw new BoilerstripError('E_OUTPUT', `cannot write model: ${(e as Error).message}`, { file });
  }
}

class ChunkReader {
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  private len = 0;
  private fileOffset = 0;
  crc = 0;
  constructor(
    private readonly fd: number,
    private readonly file: string,
    private readonly size: number,
  ) {}
  get offset(): number {
    return this.fileOffset - (this.len - this.pos);
  }
  private fill(n: number): void {
    if (this.len - this.pos >= n) return;
    const rest = this.buf.subarray(this.pos, this.len);
    // Bytes leaving the buffer are added to the checksum as they are consumed (see take).
    const nb = n > this.buf.length ? Buffer.allocUnsafe(n) : this.buf;
    rest.copy(nb, 0);
    this.buf = nb;
    this.len = rest.length;
    this.pos = 0;
    while (this.len < n) {
      const r = fs.readSync(this.fd, this.buf, this.len, this.buf.length - this.len, this.fileOffset);
      if (r === 0) throw new BoilerstripError('E_MODEL', `model file is truncated at byte ${this.fileOffset} of ${this.size}`, { file: this.file });
      this.len += r;
      this.fileOffset += r;
    }
  }
  take(n: number): Buffer {
    this.fill(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.crc = crc32(v, this.crc);
    this.pos += n;
    return v;
  }
  u32(): number {
    return this.take(4).readUInt32LE(0);
  }
  i32(): number {
    return this.take(4).readInt32LE(0);
  }
  /** Entries are read in bulk: n records of 12 bytes. */
  records(n: number, fn: (a: number, b: number, c: number) => void): void {
    let left = n;
    while (left > 0) {
      const k = Math.min(left, 65536);
      const v = this.take(k * 12);
      for (let j = 0; j < k; j++) fn(v.readInt32LE(j * 12), v.readInt32LE(j * 12 + 4), v.readUInt32LE(j * 12 + 8));
      left -= k;
    }
  }
}

export interface LoadOptions {
  /** Memory for the count table; raised when the model needs more. */
  maxMemory?: number;
  /** Add the file's counts into this model instead of making a new one (merging file by file). */
  into?: Model;
}

/** Read a model file. A corrupt, truncated, foreign or future-version file is an E_MODEL error. */
export function loadModel(file: string, opts: LoadOptions = {}): Model {
  let fd: number;
  let size: number;
  try {
    fd = fs.openSync(file, 'r');
    size = fs.fstatSync(fd).size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BoilerstripError('E_MODEL', code === 'ENOENT' ? 'no such model file' : `cannot read model: ${(e as Error).message}`, { file });
  }
  try {
    const r = new ChunkReader(fd, file, size);
    if (size < MAGIC.length + 12) throw new BoilerstripError('E_MODEL', `not a boilerstrip model (${size} bytes is too short)`, { file });
    const magic = r.take(8);
    if (!magic.equals(MAGIC)) throw new BoilerstripError('E_MODEL', 'not a boilerstrip model (bad magic bytes)', { file });
    const version = r.u32();
    if (version > FORMAT_VERSION) {
      throw new BoilerstripError('E_MODEL', `model format version ${version} is newer than this boilerstrip reads (${FORMAT_VERSION}); upgrade boilerstrip`, { file });
    }
    if (version < 1) throw new BoilerstripError('E_MODEL', `unknown model format version ${version}`, { file });
    if (version < FORMAT_VERSION) {
      throw new BoilerstripError('E_MODEL', `model format version ${version} was written by an older boilerstrip, which counted duplicates differently; learn the model again`, { file });
    }
    const hlen = r.u32();
    if (hlen > size) throw new BoilerstripError('E_MODEL', 'model header is corrupt (length past the end of the file)', { file });
    let header: Header;
    try {
      header = JSON.parse(r.take(hlen).toString('utf8')) as Header;
    } catch {
      throw new BoilerstripError('E_MODEL', 'model header is corrupt (not JSON)', { file });
    }
    if (!header || typeof header.entries !== 'number' || !Array.isArray(header.sites) || typeof header.params !== 'object') {
      throw new BoilerstripError('E_MODEL', 'model header is corrupt (fields missing)', { file });
    }
    const minSize = r.offset + header.entries * 12 + header.texts * 12 + 4;
    if (size < minSize) throw new BoilerstripError('E_MODEL', `model file is truncated: ${size} bytes, its header promises at least ${minSize}`, { file });
    const into = opts.into;
    if (into) assertCompatible(into.params, header.params);
    const model = into ?? new Model({ maxMemory: Math.max(opts.maxMemory ?? 0, Counter64.budgetFor(header.entries), 1 << 22), maxTexts: Math.max(header.texts, 50_000) }, header.params);
    const c = model.counter;
    c.reserve(c.size + header.entries);
    r.records(header.entries, (a, b, n) => c.add(a, b, n));
    for (let i = 0; i < header.texts; i++) {
      const a = r.i32();
      const b = r.i32();
      const len = r.u32();
      if (len > size) throw new BoilerstripError('E_MODEL', 'model texts are corrupt', { file });
      model.offerText(keyString(a, b), r.take(len).toString('utf8'));
    }
    const expected = r.crc >>> 0;
    const stored = r.take(4).readUInt32LE(0);
    if (stored !== expected) throw new BoilerstripError('E_MODEL', 'model checksum does not match: the file is corrupt', { file });
    if (r.offset !== size) throw new BoilerstripError('E_MODEL', `model file has ${size - r.offset} bytes of trailing garbage`, { file });
    model.addTotals(header);
    model.prunedBelow = Math.max(model.prunedBelow, header.prunedBelow ?? 1);
    return model;
  } catch (e) {
    if (e instanceof BoilerstripError) throw e;
    throw new BoilerstripError('E_MODEL', `model file is corrupt: ${(e as Error).message}`, { file });
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Sum model files one at a time into the first (exact and order-independent): only one table in memory,
 * sized up front from the files' sizes (12 bytes an entry at most).
 */
export function mergeModelFiles(files: string[]): Model {
  if (files.length === 0) throw new BoilerstripError('E_OPTION', 'merge needs at least one model');
  let bytes = 0;
  for (const f of files) {
    try {
      bytes += fs.statSync(f).size;
    } catch {
      /* loadModel names the missing file */
    }
  }
  const merged = loadModel(files[0]!, { maxMemory: Counter64.budgetFor(bytes / 12) });
  for (const f of files.slice(1)) loadModel(f, { into: merged });
  return merged;
}

/** Sum models (exact and order-independent). Settings must agree. */
export function mergeModels(models: Model[]): Model {
  if (models.length === 0) throw new BoilerstripError('E_OPTION', 'merge needs at least one model');
  let entries = 0;
  for (const m of models) entries += m.counter.size;
  const first = models[0]!;
  const out = new Model({ maxMemory: Math.max(Counter64.budgetFor(entries), 1 << 22), maxTexts: first.maxTexts }, first.params);
  for (const m of models) out.mergeFrom(m);
  return out;
}
