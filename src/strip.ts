/**
 * Pass 2: given a model, remove a document's chrome.
 *
 * A line goes when its site document frequency reaches the chrome threshold
 * T = max(minDocs, ceil(minRatio x site docs)) (a site with fewer than minSiteDocs documents uses the
 * corpus-wide counts and total instead). A chain line (a ticker, a menu) loses its chrome segments, and
 * goes whole when at least chainRatio of its segments are chrome. A short line whose frequent prefix,
 * suffix or date shape reaches the template threshold goes as templated chrome. Blank lines left between
 * removed lines go with them (one blank run is kept between two kept paragraphs).
 */
import { Analysis, analyze, ellipsisDots, endsProse, endsSentence, FP_BANDS, HEAD_MIN_TOKENS, Kind, LINE_BANDS, labelSeparator, SHINGLE_LINE_TOKENS, templateHints, unitHash } from './analyze.js';
import { FOLD } from './normalize.js';
import { dateLine, publicationStamp, tickerChain, words } from './page-cues.js';
import { BoilerstripError } from './errors.js';
import type { SideReader } from './side.js';
import { GLOBAL_SITE, KEY as KEY_OUT, keyOf as keyOfImported, type Model } from './model.js';

// Module-local aliases: imported bindings are slower to reach in hot paths.
const KEY: Int32Array = KEY_OUT;
const keyOf = keyOfImported;

/** Why a span was removed; 'structure': an HTML block the block decision removed (html/strip-page.ts). */
export const REASONS = ['line', 'segment', 'chain', 'prefix', 'suffix', 'shape', 'teaser', 'block', 'page', 'gap', 'structure'] as const;
export type Reason = (typeof REASONS)[number];
const EXTRA_REASON: Record<number, Reason> = { [Kind.Prefix]: 'prefix', [Kind.Suffix]: 'suffix', [Kind.Shape]: 'shape' };

/** A removed range: [start, end) in UTF-16 code units of the original text, and why. */
export type Span = [start: number, end: number, reason: Reason];

export interface StripOptions {
  /** A unit is chrome when at least this many documents of its site have it. Default 5. */
  minDocs?: number;
  /** ...and at least this share of its site's documents. Default 0.02. */
  minRatio?: number;
  /** Sites with fewer documents need a line on 40% of their pages (at least 2) instead of minDocs. Default 20. */
  minSiteDocs?: number;
  /** Template keys (prefix/suffix/date shape) must reach this share of the site's documents. Default 0.05. */
  templateRatio?: number;
  /** Template keys also need at least this many documents: generalizing wants more evidence. Default 10. */
  templateMinDocs?: number;
  /** A chain line goes whole when this share of its segments is chrome. Default 0.1 (any one, for up to 10 items). */
  chainRatio?: number;
  /** A line ending in an ellipsis whose first words open this many documents' lines is a teaser. Default 2. */
  teaserDocs?: number;
  /** Runs of at least this many repeated lines around a chrome line are a list (0: off). Default 3. */
  blockMin?: number;
  /** A line is "repeated" for the list rule in at least this many documents of its site. Default 2. */
  blockDocs?: number;
}

export interface Thresholds {
  /** Documents of the site. */
  docs: number;
  /** Line threshold. */
  t: number;
  /** Template threshold. */
  tt: number;
  /** The site has fewer than minSiteDocs documents: its line threshold is a share of its pages. */
  fallback: boolean;
  /** Corpus-wide counts are consulted too, against gt and gtt. */
  corpus: boolean;
  gt: number;
  /** Corpus-wide line threshold for long lines. */
  gtLong: number;
  gtt: number;
}

export interface ResolvedStripOptions {
  minDocs: number;
  minRatio: number;
  minSiteDocs: number;
  templateRatio: number;
  templateMinDocs: number;
  chainRatio: number;
  teaserDocs: number;
  blockMin: number;
  blockDocs: number;
}

export const STRIP_DEFAULTS: ResolvedStripOptions = { minDocs: 5, minRatio: 0.02, minSiteDocs: 20, templateRatio: 0.05, templateMinDocs: 10, chainRatio: 0.1, teaserDocs: 2, blockMin: 3, blockDocs: 2 };

/** The lowest count any decision compares with these options (at most 2): a model pruned below it judges the same. */
export function leastThreshold(o: ResolvedStripOptions): number {
  return Math.min(o.minDocs, o.teaserDocs, o.blockMin > 0 ? o.blockDocs : Infinity, 2);
}

/** Where an option may lie: [least, most, whole numbers only] (the CLI's checks read it too). */
export const STRIP_OPTION_RANGES: Readonly<Record<keyof ResolvedStripOptions, readonly [number, number, boolean]>> = {
  minDocs: [1, 1e9, true],
  minRatio: [0, 1, false],
  minSiteDocs: [0, 1e9, true],
  templateRatio: [0, 1, false],
  templateMinDocs: [1, 1e9, true],
  chainRatio: [0, 1, false],
  teaserDocs: [1, 1e9, true],
  blockMin: [0, 1e9, true],
  blockDocs: [1, 1e9, true],
};

/** The options with their defaults; a value out of range (library callers: the CLI checks its own first) is an E_OPTION error. */
export function resolveStripOptions(o: StripOptions = {}): ResolvedStripOptions {
  for (const [name, [lo, hi, whole]] of Object.entries(STRIP_OPTION_RANGES)) {
    const v = (o as Record<string, unknown>)[name];
    if (v === undefined) continue;
    if (typeof v !== 'number' || Number.isNaN(v) || v < lo || v > hi || (whole && !Number.isInteger(v))) {
      throw new BoilerstripError('E_OPTION', `option ${name} must be ${whole ? 'a whole number' : 'a number'} from ${lo} to ${hi} (got ${typeof v === 'string' ? JSON.stringify(v) : String(v)})`);
    }
  }
  return {
    minDocs: o.minDocs ?? STRIP_DEFAULTS.minDocs,
    minRatio: o.minRatio ?? STRIP_DEFAULTS.minRatio,
    minSiteDocs: o.minSiteDocs ?? STRIP_DEFAULTS.minSiteDocs,
    templateRatio: o.templateRatio ?? STRIP_DEFAULTS.templateRatio,
    templateMinDocs: o.templateMinDocs ?? STRIP_DEFAULTS.templateMinDocs,
    chainRatio: o.chainRatio ?? STRIP_DEFAULTS.chainRatio,
    teaserDocs: o.teaserDocs ?? STRIP_DEFAULTS.teaserDocs,
    blockMin: o.blockMin ?? STRIP_DEFAULTS.blockMin,
    blockDocs: o.blockDocs ?? STRIP_DEFAULTS.blockDocs,
  };
}

