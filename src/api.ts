/**
 * The library API over records (plain objects): async iterables in, cleaned records out, and Node
 * object-mode stream wrappers for pipelines. The CLI uses the same Model and Stripper with faster I/O.
 *
 *   const model = await learn(records);                 // pass 1
 *   for await (const rec of strip(records, model)) ...  // pass 2
 *   for await (const rec of clean(() => readRecords())) // both (the source is read twice)
 */
import os from 'node:os';
import { Transform, Writable } from 'node:stream';
import { SPILL_FROM } from './counter.js';
import { Model, type LearnOptions } from './model.js';
import { makeSpillDir, removeSpillDir } from './spill.js';
import { DocCleaner, docOf, isDoc, learnRecord } from './doc.js';
import { htmlRecordWithText, resolveFields, setField, type FieldOptions } from './record.js';
import { leastThreshold, resolveStripOptions, Stripper, type Span, type StripOptions } from './strip.js';

export type Rec = Record<string, unknown>;
export type RecordSource = AsyncIterable<Rec> | Iterable<Rec>;

export interface CleanOptions extends FieldOptions, StripOptions, LearnOptions {
  /** Keep the text and add the removed spans under this field. */
  annotate?: string | null;
  /** A record whose every line is chrome: keep it unchanged (default), emit it with empty text, or drop it. */
  onEmpty?: 'keep' | 'empty' | 'drop';
}

/** Pass 1: count the units of every record's text, per site. */
export async function learn(records: RecordSource, opts: CleanOptions = {}, into?: Model): Promise<Model> {
  const fields = resolveFields(opts);
  const model = into ?? new Model(opts);
  for await (const rec of records) {
    learnRecord(model, rec, fields);
  }
  return model;
}

const cleaners = new WeakMap<Stripper, DocCleaner>();

/** Clean one record with a Stripper: a new object (or null when onEmpty is 'drop' and it was all chrome). */
export function cleanRecord(rec: Rec, stripper: Stripper, opts: CleanOptions = {}): Rec | null {
  let c = cleaners.get(stripper);
  if (c === undefined) cleaners.set(stripper, (c = new DocCleaner(stripper)));
  return cleanWith(rec, c, resolveFields(opts), opts);
}

function cleanWith(rec: Rec, cleaner: DocCleaner, fields: ReturnType<typeof resolveFields>, opts: CleanOptions): Rec | null {
  const d = docOf(rec, fields);
  if (!isDoc(d)) return d.html ? withText(rec, fields, '', opts.annotate ? [] : null, opts) : rec;
  const r = cleaner.clean(d);
  let text: string = r.text;
  if (r.emptied) {
    const on = opts.onEmpty ?? 'keep';
    if (on === 'drop') return null;
    if (on === 'keep') text = d.text;
  }
  if (d.html !== null) return withText(rec, fields, opts.annotate ? d.text : text, opts.annotate ? r.spans : null, opts);
  if (!opts.annotate) return setField(rec, fields.textField, text);
  const out: Rec = { ...rec };
  out[opts.annotate] = r.spans as Span[];
  return out;
}

/** An HTML record with its text (record.ts htmlRecordWithText) and, with annotate, its spans. */
function withText(rec: Rec, fields: ReturnType<typeof resolveFields>, text: string, spans: Span[] | null, opts: CleanOptions): Rec {
  const out = htmlRecordWithText(rec, fields, text);
  if (spans !== null && opts.annotate) out[opts.annotate] = spans;
  return out;
}

/** Pass 2: each record with its chrome removed (records without text pass through unchanged). */
export async function* strip(records: RecordSource, model: Model, opts: CleanOptions = {}): AsyncGenerator<Rec> {
  const cleaner = new DocCleaner(new Stripper(model, opts));
  const fields = resolveFields(opts);
  for await (const rec of records) {
    const out = cleanWith(rec, cleaner, fields, opts);
    if (out !== null) yield out;
  }
}

/**
 * Both passes. The source must be readable twice: an array (or other re-iterable), or a function that
 * returns a fresh iterable each time it is called.
 */
export async function* clean(source: Rec[] | Iterable<Rec> | (() => RecordSource), opts: CleanOptions = {}): AsyncGenerator<Rec> {
  const open = typeof source === 'function' ? source : (): RecordSource => source;
  const model = new Model(opts);
  // The model is final: its table spills single-document units to disk from SPILL_FROM slots on, as
  // the CLI's clean does (exact counts in bounded memory; spill.ts).
  const dir = leastThreshold(resolveStripOptions(opts)) >= 2 ? makeSpillDir(os.tmpdir()) : undefined;
  try {
    if (dir !== undefined) model.enableSpill(dir, 'api', SPILL_FROM);
    await learn(open(), opts, model);
    model.finishSpills();
  } finally {
    removeSpillDir(dir);
  }
  yield* strip(open(), model, opts);
}

/** An object-mode Writable that learns from the records written to it; `.model` holds the counts. */
export function learnStream(opts: CleanOptions = {}, model = new Model(opts)): Writable & { model: Model } {
  const fields = resolveFields(opts);
  const w = new Writable({
    objectMode: true,
    write(rec: Rec, _enc, cb) {
      try {
        learnRecord(model, rec, fields);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
  return Object.assign(w, { model });
}

/** An object-mode Transform that cleans each record with a model. */
export function stripStream(model: Model, opts: CleanOptions = {}): Transform {
  const cleaner = new DocCleaner(new Stripper(model, opts));
  const fields = resolveFields(opts);
  return new Transform({
    objectMode: true,
    transform(rec: Rec, _enc, cb) {
      try {
        const out = cleanWith(rec, cleaner, fields, opts);
        if (out === null) cb();
        else cb(null, out);
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}
