/**
 * The evidence about each block of an HTML page, as one row of numbers: what the block is on its page
 * (size, links, kind, class/id hints, position, how much of the page its container holds, where it lies
 * against the page's main container: the element holding most of the page's long prose), what the
 * site's other pages say about its container (on how many pages the path is) and what the text counts
 * say about its text (document frequency of the line, how much of it the text rules cut).
 *
 * The same rows feed the shipped decision (forest.ts) and its training (bench/train-html.ts): one
 * function, so what is trained on is what runs.
 */
import { Kind } from '../analyze.js';
import { KEY, keyOf, type Model } from '../model.js';
import type { Span } from '../strip.js';
import type { BlockKind } from './blocks.js';
import { HINT_NAMES } from './hints.js';
import type { HtmlDoc } from './page.js';

const KIND_INDEX: Record<BlockKind, number> = { paragraph: 0, heading: 1, item: 2, cell: 3, caption: 4, quote: 5, pre: 6, title: 7, other: 8 };

/** Feature names, in row order (the forest file names them too, and is checked against this list). */
export const FEATURES: readonly string[] = [
  'log_chars',
  'log_words',
  'link_density',
  'kind',
  ...HINT_NAMES.map(([, name]) => `hint_${name}`),
  'rel_index',
  'text_cut',
  'line_df_share',
  'path_df_share',
  'log_site_docs',
  'path_mass',
  'parent_mass',
  'log_path_count',
  'ends_sentence',
  'near_link_density',
  'near_text_cut',
  'depth',
  'chars_rel_max',
  'punct_per_word',
  'text_pos',
  'near_log_words',
  'title_overlap',
  'log_line_df',
  'parent_df_share',
  // The text of the containers around the block (Block.anc): share of the page's characters under the
  // element 1, 2, 3, 4 and 6 levels up, and the link share of that text.
  'anc1_mass',
  'anc2_mass',
  'anc3_mass',
  'anc4_mass',
  'anc6_mass',
  'anc1_link',
  'anc2_link',
  'anc3_link',
  'anc4_link',
  'anc6_link',
  // The main container: the innermost element that holds most of the page's long prose (blocks of
  // PROSE_WORDS+ words with few links that the text rules keep, each weighed by its characters over the
  // number of the site's pages its text is on). The block's own share of that prose, the share under its
  // container one and three levels up, whether it lies inside the main container (its blocks are a
  // contiguous run), how far outside it lies (in blocks and in characters, before: < 0, after: > 0), and
  // how much of the page's prose the main container holds.
  'prose_share',
  'anc1_prose',
  'anc3_prose',
  'main_in',
  'main_dist',
  'main_chars_dist',
  'main_prose',
  // The innermost <table> around the block (Block.table; all 0 outside one): how many blocks it holds
  // (log), the share of them that are mostly digits, the share of 3 words or fewer, and the link share of
  // its text: a data table (many short, numeric cells, few links) against a layout or link table.
  'table_blocks',
  'table_numeric',
  'table_short',
  'table_link',
  // The page's own text: the number of long prose blocks (log; a one-paragraph post has one or none), and
  // the block's words over the most words of a block found on this page only (line count 1, few links).
  'log_prose_blocks',
  'own_rel_max',
  // Context: a first stage's scores around the block (contextFeatures); 0 for the first stage.
  'ctx_prev',
  'ctx_next',
  'ctx_window',
  'ctx_parent',
  'ctx_path',
  'ctx_page',
];
export const N_FEATURES = FEATURES.length;
/** The columns contextFeatures fills: the last N_CONTEXT of a row. */
export const N_CONTEXT = 6;

const F = Object.fromEntries(FEATURES.map((n, i) => [n, i])) as Record<string, number>;
const HINT_BASE = F['hint_' + HINT_NAMES[0]![1]]!;

