/**
 * Records: which field is the text, which gives the site, and how a cleaned record is written back.
 * A JSONL record (and a JSON array element, from its text as read: io/json-array.ts) is rewritten by
 * splicing the new text value into the original line, so every other field passes through byte for byte
 * (numbers like 1.0, escapes, key order).
 */
import { BoilerstripError } from './errors.js';
import { siteOf } from './site.js';

export interface FieldOptions {
  /** Field holding the text. Default 'text'. */
  textField?: string;
  /** Field holding the id. Default 'id'. */
  idField?: string;
  /** Field holding the URL (its host is the site). Default 'url'. */
  urlField?: string;
  /** Field holding an explicit site key (wins over the URL). */
  siteField?: string;
  /**
   * Field holding a raw HTML page: its blocks are cleaned and the text goes to the text field. Given, the
   * field is read whenever it holds a string; by default a record with an `html` string and no text field
   * is an HTML page.
   */
  htmlField?: string;
  /** Keep the HTML field in the output (default: dropped once its text is written). */
  keepHtml?: boolean;
}

export interface ResolvedFields {
  textField: string;
  idField: string;
  urlField: string;
  siteField: string | undefined;
  htmlField: string;
  /** htmlField was given: read it whenever it holds a string. */
  htmlExplicit: boolean;
  keepHtml: boolean;
}

/**
 * The field options with their defaults. A field name that is not a string, an empty text, id or URL
 * field, or an HTML field that is empty or the text field is an E_OPTION error (the CLI's runOptions
 * refuses the same before it gets here; the library's callers meet it here).
 */
export function resolveFields(o: FieldOptions = {}): ResolvedFields {
  for (const name of ['textField', 'idField', 'urlField', 'siteField', 'htmlField'] as const) {
    const v: unknown = o[name];
    if (v === undefined) continue;
    const must = name === 'siteField' ? 'a string' : 'a non-empty string';
    if (typeof v !== 'string' || (v === '' && name !== 'siteField')) {
      throw new BoilerstripError('E_OPTION', `option ${name} must be ${must} (got ${typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : String(v)})`);
    }
  }
  if (o.htmlField !== undefined && o.htmlField === (o.textField ?? 'text')) throw new BoilerstripError('E_OPTION', `option htmlField must be a field other than textField (both are ${JSON.stringify(o.htmlField)})`);
  return {
    textField: o.textField ?? 'text',
    idField: o.idField ?? 'id',
    urlField: o.urlField ?? 'url',
    siteField: o.siteField,
    htmlField: o.htmlField ?? 'html',
    htmlExplicit: o.htmlField !== undefined,
    keepHtml: o.keepHtml ?? false,
  };
}

/**
 * An HTML record (an object: WARC, HTML files, JSON arrays, Parquet read as JSON, the library) with its
 * text: the text field takes the HTML field's place (or keeps its own), the HTML field goes unless keepHtml,
 * every other member stays in order. An HTML field on a dotted path (see getField) goes from its nested
 * object (copied, not changed; the object stays, without it); the text then replaces the text field
 * where it is, or is added last at the top level, as with keepHtml.
 */
export function htmlRecordWithText(value: Record<string, unknown>, f: ResolvedFields, text: string): Record<string, unknown> {
  if (isPath(value, f.htmlField)) {
    const out = getField(value, f.textField) !== undefined ? setField(value, f.textField, text) : { ...value, [f.textField]: text };
    return f.keepHtml ? out : withoutField(out, f.htmlField);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === f.htmlField) {
      if (f.keepHtml) out[k] = v;
      out[f.textField] = text;
    } else if (k !== f.textField) out[k] = v;
  }
  out[f.textField] = text;
  return out;
}