export interface StripResult {
  /** The cleaned text. */
  text: string;
  /** What was removed, in order, non-overlapping. */
  spans: Span[];
  /** True when every non-blank line was chrome (the caller decides what to emit: --on-empty). */
  emptied: boolean;
  /** Counts were taken from the corpus-wide table (the site was too small). */
  fallback: boolean;
  /** Copies of this document in the input (1: none other), in its site or across sites. */
  copies: number;
}

/** A reason's index in REASONS (RemovedUnits.tag). */
const REASON_INDEX = Object.fromEntries(REASONS.map((r, i) => [r, i])) as Record<Reason, number>;

/**
 * The units removed from one document, for reports (--report): each unit's key, document frequency,
 * reason and text range, in typed columns filled in place document after document (an object per removed
 * unit was most of what --report cost the collector).
 */
export class RemovedUnits {
  /** Units listed for the document. */
  n = 0;
  k1 = new Int32Array(64);
  k2 = new Int32Array(64);
  /** Documents with the unit: of its site, or of the corpus when `corpus(i)` (a small site judged by corpus-wide counts). */
  df = new Int32Array(64);
  start = new Int32Array(64);
  end = new Int32Array(64);
  /** The reason's index in REASONS, | CORPUS when the key and df are the corpus-wide ones (the same for every site). */
  private tag = new Uint8Array(64);
  private static readonly CORPUS = 128;

  push(k1: number, k2: number, df: number, corpus: boolean, reason: Reason, start: number, end: number): void {
    const i = this.n++;
    if (i === this.k1.length) this.grow();
    this.k1[i] = k1;
    this.k2[i] = k2;
    this.df[i] = df;
    this.start[i] = start;
    this.end[i] = end;
    this.tag[i] = REASON_INDEX[reason] | (corpus ? RemovedUnits.CORPUS : 0);
  }

  corpus(i: number): boolean {
    return (this.tag[i]! & RemovedUnits.CORPUS) !== 0;
  }

  reason(i: number): Reason {
    return REASONS[this.tag[i]! & ~RemovedUnits.CORPUS]!;
  }

  private grow(): void {
    const twice = <T extends Int32Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(2 * a.length);
      b.set(a);
      return b;
    };
    this.k1 = twice(this.k1);
    this.k2 = twice(this.k2);
    this.df = twice(this.df);
    this.start = twice(this.start);
    this.end = twice(this.end);
    this.tag = twice(this.tag);
  }
}

/**
 * A fingerprint shared by more documents than this is no set of copies (long chrome lines that happen to
 * be a short page's longest): it is not used to take copies out of counts.
 */
export const MAX_COPIES = 16;
/** A shingle band counts when its line is in at most SH_LINE_RATIO times the band's documents. */
const SH_LINE_RATIO = 2;
/** A band's line must be in fewer than max(SH_SITE_LINE + 1, SH_SITE_SHARE x its site's documents) of its own site's documents. */
const SH_SITE_LINE = 3;
const SH_SITE_SHARE = 0.2;
/** Copies is the count that this many valid shingle bands reach. */
const SH_AGREE = 2;
/** Lines of at least this many words are judged with near-copies (shingle bands) taken out of their counts. */
const NEAR_TOKENS = 10;

/** A label of at most this many words repeated PAGE_LIST_MIN+ times in a page before teasers is a list. */
const PAGE_LABEL_TOKENS = 4;
const PAGE_LIST_MIN = 3;
/** Teasers (a lead cut off with an ellipsis) have at most this many words. */
const TEASER_MAX_TOKENS = 40;

/** Lines of at least this many words, removed by corpus-wide counts alone in a run, are a wire story. */
const SYNDICATED_TOKENS = 15;

/** Title rescue: a line removed for its frequent label, of at least this many words, may be a headline. */
const TITLE_LABELLED_TOKENS = 6;
/** A frequent label before a sentence is prose when at least this share of its site's lines end a sentence. */
const PROSE_LABEL_SHARE = 0.5;
/**
 * Title rescue in a text document: a line removed for its frequency is some article's title (on other pages
 * in their related lists) only when it is on fewer than this share of its site's pages; one on nearly all is
 * the site's own (a newsletter box, "Skip to main content"), however few pages lack it. Not for an HTML
 * page's blocks, whose block decision weighs the text rules' cuts: there it cost held-out F1 (CleanPortalEval
 * 98.03 → 97.68, europa.eu 99.30 → 98.70; bench/RESULTS.md, session 12).
 */
const TITLE_MAX_SHARE = 0.9;
/** A line on every page of a small site is put back as its title only with this many words ("« Back to blog" is navigation). */
const SITE_WIDE_TITLE_TOKENS = 4;
/** titleScore's part for a candidate that is no ticker item on other pages. */
const NOT_IN_TICKERS = 1e6;
/** Share of a small site's pages a line must be on (see thresholds). */
const SMALL_SITE_SHARE = 0.4;
/** Lines longer than this (in words) are never list items for the list rule. */
const BLOCK_ITEM_TOKENS = 30;
/** Lines of at most this many words of site-less records use the lower corpus-wide threshold. */
const UNKNOWN_SITE_SHORT = 16;

const KEPT = 0;
const BLANK = 1;
const REMOVED = 2;
const PARTIAL = 3;
const TEASER = 4;
const TEASER_OK = 5;

/** Reusable pass-2 state: one per thread. */
export class Stripper {
  private readonly a = new Analysis();
  private state = new Uint8Array(256);
  private reason: Reason[] = [];
  /** Per segment of the document: chrome (a PARTIAL line's segments say which of them go). */
  private segChrome = new Uint8Array(256);
  readonly opts: ResolvedStripOptions;
  /** Filled per document when set: the units removed (for --report). */
  removedUnits: RemovedUnits | null = null;
  /** Pass 1's analyses of the documents to come, in order (clean's analysis cache); null: analyze. */
  cache: SideReader | null = null;

  constructor(
    readonly model: Model,
    opts: StripOptions = {},
  ) {
    this.opts = resolveStripOptions(opts);
    [this.g1, this.g2] = model.siteKey(GLOBAL_SITE);
    const least = leastThreshold(this.opts);
    if (model.prunedBelow > least) {
      throw new BoilerstripError(
        'E_OPTION',
        `the model was pruned of units in fewer than ${model.prunedBelow} documents; thresholds below that (--min-docs ${this.opts.minDocs}) would judge differently than on the full model`,
      );
    }
  }