/**
 * A page's blocks by path in dense indexes (the path key, the path hash's two lanes folded, in order of first
 * appearance), and its largest ancestor serial: the per-path and per-container sums of the features run
 * over arrays, not Maps (47 Map operations a block before). Computed once a page, for every stage.
 */
interface PageIndex {
  path: Int32Array;
  parent: Int32Array;
  paths: number;
  parents: number;
  maxSerial: number;
}

const pageIndexes = new WeakMap<HtmlDoc, PageIndex>();

function pageIndex(doc: HtmlDoc): PageIndex {
  let ix = pageIndexes.get(doc);
  if (ix !== undefined) return ix;
  const bs = doc.page.blocks;
  const n = bs.length;
  const ph = doc.pathH;
  const path = new Int32Array(n);
  const parent = new Int32Array(n);
  const pathOf = new Map<number, number>();
  const parentOf = new Map<number, number>();
  let maxSerial = 0;
  for (let i = 0; i < n; i++) {
    const k = ph[2 * i]! ^ Math.imul(ph[2 * i + 1]!, 0x9e3779b1);
    let a = pathOf.get(k);
    if (a === undefined) pathOf.set(k, (a = pathOf.size));
    path[i] = a;
    const pk = ph[2 * n + 2 * i]! ^ Math.imul(ph[2 * n + 2 * i + 1]!, 0x9e3779b1);
    let b = parentOf.get(pk);
    if (b === undefined) parentOf.set(pk, (b = parentOf.size));
    parent[i] = b;
    const anc = bs[i]!.anc;
    for (let k2 = 0; k2 < anc.length; k2++) if (anc[k2]! > maxSerial) maxSerial = anc[k2]!;
  }
  ix = { path, parent, paths: pathOf.size, parents: parentOf.size, maxSerial };
  pageIndexes.set(doc, ix);
  return ix;
}

/** Zeroed scratch arrays for the sums (grown as pages need; one set a thread). */
const scratch: Float64Array[] = [];
function zeros(slot: number, n: number): Float64Array {
  let a = scratch[slot];
  if (a === undefined || a.length < n) a = scratch[slot] = new Float64Array(Math.max(n, 2 * (a?.length ?? 0), 256));
  a.fill(0, 0, n);
  return a;
}

/**
 * Fill the context columns of every row from the previous stage's log-odds `s`: the blocks before and
 * after, the mean over three blocks either side, over the blocks of the same parent container and of the
 * same path in the page, and the share of the page's characters the previous stage kept.
 */
export function contextFeatures(doc: HtmlDoc, s: Float32Array, x: Float32Array): void {
  const bs = doc.page.blocks;
  const n = bs.length;
  const C = N_FEATURES - N_CONTEXT;
  const ix = pageIndex(doc);
  const sum = zeros(0, ix.paths);
  const cnt = zeros(1, ix.paths);
  const psum = zeros(2, ix.parents);
  const pcnt = zeros(3, ix.parents);
  let keptChars = 0;
  let chars = 0;
  for (let i = 0; i < n; i++) {
    const k = ix.path[i]!;
    sum[k]! += s[i]!;
    cnt[k]!++;
    const pk = ix.parent[i]!;
    psum[pk]! += s[i]!;
    pcnt[pk]!++;
    chars += bs[i]!.chars;
    if (s[i]! >= 0) keptChars += bs[i]!.chars;
  }
  const page = chars > 0 ? keptChars / chars : 0;
  for (let i = 0; i < n; i++) {
    const r = i * N_FEATURES + C;
    x[r] = i > 0 ? s[i - 1]! : -10;
    x[r + 1] = i + 1 < n ? s[i + 1]! : -10;
    let w = 0;
    let m = 0;
    for (let j = Math.max(0, i - 3); j <= Math.min(n - 1, i + 3); j++) {
      if (j === i) continue;
      w += s[j]!;
      m++;
    }
    x[r + 2] = m > 0 ? w / m : -10;
    const pk = ix.parent[i]!;
    x[r + 3] = psum[pk]! / pcnt[pk]!;
    const k = ix.path[i]!;
    x[r + 4] = sum[k]! / cnt[k]!;
    x[r + 5] = page;
  }
}

