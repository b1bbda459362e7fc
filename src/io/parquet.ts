/**
 * Parquet in and out, one row group at a time: the reader never holds more than one row group of a file,
 * the sink never more than one row group of output.
 *
 * Reading is hyparquet (pure JS): the footer, then each row group by byte range through a file handle.
 * Codecs: SNAPPY and LZ4 from hyparquet-compressors (snappy in WebAssembly, ~3x hyparquet's own JS),
 * ZSTD through the zstd WebAssembly decoder of ./zstd.ts (~3.5x fzstd), GZIP and BROTLI through zlib.
 * A row is a record whose value is the row object and whose line is its 1-based row number.
 *
 * Values come in one of two shapes (ReadOptions.parquetValues):
 *  - 'exact', for a Parquet sink: every value as the sink writes it back with the same physical and
 *    logical type. Timestamps and dates stay integers in their unit; DECIMAL, JSON, BSON, INTERVAL,
 *    FLOAT16, geometries and variants are read as their stored bytes or integers (their annotations are
 *    hidden from the reader, which would otherwise turn DECIMAL into a float and reformat JSON) and written
 *    back as they were; MAPs are read as the structs they are stored as (mapFixer); unannotated binary
 *    stays bytes.
 *  - 'json', for JSONL output: top-level timestamps and dates as ISO 8601 strings (all digits of the unit;
 *    'Z' when the column is UTC), top-level DECIMAL as exact number text (nested: floats), JSON parsed,
 *    UUIDs as strings, unannotated binary as UTF-8 text; INT64 values are bigints, which record.ts writes
 *    as JSON numbers with every digit; other bytes (INTERVAL, BSON, fixed-length) as base64.
 *
 * Writing is hyparquet-writer's ParquetWriter with the first input's schema: every column and its type
 * are kept (but the HTML column of --html-field, unless --keep-html), the text column gets the cleaned
 * text, and with --annotate a JSON column of spans is added.
 * Several inputs go to one output only when their schemas are the same.
 */
import { transcode } from 'node:buffer';
import { promises as fsp } from 'node:fs';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type CompressionCodec, type Compressors, type FileMetaData, type ParquetParsers, type SchemaElement, type SchemaTree } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { BoilerstripError } from '../errors.js';
import { getField, JsonNumber, stringifyTyped } from '../record.js';
import type { BadRecord, InputSource, RawRecord, ReadItem, ReadOptions } from './records.js';
import { PartialFile, ZSTD_LEVEL, type CleanRow, type RowSink } from './output.js';
import { zstdBlockDecoder, zstdCompressor } from './zstd.js';
import type { ParquetTable } from './parquet-table.js';

export type { ParquetTable } from './parquet-table.js';

/**
 * One UTF-8 value to a string, as blocks.ts decodes JSONL: transcoding to UTF-16 first is ~4x faster than
 * V8's decoder on Arabic, V8's decoder is faster on ASCII. Decided on the first 64 bytes (blocks.ts probes
 * 4 KB, once per MB; per value that would cost more than the decoding). Strings decoded from invalid
 * UTF-8 (U+FFFD in place of the bad bytes) are added to `invalid`.
 */
function utf8Value(b: Uint8Array, invalid: Set<string>): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const probe = Math.min(b.length, 64);
  let high = 0;
  for (let i = 0; i < probe; i++) if (b[i]! >= 0x80) high++;
  if (high * 8 >= probe && probe > 0) {
    try {
      return transcode(buf, 'utf8', 'ucs2').toString('ucs2');
    } catch {
      /* invalid UTF-8: V8's decoder below marks it */
    }
  }
  const text = buf.toString('utf8');
  if (text.includes('\ufffd') && !Buffer.from(text, 'utf8').equals(buf)) invalid.add(text);
  return text;
}

const NON_LATIN1 = /[^\u0000-\u00ff]/;

/**
 * One string to UTF-8, as blocks.ts encodes output but per value: transcoding from UTF-16 is several times
 * faster than V8's encoder on Arabic (blocks.ts starts at 4096 characters, as it encodes 1 MB at a time;
 * most documents are shorter). Lone surrogates make transcode throw: V8 writes them as U+FFFD.
 */
function utf8Bytes(s: string): Uint8Array {
  if (s.length < 64 || !NON_LATIN1.test(s)) return Buffer.from(s, 'utf8');
  try {
    return transcode(Buffer.from(s, 'ucs2'), 'ucs2', 'utf8');
  } catch {
    return Buffer.from(s, 'utf8');
  }
}

/** Rows of a sub-batch handed on at a time (a row group can hold a million). */
const BATCH_ROWS = 1024;

