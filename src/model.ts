/**
 * The model: per-site document frequencies of units (pass 1's output, pass 2's input).
 *
 * Keys are per site: a unit's 64-bit hash is mixed with its site's hash and its kind (line, segment,
 * template key), so one table holds every site. Units are also counted under the shared site GLOBAL, the
 * fallback for sites with too few documents to learn from.
 *
 * A model is a sum: merge adds counts and document totals, so it is exact and order-independent
 * (strip -m (merge (learn A) (learn B)) gives the output of clean A B, whichever way the input is split).
 * Copies of a document are counted like any document; each document also counts its duplicate
 * fingerprints (Kind.Fp), and pass 2 takes a document's extra copies back out of the counts it judges
 * by. Nothing depends on which copy came first, so no split or order of the input changes a decision.
 */
import { Analysis, analyze as analyzeImported, analyzeLoaded as analyzeLoadedImported, fmix32 as fmix32Imported, Kind } from './analyze.js';

const analyze = analyzeImported;
const analyzeLoaded = analyzeLoadedImported;
const fmix32 = fmix32Imported;
import { Counter64, KEY, mixKey as mixKeyImported, type PruneInfo } from './counter.js';
import type { CountCore, KindSpec } from './count-wasm.js';
import { finalizeSpills, Spiller, type SpillRun, type SpillTotals } from './spill.js';
import { NORM_VERSION } from './normalize.js';
import { detached } from './strings.js';
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
  /** Count documents' duplicate fingerprints, so copies of a page or a wire story count once. Default true. */
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
  /** Duplicate fingerprints counted. */
  dedup: boolean;
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

const KIND_SALT = [0x0, 0x5e6d1a2b, 0x7f4a7c15, 0x3c6ef372, 0x1b873593, 0x6a09e667, 0x510e527f, 0x1f83d9ab, 0x5be0cd19];

// (Module-local alias: an imported binding is slower to reach in keyOf, which pass 2 calls per unit.)
const mixKey = mixKeyImported;

/** A kind's salt of the second lane. */
const KIND_SALT2 = KIND_SALT.map((_, kind) => Math.imul(kind + 1, 0x27d4eb2f));

/** Output of keyOf (counter.ts's, shared with its counting loop's JS path). */
export { KEY };

/** The counting key of unit (h1, h2) of a kind in a site: a bijective mix, so distinct inputs stay distinct. */
export function keyOf(h1: number, h2: number, kind: Kind, s1: number, s2: number): void {
  mixKey(h1, h2, KIND_SALT[kind]!, KIND_SALT2[kind]!, s1, s2);
}

/**
 * The unit kinds as the counting loop (asm/count.ts) takes them: keyOf's salts, whether a kind is also
 * counted corpus-wide (with the fallback on) and whether its keys that reach 2 documents get a sample text.
 * Heads are counted per site only (teasers point at the site's own articles), element paths too (a
 * container's share of its site's pages), prose labels too (never judged as chrome); fingerprints,
 * paths and prose labels are no unit anyone removes, so they get no sample text.
 */
const KIND_SPECS: readonly KindSpec[] = KIND_SALT.map((salt1, kind) => ({
  salt1,
  salt2: KIND_SALT2[kind]!,
  global: kind !== Kind.Head && kind !== Kind.Path && kind !== Kind.ProseLabel,
  events: kind !== Kind.Fp && kind !== Kind.Path && kind !== Kind.ProseLabel,
}));

const NO_UNITS = new Int32Array(0);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A key as 16 lowercase hex digits, k1 then k2 (unsigned). */
export function keyString(a: number, b: number): string {
  return HEX[a >>> 24]! + HEX[(a >>> 16) & 255]! + HEX[(a >>> 8) & 255]! + HEX[a & 255]! + HEX[b >>> 24]! + HEX[(b >>> 16) & 255]! + HEX[(b >>> 8) & 255]! + HEX[b & 255]!;
}

/** A stored sample: "kind<TAB>site<TAB>text" (texts are for inspect and reports, never for decisions). */
function sampleText(kind: Kind, site: string, text: string, from: number, to: number): string {
  return detached(`${kind}\t${site}\t${text.slice(from, Math.min(to, from + 160))}`);
}

export function parseSample(s: string): { kind: Kind; site: string; text: string } {
  const a = s.indexOf('\t');
  const b = s.indexOf('\t', a + 1);
  return { kind: Number(s.slice(0, a)) as Kind, site: s.slice(a + 1, b), text: s.slice(b + 1) };
}