/** Text evidence of a page from pass 2's text rules: removal spans over doc.text, line df per block. */
export interface TextEvidence {
  spans: readonly Span[];
  lineDf: Int32Array;
}

function words(s: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const space = c === 32 || c === 0xa0 || c === 9;
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

function punct(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 || c === 44 || c === 59 || c === 58 || c === 33 || c === 63 || c === 0x60c || c === 0x61f || c === 0x61b) n++;
  }
  return n;
}

function endsSentence(s: string): number {
  let i = s.length - 1;
  while (i >= 0 && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 0xa0)) i--;
  if (i < 0) return 0;
  const c = s.charCodeAt(i);
  return c === 46 || c === 33 || c === 63 || c === 0x61f || c === 34 || c === 0xbb || c === 0x201d || c === 0x3002 ? 1 : 0;
}

/**
 * Counts past this many pages say nothing more (and the gold sets have few sites larger): site size and
 * line counts enter the features capped, so a forest never extrapolates to a site larger than it saw.
 */
const SITE_CAP = 20;

/** A block of this many words or more with link density below PROSE_LINKS is long prose. */
const PROSE_WORDS = 15;
const PROSE_LINKS = 0.3;
/** The main container is the innermost element holding at least this share of the page's long prose. */
const MAIN_SHARE = 0.6;

/** The main-container columns of every row (features main_*, *_prose). */
function mainContainer(doc: HtmlDoc, x: Float32Array, logWords: Float32Array, total: number, lineDf: Int32Array): void {
  const bs = doc.page.blocks;
  const n = bs.length;
  const prose = new Float32Array(n);
  let all = 0;
  let count = 0;
  // Prose under each ancestor serial (slot 5: pageFeatures' sums are read before this runs, and are done).
  const maxSerial = pageIndex(doc).maxSerial;
  const under = zeros(5, maxSerial + 1);
  for (let i = 0; i < n; i++) {
    const bl = bs[i]!;
    if (logWords[i]! < Math.log1p(PROSE_WORDS) || bl.kind === 'title' || bl.linkChars >= PROSE_LINKS * bl.chars) continue;
    if (x[i * N_FEATURES + F.text_cut!]! > 0.5) continue;
    // (A text on several pages of the site, a teaser in a related list, weighs less than the page's own.)
    const m = bl.chars / Math.max(1, lineDf[i] ?? 1);
    prose[i] = m;
    all += m;
    count++;
    for (let k = 0; k < bl.anc.length; k++) {
      const a = bl.anc[k]!;
      if (a === 0) break;
      under[a]! += m;
    }
  }
  if (all === 0) {
    for (let i = 0; i < n; i++) {
      const r = i * N_FEATURES;
      x[r + F.main_dist!] = -Math.log1p(n);
      x[r + F.main_chars_dist!] = -1;
    }
    return;
  }
  // The innermost (latest opened among those at the least depth above prose) element with MAIN_SHARE of
  // the prose: of the qualifying serials, the one holding the least prose, ties to the later (deeper).
  let main = 0;
  let mainProse = Infinity;
  for (let a = 1; a <= maxSerial; a++) {
    const p = under[a]!;
    if (p === 0 || p < MAIN_SHARE * all) continue;
    if (p < mainProse || (p === mainProse && a > main)) {
      main = a;
      mainProse = p;
    }
  }
  let lo = -1;
  let hi = -1;
  if (main !== 0) {
    for (let i = 0; i < n; i++) {
      if (!bs[i]!.anc.includes(main)) continue;
      if (lo < 0) lo = i;
      hi = i;
    }
  }
  // Characters before each block, for the distance in characters.
  const before = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) before[i + 1] = before[i]! + bs[i]!.chars;
  for (let i = 0; i < n; i++) {
    const bl = bs[i]!;
    const r = i * N_FEATURES;
    x[r + F.prose_share!] = prose[i]! / all;
    const a1 = bl.anc[1] ?? 0;
    const a3 = bl.anc[3] ?? 0;
    x[r + F.anc1_prose!] = a1 !== 0 ? under[a1]! / all : 0;
    x[r + F.anc3_prose!] = a3 !== 0 ? under[a3]! / all : 0;
    x[r + F.main_prose!] = main !== 0 ? mainProse / all : 0;
    if (lo < 0) {
      x[r + F.main_dist!] = -Math.log1p(n);
      x[r + F.main_chars_dist!] = -1;
    } else if (i < lo) {
      x[r + F.main_dist!] = -Math.log1p(lo - i);
      x[r + F.main_chars_dist!] = -(before[lo]! - before[i + 1]!) / total;
    } else if (i > hi) {
      x[r + F.main_dist!] = Math.log1p(i - hi);
      x[r + F.main_chars_dist!] = (before[i]! - before[hi + 1]!) / total;
    } else x[r + F.main_in!] = 1;
  }
  for (let i = 0; i < n; i++) x[i * N_FEATURES + F.log_prose_blocks!] = Math.log1p(count);
}

