/**
 * One document's units: its lines, the inline segments of chain lines (tickers, "a | b | c" menus), and
 * for short lines the template keys (frequent prefix, frequent suffix, dates written in words).
 *
 * Normalization and hashing happen in one table-driven pass over the UTF-16 text (normalize.ts); no
 * per-line strings are built on the hot path. All offsets are UTF-16 code unit indexes into the text.
 * Buffers are reused from document to document: an Analysis is only valid until the next analyze().
 *
 * analyze() runs the line loop in WebAssembly (asm/kernel.ts, through kernel-wasm.ts) and the per-document
 * rest here; analyzeJs is the same analysis all in JS, the reference the kernel is tested against.
 */
import { Kernel, LINE_STRIDE, SEG_STRIDE } from './kernel-wasm.js';
import { FOLD as FOLD_TABLE, F_EXPAND, EXPANSIONS, foldAstral, normalize } from './normalize.js';

const FOLD: Uint16Array = FOLD_TABLE;

// The FOLD markers as local constants: V8 reads imported bindings through a cell, slower in hot loops.
const F_DROP = 0;
const F_SPACE = 32;
const F_SURROGATE = 0xfffe;

/** Lines of at most LABEL_LINE_TOKENS tokens (and SHORT_MAX code units) get label keys; of SHORT_MAX_TOKENS, shape keys. */
export const SHORT_MAX = 200;
export const SHORT_MAX_TOKENS = 12;
export const LABEL_LINE_TOKENS = 16;
/** Long lines of at least this many words give shingles (see SHINGLE_BANDS): paragraphs, not the titles other pages list. */
export const SHINGLE_LINE_TOKENS = 16;
/** Lines at least this long (normalized) make up a document's duplicate fingerprint. */
export const FINGERPRINT_MIN = 60;
/** Whole-line duplicate fingerprints per document (bands 0-2 of Analysis.fp). */
export const LINE_BANDS = 3;
/**
 * Shingle fingerprints per document (the bands after LINE_BANDS): each is the minimum, under its own
 * hash order, of the SHINGLE_WORDS-word shingles of the document's long prose lines. Two copies whose
 * paragraphs were edited (a dateline added, a sentence appended, a paragraph turned into a quote) still
 * share most shingles, so most of these minima.
 */
export const SHINGLE_BANDS = 8;
export const SHINGLE_WORDS = 4;
/** A document needs this many shingles for shingle fingerprints (a short page says too little). */
export const SHINGLE_MIN = 8;
/** Duplicate fingerprints per document (see Analysis.fp). */
export const FP_BANDS = LINE_BANDS + SHINGLE_BANDS;

/** The kinds of key a unit is counted under; each has its own key space. */
export const enum Kind {
  Line = 0,
  Segment = 1,
  Prefix = 2,
  Suffix = 3,
  Shape = 4,
  /** First HEAD_TOKENS tokens of a lead paragraph or of a line ending in an ellipsis (teasers). */
  Head = 5,
  /** A document's duplicate fingerprint (one key per band): how many copies of the document there are. */
  Fp = 6,
  /** An HTML block's element path (html/page.ts): on how many of a site's pages the container is. */
  Path = 7,
  /**
   * A line's label (as Prefix) counted again when the line ends a sentence: of the lines a label opens, how
   * many are prose ("وقال: «…»." nearly all; "اقرأ أيضا: <title>" few). Never judged as chrome itself.
   */
  ProseLabel = 8,
}
export const KIND_NAMES = ['line', 'segment', 'prefix', 'suffix', 'shape', 'head', 'fingerprint', 'path', 'prose-label'] as const;
/** Tokens in a head key; lines need at least HEAD_MIN_TOKENS to get one. */
export const HEAD_TOKENS = 6;
export const HEAD_MIN_TOKENS = 8;
/** The first this many lines of HEAD_MIN_TOKENS+ tokens of a document are its lead, whose head is counted. */
export const LEAD_LINES = 6;
export type KindName = (typeof KIND_NAMES)[number];

const M1 = 0x9e3779b1 | 0;
const M2 = 0x85ebca77 | 0;

export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Growable Int32 column. */
class Col {
  a: Int32Array;
  constructor(n: number) {
    this.a = new Int32Array(n);
  }
  grow(n: number): void {
    if (n <= this.a.length) return;
    let m = this.a.length * 2;
    while (m < n) m *= 2;
    const b = new Int32Array(m);
    b.set(this.a);
    this.a = b;
  }
}

/** Units of one document. Arrays are columns indexed by line (or segment, or extra key). */
export class Analysis {
  text = '';
  nLines = 0;
  /** Line i spans [start, end); the next line starts at next (after \n, \r\n or \r). */
  private cStart = new Col(256);
  private cEnd = new Col(256);
  private cNext = new Col(256);
  private cH1 = new Col(256);
  private cH2 = new Col(256);
  /** Normalized length in code units (0: the line is empty after normalization). */
  private cLen = new Col(256);
  private cTok = new Col(256);
  /** First segment index and segment count (0 when the line is not a chain). */
  private cSeg0 = new Col(256);
  private cSegN = new Col(256);
  /** 1 when the line ends in an ellipsis (a teaser). */
  private cEll = new Col(256);
  /** Extra template keys of the line: index of the first and count. */
  private cX0 = new Col(256);
  private cXN = new Col(256);

  nSegs = 0;
  private sStart = new Col(256);
  private sEnd = new Col(256);
  private sH1 = new Col(256);
  private sH2 = new Col(256);
  private sLen = new Col(256);

  nExtra = 0;
  private xKind = new Col(64);
  private xH1 = new Col(64);
  private xH2 = new Col(64);

