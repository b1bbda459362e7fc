/** What a run counts (records, documents, sites, removed units) and the report made of it. */
import type { BadRecord } from './io/input.js';
import type { Model } from './model.js';
import type { TextProblem } from './record.js';
import { REASONS, type Reason } from './strip.js';
import { finalSamples, mergeSamples, type SampleDoc } from './report/samples.js';

export interface SiteFigures {
  docs: number;
  changed: number;
  emptied: number;
  charsIn: number;
  charsOut: number;
  fallback: boolean;
  threshold: number;
}

/** Removed units the report tracks; more are counted as untracked. */
const MAX_UNITS = 100_000;

/**
 * Keys of two int32 lanes to dense indexes 0, 1, 2, ... in the order first seen (open addressing): removed
 * units without the boxed 53-bit numbers a Map of them needs per lookup.
 */
export class LaneIndex {
  private slots = new Int32Array(1024).fill(-1);
  k1 = new Int32Array(256);
  k2 = new Int32Array(256);
  size = 0;

  /** The index of (a, b), -1 when absent. */
  find(a: number, b: number): number {
    const mask = this.slots.length - 1;
    for (let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask; ; i = (i + 1) & mask) {
      const e = this.slots[i]!;
      if (e < 0 || (this.k1[e] === a && this.k2[e] === b)) return e;
    }
  }

  /** Add (a, b), which must be absent: its index. */
  add(a: number, b: number): number {
    if (2 * (this.size + 1) > this.slots.length) this.grow();
    const e = this.size++;
    if (e >= this.k1.length) {
      const k1 = new Int32Array(2 * this.k1.length);
      const k2 = new Int32Array(2 * this.k1.length);
      k1.set(this.k1);
      k2.set(this.k2);
      this.k1 = k1;
      this.k2 = k2;
    }
    this.k1[e] = a;
    this.k2[e] = b;
    this.place(e);
    return e;
  }

  clear(): void {
    if (this.size > 0) this.slots.fill(-1);
    this.size = 0;
  }

  private place(e: number): void {
    const mask = this.slots.length - 1;
    let i = (this.k1[e]! ^ Math.imul(this.k2[e]!, 0x9e3779b1)) & mask;
    while (this.slots[i]! >= 0) i = (i + 1) & mask;
    this.slots[i] = e;
  }

  private grow(): void {
    this.slots = new Int32Array(2 * this.slots.length).fill(-1);
    for (let e = 0; e < this.size; e++) this.place(e);
  }
}

/**
 * Removed units of a chunk as a thread sends them (see RunStats.takeUnits): key lanes (k1, k2 >>> 11) and
 * removals per unit, and the figures of those the thread sends for the first time (by index here).
 */
export interface PackedUnits {
  a: Int32Array;
  b: Int32Array;
  removals: Int32Array;
  first: [number, UnitFigures][];
}

/**
 * A unit removed from the documents of one site. A unit judged by the corpus-wide counts (a small site's)
 * is tallied per site too, each site with its own removals, its `df` the corpus-wide one.
 */
export interface UnitFigures {
  site: string;
  reason: Reason;
  /** Whose counts judged it: the site's own, or the corpus-wide ones (sites under --min-site-docs). */
  scope: 'site' | 'corpus';
  /** Documents with the unit as the model counted them: of the site (scope site), of the corpus (scope corpus). */
  df: number;
  /** What `df` is out of: the model's documents of the site (scope site), or all the model's documents (scope corpus). */
  of: number;
  /** Times it was removed from this site's documents in this run (a unit can occur more than once in a document). */
  removals: number;
  text: string;
}

/**
 * The lanes a corpus-wide unit key is tallied by in one site: the key mixed with the site's key, so each
 * site that removed it has its own tally (53 bits of the mix, as of any key: a rare merge does no harm).
 */
export function corpusUnitLanes(k1: number, k2: number, s1: number, s2: number, out: Int32Array): void {
  let a = Math.imul(k1 ^ s1, 0x85ebca6b) ^ s2;
  a ^= a >>> 13;
  let b = Math.imul(k2 ^ s2, 0xc2b2ae35) ^ Math.imul(s1, 0x27d4eb2f);
  b ^= b >>> 16;
  out[0] = Math.imul(a ^ b, 0x9e3779b1);
  out[1] = b;
}

