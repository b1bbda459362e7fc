/**
 * The commands behind the command line (main.ts registers them with yargs; serve.ts calls learn and strip
 * request by request): option checks (all of them, before the first byte is read), then the runs in
 * ../run.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import yargs, { type Argv } from 'yargs';
import { BoilerstripError, printable } from '../errors.js';
import { chromeUnits } from '../inspect.js';
import { codecFor, compressionOf, FileSink, PartialFile, StreamSink, writePath, type Compression, type OutputKind, type Sink } from '../io/output.js';
import type { ParquetCodec } from '../io/parquet.js';
import { loadModel, mergeModelFiles, saveModel } from '../store.js';
import { STRIP_DEFAULTS, STRIP_OPTION_RANGES, type ResolvedStripOptions } from '../strip.js';
import { maxMemoryProblem, ON_EMPTY } from '../run-options.js';
import { reportHtml } from '../report/html.js';
import type { RunReport } from '../stats.js';
import type { Model } from '../model.js';
import { hostOf } from '../site.js';
import type { InputSource } from '../io/input.js';
import type { SideStore } from '../side.js';
import { ProgressBar } from './progress.js';
import { cleanSources, learnSources, prepareSources, RunStats, stripSources, inputBytes, type RunOptions } from '../run.js';

/** Parquet output's codec unless --compress says otherwise (see README: Parquet). */
const PARQUET_CODEC: ParquetCodec = 'snappy';

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3, t: 1e12, tb: 1e12, tib: 1024 ** 4 };

/** "512MB", "1GiB", "300m", "1048576" to bytes. */
export function parseSize(s: string | number, option: string): number {
  if (typeof s === 'number') return s;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(s);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new BoilerstripError('E_OPTION', `--${option}: "${s}" is not a size (try 512MB or 1GiB)`);
  return Math.round(Number(m[1]) * unit);
}

/** An output named *.parquet is written as Parquet. */
export function isParquetName(f: string): boolean {
  return f.toLowerCase().endsWith('.parquet');
}

export function fail(msg: string): never {
  throw new BoilerstripError('E_OPTION', msg);
}

export interface CommonArgs {
  _: (string | number)[];
  input?: string[];
  output?: string;
  compress?: string;
  quiet?: boolean;
  'text-field': string;
  'id-field'?: string;
  'url-field'?: string;
  'site-field'?: string;
  'html-field'?: string;
  'keep-html': boolean;
  format: string;
  'min-docs': number;
  'min-ratio': number;
  'min-site-docs': number;
  'template-ratio': number;
  'template-min-docs': number;
  'chain-ratio': number;
  'max-memory': string;
  'max-doc-bytes': string;
  'on-error': string;
  rejects?: string;
  annotate?: string | boolean;
  'on-empty': string;
  report?: string;
  attributes?: string;
  'report-html'?: string;
  templates: boolean;
  fallback: boolean;
  dedup: boolean;
  threads?: number;
  model?: string;
  'tmp-dir'?: string;
  'cache-analysis'?: boolean;
}

export function intIn(v: unknown, name: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) fail(`--${name} must be a whole number from ${lo} to ${hi} (got ${shown(v)})`);
  return v;
}

export function numIn(v: unknown, name: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v < lo || v > hi) fail(`--${name} must be a number from ${lo} to ${hi} (got ${shown(v)})`);
  return v;
}

/** A strip option checked against the range the library checks it against (strip.ts), named as the flag. */
function stripOption(v: unknown, name: keyof ResolvedStripOptions, flag: string): number {
  const [lo, hi, whole] = STRIP_OPTION_RANGES[name];
  return whole ? intIn(v, flag, lo, hi) : numIn(v, flag, lo, hi);
}