  /**
   * Duplicate fingerprints, FP_BANDS of them as (h1, h2) pairs ((0, 0): none). Band 0 is the two longest
   * plain lines (an article's paragraphs, whatever chrome around them changed between two scrapes); bands
   * 1 and 2 are min-hash pairs over the long lines (a copy with another headline, a dateline added or one
   * paragraph edited still shares one of them). Bands LINE_BANDS.. are shingle minima (SHINGLE_BANDS):
   * copies whose paragraphs were all edited a little still share most of them. Two documents that share
   * a band are (near-)copies of one another; Stripper.copiesOf checks the band's lines before it believes it.
   */
  readonly fp = new Int32Array(2 * FP_BANDS);
  /** The two lines each band was made of (line indexes, as fp; a shingle band's line twice): copies hold those lines and few others do. */
  readonly fpLine = new Int32Array(2 * FP_BANDS);

  get lineStart(): Int32Array { return this.cStart.a; }
  get lineEnd(): Int32Array { return this.cEnd.a; }
  get lineNext(): Int32Array { return this.cNext.a; }
  get lineH1(): Int32Array { return this.cH1.a; }
  get lineH2(): Int32Array { return this.cH2.a; }
  get lineLen(): Int32Array { return this.cLen.a; }
  get lineTok(): Int32Array { return this.cTok.a; }
  get lineSeg0(): Int32Array { return this.cSeg0.a; }
  get lineSegN(): Int32Array { return this.cSegN.a; }
  get lineX0(): Int32Array { return this.cX0.a; }
  get lineEll(): Int32Array { return this.cEll.a; }
  get lineXN(): Int32Array { return this.cXN.a; }
  get segStart(): Int32Array { return this.sStart.a; }
  get segEnd(): Int32Array { return this.sEnd.a; }
  get segH1(): Int32Array { return this.sH1.a; }
  get segH2(): Int32Array { return this.sH2.a; }
  get segLen(): Int32Array { return this.sLen.a; }
  get extraKind(): Int32Array { return this.xKind.a; }
  get extraH1(): Int32Array { return this.xH1.a; }
  get extraH2(): Int32Array { return this.xH2.a; }

  /** @internal Room for n lines, s segments and x extra keys (the kernel's glue and the analysis cache write the columns directly). */
  reserve(n: number, s: number, x = 0): void {
    if (n > this.cStart.a.length) for (const c of [this.cStart, this.cEnd, this.cNext, this.cH1, this.cH2, this.cLen, this.cTok, this.cSeg0, this.cSegN, this.cX0, this.cXN, this.cEll]) c.grow(n);
    if (s > this.sStart.a.length) for (const c of [this.sStart, this.sEnd, this.sH1, this.sH2, this.sLen]) c.grow(s);
    if (x > this.xKind.a.length) for (const c of [this.xKind, this.xH1, this.xH2]) c.grow(x);
  }
  /** @internal */
  pushLine(start: number, end: number, next: number): number {
    const i = this.nLines++;
    if (i >= this.cStart.a.length) {
      for (const c of [this.cStart, this.cEnd, this.cNext, this.cH1, this.cH2, this.cLen, this.cTok, this.cSeg0, this.cSegN, this.cX0, this.cXN, this.cEll]) c.grow(this.nLines);
    }
    this.cStart.a[i] = start;
    this.cEnd.a[i] = end;
    this.cNext.a[i] = next;
    this.cSegN.a[i] = 0;
    this.cXN.a[i] = 0;
    this.cEll.a[i] = 0;
    return i;
  }
  /** @internal */
  pushSeg(start: number, end: number, h1: number, h2: number, len: number): void {
    const i = this.nSegs++;
    if (i >= this.sStart.a.length) for (const c of [this.sStart, this.sEnd, this.sH1, this.sH2, this.sLen]) c.grow(this.nSegs);
    this.sStart.a[i] = start;
    this.sEnd.a[i] = end;
    this.sH1.a[i] = h1;
    this.sH2.a[i] = h2;
    this.sLen.a[i] = len;
  }
  /** @internal */
  pushExtra(kind: Kind, h1: number, h2: number): void {
    const i = this.nExtra++;
    if (i >= this.xKind.a.length) for (const c of [this.xKind, this.xH1, this.xH2]) c.grow(this.nExtra);
    this.xKind.a[i] = kind;
    this.xH1.a[i] = h1;
    this.xH2.a[i] = h2;
  }
}

// Hash state shared by the hashing helpers (module-level: no allocation per unit).
let H1 = 0;
let H2 = 0;
let LEN = 0;
let TOK = 0;
let PENDING = false;
// Hash state after the first HEAD_TOKENS tokens of the line (captured when the next token starts).
let HD1 = 0;
let HD2 = 0;
let HDLEN = 0;

function reset(): void {
  H1 = 0x2545f491;
  H2 = 0x6c8e9cf5;
  LEN = 0;
  TOK = 0;
  PENDING = false;
}

/**
 * One folded code unit into the shared hash state. hashLine and segmentLine inline these same steps in
 * locals (the hot loops); test/analyze checks that their hashes equal unitHash's.
 */
function emitUnit(u: number): void {
  if (u === F_SPACE) {
    PENDING = LEN > 0;
    return;
  }
  if (PENDING) {
    if (TOK === HEAD_TOKENS) {
      HD1 = H1;
      HD2 = H2;
      HDLEN = LEN;
    }
    H1 = Math.imul(H1 ^ F_SPACE, M1);
    H1 = (H1 << 15) | (H1 >>> 17);
    H2 = Math.imul(H2 ^ F_SPACE, M2);
    H2 = (H2 << 13) | (H2 >>> 19);
    LEN++;
    TOK++;
    PENDING = false;
  } else if (LEN === 0) TOK = 1;
  H1 = Math.imul(H1 ^ u, M1);
  H1 = (H1 << 15) | (H1 >>> 17);
  H2 = Math.imul(H2 ^ u, M2);
  H2 = (H2 << 13) | (H2 >>> 19);
  LEN++;
}

