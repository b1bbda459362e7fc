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
import { Analysis, analyze, Kind } from './analyze.js';
import { GLOBAL_SITE, KEY, keyOf, type Model } from './model.js';

export type Reason = 'line' | 'segment' | 'chain' | 'prefix' | 'suffix' | 'shape' | 'gap';
const EXTRA_REASON: Record<number, Reason> = { [Kind.Prefix]: 'prefix', [Kind.Suffix]: 'suffix', [Kind.Shape]: 'shape' };

/** A removed range: [start, end) in UTF-16 code units of the original text, and why. */
export type Span = [start: number, end: number, reason: Reason];

export interface StripOptions {
  /** A unit is chrome when at least this many documents of its site have it. Default 5. */
  minDocs?: number;
  /** ...and at least this share of its site's documents. Default 0.02. */
  minRatio?: number;
  /** Sites with fewer documents use corpus-wide counts. Default 20. */
  minSiteDocs?: number;
  /** Template keys (prefix/suffix/date shape) must reach this share of the site's documents. Default 0.05. */
  templateRatio?: number;
  /** Template keys also need at least this many documents: generalizing wants more evidence. Default 10. */
  templateMinDocs?: number;
  /** A chain line goes whole when this share of its segments is chrome. Default 0.5. */
  chainRatio?: number;
}

export interface ResolvedStripOptions {
  minDocs: number;
  minRatio: number;
  minSiteDocs: number;
  templateRatio: number;
  templateMinDocs: number;
  chainRatio: number;
}

export const STRIP_DEFAULTS: ResolvedStripOptions = { minDocs: 5, minRatio: 0.02, minSiteDocs: 20, templateRatio: 0.05, templateMinDocs: 10, chainRatio: 0.5 };