/** A file size for a message: kB under a megabyte (a small model is not "0.0 MB"). */
function sizeOf(bytes: number): string {
  return bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A value as a message shows it (yargs makes a number option that is not a number NaN). */
function shown(v: unknown): string {
  return typeof v === 'number' && Number.isNaN(v) ? 'something that is not a number' : typeof v === 'string' ? `the string ${JSON.stringify(v)}` : String(v);
}

/** --tmp-dir must be a directory this process can write in (the stdin spool, the analysis cache and the spills go there). */
function checkTmpDir(dir: string): void {
  let why: string | null = null;
  try {
    if (!fs.statSync(dir).isDirectory()) why = 'is not a directory';
    else fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'is not writable' : (e as Error).message;
  }
  if (why !== null) fail(`--tmp-dir ${dir} ${why}`);
}

/**
 * A path as it resolves: the file a write lands on (writePath: links followed, a dangling one to the file
 * it would create), so two names of one file, through a link or not, compare equal.
 */
function realPath(f: string): string {
  try {
    return writePath(f);
  } catch {
    return path.resolve(f);
  }
}

/**
 * The files a run writes, checked before the first byte is read: no two of them the same file, none of
 * them an input (only -o may be: it is written whole after its input is read), none a directory, and each
 * one creatable where it is to go (a probe file, removed at once: the same message as at the end of a run).
 * Before this, a report over an input replaced it, --rejects over -o left only the rejects, and a report
 * that could not be written failed the run after the work was done.
 */
export function checkOutputs(a: CommonArgs, command: 'clean' | 'learn' | 'strip'): void {
  const outs: [flag: string, file: string, what: OutputKind][] = [];
  if (a.output !== undefined && a.output !== '-') outs.push(['--output', a.output, 'output']);
  if (command === 'learn' && a.model) outs.push(['--model', a.model, 'model']);
  if (a.report !== undefined) outs.push(['--report', a.report, 'report']);
  if (a['report-html'] !== undefined) outs.push(['--report-html', a['report-html'], 'report']);
  if (a.rejects !== undefined) outs.push(['--rejects', a.rejects, 'rejects']);
  const seen = new Map<string, string>();
  const inputs = new Set((a.input ?? []).filter((f) => f !== '-').map(realPath));
  if (command === 'strip' && a.model) inputs.add(realPath(a.model));
  const attrDir = a.attributes !== undefined ? realPath(a.attributes) : null;
  for (const [flag, file, what] of outs) {
    let st: fs.Stats | null = null;
    try {
      st = fs.statSync(file);
    } catch {
      /* a new file */
    }
    const real = realPath(file);
    if (attrDir !== null && (real === attrDir || real.startsWith(attrDir + path.sep))) fail(`${flag} ${file} is in the --attributes directory ${a.attributes}, where the attribute files go`);
    if (st?.isDirectory()) fail(`${flag} ${file} is a directory`);
    // A device or a pipe (/dev/null, /dev/stderr, a FIFO) is written in place, as it comes: several outputs
    // may share one, and there is nothing to probe.
    if (st !== null && !st.isFile()) continue;
    const other = seen.get(real);
    if (other !== undefined) fail(`${other} and ${flag} name the same file (${file})`);
    seen.set(real, flag);
    if (flag !== '--output' && inputs.has(real)) fail(`${flag} ${file} is an input of this run: writing it would replace the input`);
    if (flag !== '--output') new PartialFile(file, what).abort();
  }
  if (attrDir !== null && seen.has(attrDir)) fail(`--attributes ${a.attributes} names the file of ${seen.get(attrDir)}`);
}

/** Every option checked and converted; contradictions refused. */
export function runOptions(args: CommonArgs): RunOptions {
  // Commands declare only the options they use; the rest take their defaults here.
  const defaults: Partial<CommonArgs> = {
    'min-docs': STRIP_DEFAULTS.minDocs,
    'min-ratio': STRIP_DEFAULTS.minRatio,
    'min-site-docs': STRIP_DEFAULTS.minSiteDocs,
    'template-ratio': STRIP_DEFAULTS.templateRatio,
    'template-min-docs': STRIP_DEFAULTS.templateMinDocs,
    'chain-ratio': STRIP_DEFAULTS.chainRatio,
    'max-memory': '512MB',
    'on-empty': 'keep',
    templates: true,
    fallback: true,
    dedup: true,
  };
  const a = { ...defaults, ...Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined)) } as CommonArgs;
  const onError = a['on-error'];
  if (onError !== 'fail' && onError !== 'skip') fail(`--on-error must be fail or skip (got ${onError})`);
  const onEmpty = ON_EMPTY.find((v) => v === a['on-empty']) ?? fail(`--on-empty must be keep, empty or drop (got ${a['on-empty']})`);
  if (a.rejects !== undefined && onError !== 'skip') fail('--rejects needs --on-error skip (with fail, the first bad record stops the run)');
  const format = a.format;
  if (!['auto', 'jsonl', 'json', 'text', 'html', 'warc', 'parquet'].includes(format)) fail(`--format must be auto, jsonl, json, text, html, warc or parquet (got ${format})`);
  const maxMemory = parseSize(a['max-memory'], 'max-memory');
  const memoryProblem = maxMemoryProblem(maxMemory);
  if (memoryProblem !== null) fail(`--max-memory ${memoryProblem}`);
  const maxDocBytes = parseSize(a['max-doc-bytes'], 'max-doc-bytes');
  if (maxDocBytes < 1) fail('--max-doc-bytes must be positive');
  for (const f of ['text-field', 'id-field', 'url-field'] as const) if (a[f] === '') fail(`--${f} must not be empty`);
  if (a['html-field'] !== undefined && (a['html-field'] === '' || a['html-field'] === a['text-field'])) fail('--html-field must be a field other than --text-field');
  if (a['report-html'] === '' || a['report-html'] === '-') fail('--report-html needs a file name');
  const parquetOut = a.output !== undefined && isParquetName(a.output);
  if (a.compress !== undefined && !['zstd', 'gzip', 'none', ...(parquetOut ? ['snappy'] : [])].includes(a.compress)) fail(`--compress must be zstd, gzip or none${parquetOut ? ' or snappy' : ' (snappy: for a .parquet output)'} (got ${a.compress})`);
  if (a['tmp-dir'] !== undefined) checkTmpDir(a['tmp-dir']);
  const annotate = a.annotate === undefined || a.annotate === false ? null : a.annotate === true || a.annotate === '' ? 'boilerstrip_spans' : a.annotate;
  if (annotate === a['text-field']) fail('--annotate field must differ from --text-field');
  return {
    textField: a['text-field'],
    idField: a['id-field'],
    urlField: a['url-field'],
    siteField: a['site-field'],
    htmlField: a['html-field'],
    keepHtml: a['keep-html'],
    format: format as RunOptions['format'],
    minDocs: stripOption(a['min-docs'], 'minDocs', 'min-docs'),
    minRatio: stripOption(a['min-ratio'], 'minRatio', 'min-ratio'),
    minSiteDocs: stripOption(a['min-site-docs'], 'minSiteDocs', 'min-site-docs'),
    templateRatio: stripOption(a['template-ratio'], 'templateRatio', 'template-ratio'),
    templateMinDocs: stripOption(a['template-min-docs'], 'templateMinDocs', 'template-min-docs'),
    chainRatio: stripOption(a['chain-ratio'], 'chainRatio', 'chain-ratio'),
    maxMemory,
    maxDocBytes,
    onError,
    rejects: a.rejects,
    annotate,
    onEmpty,
    templates: a.templates,
    fallback: a.fallback,
    dedup: a.dedup,
    attributes: a.attributes,
    collectReport: a.report !== undefined || a['report-html'] !== undefined,
    threads: a.threads === undefined ? undefined : intIn(a.threads, 'threads', 1, 256),
    tmpDir: a['tmp-dir'],
    cacheAnalysis: a['cache-analysis'],
  };
}

