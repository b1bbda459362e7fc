/**
 * Both passes' front end for JSONL: a record read where it lies, with no JSON.parse and no object. A block
 * of lines (valid UTF-8, transcoded to UTF-16 at once) is copied into the kernel, which checks each line as
 * JSON.parse would and lists its top-level members (asm/json.ts jsonScan); the record's text is copied
 * with its escapes decoded straight into the kernel's text area (jsonUnescape), where analyze runs over it
 * (analyzeLoaded). Pass 2 also takes the line, the text's place in it, and the id and URL. A URL or site
 * field on a dotted path is followed into nested objects as getField follows it. An HTML record (its HTML
 * field a string that docOf reads as the page: see htmlOf) is read the same way when the reader is given
 * `onPage`: its HTML decoded into the text area, where `html()` makes it a string (pass 1 parses it; pass 2
 * with clean's analysis cache needs only its length), and pass 2 writes back the line without the HTML
 * (`rawWithoutHtml`), which the HTML record's output drops anyway. A line this does not take (not a JSON
 * object, a text on a dotted path, a text, HTML or URL that is not a string or is empty, a record with both
 * a text and an HTML field, an escaped key) goes the way every line went before: a string, JSON.parse and
 * docOf. Both ways give the same document (test/jsonl-docs.test.ts; BOILERSTRIP_PARSE_ALL in the CLI tests).
 */
import { KERNEL } from './analyze.js';
import { compactJson, type ResolvedFields } from './record.js';
import { siteOf } from './site.js';

// asm/json.ts's member flags.
const TYPE_MASK = 15;
const T_STRING = 1;
const T_OBJECT = 4;
const F_KEY_ESCAPE = 16;
const F_VALUE_ESCAPE = 32;

/** A record's document read in place: its text (also in the kernel's text area, for analyzeLoaded) and site. */
export type LoadedDoc = (text: string, site: string) => void;

/**
 * An HTML record read in place: its HTML's length in code units (the HTML itself, until the kernel runs
 * again: JsonlInPlace.html()) and the record's site (siteOf of its site and URL fields).
 */
export type LoadedPage = (htmlLength: number, site: string) => void;

/**
 * A field name as the bytes of a key; `elsewhere` when a record without that member may still have a value
 * for it (getField: a path through nested objects, or a property every object inherits).
 */
interface Name {
  bytes: Buffer;
  elsewhere: boolean;
  /** A dotted name's path ("metadata.url": Dolma's), for a record without a member of the whole name. */
  path: Name[] | null;
}

function nameOf(n: string): Name {
  const path = n.includes('.') ? n.split('.').map((p) => ({ bytes: Buffer.from(p, 'utf16le'), elsewhere: false, path: null })) : null;
  return { bytes: Buffer.from(n, 'utf16le'), elsewhere: path !== null || n in Object.prototype, path };
}

/** A member's value: its flags and its place (addresses in the kernel's copy of the block). */
interface Value {
  flags: number;
  from: number;
  to: number;
}

const ABSENT: Value = { flags: -1, from: 0, to: 0 };

function valueAt(M: Int32Array, o: number): Value {
  return o < 0 ? ABSENT : { flags: M[o + 4]!, from: M[o + 2]!, to: M[o + 3]! };
}

