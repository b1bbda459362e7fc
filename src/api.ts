/**
 * The library API over records (plain objects): async iterables in, cleaned records out, and Node
 * object-mode stream wrappers for pipelines. The CLI uses the same Model and Stripper with faster I/O.
 *
 *   const model = await learn(records);                 // pass 1
 *   for await (const rec of strip(records, model)) ...  // pass 2
 *   for await (const rec of clean(() => readRecords())) // both (the source is read twice)
 */
import { Transform, Writable } from 'node:stream';
import { SPILL_FROM } from './counter.js';
import { Model, type LearnOptions } from './model.js';
import { removeSpillDir, spillDirFor } from './spill.js';
import { DocCleaner, docOf, isDoc, learnRecord } from './doc.js';
import { BoilerstripError } from './errors.js';
import { maxMemoryProblem, ON_EMPTY, type OnEmpty } from './run-options.js';
import { getField, htmlRecordWithText, resolveFields, setField, type FieldOptions, type ResolvedFields } from './record.js';
import { leastThreshold, resolveStripOptions, Stripper, type Span, type StripOptions } from './strip.js';

export type Rec = Record<string, unknown>;
export type RecordSource = AsyncIterable<Rec> | Iterable<Rec>;

export interface CleanOptions extends FieldOptions, StripOptions, LearnOptions {
  /** Keep the text and add the removed spans under this field. */
  annotate?: string | null;
  /** A record whose every line is chrome: keep it unchanged (default), emit it with empty text, or drop it. */
  onEmpty?: 'keep' | 'empty' | 'drop';
}

/**
 * Pass 1: count the units of every record's text, per site. As the CLI's learn does, a table that
 * reaches maxMemory spills its single-document units to a directory in os.tmpdir() (removed before this
 * returns) instead of pruning them (spill.ts); with a threshold of 1 (minDocs 1, ...) it prunes.
 */
export async function learn(records: RecordSource, opts: CleanOptions = {}, into?: Model): Promise<Model> {
  const fields = checkOptions(opts);
  const model = into ?? new Model(opts);
  await learnInto(records, fields, model, opts, Infinity);
  return model;
}

/** Count `records` into `model`, its table spilling past maxMemory (from `spillFrom` slots on) as the CLI's does. */
async function learnInto(records: RecordSource, fields: ResolvedFields, model: Model, opts: CleanOptions, spillFrom: number): Promise<void> {
  const dir = spillDirFor(leastThreshold(resolveStripOptions(opts)));
  try {
    if (dir !== undefined) model.enableSpill(dir, 'api', spillFrom);
    let n = 0;
    for await (const rec of records) learnRecord(model, recordAt(rec, n++), fields);
    model.finishSpills();
  } finally {
    removeSpillDir(dir);
  }
}

/**
 * The one check of the options every entry point makes (learn, strip, clean, cleanRecord, learnStream,
 * stripStream): the strip thresholds' ranges (strip.ts), onEmpty, maxMemory (the CLI's own check), the
 * field names (record.ts) and annotate. A value out of place is an E_OPTION error naming the option and
 * the value, not a silent default. Returns the fields resolved.
 */
function checkOptions(opts: CleanOptions): ResolvedFields {
  if (opts === null || typeof opts !== 'object') throw new BoilerstripError('E_OPTION', `options must be an object (got ${shown(opts)})`);
  resolveStripOptions(opts);
  const fields = resolveFields(opts);
  const on: unknown = opts.onEmpty;
  if (on !== undefined && !ON_EMPTY.includes(on as OnEmpty)) throw new BoilerstripError('E_OPTION', `option onEmpty must be 'keep', 'empty' or 'drop' (got ${shown(on)})`);
  if (opts.maxMemory !== undefined) {
    const why = maxMemoryProblem(opts.maxMemory);
    if (why !== null) throw new BoilerstripError('E_OPTION', `option maxMemory ${why} (got ${shown(opts.maxMemory)})`);
  }
  const ann: unknown = opts.annotate;
  if (ann !== undefined && ann !== null && typeof ann !== 'string') throw new BoilerstripError('E_OPTION', `option annotate must be a field name (got ${shown(ann)})`);
  if (ann === fields.textField) throw new BoilerstripError('E_OPTION', `option annotate must be a field other than textField (both are ${shown(ann)})`);
  return fields;
}

