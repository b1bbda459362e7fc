import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPool } from '../src/sim/articles.js';
import { simRecord, simulate } from '../src/sim/generate.js';
import { ROOT, run, tmpdir } from './helpers/cli.js';

/**
 * The Dask driver against a real local cluster: a scheduler and two workers started here on loopback,
 * a simulated crawl split into 8 shards by URL, and the concatenated outputs compared byte for byte with
 * one `boilerstrip clean` over the whole crawl. Needs Debian's python3-distributed (.ci/run installs it).
 */
const PY = '/usr/bin/python3';
const haveDask = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import distributed'], { encoding: 'utf8' }).status === 0;
const DRIVER = path.join(ROOT, 'integrations/dask/run.py');
const dir = tmpdir('bs-dask-');
const workerTmp = path.join(dir, 'worker-tmp');
const procs: ChildProcess[] = [];
let address = '';
const shards: string[] = [];

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  if (!haveDask) return;
  const docs = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 11, docs: 800 })];
  const parts: string[][] = Array.from({ length: 8 }, () => []);
  for (const d of docs) {
    let h = 0;
    for (const c of d.url ?? d.id) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
    parts[h % 8]!.push(simRecord(d));
  }
  parts.forEach((p, i) => {
    const f = path.join(dir, `shard-${i}.jsonl`);
    fs.writeFileSync(f, p.join('\n') + '\n');
    shards.push(f);
  });
  const sf = path.join(dir, 'scheduler.json');
  const common = { stdio: 'ignore' as const, cwd: dir };
  procs.push(spawn('/usr/bin/dask-scheduler', ['--host', '127.0.0.1', '--port', '0', '--no-dashboard', '--scheduler-file', sf], common));
  await waitFor(() => fs.existsSync(sf) && fs.readFileSync(sf, 'utf8').includes('address'), 30_000);
  address = JSON.parse(fs.readFileSync(sf, 'utf8')).address as string;
  // The workers' temp dir is the test's own, to check that the driver leaves nothing in it.
  fs.mkdirSync(workerTmp);
  for (let i = 0; i < 2; i++) procs.push(spawn('/usr/bin/dask-worker', ['--scheduler-file', sf, '--nthreads', '1', '--nworkers', '1', '--host', '127.0.0.1', '--no-dashboard'], { ...common, env: { ...process.env, TMPDIR: workerTmp } }));
  // Wait until both workers have joined.
  const probe = `import sys; from distributed import Client; c = Client("${address}", timeout=10); c.wait_for_workers(2, timeout=30); c.close()`;
  expect(spawnSync(PY, ['-c', probe], { encoding: 'utf8', timeout: 60_000 }).status).toBe(0);
}, 120_000);

afterAll(async () => {
  for (const p of procs) p.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!haveDask)('Dask driver on a local cluster', () => {
  it('learn per shard, tree merge, ship, strip per shard == one clean over the crawl, byte for byte', () => {
    const out = path.join(dir, 'out');
    const r = spawnSync(PY, [DRIVER, '--scheduler', address, '--out-dir', out, ...shards], { encoding: 'utf8', timeout: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(summary.workers).toBe(2);
    expect(summary.shipped_model_bytes).toBeLessThan(summary.merged_model_bytes);
    const clean = run(['clean', ...shards, '--quiet']);
    expect(clean.status).toBe(0);
    const joined = shards.map((s) => fs.readFileSync(path.join(out, path.basename(s)), 'utf8')).join('');
    expect(joined).toBe(clean.stdout);
    // Each worker kept one copy of the shipped model while it stripped; the run removed them.
    expect(fs.readdirSync(workerTmp).filter((f) => f.startsWith('boilerstrip-model-'))).toEqual([]);
  });

  it('a shard that keeps failing is reported by name and leaves no output', () => {
    const bad = path.join(dir, 'shard-bad.jsonl');
    fs.writeFileSync(bad, '{"text": "fine"}\n{"text": broken\n');
    const out = path.join(dir, 'out-bad');
    const r = spawnSync(PY, [DRIVER, '--scheduler', address, '--out-dir', out, '--retries', '1', shards[0]!, bad], { encoding: 'utf8', timeout: 180_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/shard shard-bad\.jsonl failed in learn: .*shard-bad\.jsonl:2: invalid JSON/);
    expect(fs.existsSync(path.join(out, 'shard-bad.jsonl'))).toBe(false);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(report.failed.map((f: { shard: string }) => f.shard)).toEqual(['shard-bad.jsonl']);
  });
});