/** Fold code unit at i of s into the hash state; returns how many extra code units were consumed. */
function emitRaw(s: string, i: number, c: number): number {
  const f = FOLD[c]!;
  if (f === F_DROP) return 0;
  if (f < F_SURROGATE) {
    emitUnit(f);
    return 0;
  }
  if (f === F_EXPAND) {
    for (const u of EXPANSIONS.get(c)!) emitUnit(u);
    return 0;
  }
  const d = s.charCodeAt(i + 1);
  if (c < 0xdc00 && d >= 0xdc00 && d <= 0xdfff) {
    for (const u of foldAstral(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000)) emitUnit(u);
    return 1;
  }
  return 0;
}

/** Finish the hash state into (FH1, FH2). */
let FH1 = 0;
let FH2 = 0;
function finish(): void {
  const a = fmix32(H1 ^ LEN);
  const b = fmix32(H2 ^ Math.imul(LEN, 0x27d4eb2f));
  FH1 = fmix32(a + Math.imul(b, M1));
  FH2 = fmix32(b ^ Math.imul(FH1, M2));
}

/** Hash of an already normalized string's [from, to) range (no folding). */
function hashNormalized(s: string, from: number, to: number, salt: number): void {
  reset();
  H1 ^= salt;
  for (let i = from; i < to; i++) emitUnit(s.charCodeAt(i));
  finish();
}

/** The 64-bit hash of a unit's normalized form, as used for counting: [h1, h2]. */
export function unitHash(text: string): [number, number] {
  reset();
  for (let i = 0; i < text.length; i++) i += emitRaw(text, i, text.charCodeAt(i));
  finish();
  return [FH1, FH2];
}

/** Chain separator symbols (| • · ‧ ● ▪ ‖ ¦ ◦ ⋅) when spaced. */
const SEP_SYMBOLS = [0x7c, 0x2022, 0xb7, 0x2027, 0x25cf, 0x25aa, 0x2016, 0xa6, 0x25e6, 0x22c5];
const SEP_SYMBOL = new Uint8Array(65536);
for (const c of SEP_SYMBOLS) SEP_SYMBOL[c] = 1;

/** Month and weekday names (normalized forms) that a "shape" key folds, so dates written in words match. */
const DATE_WORDS = new Set(
  [
    'يناير فبراير مارس ابريل أبريل مايو يونيو يونيه يوليو يوليه اغسطس أغسطس سبتمبر اكتوبر أكتوبر نوفمبر ديسمبر',
    'كانون شباط اذار آذار نيسان ايار أيار حزيران تموز اب آب ايلول أيلول تشرين',
    'محرم صفر ربيع جمادى رجب شعبان رمضان شوال القعدة الحجة',
    'الأحد الاحد الاثنين الإثنين الثلاثاء الأربعاء الاربعاء الخميس الجمعة السبت',
    'january february march april may june july august september october november december',
    'jan feb mar apr jun jul aug sep sept oct nov dec',
    'monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur fri sat sun',
    'janvier février fevrier mars avril mai juin juillet août aout septembre octobre novembre décembre',
    'lundi mardi mercredi jeudi vendredi samedi dimanche',
  ]
    .join(' ')
    .split(' ')
    .map((w) => normalize(w)),
);

/** Is a normalized word a month or weekday name (with a leading و or ب: "وأبريل", "بالأحد" is not)? */
export function isDateWord(w: string): boolean {
  return DATE_WORDS.has(w) || (w.length > 3 && (w.startsWith('و') || w.startsWith('ب')) && DATE_WORDS.has(w.slice(1)));
}

const SALT_PREFIX = 0x50524546;
const SALT_SUFFIX = 0x53554646;
const SALT_SHAPE = 0x53484150;

// Label separators (templateHints): "بقلم: X", "الرياض - واس", "Posted by X | Jan 5", breadcrumbs "الرئيسية » سياسة".
/** Lines with suffix labels are at most this many tokens. */
const SUFFIX_LINE_TOKENS = 6;
/** Labels are at most this many tokens. */
const LABEL_MAX_TOKENS = 3;

/** Label separators: colons (1 in LABEL_SEP) always, dashes and arrows (2) between two spaces. */
const LABEL_COLONS = [58, 0xff1a];
const LABEL_DASHES = [45, 0x2013, 0x2014, 124, 0xbb, 0x203a, 62];
const LABEL_SEP = new Uint8Array(65536);
for (const c of LABEL_COLONS) LABEL_SEP[c] = 1;
for (const c of LABEL_DASHES) LABEL_SEP[c] = 2;

// Where templateHints found the first and last label separator (code unit index of the separator).
let SEP_FIRST = -1;
let SEP_LAST = -1;

/** Quick test before the slow path: does the line hold a label separator (bit 1), and a digit (bit 2)? */
export function templateHints(s: string, start: number, end: number, digits: boolean): number {
  let hints = 0;
  SEP_FIRST = -1;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    const k = LABEL_SEP[c];
    let sep = false;
    if (k === 1) sep = true;
    else if (k === 2 && s.charCodeAt(i - 1) === 32 && s.charCodeAt(i + 1) === 32) sep = true;
    else if (digits && FOLD[c] === 48) hints |= 2;
    if (sep) {
      hints |= 1;
      if (SEP_FIRST < 0) SEP_FIRST = i;
      SEP_LAST = i;
    }
  }
  return hints;
}

/** Index of the first label separator of [start, end) (":", " - ", " | ", " » "), or -1. */
export function labelSeparator(s: string, start: number, end: number): number {
  return templateHints(s, start, end, false) & 1 ? SEP_FIRST : -1;
}

