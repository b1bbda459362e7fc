/**
 * bench/run: throughput and memory of boilerstrip, per stage (tinybench) and end to end, on a crawl
 * generated at run time by the simulator, with mawk's two-pass exact-line job beside it as the baseline.
 *
 *   npm run bench -- [--size 300MB] [--sizes 30MB,300MB,3GB] [--threads 1,2] [--seed 1] [--unique 200MB]
 *                    [--baseline OTHER/bin/boilerstrip]
 *   npm run bench:smoke            (tiny sizes, a few iterations: CI runs it so the benches never rot)
 *
 * What it measures:
 *  - stages, in one process on an in-memory sample: decode (UTF-8 bytes to string), parse (JSON.parse of
 *    lines), analyze (normalize + segment + hash), count (pass 1 per document), strip (pass 2 per
 *    document), serialize (splice the cleaned text back into the line). MB/s is input bytes per second.
 *    With clean's analysis cache (side.ts) pass 2 skips analyze: compare the two strip rows.
 *  - end to end: `boilerstrip clean FILE > /dev/null` in a fresh process, wall time, MB/s of the JSONL
 *    input, peak RSS, for each --threads, once without the analysis cache and once with --report; with
 *    --baseline, another build (one and two threads) in the same run; and
 *    `mawk 'NR==FNR{c[$0]++;next} c[$0]<5' f f` on the plain text of the same crawl. Then the ratios issue
 *    #13 asks for: two threads over one, this build over the baseline.
 *  - the same end to end on a crawl where most lines are unique (--unique SIZE, 0: none), shaped like
 *    perf-notes.md's corpus (sim/crawl-file.ts writeUniqueCrawl): mawk's table grows there, and so do
 *    boilerstrip's; issue #13's second yardstick.
 *
 * Reading: the ratio column is boilerstrip's MB/s over mawk's, both measured in this run on this
 * machine (these machines are noisy: compare within one run, not across runs). mawk does much less
 * (identical lines, one table, no JSON); boilerstrip normalizes, segments, counts per site and rewrites
 * JSON. Results of a run are in bench/RESULTS.md.
 */
import fs from 'node:fs';
import { checkBenchArgs } from './args.js';
import os from 'node:os';
import path from 'node:path';
import { transcode } from 'node:buffer';
import { Bench } from 'tinybench';
import { Analysis, analyze } from '../src/analyze.js';
import { Model } from '../src/model.js';
import { resolveFields, spliceRecord } from '../src/record.js';
import { loadPool } from '../src/sim/articles.js';
import { writeCrawl, writeUniqueCrawl, type CrawlStats } from '../src/sim/crawl-file.js';
import { Stripper } from '../src/strip.js';
import { blockWords, SideReader, SideWriter } from '../src/side.js';
import { encode } from '../src/io/blocks.js';
import { eachJsonlBytes } from '../src/io/input.js';
import { JsonlInPlace } from '../src/jsonl-docs.js';
import { parseSize } from '../src/cli/main.js';
import { endToEnd, mawkBaseline, type E2E } from '../src/sim/e2e.js';
import { JSONL_BYTES_PER_KEY } from '../src/parallel/pool.js';


function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const smoke = process.argv.includes('--smoke');

