/** Pass 2 over batches of records, the same on the main thread and in worker threads. */
import { isBad, LazyRecord, type BadRecord, type RawRecord, type ReadItem } from './io/input.js';
import type { CleanRow } from './io/output.js';
import type { Model } from './model.js';
import { DocCleaner, docOf, isDoc, pageDocOf, type Doc, type NoDoc } from './doc.js';
import { cachedPages, readPage } from './html/page-cache.js';
import { htmlDoc, PARSE } from './html/page.js';
import { attributesLine } from './io/attributes.js';
import { bytesAsText, fieldJson, getField, htmlRecordWithText, resolveFields, setField, spliceHtmlRecord, spliceRecord, stringifyTyped, type ResolvedFields } from './record.js';
import type { OnEmpty, RunOptions } from './run-options.js';
import { corpusUnitLanes, type RunStats } from './stats.js';
import { RemovedUnits, Stripper, type Span } from './strip.js';
import { offerSample } from './report/samples.js';
import { detached } from './strings.js';

// processRecord's scratch: a corpus-wide unit's lanes in its site (--report).
const LANES = new Int32Array(2);

/** A record's removed spans for its Dolma attributes line (io/attributes.ts). */
export interface AttrRow {
  file: string;
  /** The record's id as JSON text (idJsonOf). */
  id: string;
  /** The input text the spans are over (null: none). */
  text: string | null;
  spans: readonly Span[];
}

/** The attribute lines of `rows`, grouped by input file in order (a chunk or batch may end one file and start another). */
export function attrLines(rows: AttrRow[]): [string, string][] {
  const out: [string, string][] = [];
  for (const a of rows) {
    const line = attributesLine(a.id, a.text, a.spans);
    const last = out[out.length - 1];
    if (last && last[0] === a.file) last[1] += line;
    else out.push([a.file, line]);
  }
  return out;
}

/**
 * A rejected record for --rejects: its raw line (with its newline), or, for a record with no line of its
 * own, where it was and why, its line relative to its chunk (rejectLine writes it).
 */
export type Reject = string | { file: string; line: number; code: string; error: string };

/** A reject as the line --rejects gets, `lineOffset` added to a chunk-relative line. */
export function rejectLine(r: Reject, lineOffset: number): string {
  if (typeof r === 'string') return r;
  return JSON.stringify({ boilerstrip_rejected: { file: r.file, line: r.line + lineOffset, code: r.code, error: r.error } }) + '\n';
}

/** Pass-2 state over batches of records: one per thread. */
export class StripContext {
  readonly fields: ReturnType<typeof resolveFields>;
  readonly skip: boolean;
  readonly onEmpty: OnEmpty;
  readonly annotate: string | null;
  readonly stripper: Stripper;
  readonly cleaner: DocCleaner;
  readonly collect: boolean;
  /** With --attributes: every good record's removed spans over its input text, in order (the caller drains it). */
  attrRows: AttrRow[] | null;
  constructor(
    readonly model: Model,
    opts: RunOptions,
    public stats: RunStats,
  ) {
    this.fields = resolveFields(opts);
    this.skip = opts.onError === 'skip';
    this.onEmpty = opts.onEmpty ?? 'keep';
    this.annotate = opts.annotate ?? null;
    this.stripper = new Stripper(model, opts);
    this.cleaner = new DocCleaner(this.stripper);
    this.collect = opts.collectReport ?? false;
    if (this.collect) this.stripper.removedUnits = new RemovedUnits();
    this.attrRows = opts.attributes !== undefined ? [] : null;
  }

  /**
   * A thread's context goes from chunk to chunk (its buffers grown once): each chunk's counts go to a
   * stats of their own, and its attribute rows start empty.
   */
  nextChunk(stats: RunStats): void {
    this.stats = stats;
    if (this.attrRows !== null) this.attrRows = [];
  }