export function resolveStripOptions(o: StripOptions = {}): ResolvedStripOptions {
  return {
    minDocs: o.minDocs ?? STRIP_DEFAULTS.minDocs,
    minRatio: o.minRatio ?? STRIP_DEFAULTS.minRatio,
    minSiteDocs: o.minSiteDocs ?? STRIP_DEFAULTS.minSiteDocs,
    templateRatio: o.templateRatio ?? STRIP_DEFAULTS.templateRatio,
    templateMinDocs: o.templateMinDocs ?? STRIP_DEFAULTS.templateMinDocs,
    chainRatio: o.chainRatio ?? STRIP_DEFAULTS.chainRatio,
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
}

/** A removed unit, for reports: its key, document frequency, reason and the text range. */
export interface RemovedUnit {
  k1: number;
  k2: number;
  df: number;
  reason: Reason;
  start: number;
  end: number;
}

const KEPT = 0;
const BLANK = 1;
const REMOVED = 2;
const PARTIAL = 3;

/** Reusable pass-2 state: one per thread. */
export class Stripper {
  private readonly a = new Analysis();
  private state = new Uint8Array(256);
  private reason: Reason[] = [];
  private segChrome = new Uint8Array(256);
  readonly opts: ResolvedStripOptions;
  /** Filled per document when set: the units removed (for --report). */
  removedUnits: RemovedUnit[] | null = null;

  constructor(
    readonly model: Model,
    opts: StripOptions = {},
  ) {
    this.opts = resolveStripOptions(opts);
  }

  /** The thresholds a site's documents are judged by, and which counts they use. */
  thresholds(site: string): { site: string; docs: number; t: number; tt: number; fallback: boolean } {
    const m = this.model;
    let docs = m.siteDocs(site);
    let key = site;
    let fallback = false;
    if (docs < this.opts.minSiteDocs && m.params.fallback) {
      key = GLOBAL_SITE;
      docs = m.docs;
      fallback = true;
    }
    const t = Math.max(this.opts.minDocs, Math.ceil(this.opts.minRatio * docs));
    const tt = Math.max(this.opts.minDocs, this.opts.templateMinDocs, Math.ceil(this.opts.templateRatio * docs));
    return { site: key, docs, t, tt, fallback };
  }

  strip(text: string, site: string): StripResult {
    const m = this.model;
    const a = analyze(text, this.a, m.params.templates);
    const th = this.thresholds(site);
    const [s1, s2] = m.siteKey(th.site);
    const c = m.counter;
    const n = a.nLines;
    if (this.state.length < n) this.state = new Uint8Array(n * 2);
    const state = this.state;
    const reason = this.reason;
    const removed = this.removedUnits;
    if (removed) removed.length = 0;
    let anyRemoved = false;
    let anyKept = false;

    for (let i = 0; i < n; i++) {
      if (a.lineLen[i] === 0) {
        state[i] = BLANK;
        continue;
      }
      keyOf(a.lineH1[i]!, a.lineH2[i]!, Kind.Line, s1, s2);
      const df = c.get(KEY[0]!, KEY[1]!);
      if (df >= th.t) {
        state[i] = REMOVED;
        reason[i] = 'line';
        anyRemoved = true;
        removed?.push({ k1: KEY[0]!, k2: KEY[1]!, df, reason: 'line', start: a.lineStart[i]!, end: a.lineEnd[i]! });
        continue;
      }
      const segN = a.lineSegN[i]!;
      if (segN > 0) {
        const s0 = a.lineSeg0[i]!;
        if (this.segChrome.length < segN) this.segChrome = new Uint8Array(segN * 2);
        let chrome = 0;
        let nonEmpty = 0;
        for (let s = 0; s < segN; s++) {
          this.segChrome[s] = 0;
          if (a.segLen[s0 + s] === 0) continue;
          nonEmpty++;
          keyOf(a.segH1[s0 + s]!, a.segH2[s0 + s]!, Kind.Segment, s1, s2);
          const sdf = c.get(KEY[0]!, KEY[1]!);
          if (sdf >= th.t) {
            this.segChrome[s] = 1;
            chrome++;
            removed?.push({ k1: KEY[0]!, k2: KEY[1]!, df: sdf, reason: 'segment', start: a.segStart[s0 + s]!, end: a.segEnd[s0 + s]! });
          }
        }
        if (chrome > 0 && chrome >= this.opts.chainRatio * nonEmpty) {
          state[i] = REMOVED;
          reason[i] = 'chain';
          anyRemoved = true;
          continue;
        }
        if (chrome > 0) {
          state[i] = PARTIAL;
          anyRemoved = true;
          anyKept = true;
          // Remember which segments go: encode in a side array per line start.
          this.partials.set(i, this.segChrome.slice(0, segN));
          continue;
        }
      }
      const xN = a.lineXN[i]!;
      let templ: Reason | null = null;
      for (let x = a.lineX0[i]!, e = x + xN; x < e; x++) {
        const kind = a.extraKind[x]! as Kind;
        keyOf(a.extraH1[x]!, a.extraH2[x]!, kind, s1, s2);
        const xdf = c.get(KEY[0]!, KEY[1]!);
        if (xdf >= th.tt) {
          templ = EXTRA_REASON[kind]!;
          removed?.push({ k1: KEY[0]!, k2: KEY[1]!, df: xdf, reason: templ, start: a.lineStart[i]!, end: a.lineEnd[i]! });
          break;
        }
      }
      if (templ !== null) {
        state[i] = REMOVED;
        reason[i] = templ;
        anyRemoved = true;
        continue;
      }
      state[i] = KEPT;
      anyKept = true;
    }

    if (!anyRemoved) {
      this.partials.clear();
      return { text, spans: [], emptied: false, fallback: th.fallback };
    }
    const out = this.rebuild(a, n);
    this.partials.clear();
    return { ...out, emptied: !anyKept, fallback: th.fallback };
  }

  private readonly partials = new Map<number, Uint8Array>();

  private rebuild(a: Analysis, n: number): { text: string; spans: Span[] } {
    const text = a.text;
    const state = this.state;
    const pieces: string[] = [];
    const spans: Span[] = [];
    const keep = (s: number, e: number): void => {
      if (e > s) pieces.push(text.slice(s, e));
    };
    const drop = (s: number, e: number, r: Reason): void => {
      if (e <= s) return;
      const last = spans[spans.length - 1];
      if (last && last[1] === s && last[2] === r) last[1] = e;
      else spans.push([s, e, r]);
    };
    const lineStart = a.lineStart;
    const lineNext = a.lineNext;
    const lineEnd = a.lineEnd;
    const lastLine = n - 1;
    // The original's last line may lack a terminator; when the lines after the last kept one all go,
    // the kept line's terminator goes too, so the output ends the way the input did.
    const endsWithTerminator = lineNext[lastLine]! > lineEnd[lastLine]!;
    let gapStart = 0; // first line of the current gap (lines since the last kept line)
    let prevKept = -1;
    const flushGap = (to: number, final: boolean): void => {
      let removedInGap = false;
      for (let j = gapStart; j < to; j++) if (state[j] === REMOVED) removedInGap = true;
      if (!removedInGap) {
        if (to > gapStart) keep(lineStart[gapStart]!, lineStart[to] ?? text.length);
        return;
      }
      // Keep the first blank run of the gap when it separates two kept lines; drop the rest.
      let keptRun = prevKept >= 0 && !final;
      for (let j = gapStart; j < to; j++) {
        const s = lineStart[j]!;
        const e = lineNext[j]!;
        if (state[j] === BLANK && keptRun) {
          keep(s, e);
          continue;
        }
        if (state[j] !== BLANK && j > gapStart && state[j - 1] === BLANK) keptRun = false;
        if (state[j] === REMOVED) drop(s, e, this.reason[j]!);
        else drop(s, e, 'gap');
      }
    };
    for (let i = 0; i < n; i++) {
      const st = state[i];
      if (st === BLANK || st === REMOVED) continue;
      flushGap(i, false);
      if (st === KEPT) keep(lineStart[i]!, lineNext[i]!);
      else this.rebuildPartial(a, i, keep, drop);
      prevKept = i;
      gapStart = i + 1;
    }
    if (gapStart < n) {
      const removedTail = (() => {
        for (let j = gapStart; j < n; j++) if (state[j] === REMOVED) return true;
        return false;
      })();
      if (removedTail && !endsWithTerminator && prevKept >= 0) {
        // Move the kept line's terminator into the removed tail.
        const term = lineEnd[prevKept]!;
        const termEnd = lineNext[prevKept]!;
        if (termEnd > term) {
          const lastPiece = pieces.pop()!;
          pieces.push(lastPiece.slice(0, lastPiece.length - (termEnd - term)));
          drop(term, termEnd, 'gap');
        }
      }
      flushGap(n, true);
    }
    return { text: pieces.join(''), spans };
  }

  private rebuildPartial(a: Analysis, i: number, keep: (s: number, e: number) => void, drop: (s: number, e: number, r: Reason) => void): void {
    const chrome = this.partials.get(i)!;
    const s0 = a.lineSeg0[i]!;
    const segN = a.lineSegN[i]!;
    let pos = a.lineStart[i]!;
    let first = true;
    for (let s = 0; s < segN; s++) {
      const ss = a.segStart[s0 + s]!;
      const se = a.segEnd[s0 + s]!;
      if (chrome[s]) {
        // The segment and the separator before it (or after it, for a leading segment) go.
        continue;
      }
      if (first) {
        drop(pos, ss, 'segment');
        keep(ss, se);
        first = false;
      } else {
        // Keep the separator that preceded this segment in the original.
        const prevEnd = a.segEnd[s0 + s - 1]!;
        drop(pos, prevEnd, 'segment');
        keep(prevEnd, se);
      }
      pos = se;
    }
    drop(pos, a.lineEnd[i]!, 'segment');
    keep(a.lineEnd[i]!, a.lineNext[i]!);
  }
}

/** Convenience: strip one text with a model (allocates a Stripper; use Stripper for many). */
export function stripText(model: Model, text: string, site = '', opts: StripOptions = {}): StripResult {
  return new Stripper(model, opts).strip(text, site);
}