async function stages(file: string, sampleBytes: number): Promise<{ name: string; mbps: number; docsPerSec: number }[]> {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(Math.min(sampleBytes, fs.fstatSync(fd).size));
  fs.readSync(fd, buf, 0, buf.length, 0);
  fs.closeSync(fd);
  const cut = buf.lastIndexOf(10) + 1;
  const bytes = buf.subarray(0, cut);
  const text = bytes.toString('utf8');
  const lines = text.split('\n').filter((l) => l.length > 0);
  const recs = lines.map((l) => JSON.parse(l) as { text: string; url?: string });
  const sites = recs.map((r) => (r.url ? new URL(r.url).host.replace(/^www\./, '') : ''));
  const model = new Model({ maxMemory: 256 << 20 });
  // clean's analysis cache of the sample, as pass 1 writes it.
  const side = new SideWriter();
  recs.forEach((r, i) => {
    model.learnDoc(r.text, sites[i]!);
    side.add(model.lastAnalysis);
  });
  const words = blockWords(side.take());
  const stripper = new Stripper(model);
  const stripped = recs.map((r, i) => stripper.strip(r.text, sites[i]!).text);
  const a = new Analysis();
  const n = bytes.length;
  const iterations = smoke ? 2 : 5;
  const bench = new Bench({ iterations, warmup: !smoke, time: 0 });
  let sink = 0;
  bench
    .add('decode: UTF-8 to string (V8 decoder)', () => {
      sink += bytes.toString('utf8').length;
    })
    .add('decode: transcode to UTF-16, then slice', () => {
      sink += transcode(bytes, 'utf8', 'ucs2').toString('ucs2').length;
    })
    .add('parse: JSON.parse of each line', () => {
      for (const l of lines) sink += (JSON.parse(l) as { text: string }).text.length;
    })
    .add('parse: read in place (what both passes do: asm/json.ts)', () => {
      const reader = new JsonlInPlace(resolveFields(), (t) => void (sink += t.length));
      for (let at = 0; at < bytes.length; ) {
        // (In 1 MB blocks, as the passes read.)
        let end = bytes.indexOf(10, Math.min(at + (1 << 20), bytes.length - 1)) + 1;
        if (end <= 0) end = bytes.length;
        eachJsonlBytes(bytes.subarray(at, end), 'bench', 1, {}, () => void sink++, reader);
        at = end;
      }
    })
    .add('analyze: normalize + segment + hash', () => {
      for (const r of recs) sink += analyze(r.text, a).nLines;
    })
    .add('count: pass 1 per document (analyze + count)', () => {
      const m = new Model({ maxMemory: 256 << 20 });
      // (The table starts at the size a run gives it, not doubling through the sample.)
      m.counter.expect(Math.round(n / JSONL_BYTES_PER_KEY));
      recs.forEach((r, i) => m.learnDoc(r.text, sites[i]!));
      sink += m.docs;
    })
    .add('strip: pass 2 per document (analyze + lookup + rebuild)', () => {
      recs.forEach((r, i) => (sink += stripper.strip(r.text, sites[i]!).text.length));
    })
    .add('strip: pass 2 with clean\'s cached analysis', () => {
      stripper.cache = SideReader.over([words], 'bench');
      recs.forEach((r, i) => (sink += stripper.strip(r.text, sites[i]!).text.length));
      stripper.cache = null;
    })
    .add('serialize: splice cleaned text into the line', () => {
      lines.forEach((l, i) => (sink += spliceRecord(l, 'text', stripped[i]!, null).length));
    })
    .add('encode: output to UTF-8 (V8 encoder)', () => {
      sink += Buffer.from(text, 'utf8').length;
    })
    .add('encode: output to UTF-8 (UTF-16 copy + transcode)', () => {
      sink += encode(text).length;
    });
  await bench.run();
  if (sink === 0) throw new Error('benchmarks did no work');
  return bench.tasks.map((t) => {
    const r = t.result as { state?: string; latency?: { mean: number } } | undefined;
    const ms = r?.latency?.mean ?? NaN;
    return { name: t.name, mbps: n / 1e6 / (ms / 1000), docsPerSec: recs.length / (ms / 1000) };
  });
}

/** Width of the end-to-end table's first column (its longest row: `... clean (--threads 1 --no-cache-analysis)`). */
const W = 56;

/**
 * clean end to end on one crawl for each thread count (then the rows `more` runs), with mawk and the baseline build
 * in the same run; then the ratios issue #13 asks for.
 */
function endToEndTable(jsonl: string, plain: string, st: CrawlStats, threadsList: number[], baseline: string | null, more: () => E2E[]): void {
  const base = mawkBaseline(plain, st.bytes);
  const e2e: E2E[] = [...threadsList.map((t) => endToEnd(jsonl, t)), ...more()];
  // Another build (--baseline its bin/boilerstrip), timed in the same run, between this build's runs.
  const base1 = baseline ? endToEnd(jsonl, 1, [], '', baseline) : null;
  const base2 = baseline && threadsList.includes(2) ? endToEnd(jsonl, 2, [], '', baseline) : null;
  if (base1) e2e.push(base1);
  if (base2) e2e.push(base2);
  console.log(`\n${'end to end'.padEnd(W)}     MB/s   seconds  peak RSS   vs mawk`);
  if (base) console.log(`${base.what.padEnd(W)} ${base.mbps.toFixed(1).padStart(8)} ${base.seconds.toFixed(2).padStart(9)} ${base.peakRssMB ? `${base.peakRssMB.toFixed(0)} MB`.padStart(9) : '        -'}     1.00x`);
  else console.log('mawk not installed: no baseline (apt-get install mawk)');
  for (const e of e2e) {
    console.log(`${e.what.padEnd(W)} ${e.mbps.toFixed(1).padStart(8)} ${e.seconds.toFixed(2).padStart(9)} ${e.peakRssMB ? `${e.peakRssMB.toFixed(0)} MB`.padStart(9) : '        -'} ${base ? `${(e.mbps / base.mbps).toFixed(2)}x`.padStart(9) : ''}`);
  }
  // The ratios issue #13 asks for, from the rows above.
  const one = e2e.find((e) => e.what === 'boilerstrip clean (--threads 1)');
  const two = e2e.find((e) => e.what === 'boilerstrip clean (--threads 2)');
  if (one && two) console.log(`two threads / one: ${(two.mbps / one.mbps).toFixed(2)}x`);
  if (one && base1) console.log(`this build / baseline, one thread: ${(one.mbps / base1.mbps).toFixed(2)}x${two && base2 ? `; two threads: ${(two.mbps / base2.mbps).toFixed(2)}x` : ''}`);
}

