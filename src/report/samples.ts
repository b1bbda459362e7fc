/**
 * A bounded sample of documents for the report's before/after view, kept while pass 2 runs.
 *
 * Which documents: each gets a priority from a hash of its site and text (changed documents before
 * unchanged ones), and the sample is the SAMPLE_DOCS lowest, taking at most SAMPLE_PER_SITE of a site
 * first and filling the rest with the lowest of any site. Both rules are "the lowest k under a cap", so a
 * chunk's candidates can be cut to what could still be chosen and merged with another chunk's in any
 * order: the sample is the same for every thread count and input order (only the content decides).
 */
import type { Span, StripResult } from '../strip.js';

/** Documents in a report's sample. */
export const SAMPLE_DOCS = 20;
/** Documents of one site chosen before the others' fill the rest. */
export const SAMPLE_PER_SITE = 2;
/** Characters of each sampled document kept (the start of the text). */
export const SAMPLE_CHARS = 4000;
/** Characters of a sampled document's id kept, '…' included (an object id can be megabytes of JSON). */
export const SAMPLE_ID_CHARS = 200;

/** A sampled document: pieces of its original text (the whole of it when short) and what was removed there. */
export interface SampleDoc {
  site: string;
  /** The id as written in the input: a string id the string, any other its JSON text (null: none); cut (sampleId). */
  id: string | null;
  url: string | null;
  /** Length of the whole original text (UTF-16 code units). */
  chars: number;
  /** Characters removed from the whole text. */
  removedChars: number;
  emptied: boolean;
  /**
   * Pieces of the original text, [offset, text], in order, SAMPLE_CHARS in all at most: the whole text
   * when it is that short, else its start and the lines around removed spans (the start only when nothing was removed) (what lies between is left
   * out).
   */
  parts: [start: number, text: string][];
  /** Removed spans that fall in the parts (clipped to them), [start, end, reason] in offsets of the whole text. */
  spans: Span[];
  /** Sampling priority (lower first); not in the report. */
  key: number;
}

/** Context kept around a removed span in a long document (then widened to whole lines). */
const CONTEXT = 240;
/** The start of a long document kept before the lines around its removed spans. */
const HEAD = 400;

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;

/** Ranges of a long text to show: the head and the lines around spans, merged, SAMPLE_CHARS in all. */
export function sampleRanges(text: string, spans: readonly Span[], budget = SAMPLE_CHARS): [number, number][] {
  const n = text.length;
  if (n <= budget) return [[0, n]];
  const want: [number, number][] = [];
  for (const [s, e] of spans) {
    let a = Math.max(0, s - CONTEXT);
    const nl = text.indexOf('\n', a);
    if (a > 0 && nl >= 0 && nl < s) a = nl + 1;
    let b = Math.min(n, e + CONTEXT);
    const nr = text.lastIndexOf('\n', b - 1);
    if (b < n && nr >= e) b = nr + 1;
    want.push([a, b]);
  }
  // The start of the document (to the end of a line; all the budget when nothing was removed).
  let head = Math.min(n, spans.length > 0 ? HEAD : budget);
  const hl = text.lastIndexOf('\n', head - 1);
  if (head < n && hl >= head / 2) head = hl + 1;
  want.push([0, head]);
  const merged: [number, number][] = [];
  for (const r of want.sort((x, y) => x[0] - y[0])) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  const out: [number, number][] = [];
  let left = budget;
  for (const [a, b] of merged) {
    if (left <= 0) break;
    let end = Math.min(b, a + left);
    if (end < b && end > a && isHigh(text.charCodeAt(end - 1))) end--;
    let start = a;
    if (start > 0 && start < end && isHigh(text.charCodeAt(start - 1))) start++;
    if (end <= start) continue;
    out.push([start, end]);
    left -= end - start;
  }
  return out;
}

const TWO32 = 2 ** 32;

/** Characters of a text's start its sampling priority hashes (with its length: 2048 cost --report ~0.1 s a 300 MB run). */
const KEY_CHARS = 256;

/** Priority of a document: 32 bits of hash above its length, changed documents first. */
export function sampleKey(site: string, text: string, changed: boolean): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < site.length; i++) h = Math.imul(h ^ site.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0xff, 0x01000193);
  const n = Math.min(text.length, KEY_CHARS);
  for (let i = 0; i < n; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  // 52 bits: changed flag, 32 bits of hash, 19 bits of length.
  return (changed ? 0 : TWO32 * 2 ** 19) + (h >>> 0) * 2 ** 19 + (text.length & 0x7ffff);
}