export function readOptions(y: Argv): Argv {
  return y
    .option('text-field', { type: 'string', default: 'text', describe: 'Field holding the text', group: 'Records:' })
    // (No yargs default for these two: a Parquet file without the column is an error when it was named; when
    // not, a warning (url) or null ids (id).)
    .option('id-field', { type: 'string', describe: 'Field holding the id (text files: their path) (default: id)', group: 'Records:' })
    .option('url-field', { type: 'string', describe: 'Field holding the URL: its host is the site (default: url)', group: 'Records:' })
    .option('site-field', { type: 'string', describe: 'Field holding an explicit site key (wins over the URL)', group: 'Records:' })
    .option('html-field', { type: 'string', describe: 'Field holding a raw HTML page: its blocks are cleaned into the text field (default: a record with "html" and no text field is a page)', group: 'Records:' })
    .option('format', { type: 'string', default: 'auto', describe: 'auto | jsonl | json (one array) | text (one file = one document) | html (one file = one page) | warc (WARC/WET: HTML responses and WET conversions) | parquet', group: 'Records:' })
    .option('max-doc-bytes', { type: 'string', default: '64MB', describe: 'Largest record (or text file); larger ones are errors', group: 'Records:' })
    .option('on-error', { type: 'string', default: 'fail', describe: 'Bad record: fail (exit 2, FILE:LINE) or skip (count it)', group: 'Records:' })
    .option('rejects', { type: 'string', describe: 'With --on-error skip: write rejected raw lines here (records with no line of their own, as one JSON line naming them)', group: 'Records:' })
    .option('threads', { type: 'number', describe: 'Threads doing the work, the main thread one of them (default: the number of cores from 64 MB of plain JSONL up, else 1); output is the same for every N', group: 'Records:' });
}