/** The record's raw HTML page when it is read as one (see FieldOptions.htmlField), else null. */
export function htmlOf(value: Record<string, unknown>, f: ResolvedFields): string | null {
  const h = bytesAsText(getField(value, f.htmlField));
  if (typeof h !== 'string') return null;
  if (f.htmlExplicit || getField(value, f.textField) === undefined) return h;
  return null;
}

/** Why a record's text was not cleaned (it passes through unchanged). */
export type TextProblem = 'missing' | 'null' | 'not-string' | 'empty';

const MISSING = { problem: 'missing' } as const;
const NULL = { problem: 'null' } as const;
const NOT_STRING = { problem: 'not-string' } as const;
const EMPTY = { problem: 'empty' } as const;

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * A field of a record by name: a member of that exact name, else, for a dotted name, the path through
 * nested objects ("metadata.url": Dolma keeps the URL in `metadata`). `undefined` when absent.
 */
export function getField(value: Record<string, unknown>, name: string): unknown {
  if (own(value, name) || !name.includes('.')) return value[name];
  let v: unknown = value;
  for (const part of name.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !own(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Is field `name` of `value` a path into nested objects (dotted, and no member has the whole name)? */
function isPath(value: Record<string, unknown>, name: string): boolean {
  return name.includes('.') && !own(value, name);
}

/** `value` without field `name` (see getField); nested objects on a dotted path are copied, not changed. */
export function withoutField(value: Record<string, unknown>, name: string): Record<string, unknown> {
  if (getField(value, name) === undefined) return value;
  const parts = isPath(value, name) ? name.split('.') : [name];
  const out = { ...value };
  let o = out;
  for (let i = 0; i < parts.length - 1; i++) {
    const copy = { ...(o[parts[i]!] as Record<string, unknown>) };
    o[parts[i]!] = copy;
    o = copy;
  }
  delete o[parts[parts.length - 1]!];
  return out;
}

/** `value` with field `name` (see getField) set; nested objects on a dotted path are copied, not changed. */
export function setField(value: Record<string, unknown>, name: string, x: unknown): Record<string, unknown> {
  const out = { ...value };
  if (own(value, name) || !name.includes('.')) {
    out[name] = x;
    return out;
  }
  const parts = name.split('.');
  let o = out;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = o[parts[i]!];
    const copy = next !== null && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
    o[parts[i]!] = copy;
    o = copy;
  }
  o[parts[parts.length - 1]!] = x;
  return out;
}

/** The record's text, or why it has none to clean. */
export function textOf(value: Record<string, unknown>, f: ResolvedFields): string | { readonly problem: TextProblem } {
  const t = getField(value, f.textField);
  if (t === undefined) return MISSING;
  if (t === null) return NULL;
  if (typeof t !== 'string') return NOT_STRING;
  if (t.length === 0) return EMPTY;
  return t;
}

export function siteOfRecord(value: Record<string, unknown>, f: ResolvedFields): string {
  return siteOf(f.siteField !== undefined ? bytesAsText(getField(value, f.siteField)) : undefined, bytesAsText(getField(value, f.urlField)));
}

/**
 * A field's value, bytes read as UTF-8 text (invalid bytes as U+FFFD). Bytes are a Parquet BYTE_ARRAY
 * column without a UTF8 annotation as read for a Parquet sink, which keeps them as stored to write them
 * back (io/parquet.ts 'exact'); read for JSONL output, and in pass 1, the same column is decoded as UTF-8:
 * reading the URL, site and HTML fields so here gives the same sites and pages whichever the output (and
 * the report's samples the same URLs: strip-context.ts sampleIdAndUrl).
 */
export function bytesAsText(v: unknown): unknown {
  return v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8') : v;
}

function stringEnd(s: string, i: number): number {
  // i is just past the opening quote; returns the index of the closing quote.
  for (;;) {
    const q = s.indexOf('"', i);
    if (q < 0) return -1;
    let b = q - 1;
    while (s.charCodeAt(b) === 92) b--;
    if ((q - 1 - b) % 2 === 0) return q;
    i = q + 1;
  }
}

function skipWs(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) i++;
    else return i;
  }
}

function valueEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 34) {
    const e = stringEnd(s, i + 1);
    return e < 0 ? -1 : e + 1;
  }
  if (c === 123 || c === 91) {
    let depth = 0;
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j);
      if (d === 34) {
        j = stringEnd(s, j + 1);
        if (j < 0) return -1;
      } else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === 44 || d === 125 || d === 93 || d === 32 || d === 9 || d === 10 || d === 13) break;
    j++;
  }
  return j;
}

/**
 * Where the value of top-level key `key` sits in a JSON object text: [start, end), or null. With
 * duplicate keys the last one wins, as in JSON.parse. The text must already be known to be valid JSON.
 */
export function findTopLevelValue(s: string, key: string): [number, number] | null {
  let i = skipWs(s, 0);
  if (s.charCodeAt(i) !== 123) return null;
  i = skipWs(s, i + 1);
  let found: [number, number] | null = null;
  while (i < s.length && s.charCodeAt(i) === 34) {
    const ke = stringEnd(s, i + 1);
    if (ke < 0) return found;
    let k = s.slice(i + 1, ke);
    if (k.includes('\\')) k = JSON.parse(s.slice(i, ke + 1)) as string;
    i = skipWs(s, ke + 1);
    if (s.charCodeAt(i) !== 58) return found;
    i = skipWs(s, i + 1);
    const ve = valueEnd(s, i);
    if (ve < 0) return found;
    if (k === key) found = [i, ve];
    i = skipWs(s, ve);
    if (s.charCodeAt(i) === 44) i = skipWs(s, i + 1);
    else break;
  }
  return found;
}

/** Where the value of field `name` sits in a JSON object text (a dotted name: see getField), or null. */
export function findFieldValue(s: string, name: string): [number, number] | null {
  const direct = findTopLevelValue(s, name);
  if (direct !== null || !name.includes('.')) return direct;
  let off = 0;
  let sub = s;
  for (const part of name.split('.')) {
    const r = findTopLevelValue(sub, part);
    if (r === null) return null;
    off += r[0];
    sub = sub.slice(r[0], r[1]);
  }
  return [off, off + sub.length];
}

/**
 * A JSON value's text without its insignificant white space (between tokens; a string's inside is kept):
 * every token as written, byte for byte. No recursion (a value nested 100,000 deep is a loop). The text
 * must be valid JSON.
 */
export function compactJson(s: string): string {
  if (s.charCodeAt(0) === 34 || !/[ \t\n\r]/.test(s)) return s;
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      i = stringEnd(s, i + 1);
      if (i < 0) break; // (not valid JSON: the rest as it is)
    } else if (c === 32 || c === 9 || c === 10 || c === 13) {
      out += s.slice(from, i);
      from = i + 1;
    }
  }
  return out + s.slice(from);
}

/**
 * The JSON text of field `name` (getField's: a dotted name is a path when no member has the whole name) in
 * a JSON object text as written there, its insignificant white space left out (compactJson); null when
 * the record has no such member (getField's undefined, or a value it would find only on Object.prototype).
 */
export function fieldJson(s: string, name: string): string | null {
  const r = findFieldValue(s, name);
  return r === null ? null : compactJson(s.slice(r[0], r[1]));
}

/** Where a top-level member sits: [key start, value end), or null. The text must be valid JSON. */
function findTopLevelMember(s: string, key: string): [number, number] | null {
  const v = findTopLevelValue(s, key);
  if (v === null) return null;
  // Walk back over ':' and white space to the key's opening quote.
  let i = v[0] - 1;
  while (s.charCodeAt(i) !== 58) i--;
  i--;
  while (s.charCodeAt(i) !== 34) i--;
  // (i is the key's closing quote: find its opening one, skipping escaped quotes.)
  let j = i - 1;
  for (;;) {
    while (s.charCodeAt(j) !== 34) j--;
    let b = j - 1;
    while (s.charCodeAt(b) === 92) b--;
    if ((j - 1 - b) % 2 === 0) break;
    j--;
  }
  return [j, v[1]];
}

