/**
 * The model: per-site document frequencies of units (pass 1's output, pass 2's input).
 *
 * Keys are per site: a unit's 64-bit hash is mixed with its site's hash and its kind (line, segment,
 * template key), so one table holds every site. Units are also counted under the shared site GLOBAL, the
 * fallback for sites with too few documents to learn from.
 *
 * A model is a sum: merge adds counts and document totals, so it is exact and order-independent
 * (strip -m (merge (learn A) (learn B)) gives the output of clean A B) as long as no document is
 * duplicated across A and B (duplicates are recognized within one learn run; see README).
 */
import { Analysis, analyze as analyzeImported, fmix32 as fmix32Imported, Kind } from './analyze.js';

const analyze = analyzeImported;
const fmix32 = fmix32Imported;
import { Counter64, type PruneInfo } from './counter.js';
import { NORM_VERSION } from './normalize.js';
import { BoilerstripError } from './errors.js';

/** Site name of the corpus-wide fallback counts. */
export const GLOBAL_SITE = '\u0000global';

export interface LearnOptions {
  /** Count template keys (frequent prefixes and suffixes of short lines, dates in words). Default true. */
  templates?: boolean;
  /** Also count every unit corpus-wide, for sites too small to learn from. Default true. */
  fallback?: boolean;
  /** Memory the count table may use, in bytes. Default 512 MiB. */
  maxMemory?: number;
  /** Recognize duplicate documents (same long lines) within the site and count them once. Default true. */
  dedup?: boolean;
  /** Unit texts kept for inspect and reports (not used for decisions). Default 50000. */
  maxTexts?: number;
}

export interface SiteInfo {
  docs: number;
}

/** Settings that must agree between models that are merged. */
export interface ModelParams {
  normVersion: number;
  templates: boolean;
  fallback: boolean;
}

/** Two 32-bit hashes of a site name. */
export function siteHash(name: string): [number, number] {
  let a = 0x811c9dc5 | 0;
  let b = 0x2a5c1e37 | 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [fmix32(a ^ name.length), fmix32(b + Math.imul(name.length, 0x9e3779b1))];
}

const KIND_SALT = [0x0, 0x5e6d1a2b, 0x7f4a7c15, 0x3c6ef372, 0x1b873593, 0x6a09e667];

/** Output of keyOf. */
export const KEY = new Int32Array(2);

/** The counting key of unit (h1, h2) of a kind in a site: a bijective mix, so distinct inputs stay distinct. */
export function keyOf(h1: number, h2: number, kind: Kind, s1: number, s2: number): void {
  let a = h1 ^ s1 ^ KIND_SALT[kind]!;
  let b = h2 ^ s2 ^ Math.imul(kind + 1, 0x27d4eb2f);
  a = fmix32(a + Math.imul(b, 0x9e3779b1));
  b = fmix32(b ^ Math.imul(a, 0x85ebca6b));
  KEY[0] = a;
  KEY[1] = b;
}