/** The settings a model learned with these options has (what models to be merged must agree on). */
export function modelParams(opts: LearnOptions): ModelParams {
  return { normVersion: NORM_VERSION, templates: opts.templates ?? true, fallback: opts.fallback ?? true, dedup: opts.dedup ?? true };
}

/** Everything a worker thread's model sends back to be merged. */
export interface ModelParts {
  params: ModelParams;
  k1: Int32Array;
  k2: Int32Array;
  cnt: Uint32Array;
  sites: [string, number][];
  docs: number;
  texts: [string, string][];
  prune: PruneInfo;
  /** Spill runs of the part's table (spill.ts), added back when pass 1 ends. */
  spills?: SpillRun[];
  /** Why the part's table stopped spilling, if it did. */
  spillFailed?: string;
}

/** Per-document outcome of learning. */
export type LearnResult = 'counted' | 'empty';

export class Model {
  readonly params: ModelParams;
  counter: Counter64;
  readonly sites = new Map<string, SiteInfo>();
  /** Documents counted (copies included). */
  docs = 0;
  /** Units in fewer documents than this were dropped (1: nothing dropped). See pruneBelow. */
  prunedBelow = 1;
  /** The table's spills (enableSpill), and those of the parts added, until finishSpills adds them back. */
  private spiller: Spiller | null = null;
  private spillRuns: SpillRun[] = [];
  private spillFailed: string | null = null;
  /** What finishSpills did (null: the table never spilled). */
  spilled: SpillTotals | null = null;
  /** A sample text per repeated unit key, for inspect and reports. */
  readonly texts = new Map<string, string>();
  readonly maxTexts: number;
  private readonly dedup: boolean;
  private readonly analysis = new Analysis();
  private readonly siteCache = new Map<string, [number, number]>();
  private readonly global = siteHash(GLOBAL_SITE);

  constructor(opts: LearnOptions = {}, params?: ModelParams, counter?: Counter64) {
    this.params = params ?? modelParams(opts);
    const budget = opts.maxMemory ?? 512 * 1024 * 1024;
    this.dedup = this.params.dedup;
    this.counter = counter ?? new Counter64(budget);
    this.maxTexts = opts.maxTexts ?? 50_000;
  }

  /**
   * From now on, move the table's single-document units to runs in `dir` when it is full (spill.ts)
   * instead of pruning, from `from` slots on (Infinity: at the budget). finishSpills adds them back.
   */
  enableSpill(dir: string, tag: string, from: number): void {
    const sp = new Spiller(dir, tag);
    if (this.spiller !== null) {
      this.spillRuns.push(...this.spiller.runs);
      this.spillFailed ??= this.spiller.failed;
    }
    this.spiller = sp;
    this.counter.onFull = (c, doc) => sp.spill(c, doc);
    this.counter.spillFrom = from;
  }

  /**
   * A table that has spilled moves its remaining single-document units to a run too (a thread's table
   * before it goes to the main thread: only repeated units travel, the rest waits on disk).
   */
  spillRest(): void {
    if (this.spiller !== null && this.spiller.runs.length > 0) this.spiller.spill(this.counter, -2);
  }

  /** Why spilling stopped (this table's or a part's run that could not be written), or null. */
  private get spillFailure(): string | null {
    return this.spillFailed ?? this.spiller?.failed ?? null;
  }

  /** Spill runs not yet added back (this table's and its parts'). */
  get pendingSpills(): SpillRun[] {
    return [...this.spillRuns, ...(this.spiller?.runs ?? [])];
  }

  /**
   * The end of pass 1: add the spill runs back (exact counts; units of one document dropped, so the
   * model is pruned below 2). No more spilling after. `compact` (a final model, see compactBelow): the
   * table drops its units of one document before the spilled units it lacks go in, so it does not grow
   * for them (finalizeSpills).
   */
  finishSpills(compact = false): void {
    const runs = this.pendingSpills;
    const failed = this.spillFailure;
    this.counter.onFull = null;
    this.spiller = null;
    this.spillRuns = [];
    this.spillFailed = null;
    if (runs.length === 0 && failed === null) return;
    const t = finalizeSpills(this.counter, runs, undefined, compact);
    const s = (this.spilled ??= { runs: 0, spilled: 0, singles: 0, failed: null });
    s.runs += t.runs;
    s.spilled += t.spilled;
    s.singles += t.singles;
    s.failed ??= failed;
    if (runs.length > 0) this.prunedBelow = Math.max(this.prunedBelow, 2);
  }