// Annotations whose values hyparquet would convert lossily (DECIMAL to float, JSON reformatted) or not at
// all (BSON, INTERVAL): in 'exact' mode these leaves are read as stored and written back as stored.
const RAW_CONVERTED = new Set(['DECIMAL', 'JSON', 'BSON', 'INTERVAL']);
const RAW_LOGICAL = new Set(['DECIMAL', 'JSON', 'BSON', 'FLOAT16', 'GEOMETRY', 'GEOGRAPHY', 'VARIANT']);

/** Annotations hyparquet refuses to convert. */
const UNREADABLE = new Set(['INTERVAL', 'BSON']);

function isRaw(e: SchemaElement): boolean {
  return RAW_CONVERTED.has(e.converted_type ?? '') || RAW_LOGICAL.has(e.logical_type?.type ?? '');
}

function withoutAnnotation(e: SchemaElement): SchemaElement {
  const { converted_type: _c, logical_type: _l, scale: _s, precision: _p, ...rest } = e;
  return rest;
}

/** What a column holds, for messages. */
function describe(node: SchemaTree): string {
  const e = node.element;
  if (node.children.length > 0) return e.converted_type === 'LIST' ? 'a list' : e.converted_type === 'MAP' ? 'a map' : 'a struct';
  const t = e.logical_type?.type ?? e.converted_type ?? e.type ?? 'untyped';
  return `${e.repetition_type === 'REPEATED' ? 'repeated ' : ''}${t}`;
}

/** What a node a dotted field's path goes through is, for messages: a list, a map, a leaf of type X, ... */
function describeNode(node: SchemaTree): string {
  const e = node.element;
  if (node.children.length === 0) return `of type ${describe(node)}`;
  if (e.repetition_type === 'REPEATED') return 'a repeated group';
  if (isMap(e)) return 'a map';
  if (e.converted_type === 'LIST' || e.logical_type?.type === 'LIST') return 'a list';
  return `a group of type ${e.logical_type?.type ?? e.converted_type ?? 'unknown'}`;
}

function pqError(file: string, message: string, line?: number): BoilerstripError {
  return new BoilerstripError('E_PARQUET', message, { file, line });
}

function isMap(e: SchemaElement): boolean {
  return e.converted_type === 'MAP' || e.converted_type === 'MAP_KEY_VALUE' || e.logical_type?.type === 'MAP';
}

function withoutMap(e: SchemaElement): SchemaElement {
  const { converted_type: _c, logical_type: _l, ...rest } = e;
  return rest;
}

/**
 * Exact mode reads a MAP as the struct it is stored as, {key_value: [{key, value}, ...]}: hyparquet would
 * make an object of it, turning INT64 keys into strings and reordering integer-like ones. This gives the
 * function that turns such a value back into the entry list hyparquet-writer takes for a MAP (null when
 * the column holds no map).
 */
function mapFixer(node: SchemaTree): ((v: unknown) => unknown) | null {
  if (node.children.length === 0) return null;
  const e = node.element;
  if (e.converted_type === 'MAP' || e.logical_type?.type === 'MAP') {
    const kv = node.children[0]!;
    const valueNode = kv.children[1];
    const fixValue = valueNode ? mapFixer(valueNode) : null;
    const kvName = kv.element.name;
    const valueName = valueNode?.element.name ?? 'value';
    return (v) => {
      if (v === null || v === undefined) return v;
      const entries = ((v as Record<string, unknown>)[kvName] ?? []) as Record<string, unknown>[];
      return fixValue ? entries.map((x) => ({ ...x, [valueName]: fixValue(x[valueName]) })) : entries;
    };
  }
  if (e.converted_type === 'LIST' || e.logical_type?.type === 'LIST') {
    let item = node.children[0]!;
    if (item.children.length === 1) item = item.children[0]!;
    const f = mapFixer(item);
    return f ? (v) => (Array.isArray(v) ? v.map(f) : v) : null;
  }
  const fields = node.children.map((c) => [c.element.name, mapFixer(c)] as const).filter(([, f]) => f !== null);
  if (fields.length === 0) return null;
  return (v) => {
    if (v === null || v === undefined || typeof v !== 'object') return v;
    const o = { ...(v as Record<string, unknown>) };
    for (const [k, f] of fields) o[k] = f!(o[k]);
    return o;
  };
}

function tableOf(file: string, metadata: FileMetaData): ParquetTable {
  const tree = parquetSchema(metadata);
  const noStatistics = new Set<string>();
  const fixers = new Map<string, (v: unknown) => unknown>();
  let unwritable: string | null = null;
  const walk = (node: SchemaTree, top: string, raw: boolean): void => {
    const r = raw || isRaw(node.element);
    if (node.children.length === 0) {
      if (r && node.element.type !== 'INT32' && node.element.type !== 'INT64') noStatistics.add(top);
      if (node.element.type === 'INT96') unwritable ??= top;
    }
    for (const c of node.children) walk(c, top, r);
  };
  for (const c of tree.children) {
    walk(c, c.element.name, false);
    const f = mapFixer(c);
    if (f) fixers.set(c.element.name, f);
  }
  const writeSchema = metadata.schema.map((e, i) => (i > 0 && isRaw(e) ? withoutAnnotation(e) : e));
  return {
    file,
    metadata,
    columns: tree.children.map((c) => c.element.name),
    writeSchema,
    readSchema: writeSchema.map((e, i) => (i > 0 && isMap(e) ? withoutMap(e) : e)),
    fixers,
    noStatistics,
    unwritable,
  };
}