  /**
   * Clean one record: its output line goes to `out`, a rejected raw line to `rejects`; with `rows` (a row
   * sink: Parquet) a kept record goes there with its new text instead. Returns the bad record that stops
   * the run in fail mode (the caller raises it, knowing the absolute line), else null.
   */
  record(r: ReadItem, out: LineOut, rejects: Reject[] | null, rows: CleanRow[] | null = null): BadRecord | null {
    const stats = this.stats;
    stats.recordsIn++;
    if (isBad(r)) {
      if (!this.skip) {
        stats.recordsIn--;
        return r;
      }
      stats.reject(r);
      // (A record with no line of its own, a WARC record, a JSON array element, a Parquet row: one JSON line
      // that names it, so nothing rejected is missing from the file.)
      // (Its line is the chunk's: the pool makes it the file's, rejectLine.)
      if (rejects) rejects.push(r.raw !== null ? r.raw + '\n' : { file: r.file, line: r.line, code: r.code, error: r.message });
      return null;
    }
    this.write(processRecord(r, this.cleaner, this.fields, this.onEmpty, this.annotate, stats, this.collect, rows, this.attrRows), out, rows);
    return null;
  }

  /**
   * Clean one JSONL record read in place (jsonl-docs.ts): its document (a text) and its line, with where
   * its text's JSON string sits in it, and its id and URL (`meta`, for --report and --attributes). Its
   * value is parsed only if something else asks for it (the report's id on a dotted path).
   */
  recordInPlace(file: string, line: number, raw: string, text: string, site: string, textAt: readonly [number, number], meta: RecordMeta, out: LineOut, rows: CleanRow[] | null = null): void {
    this.inPlace(file, line, raw, { text, site, html: null }, textAt, meta, out, rows);
  }

  /**
   * Clean one HTML record read in place (jsonl-docs.ts): its page is pass 1's from clean's analysis cache
   * (which needs only the HTML's length) or parsed from `html()`; `raw` is its line, or the line with its
   * HTML an empty string where the output drops the HTML (see JsonlInPlace.rawWithoutHtml).
   */
  pageInPlace(file: string, line: number, raw: string, htmlLength: number, html: () => string, site: string, meta: RecordMeta, out: LineOut, rows: CleanRow[] | null = null): void {
    const cache = this.cleaner.stripper.cache;
    this.inPlace(file, line, raw, pageDocOf(cache !== null ? readPage(cache, htmlLength) : htmlDoc(html()), site, this.fields), undefined, meta, out, rows);
  }

  /** A JSONL record read in place, with its document: its value parsed from `raw` only if something asks for it. */
  private inPlace(file: string, line: number, raw: string, d: Doc | NoDoc, textAt: readonly [number, number] | undefined, meta: RecordMeta, out: LineOut, rows: CleanRow[] | null): void {
    this.stats.recordsIn++;
    const r = new LazyRecord(file, line, 'jsonl', raw);
    this.write(processRecord(r, this.cleaner, this.fields, this.onEmpty, this.annotate, this.stats, this.collect, rows, this.attrRows, d, textAt, meta), out, rows);
  }

  private write(line: string | null, out: LineOut, rows: CleanRow[] | null): void {
    if (line === null) return;
    this.stats.recordsOut++;
    if (rows === null) {
      out.push(line);
      out.push('\n'); // (no copy of the line to append its newline)
    }
  }
}

/** A record's id and URL members as the reader found them (jsonl-docs.ts JsonlInPlace, read during its onDoc). */
export interface RecordMeta {
  /** The URL value, as JSON.parse and getField give it (the reader takes a line in place only when it is a string or absent). */
  docUrl(): string | undefined;
  /** The id member's JSON text as written in the line (compactJson), 'null' without one (null: find it in the line). */
  idJson(): string | null;
}

/**
 * A record's id and URL for the report's samples. The id is the one its --attributes line writes
 * (idJsonOf), a string id as the string: a 25-digit number, `1.10`, `1e400`, `-0`, an object, an array, a
 * Parquet INT64 or DECIMAL show as written (String() of the parsed value rewrote the numbers and dropped
 * the others); null for a record without one.
 */
function sampleIdAndUrl(r: RawRecord, fields: ResolvedFields, meta: RecordMeta | undefined): readonly [string | null, unknown] {
  const json = idJsonOf(r, fields, meta);
  const id = json === 'null' ? null : json.charCodeAt(0) === 34 ? (JSON.parse(json) as string) : json;
  // (A binary URL read for a Parquet sink is bytes: as text, as siteOfRecord reads it; it showed as null.)
  return [id, meta !== undefined ? meta.docUrl() : bytesAsText(getField(r.value as Record<string, unknown>, fields.urlField))];
}