/**
 * A JSONL line read as an HTML page, written back: the text field set to `text` (replaced where it is,
 * else put where the HTML field was, or appended), the HTML field removed unless `keepHtml`; every other
 * member byte for byte. An HTML field on a dotted path goes from its nested object, and the text, when
 * the line has no text field, is appended (as htmlRecordWithText does).
 */
export function spliceHtmlRecord(raw: string, f: ResolvedFields, text: string, annotate: { field: string; json: string } | null): string {
  const value = JSON.stringify(text);
  let out = raw;
  const t = findFieldValue(out, f.textField);
  if (f.htmlField.includes('.') && findTopLevelValue(out, f.htmlField) === null) {
    out = t !== null ? out.slice(0, t[0]) + value + out.slice(t[1]) : appendMember(out, f.textField, value);
    if (!f.keepHtml) out = removeField(out, f.htmlField);
  } else if (t !== null) {
    out = out.slice(0, t[0]) + value + out.slice(t[1]);
    if (!f.keepHtml) out = removeMember(out, f.htmlField);
  } else if (!f.keepHtml) {
    const h = findTopLevelMember(out, f.htmlField);
    if (h !== null) out = out.slice(0, h[0]) + JSON.stringify(f.textField) + ':' + value + out.slice(h[1]);
  } else out = appendMember(out, f.textField, value);
  return annotate !== null ? appendMember(out, annotate.field, annotate.json) : out;
}

/**
 * `s` without the member at dotted path `name` (a path, no member of the whole name: its object stays), as
 * withoutField; unchanged when there is none.
 */
function removeField(s: string, name: string): string {
  const parts = name.split('.');
  let off = 0;
  let obj = s;
  for (const part of parts.slice(0, -1)) {
    const r = findTopLevelValue(obj, part);
    if (r === null) return s;
    off += r[0];
    obj = obj.slice(r[0], r[1]);
  }
  return s.slice(0, off) + removeMember(obj, parts[parts.length - 1]!) + s.slice(off + obj.length);
}

function removeMember(s: string, key: string): string {
  const m = findTopLevelMember(s, key);
  if (m === null) return s;
  let a = m[0];
  let b = skipWs(s, m[1]);
  if (s.charCodeAt(b) === 44) b = skipWs(s, b + 1);
  else {
    // The last member: take the comma before it instead.
    let c = a - 1;
    while (c > 0 && (s.charCodeAt(c) === 32 || s.charCodeAt(c) === 9)) c--;
    if (s.charCodeAt(c) === 44) a = c;
  }
  return s.slice(0, a) + s.slice(b);
}

function appendMember(s: string, key: string, json: string): string {
  const close = s.lastIndexOf('}');
  const body = s.slice(0, close).trimEnd();
  const empty = body.endsWith('{');
  return `${body}${empty ? '' : ','}${JSON.stringify(key)}:${json}${s.slice(close)}`;
}

/**
 * A JSONL line with its text field replaced (and, when annotate is set, a spans field appended).
 *
 * With `from`, newText is from.text (the field's text) less the ranges of from.spans (in order, disjoint:
 * what Stripper.strip removed). The kept ranges are then copied from the line itself, as escaped there,
 * when that is how JSON.stringify(newText) would escape them: escaping newText anew was most of
 * splicing's time on Arabic text. `at`: where the field's value sits in the line, when the reader knows.
 */