/** Hash raw [from, to) as a unit (folded, like unitHash) with a salt; returns whether it holds a letter. */
function hashRaw(s: string, from: number, to: number, salt: number): boolean {
  reset();
  H1 ^= salt;
  let letter = false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    const f = FOLD[c]!;
    if (f !== F_DROP && f !== F_SPACE && f !== 48) letter = true;
    i += emitRaw(s, i, c);
  }
  finish();
  return letter;
}

/** The end of [start, end) without its trailing whitespace (what normalizes to a space). */
export function trimmedEnd(s: string, start: number, end: number): number {
  let e = end;
  while (e > start && FOLD[s.charCodeAt(e - 1)] === F_SPACE) e--;
  return e;
}

/** The last code unit of [start, end) before any trailing space, or -1. */
function lastUnit(s: string, start: number, end: number): number {
  const e = trimmedEnd(s, start, end);
  return e > start ? s.charCodeAt(e - 1) : -1;
}

/** Does [start, end) end a sentence (. ! ? ؟ before any trailing space)? */
export function endsSentence(s: string, start: number, end: number): boolean {
  const c = lastUnit(s, start, end);
  return c === 46 || c === 33 || c === 63 || c === 0x61f;
}

/** Does [start, end) end a sentence or a quote (. ! ? ؟ " » ” before any trailing space)? */
export function endsProse(s: string, start: number, end: number): boolean {
  const c = lastUnit(s, start, end);
  return endsSentence(s, start, end) || c === 34 || c === 0xbb || c === 0x201d;
}

/** How [start, end) ends before any trailing space: 3 for "…", else its trailing full stops (at most 3). */
export function ellipsisDots(s: string, start: number, end: number): number {
  const e = trimmedEnd(s, start, end);
  if (e > start && s.charCodeAt(e - 1) === 0x2026) return 3;
  let dots = 0;
  while (dots < 3 && e - dots > start && s.charCodeAt(e - dots - 1) === 0x2e) dots++;
  return dots;
}

/** Does raw [from, to) hold anything that survives normalization? */
function hasContent(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const f = FOLD[s.charCodeAt(i)]!;
    if (f !== F_DROP && f !== F_SPACE) return true;
  }
  return false;
}

/** The template keys of short line [start, end) with templateHints' hints and first and last label separator. */
function addTemplateKeys(a: Analysis, s: string, start: number, end: number, tok: number, hints: number, sepFirst: number, sepLast: number): void {
  // Label keys: the text before the first separator (prefix) and after the last (suffix), when short.
  // Hashed straight from the raw text: the same keys as hashing the normalized label.
  if (hints & 1) {
    if (hashRaw(s, start, sepFirst, SALT_PREFIX) && TOK <= LABEL_MAX_TOKENS && hasContent(s, sepFirst + 1, end)) {
      a.pushExtra(Kind.Prefix, FH1, FH2);
      if (endsProse(s, start, end)) a.pushExtra(Kind.ProseLabel, FH1, FH2);
    }
    // Suffix labels only on short lines ("الرياض - واس"): headlines end in " - فيديو" too.
    if (tok <= SUFFIX_LINE_TOKENS && hashRaw(s, sepLast + 1, end, SALT_SUFFIX) && TOK <= LABEL_MAX_TOKENS && hasContent(s, start, sepLast)) a.pushExtra(Kind.Suffix, FH1, FH2);
  }
  if (tok > SHORT_MAX_TOKENS || !(hints & 2)) return;
  // Shape key: the line with month and weekday names folded (dates written in words come with digits).
  const tokens = normalize(s.slice(start, end)).split(' ');
  let folded = false;
  for (let t = 0; t < tokens.length; t++) {
    const w = tokens[t]!;
    if (isDateWord(w)) {
      tokens[t] = '\u0001';
      folded = true;
    } else if (/^0+$/.test(w)) tokens[t] = '0'; // day 2 and day 15 have one shape
  }
  if (folded) {
    const shape = tokens.join(' ');
    hashNormalized(shape, 0, shape.length, SALT_SHAPE);
    a.pushExtra(Kind.Shape, FH1, FH2);
  }
}

/** Mixed into the hash of a line cut off with an ellipsis. */
const CUT_SALT = 0x2e2e2e2e;
/** Mixed into a head key's hash. */
const HEAD_SALT = 0x48454144;

/** Min-hash orders of the long lines: [4 order values, then (h1, h2) of each order's minimum]. */
const MH = new Int32Array(12);
const MH_LINE = new Int32Array(4);
const MH_SALT = [0x1b873593, 0x68e31da4, 0x5c4bcea9, 0x3243f6a8];

/**
 * Shingle min-hash state: per band the smallest order value (the shingle's mixed hash through the band's
 * own odd multiplier, a cheap permutation), the shingle's two lanes and its line.
 */
const SH_SALT = Int32Array.from({ length: SHINGLE_BANDS }, (_, k) => fmix32(0x3c6ef372 + Math.imul(k + 1, 0x9e3779b1)));
const SH_MUL = Int32Array.from({ length: SHINGLE_BANDS }, (_, k) => fmix32(0x510e527f ^ Math.imul(k + 1, 0x85ebca6b)) | 1);
const SH_V = new Int32Array(SHINGLE_BANDS);
const SH_X1 = new Int32Array(SHINGLE_BANDS);
const SH_X2 = new Int32Array(SHINGLE_BANDS);
const SH_LINE = new Int32Array(SHINGLE_BANDS);
/** The last SHINGLE_WORDS word hashes, a ring; the rolling hashes of the window (two lanes, two bases). */
const W = new Int32Array(SHINGLE_WORDS);
const B1 = 0x01000193;
const B2 = 0x5bd1e995;
let B1_OUT = 1;
let B2_OUT = 1;
for (let j = 0; j < SHINGLE_WORDS; j++) {
  B1_OUT = Math.imul(B1_OUT, B1);
  B2_OUT = Math.imul(B2_OUT, B2);
}
let R1 = 0;
let R2 = 0;
let SHINGLES = 0;