export function learnOptions(y: Argv): Argv {
  return y
    .option('max-memory', { type: 'string', default: '512MB', describe: 'Memory for the count table; past it, units of one document so far go to disk (counts stay exact), and the rarest are pruned only when repeated units alone fill it (reported)', group: 'Learning:' })
    .option('templates', { type: 'boolean', default: true, describe: 'Count template keys of short lines (use --no-templates to turn off)', group: 'Learning:' })
    .option('fallback', { type: 'boolean', default: true, describe: 'Also count corpus-wide, for sites with few documents', group: 'Learning:' })
    .option('dedup', { type: 'boolean', default: true, describe: 'Count duplicate fingerprints, so copies of a page or a wire story count once (--no-dedup: as separate documents)', group: 'Learning:' });
}

export function stripOptions(y: Argv): Argv {
  return y
    .option('min-docs', { type: 'number', default: STRIP_DEFAULTS.minDocs, describe: 'A unit is chrome in at least this many documents of its site...', group: 'Chrome threshold:' })
    .option('min-ratio', { type: 'number', default: STRIP_DEFAULTS.minRatio, describe: '...and at least this share of them', group: 'Chrome threshold:' })
    .option('min-site-docs', { type: 'number', default: STRIP_DEFAULTS.minSiteDocs, describe: 'Smaller sites need a line on 40% of their pages (at least 2)', group: 'Chrome threshold:' })
    .option('template-ratio', { type: 'number', default: STRIP_DEFAULTS.templateRatio, describe: 'Share of site documents a template key (prefix, suffix, date shape) needs', group: 'Chrome threshold:' })
    .option('template-min-docs', { type: 'number', default: STRIP_DEFAULTS.templateMinDocs, describe: 'Documents a template key needs at least', group: 'Chrome threshold:' })
    .option('chain-ratio', { type: 'number', default: STRIP_DEFAULTS.chainRatio, describe: 'A ticker/menu line goes whole when this share of its items is chrome', group: 'Chrome threshold:' });
}

/** The options readOptions declares (inspect takes them for their defaults, and hides them). */
export const READ_OPTIONS = ['text-field', 'id-field', 'url-field', 'site-field', 'html-field', 'format', 'max-doc-bytes', 'on-error', 'rejects', 'threads'] as const;

export function outputOptions(y: Argv): Argv {
  return y
    .option('keep-html', { type: 'boolean', default: false, describe: 'Keep the HTML field in the output (default: dropped once its text is written)', group: 'Output:' })
    .option('output', { alias: 'o', type: 'string', describe: 'Output JSONL file (default: stdout); written whole or not at all; .zst and .gz names are compressed; a .parquet name writes Parquet (Parquet inputs only)', group: 'Output:' })
    .option('compress', { type: 'string', describe: 'zstd | gzip | none: compress the output (default: none on stdout; for -o, by its extension); for .parquet: snappy (default) | zstd | gzip | none', group: 'Output:' })
    .option('annotate', { type: 'string', describe: 'Keep the text; add removed spans [start, end, reason] (UTF-16 offsets) in this field (default boilerstrip_spans)', group: 'Output:' })
    .option('on-empty', { type: 'string', default: 'keep', describe: 'A document that is all chrome: keep (unchanged), empty, or drop', group: 'Output:' })
    .option('attributes', { type: 'string', describe: 'Also write Dolma attribute files here: per input file, {"id", "attributes": {"boilerstrip__chrome": [[start, end, 1.0], ...]}} a record, Unicode code point offsets', group: 'Output:' })
    .option('report', { type: 'string', describe: 'Write JSON stats here: per site, removed units, rejects, counts', group: 'Output:' })
    .option('report-html', { type: 'string', describe: 'Write the report as a self-contained HTML page here (charts, top units per site, sample documents before/after)', group: 'Output:' });
}

