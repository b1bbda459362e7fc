/**
 * Single-page evidence for the text route: chrome a page gives away with no other page of its site in
 * the input (a first run on a handful of files, a site seen once in a batch), beside the frequency
 * evidence of strip.ts. Precision first: each cue is a shape that prose does not take.
 *
 *  - A ticker: a line of TICKER_ITEMS+ items joined by runs of spaces or NBSP (a chain line, analyze.ts)
 *    whose items are headlines, not sentences: few end a sentence, few are long. Double-spaced prose
 *    ("One.  Two.  Three.") ends its items with a full stop; a table row has items of one or two words
 *    and is left alone by the short-item floor.
 *  - A publication stamp: a short line that opens with a publishing word ("نشر في", "منشور",
 *    "Posted", "Published", "Updated") and holds a full date ("يوم 30 - 11 - 2024", "2 ديسمبر 2024",
 *    "May 5, 2013"). A dateline before a sentence is longer than STAMP_TOKENS words.
 */
import { endsSentence, isDateWord, type Analysis } from './analyze.js';
import { FOLD, normalize } from './normalize.js';

/** Chains of at least this many items can be tickers. */
export const TICKER_ITEMS = 8;
/** Ticker items of this many words or more are prose; at most TICKER_PROSE_SHARE of them may be. */
const TICKER_ITEM_PROSE = 20;
const TICKER_PROSE_SHARE = 0.1;
/** At most this share of a ticker's items end a sentence (. ! ? ؟). */
const TICKER_SENTENCE_SHARE = 0.2;
/** A ticker's items average at least this many words (menus and table rows have fewer). */
const TICKER_MEAN_WORDS = 3;

/** Words in [start, end) of t (runs of what normalizes to a space separate them). */
export function words(t: string, start: number, end: number): number {
  let n = 0;
  let inWord = false;
  for (let k = start; k < end; k++) {
    const sp = FOLD[t.charCodeAt(k)] === 32;
    if (!sp && !inWord) n++;
    inWord = !sp;
  }
  return n;
}

/** Is chain line i a ticker of headlines by its shape alone? */
export function tickerChain(a: Analysis, i: number): boolean {
  const n = a.lineSegN[i]!;
  if (n < TICKER_ITEMS) return false;
  const t = a.text;
  const s0 = a.lineSeg0[i]!;
  let items = 0;
  let prose = 0;
  let sentences = 0;
  let total = 0;
  for (let s = s0; s < s0 + n; s++) {
    if (a.segLen[s] === 0) continue;
    items++;
    const w = words(t, a.segStart[s]!, a.segEnd[s]!);
    total += w;
    if (w >= TICKER_ITEM_PROSE) prose++;
    if (endsSentence(t, a.segStart[s]!, a.segEnd[s]!)) sentences++;
  }
  return items >= TICKER_ITEMS && prose <= TICKER_PROSE_SHARE * items && sentences <= TICKER_SENTENCE_SHARE * items && total >= TICKER_MEAN_WORDS * items;
}

/** Publication stamps have at most this many words. */
const STAMP_TOKENS = 12;
/** Words a stamp opens with (normalized), alone or as the first two words. */
const STAMP_OPENERS = new Set(['نشر', 'نشرت', 'منشور', 'بتاريخ', 'posted', 'published', 'updated', 'publie', 'publicado', 'pubblicato', 'veroffentlicht'].map((w) => normalize(w)));
const STAMP_OPENER_PAIRS = new Set(['تاريخ النشر', 'آخر تحديث', 'تم النشر', 'last updated', 'mis à jour'].map((w) => normalize(w)));

const isNumber = (w: string | undefined): boolean => w !== undefined && w.length > 0 && w.length <= 4 && /^0+$/.test(w);
const isYear = (w: string | undefined): boolean => w === '0000';

/** Does a normalized word list hold a full date: d m yyyy, yyyy m d, d Month yyyy, Month d yyyy, or ddmmyyyy? */
function hasFullDate(w: string[]): boolean {
  for (let k = 0; k < w.length; k++) {
    const a = w[k]!;
    if (/^0{8}$/.test(a)) return true; // 30/11/2024 and 2024-11-30 lose their separators
    const b = w[k + 1];
    const c = w[k + 2];
    if (isNumber(a) && isNumber(b) && isNumber(c) && (isYear(c) || isYear(a))) return true;
    if (isNumber(a) && b !== undefined && isDateWord(b) && isYear(c)) return true;
    if (isDateWord(a) && isNumber(b) && isYear(c)) return true;
  }
  return false;
}

/**
 * The normalized words of line i when it is short enough (up to maxTokens words, no chain) and holds 4+
 * digits, as any full date does; else null. Most lines end here, before anything is built.
 */
function datedWords(a: Analysis, i: number, maxTokens: number): string[] | null {
  if (a.lineTok[i]! > maxTokens || a.lineSegN[i]! > 0) return null;
  const t = a.text;
  const start = a.lineStart[i]!;
  const end = a.lineEnd[i]!;
  let digits = 0;
  for (let k = start; k < end && digits < 4; k++) if (FOLD[t.charCodeAt(k)] === 48) digits++;
  return digits < 4 ? null : normalize(t.slice(start, end)).split(' ');
}

/** Is line i a publication stamp ("نشر في الأول يوم 30 - 11 - 2024", "Posted on May 5, 2013 by admin")? */
export function publicationStamp(a: Analysis, i: number): boolean {
  const w = datedWords(a, i, STAMP_TOKENS);
  if (w === null) return false;
  if (!STAMP_OPENERS.has(w[0]!) && !(w.length > 1 && STAMP_OPENER_PAIRS.has(`${w[0]} ${w[1]}`))) return false;
  return hasFullDate(w);
}

/** Date lines have at most this many words. */
const DATE_LINE_TOKENS = 8;

/**
 * Is line i a date and nothing else ("الثلاثاء 2 يناير 2024", "Monday, May 5, 2013 10:30")? Only weekday
 * and month names and numbers, with a full date among them: no title is made of those.
 */
export function dateLine(a: Analysis, i: number): boolean {
  const w = datedWords(a, i, DATE_LINE_TOKENS);
  if (w === null) return false;
  for (const x of w) if (!/^0+$/.test(x) && !isDateWord(x)) return false;
  return hasFullDate(w);
}