  /** The thresholds a site's documents are judged by; small sites are also judged by corpus-wide counts. */
  thresholds(site: string): Thresholds {
    const m = this.model;
    const o = this.opts;
    const docs = m.siteDocs(site);
    const small = docs < o.minSiteDocs;
    let t = Math.max(o.minDocs, Math.ceil(o.minRatio * docs));
    // A small site cannot show a unit in --min-docs of its pages when it has barely more: a share of its
    // pages decides (never fewer than 2), next to the corpus-wide counts.
    if (small) t = Math.max(2, Math.min(t, Math.ceil(SMALL_SITE_SHARE * docs)));
    return {
      docs,
      t,
      tt: Math.max(o.minDocs, o.templateMinDocs, Math.ceil(o.templateRatio * docs)),
      fallback: small,
      corpus: m.params.fallback,
      // Records without a site (no URL, no site field) mix every template: their short lines are judged by
      // the corpus-wide counts against an average site's threshold (long ones, which may be a wire story
      // republished across sites, against the corpus threshold).
      gt: site === '' && m.sites.size > 1 ? Math.max(o.minDocs, Math.ceil((o.minRatio * m.docs) / m.sites.size)) : Math.max(o.minDocs, Math.ceil(o.minRatio * m.docs)),
      gtLong: Math.max(o.minDocs, Math.ceil(o.minRatio * m.docs)),
      gtt: Math.max(o.minDocs, o.templateMinDocs, Math.ceil(o.templateRatio * m.docs)),
    };
  }

  // Per-lookup outputs of judge(): the deciding count and its key.
  private df = 0;
  /** The last judge() said chrome by the corpus-wide counts only. */
  private viaCorpus = false;
  private k1 = 0;
  private k2 = 0;

  /**
   * Is unit (h1, h2) of a kind chrome? Site counts against `t`; for small sites also corpus counts against
   * `gt`. With `near`, the document's near-copies (shingle bands) are taken out of the counts too.
   */
  private judge(h1: number, h2: number, kind: Kind, t: number, gt: number, fallback: boolean, near = false): boolean {
    const c = this.model.counter;
    keyOf(h1, h2, kind, this.s1, this.s2);
    this.k1 = KEY[0]!;
    this.k2 = KEY[1]!;
    // (Every unit of the document is counted for its site.)
    this.df = distinct(c.getOwn(this.k1, this.k2), near ? this.nearSite : this.copiesSite);
    this.viaCorpus = false;
    if (this.df >= t) return true;
    if (!fallback) return false;
    const sdf = this.df;
    const sk1 = this.k1;
    const sk2 = this.k2;
    keyOf(h1, h2, kind, this.g1, this.g2);
    const g = distinct(c.get(KEY[0]!, KEY[1]!), near ? this.nearAll : this.copiesAll);
    if (g >= gt) {
      this.viaCorpus = true;
      this.df = g;
      this.k1 = KEY[0]!;
      this.k2 = KEY[1]!;
      return true;
    }
    this.df = sdf;
    this.k1 = sk1;
    this.k2 = sk2;
    return false;
  }

  private s1 = 0;
  private s2 = 0;
  /** Copies of the current document in its site and in the corpus (see copiesOf), and near-copies too (nearCopiesOf). */
  private copiesSite = 1;
  private copiesAll = 1;
  private nearSite = 1;
  private nearAll = 1;
  private readonly g1: number;
  private readonly g2: number;
  private lineDf = new Int32Array(256);
  /** Largest document frequency of a line's label/shape keys. */
  private xDf = new Int32Array(256);
  /** Line removed by corpus-wide counts alone (its own site does not repeat it). */
  private corpusOnly = new Uint8Array(256);

  /** Per line of the last strip(): the document frequency its whole-line key was judged by (0: blank). */
  get lineDfs(): Int32Array {
    return this.lineDf;
  }

