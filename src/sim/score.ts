/**
 * Scoring against gold labels, token level.
 *
 * Tokens are the whitespace-separated words inside gold spans. A token is kept when most of its code
 * units were not removed. Kept content tokens are true positives, removed content tokens false
 * negatives, kept chrome tokens false positives; figures are micro-averaged over all documents.
 */
import type { GoldSpan, Label, SimDoc } from './generate.js';

/** Removed ranges of a document: [start, end, ...] in UTF-16 code units. */
export type Removed = readonly (readonly [number, number, ...unknown[]])[];

export interface Score {
  docs: number;
  contentTokens: number;
  contentKept: number;
  chromeTokens: number;
  chromeKept: number;
  /** Documents whose content recall is below 0.95. */
  damaged: number;
  /** Per chrome label: tokens and tokens left in. */
  byLabel: Partial<Record<Label, { tokens: number; kept: number }>>;
  /** Per hard case: documents and damaged documents. */
  byCase: Record<string, { docs: number; damaged: number }>;
}

export function emptyScore(): Score {
  return { docs: 0, contentTokens: 0, contentKept: 0, chromeTokens: 0, chromeKept: 0, damaged: 0, byLabel: {}, byCase: {} };
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0 || (c >= 0x2000 && c <= 0x200a) || c === 0x3000;
}

/** Add one document's outcome to a score. */
export function scoreDoc(s: Score, doc: { text: string; gold: GoldSpan[]; case?: string }, removed: Removed): void {
  const n = doc.text.length;
  const mask = new Uint8Array(n);
  for (const r of removed) mask.fill(1, Math.max(0, r[0]), Math.min(n, r[1]));
  let cTok = 0;
  let cKept = 0;
  for (const [start, end, label] of doc.gold) {
    let i = start;
    while (i < end) {
      while (i < end && isSpace(doc.text.charCodeAt(i))) i++;
      if (i >= end) break;
      const ts = i;
      let rem = 0;
      while (i < end && !isSpace(doc.text.charCodeAt(i))) rem += mask[i++]!;
      const kept = rem * 2 < i - ts ? 1 : 0;
      if (label === 'content') {
        cTok++;
        cKept += kept;
      } else {
        s.chromeTokens++;
        s.chromeKept += kept;
        const l = (s.byLabel[label] ??= { tokens: 0, kept: 0 });
        l.tokens++;
        l.kept += kept;
      }
    }
  }
  s.docs++;
  s.contentTokens += cTok;
  s.contentKept += cKept;
  const damaged = cTok > 0 && cKept / cTok < 0.95;
  if (damaged) s.damaged++;
  const k = doc.case ?? 'regular';
  const c = (s.byCase[k] ??= { docs: 0, damaged: 0 });
  c.docs++;
  if (damaged) c.damaged++;
}

export interface Figures {
  precision: number;
  recall: number;
  f1: number;
  chromeLeft: number;
  damagedShare: number;
}

export function figures(s: Score): Figures {
  const tp = s.contentKept;
  const fp = s.chromeKept;
  const fn = s.contentTokens - s.contentKept;
  const precision = tp + fp > 0 ? tp / (tp + fp) : 1;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 1;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, chromeLeft: s.chromeTokens > 0 ? s.chromeKept / s.chromeTokens : 0, damagedShare: s.docs > 0 ? s.damaged / s.docs : 0 };
}

/** Bag-of-words scoring for real pages, where gold is text not aligned to the page: multiset overlap. */
export function bagScore(out: string[], gold: string[]): { tp: number; outN: number; goldN: number } {
  return { tp: bagMatch(out, gold), outN: out.length, goldN: gold.length };
}

/**
 * Words of `out` matched in the bag `gold`, each gold word claimed once. The words left unmatched go to
 * `left` when it is given.
 */
export function bagMatch(out: readonly string[], gold: readonly string[], left?: string[]): number {
  const g = new Map<string, number>();
  for (const t of gold) g.set(t, (g.get(t) ?? 0) + 1);
  let tp = 0;
  for (const t of out) {
    const c = g.get(t) ?? 0;
    if (c > 0) {
      tp++;
      g.set(t, c - 1);
    } else left?.push(t);
  }
  return tp;
}

export type { SimDoc };
