/** What a run counts (records, documents, sites, removed units) and the report made of it. */
import type { BadRecord } from './io/input.js';
import type { Model } from './model.js';
import type { TextProblem } from './record.js';
import type { Reason } from './strip.js';
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

/** Removed units of a chunk as a thread sends them (see RunStats.packUnits). */
export interface PackedUnits {
  keys: Float64Array;
  docs: Int32Array;
  first: [number, UnitFigures][];
}

export interface UnitFigures {
  site: string;
  reason: Reason;
  df: number;
  docs: number;
  text: string;
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
  /** Removed units by key (53 bits of the 64-bit key: a report figure, where a rare merge does no harm). */
  readonly units = new Map<number, UnitFigures>();
  unitsUntracked = 0;
  /** Candidates for the report's sample documents (see report/samples.ts). */
  samples: SampleDoc[] = [];
  model: Model | null = null;

  /**
   * Add counts gathered elsewhere (a worker thread's chunk; its removed units come packed, see packUnits).
   * `lineOffset` turns chunk lines into file lines.
   */
  absorb(o: RunStats, lineOffset = 0, units?: PackedUnits): void {
    const nums = ['recordsIn', 'recordsOut', 'rejected', 'dropped', 'cleaned', 'changed', 'emptied', 'fallbackDocs', 'htmlPages', 'copies', 'charsIn', 'charsOut', 'invalidUtf8Lines', 'notDocuments', 'unitsUntracked'] as const;
    for (const k of nums) this[k] += o[k];
    for (const [k, v] of Object.entries(o.rejectedBy)) this.rejectedBy[k] = (this.rejectedBy[k] ?? 0) + v;
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
      const first = new Map(units.first);
      for (let i = 0; i < units.keys.length; i++) {
        const u = first.get(units.keys[i]!);
        this.countUnit(units.keys[i]!, units.docs[i]!, () => u && { ...u });
      }
    }
  }

  /**
   * Count `docs` more documents a unit was removed from. Its figures (text, reason, ...) are made only
   * when the unit is new and there is room (MAX_UNITS); `make` returns undefined when the caller was not
   * given them (a thread sends each unit's figures once: the first time a unit comes, in input order, it
   * carries them).
   */
  countUnit(k: number, docs: number, make: () => UnitFigures | undefined): void {
    const mine = this.units.get(k);
    if (mine) {
      mine.docs += docs;
      return;
    }
    const u = this.units.size < MAX_UNITS ? make() : undefined;
    if (u !== undefined) this.units.set(k, u);
    else this.unitsUntracked++;
  }

  /**
   * A thread's removed units for one chunk, as sent: keys and document counts in typed arrays, full
   * figures only for the units this thread has not sent before (`sent` remembers them).
   */
  static packUnits(units: Map<number, UnitFigures>, sent: Set<number>): PackedUnits {
    const keys = new Float64Array(units.size);
    const docs = new Int32Array(units.size);
    const first: [number, UnitFigures][] = [];
    let i = 0;
    for (const [k, u] of units) {
      keys[i] = k;
      docs[i++] = u.docs;
      if (!sent.has(k)) {
        sent.add(k);
        first.push([k, u]);
      }
    }
    return { keys, docs, first };
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
    const units = [...this.units.values()].sort((a, b) => b.docs - a.docs || b.df - a.df || (a.text < b.text ? -1 : 1));
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
      chars: { in: this.charsIn, out: this.charsOut, removedShare: this.charsIn > 0 ? round((this.charsIn - this.charsOut) / this.charsIn) : 0 },
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
      removedUnits: units.slice(0, 500),
      removedUnitsUntracked: this.unitsUntracked,
      samples: finalSamples(this.samples, (site) => siteRank.get(site) ?? sites.length),
      rejects: this.rejectSamples,
      options,
    };
  }
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
  chars: { in: number; out: number; removedShare: number };
  throughput: { bytesIn: number; learnSeconds: number; stripSeconds: number; mbPerSecond: number | null; analysisCached: boolean | null; analysisCacheOff: string | null };
  model: { docs: number; sites: number; units: number; tableBytes: number; pruning: { events: number; units: number; maxUndercount: number };
    /** The table reached --max-memory and moved its single-document units to disk (spill.ts): runs written, keys moved, units of one document dropped at the end. Null: it held every unit. */
    spill?: { runs: number; spilled: number; singles: number; failed?: string | null } | null;
  } | null;
  sites: (SiteFigures & { site: string })[];
  sitesOmitted: number;
  removedUnits: UnitFigures[];
  removedUnitsUntracked: number;
  /** Up to 20 documents (their text, or its start and the lines around what was removed, with the removed spans) for a before/after view. */
  samples: Omit<SampleDoc, 'key'>[];
  rejects: { file: string; line: number; code: string; message: string }[];
  options: Record<string, unknown>;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