function shingleReset(): void {
  SH_V.fill(0x7fffffff);
  SH_X1.fill(0);
  SH_X2.fill(0);
  SH_LINE.fill(-1);
  SHINGLES = 0;
}

/**
 * A word (hash w; `words` = words of the line so far, this one included) into the window: each window
 * of SHINGLE_WORDS words (a polynomial rolling hash, two lanes) competes for each band's minimum.
 */
function shingleWord(w: number, words: number, li: number): void {
  const r = words % SHINGLE_WORDS;
  // The word leaving the window (none for the first SHINGLE_WORDS words of the line).
  const full = words > SHINGLE_WORDS;
  const out = full ? W[r]! : 0;
  W[r] = w;
  R1 = (Math.imul(R1, B1) + w - (full ? Math.imul(out, B1_OUT) : 0)) | 0;
  R2 = (Math.imul(R2, B2) + (w ^ 0x7f4a7c15) - (full ? Math.imul(out ^ 0x7f4a7c15, B2_OUT) : 0)) | 0;
  if (words < SHINGLE_WORDS) return;
  const x1 = fmix32(R1);
  SHINGLES++;
  for (let k = 0; k < SHINGLE_BANDS; k++) {
    const v = Math.imul(x1 ^ SH_SALT[k]!, SH_MUL[k]!) >>> 1;
    if (v > SH_V[k]!) continue;
    const x2 = fmix32(R2 ^ x1);
    if (v < SH_V[k]! || x1 < SH_X1[k]! || (x1 === SH_X1[k]! && x2 < SH_X2[k]!)) {
      SH_V[k] = v;
      SH_X1[k] = x1;
      SH_X2[k] = x2;
      SH_LINE[k] = li;
    }
  }
}

/** A word's hash before its first code unit. */
const WORD_SEED = 0x2545f491;

/** One code unit into a word's hash. */
function wordStep(w: number, u: number): number {
  w = Math.imul(w ^ u, M1);
  return (w << 15) | (w >>> 17);
}

/** The hash of a normalized word, as shingleLine hashes a line's words (the kernel's date-word set is made of these). */
export function wordHash(word: string): number {
  let w = WORD_SEED;
  for (let i = 0; i < word.length; i++) w = wordStep(w, word.charCodeAt(i));
  return w;
}

/** The words of line li ([start, end), folded as for hashing) as shingles into the minima. */
function shingleLine(s: string, start: number, end: number, li: number): void {
  R1 = 0;
  R2 = 0;
  let w = WORD_SEED;
  let inWord = false;
  let words = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    const f = FOLD[c]!;
    if (f === F_SPACE) {
      if (inWord) {
        shingleWord(w, ++words, li);
        w = WORD_SEED;
        inWord = false;
      }
    } else if (f !== F_DROP) {
      w = wordStep(w, f < F_SURROGATE ? f : c);
      inWord = true;
    }
  }
  if (inWord) shingleWord(w, ++words, li);
}

/** Does the line [start, end) end in an ellipsis ("...", "..", "…")? */
function endsWithEllipsis(s: string, start: number, end: number): boolean {
  return ellipsisDots(s, start, end) >= 2;
}

/** Split a chain line [start, end) into segments at runs of 2+ spaces or spaced separator symbols. */
function segmentLine(a: Analysis, line: number, s: string, start: number, end: number): void {
  a.lineSeg0[line] = a.nSegs;
  let segStart = -1;
  // Hash state in locals, as in analyze's line loop.
  let h1 = 0x2545f491;
  let h2 = 0x6c8e9cf5;
  let len = 0;
  let pending = false;
  let i = start;
  while (i < end) {
    const c = s.charCodeAt(i);
    const f = FOLD[c]!;
    if (f === F_SPACE || SEP_SYMBOL[c] === 1) {
      let r = i;
      let ws = 0;
      let sym = 0;
      for (; r < end; r++) {
        const d = s.charCodeAt(r);
        if (FOLD[d] === F_SPACE) ws++;
        else if (SEP_SYMBOL[d] === 1) sym++;
        else break;
      }
      const sep = ws >= 2 || (sym > 0 && f === F_SPACE && FOLD[s.charCodeAt(r - 1)] === F_SPACE && r - i >= 3);
      if (sep) {
        if (segStart >= 0) {
          H1 = h1;
          H2 = h2;
          LEN = len;
          finish();
          a.pushSeg(segStart, i, FH1, FH2, len);
        }
        h1 = 0x2545f491;
        h2 = 0x6c8e9cf5;
        len = 0;
        pending = false;
        segStart = -1;
        i = r;
        continue;
      }
      // Not a separator: a plain space (symbols between words fold away).
      if (ws > 0) pending = len > 0;
      if (segStart < 0) segStart = i;
      i = r;
      continue;
    }
    if (segStart < 0) segStart = i;
    if (f === F_DROP) {
      i++;
      continue;
    }
    if (f < F_SURROGATE) {
      if (pending) {
        h1 = Math.imul(h1 ^ F_SPACE, M1);
        h1 = (h1 << 15) | (h1 >>> 17);
        h2 = Math.imul(h2 ^ F_SPACE, M2);
        h2 = (h2 << 13) | (h2 >>> 19);
        len++;
        pending = false;
      }
      h1 = Math.imul(h1 ^ f, M1);
      h1 = (h1 << 15) | (h1 >>> 17);
      h2 = Math.imul(h2 ^ f, M2);
      h2 = (h2 << 13) | (h2 >>> 19);
      len++;
      i++;
      continue;
    }
    H1 = h1;
    H2 = h2;
    LEN = len;
    PENDING = pending;
    TOK = 1;
    i += 1 + emitRaw(s, i, c);
    h1 = H1;
    h2 = H2;
    len = LEN;
    pending = PENDING;
  }
  if (segStart >= 0) {
    H1 = h1;
    H2 = h2;
    LEN = len;
    finish();
    a.pushSeg(segStart, end, FH1, FH2, len);
  }
  a.lineSegN[line] = a.nSegs - a.lineSeg0[line]!;
  if (a.lineSegN[line]! < 2) {
    // Separators only at the ends: not a chain.
    a.nSegs = a.lineSeg0[line]!;
    a.lineSegN[line] = 0;
  }
}

