/**
 * Pass 2 for an HTML page: the text rules judge its blocks as lines (strip.ts, by document frequency),
 * then one decision per block over all the evidence (features.ts → forest.ts) says keep or remove.
 * A kept block keeps the text rules' cuts inside it (a chain's chrome items); a block the text rules
 * removed whole but the forest keeps is kept whole.
 *
 * The result is a StripResult over the page's block text (doc.text): `text` is the kept blocks, one a
 * line; `spans` are what was removed from doc.text, so cutting them out of doc.text gives `text`.
 */
import { Kind } from '../analyze.js';
import { KEY, keyOf } from '../model.js';
import { REASONS, type Reason, type Span, type StripResult, type Stripper } from '../strip.js';
import { pageFeatures, N_FEATURES } from './features.js';
import { checkForest, forestScores, type Forest } from './forest.js';
import { FOREST } from './forest-data.js';
import type { HtmlDoc } from './page.js';

let checked: Forest | null = null;

/** The shipped forest (checked against this build's features once). */
export function shippedForest(): Forest {
  if (checked === null) checked = checkForest(FOREST);
  return checked;
}

export class PageStripper {
  private x = new Float32Array(0);
  private scores: Float32Array = new Float32Array(0);
  readonly forest: Forest;
  /** Set by strip(): per block, 1 when kept (valid until the next call). */
  kept = new Uint8Array(0);

  constructor(
    readonly stripper: Stripper,
    forest?: Forest,
  ) {
    this.forest = forest ?? shippedForest();
  }

  /** The text rules' result on the page and every block's feature row (valid until the next call). */
  evidence(doc: HtmlDoc, site: string): { res: StripResult; x: Float32Array } {
    const res = this.stripper.strip(doc.text, site, true);
    const n = doc.page.blocks.length;
    if (this.x.length < n * N_FEATURES) this.x = new Float32Array(n * N_FEATURES * 2);
    pageFeatures(doc, this.stripper.model, site, { spans: res.spans, lineDf: this.stripper.lineDfs }, this.x);
    return { res, x: this.x };
  }

  strip(doc: HtmlDoc, site: string): StripResult {
    const { res, x } = this.evidence(doc, site);
    const n = doc.page.blocks.length;
    if (this.kept.length < n) this.kept = new Uint8Array(n * 2);
    const kept = this.kept;
    const f = this.forest;
    this.scores = forestScores(f, doc, x, this.scores);
    decideBlocks(doc, this.scores, f.threshold, kept);
    return applyDecisions(doc, res, kept);
  }

  /**
   * The containers the last strip() removed blocks of (for --report): each distinct element path once,
   * with its counting key, the number of the site's pages it is on, and the first removed block's text.
   */
  removedContainers(doc: HtmlDoc, site: string, each: (k1: number, k2: number, path: string, pages: number, text: string) => void): void {
    const m = this.stripper.model;
    const [s1, s2] = m.siteKey(site);
    const seen = new Set<string>();
    const bs = doc.page.blocks;
    for (let i = 0; i < bs.length; i++) {
      if (this.kept[i] || seen.has(bs[i]!.path)) continue;
      seen.add(bs[i]!.path);
      keyOf(doc.pathH[2 * i]!, doc.pathH[2 * i + 1]!, Kind.Path, s1, s2);
      each(KEY[0]!, KEY[1]!, bs[i]!.path, m.counter.get(KEY[0]!, KEY[1]!), bs[i]!.text);
    }
  }
}

/**
 * Keep a block when the forest's log-odds reach the threshold. The <title> block never stays: it is the
 * tab's label, not text of the page (the headline is in the body; titles carry the site's name).
 */
export function decideBlocks(doc: HtmlDoc, scores: Float32Array, threshold: number, kept: Uint8Array): void {
  const bs = doc.page.blocks;
  for (let i = 0; i < bs.length; i++) kept[i] = scores[i]! >= threshold && bs[i]!.kind !== 'title' ? 1 : 0;
}

/**
 * The page's text with the removed blocks cut (each with its line break) and, inside kept blocks, the
 * text rules' partial cuts. A block's span takes the text rules' reason when they removed it too, else
 * 'structure'.
 */
export function applyDecisions(doc: HtmlDoc, res: StripResult, kept: Uint8Array): StripResult {
  const text = doc.text;
  const n = doc.page.blocks.length;
  const L = text.length;
  // Removal reason per char: 0 kept, else index into REASONS + 1.
  const mask = new Uint8Array(L);
  const starts = doc.starts;
  let si = 0;
  const spans = res.spans;
  for (let i = 0; i < n; i++) {
    const s = starts[i]!;
    const e = starts[i + 1]! - 1; // end of the block's text (its '\n' is at e)
    while (si < spans.length && spans[si]![1] <= s) si++;
    // The text rules' spans that touch this block, clipped to it.
    let whole: Reason | null = null;
    let covered = 0;
    for (let k = si; k < spans.length && spans[k]![0] < e; k++) {
      const a = Math.max(s, spans[k]![0]);
      const b = Math.min(e, spans[k]![1]);
      if (b > a) {
        covered += b - a;
        whole ??= spans[k]![2];
      }
    }
    if (!kept[i]) {
      const r = covered >= e - s && whole !== null ? whole : 'structure';
      mask.fill(reasonCode(r), s, Math.min(L, e + 1));
      continue;
    }
    if (covered >= e - s) continue; // the forest overrides a whole-line removal
    for (let k = si; k < spans.length && spans[k]![0] < e; k++) {
      const a = Math.max(s, spans[k]![0]);
      const b = Math.min(e, spans[k]![1]);
      if (b > a) mask.fill(reasonCode(spans[k]![2]), a, b);
    }
  }
  // A removed tail takes the line break before it: the text never ends with one it did not have.
  let last = L - 1;
  while (last >= 0 && mask[last] !== 0) last--;
  if (last >= 0 && last < L - 1 && text.charCodeAt(last) === 10) mask[last] = mask[last + 1]!;
  const out: Span[] = [];
  const pieces: string[] = [];
  let anyKept = false;
  let p = 0;
  while (p < L) {
    let q = p;
    const m = mask[p]!;
    while (q < L && mask[q] === m) q++;
    if (m === 0) {
      pieces.push(text.slice(p, q));
      anyKept ||= /\S/.test(text.slice(p, q));
    } else out.push([p, q, REASONS[m - 1]!]);
    p = q;
  }
  if (out.length === 0) return { ...res, text, spans: [], emptied: false };
  return { text: pieces.join(''), spans: out, emptied: !anyKept, fallback: res.fallback, copies: res.copies };
}

function reasonCode(r: Reason): number {
  return REASONS.indexOf(r) + 1;
}