/** Removed units a report lists. */
const REPORT_UNITS = 500;

/**
 * The `k` units removed most often (then by df, text, site), in that order. Only those with at least the
 * k-th largest removal count can be among them: they alone are sorted (sorting all of up to MAX_UNITS
 * figures by text took 0.2 s of a --report run).
 */
function topUnits(all: readonly UnitFigures[], k: number): UnitFigures[] {
  let least = 0;
  if (all.length > k) {
    const removals = Float64Array.from(all, (u) => u.removals).sort();
    least = removals[removals.length - k]!;
  }
  return all
    .filter((u) => u.removals >= least)
    .sort((a, b) => b.removals - a.removals || b.df - a.df || cmpStr(a.text, b.text) || cmpStr(a.site, b.site))
    .slice(0, k);
}

/** Everything counted in a run; `report()` is what --report writes. */
export class RunStats {
  recordsIn = 0;
  recordsOut = 0;
  rejected = 0;
  dropped = 0;
  rejectedBy: Record<string, number> = {};
  rejectSamples: { file: string; line: number; code: string; message: string }[] = [];
  passedThrough: Record<TextProblem, number> = { missing: 0, null: 0, 'not-string': 0, empty: 0 };
  cleaned = 0;
  changed = 0;
  emptied = 0;
  fallbackDocs = 0;
  /** Documents that were HTML pages (judged block by block). */
  htmlPages = 0;
  /** Documents with other copies in the input (a page scraped twice, a wire story on several sites). */
  copies = 0;
  charsIn = 0;
  charsOut = 0;
  /** Characters removed from the documents written changed (or dropped: --on-empty drop), by the reason of their span (with --report). */
  removedByReason: Partial<Record<Reason, number>> = {};
  invalidUtf8Lines = 0;
  /** WARC records that are no document (requests, metadata, non-HTML responses): read past, not records. */
  notDocuments = 0;
  bytesIn = 0;
  learnSeconds = 0;
  stripSeconds = 0;
  /** clean kept pass 1's analyses for pass 2 (null: not a clean run). */
  analysisCached: boolean | null = null;
  /** Why clean ran without the analysis cache though it was on (no room, a failed write). */
  analysisCacheOff: string | null = null;
  readonly sites = new Map<string, SiteFigures>();
  /**
   * Removed units by key, in the order first seen: lanes k1 and k2 >>> 11, 53 bits of the 64-bit key (a
   * report figure, where a rare merge does no harm). Typed lanes, not a Map of 53-bit numbers: each
   * lookup of those boxed a number (a third of --report's cost).
   */
  private unitIndex: LaneIndex | null = null;
  private readonly unitFigures: UnitFigures[] = [];
  unitsUntracked = 0;
  /** Candidates for the report's sample documents (see report/samples.ts). */
  samples: SampleDoc[] = [];
  model: Model | null = null;

  /**
   * Add counts gathered elsewhere (a worker thread's chunk; its removed units come packed, see takeUnits).
   * `lineOffset` turns chunk lines into file lines.
   */
  absorb(o: RunStats, lineOffset = 0, units?: PackedUnits): void {
    const nums = ['recordsIn', 'recordsOut', 'rejected', 'dropped', 'cleaned', 'changed', 'emptied', 'fallbackDocs', 'htmlPages', 'copies', 'charsIn', 'charsOut', 'invalidUtf8Lines', 'notDocuments', 'unitsUntracked'] as const;
    for (const k of nums) this[k] += o[k];
    for (const [k, v] of Object.entries(o.rejectedBy)) this.rejectedBy[k] = (this.rejectedBy[k] ?? 0) + v;
    for (const [k, v] of Object.entries(o.removedByReason) as [Reason, number][]) this.removedByReason[k] = (this.removedByReason[k] ?? 0) + v;
    for (const r of o.rejectSamples) if (this.rejectSamples.length < 100) this.rejectSamples.push({ ...r, line: r.line + lineOffset });
    for (const k of Object.keys(o.passedThrough) as TextProblem[]) this.passedThrough[k] += o.passedThrough[k];
    for (const [site, f] of o.sites) {
      const mine = this.sites.get(site);
      if (!mine) this.sites.set(site, { ...f });
      else {
        mine.docs += f.docs;
        mine.changed += f.changed;
        mine.emptied += f.emptied;
        mine.charsIn += f.charsIn;
        mine.charsOut += f.charsOut;
      }
    }
    this.samples = mergeSamples(this.samples, o.samples);
    if (units) {
      let f = 0;
      for (let i = 0; i < units.a.length; i++) {
        // (`first` is in index order.)
        const u = f < units.first.length && units.first[f]![0] === i ? units.first[f++]![1] : undefined;
        if (this.countLanes(units.a[i]!, units.b[i]!, units.removals[i]!)) continue;
        if (u !== undefined) this.addLanes(units.a[i]!, units.b[i]!, { ...u });
        else this.unitsUntracked += units.removals[i]!;
      }
    }
  }

