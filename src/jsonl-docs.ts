/**
 * Pass 1's front end for JSONL: a record read where it lies, with no JSON.parse and no string of its line.
 * A block of lines (valid UTF-8, transcoded to UTF-16 at once) is copied into the kernel, which checks each
 * line as JSON.parse would and lists its top-level members (asm/json.ts jsonScan); the record's text is
 * copied with its escapes decoded straight into the kernel's text area (jsonUnescape), where analyze runs
 * over it (analyzeLoaded). A line this does not take (not a JSON object, an HTML record, a field on a
 * dotted path, a text or URL that is not a string, an escaped key) goes the way every line goes in pass 2:
 * a string, JSON.parse and docOf. Both ways give the same document (test/jsonl-docs.test.ts).
 */
import { KERNEL } from './analyze.js';
import type { ResolvedFields } from './record.js';
import { siteOf } from './site.js';

// asm/json.ts's member flags.
const TYPE_MASK = 15;
const T_STRING = 1;
const F_KEY_ESCAPE = 16;
const F_VALUE_ESCAPE = 32;

/** A record's document read in place: its text (also in the kernel's text area, for analyzeLoaded) and site. */
export type LoadedDoc = (text: string, site: string) => void;

/**
 * A field name as the bytes of a key; `elsewhere` when a record without that member may still have a value
 * for it (getField: a path through nested objects, or a property every object inherits).
 */
interface Name {
  bytes: Buffer;
  elsewhere: boolean;
}

function nameOf(n: string): Name {
  return { bytes: Buffer.from(n, 'utf16le'), elsewhere: n.includes('.') || n in Object.prototype };
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
  private readonly html: Name;
  /** Lines read in place and lines left to JSON.parse (for the tests and the profile). */
  taken = 0;
  declined = 0;
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

  constructor(f: ResolvedFields, private readonly onDoc: LoadedDoc) {
    this.text = nameOf(f.textField);
    this.url = nameOf(f.urlField);
    this.id = nameOf(f.idField);
    this.site = f.siteField !== undefined ? nameOf(f.siteField) : null;
    this.html = nameOf(f.htmlField);
  }

  /** A block of lines as UTF-16LE for `line` (false: the block is parsed as before). */
  readonly block = (units: Buffer): boolean => KERNEL.loadBlock(units);

  /** Line [start, end) of the block (byte offsets, no newline) read in place and handed on: false when it must be parsed. */
  readonly line = (units: Buffer, start: number, end: number, line: number): boolean => {
    this.lineNo = line;
    if (this.read(units, start, end)) {
      this.taken++;
      return true;
    }
    this.declined++;
    return false;
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
    for (let i = 0, o = m0; i < n; i++, o += 5) {
      if ((M[o + 4]! & F_KEY_ESCAPE) !== 0) return false;
      const ks = M[o]! + at;
      const ke = M[o + 1]! + at;
      if (keyIs(bytes, ks, ke, this.html)) return false; // an HTML field: docOf decides
      if (keyIs(bytes, ks, ke, this.text)) ti = o;
      if (keyIs(bytes, ks, ke, this.url)) ui = o;
      if (this.site !== null && keyIs(bytes, ks, ke, this.site)) si = o;
      if (keyIs(bytes, ks, ke, this.id)) ii = o;
    }
    if (ti < 0 || this.html.elsewhere) return false;
    if ((M[ti + 4]! & TYPE_MASK) !== T_STRING) return false;
    let url: string | undefined;
    if (ui >= 0) {
      const s = this.stringAt(bytes, M, ui, at);
      if (s === null) return false;
      url = s;
    } else if (this.url.elsewhere) return false;
    let site: string | undefined;
    if (this.site !== null) {
      if (si >= 0) {
        const s = this.stringAt(bytes, M, si, at);
        if (s === null) return false;
        site = s;
      } else if (this.site.elsewhere) return false;
    }
    const from = M[ti + 2]!;
    const to = M[ti + 3]!;
    // (An empty text is no document: docOf says why, and the record passes through.)
    const units = from === to ? -1 : KERNEL.decodeString(from, to);
    if (units < 0) return false;
    this.units = bytes;
    this.start = start;
    this.end = end;
    this.textFrom = (from + at - start - 2) >> 1;
    this.textTo = (to + at - start + 2) >> 1;
    this.idFlags = ii < 0 ? -1 : M[ii + 4]!;
    if (ii >= 0) {
      this.idFrom = M[ii + 2]! + at;
      this.idTo = M[ii + 3]! + at;
    }
    this.urlValue = url;
    this.onDoc(KERNEL.loadedText(units), siteOf(site, url));
    return true;
  }

  /**
   * The id and URL members of the document being handed on, as JSON.parse and getField would give them;
   * null when the id may be elsewhere (a dotted name): the caller parses the line.
   */
  idAndUrl(): readonly [id: unknown, url: unknown] | null {
    if (this.idFlags < 0) return this.id.elsewhere ? null : [undefined, this.urlValue];
    const u = this.units;
    const quoted = (this.idFlags & TYPE_MASK) === T_STRING ? 2 : 0;
    return [JSON.parse(u.toString('utf16le', this.idFrom - quoted, this.idTo + quoted)) as unknown, this.urlValue];
  }

  /** The line of the document being handed on, as a string (the record's raw line). */
  raw(): string {
    return this.units.toString('utf16le', this.start, this.end);
  }

  /** A member's string value (null: not a string). */
  private stringAt(bytes: Buffer, M: Int32Array, o: number, at: number): string | null {
    const flags = M[o + 4]!;
    if ((flags & TYPE_MASK) !== T_STRING) return null;
    const vs = M[o + 2]! + at;
    const ve = M[o + 3]! + at;
    return (flags & F_VALUE_ESCAPE) !== 0 ? (JSON.parse(bytes.toString('utf16le', vs - 2, ve + 2)) as string) : bytes.toString('utf16le', vs, ve);
  }
}
