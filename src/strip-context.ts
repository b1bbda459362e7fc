/** Pass 2 over batches of records, the same on the main thread and in worker threads. */
import { isBad, type BadRecord, type RawRecord, type ReadItem } from './io/input.js';
import type { CleanRow } from './io/output.js';
import type { Model } from './model.js';
import { resolveFields, siteOfRecord, spliceRecord, stringifyTyped, textOf } from './record.js';
import type { OnEmpty, RunOptions } from './run-options.js';
import type { RunStats } from './stats.js';
import { Stripper } from './strip.js';

/** Pass-2 state over batches of records: one per thread. */
export class StripContext {
  readonly fields: ReturnType<typeof resolveFields>;
  readonly skip: boolean;
  readonly onEmpty: OnEmpty;
  readonly annotate: string | null;
  readonly stripper: Stripper;
  readonly collect: boolean;
  constructor(
    readonly model: Model,
    opts: RunOptions,
    readonly stats: RunStats,
  ) {
    this.fields = resolveFields(opts);
    this.skip = opts.onError === 'skip';
    this.onEmpty = opts.onEmpty ?? 'keep';
    this.annotate = opts.annotate ?? null;
    this.stripper = new Stripper(model, opts);
    this.collect = opts.collectReport ?? false;
    if (this.collect) this.stripper.removedUnits = [];
  }

  /**
   * Clean a batch: output lines go to `out`, rejected raw lines to `rejects`. In fail mode the first bad
   * record stops the batch and is returned (the caller raises it, knowing the absolute line). With `rows`
   * (a row sink: Parquet), kept records go there with their new text instead of becoming lines.
   */
  batch(items: ReadItem[], out: string[], rejects: string[] | null, rows: CleanRow[] | null = null): BadRecord | null {
    const stats = this.stats;
    for (const r of items) {
      stats.recordsIn++;
      if (isBad(r)) {
        if (!this.skip) {
          stats.recordsIn--;
          return r;
        }
        stats.reject(r);
        if (rejects && r.raw !== null) rejects.push(r.raw + '\n');
        continue;
      }
      const line = processRecord(r, this.stripper, this.fields, this.onEmpty, this.annotate, stats, this.collect, rows);
      if (line === null) continue;
      stats.recordsOut++;
      if (rows === null) out.push(line, '\n'); // (no copy of the line to append its newline)
    }
    return null;
  }
}

function processRecord(
  r: RawRecord,
  stripper: Stripper,
  fields: ReturnType<typeof resolveFields>,
  onEmpty: OnEmpty,
  annotate: string | null,
  stats: RunStats,
  collect: boolean,
  rows: CleanRow[] | null,
): string | null {
  const v = r.value as Record<string, unknown>;
  const t = textOf(v, fields);
  if (typeof t !== 'string') {
    stats.passedThrough[t.problem]++;
    if (rows !== null) {
      rows.push({ record: r, text: null, spans: null });
      return '';
    }
    return r.raw ?? (r.format === 'parquet' ? stringifyTyped(v) : JSON.stringify(v));
  }
  const site = siteOfRecord(v, fields);
  const res = stripper.strip(t, site);
  stats.cleaned++;
  if (res.fallback) stats.fallbackDocs++;
  if (res.copies > 1) stats.copies++;
  let newText: string | null = res.spans.length > 0 ? res.text : null;
  if (res.emptied) {
    stats.emptied++;
    if (onEmpty === 'drop') {
      stats.dropped++;
      return null;
    }
    if (onEmpty === 'keep') newText = null;
  }
  if (newText !== null) stats.changed++;
  const outText = newText ?? t;
  stats.charsIn += t.length;
  stats.charsOut += outText.length;
  if (collect) {
    let f = stats.sites.get(site);
    if (f === undefined) {
      const th = stripper.thresholds(site);
      f = { docs: 0, changed: 0, emptied: 0, charsIn: 0, charsOut: 0, fallback: th.fallback, threshold: th.t };
      stats.sites.set(site, f);
    }
    f.docs++;
    if (newText !== null) f.changed++;
    if (res.emptied) f.emptied++;
    f.charsIn += t.length;
    f.charsOut += outText.length;
    for (const u of stripper.removedUnits!) {
      stats.countUnit((u.k1 >>> 0) * 2097152 + (u.k2 >>> 11), 1, () => ({ site, reason: u.reason, df: u.df, docs: 1, text: t.slice(u.start, Math.min(u.end, u.start + 200)) }));
    }
  }
  if (annotate !== null) newText = null; // annotate keeps the text
  if (rows !== null) {
    rows.push({ record: r, text: newText, spans: annotate !== null ? res.spans : null });
    return '';
  }
  const ann = annotate !== null ? { field: annotate, json: JSON.stringify(res.spans) } : null;
  if (r.raw !== null) return newText === null && ann === null ? r.raw : spliceRecord(r.raw, fields.textField, newText, ann);
  const out: Record<string, unknown> = { ...v };
  if (newText !== null) out[fields.textField] = newText;
  if (ann !== null) out[ann.field] = res.spans;
  return r.format === 'parquet' ? stringifyTyped(out) : JSON.stringify(out);
}