/** Line hashing results (one line at a time): end index, hash lanes, lengths, head state, chain flag. */
const LS = new Int32Array(10);
const L_END = 0, L_H1 = 1, L_H2 = 2, L_LEN = 3, L_TOK = 4, L_HD1 = 5, L_HD2 = 6, L_HDLEN = 7, L_CHAIN = 8;

/**
 * Hash one line from `start` (the hot loop of pass 1 and pass 2, kept small so V8 optimizes it well):
 * normalizes through FOLD, collapses spaces, counts tokens, keeps the state after HEAD_TOKENS tokens,
 * and notes separators that make the line a chain.
 */
function hashLine(text: string, start: number, n: number): void {
  let h1 = 0x2545f491;
  let h2 = 0x6c8e9cf5;
  let len = 0;
  let tok = 0;
  let pending = false;
  let hd1 = 0;
  let hd2 = 0;
  let hdlen = 0;
  let i = start;
  let ws = 0;
  let chain = false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) break;
    const f = FOLD[c]!;
    if (f === F_SPACE) {
      pending = len > 0;
      if (++ws >= 2 && len > 0) chain = true;
      continue;
    }
    if (ws > 0) {
      if (SEP_SYMBOL[c] === 1 && FOLD[text.charCodeAt(i + 1)] === F_SPACE) chain = true;
      ws = 0;
    }
    if (f === F_DROP) continue;
    if (f < F_SURROGATE) {
      if (pending) {
        if (tok === HEAD_TOKENS) {
          hd1 = h1;
          hd2 = h2;
          hdlen = len;
        }
        h1 = Math.imul(h1 ^ F_SPACE, M1);
        h1 = (h1 << 15) | (h1 >>> 17);
        h2 = Math.imul(h2 ^ F_SPACE, M2);
        h2 = (h2 << 13) | (h2 >>> 19);
        len++;
        tok++;
        pending = false;
      } else if (len === 0) tok = 1;
      h1 = Math.imul(h1 ^ f, M1);
      h1 = (h1 << 15) | (h1 >>> 17);
      h2 = Math.imul(h2 ^ f, M2);
      h2 = (h2 << 13) | (h2 >>> 19);
      len++;
    } else {
      H1 = h1;
      H2 = h2;
      LEN = len;
      TOK = tok;
      PENDING = pending;
      HD1 = hd1;
      HD2 = hd2;
      HDLEN = hdlen;
      i += emitRaw(text, i, c);
      h1 = H1;
      h2 = H2;
      len = LEN;
      tok = TOK;
      pending = PENDING;
      hd1 = HD1;
      hd2 = HD2;
      hdlen = HDLEN;
    }
  }
  H1 = h1;
  H2 = h2;
  LEN = len;
  TOK = tok;
  LS[L_END] = i;
  LS[L_H1] = h1;
  LS[L_H2] = h2;
  LS[L_LEN] = len;
  LS[L_TOK] = tok;
  LS[L_HD1] = hd1;
  LS[L_HD2] = hd2;
  LS[L_HDLEN] = hdlen;
  LS[L_CHAIN] = chain ? 1 : 0;
}

// Duplicate fingerprint state of the document being analyzed (bands 0-2): the two longest plain lines (an
// article's paragraphs, whatever chrome around them changed between two scrapes of the page), and for each of
// 4 hash orders the smallest order value among the long lines and its line hash (MH, MH_LINE).
let FA_LEN = -1;
let FA_H1 = 0;
let FA_H2 = 0;
let FA_IX = 0;
let FB_LEN = -1;
let FB_H1 = 0;
let FB_H2 = 0;
let FB_IX = 0;
let LONG_LINES = 0;

function fpReset(): void {
  FA_LEN = -1;
  FA_H1 = 0;
  FA_H2 = 0;
  FA_IX = 0;
  FB_LEN = -1;
  FB_H1 = 0;
  FB_H2 = 0;
  FB_IX = 0;
  LONG_LINES = 0;
  MH.fill(0x7fffffff, 0, 4);
  MH.fill(0, 4);
}

/** A long plain line (FINGERPRINT_MIN+ normalized, not a chain) li with its hash into the fingerprint state. */
function fpLongLine(li: number, len: number, h1: number, h2: number): void {
  LONG_LINES++;
  for (let k = 0; k < 4; k++) {
    const v = fmix32(h1 ^ MH_SALT[k]!) & 0x7fffffff;
    if (v < MH[k]! || (v === MH[k]! && h1 < MH[4 + 2 * k]!)) {
      MH[k] = v;
      MH[4 + 2 * k] = h1;
      MH[5 + 2 * k] = h2;
      MH_LINE[k] = li;
    }
  }
  if (len > FA_LEN || (len === FA_LEN && h1 < FA_H1)) {
    FB_LEN = FA_LEN;
    FB_H1 = FA_H1;
    FB_H2 = FA_H2;
    FB_IX = FA_IX;
    FA_LEN = len;
    FA_H1 = h1;
    FA_H2 = h2;
    FA_IX = li;
  } else if (len > FB_LEN || (len === FB_LEN && h1 < FB_H1)) {
    FB_LEN = len;
    FB_H1 = h1;
    FB_H2 = h2;
    FB_IX = li;
  }
}

