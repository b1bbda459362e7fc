/**
 * The simple methods people use today, run in the same process on the same documents so their figures
 * stand beside boilerstrip's. Each takes all documents and returns the removed ranges per document.
 */
import { Model } from '../model.js';
import { normalize } from '../normalize.js';
import { Stripper, type StripOptions } from '../strip.js';
import type { LearnOptions } from '../model.js';

export interface PeerDoc {
  text: string;
  site: string;
}

export type Ranges = [number, number][];

export interface Peer {
  name: string;
  describe: string;
  run(docs: PeerDoc[]): Ranges[];
}

/** Lines of a text with their ranges (terminator included, so a removed line leaves no blank). */
function lines(text: string): { s: number; e: number; next: number }[] {
  const out: { s: number; e: number; next: number }[] = [];
  let s = 0;
  while (s <= text.length) {
    let e = text.indexOf('\n', s);
    if (e < 0) e = text.length;
    out.push({ s, e, next: Math.min(text.length, e + 1) });
    if (e >= text.length) break;
    s = e + 1;
  }
  return out;
}

const keepEverything: Peer = {
  name: 'keep everything',
  describe: 'no cleaning: the floor every method must beat on precision',
  run: (docs) => docs.map(() => []),
};

/** awk 'NR==FNR{c[$0]++;next} c[$0]<K' f f: identical lines counted over the whole corpus (occurrences). */
export function exactLines(k = 5): Peer {
  return {
    name: `exact lines x${k} (awk)`,
    describe: `identical lines seen ${k}+ times in the corpus are dropped`,
    run(docs) {
      const c = new Map<string, number>();
      for (const d of docs) for (const l of lines(d.text)) {
        const t = d.text.slice(l.s, l.e);
        c.set(t, (c.get(t) ?? 0) + 1);
      }
      return docs.map((d) => lines(d.text).filter((l) => l.e > l.s && c.get(d.text.slice(l.s, l.e))! >= k).map((l): [number, number] => [l.s, l.next]));
    },
  };
}

/** CCNet-style: normalized lines that occur in 2+ documents are dropped (all their occurrences). */
export const ccnet: Peer = {
  name: 'CCNet-style (norm. lines in 2+ docs)',
  describe: 'lines normalized (lower case, digits to 0, punctuation out) seen in two or more documents are dropped',
  run(docs) {
    const df = new Map<string, number>();
    const norm = docs.map((d) => lines(d.text).map((l) => normalize(d.text.slice(l.s, l.e))));
    for (const ls of norm) for (const n of new Set(ls)) if (n) df.set(n, (df.get(n) ?? 0) + 1);
    return docs.map((d, i) => lines(d.text).flatMap((l, j): [number, number][] => (norm[i]![j] && df.get(norm[i]![j]!)! >= 2 ? [[l.s, l.next]] : [])));
  },
};

/** Per-site line document frequency: boilerstrip's line rule alone (no segments, templates, fallback). */
export function perSiteLines(minDocs = 5, minRatio = 0.02): Peer {
  return {
    name: 'per-site line DF',
    describe: `normalized lines in max(${minDocs}, ${minRatio} x site docs) documents of their site are dropped`,
    run(docs) {
      const df = new Map<string, number>();
      const siteDocs = new Map<string, number>();
      const norm = docs.map((d) => lines(d.text).map((l) => normalize(d.text.slice(l.s, l.e))));
      docs.forEach((d, i) => {
        siteDocs.set(d.site, (siteDocs.get(d.site) ?? 0) + 1);
        for (const n of new Set(norm[i])) if (n) df.set(`${d.site}\t${n}`, (df.get(`${d.site}\t${n}`) ?? 0) + 1);
      });
      return docs.map((d, i) => {
        const t = Math.max(minDocs, Math.ceil(minRatio * siteDocs.get(d.site)!));
        return lines(d.text).flatMap((l, j): [number, number][] => (norm[i]![j] && df.get(`${d.site}\t${norm[i]![j]}`)! >= t ? [[l.s, l.next]] : []));
      });
    },
  };
}

/** boilerstrip itself, through the library: learn over all documents, then strip each. */
export function boilerstripPeer(opts: StripOptions & LearnOptions = {}, name = 'boilerstrip'): Peer {
  return {
    name,
    describe: 'per-site DF of lines, ticker segments and template keys, corpus fallback, dedup',
    run(docs) {
      const m = new Model(opts);
      for (const d of docs) m.learnDoc(d.text, d.site);
      const s = new Stripper(m, opts);
      return docs.map((d) => {
        const r = s.strip(d.text, d.site);
        return r.emptied ? [] : r.spans.map((x): [number, number] => [x[0], x[1]]);
      });
    },
  };
}

export function standardPeers(): Peer[] {
  return [keepEverything, exactLines(5), ccnet, perSiteLines()];
}