/** --tmp-dir, for the commands that make temporary files: what goes there, per command. */
export function tmpDirOption(y: Argv, what: string): Argv {
  return y.option('tmp-dir', { type: 'string', describe: `Temporary files: ${what} (default: the system's)`, group: 'Output:' });
}

export async function sinkFor(output: string | undefined, compress: string | undefined, o: RunOptions): Promise<Sink> {
  if (output !== undefined && isParquetName(output)) {
    const { ParquetSink } = await import('../io/parquet.js');
    // (A Parquet row is read as an HTML page only with --html-field: its text column is never missing.)
    return ParquetSink.open(output, (compress as ParquetCodec | undefined) ?? PARQUET_CODEC, { textField: o.textField, annotate: o.annotate, html: o.htmlField !== undefined && !o.keepHtml ? o.htmlField : null });
  }
  const toStdout = output === undefined || output === '-';
  const codec = await codecFor((compress as Compression | undefined) ?? (toStdout ? 'none' : compressionOf(output)));
  return toStdout ? new StreamSink(process.stdout, codec) : new FileSink(output, codec);
}

/** Write a file whole or not at all (a temporary name, renamed). */
export function writeWhole(file: string, text: string): void {
  const out = new PartialFile(file, 'report');
  out.write(Buffer.from(text, 'utf8'));
  out.commit();
}

export function writeReports(a: CommonArgs, stats: RunStats, options: RunOptions): void {
  if (a.report === undefined && a['report-html'] === undefined) return;
  const { onProgress: _p, stdin: _s, ...shown } = options;
  const rep = stats.report(shown as Record<string, unknown>);
  if (a.report !== undefined) writeWhole(a.report, JSON.stringify(rep, null, 2) + '\n');
  if (a['report-html'] !== undefined) writeWhole(a['report-html'], reportHtml(rep, { source: (a.input ?? []).join(' ') || 'standard input' }));
}

export function summary(stats: RunStats, quiet: boolean | undefined): void {
  if (quiet) return;
  const r = stats;
  const removed = r.charsIn > 0 ? ((100 * (r.charsIn - r.charsOut)) / r.charsIn).toFixed(1) : '0.0';
  const secs = r.learnSeconds + r.stripSeconds;
  const mbs = secs > 0 && r.bytesIn > 0 ? `, ${(r.bytesIn / 1e6 / secs).toFixed(1)} MB/s` : '';
  const parts = [`${r.recordsIn} ${r.recordsIn === 1 ? 'record' : 'records'} in`, `${r.recordsOut} out`];
  if (r.rejected) parts.push(`${r.rejected} rejected`);
  // (Only --on-empty drop drops records: those are the documents that were all chrome.)
  if (r.dropped) parts.push(`${r.dropped} dropped (all chrome, --on-empty drop)`);
  const pt = Object.values(r.passedThrough).reduce((x, y) => x + y, 0);
  if (pt) parts.push(`${pt} without text passed through`);
  if (r.emptied && !r.dropped) parts.push(`${r.emptied} all chrome (written per --on-empty)`);
  process.stderr.write(`boilerstrip: ${parts.join(', ')}; ${r.changed} changed, ${removed}% of text removed${mbs}\n`);
  if (r.analysisCacheOff) process.stderr.write(`boilerstrip: ran without the analysis cache (${r.analysisCacheOff}); pass 2 analyzed every document again, same output\n`);
  const m = r.model;
  if (m?.spilled?.failed) process.stderr.write(`boilerstrip: the count table stopped spilling to disk (${m.spilled.failed})${m.prune.events ? `; it pruned ${m.prune.units} rare units (counts short by at most ${m.prune.maxUndercount})` : ''}\n`);
}

/**
 * RunOptions.onWarning for a command: each warning once (clean opens a file in both passes), on stderr,
 * quiet or not (the run goes on, likely not as meant), the progress line cleared first.
 */
function warnOnce(bar: ProgressBar): (file: string, message: string) => void {
  const said = new Set<string>();
  return (file, message) => {
    const line = `boilerstrip: warning: ${printable(`${file}: ${message}`)}\n`;
    if (said.has(line)) return;
    said.add(line);
    bar.end();
    process.stderr.write(line);
  };
}

