/**
 * The boilerstrip command line. Thin: yargs parses, commands.ts checks options (all of them, before the
 * first byte is read) and runs. Errors print as "boilerstrip: FILE:LINE: message" and exit 2; a closed
 * output pipe (`| head`) exits 0 quietly; SIGINT/SIGTERM/SIGHUP remove temporary files.
 */
import fs from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BoilerstripError, printable } from '../errors.js';
import { removeTempFiles } from '../io/temp.js';
import { defaultThreads } from '../parallel/threads.js';
import { runBench } from '../bench-cli.js';
import { cmdClean, cmdInspect, cmdLearn, cmdMerge, cmdReport, cmdStrip, intIn, learnCommand, learnOptions, outputOptions, tmpDirOption, parseSize, READ_OPTIONS, readOptions, stripCommand, stripOptions, type CommonArgs } from './commands.js';

export { commandArgs, intIn, parseSize, readReport, runOptions, cmdLearn, cmdStrip, type CommonArgs } from './commands.js';

/** yargs names an unknown --some-flag twice, as itself and as someFlag: once is enough. */
function unknownOnce(msg: string): string {
  const m = /^(Unknown arguments?): (.*)$/.exec(msg);
  if (m === null) return msg;
  const names = m[2]!.split(', ');
  const camel = (n: string): string => n.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const kept = names.filter((n) => !names.some((o) => o !== n && o.includes('-') && camel(o) === n));
  return `${kept.length === 1 ? 'Unknown argument' : 'Unknown arguments'}: ${kept.join(', ')}`;
}

/**
 * This package's version, from its own package.json (dist/src/cli → the package root): yargs' own lookup
 * takes the nearest package.json from where the process started, which is the app's when boilerstrip is
 * installed as its dependency.
 */
function ownVersion(): string {
  try {
    const v = (JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown }).version;
    return typeof v === 'string' ? v : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Options that take a list (positionals); any other option given twice is a mistake (yargs makes an array of it). */
const LISTS = new Set(['_', '$0', 'input', 'models']);

/**
 * Refuse an option given more than once: yargs collects the values into an array, which a command then
 * took for one value (-o a -o b: an internal error; --text-field twice: every record passed through).
 */
function once(a: Record<string, unknown>): void {
  // (yargs also keeps each dashed option camel-cased, and each alias: the long, dashed name is reported.)
  for (const k of Object.keys(a).sort((x, y) => y.length - x.length)) {
    const v = a[k];
    if (LISTS.has(k) || !Array.isArray(v) || /[A-Z]/.test(k)) continue;
    throw new BoilerstripError('E_OPTION', `--${k} is given more than once (${v.map((x) => JSON.stringify(x)).join(', ')}): give it once`);
  }
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const run = (fn: () => Promise<void>): Promise<void> =>
    fn().catch((e: unknown) => {
      code = report(e);
    });
  const cli = yargs(argv)
    .scriptName('boilerstrip')
    .usage('$0 <command> [options]\n\nRemoves what repeats across the documents of a site (tickers, bylines, share bars, footers) and keeps the article.')
    .command(
      'clean [input..]',
      'Learn and strip in one run (two passes; stdin is spooled to a temp file)',
      (y) =>
        tmpDirOption(outputOptions(stripOptions(learnOptions(readOptions(y)))), "the stdin spool, the analysis cache, the count table's spills past --max-memory")
          .option('cache-analysis', { type: 'boolean', default: true, describe: 'Keep pass 1\'s analyses in --tmp-dir for pass 2 (about a quarter of the input; skipped when the room is not there)', group: 'Output:' })
          .positional('input', { type: 'string', array: true, describe: 'JSONL, JSON array, text files or directories, gzip or zstd or not; Parquet; - or nothing for stdin' }).example('cat dump.jsonl | $0 clean > clean.jsonl', '').example('$0 clean seeds/ --min-docs 2 -o clean.jsonl --report report.json', ''),
      (a) => run(() => cmdClean(a as unknown as CommonArgs)),
    )
    .command(
      'learn [input..]',
      'Pass 1 only: count units per site and write a model',
      learnCommand,
      (a) => run(async () => void (await cmdLearn(a as unknown as CommonArgs))),
    )
    .command(
      'merge <models..>',
      'Sum models learned on shards (exact, order-independent)',
      (y) =>
        y
          .positional('models', { type: 'string', array: true })
          .option('output', { alias: 'o', type: 'string', describe: 'Merged model to write', demandOption: true })
          .option('prune-below', { type: 'number', default: 1, describe: 'Drop units in fewer documents: 1 (keep every unit) or 2 (exact for the final model, much smaller to ship); no other value' })
          .example('$0 merge a.model b.model -o all.model --prune-below 2', ''),
      (a) => run(() => cmdMerge(a as unknown as { models: string[]; output?: string; quiet?: boolean; 'prune-below': number })),
    )
    .command(
      'strip [input..]',
      'Pass 2 only: one streaming pass with a model (stdin to stdout)',
      stripCommand,
      (a) => run(async () => void (await cmdStrip(a as unknown as CommonArgs))),
    )
    .command(
      'inspect <modelFile>',
      'List the units a model calls chrome, with their document frequency',
      (y) =>
        READ_OPTIONS.reduce((z, o) => z.hide(o), stripOptions(readOptions(y)))
          // (--chain-ratio decides, document by document, when a ticker line goes whole: nothing inspect lists. Refused.)
          .option('chain-ratio', { type: 'number', default: undefined, hidden: true })
          .positional('modelFile', { type: 'string' })
          .option('site', { type: 'string', describe: 'Only this site (its full name, as --json gives it, or a URL of it; the table cuts long names with …)' })
          .option('top', { type: 'number', default: 50, describe: 'How many units' })
          .option('group', { type: 'number', default: 0.25, describe: 'Group texts within this edit distance share (0: off)' })
          .option('json', { type: 'boolean', describe: 'JSON output' })
          .option('max-memory', { type: 'string', default: '512MB', hidden: true }),
      (a) => run(() => cmdInspect(a as unknown as CommonArgs & { modelFile: string; site?: string; top: number; json?: boolean; group: number })),
    )
    .command(
      'report <reportFile>',
      'Turn a JSON report (--report) into one self-contained HTML page: charts, top units per site, sample documents',
      (y) =>
        y
          .positional('reportFile', { type: 'string', describe: 'JSON written by clean or strip --report' })
          .option('output', { alias: 'o', type: 'string', describe: 'HTML file to write (default: stdout)' })
          .option('title', { type: 'string', describe: 'Page title (default: boilerstrip report)' })
          .example('$0 clean seeds/ --min-docs 2 -o clean.jsonl --report run.json && $0 report run.json -o report.html', ''),
      (a) => run(() => cmdReport(a as unknown as { reportFile: string; output?: string; title?: string })),
    )
    .command(
      'serve',
      'Worker mode for cluster drivers (integrations/dask): JSON requests on stdin (learn, merge, load, strip), one JSON reply a line on stdout; the strip model stays loaded between requests',
      (y) => y,
      (a) => run(async () => (await import('./serve.js')).serve(process.stdin, process.stdout)),
    )
    .command(
      'bench',
      'End-to-end throughput on this machine: a generated crawl or your own dump, mawk beside it',
      (y) =>
        y
          .option('size', { type: 'string', default: '100MB', describe: 'Size of the generated crawl' })
          .option('input', { type: 'string', describe: 'Benchmark on this JSONL file instead' })
          .option('threads', { type: 'string', describe: 'Thread counts to time, comma-separated (default: 1 and the number of cores)' })
          .option('seed', { type: 'number', default: 1, describe: 'Generator seed' })
          .option('keep', { type: 'boolean', describe: 'Keep the generated crawl' })
          .example('$0 bench --size 1GB', '')
          .example('$0 bench --input dump.jsonl --threads 1,2', ''),
      (a) =>
        run(async () => {
          const threads = String(a.threads ?? `1,${defaultThreads()}`)
            .split(',')
            .map((t) => intIn(Number(t), 'threads', 1, 256));
          await runBench({ size: parseSize(String(a.size), 'size'), input: a.input as string | undefined, threads, seed: intIn(a.seed, 'seed', 0, 2 ** 31), keep: a.keep as boolean | undefined });
        }),
    )
    .middleware(once)
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'No progress or summary on stderr' })
    .demandCommand(1, 'Name a command: clean, learn, merge, strip, inspect, report, bench or serve')
    .strictCommands()
    .strictOptions()
    .recommendCommands()
    // Lines are wrapped only when help is asked for: yargs lays out (and caches) the help text on every
    // parse, and measuring its lines for wrapping took ~50 ms of each run's start.
    .wrap(argv.length === 0 || argv.includes('--help') || argv.includes('-h') ? Math.min(110, process.stdout.columns || 100) : null)
    .fail((msg, err) => {
      if (err) throw err;
      throw new BoilerstripError('E_OPTION', unknownOnce(msg));
    })
    .help()
    .version(ownVersion());
  skipHelpCache(cli);
  try {
    await cli.parseAsync();
  } catch (e) {
    code = report(e);
  }
  return code;
}