/** The document's fingerprints (a.fp, a.fpLine) from the fingerprint state and the shingle minima (SH_*, SHINGLES). */
function fpFinish(a: Analysis): void {
  const fp = a.fp;
  fp.fill(0);
  if (FA_LEN >= 0) {
    fp[0] = fmix32(FA_H1 + Math.imul(FB_H1, M1)) | 1;
    fp[1] = fmix32(FA_H2 ^ Math.imul(FB_H2 + 1, M2));
    a.fpLine[0] = FA_IX;
    a.fpLine[1] = FB_LEN >= 0 ? FB_IX : FA_IX;
    // With one or two long lines the min-hash pairs say nothing band 0 does not.
    if (LONG_LINES > 2) {
      for (let b = 0; b < 2; b++) {
        const x = 4 + 4 * b;
        fp[2 + 2 * b] = fmix32(MH[x]! + Math.imul(MH[x + 2]!, M1) + b) | 1;
        fp[3 + 2 * b] = fmix32(MH[x + 1]! ^ Math.imul(MH[x + 3]! + 1, M2));
        a.fpLine[2 + 2 * b] = MH_LINE[2 * b]!;
        a.fpLine[3 + 2 * b] = MH_LINE[2 * b + 1]!;
      }
    }
  }
  if (SHINGLES >= SHINGLE_MIN) {
    for (let k = 0; k < SHINGLE_BANDS; k++) {
      if (SH_LINE[k]! < 0) continue; // no shingle fell in this band
      const b = 2 * (LINE_BANDS + k);
      fp[b] = fmix32(SH_X1[k]! + Math.imul(k + 7, M1)) | 1;
      fp[b + 1] = fmix32(SH_X2[k]! ^ Math.imul(k + 11, M2));
      a.fpLine[b] = SH_LINE[k]!;
      a.fpLine[b + 1] = SH_LINE[k]!;
    }
  }
}

/**
 * The template keys and the head of line li (not a chain, len > 0), after its line hash: `hints` and the label
 * separators as templateHints gives them. Returns the lead lines seen so far (`leads`, this one included).
 */
function lineExtras(a: Analysis, li: number, text: string, start: number, end: number, len: number, tok: number, hints: number, sepFirst: number, sepLast: number, head1: number, head2: number, cut: boolean, leadHeads: boolean, leads: number): number {
  if (hints !== 0) addTemplateKeys(a, text, start, end, tok, hints, sepFirst, sepLast);
  if (tok >= HEAD_MIN_TOKENS) {
    if (cut || (leadHeads && leads < LEAD_LINES)) a.pushExtra(Kind.Head, head1, head2);
    leads++;
  }
  return leads;
}

/** @internal The kernel, loaded when this module is (each worker thread has its own). */
export const KERNEL = new Kernel({
  sepSymbols: SEP_SYMBOLS,
  labelColons: LABEL_COLONS,
  labelDashes: LABEL_DASHES,
  dateWords: DATE_WORDS,
  isDateWord,
  wordHash,
  constants: { HEAD_TOKENS, HEAD_MIN_TOKENS, SHORT_MAX_TOKENS, FINGERPRINT_MIN, SHINGLE_LINE_TOKENS, CUT_SALT, HEAD_SALT },
  shingleSalt: SH_SALT,
  shingleMul: SH_MUL,
});

/**
 * Analyze a document: fills `a` (reused) with its lines, segments and template keys.
 * @param templates compute template keys for short lines (off: faster, no fuzzy matching).
 * @param leadHeads also key the lead lines' heads (pass 1 counts them; pass 2 judges only teasers' heads).
 */
export function analyze(text: string, a: Analysis, templates = true, leadHeads = true): Analysis {
  const nLines = KERNEL.run(text);
  if (nLines < 0) return analyzeJs(text, a, templates, leadHeads); // too big for the kernel's memory
  return fromKernel(nLines, text, a, templates, leadHeads);
}

/** analyze() of the text the kernel holds already (Kernel.decodeString); `text` is the same text as a string. */
export function analyzeLoaded(text: string, a: Analysis, templates = true, leadHeads = true): Analysis {
  const nLines = KERNEL.runLoaded(text.length);
  if (nLines < 0) return analyzeJs(text, a, templates, leadHeads);
  return fromKernel(nLines, text, a, templates, leadHeads);
}