export async function cmdClean(a: CommonArgs): Promise<void> {
  const o = runOptions(a);
  checkOutputs(a, 'clean');
  const bar = new ProgressBar(process.stderr, { 1: 'pass 1/2', 2: 'pass 2/2' }, a.quiet);
  o.onProgress = bar.onProgress;
  o.onWarning = warnOnce(bar);
  const stats = new RunStats();
  try {
    const sources = await prepareSources(a.input ?? [], o, true);
    stats.bytesIn = inputBytes(sources);
    await cleanSources(sources, await sinkFor(a.output, a.compress, o), o, stats);
  } finally {
    bar.end();
  }
  writeReports(a, stats, o);
  summary(stats, a.quiet);
}

/** learn; `side` may give an analysis cache for pass 1 to fill (serve mode keeps it for the strip of the same input). */
export async function cmdLearn(a: CommonArgs, side?: (sources: InputSource[], o: RunOptions) => SideStore | null): Promise<{ model: Model; stats: RunStats }> {
  const o = runOptions(a);
  if (!a.model) fail('learn needs -m FILE, the model to write');
  checkOutputs(a, 'learn');
  const bar = new ProgressBar(process.stderr, { 1: 'learn', 2: 'learn' }, a.quiet);
  o.onProgress = bar.onProgress;
  o.onWarning = warnOnce(bar);
  const stats = new RunStats();
  let model;
  try {
    const sources = await prepareSources(a.input ?? [], o, false);
    stats.bytesIn = inputBytes(sources);
    model = await learnSources(sources, o, stats, side?.(sources, o) ?? null);
  } finally {
    bar.end();
  }
  saveModel(model, a.model);
  if (!a.quiet) {
    const size = fs.statSync(a.model).size;
    const rejected = stats.rejected > 0 ? `; ${stats.rejected} ${stats.rejected === 1 ? 'record' : 'records'} rejected (--on-error skip${a.rejects !== undefined ? `, written to ${a.rejects}` : ''})` : '';
    process.stderr.write(`boilerstrip: learned ${model.docs} documents of ${model.sites.size} sites${rejected}; ${model.counter.size} units; model ${sizeOf(size)}${model.spilled ? `; the table spilled ${model.spilled.spilled} units to disk (counts exact; ${model.spilled.singles} units of one document dropped: pruned below 2)` : ''}${model.prune.events ? `; pruned ${model.prune.units} rare units (counts short by at most ${model.prune.maxUndercount})` : ''}\n`);
  }
  return { model, stats };
}

/**
 * strip; `modelFor` gives the model (serve mode keeps one loaded), else a.model is read; `side` may give
 * pass 1's analyses of the same input (serve mode, after a learn of it).
 */
export async function cmdStrip(a: CommonArgs, modelFor?: (file: string, o: RunOptions) => Model, side?: (sources: InputSource[], o: RunOptions) => SideStore | null): Promise<RunStats> {
  const o = runOptions(a);
  if (!a.model) fail('strip needs -m FILE, a model written by learn or merge');
  checkOutputs(a, 'strip');
  const bar = new ProgressBar(process.stderr, { 1: 'strip', 2: 'strip' }, a.quiet);
  o.onProgress = bar.onProgress;
  o.onWarning = warnOnce(bar);
  const model = modelFor ? modelFor(a.model, o) : loadModel(a.model, { maxMemory: o.maxMemory, texts: false });
  const stats = new RunStats();
  try {
    const sources = await prepareSources(a.input ?? [], o, false);
    stats.bytesIn = inputBytes(sources);
    await stripSources(model, sources, await sinkFor(a.output, a.compress, o), o, stats, side?.(sources, o) ?? null);
  } finally {
    bar.end();
  }
  writeReports(a, stats, o);
  summary(stats, a.quiet);
  return stats;
}