  /** `page`: the text is an HTML page's blocks (html/strip-page.ts), which the title rescue treats apart. */
  strip(text: string, site: string, page = false): StripResult {
    const m = this.model;
    const o = this.opts;
    const a = this.cache !== null ? this.cache.next(text, this.a) : analyze(text, this.a, m.params.templates, false);
    const th = this.thresholds(site);
    [this.s1, this.s2] = m.siteKey(site);
    this.copiesSite = this.copiesOf(a, this.s1, this.s2);
    this.copiesAll = m.params.fallback ? this.copiesOf(a, this.g1, this.g2) : 1;
    const siteChrome = Math.max(SH_SITE_LINE + 1, Math.ceil(SH_SITE_SHARE * m.siteDocs(site)));
    this.nearSite = this.nearCopiesOf(a, this.s1, this.s2, this.copiesSite, siteChrome);
    this.nearAll = m.params.fallback ? this.nearCopiesOf(a, this.g1, this.g2, this.copiesAll, siteChrome) : 1;
    const copies = Math.max(this.nearSite, this.nearAll);
    const n = a.nLines;
    if (this.state.length < n) {
      this.state = new Uint8Array(n * 2);
      this.lineDf = new Int32Array(n * 2);
      this.xDf = new Int32Array(n * 2);
      this.corpusOnly = new Uint8Array(n * 2);
    }
    if (this.segChrome.length < a.nSegs) this.segChrome = new Uint8Array(a.nSegs * 2);
    const state = this.state;
    const lineDf = this.lineDf;
    const reason = this.reason;
    const removed = this.removedUnits;
    if (removed) removed.n = 0;
    const fb = th.corpus;
    const note = (r: Reason, start: number, end: number): void => {
      removed?.push(this.k1, this.k2, this.df, this.viaCorpus, r, start, end);
    };

    for (let i = 0; i < n; i++) {
      if (a.lineLen[i] === 0) {
        state[i] = BLANK;
        lineDf[i] = 0;
        continue;
      }
      // Near-copies (shingle bands) are taken out of the counts of prose lines only: an edited copy shares
      // its paragraphs, while a short line it shares may be chrome other pages carry too.
      const isLine = this.judge(a.lineH1[i]!, a.lineH2[i]!, Kind.Line, th.t, a.lineTok[i]! > UNKNOWN_SITE_SHORT ? th.gtLong : th.gt, fb, a.lineTok[i]! >= NEAR_TOKENS);
      lineDf[i] = this.df;
      this.corpusOnly[i] = isLine && this.viaCorpus ? 1 : 0;
      if (isLine) {
        // A frequent line cut with an ellipsis is a teaser listed on other pages, or, on its own page, the
        // lead that happens to end in "..": resolveTeasers keeps it only as the lead.
        state[i] = a.lineEll[i] && a.lineTok[i]! >= HEAD_MIN_TOKENS && a.lineTok[i]! <= TEASER_MAX_TOKENS ? TEASER : REMOVED;
        reason[i] = 'line';
        note('line', a.lineStart[i]!, a.lineEnd[i]!);
        continue;
      }
      const segN = a.lineSegN[i]!;
      if (segN > 0) {
        const s0 = a.lineSeg0[i]!;
        const segChrome = this.segChrome;
        let chrome = 0;
        let nonEmpty = 0;
        for (let s = 0; s < segN; s++) {
          segChrome[s0 + s] = 0;
          if (a.segLen[s0 + s] === 0) continue;
          nonEmpty++;
          // Chain items (ticker headlines, menu entries) slide with crawl time: an absolute count decides,
          // in the site or across the corpus (network-wide tickers on aggregators).
          if (this.judge(a.segH1[s0 + s]!, a.segH2[s0 + s]!, Kind.Segment, o.minDocs, o.minDocs, m.params.fallback)) {
            segChrome[s0 + s] = 1;
            chrome++;
            note('segment', a.segStart[s0 + s]!, a.segEnd[s0 + s]!);
          }
        }
        // A short chain with prose in it (a dateline, then the article's first sentence after a no-break
        // space) is a paragraph, not a ticker: it is kept whole.
        // With chrome items and a phrase of 3+ words no page repeats as a line ("<title> | The White House",
        // "دبي، الإمارات (CNN) --  <a one-line story>"), only the chrome goes. (A phrase other pages carry
        // as a line, a ticker's other headline, is chrome too: the chain goes whole, and clean's output
        // stays a fixed point of strip.)
        if (nonEmpty <= SHORT_CHAIN) {
          let prose = false;
          let phrase = false;
          for (let s = 0; s < segN && !prose; s++) {
            if (segChrome[s0 + s] !== 0 || a.segLen[s0 + s] === 0) continue;
            if (proseSegment(a, s0 + s)) prose = true;
            else if (!phrase && words(a.text, a.segStart[s0 + s]!, a.segEnd[s0 + s]!) >= PHRASE_TOKENS) {
              if (this.judge(a.segH1[s0 + s]!, a.segH2[s0 + s]!, Kind.Line, th.t, th.gt, fb)) {
                segChrome[s0 + s] = 1;
                chrome++;
              } else phrase = true;
            }
          }
          if (prose) {
            state[i] = KEPT;
            continue;
          }
          if (phrase && chrome > 0) {
            state[i] = PARTIAL;
            continue;
          }
        }
        if (chrome > 0 && chrome >= o.chainRatio * nonEmpty) {
          state[i] = REMOVED;
          reason[i] = 'chain';
          continue;
        }
        // A ticker by its shape: the page alone says so, whatever the counts.
        if (tickerChain(a, i)) {
          state[i] = REMOVED;
          reason[i] = 'page';
          continue;
        }
        if (chrome > 0) {
          state[i] = PARTIAL;
          continue;
        }
      }
      let templ: Reason | null = null;
      this.xDf[i] = 0;
      for (let x = a.lineX0[i]!, e = x + a.lineXN[i]!; x < e; x++) {
        const kind = a.extraKind[x]! as Kind;
        if (kind === Kind.ProseLabel) continue;
        if (kind === Kind.Head) {
          // A teaser: the first words of another page's lead, cut off with an ellipsis.
          if (a.lineEll[i] && a.lineTok[i]! <= TEASER_MAX_TOKENS && this.judge(a.extraH1[x]!, a.extraH2[x]!, kind, o.teaserDocs, Infinity, false)) templ = 'teaser';
        } else {
          if (this.judge(a.extraH1[x]!, a.extraH2[x]!, kind, th.tt, th.gtt, fb)) templ = EXTRA_REASON[kind]!;
          if (this.df > this.xDf[i]!) this.xDf[i] = this.df;
          // A frequent label before prose ("وقال: «...»."): the label is how paragraphs open, not chrome,
          // and no evidence for the list rule either.
          if (kind === Kind.Prefix && (templ === 'prefix' || this.df >= o.blockDocs) && this.labelledProse(a, i)) {
            templ = null;
            this.xDf[i] = 0;
            continue;
          }
        }
        if (templ !== null) {
          note(templ, a.lineStart[i]!, a.lineEnd[i]!);
          break;
        }
      }
      if (templ !== null) {
        state[i] = templ === 'teaser' ? TEASER : REMOVED;
        reason[i] = templ;
        continue;
      }
      if (publicationStamp(a, i)) {
        state[i] = REMOVED;
        reason[i] = 'page';
        continue;
      }
      state[i] = KEPT;
    }
    this.keepSyndicated(a, n);
    this.pageLists(a, n);
    this.resolveTeasers(a, n);
    if (o.blockMin > 0) this.blocks(a, n);
    this.teaserRuns(a, n);
    this.labelledLists(a, n);
    this.rescueTitle(a, n, th, page ? 1 : TITLE_MAX_SHARE);

    let anyRemoved = false;
    let anyKept = false;
    for (let i = 0; i < n; i++) {
      const st = state[i];
      if (st === REMOVED) anyRemoved = true;
      else if (st === PARTIAL) anyRemoved = anyKept = true;
      else if (st === KEPT) anyKept = true;
    }
    if (!anyRemoved) return { text, spans: [], emptied: false, fallback: th.fallback, copies };
    const spans: Span[] = [];
    return { text: this.rebuild(a, n, spans), spans, emptied: !anyKept, fallback: th.fallback, copies };
  }

  /**
   * Is line i, which opens with a frequent label, prose behind it? A quote or a sentence follows the label
   * (it ends with . ! ? or a closing quote mark), and the text after the label is not a line anywhere else
   * (another article's title behind "اقرأ أيضا:" is the title line of its own page). Bylines, tags and read-more links have neither.
   */
  private labelledProse(a: Analysis, i: number): boolean {
    const t = a.text;
    const start = a.lineStart[i]!;
    const end = a.lineEnd[i]!;
    const sep = labelSeparator(t, start, end);
    if (sep < 0) return false;
    // (Quote marks inside are not enough: headlines quote their source, '"الصحة": تسجيل 5 إصابات'. A
    // teaser is cut off, not a sentence.)
    if (a.lineEll[i] || !endsProse(t, start, end)) return false;
    // Behind a label that mostly opens no prose in the site ("اقرأ أيضا: <title>", whose few titles with a
    // full stop would pass the rest), a short text is a title. (A long one is prose whatever the label: a
    // wire story's lead behind "الدوحة - متابعات:", a city that mostly opens bylines.)
    if (words(t, sep + 1, end) < PROSE_END_TOKENS && !this.proseLabel(a, i)) return false;
    // A line of its own elsewhere in the crawl (another article's title on its own page and in a list) or a
    // ticker item: in 2+ documents, the least count a model pruned below 2 (merge --prune-below 2, the Dask
    // route) still holds, so pruned and unpruned models judge alike.
    // (judge() sets df/k1/k2 for the report; this line is kept, so they are not reported.)
    return !this.afterLabelElsewhere(a, i, sep, this.model.params.fallback);
  }