/** The file as hyparquet reads it: byte ranges through one file handle. */
async function openBuffer(src: InputSource, name: string): Promise<AsyncBuffer & { close(): Promise<void> }> {
  let fh: fsp.FileHandle;
  let size: number;
  try {
    fh = await fsp.open(src.name, 'r');
    size = (await fh.stat()).size;
  } catch (e) {
    throw new BoilerstripError('E_INPUT', `cannot read: ${(e as Error).message}`, { file: name });
  }
  return {
    byteLength: size,
    async slice(start: number, end = size): Promise<ArrayBuffer> {
      if (start < 0 || end > size || start > end) throw new Error(`the footer points at bytes ${start}–${end}, outside the file's ${size} bytes (truncated or corrupt)`);
      const ab = new ArrayBuffer(end - start);
      for (let off = 0; off < ab.byteLength; ) {
        const { bytesRead } = await fh.read(new Uint8Array(ab, off), 0, ab.byteLength - off, start + off);
        if (bytesRead === 0) throw new Error(`the file ended at byte ${start + off} (truncated while being read?)`);
        off += bytesRead;
      }
      return ab;
    },
    close: () => fh.close(),
  };
}

let readCodecs: Promise<Compressors> | null = null;

/** Decompressors by codec: each gives exactly the announced size or throws (hyparquet checks the size too). */
function decompressors(): Promise<Compressors> {
  readCodecs ??= (async () => {
    const { compressors } = await import('hyparquet-compressors');
    const zstd = await zstdBlockDecoder();
    const named = (codec: string, f: (b: Uint8Array, n: number) => Uint8Array) => (b: Uint8Array, n: number): Uint8Array => {
      try {
        return f(b, n);
      } catch (e) {
        throw new Error(`corrupt ${codec} page (${(e as Error).message})`);
      }
    };
    return {
      SNAPPY: named('SNAPPY', compressors.SNAPPY!),
      LZ4: named('LZ4', compressors.LZ4!),
      LZ4_RAW: named('LZ4_RAW', compressors.LZ4_RAW!),
      ZSTD: named('ZSTD', zstd),
      GZIP: named('GZIP', (b) => gunzipSync(b)),
      BROTLI: named('BROTLI', (b) => brotliDecompressSync(b)),
    };
  })();
  return readCodecs;
}

/** Digits of a timestamp as ISO 8601, keeping every digit of its unit (3: ms, 6: µs, 9: ns). */
export function isoTimestamp(v: bigint, digits: number, utc: boolean): string {
  const unit = 10n ** BigInt(digits);
  let sec = v / unit;
  let frac = v % unit;
  if (frac < 0n) {
    frac += unit;
    sec -= 1n;
  }
  const d = new Date(Number(sec) * 1000);
  const base = Number.isNaN(d.getTime()) ? String(v) : d.toISOString().slice(0, 19);
  return `${base}.${frac.toString().padStart(digits, '0')}${utc ? 'Z' : ''}`;
}

/** A DECIMAL as stored (INT32, INT64, or big-endian two's complement bytes) as exact JSON number text. */
export function decimalText(v: unknown, scale: number): unknown {
  let u: bigint;
  if (typeof v === 'number') u = BigInt(v);
  else if (typeof v === 'bigint') u = v;
  else if (v instanceof Uint8Array) {
    if (v.length === 0) return new JsonNumber('0');
    u = 0n;
    for (const b of v) u = (u << 8n) | BigInt(b);
    if (v[0]! >= 0x80) u -= 1n << BigInt(8 * v.length);
  } else return v;
  const neg = u < 0n;
  let digits = (neg ? -u : u).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return new JsonNumber(`${neg ? '-' : ''}${digits}`);
}

function isDecimal(e: SchemaElement): boolean {
  return e.converted_type === 'DECIMAL' || e.logical_type?.type === 'DECIMAL';
}

/**
 * 'json' mode: converters of top-level columns: timestamps and dates to ISO strings, DECIMAL (read as
 * stored, see readParquet) to exact number text. Nested ones keep hyparquet's values (integers; floats).
 */