/** A text mostly of digits (a figure, an amount, a percentage, a year). */
function numeric(s: string): boolean {
  let d = 0;
  let other = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) d++;
    else if (c !== 32 && c !== 0xa0 && c !== 44 && c !== 46 && c !== 37 && c !== 45 && c !== 43) other++;
  }
  return d > 0 && d >= other;
}

/** The table columns of every row (features table_*). */
function tableFeatures(doc: HtmlDoc, x: Float32Array, logWords: Float32Array): void {
  const bs = doc.page.blocks;
  const n = bs.length;
  // Per table serial: blocks, numeric blocks, short blocks, characters, link characters.
  const acc = new Map<number, [number, number, number, number, number]>();
  for (let i = 0; i < n; i++) {
    const bl = bs[i]!;
    if (bl.table === 0) continue;
    let a = acc.get(bl.table);
    if (!a) acc.set(bl.table, (a = [0, 0, 0, 0, 0]));
    a[0]++;
    if (numeric(bl.text)) a[1]++;
    if (logWords[i]! <= Math.log1p(3)) a[2]++;
    a[3] += bl.chars;
    a[4] += bl.linkChars;
  }
  for (let i = 0; i < n; i++) {
    const t = bs[i]!.table;
    if (t === 0) continue;
    const a = acc.get(t)!;
    const r = i * N_FEATURES;
    x[r + F.table_blocks!] = Math.log1p(a[0]);
    x[r + F.table_numeric!] = a[1] / a[0];
    x[r + F.table_short!] = a[2] / a[0];
    x[r + F.table_link!] = a[3] > 0 ? a[4] / a[3] : 0;
  }
}

/** Which ancestors (Block.anc indexes) the container features read. */
const ANC_LEVELS = [1, 2, 3, 4, 6];

/** What separates the words a block and the page title are compared by: /[\s\u00a0.,;:!?()"'«»،؛؟|\-–—]+/u. */
export const WORD_SPLIT = /[\s\u00a0.,;:!?()"'«»،؛؟|\-–—]+/u;
/** WORD_SPLIT's characters (all in the BMP), a flag per code unit (test/html-features.test.ts holds the two equal). */
export const SPLIT_UNITS = new Uint8Array(65536);
for (const c of [0x9, 0xa, 0xb, 0xc, 0xd, 0x20, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff, ...'.,;:!?()"\'«»،؛؟|-–—'].map((u) => (typeof u === 'number' ? u : u.charCodeAt(0)))) SPLIT_UNITS[c] = 1;
for (let c = 0x2000; c <= 0x200a; c++) SPLIT_UNITS[c] = 1;

/**
 * How many of the words of `s` (already lower case) are in `title`, and how many words it has (WORD_SPLIT's
 * split, without a regular expression: it was a quarter of the features' time).
 */
export function titleHits(s: string, title: Set<string>): [hit: number, all: number] {
  let hit = 0;
  let all = 0;
  let start = -1;
  for (let i = 0; i <= s.length; i++) {
    if (i < s.length && SPLIT_UNITS[s.charCodeAt(i)] === 0) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      all++;
      if (title.has(s.slice(start, i))) hit++;
      start = -1;
    }
  }
  return [hit, all];
}