  /** Read counts from another table holding the same entries (a shared-memory copy); pruning info kept. */
  useCounter(c: Counter64, prune: PruneInfo): void {
    Object.assign(c.prune, prune);
    this.counter = c;
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

  /**
   * Pass 1 for one document: count each of its units once for its site (and corpus-wide). An HTML page
   * also gives the hashes of its blocks' distinct element paths (pairs in `paths`, html/page.ts), counted
   * for its site only: a container's share of the site's pages is what its structure says.
   */
  learnDoc(text: string, site: string, paths?: Int32Array, loaded = false): LearnResult {
    const a = loaded ? analyzeLoaded(text, this.analysis, this.params.templates) : analyze(text, this.analysis, this.params.templates);
    let i = 0;
    while (i < a.nLines && a.lineLen[i] === 0) i++;
    if (i === a.nLines) return 'empty';
    const [s1, s2] = this.siteKey(site);
    const doc = this.docs++;
    let info = this.sites.get(site);
    if (info === undefined) {
      info = { docs: 0 };
      this.sites.set(site, info);
    }
    info.docs++;
    // The units, in the order the counts are taken (fingerprints, element paths, then line by line: the
    // line, its segments, its extra keys), are listed for the counting loop list by list.
    const core = this.counter.countCore(KIND_SPECS);
    this.core = core;
    this.units = core.units;
    if (this.unitFrom.length !== core.maxUnits) {
      this.unitFrom = new Int32Array(core.maxUnits);
      this.unitTo = new Int32Array(core.maxUnits);
    }
    this.listed = 0;
    this.doc = doc;
    this.docText = text;
    this.docSite = site;
    this.s1 = s1;
    this.s2 = s2;
    if (this.dedup) {
      const fp = a.fp;
      for (let b = 0; b < fp.length; b += 2) if (fp[b] !== 0) this.unit(fp[b]!, fp[b + 1]!, Kind.Fp, 0, 0);
    }
    if (paths !== undefined) {
      for (let p = 0; p < paths.length; p += 2) this.unit(paths[p]!, paths[p + 1]!, Kind.Path, 0, 0);
    }
    for (let i = 0; i < a.nLines; i++) {
      if (a.lineLen[i] === 0) continue;
      this.unit(a.lineH1[i]!, a.lineH2[i]!, Kind.Line, a.lineStart[i]!, a.lineEnd[i]!);
      const segN = a.lineSegN[i]!;
      for (let s = a.lineSeg0[i]!, e = s + segN; s < e; s++) {
        if (a.segLen[s] === 0) continue;
        this.unit(a.segH1[s]!, a.segH2[s]!, Kind.Segment, a.segStart[s]!, a.segEnd[s]!);
      }
      const xN = a.lineXN[i]!;
      for (let x = a.lineX0[i]!, e = x + xN; x < e; x++) {
        this.unit(a.extraH1[x]!, a.extraH2[x]!, a.extraKind[x]! as Kind, a.lineStart[i]!, a.lineEnd[i]!);
      }
    }
    if (this.listed > 0) this.countUnits();
    // (Nothing of the document, nor of the core, which the table may leave, is kept.)
    this.docText = '';
    this.core = null;
    this.units = NO_UNITS;
    return 'counted';
  }

  // learnDoc's list of units (see unit and countUnits), and the document they are of.
  private core: CountCore | null = null;
  private units: Int32Array = NO_UNITS;
  private listed = 0;
  private unitFrom = new Int32Array(0);
  private unitTo = new Int32Array(0);
  private doc = 0;
  private docText = '';
  private docSite = '';
  private s1 = 0;
  private s2 = 0;

  /** List a unit of the document being counted ([from, to): its text, for a sample); counts a full list. */
  private unit(h1: number, h2: number, kind: Kind, from: number, to: number): void {
    const j = this.listed;
    const u = this.units;
    u[3 * j] = h1;
    u[3 * j + 1] = h2;
    u[3 * j + 2] = kind;
    this.unitFrom[j] = from;
    this.unitTo[j] = to;
    if (++this.listed === this.core!.maxUnits) this.countUnits();
  }

  /** Count the listed units (Counter64.countListed); keys that reach 2 documents get a sample text. */
  private countUnits(): void {
    const [g1, g2] = this.global;
    this.counter.countListed(this.listed, this.doc, this.s1, this.s2, g1, g2, this.params.fallback, this.onEvents);
    this.listed = 0;
    // (The table may have grown the core's memory, or left it for a new one: the list is a new view.)
    this.core = this.counter.countCore(KIND_SPECS);
    this.units = this.core.units;
  }

  private readonly onEvents = (ev: Int32Array, count: number): void => {
    for (let e = 0; e < count && this.texts.size < this.maxTexts; e++) {
      const w = ev[3 * e]!;
      const u = w & 0xffff;
      const kind = ((w >>> 16) & 0x7fff) as Kind;
      this.texts.set(keyString(ev[3 * e + 1]!, ev[3 * e + 2]!), sampleText(kind, w < 0 ? GLOBAL_SITE : this.docSite, this.docText, this.unitFrom[u]!, this.unitTo[u]!));
    }
  };

  /** This model's state for the main thread: its entries in compact arrays (no empty slots), to be moved. */
  toParts(): ModelParts {
    const c = this.counter;
    return {
      params: this.params,
      ...c.entries(),
      sites: [...this.sites].map(([n, i]) => [n, i.docs] as [string, number]),
      docs: this.docs,
      texts: [...this.texts],
      prune: { ...c.prune },
      ...(this.pendingSpills.length > 0 ? { spills: this.pendingSpills } : {}),
      ...(this.spillFailure !== null ? { spillFailed: this.spillFailure } : {}),
    };
  }

  /**
   * Add other models' parts (worker threads' tables, models being merged) into this one. The table is
   * sized once for all of them; each part is released (its slot set to null) once added, so a caller
   * that drops its own references holds one part at a time. With `lastCounts` (see canSkipSingles: a
   * final model whose every count is here, compacted below 2 next) the table keeps only the units of 2 or
   * more documents (Counter64.addCompacted): it does not grow for the rest. `shared`: with lastCounts, the
   * table is made in shared memory for pass 2's threads.
   */
  addParts(parts: (ModelParts | null)[], lastCounts = false, shared = false): void {
    for (const p of parts) {
      assertCompatible(this.params, p!.params);
      this.addTotals(p!);
      for (const [key, t] of p!.texts) this.offerText(key, t);
      if (p!.spills) this.spillRuns.push(...p!.spills);
      if (p!.spillFailed !== undefined) this.spillFailed ??= p!.spillFailed;
    }
    const c = this.counter;
    if (lastCounts) {
      c.addCompacted(parts, 2, shared);
      parts.fill(null);
      return;
    }
    let entries = 0;
    for (const p of parts) for (let i = 0; i < p!.cnt.length; i++) if (p!.cnt[i] !== 0) entries++;
    c.reserve(c.size + entries);
    for (let k = 0; k < parts.length; k++) {
      const p = parts[k]!;
      parts[k] = null;
      for (let i = 0; i < p.cnt.length; i++) {
        const n = p.cnt[i]!;
        if (n !== 0) c.add(p.k1[i]!, p.k2[i]!, n);
      }
    }
  }

  /** Add another model's document totals (per site) and pruning figures. */
  addTotals(o: { sites: [string, number][]; docs: number; prune: PruneInfo }): void {
    for (const [name, docs] of o.sites) {
      const mine = this.sites.get(name);
      if (mine) mine.docs += docs;
      else this.sites.set(name, { docs });
    }
    this.docs += o.docs;
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
    return this.pruned(k, this.counter.dropBelow(k));
  }

  /**
   * pruneBelow for a model that is only read from now on (clean's, before pass 2): the table also shrinks
   * to what is left (Counter64.compactBelow). Not for a model to be saved: its entries' order changes.
   */
  compactBelow(k: number): number {
    if (k <= 1) return 0;
    return this.pruned(k, this.counter.compactBelow(k));
  }

  private pruned(k: number, dropped: number): number {
    const c = this.counter;
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

  /**
   * Whether these threads' parts are the last counts this model takes, all of them in memory: no spill
   * runs to add back, nothing pruned, and the sum held without a spill. Then a unit of one document in
   * the last part, absent from the rest, is one of one document in the whole input.
   */
  canSkipSingles(parts: readonly (ModelParts | null)[]): boolean {
    if (this.pendingSpills.length > 0 || this.spillFailure !== null) return false;
    let entries = this.counter.size;
    for (const p of parts) {
      if (p === null || p.spills !== undefined || p.spillFailed !== undefined || p.prune.events > 0) return false;
      entries += p.cnt.length;
    }
    return this.counter.holdsWithoutDropping(entries);
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
  if (a.dedup !== b.dedup) diffs.push(`duplicate fingerprints ${a.dedup ? 'on' : 'off'} vs ${b.dedup ? 'on' : 'off'}`);
  if (diffs.length > 0) {
    throw new BoilerstripError('E_MODEL_MISMATCH', `models were learned with different settings (${diffs.join('; ')}); their counts cannot be added`);
  }
}