export async function cmdMerge(a: { models: string[]; output?: string; quiet?: boolean; 'prune-below': number }): Promise<void> {
  if (!a.output) fail('merge needs -o FILE, the merged model to write');
  if (a.models.length === 0) fail('merge needs at least one model');
  const k = intIn(a['prune-below'], 'prune-below', 1, 2);
  // Warnings, quiet or not: the merge goes on (the sum is what was asked), but it is likely not what was meant.
  const given = new Map<string, string>();
  for (const f of a.models) {
    let real = path.resolve(f);
    try {
      real = fs.realpathSync(f);
    } catch {
      // (mergeModelFiles names a missing file.)
    }
    const first = given.get(real);
    if (first !== undefined) process.stderr.write(`boilerstrip: warning: ${f} is ${first === f ? 'given twice' : `the same file as ${first}`}: its counts are added twice (as if its shard were in the input twice)\n`);
    else given.set(real, f);
  }
  const merged = mergeModelFiles(a.models);
  if (a.models.length > 1 && merged.prunedBelow >= 2) {
    process.stderr.write('boilerstrip: warning: a model given was pruned below 2 (learned past --max-memory, or merged with --prune-below 2): a unit in one document of two shards each is missing from this sum, so strip with it can differ from clean over the same input; learn such shards with more --max-memory, or cut them smaller\n');
  }
  const dropped = merged.pruneBelow(k);
  saveModel(merged, a.output);
  if (!a.quiet) {
    const size = fs.statSync(a.output).size;
    process.stderr.write(`boilerstrip: merged ${a.models.length} ${a.models.length === 1 ? 'model' : 'models'}: ${merged.docs} documents, ${merged.sites.size} sites, ${merged.counter.size} units${dropped ? ` (${dropped} single-document units pruned)` : ''}; ${sizeOf(size)}\n`);
  }
}

/** Read a JSON report written by --report (checked enough to draw it). */
export function readReport(file: string): RunReport {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new BoilerstripError('E_INPUT', `cannot read: ${(e as Error).message}`, { file });
  }
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch (e) {
    throw new BoilerstripError('E_JSON', `not JSON: ${(e as Error).message}`, { file });
  }
  const o = r as Partial<RunReport> | null;
  if (o === null || typeof o !== 'object' || !o.records || !o.docs || !o.chars || !o.throughput || !Array.isArray(o.sites) || !Array.isArray(o.removedUnits)) {
    throw new BoilerstripError('E_INPUT', 'not a boilerstrip report (written by --report)', { file });
  }
  return o as RunReport;
}

export async function cmdReport(a: { reportFile: string; output?: string; title?: string }): Promise<void> {
  const rep = readReport(a.reportFile);
  const html = reportHtml(rep, { title: a.title, source: a.reportFile });
  if (a.output === undefined || a.output === '-') process.stdout.write(html);
  else writeWhole(a.output, html);
}