  /**
   * Is the text after line i's label (separator at `sep`) a line or a ticker item in 2+ documents of the
   * site (and, with `corpus`, of the corpus): another article's title behind "اقرأ أيضا:"?
   */
  private afterLabelElsewhere(a: Analysis, i: number, sep: number, corpus: boolean): boolean {
    const [h1, h2] = unitHash(a.text.slice(sep + 1, a.lineEnd[i]!));
    return this.judge(h1, h2, Kind.Line, 2, 2, corpus) || this.judge(h1, h2, Kind.Segment, 2, 2, corpus);
  }

  /**
   * How many copies of the document the input holds, by its duplicate fingerprints counted in (s1, s2):
   * the largest count of a band, ignoring counts over MAX_COPIES. A band counts only when the two lines it
   * was made of are in no more documents than the band: copies share their paragraphs, while pages whose
   * longest lines are the site's long chrome (a cookie notice) share those lines with every other page.
   * Every unit the document shares with its copies was counted once per copy; distinct() takes the extra
   * copies back out.
   */
  private copiesOf(a: Analysis, s1: number, s2: number): number {
    const fp = a.fp;
    const c = this.model.counter;
    let n = 1;
    for (let b = 0; b < 2 * LINE_BANDS; b += 2) {
      if (fp[b] === 0) continue;
      keyOf(fp[b]!, fp[b + 1]!, Kind.Fp, s1, s2);
      const k = c.get(KEY[0]!, KEY[1]!);
      if (k <= n || k > MAX_COPIES) continue;
      let ok = true;
      for (let j = b; j < b + 2 && ok; j++) {
        const li = a.fpLine[j]!;
        keyOf(a.lineH1[li]!, a.lineH2[li]!, Kind.Line, s1, s2);
        if (c.get(KEY[0]!, KEY[1]!) > k) ok = false;
      }
      if (ok) n = k;
    }
    return n;
  }

  /**
   * Copies counting near-copies too (at least `exact`, copiesOf's count in (s1, s2)); `siteChrome`: the
   * least pages of its own site that make a band's line chrome.
   */
  private nearCopiesOf(a: Analysis, s1: number, s2: number, exact: number, siteChrome: number): number {
    const fp = a.fp;
    const c = this.model.counter;
    let n = exact;
    // Shingle bands: near-copies (edited paragraphs). A band counts when 2..MAX_COPIES documents share it
    // and the line its shingle came from is no chrome line: in few more documents than the band (the
    // line may be edited in every copy: a dateline before it, a sentence after it), and on few pages of
    // its own site (chrome recurs within its site page after page; a story runs once or twice per site,
    // a page is scraped again once or twice).
    const ks = this.bandCounts;
    let nk = 0;
    for (let b = 2 * LINE_BANDS; b < fp.length; b += 2) {
      if (fp[b] === 0) continue;
      keyOf(fp[b]!, fp[b + 1]!, Kind.Fp, s1, s2);
      const k = c.get(KEY[0]!, KEY[1]!);
      if (k < 2 || k > MAX_COPIES) continue;
      const li = a.fpLine[b]!;
      keyOf(a.lineH1[li]!, a.lineH2[li]!, Kind.Line, s1, s2);
      const lc = c.get(KEY[0]!, KEY[1]!);
      if (lc > SH_LINE_RATIO * k) continue;
      let own = lc;
      if (s1 !== this.s1 || s2 !== this.s2) {
        keyOf(a.lineH1[li]!, a.lineH2[li]!, Kind.Line, this.s1, this.s2);
        own = c.get(KEY[0]!, KEY[1]!);
      }
      if (own >= siteChrome) continue;
      ks[nk++] = k;
    }
    // Copies: the largest count that SH_AGREE bands reach (one band alone may be a long blurb a few other
    // pages carry).
    if (nk >= SH_AGREE) {
      const v = ks.subarray(0, nk).sort();
      n = Math.max(n, v[nk - SH_AGREE]!);
    }
    return n;
  }

  private readonly bandCounts = new Int32Array(FP_BANDS);

  /**
   * In-page evidence, needing no other page: a short label repeated 3+ times in the page, each time in
   * front of a teaser (a line cut off with an ellipsis), is a list ("اخر الاخبار" before each of nine
   * teasers); the labels and their teasers go.
   */
  private pageLists(a: Analysis, n: number): void {
    const state = this.state;
    // Short lines followed by a teaser, as (label line, teaser line) pairs; then how often each label occurs.
    const pairs = this.pagePairs;
    pairs.length = 0;
    let prev = -1;
    for (let i = 0; i < n; i++) {
      if (state[i] === BLANK) continue;
      if (prev >= 0 && a.lineEll[i] === 1 && a.lineTok[prev]! <= PAGE_LABEL_TOKENS && a.lineSegN[prev] === 0) pairs.push(prev, i);
      prev = i;
    }
    if (pairs.length < 2 * PAGE_LIST_MIN) return;
    const counts = this.pageCounts;
    counts.clear();
    for (let p = 0; p < pairs.length; p += 2) counts.set(a.lineH1[pairs[p]!]!, (counts.get(a.lineH1[pairs[p]!]!) ?? 0) + 1);
    for (let p = 0; p < pairs.length; p += 2) {
      if (counts.get(a.lineH1[pairs[p]!]!)! < PAGE_LIST_MIN) continue;
      for (const k of [pairs[p]!, pairs[p + 1]!]) {
        if (state[k] === KEPT || state[k] === TEASER) {
          state[k] = REMOVED;
          this.reason[k] = 'block';
        }
      }
    }
  }

  /**
   * In-page evidence beside the counts: a run of PAGE_LIST_MIN+ lines that all end in an ellipsis, one of
   * them a teaser the counts found, is a list of teasers; the ones no other page gave away go with it
   * (teasers of articles the input does not hold), when cut with "..." or "…": paragraphs that end in ".."
   * (a common full stop in Arabic columns) stay.
   */
  private teaserRuns(a: Analysis, n: number): void {
    const state = this.state;
    this.forEachRun(n, (i) => a.lineEll[i] === 1 && i !== this.ownLead && a.lineTok[i]! <= TEASER_MAX_TOKENS && (state[i] === KEPT || state[i] === REMOVED), (first, last, len) => {
      if (len < PAGE_LIST_MIN) return;
      let anchor = false;
      for (let k = first; k <= last && !anchor; k++) if (state[k] === REMOVED) anchor = true;
      if (!anchor) return;
      for (let k = first; k <= last; k++) {
        if (state[k] === KEPT && cutMark(a, k)) {
          state[k] = REMOVED;
          this.reason[k] = 'page';
        }
      }
    });
  }