function jsonConverters(tree: SchemaTree, columns: string[] | undefined): [string, (v: unknown) => unknown][] {
  const out: [string, (v: unknown) => unknown][] = [];
  for (const c of tree.children) {
    const e = c.element;
    if (c.children.length > 0 || (columns && !columns.includes(e.name))) continue;
    const lt = e.logical_type;
    let digits = 0;
    let utc = true;
    if (lt?.type === 'TIMESTAMP') {
      digits = lt.unit === 'MILLIS' ? 3 : lt.unit === 'MICROS' ? 6 : 9;
      utc = lt.isAdjustedToUTC;
    } else if (e.converted_type === 'TIMESTAMP_MILLIS') digits = 3;
    else if (e.converted_type === 'TIMESTAMP_MICROS') digits = 6;
    else if (e.type === 'INT96') digits = 9;
    if (digits > 0) {
      const d = digits;
      const u = utc;
      out.push([e.name, (v) => (typeof v === 'bigint' ? isoTimestamp(v, d, u) : v)]);
    } else if (isDecimal(e) && e.type !== 'BYTE_ARRAY') {
      const scale = e.scale ?? (lt?.type === 'DECIMAL' ? lt.scale : 0);
      out.push([e.name, (v) => decimalText(v, scale)]);
    } else if (e.converted_type === 'DATE' || lt?.type === 'DATE') {
      out.push([e.name, (v) => (typeof v === 'number' ? new Date(v * 86400000).toISOString().slice(0, 10) : v)]);
    }
  }
  return out;
}

/** A group hyparquet reads as an object of its fields: no list, map or variant, not repeated. */
function isStruct(node: SchemaTree): boolean {
  const e = node.element;
  return node.children.length > 0 && e.repetition_type !== 'REPEATED' && e.converted_type === undefined && e.logical_type === undefined;
}

/**
 * The schema node a record field names, found as getField finds it in the row object: the top-level column
 * of that whole name, else, for a dotted name, the path through struct fields. `blocked` when the path
 * reaches a column or field that is not a struct before its last step (a list, a map, a variant, a JSON
 * or other leaf): JSON output follows some of these (a map is an object there) and a Parquet sink's rows
 * none, so such a path is refused (see readParquet). `null` when the file has no such field.
 */
function fieldNode(tree: SchemaTree, name: string): { node: SchemaTree } | { blocked: SchemaTree } | null {
  const top = tree.children.find((c) => c.element.name === name);
  if (top || !name.includes('.')) return top ? { node: top } : null;
  let node = tree;
  for (const part of name.split('.')) {
    if (node !== tree && !isStruct(node)) return { blocked: node };
    const next = node.children.find((c) => c.element.name === part);
    if (!next) return null;
    node = next;
  }
  return { node };
}

/**
 * The file's metadata cut to the columns and struct fields `fields` name (pass 1's ReadOptions.onlyFields,
 * found as fieldNode finds them; what is found is read whole), and the top-level columns to ask hyparquet
 * for. hyparquet selects top-level columns only and assembles a struct from all of its fields, so a
 * struct's field is read alone by giving hyparquet a schema, and row groups, that hold only that field:
 * the other fields' column chunks are not read. `metadata` itself when no struct is cut.
 */
function selectFields(metadata: FileMetaData, tree: SchemaTree, fields: string[]): { metadata: FileMetaData; columns: string[] } {
  const named = new Set<SchemaTree>();
  for (const f of fields) {
    const found = fieldNode(tree, f);
    if (found && 'node' in found) named.add(found.node);
  }
  // Kept: a node named, everything below it, and the groups above it.
  const kept = new Set<SchemaTree>();
  const keep = (n: SchemaTree, whole: boolean): boolean => {
    whole ||= named.has(n);
    let any = whole;
    for (const c of n.children) any = keep(c, whole) || any;
    if (any) kept.add(n);
    return any;
  };
  keep(tree, false);
  const columns = tree.children.filter((c) => kept.has(c)).map((c) => c.element.name);
  if (![...kept].some((n) => n !== tree && n.children.some((c) => !kept.has(c)))) return { metadata, columns };
  // The flat schema list (depth first, as the tree was built from it) cut to the kept nodes, each group
  // with its kept children counted; the row groups' column chunks cut to the kept leaves.
  const schema: SchemaElement[] = [];
  const leaves = new Set<string>();
  const emit = (n: SchemaTree, i: number): void => {
    const e = metadata.schema[i]!;
    schema.push(n.children.length > 0 ? { ...e, num_children: n.children.filter((c) => kept.has(c)).length } : e);
    if (n.children.length === 0) leaves.add(n.path.join('\u0000'));
    let j = i + 1;
    for (const c of n.children) {
      if (kept.has(c)) emit(c, j);
      j += c.count;
    }
  };
  emit(tree, 0);
  const row_groups = metadata.row_groups.map((g) => ({ ...g, columns: g.columns.filter((c) => !c.meta_data || leaves.has(c.meta_data.path_in_schema.join('\u0000'))) }));
  return { metadata: { ...metadata, schema, row_groups }, columns };
}