  /** Unit (k1, k2) (its 64-bit key, or a site's lanes of a corpus-wide key) was removed once more; `make` gives its figures when it is new. */
  removedUnit(k1: number, k2: number, make: () => UnitFigures): void {
    if (!this.removal(k1, k2)) this.newUnit(k1, k2, make());
  }

  /**
   * removedUnit without a function to call, for the run's many removals: unit (k1, k2) was removed once
   * more. False when it is new and there is room for it: the caller gives its figures (newUnit).
   */
  removal(k1: number, k2: number): boolean {
    return this.countLanes(k1, k2 >>> 11, 1);
  }

  /** A new unit's figures (after removal said false). */
  newUnit(k1: number, k2: number, u: UnitFigures): void {
    this.addLanes(k1, k2 >>> 11, u);
  }

  /**
   * Count `removals` more removals of a unit by its lanes: true when counted (or, new and with no room left
   * past MAX_UNITS, counted as untracked); false when it is new and there is room (addLanes takes it).
   */
  private countLanes(a: number, b: number, removals: number): boolean {
    const ix = (this.unitIndex ??= new LaneIndex());
    const e = ix.find(a, b);
    if (e >= 0) {
      this.unitFigures[e]!.removals += removals;
      return true;
    }
    if (ix.size < MAX_UNITS) return false;
    this.unitsUntracked += removals;
    return true;
  }

  private addLanes(a: number, b: number, u: UnitFigures): void {
    this.unitIndex!.add(a, b);
    this.unitFigures.push(u);
  }

  /**
   * A thread's removed units of one chunk, as sent, taken out of these stats (which then go by structured
   * clone without them): key lanes and removal counts in typed arrays, full figures only for the units
   * this thread has not sent before (`sent` remembers them). Undefined when none were removed.
   */
  takeUnits(sent: LaneIndex): PackedUnits | undefined {
    const ix = this.unitIndex;
    if (ix === null || ix.size === 0) return undefined;
    const n = ix.size;
    const a = ix.k1.slice(0, n);
    const b = ix.k2.slice(0, n);
    const removals = new Int32Array(n);
    const first: [number, UnitFigures][] = [];
    for (let e = 0; e < n; e++) {
      const u = this.unitFigures[e]!;
      removals[e] = u.removals;
      if (sent.find(a[e]!, b[e]!) >= 0) continue;
      sent.add(a[e]!, b[e]!);
      first.push([e, u]);
    }
    this.unitIndex = null;
    this.unitFigures.length = 0;
    return { a, b, removals, first };
  }

  reject(b: BadRecord): void {
    this.rejected++;
    this.rejectedBy[b.code] = (this.rejectedBy[b.code] ?? 0) + 1;
    if (this.rejectSamples.length < 100) this.rejectSamples.push({ file: b.file, line: b.line, code: b.code, message: b.message });
  }

  /** records in = records out + rejected + dropped: nothing is lost without being counted. */
  get balanced(): boolean {
    return this.recordsIn === this.recordsOut + this.rejected + this.dropped;
  }