/**
 * yargs lays out a command's whole help text as the command starts, to show it should the command fail
 * later; boilerstrip reports its own errors and never shows it, and the layout took ~30 ms of each run's
 * start (string widths of every option). An internal of yargs: where it is not there, nothing changes.
 */
function skipHelpCache(cli: unknown): void {
  type Usage = { cacheHelpMessage?: () => void };
  const usage = (cli as { getInternalMethods?: () => { getUsageInstance?: () => Usage } }).getInternalMethods?.().getUsageInstance?.();
  if (usage !== undefined && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

function report(e: unknown): number {
  if (e instanceof BoilerstripError) {
    process.stderr.write(`boilerstrip: ${printable(e.message)}\n`);
    return 2;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && err.code === 'EPIPE') return 0;
  process.stderr.write(`boilerstrip: internal error: ${printable(err?.message ?? String(e))}\n`);
  if (process.env.BOILERSTRIP_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  return 1;
}

/** Entry from bin/boilerstrip. */
export function cli(): void {
  const onSignal = (sig: NodeJS.Signals): void => {
    removeTempFiles();
    // 128 + the signal's number, as a shell reports a process the signal ended.
    process.exit(sig === 'SIGINT' ? 130 : sig === 'SIGHUP' ? 129 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A closed terminal or an ssh session that drops (`timeout -s HUP`, nohup-less jobs) sends SIGHUP.
  process.on('SIGHUP', onSignal);
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    removeTempFiles();
    if (e.code === 'EPIPE') process.exit(0);
    process.stderr.write(`boilerstrip: cannot write output: ${e.message}\n`);
    process.exit(2);
  });
  main(hideBin(process.argv)).then(
    (code) => {
      removeTempFiles();
      process.exitCode = code;
      if (process.env.BOILERSTRIP_PEAK_RSS) process.stderr.write(`boilerstrip-peak-rss: ${process.resourceUsage().maxRSS * 1024}\n`);
    },
    (e: unknown) => {
      removeTempFiles();
      process.exitCode = report(e);
    },
  );
}