/**
 * The rows of a Parquet file, one row group after another, in sub-batches. A row group that cannot be
 * read (a corrupt page, a bad codec) becomes one rejection per row, naming the row group and column, so
 * the caller's --on-error decides and the counts stay balanced. A file without the text column, or whose
 * footer cannot be read, is an error.
 */
export async function* readParquet(src: InputSource, opts: ReadOptions = {}): AsyncGenerator<ReadItem[]> {
  const name = src.display ?? src.name;
  if (src.name === '-') throw new BoilerstripError('E_INPUT', 'Parquet is read by byte range: give it as a file (clean spools standard input to one, strip cannot)', { file: name });
  const textField = opts.textField ?? 'text';
  const exact = opts.parquetValues === 'exact';
  const max = opts.maxDocBytes ?? Number.POSITIVE_INFINITY;
  const file = await openBuffer(src, name);
  try {
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(file, { geoparquet: false });
    } catch (e) {
      throw pqError(name, `cannot read the Parquet footer: ${(e as Error).message}`);
    }
    const table = tableOf(name, metadata);
    const tree = parquetSchema(metadata);
    const textNode = tree.children.find((c) => c.element.name === textField);
    if (!textNode) {
      const dotted = textField.includes('.') ? ' (a dotted --text-field is a path into JSON records: Parquet struct fields are not followed, name a top-level column)' : '';
      throw pqError(name, `no column "${textField}" to clean (columns: ${table.columns.join(', ')}); name the text column with --text-field${dotted}`);
    }
    if (textNode.children.length > 0 || textNode.element.type !== 'BYTE_ARRAY' || textNode.element.repetition_type === 'REPEATED' || isRaw(textNode.element)) {
      throw pqError(name, `column "${textField}" is ${describe(textNode)}, not text; name the text column with --text-field`);
    }
    // A dotted --html-field is a path into JSON records; here it could only be a struct's field, which
    // the passes do not read alike (pass 1 reads the named columns only): refused, as a dotted --text-field is.
    const htmlField = opts.htmlField;
    if (htmlField !== undefined && htmlField.includes('.') && !tree.children.some((c) => c.element.name === htmlField)) {
      throw pqError(name, `no column "${htmlField}" for --html-field (columns: ${table.columns.join(', ')}): a dotted --html-field is a path into JSON records; Parquet struct fields are not followed, name a top-level column`);
    }
    // A URL, site or id field is found as getField finds it in a row: a top-level column, or a dotted path
    // through struct fields, which both passes follow (pass 1 reads the struct's field, see selectFields).
    // A path through a list, map, variant or leaf is refused: JSON output follows a map's keys and a JSON
    // column's members, a Parquet sink's rows (maps read as the structs they are stored as, JSON as its
    // bytes) do not. A field naming nothing in the file is refused when it was named: a misspelt URL or site
    // field would put every row in one site, an id field give every row a null id, quietly. (These options
    // are as given, undefined by default; the default URL field missing is a warning below, the default id
    // missing null ids.)
    for (const [option, field] of [
      ['--url-field', opts.urlField],
      ['--site-field', opts.siteField],
      ['--id-field', opts.idField],
    ] as const) {
      if (field === undefined) continue;
      const found = fieldNode(tree, field);
      if (found === null) throw pqError(name, `${option} "${field}" names no column${field.includes('.') ? ' or struct field' : ''} of this file (columns: ${table.columns.join(', ')})`);
      if ('blocked' in found) {
        const b = found.blocked;
        throw pqError(name, `${option} "${field}" goes through ${b.path.length > 1 ? `struct field "${b.path.join('.')}"` : `column "${b.path[0]}"`}, ${describeNode(b)}, not a struct: a dotted ${option} is followed through Parquet struct fields only; name a struct's field or a top-level column`);
      }
    }
    // With a site field named, the URL only stands in for rows without a site: no warning then.
    if (opts.urlField === undefined && opts.siteField === undefined && fieldNode(tree, 'url') === null) {
      opts.onWarning?.(name, `no column "url" (columns: ${table.columns.join(', ')}): its rows have no URL to tell their sites apart; name the URL column with --url-field, or a site column with --site-field`);
    }
    opts.onParquetTable?.(table);
    // Raw leaves are read as stored: all of them for a Parquet sink; for JSON, top-level DECIMALs (exact
    // digits) and what hyparquet cannot convert (INTERVAL, BSON: bytes, written as base64).
    const jsonMetadata: FileMetaData = { ...metadata, schema: metadata.schema.map((e) => ((tree.children.some((c) => c.element === e && c.children.length === 0) && isDecimal(e) && e.type !== 'BYTE_ARRAY') || UNREADABLE.has(e.converted_type ?? '') ? withoutAnnotation(e) : e)) };
    const allMetadata: FileMetaData = exact ? { ...metadata, schema: table.readSchema } : jsonMetadata;
    // Pass 1 reads the columns and struct fields it names only.
    const selected = opts.onlyFields ? selectFields(allMetadata, tree, opts.onlyFields) : undefined;
    const columns = selected?.columns;
    const readMetadata = selected?.metadata ?? allMetadata;
    const invalid = new Set<string>();
    const parsers: Partial<ParquetParsers> = {
      stringFromBytes: (b: Uint8Array) => (b ? utf8Value(b, invalid) : b),
      timestampFromMilliseconds: (v: bigint) => v,
      timestampFromMicroseconds: (v: bigint) => v,
      timestampFromNanoseconds: (v: bigint) => v,
      dateFromDays: (v: number) => v,
    };
    const convs = exact ? [] : jsonConverters(tree, columns);
    // Rows read as stored hold a DECIMAL, timestamp or date as stored, which is not how JSONL output writes
    // it: with ReadOptions.idJson their id's column (or struct field) is read again, as for JSON, and each
    // row gets its id as its JSONL output line writes it (RawRecord.idJson).
    const idField = opts.idField ?? 'id';
    const idSelect = exact && opts.idJson ? selectFields(jsonMetadata, tree, [idField]) : null;
    // (A file without the field: idJsonOf writes null.)
    const ids = idSelect !== null && idSelect.columns.length > 0 ? idSelect : null;
    const idConvs = ids !== null ? jsonConverters(tree, ids.columns) : [];
    const idJson = (w: Record<string, unknown>): string => {
      for (const [c, f] of idConvs) w[c] = f(w[c]);
      return stringifyTyped(getField(w, idField) ?? null);
    };
    const compressors = await decompressors();
    const read = async (rowStart: number, rowEnd: number, cols: string[] | undefined, md = readMetadata, utf8 = !exact): Promise<Record<string, unknown>[]> => {
      let rows: Record<string, unknown>[] = [];
      await parquetRead({ file, metadata: md, rowStart, rowEnd, columns: cols, rowFormat: 'object', compressors, parsers, utf8, onComplete: (r: Record<string, unknown>[]) => (rows = r) });
      return rows;
    };
    const groups = metadata.row_groups.length;
    let start = 0;
    for (let g = 0; g < groups; g++) {
      const n = Number(metadata.row_groups[g]!.num_rows);
      const end = start + n;
      if (n === 0) continue;
      const where = `row group ${g + 1} of ${groups} (rows ${start + 1}–${end})`;
      let rows: Record<string, unknown>[] | null = null;
      let idRows: Record<string, unknown>[] | null = null;
      let problem = '';
      invalid.clear();
      try {
        rows = await read(start, end, columns);
        if (ids !== null) idRows = await read(start, end, ids.columns, ids.metadata, true);
        if (rows.length !== n) problem = `${where}: ${rows.length} rows read, the footer says ${n}`;
      } catch (e) {
        // Name the column: read them one at a time (only on this path).
        let culprit = '';
        for (const c of columns ?? table.columns) {
          try {
            await read(start, end, [c]);
          } catch {
            culprit = `, column "${c}"`;
            break;
          }
        }
        problem = `${where}${culprit}: ${(e as Error).message}`;
      }
      if (problem) {
        yield* rejectRows(name, start, end, problem);
        start = end;
        continue;
      }
      for (let b = 0; b < n; b += BATCH_ROWS) {
        const batch: ReadItem[] = [];
        for (let i = b; i < Math.min(n, b + BATCH_ROWS); i++) {
          const v = rows![i]!;
          const line = start + i + 1;
          let t = v[textField];
          if (t === undefined) v[textField] = t = null;
          else if (t instanceof Uint8Array) {
            const text = utf8Value(t, invalid);
            v[textField] = t = text;
            if (invalid.has(text)) opts.onInvalidUtf8?.(name, line);
          } else if (invalid.size > 0 && typeof t === 'string' && invalid.has(t)) opts.onInvalidUtf8?.(name, line);
          if (typeof t === 'string' && t.length * 3 > max && Buffer.byteLength(t, 'utf8') > max) {
            batch.push({ file: name, line, code: 'E_DOC_TOO_LARGE', message: `text of row ${line} is ${Buffer.byteLength(t, 'utf8')} bytes, over --max-doc-bytes ${max}`, raw: null });
            continue;
          }
          for (const [c, f] of convs) v[c] = f(v[c]);
          const rec: RawRecord = { file: name, line, format: 'parquet', value: v, raw: null };
          if (idRows !== null) rec.idJson = idJson(idRows[i]!);
          batch.push(rec);
        }
        yield batch;
      }
      start = end;
    }
  } finally {
    await file.close();
  }
}