/**
 * Rows of features for every block of `doc` (n × N_FEATURES, row-major). `model` and `site` give the
 * cross-page counts; `ev` the text rules' verdict on the same page.
 */
export function pageFeatures(doc: HtmlDoc, model: Model, site: string, ev: TextEvidence, out?: Float32Array): Float32Array {
  const bs = doc.page.blocks;
  const n = bs.length;
  const x = out !== undefined && out.length >= n * N_FEATURES ? out : new Float32Array(n * N_FEATURES);
  x.fill(0, 0, n * N_FEATURES);
  if (n === 0) return x;
  const siteDocs = Math.max(1, model.siteDocs(site));
  const [s1, s2] = model.siteKey(site);
  const c = model.counter;
  const ph = doc.pathH;

  // Per block: chars cut by the text rules (spans are sorted and do not overlap).
  const cut = new Float32Array(n);
  let b = 0;
  for (const [s, e] of ev.spans) {
    while (b < n && doc.starts[b + 1]! - 1 <= s) b++;
    for (let k = b; k < n && doc.starts[k]! < e; k++) {
      const bs0 = doc.starts[k]!;
      const be = doc.starts[k + 1]! - 1;
      const ov = Math.min(be, e) - Math.max(bs0, s);
      if (ov > 0) cut[k]! += ov;
    }
  }
  // Chars under each path and parent path in this page, and block counts per path.
  const ix = pageIndex(doc);
  const mass = zeros(0, ix.paths);
  const count = zeros(1, ix.paths);
  const pmass = zeros(2, ix.parents);
  let total = 0;
  let maxChars = 1;
  for (let i = 0; i < n; i++) {
    const ch = bs[i]!.chars;
    total += ch;
    if (ch > maxChars) maxChars = ch;
    mass[ix.path[i]!]! += ch;
    count[ix.path[i]!]!++;
    pmass[ix.parent[i]!]! += ch;
  }
  total = Math.max(1, total);
  const title = new Set(doc.page.title.toLowerCase().split(WORD_SPLIT).filter((w) => w.length > 0));
  const logWords = new Float32Array(n);
  let before = 0;
  for (let i = 0; i < n; i++) {
    const bl = bs[i]!;
    const r = i * N_FEATURES;
    const w = words(bl.text);
    logWords[i] = Math.log1p(w);
    x[r + F.log_chars!] = Math.log1p(bl.chars);
    x[r + F.log_words!] = logWords[i]!;
    x[r + F.link_density!] = bl.chars > 0 ? bl.linkChars / bl.chars : 0;
    x[r + F.kind!] = KIND_INDEX[bl.kind];
    for (let h = 0; h < HINT_NAMES.length; h++) x[r + HINT_BASE + h] = bl.hints & HINT_NAMES[h]![0] ? 1 : 0;
    x[r + F.rel_index!] = n > 1 ? i / (n - 1) : 0;
    x[r + F.text_cut!] = bl.chars > 0 ? Math.min(1, cut[i]! / bl.chars) : 0;
    const ldf = ev.lineDf[i] ?? 0;
    x[r + F.line_df_share!] = Math.min(1, ldf / siteDocs);
    x[r + F.log_line_df!] = Math.log1p(Math.min(ldf, SITE_CAP));
    keyOf(ph[2 * i]!, ph[2 * i + 1]!, Kind.Path, s1, s2);
    // (The page's own paths and parents: counted, so getOwn.)
    x[r + F.path_df_share!] = Math.min(1, c.getOwn(KEY[0]!, KEY[1]!) / siteDocs);
    keyOf(ph[2 * n + 2 * i]!, ph[2 * n + 2 * i + 1]!, Kind.Path, s1, s2);
    x[r + F.parent_df_share!] = Math.min(1, c.getOwn(KEY[0]!, KEY[1]!) / siteDocs);
    x[r + F.log_site_docs!] = Math.log1p(Math.min(siteDocs, SITE_CAP));
    x[r + F.path_mass!] = mass[ix.path[i]!]! / total;
    x[r + F.log_path_count!] = Math.log1p(count[ix.path[i]!]!);
    x[r + F.parent_mass!] = pmass[ix.parent[i]!]! / total;
    x[r + F.ends_sentence!] = endsSentence(bl.text);
    x[r + F.depth!] = bl.depth;
    x[r + F.chars_rel_max!] = bl.chars / maxChars;
    x[r + F.punct_per_word!] = w > 0 ? punct(bl.text) / w : 0;
    x[r + F.text_pos!] = before / total;
    before += bl.chars;
    // (Only blocks about the title's size can be the headline.)
    if (title.size > 0 && w > 0 && w <= 3 * title.size) {
      const [hit, all] = titleHits(bl.text.toLowerCase(), title);
      x[r + F.title_overlap!] = all > 0 ? hit / all : 0;
    }
  }
  // Containers: characters and link characters under each ancestor serial.
  const ancChars = zeros(3, ix.maxSerial + 1);
  const ancLink = zeros(4, ix.maxSerial + 1);
  for (let i = 0; i < n; i++) {
    const bl = bs[i]!;
    for (let k = 0; k < bl.anc.length; k++) {
      const a = bl.anc[k]!;
      if (a === 0) break;
      ancChars[a]! += bl.chars;
      ancLink[a]! += bl.linkChars;
    }
  }
  for (let i = 0; i < n; i++) {
    const anc = bs[i]!.anc;
    const r = i * N_FEATURES;
    for (let j = 0; j < ANC_LEVELS.length; j++) {
      const a = anc[ANC_LEVELS[j]!] ?? 0;
      if (a === 0) continue;
      const ch = ancChars[a]!;
      x[r + F.anc1_mass! + j] = ch / total;
      x[r + F.anc1_link! + j] = ch > 0 ? ancLink[a]! / ch : 0;
    }
  }
  mainContainer(doc, x, logWords, total, ev.lineDf);
  tableFeatures(doc, x, logWords);
  // The page's own longest text (blocks on this page only, few links).
  let ownMax = 0;
  for (let i = 0; i < n; i++) {
    const bl = bs[i]!;
    if (bl.kind === 'title' || (ev.lineDf[i] ?? 1) > 1 || bl.linkChars >= PROSE_LINKS * bl.chars) continue;
    if (logWords[i]! > ownMax) ownMax = logWords[i]!;
  }
  for (let i = 0; i < n; i++) x[i * N_FEATURES + F.own_rel_max!] = ownMax > 0 ? logWords[i]! / ownMax : 0;
  // Neighbourhood: two blocks either side.
  for (let i = 0; i < n; i++) {
    let ld = 0;
    let tc = 0;
    let lw = 0;
    let m = 0;
    for (let j = Math.max(0, i - 2); j <= Math.min(n - 1, i + 2); j++) {
      if (j === i) continue;
      ld += x[j * N_FEATURES + F.link_density!]!;
      tc += x[j * N_FEATURES + F.text_cut!]!;
      lw += logWords[j]!;
      m++;
    }
    const r = i * N_FEATURES;
    if (m > 0) {
      x[r + F.near_link_density!] = ld / m;
      x[r + F.near_text_cut!] = tc / m;
      x[r + F.near_log_words!] = lw / m;
    }
  }
  return x;
}
