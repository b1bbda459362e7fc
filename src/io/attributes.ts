/**
 * Dolma attribute files (--attributes DIR): instead of (or beside) rewriting the documents, say which
 * spans of each document's text are chrome, so a Dolma `mix` with a span_replacement on
 * `boilerstrip__chrome` removes them.
 *
 * Layout, as Dolma pairs documents and attributes: one attribute file per input file, under DIR with the
 * input's file name (an input under a `documents/` folder keeps its path below that folder; a Parquet,
 * WARC, HTML or text input's with .jsonl for its extension), compressed as the input's name says (.gz,
 * .zst), one line per record in the input's order:
 *   {"id": <the record's id>, "attributes": {"boilerstrip__chrome": [[start, end, 1.0], ...]}}
 * The id is the id member's own JSON text in the record (a JSONL line, a JSON array element), as written
 * there less insignificant white space, so a join on it finds the document: a 25-digit number, `1.10`,
 * `-0`, `1e400` and escapes such as `\u00e9` or `\/` come out as they went in (JSON.stringify of the parsed
 * value would not; nor could it write an id nested thousands deep). A record with no text of its own (a
 * Parquet row, WARC record, HTML or text file) gets its value's JSON, as its JSONL output line writes it (a
 * Parquet INT64 with every digit, a DECIMAL exact, a timestamp as ISO 8601, whichever the output); a
 * record without the id field, null.
 * Offsets are Unicode code points of the record's text field, end exclusive: Dolma's mixer walks the
 * text with Rust's `char_indices` and counts chars (code points), not UTF-16 units and not bytes. A record
 * with no text, or an HTML page (whose text is not in the input), gets an empty list; a rejected record
 * (invalid JSON) gets no line, and the run reports it. Worker threads make the lines of their chunks
 * (attributesLine); the main thread writes them in chunk order.
 */
import path from 'node:path';
import fs from 'node:fs';
import { BoilerstripError } from '../errors.js';
import type { Span } from '../strip.js';
import { codecFor, compressionOf, FileSink, writePath } from './output.js';

export const ATTRIBUTE_NAME = 'boilerstrip__chrome';

/** UTF-16 offsets to code point offsets (spans in order, non-overlapping). */
export function codePointSpans(text: string, spans: readonly Span[]): [number, number, number][] {
  const out: [number, number, number][] = [];
  let unit = 0;
  let cp = 0;
  const advance = (to: number): void => {
    while (unit < to) {
      const c = text.charCodeAt(unit);
      // A surrogate pair is one code point.
      if (c >= 0xd800 && c <= 0xdbff && unit + 1 < text.length) {
        const d = text.charCodeAt(unit + 1);
        if (d >= 0xdc00 && d <= 0xdfff) unit++;
      }
      unit++;
      cp++;
    }
  };
  for (const [s, e] of spans) {
    advance(s);
    const a = cp;
    advance(e);
    out.push([a, cp, 1.0]);
  }
  return out;
}

/** A record's attributes line (with its newline), `idJson` its id's JSON text (see strip-context.ts idJsonOf). */
export function attributesLine(idJson: string, text: string | null, spans: readonly Span[]): string {
  const list = text === null || spans.length === 0 ? [] : codePointSpans(text, spans);
  return `{"id":${idJson},"attributes":{"${ATTRIBUTE_NAME}":${JSON.stringify(list)}}}\n`;
}

/**
 * Where an input file's attributes go under `dir`. JSON and JSONL inputs give their own name (Dolma pairs
 * the files by path); any other input's (`other`: Parquet, WARC, an HTML or text file) attribute lines are
 * JSON all the same, and readers go by the name: `.jsonl` in place of its extension, a .gz or .zst kept
 * (x.parquet: x.jsonl; page.html: page.jsonl; x.warc.gz: x.jsonl.gz; added to a name without one).
 */
export function attributesPath(dir: string, input: string, other = false): string {
  // (Resolved first: "documents/sub/a.jsonl" and "./documents/..." keep their sub-folder as an absolute path does.)
  const norm = path.resolve(input).split(path.sep).join('/');
  const at = norm.lastIndexOf('/documents/');
  const name = at >= 0 ? norm.slice(at + '/documents/'.length) : path.basename(input);
  // (The extensions input.ts sniffFormat knows these formats by.)
  return path.join(dir, other ? name.replace(/(\.(?:parquet|warc|wet|arc|html?|xhtml|txt))?(\.(?:gz|zst))?$/i, '.jsonl$2') : name);
}

/** Attribute files, one per input file, written as records come (in input order). */
export class AttributesWriter {
  private readonly sinks = new Map<string, FileSink>();
  private readonly taken = new Set<string>();
  /** `other`: the inputs (as records name them) that are neither JSON nor JSONL (see attributesPath). */
  constructor(
    private readonly dir: string,
    private readonly other: ReadonlySet<string> = new Set(),
  ) {}

  /** Lines made by attributesLine, for records of input `file`, in order. */
  async addLines(file: string, lines: string): Promise<void> {
    if (lines.length === 0) return;
    let sink = this.sinks.get(file);
    if (sink === undefined) {
      // (Standard input, whatever its format, is stdin.jsonl: as `other` it was stdin.jsonl.jsonl.)
      const out = file === '-' ? attributesPath(this.dir, 'stdin.jsonl') : attributesPath(this.dir, file, this.other.has(file));
      if (this.taken.has(out)) throw new BoilerstripError('E_OPTION', `two inputs would write the same attribute file ${out}: give inputs distinct names`, { file });
      this.taken.add(out);
      try {
        // (Through a dangling link on the way, as the files themselves are written: its target folder is made.)
        fs.mkdirSync(writePath(path.dirname(out)), { recursive: true });
      } catch (e) {
        throw new BoilerstripError('E_OUTPUT', `cannot create the attributes directory: ${(e as Error).message}`, { file: out });
      }
      sink = new FileSink(out, await codecFor(compressionOf(out)));
      this.sinks.set(file, sink);
    }
    const w = sink.write(lines);
    if (w) await w;
  }

  async close(): Promise<void> {
    for (const s of this.sinks.values()) await s.close();
  }

  abort(): void {
    for (const s of this.sinks.values()) s.abort();
  }
}