  /**
   * A list of teasers under its label: after a short line removed by its counts ("مقالات ذات صلة"), a run
   * of 2+ item-shaped lines (up to BLOCK_ITEM_TOKENS words, no chain) all cut with "..." is a list whole:
   * its teasers no other page gave away go too. (Runs of short lines with removed ones among them are no
   * evidence: under a removed caption, article paragraphs and more captions alternate.)
   */
  private labelledLists(a: Analysis, n: number): void {
    const state = this.state;
    for (let i = 0; i < n; i++) {
      if (state[i] !== REMOVED || a.lineTok[i]! > PAGE_LABEL_TOKENS || a.lineSegN[i] !== 0 || this.reason[i] !== 'line') continue;
      let items = 0;
      let removed = 0;
      let teasers = 0;
      let j = i + 1;
      let last = i;
      for (; j < n; j++) {
        const st = state[j];
        if (st === BLANK) continue;
        if ((st !== KEPT && st !== REMOVED) || a.lineSegN[j] !== 0 || a.lineTok[j]! > BLOCK_ITEM_TOKENS) break;
        // (The next list's label ends this one.)
        if (st === REMOVED && a.lineTok[j]! <= PAGE_LABEL_TOKENS) break;
        items++;
        if (st === REMOVED) removed++;
        if (cutMark(a, j)) teasers++;
        last = j;
      }
      if (items >= 2 && removed < items && teasers === items) {
        for (let k = i + 1; k <= last; k++) {
          if (state[k] === KEPT) {
            state[k] = REMOVED;
            this.reason[k] = 'page';
          }
        }
      }
      i = last;
    }
  }

  private readonly pagePairs: number[] = [];
  private readonly pageCounts = new Map<number, number>();

  /**
   * A wire story carried by several sites is frequent corpus-wide, but within each site it appears once or
   * twice, as a block of long prose; chrome recurs within its site page after page. Runs of 2+ long lines
   * that only the corpus-wide counts call chrome are put back.
   */
  private keepSyndicated(a: Analysis, n: number): void {
    const state = this.state;
    this.forEachRun(n, (i) => state[i] === REMOVED && this.corpusOnly[i] === 1 && a.lineTok[i]! >= SYNDICATED_TOKENS, (first, last, len) => {
      if (len >= 2) for (let k = first; k <= last; k++) if (state[k] === REMOVED) state[k] = KEPT;
    });
  }

  /**
   * Calls `run(first, last, lines)` for each maximal run of lines that are `member`, blank lines between
   * members joining the run (`lines` counts the non-blank ones; first and last are members).
   */
  private forEachRun(n: number, member: (i: number) => boolean, run: (first: number, last: number, lines: number) => void): void {
    const state = this.state;
    let i = 0;
    while (i < n) {
      if (state[i] === BLANK || !member(i)) {
        i++;
        continue;
      }
      let j = i;
      let len = 0;
      let last = i;
      while (j < n && (state[j] === BLANK || member(j))) {
        if (state[j] !== BLANK) {
          len++;
          last = j;
        }
        j++;
      }
      run(i, last, len);
      i = j;
    }
  }

  /**
   * A teaser candidate (a line cut with an ellipsis whose opening words open another page's lead) goes
   * when it sits among chrome: both its neighbours are removed, other teasers, or the document's ends.
   * An article's own lead that happens to end in ".." has its body next to it and stays.
   */
  private resolveTeasers(a: Analysis, n: number): void {
    const state = this.state;
    const chromeAt = (i: number): boolean => i < 0 || i >= n || state[i] === REMOVED || state[i] === TEASER || state[i] === TEASER_OK;
    const teaserAt = (i: number): boolean => i >= 0 && i < n && (state[i] === TEASER || state[i] === TEASER_OK);
    // Before the first kept paragraph, a lone candidate is the article's own lead (other pages list it
    // cut off; this one happens to end in an ellipsis), not a list.
    let prose = false;
    this.ownLead = -1;
    for (let i = 0; i < n; i++) {
      if (state[i] === KEPT && a.lineTok[i]! >= HEAD_MIN_TOKENS) prose = true;
      if (state[i] !== TEASER) continue;
      let p = i - 1;
      while (p >= 0 && state[p] === BLANK) p--;
      let q = i + 1;
      while (q < n && state[q] === BLANK) q++;
      if (!prose && !teaserAt(p) && !teaserAt(q)) {
        state[i] = KEPT;
        this.ownLead = i;
        prose = true;
        continue;
      }
      // (A teaser that is a frequent line in its own right goes unless it is the page's own lead.)
      state[i] = this.reason[i] === 'line' || (chromeAt(p) && chromeAt(q)) ? TEASER_OK : KEPT;
    }
    for (let i = 0; i < n; i++) if (state[i] === TEASER_OK) state[i] = REMOVED;
  }

  /**
   * Lists: a run of 3+ consecutive non-blank lines that each occur in 2+ documents of the site (or are
   * chrome already), holding at least one chrome line, is chrome whole: related and most-read lists
   * whose items recirculate too few times to pass the threshold on their own.
   */
  private blocks(a: Analysis, n: number): void {
    const state = this.state;
    // List items are titles and teasers: a long paragraph that recurs (an article republished) is no item,
    // nor the page's own lead that resolveTeasers kept for ending in "..".
    const weak = (i: number): boolean =>
      state[i] === REMOVED ||
      (state[i] === KEPT && i !== this.ownLead && a.lineSegN[i] === 0 && a.lineTok[i]! <= BLOCK_ITEM_TOKENS && (this.lineDf[i]! >= this.opts.blockDocs || this.xDf[i]! >= this.opts.blockDocs));
    this.forEachRun(n, weak, (first, last, len) => {
      if (len < this.opts.blockMin) return;
      let anchor = false;
      for (let k = first; k <= last && !anchor; k++) if (state[k] === REMOVED) anchor = true;
      if (!anchor) return;
      for (let k = first; k <= last; k++) {
        if (state[k] === KEPT) {
          state[k] = REMOVED;
          this.reason[k] = 'block';
        }
      }
    });
  }

