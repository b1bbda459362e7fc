/**
 * bench/dask: the cost of distribution. The same simulated crawl, split into 8 shards by URL, cleaned
 * by the Dask driver (integrations/dask/run.py) on a local cluster of 1, 2 and 4 worker processes,
 * with single-process `boilerstrip clean` over the same shards beside it (1 thread and all cores).
 *
 *   npm run bench:dask -- [--size 100MB] [--workers 1,2,4]
 *
 * Reading: wall time includes starting the local cluster and its `boilerstrip serve` processes (one a
 * worker, fed shard after shard, summing their counts in memory), a model file a worker and their merge,
 * so on one small machine the driver does more work than one process; what it buys is the map-reduce
 * shape that runs across machines.
 * Needs Debian's python3-distributed (/usr/bin/python3). Results of a run are in bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSize } from '../src/cli/main.js';
import { loadPool } from '../src/sim/articles.js';
import { simRecord, simulate } from '../src/sim/generate.js';
import { checkBenchArgs } from './args.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

function main(): void {
  checkBenchArgs(process.argv, 'usage: npm run bench:dask -- [--size 100MB] [--workers 1,2,4] [--smoke]\nThe Dask driver (integrations/dask/run.py) on a local cluster beside boilerstrip clean on the same shards; needs python3-distributed.', ['size', 'workers'], ['smoke']);
  const smoke = process.argv.includes('--smoke');
  const size = parseSize(arg('size', smoke ? '4MB' : '100MB'), 'size');
  const workers = arg('workers', smoke ? '1' : '1,2,4').split(',').map(Number);
  if (spawnSync('/usr/bin/python3', ['-c', 'import distributed']).status !== 0) {
    console.log('bench/dask: python3-distributed is not installed (apt-get install python3-distributed): skipped');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'boilerstrip-dask-bench-'));
  try {
    const pool = loadPool({ maxFiles: smoke ? 1 : undefined });
    const shards = Array.from({ length: 8 }, (_, i) => path.join(dir, `shard-${i}.jsonl`));
    const fds = shards.map((s) => fs.openSync(s, 'w'));
    let bytes = 0;
    let docs = 0;
    for (const d of simulate(pool, { seed: 1, bytes: size, sites: 200, tinySites: 30 })) {
      let h = 0;
      for (const c of d.url ?? d.id) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
      const line = simRecord(d) + '\n';
      fs.writeSync(fds[h % 8]!, line);
      bytes += Buffer.byteLength(line);
      docs++;
    }
    fds.forEach((f) => fs.closeSync(f));
    console.log(`bench/dask: ${(bytes / 1e6).toFixed(1)} MB in 8 shards, ${docs} documents; ${os.cpus().length} cores; ${new Date().toISOString()}`);
    console.log('\nrun                                         seconds      MB/s');
    const row = (name: string, secs: number): void => console.log(`${name.padEnd(42)} ${secs.toFixed(2).padStart(8)} ${(bytes / 1e6 / secs).toFixed(1).padStart(9)}`);
    for (const t of [1, os.cpus().length]) {
      const t0 = performance.now();
      // (Output to stdout, thrown away: builds before 2026-12-01 renamed a file over `-o /dev/null`.)
      const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/boilerstrip'), 'clean', ...shards, '--quiet', '--threads', String(t)], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(r.stderr);
      row(`boilerstrip clean, one process, ${t} thread${t > 1 ? 's' : ''}`, (performance.now() - t0) / 1000);
    }
    for (const w of workers) {
      const out = path.join(dir, `out-${w}`);
      const t0 = performance.now();
      const r = spawnSync('/usr/bin/python3', [path.join(ROOT, 'integrations/dask/run.py'), '--workers', String(w), '--out-dir', out, ...shards], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      const secs = (performance.now() - t0) / 1000;
      const rep = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')) as {
        startup_seconds: number;
        learn_seconds: number;
        merge_seconds: number;
        merge_depth: number;
        broadcast_seconds: number;
        strip_seconds: number;
        merged_model_bytes: number;
        shipped_model_bytes: number;
        model_loads: number;
        flush_seconds: number;
        sums: { files: { shards: number; bytes: number }[]; in_memory: number; texts: boolean };
        merge_tasks: { parts: number; seconds: number }[];
      };
      row(`Dask driver, ${w} worker${w > 1 ? 's' : ''} (local cluster)`, secs);
      const root = rep.merge_tasks[rep.merge_tasks.length - 1]!;
      const files = rep.sums.files;
      console.log(
        `    start ${rep.startup_seconds.toFixed(2)} s, learn ${rep.learn_seconds.toFixed(2)} s, tree merge ${rep.merge_seconds.toFixed(2)} s (depth ${rep.merge_depth}: workers' sums written ${rep.flush_seconds.toFixed(2)} s, ${files.length} file${files.length === 1 ? '' : 's'} of ${(files.reduce((n, f) => n + f.bytes, 0) / 1e6).toFixed(1)} MB${rep.sums.texts ? '' : ' without sample texts'}; root merge ${root.seconds.toFixed(2)} s into its own sum of ${rep.sums.in_memory} shards), broadcast ${rep.broadcast_seconds.toFixed(2)} s (${rep.model_loads} model load${rep.model_loads === 1 ? '' : 's'}), strip ${rep.strip_seconds.toFixed(2)} s; merged model ${(rep.merged_model_bytes / 1e6).toFixed(1)} MB, shipped (pruned) ${(rep.shipped_model_bytes / 1e6).toFixed(1)} MB`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('dask.js')) main();