/** A value as an error message shows it. */
function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'an array' : String(v);
}

/** A record (the `n`th of its source, when counted) that is an object, or an E_RECORD error saying what it is. */
function recordAt(rec: unknown, n?: number): Rec {
  if (rec !== null && typeof rec === 'object' && !Array.isArray(rec)) return rec as Rec;
  throw new BoilerstripError('E_RECORD', `record${n === undefined ? '' : ` ${n}`} is ${Array.isArray(rec) ? 'an array' : rec === null ? 'null' : `a ${typeof rec}`}, not an object`);
}

const cleaners = new WeakMap<Stripper, DocCleaner>();

/** Clean one record with a Stripper: a new object (or null when onEmpty is 'drop' and it was all chrome). */
export function cleanRecord(rec: Rec, stripper: Stripper, opts: CleanOptions = {}): Rec | null {
  const fields = checkOptions(opts);
  const r = recordAt(rec);
  let c = cleaners.get(stripper);
  if (c === undefined) cleaners.set(stripper, (c = new DocCleaner(stripper)));
  return cleanWith(r, c, fields, opts);
}

function cleanWith(rec: Rec, cleaner: DocCleaner, fields: ResolvedFields, opts: CleanOptions): Rec | null {
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
function withText(rec: Rec, fields: ResolvedFields, text: string, spans: Span[] | null, opts: CleanOptions): Rec {
  const out = htmlRecordWithText(rec, fields, text);
  if (spans !== null && opts.annotate) out[opts.annotate] = spans;
  return out;
}

/** Pass 2: each record with its chrome removed (records without text pass through unchanged). */
export async function* strip(records: RecordSource, model: Model, opts: CleanOptions = {}): AsyncGenerator<Rec> {
  const fields = checkOptions(opts);
  const cleaner = new DocCleaner(new Stripper(model, opts));
  let n = 0;
  for await (const rec of records) {
    const out = cleanWith(recordAt(rec, n++), cleaner, fields, opts);
    if (out !== null) yield out;
  }
}

/**
 * Both passes. The source must be readable twice: an array (or other re-iterable), or a function that
 * returns a fresh iterable each time it is called. Pass 2 checks each record against pass 1's before its
 * output is yielded (SameSource): a source that gives other records, or more, the second time is refused
 * at the first record that differs; one that gives fewer, when it ends.
 */
export async function* clean(source: Rec[] | Iterable<Rec> | (() => RecordSource), opts: CleanOptions = {}): AsyncGenerator<Rec> {
  if (typeof source !== 'function' && readOnce(source)) {
    throw new BoilerstripError('E_OPTION', 'clean reads its source twice, and this one can be read once (a generator or an iterator): pass an array, or a function that returns a fresh iterable each time (clean(() => readRecords()))');
  }
  const fields = checkOptions(opts);
  const open = typeof source === 'function' ? source : (): RecordSource => source;
  const same = new SameSource(fields);
  const model = new Model(opts);
  // The model is final: its table spills single-document units to disk from SPILL_FROM slots on, as
  // the CLI's clean does (exact counts in bounded memory; spill.ts).
  await learnInto(same.first(open()), fields, model, opts, SPILL_FROM);
  yield* strip(same.second(open()), model, opts);
}

/**
 * clean's check that its source gives the same records to both passes: a 32-bit hash of each record's
 * fields that pass 1 reads (text, HTML, URL, site; recordHash) is kept in pass 1 (4 bytes a record) and
 * compared in pass 2 before the record goes on to be cleaned.
 */
class SameSource {
  private hashes = new Uint32Array(1024);
  private count = 0;

  constructor(private readonly fields: ResolvedFields) {}

  async *first(source: RecordSource): AsyncGenerator<Rec> {
    for await (const rec of source) {
      if (this.count === this.hashes.length) {
        const grown = new Uint32Array(this.hashes.length * 2);
        grown.set(this.hashes);
        this.hashes = grown;
      }
      this.hashes[this.count++] = recordHash(rec, this.fields);
      yield rec;
    }
  }

  async *second(source: RecordSource): AsyncGenerator<Rec> {
    let n = 0;
    for await (const rec of source) {
      if (n === this.count) throw this.refusal(`gave ${this.count} records to the first pass and more to the second (record ${n} is one too many)`);
      if (recordHash(rec, this.fields) !== this.hashes[n]) throw this.refusal(`gave other records the second time: record ${n} of the second pass is not record ${n} of the first (its text, HTML, URL or site differ)`);
      n++;
      yield rec;
    }
    if (n !== this.count) throw this.refusal(`gave ${this.count} records to the first pass and ${n} to the second`);
  }

  private refusal(what: string): BoilerstripError {
    return new BoilerstripError('E_OPTION', `clean's source ${what}: it must give the same records each time it is read`);
  }
}

/** A 32-bit hash (FNV-1a over UTF-16 code units) of the fields of a record that pass 1 reads. */
function recordHash(rec: unknown, f: ResolvedFields): number {
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) return 0; // (learn refuses it)
  let h = 0x811c9dc5;
  for (const name of [f.textField, f.htmlField, f.urlField, f.siteField]) {
    const v = name === undefined ? undefined : getField(rec as Rec, name);
    if (typeof v === 'string') {
      for (let i = 0; i < v.length; i++) h = Math.imul(h ^ v.charCodeAt(i), 0x01000193);
      h = Math.imul(h ^ 0x10000, 0x01000193); // (past every code unit: "ab"+"c" is not "a"+"bc")
    } else h = Math.imul(h ^ (v === undefined ? 0x10001 : v === null ? 0x10002 : 0x10003), 0x01000193);
  }
  return h >>> 0;
}

