/**
 * What a model calls chrome: the units whose document frequency reaches their site's threshold, with
 * a sample text each. Near-identical chrome texts of one site (a byline with other names, a dateline
 * with another city) are grouped by edit distance (fast-levenshtein), comparing short texts of one site
 * only, bucketed by length, never all pairs.
 */
import levenshtein from 'fast-levenshtein';
import { KIND_NAMES, type Kind, type KindName } from './analyze.js';
import { GLOBAL_SITE, keyString, parseSample, type Model } from './model.js';
import { normalize } from './normalize.js';
import { Stripper, type StripOptions } from './strip.js';

export interface ChromeUnit {
  site: string;
  kind: KindName;
  df: number;
  /** df / documents of the site. */
  share: number;
  text: string;
  /** Other chrome texts of the same site within the edit distance (when grouping). */
  variants: string[];
}

export interface InspectOptions extends StripOptions {
  site?: string;
  top?: number;
  /** Group near-identical texts (edit distance at most this share of the length). 0 turns it off. */
  group?: number;
}

/**
 * What inspect can list: the units with a stored sample text. The model keeps one for a unit when it
 * reaches 2 documents in one table (at most maxTexts of them): a unit that reached 2 only when tables were
 * added (shards merged, or threads' tables at the end of learn) has none, nor does one past a full store.
 * Such keys carry no site or kind, so which of them are chrome cannot be told: `withoutText` counts the
 * keys of the whole model that reach the lowest threshold of any site with no text, an upper bound on the
 * chrome units not listed (copy fingerprints, element paths and prose labels, never chrome and never given a
 * text, are among them).
 */
export interface ChromeListing {
  units: ChromeUnit[];
  /** Keys reaching `withoutTextMinDocs` documents with no stored text: at most this many chrome units are not listed. */
  withoutText: number;
  /** The lowest threshold any site (or the corpus-wide counts) uses: keys below it are chrome nowhere. */
  withoutTextMinDocs: number;
  /** The sample store is full (model.maxTexts): units past it have no text. */
  textStoreFull: boolean;
}

export function chromeUnits(model: Model, opts: InspectOptions = {}): ChromeListing {
  const stripper = new Stripper(model, opts);
  const wanted = opts.site?.toLowerCase();
  const units: ChromeUnit[] = [];
  const thresholds = new Map<string, { t: number; tt: number; docs: number }>();
  for (const [key, sample] of model.texts) {
    const { kind, site, text } = parseSample(sample);
    if (wanted !== undefined && site !== wanted) continue;
    let th = thresholds.get(site);
    if (th === undefined) {
      if (site === GLOBAL_SITE) {
        const t = stripper.thresholds(GLOBAL_SITE);
        th = { t: t.gt, tt: t.gtt, docs: model.docs };
      } else {
        const t = stripper.thresholds(site);
        th = { t: t.t, tt: t.tt, docs: model.siteDocs(site) };
      }
      thresholds.set(site, th);
    }
    const df = model.counter.get(parseInt(key.slice(0, 8), 16) | 0, parseInt(key.slice(8), 16) | 0);
    const needed = (kind as number) >= 2 ? th.tt : th.t;
    if (df < needed) continue;
    units.push({ site: site === GLOBAL_SITE ? '(all sites)' : site, kind: KIND_NAMES[kind as Kind]!, df, share: th.docs > 0 ? Math.round((df / th.docs) * 1000) / 1000 : 0, text, variants: [] });
  }
  units.sort((a, b) => b.df - a.df || (a.site < b.site ? -1 : a.site > b.site ? 1 : 0) || (a.text < b.text ? -1 : 1));
  // Keys with no stored text cannot be listed (nor told apart): counted, at the lowest threshold in use.
  let least = Infinity;
  for (const site of [...model.sites.keys(), GLOBAL_SITE]) {
    const t = stripper.thresholds(site);
    least = Math.min(least, site === GLOBAL_SITE ? Math.min(t.gt, t.gtt) : Math.min(t.t, t.tt));
  }
  least = Math.max(1, least);
  let withoutText = 0;
  model.counter.forEach((a, b, n) => {
    if (n >= least && !model.texts.has(keyString(a, b))) withoutText++;
  });
  const grouped = (opts.group ?? 0.25) > 0 ? groupVariants(units, opts.group ?? 0.25) : units;
  return { units: grouped.slice(0, opts.top ?? 100), withoutText, withoutTextMinDocs: least, textStoreFull: model.texts.size >= model.maxTexts };
}

/** Fold each short text into the first more frequent text of its site within the distance. */
function groupVariants(units: ChromeUnit[], maxShare: number): ChromeUnit[] {
  const out: ChromeUnit[] = [];
  // Per site and kind, heads bucketed by normalized length.
  const heads = new Map<string, Map<number, { u: ChromeUnit; norm: string }[]>>();
  for (const u of units) {
    const norm = normalize(u.text);
    if (norm.length === 0 || norm.length > 80) {
      out.push(u);
      continue;
    }
    const gk = `${u.site}\t${u.kind}`;
    let byLen = heads.get(gk);
    if (byLen === undefined) heads.set(gk, (byLen = new Map()));
    const maxD = Math.floor(norm.length * maxShare);
    let home: ChromeUnit | null = null;
    for (let L = norm.length - maxD; L <= norm.length + maxD && home === null; L++) {
      for (const h of byLen.get(L) ?? []) {
        if (levenshtein.get(norm, h.norm) <= Math.floor(Math.max(norm.length, L) * maxShare)) {
          home = h.u;
          break;
        }
      }
    }
    if (home !== null) {
      if (home.variants.length < 10) home.variants.push(u.text);
      continue;
    }
    let list = byLen.get(norm.length);
    if (list === undefined) byLen.set(norm.length, (list = []));
    if (list.length < 200) list.push({ u, norm });
    out.push(u);
  }
  return out;
}