function cmp(a: SampleDoc, b: SampleDoc): number {
  if (a.key !== b.key) return a.key - b.key;
  if (a.site !== b.site) return a.site < b.site ? -1 : 1;
  const at = a.parts[0]?.[1] ?? '';
  const bt = b.parts[0]?.[1] ?? '';
  if (at !== bt) return at < bt ? -1 : 1;
  const ai = a.id ?? '';
  const bi = b.id ?? '';
  return ai < bi ? -1 : ai > bi ? 1 : 0;
}

/** The per-site-capped pick over candidates sorted by cmp. */
function capped(sorted: SampleDoc[]): Set<SampleDoc> {
  const picked = new Set<SampleDoc>();
  const perSite = new Map<string, number>();
  for (const d of sorted) {
    if (picked.size >= SAMPLE_DOCS) break;
    const n = perSite.get(d.site) ?? 0;
    if (n >= SAMPLE_PER_SITE) continue;
    perSite.set(d.site, n + 1);
    picked.add(d);
  }
  return picked;
}

/**
 * Cut candidates to those that can still be chosen: the capped pick and the SAMPLE_DOCS lowest. Sorted.
 * (Both picks over a union equal the picks over the union of each part's picks.)
 */
export function keepSamples(cands: SampleDoc[]): SampleDoc[] {
  cands.sort(cmp);
  const picked = capped(cands);
  return cands.filter((d, i) => i < SAMPLE_DOCS || picked.has(d));
}

/** Candidates merged (another chunk's or thread's). */
export function mergeSamples(a: SampleDoc[], b: SampleDoc[]): SampleDoc[] {
  return b.length === 0 ? a : keepSamples(a.concat(b));
}

/** Could a document with this key and site still be chosen? (A cheap test before building its sample.) */
function couldKeep(cands: SampleDoc[], key: number, site: string): boolean {
  if (cands.length < SAMPLE_DOCS || key <= cands[SAMPLE_DOCS - 1]!.key) return true;
  // Past the lowest SAMPLE_DOCS: only the capped pick could take it, if neither cap is reached before it.
  let picked = 0;
  let mine = 0;
  const perSite = new Map<string, number>();
  for (const d of cands) {
    if (d.key >= key) break;
    const n = perSite.get(d.site) ?? 0;
    if (n >= SAMPLE_PER_SITE) continue;
    perSite.set(d.site, n + 1);
    picked++;
    if (d.site === site) mine++;
  }
  return picked < SAMPLE_DOCS && mine < SAMPLE_PER_SITE;
}

/**
 * Offer a cleaned document; returns the new candidate list. `meta` gives its id as the report shows it
 * (strip-context.ts sampleIdAndUrl) and its URL (called only for a document that may be kept: the id's
 * text is found then).
 */
export function offerSample(cands: SampleDoc[], site: string, text: string, res: StripResult, meta: () => readonly [id: string | null, url: unknown]): SampleDoc[] {
  const key = sampleKey(site, text, res.spans.length > 0);
  if (!couldKeep(cands, key, site)) return cands;
  const [id, url] = meta();
  const ranges = sampleRanges(text, res.spans);
  const spans: Span[] = [];
  let removed = 0;
  let r = 0;
  for (const [s, e, reason] of res.spans) {
    removed += e - s;
    while (r < ranges.length && ranges[r]![1] <= s) r++;
    // A span may cross several ranges (a long one cut by the budget): clip to each it touches.
    for (let j = r; j < ranges.length && ranges[j]![0] < e; j++) spans.push([Math.max(s, ranges[j]![0]), Math.min(e, ranges[j]![1]), reason]);
  }
  const doc: SampleDoc = {
    site,
    id: id === null ? null : sampleId(id),
    url: typeof url === 'string' ? url : null,
    chars: text.length,
    removedChars: removed,
    emptied: res.emptied,
    parts: ranges.map(([a, b]) => [a, text.slice(a, b)]),
    spans,
    key,
  };
  cands.push(doc);
  return keepSamples(cands);
}

/** An id over SAMPLE_ID_CHARS cut to them with '…' last, not inside a surrogate pair (the report JSON and page stay small). */
function sampleId(id: string): string {
  if (id.length <= SAMPLE_ID_CHARS) return id;
  let end = SAMPLE_ID_CHARS - 1;
  const c = id.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${id.slice(0, end)}…`;
}

/** The sample as the report shows it: the capped pick, filled up with the lowest others; by site, then priority. */
export function finalSamples(cands: SampleDoc[], siteOrder: (site: string) => number): Omit<SampleDoc, 'key'>[] {
  const sorted = [...cands].sort(cmp);
  const picked = capped(sorted);
  for (const d of sorted) {
    if (picked.size >= SAMPLE_DOCS) break;
    picked.add(d);
  }
  return [...picked]
    .sort((a, b) => siteOrder(a.site) - siteOrder(b.site) || cmp(a, b))
    .map(({ key: _k, ...d }) => d);
}