/** Every row of an unreadable row group as a rejection (in sub-batches: the caller may stop at the first). */
function* rejectRows(file: string, start: number, end: number, message: string): Generator<ReadItem[]> {
  for (let b = start; b < end; b += BATCH_ROWS) {
    const batch: BadRecord[] = [];
    for (let i = b; i < Math.min(end, b + BATCH_ROWS); i++) batch.push({ file, line: i + 1, code: 'E_PARQUET', message, raw: null });
    yield batch;
  }
}

export type ParquetCodec = 'snappy' | 'zstd' | 'gzip' | 'none';

/**
 * Output row groups follow the input's (less the rows dropped or rejected), and are cut early past this much
 * text (UTF-16 units), which bounds memory when an input has huge row groups.
 */
export const GROUP_CHARS = 64 << 20;

/** hyparquet-writer's byte writer, flushed to a file descriptor whenever its 2 MB buffer would grow. */
class FdWriter extends ByteWriter {
  constructor(private readonly dest: PartialFile) {
    super(2 << 20);
  }
  override ensure(size: number): void {
    if (this.index + size > this.buffer.byteLength && this.index > 0) this.flush();
    super.ensure(size);
  }
  /** Pages (large) go straight to the file, not through the buffer. */
  override appendBytes(value: Uint8Array): void {
    if (value.length < 1 << 16) return super.appendBytes(value);
    this.flush();
    this.put(value);
    this.offset += value.length;
  }
  flush(): void {
    this.put(new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
  }
  private put(b: Uint8Array): void {
    this.dest.write(b);
  }
  override finish(): void {
    this.flush();
  }
}

function sameSchema(a: SchemaElement[], b: SchemaElement[]): boolean {
  const key = (s: SchemaElement[]): string => JSON.stringify(s.map(({ field_id: _f, ...e }) => e), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return key(a) === key(b);
}

/**
 * A Parquet output file: cleaned rows in, row groups out, with the inputs' schema. Written under a
 * temporary name and renamed on close, like FileSink.
 */
export class ParquetSink implements RowSink {
  readonly takesRows = true as const;
  private readonly dest: PartialFile;
  private table: ParquetTable | null = null;
  /** The columns written: the inputs' less the HTML column. */
  private columns: string[] = [];
  private out: ParquetWriter | null = null;
  private finalSchema: SchemaElement[] = [];
  private pending: CleanRow[] = [];
  private chars = 0;
  /** Last row (1-based) of each row group of the current input, and the group the pending rows are in. */
  private groupEnds: number[] = [];
  private group = 0;

  private constructor(
    private readonly file: string,
    private readonly codec: CompressionCodec,
    private readonly compress: Partial<Record<CompressionCodec, (b: Uint8Array) => Uint8Array>>,
    private readonly textField: string,
    private readonly annotate: string | null,
    /** The HTML column, left out of the output (null: every column written). */
    private readonly html: string | null,
  ) {
    this.dest = new PartialFile(file);
  }

  static async open(file: string, codec: ParquetCodec, fields: { textField?: string; annotate?: string | null; html?: string | null } = {}): Promise<ParquetSink> {
    const compress: Partial<Record<CompressionCodec, (b: Uint8Array) => Uint8Array>> = {};
    if (codec === 'snappy') compress.SNAPPY = (await import('hysnappy')).snappyCompressor();
    else if (codec === 'zstd') compress.ZSTD = await zstdCompressor(ZSTD_LEVEL);
    else if (codec === 'gzip') compress.GZIP = (b) => gzipSync(b);
    const c: CompressionCodec = codec === 'none' ? 'UNCOMPRESSED' : (codec.toUpperCase() as CompressionCodec);
    return new ParquetSink(file, c, compress, fields.textField ?? 'text', fields.annotate ?? null, fields.html ?? null);
  }

  /** An input's schema, as the input is opened: the first one is the output's; the others must equal it. */
  begin(t: ParquetTable): void {
    // (The previous input's rows have all been written by now: its row group ends here.)
    this.flushGroup();
    this.groupEnds = [];
    this.group = 0;
    let end = 0;
    for (const g of t.metadata.row_groups) this.groupEnds.push((end += Number(g.num_rows)));
    if (this.table !== null) {
      if (!sameSchema(this.table.metadata.schema, t.metadata.schema)) {
        throw new BoilerstripError('E_PARQUET', `its schema differs from ${this.table.file}'s, and one Parquet output has one schema: clean them one at a time, or write JSONL`, { file: t.file });
      }
      return;
    }
    if (t.unwritable !== null) {
      throw new BoilerstripError('E_PARQUET', `column "${t.unwritable}" holds INT96 timestamps, which boilerstrip cannot write back to Parquet: write JSONL (-o out.jsonl) instead`, { file: t.file });
    }
    this.table = t;
    this.columns = t.columns;
    let writeSchema = t.writeSchema;
    this.finalSchema = t.metadata.schema;
    let kv = t.metadata.key_value_metadata;
    // The HTML column goes, as an HTML page's HTML member goes from its JSONL output line: the text column
    // holds the page's text. (A column of another type holds no page: kept, as JSONL output keeps it.)
    const tree = parquetSchema(t.metadata);
    const k = tree.children.findIndex((c) => c.element.name === this.html);
    if (k >= 0 && tree.children[k]!.children.length === 0 && tree.children[k]!.element.type === 'BYTE_ARRAY') {
      const at = 1 + tree.children.slice(0, k).reduce((n, c) => n + c.count, 0);
      const cut = (schema: SchemaElement[]): SchemaElement[] => [{ ...schema[0]!, num_children: (schema[0]!.num_children ?? 0) - 1 }, ...schema.slice(1, at), ...schema.slice(at + 1)];
      writeSchema = cut(writeSchema);
      this.finalSchema = cut(this.finalSchema);
      this.columns = t.columns.filter((_, i) => i !== k);
    }
    if (this.annotate !== null) {
      if (t.columns.includes(this.annotate)) throw new BoilerstripError('E_PARQUET', `--annotate: the input already has a column "${this.annotate}"`, { file: t.file });
      const root = writeSchema[0]!;
      const spans: SchemaElement = { name: this.annotate, type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' };
      writeSchema = [{ ...root, num_children: (root.num_children ?? 0) + 1 }, ...writeSchema.slice(1), spans];
      this.finalSchema = [writeSchema[0]!, ...this.finalSchema.slice(1), { ...spans, converted_type: 'JSON', logical_type: { type: 'JSON' } }];
    }
    // An Arrow schema stored by pyarrow would no longer match the columns.
    if (this.columns.length !== t.columns.length || this.annotate !== null) kv = kv?.filter((x) => x.key !== 'ARROW:schema');
    this.out = new ParquetWriter({
      writer: new FdWriter(this.dest),
      schema: writeSchema,
      codec: this.codec,
      compressors: this.compress,
      kvMetadata: kv,
      createdBy: 'boilerstrip (hyparquet-writer)',
    });
  }

  writeRows(rows: CleanRow[]): void {
    for (const r of rows) {
      if (r.record.line > (this.groupEnds[this.group] ?? Infinity)) {
        this.flushGroup();
        while (r.record.line > (this.groupEnds[this.group] ?? Infinity)) this.group++;
      }
      this.pending.push(r);
      const t = r.text ?? (r.record.value as Record<string, unknown>)[this.textField];
      if (typeof t === 'string') this.chars += t.length;
      if (this.chars >= GROUP_CHARS) this.flushGroup();
    }
  }

  private flushGroup(): void {
    const rows = this.pending;
    if (rows.length === 0 || !this.out || !this.table) return;
    this.pending = [];
    this.chars = 0;
    const tf = this.textField;
    const columnData = this.columns.map((name) => {
      let data: unknown[];
      if (name === tf) {
        data = rows.map((r) => {
          const t = r.text ?? (r.record.value as Record<string, unknown>)[name];
          return typeof t === 'string' ? utf8Bytes(t) : t;
        });
      } else {
        const fix = this.table!.fixers.get(name);
        data = fix ? rows.map((r) => fix((r.record.value as Record<string, unknown>)[name])) : rows.map((r) => (r.record.value as Record<string, unknown>)[name]);
      }
      // The text column: plain pages (documents rarely repeat: a dictionary would be tried and thrown away),
      // no min/max (16-byte prefixes of documents prune nothing; computing them costs ~2% of a run).
      const text = name === tf;
      return { name, data, encoding: text ? ('PLAIN' as const) : undefined, statistics: text || this.table!.noStatistics.has(name) ? false : undefined };
    });
    if (this.annotate !== null) {
      columnData.push({ name: this.annotate, data: rows.map((r) => (r.spans === null ? null : Buffer.from(JSON.stringify(r.spans)))), encoding: undefined, statistics: false });
    }
    try {
      void this.out.write({ columnData, rowGroupSize: rows.length });
    } catch (e) {
      if (e instanceof BoilerstripError) throw e;
      throw new BoilerstripError('E_PARQUET', `cannot write a row group: ${(e as Error).message}`, { file: this.file });
    }
  }

  write(): void {
    throw new BoilerstripError('E_INTERNAL', 'a Parquet output takes rows, not JSONL lines', { file: this.file });
  }
  writeBytes(): void {
    this.write();
  }

  async close(): Promise<void> {
    if (!this.out) {
      this.abort();
      throw new BoilerstripError('E_OUTPUT', 'no Parquet input gave a schema to write', { file: this.file });
    }
    try {
      this.flushGroup();
      // The footer carries the input's annotations (DECIMAL, JSON, ...) over the raw leaves written.
      this.out.schema = this.finalSchema;
      void this.out.finish();
      this.dest.commit();
    } catch (e) {
      this.abort();
      if (e instanceof BoilerstripError) throw e;
      throw new BoilerstripError('E_OUTPUT', `cannot write output: ${(e as Error).message}`, { file: this.file });
    }
  }

  abort(): void {
    this.dest.abort();
  }
}