  /**
   * An article's own title is chrome on other pages (their related lists); on its own page it stands
   * just above the body. Of the lines removed by document frequency between the first body paragraph and
   * the nearest unique kept line above it (at most 6 lines up), the most title-like is put back.
   */
  private rescueTitle(a: Analysis, n: number, th: Thresholds, maxShare: number): void {
    const state = this.state;
    let lead = -1;
    // The first kept line of 4+ words that is no kept ticker (3+ items; a dateline joined to the lead is 2)
    // and no dateline or date.
    for (let i = 0; i < n; i++) {
      if (state[i] === KEPT && a.lineTok[i]! >= 4 && a.lineSegN[i]! < 3 && !datelineLike(a, i) && !dateLine(a, i)) {
        lead = i;
        break;
      }
    }
    if (lead < 0) return;
    // On a small site every page lists the others' titles, so a title is on all of its pages; when the search
    // starts from a body paragraph (not from a shorter line that may be the title itself), any count will do.
    const anyDf = th.fallback && a.lineTok[lead]! >= SHINGLE_LINE_TOKENS;
    const headline = a.lineTok[lead]! < SHINGLE_LINE_TOKENS && !endsSentence(a.text, a.lineStart[lead]!, a.lineEnd[lead]!) && this.stampBelow(a, n, lead);
    let best = -1;
    let bestScore = 0;
    let seen = 0;
    for (let i = lead - 1; i >= 0 && seen < 6; i--) {
      const st = state[i];
      if (st === BLANK) continue;
      seen++;
      // A kept line that other pages repeat (a byline just under the threshold) does not end the search;
      // a unique kept line (the title itself, or body) does.
      if (st !== REMOVED) {
        if (st === KEPT && this.repeatedShort(a, i)) continue;
        // (A ticker, kept whole or with some items lost, is chrome above the headline, not the headline.)
        if (st === PARTIAL || a.lineSegN[i]! >= 3) continue;
        return;
      }
      const r = this.reason[i];
      // One- and two-word lines frequent on their own (captions, "EPA") are not put back; short titles taken
      // with a list are.
      // A headline behind a city label ("الكويت: ...", a wire story's) goes as a templated prefix.
      // (Not a read-more link: the text behind its label is another article's title, a line of the site's.)
      const labelled = r === 'prefix' && a.lineTok[i]! >= TITLE_LABELLED_TOKENS && !this.readMore(a, i);
      // (A publication stamp, "آخر تحديث: الثلاثاء 2 يناير 2024", is labelled too, and never a title.)
      if ((r === 'line' || r === 'block' || labelled) && a.lineSegN[i] === 0 && (a.lineTok[i]! >= 3 || r === 'block') && (this.lineDf[i]! < Math.max(maxShare * th.docs, 2) || (anyDf && a.lineTok[i]! >= SITE_WIDE_TITLE_TOKENS)) && !publicationStamp(a, i)) {
        const score = this.titleScore(a, i, th) + seen;
        if (best < 0 || score < bestScore) {
          best = i;
          bestScore = score;
        }
      }
    }
    // Above a kept line that is likely the headline itself (short, no full stop, a stamp or date under it),
    // only a line other pages carry as a ticker item, a headline for sure, is put back: not the cookie
    // banner or a notice above it.
    if (best >= 0 && headline && bestScore >= NOT_IN_TICKERS) return;
    if (best >= 0) state[best] = KEPT;
  }

  /**
   * Of the site's lines this line's label opens, do at least PROSE_LABEL_SHARE end a sentence or a quote?
   * (Site counts, copies taken out; a label seen once says nothing against it.)
   */
  private proseLabel(a: Analysis, i: number): boolean {
    let label = 0;
    let prose = 0;
    const c = this.model.counter;
    for (let x = a.lineX0[i]!, e = x + a.lineXN[i]!; x < e; x++) {
      const kind = a.extraKind[x]! as Kind;
      if (kind !== Kind.Prefix && kind !== Kind.ProseLabel) continue;
      keyOf(a.extraH1[x]!, a.extraH2[x]!, kind, this.s1, this.s2);
      // (This document's own keys, as in judge.)
      const df = distinct(c.getOwn(KEY[0]!, KEY[1]!), this.copiesSite);
      if (kind === Kind.Prefix) label = df;
      else prose = df;
    }
    return label < 2 || prose >= PROSE_LABEL_SHARE * label;
  }

  /** Is line i a read-more link: the text after its label is a title line of the site ("اقرأ أيضا: <title>")? */
  private readMore(a: Analysis, i: number): boolean {
    const sep = labelSeparator(a.text, a.lineStart[i]!, a.lineEnd[i]!);
    return sep >= 0 && this.afterLabelElsewhere(a, i, sep, false);
  }

  /**
   * Is one of the next two non-blank lines after i a publication stamp or a date (what follows a headline,
   * under its byline or not; a caption's label does not count)?
   */
  private stampBelow(a: Analysis, n: number, i: number): boolean {
    for (let j = i + 1, seen = 0; j < n && seen < 2; j++) {
      if (this.state[j] === BLANK) continue;
      if (publicationStamp(a, j) || dateLine(a, j)) return true;
      seen++;
    }
    return false;
  }

  /** A short line other pages repeat (a byline just under the threshold), or a dateline. */
  private repeatedShort(a: Analysis, i: number): boolean {
    return (this.lineDf[i]! >= 2 && a.lineTok[i]! <= 12) || datelineLike(a, i);
  }

  /**
   * Lower is more title-like: a headline shows up as a ticker item on other pages, bylines and datelines
   * follow a site template or carry dates (6+ digits); among the rest the line nearest the body wins (the
   * caller adds the distance).
   */
  private titleScore(a: Analysis, i: number, th: Thresholds): number {
    // A line whose label or date shape is a site template (a byline, a dateline) is no title.
    let templated = false;
    for (let x = a.lineX0[i]!, e = x + a.lineXN[i]!; x < e && !templated; x++) {
      const kind = a.extraKind[x]! as Kind;
      if (kind === Kind.Head || kind === Kind.ProseLabel) continue;
      // (The label of a long line, "الكويت: <headline>", is how wire copies retitle a story.)
      if (kind === Kind.Prefix && a.lineTok[i]! >= TITLE_LABELLED_TOKENS) continue;
      keyOf(a.extraH1[x]!, a.extraH2[x]!, kind, this.s1, this.s2);
      // (A label counted mostly through this very line, recirculating in lists, does not count.)
      const df = distinct(this.model.counter.get(KEY[0]!, KEY[1]!), this.copiesSite);
      if (df >= th.tt && df >= 2 * this.lineDf[i]!) templated = true;
    }
    keyOf(a.lineH1[i]!, a.lineH2[i]!, Kind.Segment, this.s1, this.s2);
    // (2+: a count of 1 never decides anything, so models pruned below 2 judge the same.)
    const inTickers = distinct(this.model.counter.get(KEY[0]!, KEY[1]!), this.copiesSite) >= 2;
    let digits = 0;
    const t = a.text;
    for (let k = a.lineStart[i]!, e = a.lineEnd[i]!; k < e; k++) if (FOLD[t.charCodeAt(k)] === 48) digits++;
    if (datelineLike(a, i) || dateLine(a, i)) templated = true;
    return (inTickers ? 0 : NOT_IN_TICKERS) + (templated ? 5e5 : 0) + (digits >= 6 ? 1e5 : 0);
  }

  /** The line resolveTeasers kept as the page's own lead (a teaser-shaped line before any prose), or -1. */
  private ownLead = -1;

  // rebuild's state: the text, the kept text so far, the kept range not yet added to it, the removed spans.
  private source = '';
  private kept = '';
  private keptFrom = 0;
  private keptTo = 0;
  private spans: Span[] = [];

