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
import { Counter64 } from './counter.js';
import { crc32 } from './io/crc32.js';
import { BoilerstripError } from './errors.js';
import { Model, assertCompatible, type ModelParams, keyString } from './model.js';
import { PartialFile } from './io/output.js';

export const MAGIC = Buffer.from('BSTRIPMD', 'latin1');
/**
 * 4: prose-label keys too (how many of the lines a label opens end a sentence); 3: shingle fingerprints too
 * (near-copies: edited wire stories); 2: raw document counts plus whole-line
 * duplicate fingerprints; 1: copies within a file were skipped. Older files are refused: they lack keys
 * this version judges by.
 */
export const FORMAT_VERSION = 4;

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

/**
 * The entries of a counter in file order, sorted by unsigned (k1, k2), as (k1, k2, count) little-endian,
 * 12 bytes each. LSD radix sort on 16-bit digits that moves the entries themselves (sequential reads, one
 * loop per digit, no per-element calls: this is most of a save's time).
 */
function entryBytes(c: Counter64): Buffer {
  const cap = c.capacity;
  const n = c.size;
  let a1 = new Int32Array(n);
  let a2 = new Int32Array(n);
  let ac = new Uint32Array(n);
  let b1 = new Int32Array(n);
  let b2 = new Int32Array(n);
  let bc = new Uint32Array(n);
  {
    const k1 = c.k1;
    const k2 = c.k2;
    const cnt = c.cnt;
    let j = 0;
    for (let i = 0; i < cap; i++) {
      if (cnt[i] === 0) continue;
      a1[j] = k1[i]!;
      a2[j] = k2[i]!;
      ac[j] = cnt[i]!;
      j++;
    }
    if (j !== n) throw new BoilerstripError('E_INTERNAL', `model table holds ${j} entries, its size says ${n}`);
  }
  const counts = new Uint32Array(65537);
  for (let pass = 0; pass < 4; pass++) {
    const key = pass < 2 ? a2 : a1;
    const shift = (pass & 1) * 16;
    counts.fill(0);
    for (let j = 0; j < n; j++) counts[((key[j]! >>> shift) & 0xffff) + 1]!++;
    for (let j = 1; j <= 65536; j++) counts[j]! += counts[j - 1]!;
    for (let j = 0; j < n; j++) {
      const p = counts[(key[j]! >>> shift) & 0xffff]!++;
      b1[p] = a1[j]!;
      b2[p] = a2[j]!;
      bc[p] = ac[j]!;
    }
    [a1, b1] = [b1, a1];
    [a2, b2] = [b2, a2];
    [ac, bc] = [bc, ac];
  }
  const out = Buffer.allocUnsafe(n * 12);
  if (LITTLE_ENDIAN && out.byteOffset % 4 === 0) {
    const w = new Int32Array(out.buffer, out.byteOffset, n * 3);
    for (let j = 0, p = 0; j < n; j++, p += 3) {
      w[p] = a1[j]!;
      w[p + 1] = a2[j]!;
      w[p + 2] = ac[j]! | 0;
    }
  } else {
    for (let j = 0, p = 0; j < n; j++, p += 12) {
      out.writeInt32LE(a1[j]!, p);
      out.writeInt32LE(a2[j]!, p + 4);
      out.writeUInt32LE(ac[j]!, p + 8);
    }
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

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
  /** Write a large buffer as it is (after flush()). */
  direct(b: Buffer): void {
    this.crc = crc32(b, this.crc);
    let off = 0;
    while (off < b.length) off += fs.writeSync(this.fd, b, off);
  }
  flush(): void {
    if (this.pos === 0) return;
    const view = this.buf.subarray(0, this.pos);
    this.crc = crc32(view, this.crc);
    fs.writeSync(this.fd, view);
    this.pos = 0;
  }
}

function headerBytes(model: Model, texts: number): Buffer {
  const c = model.counter;
  const header: Header = {
    params: model.params,
    docs: model.docs,
    prune: { ...c.prune },
    prunedBelow: model.prunedBelow,
    sites: [...model.sites].map(([name, s]) => [name, s.docs] as [string, number]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    entries: c.size,
    texts,
    tool: 'boilerstrip',
  };
  return Buffer.from(JSON.stringify(header), 'utf8');
}

/** The size of the file saveModel would write for this model, without writing it. */
export function modelFileBytes(model: Model): number {
  let texts = 0;
  for (const t of model.texts.values()) texts += 12 + Buffer.byteLength(t, 'utf8');
  return MAGIC.length + 8 + headerBytes(model, model.texts.size).length + model.counter.size * 12 + texts + 4;
}

/**
 * Write a model file (atomically: temporary name, then rename). `texts: false` leaves the sample texts
 * out (a model on its way to a merge into one that has all the texts it keeps).
 */
export function saveModel(model: Model, file: string, opts: { texts?: boolean } = {}): void {
  const out = new PartialFile(file, 'model');
  const fd = out.fd;
  try {
    const c = model.counter;
    const textKeys = opts.texts === false ? [] : [...model.texts.keys()].sort();
    const w = new ChunkWriter(fd);
    w.bytes(MAGIC);
    w.u32(FORMAT_VERSION);
    const hb = headerBytes(model, textKeys.length);
    w.u32(hb.length);
    w.bytes(hb);
    w.flush();
    w.direct(entryBytes(c));
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
    out.commit();
  } catch (e) {
    out.abort();
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
  /** Start in buf of the bytes taken but not yet added to the checksum (added in spans: see sum). */
  private unsummed = 0;
  /** Add the bytes taken so far to the checksum (one call over a span, not one a take). */
  sum(): void {
    if (this.pos > this.unsummed) this.crc = crc32(this.buf.subarray(this.unsummed, this.pos), this.crc);
    this.unsummed = this.pos;
  }
  private fill(n: number): void {
    if (this.len - this.pos >= n) return;
    // Bytes leaving the buffer are added to the checksum first.
    this.sum();
    const rest = this.buf.subarray(this.pos, this.len);
    const nb = n > this.buf.length ? Buffer.allocUnsafe(n) : this.buf;
    rest.copy(nb, 0);
    this.buf = nb;
    this.len = rest.length;
    this.pos = 0;
    this.unsummed = 0;
    while (this.len < n) {
      const r = fs.readSync(this.fd, this.buf, this.len, this.buf.length - this.len, this.fileOffset);
      if (r === 0) throw new BoilerstripError('E_MODEL', `model file is truncated: it ends at byte ${this.size}, inside the ${n} bytes read from byte ${this.fileOffset - this.len}`, { file: this.file });
      this.len += r;
      this.fileOffset += r;
    }
  }
  take(n: number): Buffer {
    this.fill(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
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
  /** Read the sample texts (default true). They serve inspect only: strip, which never reads them, skips them. */
  texts?: boolean;
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
      throw new BoilerstripError('E_MODEL', `model format version ${version} was written by an older boilerstrip, which counted copies differently; learn the model again`, { file });
    }
    const hlen = r.u32();
    // A header that runs past the end: a file cut short, unless its length is past any header's (garbled).
    if (r.offset + hlen + 4 > size) {
      if (hlen > 1 << 26) throw new BoilerstripError('E_MODEL', 'model header is corrupt (length past the end of the file)', { file });
      throw new BoilerstripError('E_MODEL', `model file is truncated: ${size} bytes, its header alone needs ${r.offset + hlen}`, { file });
    }
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
    const withTexts = opts.texts ?? true;
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
      const bytes = r.take(len);
      if (!withTexts) continue;
      const key = keyString(a, b);
      // (A text the model would refuse is not decoded.)
      if (model.texts.size < model.maxTexts || model.texts.has(key)) model.offerText(key, bytes.toString('utf8'));
    }
    r.sum();
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
 * sized up front from the files' sizes (12 bytes an entry at most). `held` may give a file's model already
 * in memory (serve mode keeps what it learned): it is added as loading its file would add it. With `into`,
 * every file is added into that model instead (serve's in-memory sums).
 */
export function mergeModelFiles(files: string[], held?: (file: string) => Model | undefined, into?: Model): Model {
  if (files.length === 0 && !into) throw new BoilerstripError('E_OPTION', 'merge needs at least one model');
  let bytes = 0;
  for (const f of files) {
    try {
      bytes += fs.statSync(f).size;
    } catch {
      /* loadModel names the missing file */
    }
  }
  const inMemory = files.map((f) => held?.(f));
  const first = inMemory[0];
  let merged: Model;
  if (into) {
    merged = into;
    // (Room for the files too: loading them one by one into a table sized for the sum would double it.)
    into.counter.reserve(into.counter.size + Math.ceil(bytes / 12));
  } else if (first) {
    // (The table loadModel would make for the first file.)
    merged = new Model({ maxMemory: Math.max(Counter64.budgetFor(bytes / 12), Counter64.budgetFor(first.counter.size), 1 << 22), maxTexts: Math.max(first.texts.size, 50_000) }, first.params);
  } else {
    merged = loadModel(files[0]!, { maxMemory: Counter64.budgetFor(bytes / 12) });
  }
  // Room for the models in memory at once, not doubling model by model.
  let entries = merged.counter.size;
  for (const m of inMemory) entries += m?.counter.size ?? 0;
  merged.counter.reserve(entries);
  files.forEach((f, i) => {
    const m = inMemory[i];
    if (m) addModel(merged, m);
    else if (into || i > 0) loadModel(f, { into: merged });
  });
  return merged;
}

/**
 * Add a model in memory into `into` the way loadModel(file, { into }) adds the file it was saved to: every
 * entry, the sample texts offered in the file's (key) order, the totals, the pruning floor.
 */
export function addModel(into: Model, m: Model): void {
  assertCompatible(into.params, m.params);
  const c = into.counter;
  const o = m.counter;
  c.reserve(c.size + o.size);
  const cap = o.capacity;
  const k1 = o.k1;
  const k2 = o.k2;
  const cnt = o.cnt;
  for (let i = 0; i < cap; i++) if (cnt[i] !== 0) c.add(k1[i]!, k2[i]!, cnt[i]!);
  for (const key of [...m.texts.keys()].sort()) into.offerText(key, m.texts.get(key)!);
  into.addTotals({ sites: [...m.sites].map(([name, s]) => [name, s.docs] as [string, number]), docs: m.docs, prune: m.prune });
  into.prunedBelow = Math.max(into.prunedBelow, m.prunedBelow);
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