export async function cmdInspect(a: CommonArgs & { modelFile: string; site?: string; top: number; json?: boolean; group: number }): Promise<void> {
  if (a['chain-ratio'] !== undefined) fail('--chain-ratio has no effect on inspect: it decides, document by document, when a ticker or menu line goes whole; inspect lists units by their counts');
  const o = runOptions(a);
  const model = loadModel(a.modelFile);
  const site = a.site === undefined ? undefined : siteIn(model, a.site);
  const { units, withoutText, withoutTextMinDocs, textStoreFull } = chromeUnits(model, { ...o, site, top: intIn(a.top, 'top', 1, 1e7), group: numIn(a.group, 'group', 0, 1) });
  // Chrome units with no stored text are not listed; how many keys could be such is said (see chromeUnits).
  const unlisted = {
    keys: withoutText,
    atLeastDocs: withoutTextMinDocs,
    textStoreFull,
    why: `keys of the whole model in ${withoutTextMinDocs}+ documents (the lowest threshold of any site) with no stored sample text: the chrome units among them are not listed. The model keeps a text for a unit when it reaches 2 documents in one table (at most ${model.maxTexts}${textStoreFull ? ', and its store is full' : ''}); a unit that reached 2 only when tables were added (merged shards, threads) has none. Copy fingerprints, element paths and prose labels, never chrome, have none either: this is an upper bound.`,
  };
  if (a.json) {
    process.stdout.write(JSON.stringify({ docs: model.docs, sites: model.sites.size, units: model.counter.size, chrome: units, notListed: unlisted }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`model: ${model.docs} documents, ${model.sites.size} sites, ${model.counter.size} units\n`);
  process.stdout.write('    df  share  kind      site                  text\n');
  for (const u of units) {
    // Long texts and site names are cut, with … where they were (--json has them whole; --site takes the whole name).
    const text = cut(u.text.replace(/\s+/g, ' '), 90);
    process.stdout.write(`${String(u.df).padStart(6)}  ${u.share.toFixed(2).padStart(5)}  ${u.kind.padEnd(8)}  ${cut(u.site || '(no site)', 20).padEnd(20)}  ${text}${u.variants.length ? `  (+${u.variants.length} variants)` : ''}\n`);
  }
  if (withoutText > 0) {
    process.stdout.write(
      `not listed: chrome units with no stored sample text, at most ${withoutText} (keys of the whole model in ${withoutTextMinDocs}+ documents without a text; ` +
        `a unit gets one when it reaches 2 documents in one table${textStoreFull ? `, and the store is full (${model.maxTexts})` : ` (at most ${model.maxTexts})`}, ` +
        'so not one that reached 2 only in a merge of shards or of threads; copy fingerprints and prose labels, never chrome, are among these keys)\n',
    );
  }
}

/** `s` in at most `n` UTF-16 units: cut with … at the end when longer. */
function cut(s: string, n: number): string {
  if (s.length <= n) return s;
  // (Not between the halves of a surrogate pair.)
  const end = /[\ud800-\udbff]/.test(s[n - 2]!) ? n - 2 : n - 1;
  return `${s.slice(0, end)}…`;
}

/**
 * --site as the model names it: as given (lower case), or as a URL's host is named (no www., no port, no
 * path), so `www.a.com` and `https://www.a.com/x` find a.com. A site the model lacks is an error that lists
 * the model's largest sites.
 */
function siteIn(model: Model, given: string): string {
  const plain = given.toLowerCase();
  if (model.sites.has(plain)) return plain;
  // As a URL names it; a name that is no host at all ("</svg>") is not the model's records without a site.
  const host = hostOf(plain.includes('/') ? plain : `//${plain}`);
  if (host !== '' && model.sites.has(host)) return host;
  const largest = [...model.sites].sort((x, y) => y[1].docs - x[1].docs).slice(0, 5).map(([n, i]) => `${n || '(no site)'} (${i.docs})`);
  fail(`--site ${given}: no such site in the model${largest.length > 0 ? `; its largest of ${model.sites.size}: ${largest.join(', ')}` : ' (it has none)'}`);
}

export const learnCommand = (y: Argv): Argv => tmpDirOption(learnOptions(readOptions(y)), "the count table's spills past --max-memory").positional('input', { type: 'string', array: true, describe: 'Inputs, as for clean' }).option('model', { alias: 'm', type: 'string', describe: 'Model file to write', demandOption: true }).example('$0 learn shard-00.jsonl.gz -m shard-00.model', '');
export const stripCommand = (y: Argv): Argv => outputOptions(stripOptions(readOptions(y))).positional('input', { type: 'string', array: true, describe: 'Inputs, as for clean' }).option('model', { alias: 'm', type: 'string', describe: 'Model written by learn or merge', demandOption: true }).example('$0 strip -m all.model shard-00.jsonl.gz -o shard-00.clean.jsonl', '');

/**
 * The words of a `learn` or `strip` command line (after the command), parsed and checked as the CLI does
 * (serve mode). So that one list of options serves both passes, learn also takes (and ignores) strip's
 * thresholds, and strip learn's settings (the model carries those).
 */
export function commandArgs(command: 'learn' | 'strip', words: string[]): CommonArgs {
  // (As the default command: yargs builds a named command's help text at every parse, ~10x the parse.)
  const y = yargs(words)
    // (learn takes and ignores strip's options, --keep-html too: one list of options serves both passes.)
    .command('$0 [input..]', '', command === 'learn' ? (y) => stripOptions(learnCommand(y)).option('keep-html', { type: 'boolean', hidden: true }) : (y) => learnOptions(stripCommand(y)).option('tmp-dir', { type: 'string', hidden: true }))
    .option('quiet', { alias: 'q', type: 'boolean' })
    .strictCommands()
    .strictOptions()
    .exitProcess(false)
    .help(false)
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new BoilerstripError('E_OPTION', msg);
    });
  return y.parseSync() as unknown as CommonArgs;
}