/**
 * A record's id as JSON text for its --attributes line: a record with text of its own (a JSONL line, in
 * place or parsed; a JSON array element) gives the id member's text as written there (white space between
 * tokens left out), so the id joins back to the document whatever it is (a 25-digit number, `1.10`, `-0`,
 * `1e400`, escapes, an array nested 5,000 deep: no JSON.stringify, no recursion); a record without the
 * field, 'null'. Others (a Parquet row, WARC record, HTML or text file) have only a value: JSON.stringify of
 * it, a Parquet row's as its JSONL output line writes it (stringifyTyped: an INT64 with every digit, a
 * DECIMAL exact; JSON.stringify threw on the one and wrote the other as {"text": …}). Rows read for a
 * Parquet sink hold values as stored (a DECIMAL unscaled, a timestamp or date in its unit): the reader
 * gives their id as JSONL output writes it (RawRecord.idJson).
 */
function idJsonOf(r: RawRecord, fields: ResolvedFields, meta: RecordMeta | undefined): string {
  const own = meta?.idJson() ?? null;
  if (own !== null) return own;
  if (r.raw !== null) return fieldJson(r.raw, fields.idField) ?? 'null';
  if (r.idJson !== undefined) return r.idJson;
  const id = getField(r.value as Record<string, unknown>, fields.idField) ?? null;
  // (A Parquet row's INT64 is a bigint, its DECIMAL a JsonNumber: written as its output line writes them.)
  if (r.format === 'parquet') return stringifyTyped(id);
  // (A value found only on Object.prototype, `--id-field constructor`: JSON.stringify gives undefined.)
  return JSON.stringify(id) ?? 'null';
}

/** Where pass 2's output lines go: an array, or an encoder that makes bytes of them as they come. */
export interface LineOut {
  push(s: string): unknown;
}