/** The Analysis of the kernel's last run (`nLines` lines) over `text`. */
function fromKernel(nLines: number, text: string, a: Analysis, templates: boolean, leadHeads: boolean): Analysis {
  const K = KERNEL.i32;
  a.text = text;
  a.nExtra = 0;
  // Segments: the kernel keeps those of chain lines only, in line order.
  const nSegs = KERNEL.segments;
  a.reserve(nLines, nSegs);
  a.nLines = nLines;
  a.nSegs = nSegs;
  const segStart = a.segStart, segEnd = a.segEnd, segH1 = a.segH1, segH2 = a.segH2, segLen = a.segLen;
  for (let s = 0, q = KERNEL.segsIx; s < nSegs; s++, q += SEG_STRIDE) {
    segStart[s] = K[q]!;
    segEnd[s] = K[q + 1]!;
    segH1[s] = K[q + 2]!;
    segH2[s] = K[q + 3]!;
    segLen[s] = K[q + 4]!;
  }
  const lStart = a.lineStart, lEnd = a.lineEnd, lNext = a.lineNext, lH1 = a.lineH1, lH2 = a.lineH2, lLen = a.lineLen, lTok = a.lineTok;
  const lSeg0 = a.lineSeg0, lSegN = a.lineSegN, lEll = a.lineEll, lX0 = a.lineX0, lXN = a.lineXN;
  fpReset();
  let leads = 0;
  for (let li = 0, o = KERNEL.linesIx; li < nLines; li++, o += LINE_STRIDE) {
    const start = K[o]!;
    const end = K[o + 1]!;
    const h1 = K[o + 3]!;
    const h2 = K[o + 4]!;
    const len = K[o + 5]!;
    const tok = K[o + 6]!;
    const flags = K[o + 7]!;
    const segN = K[o + 13]!;
    const chain = (flags & 1) !== 0;
    const cut = (flags & 2) !== 0;
    lStart[li] = start;
    lEnd[li] = end;
    lNext[li] = K[o + 2]!;
    lH1[li] = h1;
    lH2[li] = h2;
    lLen[li] = len;
    lTok[li] = tok;
    lEll[li] = cut ? 1 : 0;
    // As segmentLine: lineSeg0 is set for the chain lines it runs on (2+ segments or not) and left alone otherwise.
    if (chain && len > 0) lSeg0[li] = K[o + 12]!;
    lSegN[li] = segN;
    if (len >= FINGERPRINT_MIN && !chain) fpLongLine(li, len, h1, h2);
    const x0 = a.nExtra;
    lX0[li] = x0;
    if (templates && len > 0 && segN === 0) {
      const sepFirst = K[o + 10]!;
      // Bit 2 only where the kernel saw a date word: without one the shape key is not made.
      const hints = len <= SHORT_MAX && tok <= LABEL_LINE_TOKENS ? (sepFirst >= 0 ? 1 : 0) | (tok <= SHORT_MAX_TOKENS && (flags & 8) !== 0 ? 2 : 0) : 0;
      if (hints !== 0 || tok >= HEAD_MIN_TOKENS) leads = lineExtras(a, li, text, start, end, len, tok, hints, sepFirst, K[o + 11]!, K[o + 8]!, K[o + 9]!, cut, leadHeads, leads);
    }
    lXN[li] = a.nExtra - x0;
  }
  // The shingle minima from the kernel.
  const sh = KERNEL.shingleIx;
  for (let k = 0; k < SHINGLE_BANDS; k++) {
    SH_X1[k] = K[sh + 8 + k]!;
    SH_X2[k] = K[sh + 16 + k]!;
    SH_LINE[k] = K[sh + 24 + k]!;
  }
  SHINGLES = KERNEL.shingles;
  fpFinish(a);
  return a;
}

/** analyze() all in JS: the reference for the kernel (and the path for documents too big for its memory). */
export function analyzeJs(text: string, a: Analysis, templates = true, leadHeads = true): Analysis {
  a.text = text;
  a.nLines = 0;
  a.nSegs = 0;
  a.nExtra = 0;
  fpReset();
  shingleReset();
  let leads = 0;
  const n = text.length;
  let start = 0;
  while (start <= n) {
    hashLine(text, start, n);
    const i = LS[L_END]!;
    const len = LS[L_LEN]!;
    const tok = LS[L_TOK]!;
    const hd1 = LS[L_HD1]!;
    const hd2 = LS[L_HD2]!;
    const hdlen = LS[L_HDLEN]!;
    const chain = LS[L_CHAIN] === 1;
    H1 = LS[L_H1]!;
    H2 = LS[L_H2]!;
    LEN = len;
    const end = i;
    let next = i;
    if (i < n) next = text.charCodeAt(i) === 13 && text.charCodeAt(i + 1) === 10 ? i + 2 : i + 1;
    else if (start === n && a.nLines > 0) break; // no empty line after a final terminator
    finish();
    const li = a.pushLine(start, end, next);
    // A line cut off with an ellipsis (a teaser) is not the line it was cut from, even when the cut
    // came after its last word: it gets a key of its own.
    const cut = len > 0 && endsWithEllipsis(text, start, end);
    if (cut) {
      FH1 ^= CUT_SALT;
      a.lineEll[li] = 1;
    }
    a.lineH1[li] = FH1;
    a.lineH2[li] = FH2;
    a.lineLen[li] = len;
    a.lineTok[li] = tok;
    if (len >= FINGERPRINT_MIN && !chain) fpLongLine(li, len, FH1, FH2);
    if (len >= FINGERPRINT_MIN && !chain && !cut && tok >= SHINGLE_LINE_TOKENS) shingleLine(text, start, end, li);
    if (chain && len > 0) segmentLine(a, li, text, start, end);
    a.lineX0[li] = a.nExtra;
    if (templates && len > 0 && a.lineSegN[li] === 0) {
      const hints = len <= SHORT_MAX && tok <= LABEL_LINE_TOKENS ? templateHints(text, start, end, tok <= SHORT_MAX_TOKENS) : 0;
      if (hints !== 0 || tok >= HEAD_MIN_TOKENS) {
        let head1 = 0;
        let head2 = 0;
        if (tok >= HEAD_MIN_TOKENS) {
          H1 = hd1;
          H2 = hd2;
          LEN = hdlen;
          finish();
          head1 = FH1 ^ HEAD_SALT;
          head2 = FH2;
        }
        leads = lineExtras(a, li, text, start, end, len, tok, hints, SEP_FIRST, SEP_LAST, head1, head2, cut, leadHeads, leads);
      }
    }
    a.lineXN[li] = a.nExtra - a.lineX0[li]!;
    if (i >= n) break;
    start = next;
  }
  fpFinish(a);
  return a;
}