async function main(): Promise<void> {
  checkBenchArgs(
    process.argv,
    'usage: npm run bench -- [--size 300MB] [--sizes 30MB,300MB,3GB] [--threads 1,2] [--seed 1] [--unique 200MB (0: none)] [--baseline OTHER/bin/boilerstrip] [--tmp-dir DIR] [--stage-bytes 20MB (the stage table sample; the whole crawl gives the kernel ceiling at its size)]\n       npm run bench:smoke   (tiny sizes)\nCrawls are written to $TMPDIR (tmpfs is best: this VM drops page cache early). Results: bench/RESULTS.md.',
    ['size', 'sizes', 'threads', 'seed', 'unique', 'baseline', 'tmp-dir', 'stage-bytes'],
    ['smoke'],
  );
  const sizes = arg('sizes', arg('size', smoke ? '2MB' : '300MB'))
    .split(',')
    .map((s) => parseSize(s, 'size'));
  const threadsList = arg('threads', smoke ? '1' : `1,${os.cpus().length}`)
    .split(',')
    .map(Number);
  const seed = Number(arg('seed', '1'));
  const baseline = arg('baseline', '') || null;
  const dir = fs.mkdtempSync(path.join(arg('tmp-dir', os.tmpdir()), 'boilerstrip-bench-'));
  console.log(`boilerstrip bench: ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString()}`);
  try {
    const t0 = performance.now();
    const pool = loadPool({ maxFiles: smoke ? 1 : undefined });
    console.log(`article pool: ${pool.source} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    for (const size of sizes) {
      const jsonl = path.join(dir, `crawl-${size}.jsonl`);
      const plain = path.join(dir, `crawl-${size}.txt`);
      const g0 = performance.now();
      const st = writeCrawl(pool, { jsonl, plain }, { seed, bytes: size, sites: 400, tinySites: 60 });
      console.log(`\ncrawl: ${(st.bytes / 1e6).toFixed(1)} MB JSONL, ${st.docs} documents (generated in ${((performance.now() - g0) / 1000).toFixed(1)} s)`);
      if (size === sizes[0]) {
        const rows = await stages(jsonl, smoke ? 1 << 20 : parseSize(arg('stage-bytes', '20MB'), 'stage-bytes'));
        console.log('\nstage (in memory, single thread)                          MB/s     docs/s');
        for (const r of rows) console.log(`${r.name.padEnd(56)} ${r.mbps.toFixed(1).padStart(8)} ${r.docsPerSec.toFixed(0).padStart(10)}`);
        // What one thread could reach if reading, parsing, splicing and writing cost nothing: pass 1's
        // analyze + count, then pass 2 judging from the cached analysis. No I/O work can beat it.
        const p1 = rows.find((r) => r.name.startsWith('count:'))!.mbps;
        const p2 = rows.find((r) => r.name.startsWith("strip: pass 2 with clean's"))!.mbps;
        console.log(`${'kernels alone (both passes, no I/O or JSON): the ceiling'.padEnd(56)} ${(1 / (1 / p1 + 1 / p2)).toFixed(1).padStart(8)}`);
      }
      // (--report keeps samples of what it removed: its peak RSS shows they hold no documents.)
      endToEndTable(jsonl, plain, st, threadsList, baseline, () => [endToEnd(jsonl, 1, ['--no-cache-analysis']), endToEnd(jsonl, 1, ['--report', path.join(dir, 'report.json')], '--report')]);
      fs.rmSync(jsonl, { force: true });
      fs.rmSync(plain, { force: true });
    }
    const unique = parseSize(arg('unique', smoke ? '1MB' : '200MB'), 'unique');
    if (unique > 0) {
      const jsonl = path.join(dir, 'unique.jsonl');
      const plain = path.join(dir, 'unique.txt');
      const st = writeUniqueCrawl(pool, { jsonl, plain }, { seed, bytes: unique });
      console.log(`\ncrawl of mostly unique lines: ${(st.bytes / 1e6).toFixed(1)} MB JSONL, ${st.docs} documents`);
      endToEndTable(jsonl, plain, st, threadsList, baseline, () => []);
      fs.rmSync(jsonl, { force: true });
      fs.rmSync(plain, { force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('run.js')) void main();