/** An iterable that is its own iterator (a generator, an iterator): a second loop over it finds nothing. */
function readOnce(source: unknown): boolean {
  const s = source as { [Symbol.iterator]?: () => unknown; [Symbol.asyncIterator]?: () => unknown };
  const it = typeof s[Symbol.asyncIterator] === 'function' ? s[Symbol.asyncIterator]!() : typeof s[Symbol.iterator] === 'function' ? s[Symbol.iterator]!() : null;
  return it === source;
}

/**
 * An object-mode Writable that learns from the records written to it; `.model` holds the counts once
 * it has finished. A full table spills as learn's does (the runs are added back when the stream ends).
 */
export function learnStream(opts: CleanOptions = {}, into?: Model): Writable & { model: Model } {
  const fields = checkOptions(opts);
  const model = into ?? new Model(opts);
  const dir = spillDirFor(leastThreshold(resolveStripOptions(opts)));
  if (dir !== undefined) model.enableSpill(dir, 'api', Infinity);
  let n = 0;
  const w = new Writable({
    objectMode: true,
    write(rec: Rec, _enc, cb) {
      try {
        learnRecord(model, recordAt(rec, n++), fields);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    final(cb) {
      try {
        model.finishSpills();
        cb();
      } catch (e) {
        cb(e as Error);
      } finally {
        removeSpillDir(dir);
      }
    },
    destroy(err, cb) {
      removeSpillDir(dir);
      cb(err);
    },
  });
  return Object.assign(w, { model });
}

/** An object-mode Transform that cleans each record with a model. */
export function stripStream(model: Model, opts: CleanOptions = {}): Transform {
  const fields = checkOptions(opts);
  const cleaner = new DocCleaner(new Stripper(model, opts));
  let n = 0;
  return new Transform({
    objectMode: true,
    transform(rec: Rec, _enc, cb) {
      try {
        const out = cleanWith(recordAt(rec, n++), cleaner, fields, opts);
        if (out === null) cb();
        else cb(null, out);
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}