export function keyString(a: number, b: number): string {
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`;
}

/** A stored sample: "kind<TAB>site<TAB>text" (texts are for inspect and reports, never for decisions). */
function sampleText(kind: Kind, site: string, text: string, from: number, to: number): string {
  return `${kind}\t${site}\t${text.slice(from, Math.min(to, from + 160))}`;
}

export function parseSample(s: string): { kind: Kind; site: string; text: string } {
  const a = s.indexOf('\t');
  const b = s.indexOf('\t', a + 1);
  return { kind: Number(s.slice(0, a)) as Kind, site: s.slice(a + 1, b), text: s.slice(b + 1) };
}

/**
 * Fingerprints of the documents counted so far in the current duplicate scope (one input file), with
 * where each was seen (chunk, line), so parallel runs can agree on which copy counts: the first in file order.
 */
export class DupSet {
  private cap: number;
  k1: Int32Array;
  k2: Int32Array;
  hi: Int32Array;
  lo: Int32Array;
  used: Uint8Array;
  size = 0;
  constructor(
    readonly maxSize: number,
    cap = 1 << 12,
  ) {
    this.cap = cap;
    this.k1 = new Int32Array(cap);
    this.k2 = new Int32Array(cap);
    this.hi = new Int32Array(cap);
    this.lo = new Int32Array(cap);
    this.used = new Uint8Array(cap);
  }
  private slot(a: number, b: number): number {
    const mask = this.cap - 1;
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    while (this.used[i] === 1 && (this.k1[i] !== a || this.k2[i] !== b)) i = (i + 1) & mask;
    return i;
  }
  has(a: number, b: number): boolean {
    return this.used[this.slot(a, b)] === 1;
  }
  /** Remember (a, b) seen at (hi, lo); false when the set is full (then it only answers has()). */
  add(a: number, b: number, hi: number, lo: number): boolean {
    if (this.size >= this.maxSize) return false;
    if ((this.size + 1) * 10 > this.cap * 7) this.grow();
    const i = this.slot(a, b);
    if (this.used[i] === 1) return true;
    this.used[i] = 1;
    this.k1[i] = a;
    this.k2[i] = b;
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.size++;
    return true;
  }
  private grow(): void {
    const o = { k1: this.k1, k2: this.k2, hi: this.hi, lo: this.lo, used: this.used, cap: this.cap };
    this.cap *= 2;
    this.k1 = new Int32Array(this.cap);
    this.k2 = new Int32Array(this.cap);
    this.hi = new Int32Array(this.cap);
    this.lo = new Int32Array(this.cap);
    this.used = new Uint8Array(this.cap);
    this.size = 0;
    for (let j = 0; j < o.cap; j++) if (o.used[j] === 1) this.add(o.k1[j]!, o.k2[j]!, o.hi[j]!, o.lo[j]!);
  }
  clear(): void {
    this.used.fill(0);
    this.size = 0;
  }
  /** The entries as compact arrays (for sending to the main thread). */
  entries(): { k1: Int32Array; k2: Int32Array; hi: Int32Array; lo: Int32Array } {
    const out = { k1: new Int32Array(this.size), k2: new Int32Array(this.size), hi: new Int32Array(this.size), lo: new Int32Array(this.size) };
    let n = 0;
    for (let j = 0; j < this.cap; j++) {
      if (this.used[j] !== 1) continue;
      out.k1[n] = this.k1[j]!;
      out.k2[n] = this.k2[j]!;
      out.hi[n] = this.hi[j]!;
      out.lo[n] = this.lo[j]!;
      n++;
    }
    return out;
  }
}

/** Everything a worker thread's model sends back to be merged. */
export interface ModelParts {
  params: ModelParams;
  k1: Int32Array;
  k2: Int32Array;
  cnt: Uint32Array;
  sites: [string, number][];
  docs: number;
  duplicates: number;
  texts: [string, string][];
  prune: PruneInfo;
}

/** Per-document outcome of learning. */
export type LearnResult = 'counted' | 'duplicate' | 'empty';

export class Model {
  readonly params: ModelParams;
  counter: Counter64;
  readonly sites = new Map<string, SiteInfo>();
  /** Distinct documents counted. */
  docs = 0;
  /** Documents recognized as duplicates and not counted. */
  duplicates = 0;
  /** Units in fewer documents than this were dropped (1: nothing dropped). See pruneBelow. */
  prunedBelow = 1;
  /** A sample text per repeated unit key, for inspect and reports. */
  readonly texts = new Map<string, string>();
  readonly maxTexts: number;
  private readonly dedup: boolean;
  /** Duplicate fingerprints of the current scope (null when dedup is off). */
  seen: DupSet | null;
  private readonly analysis = new Analysis();
  private readonly siteCache = new Map<string, [number, number]>();
  private readonly global = siteHash(GLOBAL_SITE);

  constructor(opts: LearnOptions = {}, params?: ModelParams, counter?: Counter64) {
    this.params = params ?? { normVersion: NORM_VERSION, templates: opts.templates ?? true, fallback: opts.fallback ?? true };
    const budget = opts.maxMemory ?? 512 * 1024 * 1024;
    this.dedup = opts.dedup ?? true;
    // The duplicate set gets a sixteenth of the budget; when full it stops admitting new fingerprints.
    const dupBytes = this.dedup ? Math.max(1 << 20, budget / 16) : 0;
    this.seen = this.dedup ? new DupSet(Math.floor(dupBytes / 2 / 17)) : null;
    this.counter = counter ?? new Counter64(budget - dupBytes);
    this.maxTexts = opts.maxTexts ?? 50_000;
  }

  /**
   * Start a new duplicate scope. Duplicates are recognized within one input file (and within one
   * learnDoc sequence between calls): that keeps merge exact, since learning files separately and
   * merging then counts exactly what learning them together counts.
   */
  newDedupScope(): void {
    this.seen?.clear();
  }

  /** Read counts from another table holding the same entries (a shared-memory copy); pruning info kept. */
  useCounter(c: Counter64, prune: PruneInfo): void {
    Object.assign(c.prune, prune);
    this.counter = c;
  }

  /** Count duplicates against this set from now on (a worker thread keeps one per file). */
  useDedupScope(set: DupSet): void {
    if (this.dedup) this.seen = set;
  }

  /** Hash of a site name (cached). */
  siteKey(site: string): [number, number] {
    let h = this.siteCache.get(site);
    if (h === undefined) {
      h = siteHash(site);
      if (this.siteCache.size < 1_000_000) this.siteCache.set(site, h);
    }
    return h;
  }

  get prune(): PruneInfo {
    return this.counter.prune;
  }

  /** The analysis of the document of the last learnDoc (valid until the next call). */
  get lastAnalysis(): Analysis {
    return this.analysis;
  }

  /** Pass 1 for one document: count each of its units once for its site (and corpus-wide). */
  learnDoc(text: string, site: string, posHi = -1, posLo = -1): LearnResult {
    const a = analyze(text, this.analysis, this.params.templates);
    let i = 0;
    while (i < a.nLines && a.lineLen[i] === 0) i++;
    if (i === a.nLines) return 'empty';
    const [s1, s2] = this.siteKey(site);
    if (this.seen !== null && (a.fp1 !== 0 || a.fp2 !== 0)) {
      const fa = a.fp1 ^ s1;
      const fb = a.fp2 ^ s2;
      if (this.seen.has(fa, fb)) {
        this.duplicates++;
        return 'duplicate';
      }
      this.seen.add(fa, fb, posHi, posLo);
    }
    const doc = this.docs++;
    let info = this.sites.get(site);
    if (info === undefined) {
      info = { docs: 0 };
      this.sites.set(site, info);
    }
    info.docs++;
    const fallback = this.params.fallback;
    const [g1, g2] = this.global;
    const c = this.counter;
    const count = (h1: number, h2: number, kind: Kind, from: number, to: number): void => {
      keyOf(h1, h2, kind, s1, s2);
      const n = c.incDoc(KEY[0]!, KEY[1]!, doc);
      if (n === 2 && this.texts.size < this.maxTexts) this.texts.set(keyString(KEY[0]!, KEY[1]!), sampleText(kind, site, text, from, to));
      // (Heads are judged by site counts only: teasers point at the site's own articles.)
      if (fallback && kind !== Kind.Head) {
        keyOf(h1, h2, kind, g1, g2);
        const m = c.incDoc(KEY[0]!, KEY[1]!, doc);
        if (m === 2 && this.texts.size < this.maxTexts) this.texts.set(keyString(KEY[0]!, KEY[1]!), sampleText(kind, GLOBAL_SITE, text, from, to));
      }
    };
    for (let i = 0; i < a.nLines; i++) {
      if (a.lineLen[i] === 0) continue;
      count(a.lineH1[i]!, a.lineH2[i]!, Kind.Line, a.lineStart[i]!, a.lineEnd[i]!);
      const segN = a.lineSegN[i]!;
      for (let s = a.lineSeg0[i]!, e = s + segN; s < e; s++) {
        if (a.segLen[s] === 0) continue;
        count(a.segH1[s]!, a.segH2[s]!, Kind.Segment, a.segStart[s]!, a.segEnd[s]!);
      }
      const xN = a.lineXN[i]!;
      for (let x = a.lineX0[i]!, e = x + xN; x < e; x++) {
        count(a.extraH1[x]!, a.extraH2[x]!, a.extraKind[x]! as Kind, a.lineStart[i]!, a.lineEnd[i]!);
      }
    }
    return 'counted';
  }

  /**
   * Undo learnDoc for a document that was counted but is a duplicate of an earlier one (parallel
   * runs find these only when their chunks meet). Each key the document counted loses one.
   */
  unlearnDoc(text: string, site: string): void {
    const a = analyze(text, this.analysis, this.params.templates);
    const [s1, s2] = this.siteKey(site);
    const [g1, g2] = this.global;
    const keys = new Set<string>();
    const c = this.counter;
    const un = (h1: number, h2: number, kind: Kind): void => {
      for (const [x1, x2] of this.params.fallback && kind !== Kind.Head ? [[s1, s2], [g1, g2]] : [[s1, s2]]) {
        keyOf(h1, h2, kind, x1!, x2!);
        const k = `${KEY[0]},${KEY[1]}`;
        if (keys.has(k)) continue;
        keys.add(k);
        c.decrement(KEY[0]!, KEY[1]!);
      }
    };
    for (let i = 0; i < a.nLines; i++) {
      if (a.lineLen[i] === 0) continue;
      un(a.lineH1[i]!, a.lineH2[i]!, Kind.Line);
      for (let x = a.lineSeg0[i]!, e = x + a.lineSegN[i]!; x < e; x++) if (a.segLen[x] !== 0) un(a.segH1[x]!, a.segH2[x]!, Kind.Segment);
      for (let x = a.lineX0[i]!, e = x + a.lineXN[i]!; x < e; x++) un(a.extraH1[x]!, a.extraH2[x]!, a.extraKind[x]! as Kind);
    }
    this.docs--;
    this.duplicates++;
    const info = this.sites.get(site);
    if (info) info.docs--;
  }

  /** This model's state for the main thread (arrays moved, not copied). */
  toParts(): ModelParts {
    const c = this.counter;
    return {
      params: this.params,
      k1: c.k1,
      k2: c.k2,
      cnt: c.cnt,
      sites: [...this.sites].map(([n, i]) => [n, i.docs] as [string, number]),
      docs: this.docs,
      duplicates: this.duplicates,
      texts: [...this.texts],
      prune: { ...c.prune },
    };
  }

  /**
   * Add other models' parts (worker threads' tables, models being merged) into this one. The table is
   * sized once for all of them; each part is released (its slot set to null) once added, so a caller
   * that drops its own references holds one part at a time.
   */
  addParts(parts: (ModelParts | null)[]): void {
    const c = this.counter;
    let entries = 0;
    for (const p of parts) {
      assertCompatible(this.params, p!.params);
      for (let i = 0; i < p!.cnt.length; i++) if (p!.cnt[i] !== 0) entries++;
    }
    c.reserve(c.size + entries);
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k]!;
      parts[k] = null;
      for (let i = 0; i < p.cnt.length; i++) {
        const n = p.cnt[i]!;
        if (n !== 0) c.add(p.k1[i]!, p.k2[i]!, n);
      }
      this.addTotals(p);
      for (const [key, t] of p.texts) this.offerText(key, t);
    }
  }

  /** Add another model's document totals (per site, duplicates) and pruning figures. */
  addTotals(o: { sites: [string, number][]; docs: number; duplicates: number; prune: PruneInfo }): void {
    for (const [name, docs] of o.sites) {
      const mine = this.sites.get(name);
      if (mine) mine.docs += docs;
      else this.sites.set(name, { docs });
    }
    this.docs += o.docs;
    this.duplicates += o.duplicates;
    const pr = this.counter.prune;
    pr.events += o.prune.events;
    pr.units += o.prune.units;
    pr.maxUndercount += o.prune.maxUndercount;
  }

  /** A sample text for a key: kept while there is room, or when it sorts before the one kept (so merges agree). */
  offerText(key: string, t: string): void {
    const mine = this.texts.get(key);
    if (mine === undefined ? this.texts.size < this.maxTexts : t < mine) this.texts.set(key, t);
  }

  /**
   * Drop units in fewer than `k` documents. Exact for a final model (learned on the whole corpus, or
   * merged from all shards) stripped with thresholds of at least k: no decision compares a count below
   * 2 (Stripper refuses lower thresholds on such a model). On a shard model that will still be merged it
   * is not exact: a unit spread thinly over shards loses counts.
   */
  pruneBelow(k: number): number {
    if (k <= 1) return 0;
    const c = this.counter;
    const dropped = c.dropBelow(k);
    for (const key of [...this.texts.keys()]) {
      if (c.get(parseInt(key.slice(0, 8), 16) | 0, parseInt(key.slice(8), 16) | 0) === 0) this.texts.delete(key);
    }
    this.prunedBelow = Math.max(this.prunedBelow, k);
    return dropped;
  }

  /** Documents of a site (0 for a site never seen). */
  siteDocs(site: string): number {
    return this.sites.get(site)?.docs ?? 0;
  }

  /** Add another model's counts into this one. */
  mergeFrom(other: Model): void {
    this.addParts([other.toParts()]);
    this.prunedBelow = Math.max(this.prunedBelow, other.prunedBelow);
  }

}

export function assertCompatible(a: ModelParams, b: ModelParams): void {
  const diffs: string[] = [];
  if (a.normVersion !== b.normVersion) diffs.push(`normalization version ${a.normVersion} vs ${b.normVersion}`);
  if (a.templates !== b.templates) diffs.push(`template keys ${a.templates ? 'on' : 'off'} vs ${b.templates ? 'on' : 'off'}`);
  if (a.fallback !== b.fallback) diffs.push(`corpus-wide fallback ${a.fallback ? 'on' : 'off'} vs ${b.fallback ? 'on' : 'off'}`);
  if (diffs.length > 0) {
    throw new BoilerstripError('E_MODEL_MISMATCH', `models were learned with different settings (${diffs.join('; ')}); their counts cannot be added`);
  }
}