  /**
   * The text less what goes; the removed spans go to `spans`. Adjacent kept ranges are sliced as one, and
   * the slices are joined with +, not Array.join: V8 keeps such a concatenation as a rope until its
   * characters are read, and clean only reads its length (spliceRecord copies the kept ranges itself).
   */
  private rebuild(a: Analysis, n: number, spans: Span[]): string {
    const text = a.text;
    const state = this.state;
    this.source = text;
    this.kept = '';
    this.keptFrom = this.keptTo = 0;
    this.spans = spans;
    const lineStart = a.lineStart;
    const lineNext = a.lineNext;
    const lineEnd = a.lineEnd;
    const lastLine = n - 1;
    // The original's last line may lack a terminator; when the lines after the last kept one all go,
    // the kept line's terminator goes too, so the output ends the way the input did.
    const endsWithTerminator = lineNext[lastLine]! > lineEnd[lastLine]!;
    let gapStart = 0; // first line of the current gap (lines since the last kept line)
    let prevKept = -1;
    for (let i = 0; i < n; i++) {
      const st = state[i];
      if (st === BLANK || st === REMOVED) continue;
      this.flushGap(a, gapStart, i, prevKept >= 0);
      if (st === KEPT) this.keep(lineStart[i]!, lineNext[i]!);
      else this.rebuildPartial(a, i);
      prevKept = i;
      gapStart = i + 1;
    }
    if (gapStart < n) {
      if (this.anyRemoved(gapStart, n) && !endsWithTerminator && prevKept >= 0) {
        // Move the kept line's terminator into the removed tail (the kept range ends with it).
        const term = lineEnd[prevKept]!;
        const termEnd = lineNext[prevKept]!;
        if (termEnd > term) {
          this.keptTo -= termEnd - term;
          this.drop(term, termEnd, 'gap');
        }
      }
      this.flushGap(a, gapStart, n, false);
    }
    this.addKept();
    return this.kept;
  }

  private keep(s: number, e: number): void {
    if (e <= s) return;
    if (s !== this.keptTo) {
      this.addKept();
      this.keptFrom = s;
    }
    this.keptTo = e;
  }

  private addKept(): void {
    if (this.keptTo > this.keptFrom) this.kept += this.source.slice(this.keptFrom, this.keptTo);
    this.keptFrom = this.keptTo;
  }

  private drop(s: number, e: number, r: Reason): void {
    if (e <= s) return;
    const spans = this.spans;
    const last = spans[spans.length - 1];
    if (last && last[1] === s && last[2] === r) last[1] = e;
    else spans.push([s, e, r]);
  }

  private anyRemoved(from: number, to: number): boolean {
    for (let j = from; j < to; j++) if (this.state[j] === REMOVED) return true;
    return false;
  }

  /** The lines [gapStart, to) between kept lines (`between`: a kept line before them, and one at `to`). */
  private flushGap(a: Analysis, gapStart: number, to: number, between: boolean): void {
    const state = this.state;
    const lineStart = a.lineStart;
    if (!this.anyRemoved(gapStart, to)) {
      // (The gap runs to the text's end when `to` is past the last line: lineStart is reused from document
      // to document and longer than this one's lines, so what lies past them is another document's.)
      if (to > gapStart) this.keep(lineStart[gapStart]!, to < a.nLines ? lineStart[to]! : a.text.length);
      return;
    }
    // Keep the first blank run of the gap when it separates two kept lines; drop the rest.
    let keptRun = between;
    for (let j = gapStart; j < to; j++) {
      const s = lineStart[j]!;
      const e = a.lineNext[j]!;
      if (state[j] === BLANK && keptRun) {
        this.keep(s, e);
        continue;
      }
      if (state[j] !== BLANK && j > gapStart && state[j - 1] === BLANK) keptRun = false;
      if (state[j] === REMOVED) this.drop(s, e, this.reason[j]!);
      else this.drop(s, e, 'gap');
    }
  }

  private rebuildPartial(a: Analysis, i: number): void {
    const chrome = this.segChrome;
    const s0 = a.lineSeg0[i]!;
    const segN = a.lineSegN[i]!;
    let pos = a.lineStart[i]!;
    let first = true;
    for (let s = s0; s < s0 + segN; s++) {
      const ss = a.segStart[s]!;
      const se = a.segEnd[s]!;
      if (chrome[s]) {
        // The segment and the separator before it (or after it, for a leading segment) go.
        continue;
      }
      if (first) {
        this.drop(pos, ss, 'segment');
        this.keep(ss, se);
        first = false;
      } else {
        // Keep the separator that preceded this segment in the original.
        const prevEnd = a.segEnd[s - 1]!;
        this.drop(pos, prevEnd, 'segment');
        this.keep(prevEnd, se);
      }
      pos = se;
    }
    this.drop(pos, a.lineEnd[i]!, 'segment');
    this.keep(a.lineEnd[i]!, a.lineNext[i]!);
  }
}

/**
 * Documents a unit is in, not counting the extra copies of the document being judged: a count of `df`
 * from a document with `copies` copies (each of which counted the unit when it holds it). A unit missing
 * from some copies (a ticker that moved on) loses a little too: copies are rare, and a lower count keeps
 * more text.
 */
function distinct(df: number, copies: number): number {
  return df >= copies ? df - copies + 1 : df > 0 ? 1 : 0;
}

/** Segments of at least this many words are prose; so are those of PROSE_END_TOKENS+ that end a sentence. */
const PROSE_TOKENS = 20;
const PROSE_END_TOKENS = 12;
/** An item of a short chain with this many words is a phrase (a headline), kept when the rest is chrome. */
const PHRASE_TOKENS = 3;
/** Chains of at most this many items may be a paragraph with a dateline (see strip). */
const SHORT_CHAIN = 3;

/** Is chain segment s prose (a sentence), not a headline or a menu entry? */
function proseSegment(a: Analysis, s: number): boolean {
  const tok = words(a.text, a.segStart[s]!, a.segEnd[s]!);
  if (tok >= PROSE_TOKENS) return true;
  return tok >= PROSE_END_TOKENS && endsSentence(a.text, a.segStart[s]!, a.segEnd[s]!);
}

/** Does line i end in "..." or "…" (how teasers are cut; ".." alone also ends sentences)? */
function cutMark(a: Analysis, i: number): boolean {
  return ellipsisDots(a.text, a.lineStart[i]!, a.lineEnd[i]!) >= 3;
}

/** "الرياض - واس", "Posted by X | May 5": a short line of parts around a label separator. */
function datelineLike(a: Analysis, i: number): boolean {
  return a.lineTok[i]! <= 5 && (templateHints(a.text, a.lineStart[i]!, a.lineEnd[i]!, false) & 1) === 1;
}

/** Convenience: strip one text with a model (allocates a Stripper; use Stripper for many). */
export function stripText(model: Model, text: string, site = '', opts: StripOptions = {}): StripResult {
  return new Stripper(model, opts).strip(text, site);
}