function processRecord(
  r: RawRecord,
  cleaner: DocCleaner,
  fields: ResolvedFields,
  onEmpty: OnEmpty,
  annotate: string | null,
  stats: RunStats,
  collect: boolean,
  rows: CleanRow[] | null,
  attr: AttrRow[] | null,
  doc?: Doc | NoDoc,
  textAt?: readonly [number, number],
  meta?: RecordMeta,
): string | null {
  // (A record read in place comes with its document; its value is parsed only where it is read below.)
  // (With clean's analysis cache, an HTML page's blocks are pass 1's, read back.)
  const cache = cleaner.stripper.cache;
  const d = doc ?? docOf(r.value as Record<string, unknown>, fields, cache !== null ? cachedPages(cache) : PARSE);
  if (attr !== null) attr.push({ file: r.file, id: idJsonOf(r, fields, meta), text: null, spans: [] });
  if (!isDoc(d)) {
    stats.passedThrough[d.problem]++;
    if (rows !== null) {
      rows.push({ record: r, text: d.html ? '' : null, spans: null });
      return '';
    }
    // An HTML page with no text still gets its (empty) text field, as every page does.
    if (d.html) return writeHtml(r, fields, '', annotate, []);
    return r.raw ?? valueLine(r, r.value);
  }
  const t = d.text;
  const site = d.site;
  const stripper = cleaner.stripper;
  const res = cleaner.clean(d);
  // (An HTML page's text is not in the input: its attributes stay empty.)
  if (attr !== null && d.html === null) {
    const a = attr[attr.length - 1]!;
    a.text = d.text;
    a.spans = res.spans;
  }
  stats.cleaned++;
  if (d.html !== null) stats.htmlPages++;
  if (res.fallback) stats.fallbackDocs++;
  if (res.copies > 1) stats.copies++;
  let newText: string | null = res.spans.length > 0 ? res.text : null;
  // A dropped document is counted as every other one (its characters in, its site's documents, its
  // removed units), with nothing out: the report's figures do not depend on --on-empty.
  let drop = false;
  if (res.emptied) {
    stats.emptied++;
    if (onEmpty === 'drop') {
      stats.dropped++;
      drop = true;
    }
    if (onEmpty === 'keep') newText = null;
  }
  const changed = newText !== null && !drop;
  if (changed) stats.changed++;
  const outText = drop ? '' : (newText ?? t);
  stats.charsIn += t.length;
  stats.charsOut += outText.length;
  if (collect) {
    let f = stats.sites.get(site);
    if (f === undefined) {
      const th = stripper.thresholds(site);
      f = { docs: 0, changed: 0, emptied: 0, charsIn: 0, charsOut: 0, fallback: th.fallback, threshold: th.t };
      stats.sites.set(site, f);
    }
    f.docs++;
    if (changed) f.changed++;
    if (res.emptied) f.emptied++;
    f.charsIn += t.length;
    f.charsOut += outText.length;
    if (newText !== null) for (const [from, to, why] of res.spans) stats.removedByReason[why] = (stats.removedByReason[why] ?? 0) + to - from;
    const model = stripper.model;
    const ru = stripper.removedUnits!;
    let siteKey: readonly [number, number] | null = null;
    for (let i = 0; i < ru.n; i++) {
      const start = ru.start[i]!;
      const end = ru.end[i]!;
      // (On an HTML page the block decision may keep what the text rules would cut.)
      if (d.html !== null && !res.spans.some((sp) => sp[0] < end && sp[1] > start)) continue;
      const corpus = ru.corpus(i);
      let k1 = ru.k1[i]!;
      let k2 = ru.k2[i]!;
      // A corpus-wide key is the same for every site: it is tallied under the site's own lanes of it.
      if (corpus) {
        siteKey ??= model.siteKey(site);
        corpusUnitLanes(k1, k2, siteKey[0], siteKey[1], LANES);
        k1 = LANES[0]!;
        k2 = LANES[1]!;
      }
      if (stats.removal(k1, k2)) continue;
      stats.newUnit(k1, k2, {
        site,
        reason: ru.reason(i),
        scope: corpus ? 'corpus' : 'site',
        df: ru.df[i]!,
        of: corpus ? model.docs : model.siteDocs(site),
        removals: 1,
        text: detached(t.slice(start, Math.min(end, start + 200))),
      });
    }
    // The containers whose blocks the block decision removed: path and a sample of their text.
    if (d.html !== null) {
      cleaner.pageStripper!.removedContainers(d.html, site, (k1, k2, path, pages, text) => {
        stats.removedUnit(k1, k2, () => ({ site, reason: 'structure', scope: 'site', df: pages, of: model.siteDocs(site), removals: 1, text: detached(`<${path.split('>').slice(-3).join('>')}> ${text.slice(0, 160)}`) }));
      });
    }
    stats.samples = offerSample(stats.samples, site, t, res, () => sampleIdAndUrl(r, fields, meta));
  }
  if (drop) return null;
  if (annotate !== null) newText = null; // annotate keeps the text
  if (rows !== null) {
    rows.push({ record: r, text: d.html !== null ? (newText ?? t) : newText, spans: annotate !== null ? res.spans : null });
    return '';
  }
  if (d.html !== null) return writeHtml(r, fields, newText ?? t, annotate, res.spans);
  const ann = annotate !== null ? { field: annotate, json: JSON.stringify(res.spans) } : null;
  if (r.raw !== null) return newText === null && ann === null ? r.raw : spliceRecord(r.raw, fields.textField, newText, ann, newText !== null ? { text: t, spans: res.spans } : undefined, textAt);
  const v = r.value as Record<string, unknown>;
  const out: Record<string, unknown> = newText !== null ? setField(v, fields.textField, newText) : { ...v };
  if (ann !== null) out[ann.field] = res.spans;
  return valueLine(r, out);
}

/** An HTML record written back with its text (and without its HTML unless --keep-html). */
function writeHtml(r: RawRecord, fields: ResolvedFields, text: string, annotate: string | null, spans: readonly Span[]): string {
  if (r.raw !== null) return spliceHtmlRecord(r.raw, fields, text, annotate !== null ? { field: annotate, json: JSON.stringify(spans) } : null);
  const out = htmlRecordWithText(r.value as Record<string, unknown>, fields, text);
  if (annotate !== null) out[annotate] = spans;
  return valueLine(r, out);
}

/** The output line of a record with no line of its own, from `value`: a Parquet row's values (int64 as bigint, bytes, dates) as stringifyTyped writes them. */
function valueLine(r: RawRecord, value: unknown): string {
  return r.format === 'parquet' ? stringifyTyped(value as Record<string, unknown>) : JSON.stringify(value);
}