function keyIs(line: Buffer, from: number, to: number, n: Name): boolean {
  const b = n.bytes;
  if (to - from !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (line[from + i] !== b[i]) return false;
  return true;
}

export class JsonlInPlace {
  private readonly text: Name;
  private readonly url: Name;
  private readonly id: Name;
  private readonly site: Name | null;
  private readonly htmlName: Name;
  /** Lines read in place (the tests check the reader is used). */
  taken = 0;
  /**
   * The line of the document being handed on (valid during onDoc): its number, its place in the block, and
   * where its text's JSON string sits in it (code units from the line's start, quotes included).
   */
  lineNo = 0;
  private units: Buffer = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  textFrom = 0;
  textTo = 0;
  /** The id member's value (its flags and place in the block; -1: none) and the URL, of that line. */
  private idFlags = -1;
  private idFrom = 0;
  private idTo = 0;
  private urlValue: string | undefined;
  /** The HTML record being handed on: its HTML's code units in the text area, its value's place in the block (quotes included). */
  private htmlUnits = 0;
  private htmlFrom = 0;
  private htmlTo = 0;
  /** An HTML field is the page even beside a text field (FieldOptions.htmlField named). */
  private readonly htmlExplicit: boolean;

  /** `onPage`: HTML records are read in place too (without it they go to JSON.parse). */
  constructor(
    f: ResolvedFields,
    private readonly onDoc: LoadedDoc,
    private readonly onPage: LoadedPage | null = null,
  ) {
    this.text = nameOf(f.textField);
    this.url = nameOf(f.urlField);
    this.id = nameOf(f.idField);
    this.site = f.siteField !== undefined ? nameOf(f.siteField) : null;
    this.htmlName = nameOf(f.htmlField);
    this.htmlExplicit = f.htmlExplicit;
  }

  /** A block of lines as UTF-16LE for `line` (false: the block is parsed as before). */
  readonly block = (units: Buffer): boolean => KERNEL.loadBlock(units);

  /** Line [start, end) of the block (byte offsets, no newline) read in place and handed on: false when it must be parsed. */
  readonly line = (units: Buffer, start: number, end: number, line: number): boolean => {
    this.lineNo = line;
    if (!this.read(units, start, end)) return false;
    this.taken++;
    return true;
  };

  private read(bytes: Buffer, start: number, end: number): boolean {
    const n = KERNEL.scanLine(start, end);
    if (n < 0) return false;
    const M = KERNEL.i32;
    const m0 = KERNEL.membersIx;
    // Offset in the block of an address in the kernel's copy of it.
    const at = -KERNEL.blockAddress;
    // The last member of each name, as JSON.parse keeps the last of duplicate keys.
    let ti = -1;
    let ui = -1;
    let si = -1;
    let ii = -1;
    let hi = -1;
    // The first step of a dotted URL or site name's path.
    let up = -1;
    let sp = -1;
    const site = this.site;
    for (let i = 0, o = m0; i < n; i++, o += 5) {
      if ((M[o + 4]! & F_KEY_ESCAPE) !== 0) return false;
      const ks = M[o]! + at;
      const ke = M[o + 1]! + at;
      if (keyIs(bytes, ks, ke, this.htmlName)) hi = o;
      if (keyIs(bytes, ks, ke, this.text)) ti = o;
      if (keyIs(bytes, ks, ke, this.url)) ui = o;
      if (site !== null && keyIs(bytes, ks, ke, site)) si = o;
      if (keyIs(bytes, ks, ke, this.id)) ii = o;
      if (this.url.path !== null && keyIs(bytes, ks, ke, this.url.path[0]!)) up = o;
      if (site?.path && keyIs(bytes, ks, ke, site.path[0]!)) sp = o;
    }
    if (this.htmlName.elsewhere) return false;
    // An HTML member (docOf decides a record with both fields, unless the HTML field is named; one whose
    // text field may be on a path; one whose HTML is not a string or is empty).
    if (hi >= 0 && (this.onPage === null || (ti >= 0 && !this.htmlExplicit) || (ti < 0 && this.text.elsewhere))) return false;
    const page = hi >= 0;
    const ci = page ? hi : ti;
    if (ci < 0) return false;
    if ((M[ci + 4]! & TYPE_MASK) !== T_STRING) return false;
    // The text's or the HTML's value. (Read before a path's lookup scans a nested object over the members.)
    const body = valueAt(M, ci);
    const id = valueAt(M, ii);
    const urlAt = ui >= 0 ? valueAt(M, ui) : this.url.path !== null ? this.follow(bytes, valueAt(M, up), this.url.path, at) : this.url.elsewhere ? null : ABSENT;
    const siteAt = site === null ? ABSENT : si >= 0 ? valueAt(M, si) : site.path !== null ? this.follow(bytes, valueAt(M, sp), site.path, at) : site.elsewhere ? null : ABSENT;
    if (urlAt === null || siteAt === null) return false;
    const url = this.stringOf(bytes, urlAt, at);
    const siteValue = this.stringOf(bytes, siteAt, at);
    if (url === null || siteValue === null) return false;
    // (An empty text is no document: docOf says why, and the record passes through.)
    const units = body.from === body.to ? -1 : KERNEL.decodeString(body.from, body.to);
    if (units < 0) return false;
    this.units = bytes;
    this.start = start;
    this.end = end;
    this.textFrom = (body.from + at - start - 2) >> 1;
    this.textTo = (body.to + at - start + 2) >> 1;
    this.idFlags = id.flags;
    this.idFrom = id.from + at;
    this.idTo = id.to + at;
    this.urlValue = url;
    if (page) {
      this.htmlUnits = units;
      this.htmlFrom = this.textFrom;
      this.htmlTo = this.textTo;
      this.onPage!(units, siteOf(siteValue, url));
    } else this.onDoc(KERNEL.loadedText(units), siteOf(siteValue, url));
    return true;
  }

  /** The HTML of the record being handed on (onPage), while the kernel's text area still holds it. */
  html(): string {
    return KERNEL.loadedText(this.htmlUnits);
  }

  /**
   * The line of the HTML record being handed on, its HTML an empty string: what spliceHtmlRecord makes of it
   * is what it makes of the whole line, but with --keep-html (the HTML member stays in the output).
   */
  rawWithoutHtml(): string {
    const u = this.units;
    const at = this.start + 2 * this.htmlFrom;
    return `${u.toString('utf16le', this.start, at)}""${u.toString('utf16le', this.start + 2 * this.htmlTo, this.end)}`;
  }

  /**
   * The rest of a dotted name's path from its first step's value, as getField walks it (through objects'
   * own members; anything else: absent). Null when a nested object cannot be read here (an escaped key).
   */
  private follow(bytes: Buffer, first: Value, path: Name[], at: number): Value | null {
    let v = first;
    for (let k = 1; k < path.length; k++) {
      if ((v.flags & TYPE_MASK) !== T_OBJECT) return ABSENT;
      const n = KERNEL.scanAt(v.from, v.to);
      if (n < 0) return null;
      const M = KERNEL.i32;
      let found = -1;
      for (let i = 0, o = KERNEL.membersIx; i < n; i++, o += 5) {
        if ((M[o + 4]! & F_KEY_ESCAPE) !== 0) return null;
        if (keyIs(bytes, M[o]! + at, M[o + 1]! + at, path[k]!)) found = o;
      }
      v = valueAt(M, found);
    }
    return v;
  }

  /** A value as a string: undefined when absent, null when it is not a string (the line is parsed). */
  private stringOf(bytes: Buffer, v: Value, at: number): string | undefined | null {
    if (v.flags < 0) return undefined;
    if ((v.flags & TYPE_MASK) !== T_STRING) return null;
    const vs = v.from + at;
    const ve = v.to + at;
    return (v.flags & F_VALUE_ESCAPE) !== 0 ? (JSON.parse(bytes.toString('utf16le', vs - 2, ve + 2)) as string) : bytes.toString('utf16le', vs, ve);
  }

  /** The URL member of the document being handed on, as JSON.parse and getField would give it. */
  docUrl(): string | undefined {
    return this.urlValue;
  }

  /**
   * The id member of the document being handed on as JSON text, as written in the line (white space
   * between its tokens left out: compactJson), for its --attributes line; 'null' when the record has none,
   * null when the id may be elsewhere (a dotted name): the caller finds it in the line.
   */
  idJson(): string | null {
    if (this.idFlags < 0) return this.id.elsewhere ? null : 'null';
    const u = this.units;
    if ((this.idFlags & TYPE_MASK) === T_STRING) return u.toString('utf16le', this.idFrom - 2, this.idTo + 2);
    return compactJson(u.toString('utf16le', this.idFrom, this.idTo));
  }

  /** The line of the document being handed on, as a string (the record's raw line). */
  raw(): string {
    return this.units.toString('utf16le', this.start, this.end);
  }
}