export function spliceRecord(raw: string, textField: string, newText: string | null, annotate: { field: string; json: string } | null, from?: { text: string; spans: readonly Cut[] }, at?: readonly [number, number]): string {
  let out = raw;
  if (newText !== null) {
    const r = at ?? findFieldValue(raw, textField);
    if (r !== null) {
      const value = (from !== undefined ? keptJson(raw, r[0], r[1], from.text.length, from.spans, newText.length) : null) ?? JSON.stringify(newText);
      out = raw.slice(0, r[0]) + value + raw.slice(r[1]);
    }
  }
  if (annotate !== null) out = appendMember(out, annotate.field, annotate.json);
  return out;
}

/** A range cut from a text: [start, end) in code units (strip.ts's Span, whose reason this does not read). */
type Cut = readonly [start: number, end: number, ...rest: unknown[]];

/** Escapes JSON.stringify writes as a backslash and one character: \" \\ \b \f \n \r \t. */
function shortEscape(c: number): boolean {
  return c === 34 || c === 92 || c === 98 || c === 102 || c === 110 || c === 114 || c === 116;
}

/**
 * The JSON string of a text of `textLength` code units whose string value opens at `at` in `raw`, less the
 * ranges of `cut`, copied from `raw` (see spliceRecord). Null when the value holds an escape JSON.stringify
 * would write otherwise (\uXXXX, \/), the kept length is not `keptLength`, or the value (ending at
 * `valueEnd`) is not as long as such a text: the caller escapes the text itself. Every other character is JSON.stringify's as it is (a
 * parsed line has no raw control character, and decoded UTF-8 no lone surrogate).
 */
function keptJson(raw: string, at: number, valueEnd: number, textLength: number, cut: readonly Cut[], keptLength: number): string | null {
  // Text offset x is at x + shift in raw, up to the next backslash (at esc, -1: none): each escape passed
  // puts the text one code unit further. (A backslash past the value's end is never passed: its text
  // offset would be past the text's.)
  let shift = at + 1;
  let esc = raw.indexOf('\\', shift);
  let bad = false;
  const rawAt = (x: number): number => {
    while (esc >= 0 && esc - shift < x) {
      if (!shortEscape(raw.charCodeAt(esc + 1))) bad = true;
      shift++;
      esc = raw.indexOf('\\', esc + 2);
    }
    return x + shift;
  };
  let out = '"';
  let kept = 0;
  for (let k = 0, x = 0; k <= cut.length && !bad; k++) {
    const e = k < cut.length ? cut[k]![0] : textLength;
    if (e > x) {
      const rs = rawAt(x);
      out += raw.slice(rs, rawAt(e));
      kept += e - x;
    }
    if (k < cut.length) x = cut[k]![1];
  }
  // The value must end (its closing quote, at valueEnd - 1) where a text of textLength would: else it is not
  // that text, and nothing copied from it can be trusted.
  const end = bad ? -1 : rawAt(textLength);
  return bad || kept !== keptLength || end !== valueEnd - 1 ? null : out + '"';
}

/** A number already written as JSON text, kept digit for digit (a Parquet DECIMAL). */
export class JsonNumber {
  constructor(readonly text: string) {}
}

/**
 * JSON of a value read from Parquet, where JSON.stringify would fail or lose: a bigint (INT64) is written
 * as a JSON number with every digit, bytes as a base64 string, a Date as its ISO string; NaN and
 * infinities become null and undefined values null, as JSON.stringify does for array items.
 */
export function stringifyTyped(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) return `[${v.map(stringifyTyped).join(',')}]`;
      if (v instanceof JsonNumber) return v.text;
      if (v instanceof Uint8Array) return `"${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}"`;
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'null' : `"${v.toISOString()}"`;
      if (ArrayBuffer.isView(v)) return stringifyTyped(Array.from(v as unknown as ArrayLike<unknown>));
      const parts: string[] = [];
      for (const [k, x] of Object.entries(v)) parts.push(`${JSON.stringify(k)}:${stringifyTyped(x)}`);
      return `{${parts.join(',')}}`;
    }
    default:
      return 'null';
  }
}