  report(options: Record<string, unknown> = {}): RunReport {
    const m = this.model;
    const sites = [...this.sites].sort((a, b) => b[1].docs - a[1].docs || (a[0] < b[0] ? -1 : 1));
    const units = topUnits(this.unitFigures, REPORT_UNITS);
    const secs = this.learnSeconds + this.stripSeconds;
    const siteRank = new Map(sites.map(([site], i) => [site, i]));
    return {
      records: {
        in: this.recordsIn,
        out: this.recordsOut,
        rejected: this.rejected,
        dropped: this.dropped,
        balanced: this.balanced,
        rejectedBy: this.rejectedBy,
        passedThrough: this.passedThrough,
        invalidUtf8Lines: this.invalidUtf8Lines,
        warcNotDocuments: this.notDocuments,
      },
      docs: { cleaned: this.cleaned, changed: this.changed, emptied: this.emptied, judgedByCorpusCounts: this.fallbackDocs, withCopies: this.copies, htmlPages: this.htmlPages },
      chars: {
        in: this.charsIn,
        out: this.charsOut,
        removedShare: this.charsIn > 0 ? round((this.charsIn - this.charsOut) / this.charsIn) : 0,
        removedByReason: Object.fromEntries(REASONS.filter((k) => (this.removedByReason[k] ?? 0) > 0).map((k) => [k, this.removedByReason[k]!])),
      },
      throughput: { bytesIn: this.bytesIn, learnSeconds: round(this.learnSeconds), stripSeconds: round(this.stripSeconds), mbPerSecond: secs > 0 ? round(this.bytesIn / 1e6 / secs) : null, analysisCached: this.analysisCached, analysisCacheOff: this.analysisCacheOff },
      model: m
        ? {
            docs: m.docs,
            sites: m.sites.size,
            units: m.counter.size,
            tableBytes: m.counter.bytes,
            pruning: m.prune,
            spill: m.spilled,
          }
        : null,
      sites: sites.slice(0, 1000).map(([site, f]) => ({ site, ...f })),
      sitesOmitted: Math.max(0, sites.length - 1000),
      removedUnits: units,
      removedUnitsUntracked: this.unitsUntracked,
      samples: finalSamples(this.samples, (site) => siteRank.get(site) ?? sites.length),
      rejects: this.rejectSamples,
      options,
    };
  }
}

/** A removed unit in a report of an older build: `docs` was the removals; its df's denominator was not said. */
export interface OldUnitFigures {
  site: string;
  reason: Reason;
  df: number;
  docs: number;
  text: string;
  scope?: undefined;
  of?: undefined;
  removals?: undefined;
}

/** What --report writes (JSON) and `boilerstrip report` reads. */
export interface RunReport {
  records: {
    in: number;
    out: number;
    rejected: number;
    dropped: number;
    balanced: boolean;
    rejectedBy: Record<string, number>;
    passedThrough: Record<TextProblem, number>;
    invalidUtf8Lines: number;
    /** WARC records that are no document (requests, metadata, non-HTML responses). */
    warcNotDocuments?: number;
  };
  docs: { cleaned: number; changed: number; emptied: number; judgedByCorpusCounts: number; withCopies: number; htmlPages?: number };
  /** removedByReason: characters removed, by span reason (absent from reports of older builds). */
  chars: { in: number; out: number; removedShare: number; removedByReason?: Partial<Record<Reason, number>> };
  throughput: { bytesIn: number; learnSeconds: number; stripSeconds: number; mbPerSecond: number | null; analysisCached: boolean | null; analysisCacheOff: string | null };
  model: { docs: number; sites: number; units: number; tableBytes: number; pruning: { events: number; units: number; maxUndercount: number };
    /** The table reached --max-memory and moved its single-document units to disk (spill.ts): runs written, keys moved, units of one document dropped at the end. Null: it held every unit. */
    spill?: { runs: number; spilled: number; singles: number; failed?: string | null } | null;
  } | null;
  sites: (SiteFigures & { site: string })[];
  sitesOmitted: number;
  /** Reports of builds before the site/corpus split have `docs` (the removals), no `scope`, no `of`. */
  removedUnits: (UnitFigures | OldUnitFigures)[];
  removedUnitsUntracked: number;
  /** Up to 20 documents (their text, or its start and the lines around what was removed, with the removed spans) for a before/after view. */
  samples: Omit<SampleDoc, 'key'>[];
  rejects: { file: string; line: number; code: string; message: string }[];
  options: Record<string, unknown>;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
