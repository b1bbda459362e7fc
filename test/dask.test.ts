import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPool } from '../src/sim/articles.js';
import { loadModel } from '../src/store.js';
import { simRecord, simulate } from '../src/sim/generate.js';
import { ROOT, run, tmpdir } from './helpers/cli.js';

/**
 * The Dask driver against a real local cluster: a scheduler and two workers started here on loopback,
 * a simulated crawl split into 8 shards by URL, and the concatenated outputs compared byte for byte with
 * one `boilerstrip clean` over the whole crawl. Needs Debian's python3-distributed (.ci/run installs it).
 * Also `boilerstrip serve`, the long-lived process each worker feeds (no Dask needed), and the driver's
 * worker plugin recovering from a server that died.
 */
const PY = '/usr/bin/python3';
const haveDask = fs.existsSync(PY) && spawnSync(PY, ['-c', 'import distributed'], { encoding: 'utf8' }).status === 0;
const DRIVER = path.join(ROOT, 'integrations/dask/run.py');
const dir = tmpdir('bs-dask-');
const workerTmp = path.join(dir, 'worker-tmp');
const procs: ChildProcess[] = [];
let address = '';
const shards: string[] = [];

/** Running `boilerstrip serve` processes of this checkout. */
function servers(): string[] {
  const out: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd.includes(path.join(ROOT, 'bin/boilerstrip')) && cmd.includes('serve')) out.push(pid);
    } catch {
      /* gone */
    }
  }
  return out;
}

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
    // The final model was read at most once per worker (the root merge's process keeps it loaded), and
    // every shard was stripped by the process that learned it, with its analyses.
    expect(summary.model_loads).toBeLessThanOrEqual(2);
    expect(summary.strips_with_analysis).toBeGreaterThan(0);
    const clean = run(['clean', ...shards, '--quiet']);
    expect(clean.status).toBe(0);
    const joined = shards.map((s) => fs.readFileSync(path.join(out, path.basename(s)), 'utf8')).join('');
    expect(joined).toBe(clean.stdout);
    // One `boilerstrip serve` a worker, all gone at the end, and with them the analyses kept in the
    // workers' temp dir.
    const report = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(new Set(Object.values(report.learn_tasks as Record<string, { worker: string }>).map((t) => t.worker)).size).toBe(2);
    // Each worker summed its shards in memory: one model file came to the root, which added it into its
    // own sum; nothing learned twice or again, and the sum files are gone.
    expect(report.sums.files).toHaveLength(1);
    expect(report.sums.files[0].shards + report.sums.in_memory).toBe(8);
    expect(report.sums.learned_again).toBe(0);
    expect(report.merge_tasks).toHaveLength(1);
    expect(fs.readdirSync(path.join(out, '.boilerstrip')).filter((f) => f.startsWith('sum-'))).toEqual([]);
    expect(servers()).toEqual([]);
    expect(fs.readdirSync(workerTmp).filter((f) => f.startsWith('boilerstrip-'))).toEqual([]);
  });

  it('options after -- go to both passes (--min-docs 3 too: learn takes it and ignores it)', () => {
    const out = path.join(dir, 'out-opts');
    const two = shards.slice(0, 2);
    const r = spawnSync(PY, [DRIVER, '--scheduler', address, '--out-dir', out, ...two, '--', '--min-docs', '3'], { encoding: 'utf8', timeout: 180_000 });
    expect(r.status, r.stderr).toBe(0);
    const clean = run(['clean', ...two, '--quiet', '--min-docs', '3']);
    expect(clean.status).toBe(0);
    expect(two.map((s) => fs.readFileSync(path.join(out, path.basename(s)), 'utf8')).join('')).toBe(clean.stdout);
  });

  it('a shard that keeps failing is reported by name and leaves no output', () => {
    const bad = path.join(dir, 'shard-bad.jsonl');
    fs.writeFileSync(bad, '{"text": "fine"}\n{"text": broken\n');
    const out = path.join(dir, 'out-bad');
    // Node behind a wrapper that logs every request the driver sends to `boilerstrip serve`.
    const log = path.join(dir, 'requests.log');
    const node = path.join(dir, 'node-logged.sh');
    fs.writeFileSync(node, `#!/bin/sh\ntee -a '${log}' | exec '${process.execPath}' "$@"\n`, { mode: 0o755 });
    const r = spawnSync(PY, [DRIVER, '--scheduler', address, '--out-dir', out, '--retries', '2', '--node', node, shards[0]!, bad], { encoding: 'utf8', timeout: 180_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/shard shard-bad\.jsonl failed in learn: .*shard-bad\.jsonl:2: invalid JSON/);
    // A bad line fails the same way every time: learned once, not retried.
    const requests = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { op: string; input?: string[] });
    const learns = requests.filter((q) => q.op === 'learn' && q.input?.some((i) => i.endsWith('shard-bad.jsonl')));
    expect(learns).toHaveLength(1);
    expect(fs.existsSync(path.join(out, 'shard-bad.jsonl'))).toBe(false);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(report.failed.map((f: { shard: string }) => f.shard)).toEqual(['shard-bad.jsonl']);
  });
});

describe('boilerstrip serve', () => {
  it('learn, merge, load and strip requests give the bytes of the one-shot commands; bad requests answer and the process serves on', () => {
    const d = path.join(dir, 'serve');
    fs.mkdirSync(d, { recursive: true });
    const docs = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 5, docs: 300 })];
    const a = path.join(d, 'a.jsonl');
    const b = path.join(d, 'b.jsonl');
    fs.writeFileSync(a, docs.slice(0, 150).map(simRecord).join('\n') + '\n');
    fs.writeFileSync(b, docs.slice(150).map(simRecord).join('\n') + '\n');
    const m = (n: string): string => path.join(d, n);
    const args = ['--threads', '1', '--min-docs', '2'];
    const reqs = [
      { id: 1, op: 'learn', input: [a], model: m('a.model'), args, keepAnalysis: true, hold: true },
      { id: 2, op: 'learn', input: b, model: m('b.model'), args, keepAnalysis: true },
      { id: 3, op: 'merge', models: [m('a.model'), m('b.model')], output: m('final.model'), pruneBelow: 2, load: true },
      { id: 4, op: 'strip', model: m('final.model'), input: [a], output: m('a.out.jsonl'), args },
      'not json',
      { id: 5, op: 'strip', model: m('final.model'), input: [b], output: m('b.out.jsonl'), args: ['--bogus'] },
      { id: 6, op: 'learn', input: [m('missing.jsonl')], model: m('x.model') },
      { id: 7, op: 'strip', model: m('final.model'), input: ['-'], output: m('x.jsonl') },
      { id: 8, op: 'strip', model: m('final.model'), input: [b], output: m('b.out.jsonl'), args },
      { id: 9, op: 'forget' },
      { id: 10, op: 'load', model: m('final.model') },
      { id: 11, op: 'strip', model: m('final.model'), input: [b], output: m('b2.out.jsonl'), args },
      { id: 12, op: 'learn', input: [a], model: m('y.model'), args: ['-m', m('z.model')] },
      { id: 13, op: 'merge', models: [m('a.model')], output: m('y.model'), pruneBelow: '2' },
    ];
    const r = run(['serve'], { input: reqs.map((q) => (typeof q === 'string' ? q : JSON.stringify(q))).join('\n') + '\n' });
    expect(r.status, r.stderr).toBe(0);
    const replies = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(replies.map((x) => x.ok)).toEqual([true, true, true, true, false, false, false, false, true, true, true, true, false, false]);
    // What the request names does not go in its args; a number given as a string says so.
    expect(replies[12]).toMatchObject({ id: 12, code: 'E_OPTION', error: 'serve: -m does not go in "args": the request\'s "model" (or "into") names it' });
    expect(replies[13].error).toMatch(/\(got the string "2"\)$/);
    expect(replies[0]).toMatchObject({ id: 1, analysisKept: true });
    expect(replies[2]).toMatchObject({ id: 3, fromMemory: 1 });
    expect(replies[2].unprunedBytes).toBeGreaterThan(replies[2].bytes);
    // The merge's output stayed loaded; after forget, load read it again.
    expect(replies[3]).toMatchObject({ id: 4, loadSeconds: 0, analysisCached: true });
    expect(replies[5]).toMatchObject({ id: 5, code: 'E_OPTION' });
    expect(replies[6]).toMatchObject({ id: 6, code: 'E_INPUT' });
    expect(replies[7].error).toMatch(/standard input/);
    // A failed request left b's analyses for its strip; forget dropped the model and what was kept.
    expect(replies[8]).toMatchObject({ id: 8, loadSeconds: 0, analysisCached: true });
    expect(replies[10]).toMatchObject({ id: 10, loaded: true });
    expect(replies[11]).toMatchObject({ id: 11, loadSeconds: 0, analysisCached: false });
    expect(fs.readFileSync(m('b2.out.jsonl'), 'utf8')).toBe(fs.readFileSync(m('b.out.jsonl'), 'utf8'));
    // The same with the one-shot commands.
    // (One list of options serves both passes in serve mode; learn alone refuses strip's thresholds.)
    expect(run(['learn', a, '-m', m('a1.model'), '--quiet', '--threads', '1']).status).toBe(0);
    expect(run(['learn', b, '-m', m('b1.model'), '--quiet', '--threads', '1']).status).toBe(0);
    expect(run(['merge', m('a1.model'), m('b1.model'), '-o', m('final1.model'), '--prune-below', '2', '--quiet']).status).toBe(0);
    expect(fs.readFileSync(m('final.model')).equals(fs.readFileSync(m('final1.model')))).toBe(true);
    for (const x of [a, b]) {
      const s1 = run(['strip', '-m', m('final1.model'), x, '--quiet', ...args]);
      expect(s1.status).toBe(0);
      expect(fs.readFileSync(m(`${path.basename(x, '.jsonl')}.out.jsonl`), 'utf8')).toBe(s1.stdout);
    }
    // Nothing of the kept analyses is left behind.
    expect(fs.readdirSync(d).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

/** A model file's counts and totals, as comparable values (not its sample texts, which depend on the order counts were added). */
function counts(file: string): { entries: string[]; docs: number; sites: [string, number][] } {
  const m = loadModel(file);
  const c = m.counter;
  const entries: string[] = [];
  for (let i = 0; i < c.capacity; i++) if (c.cnt[i] !== 0) entries.push(`${c.k1[i]},${c.k2[i]},${c.cnt[i]}`);
  return { entries: entries.sort(), docs: m.docs, sites: [...m.sites].map(([n, s]) => [n, s.docs] as [string, number]).sort() };
}

describe('boilerstrip serve: sums in memory', () => {
  it('learn "into" counts inputs into one sum (each once); save and merge of sums give the counts of the inputs\' models merged; a failed learn drops its sum', () => {
    const d = path.join(dir, 'sums');
    fs.mkdirSync(d, { recursive: true });
    const docs = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 7, docs: 450 })];
    const m = (n: string): string => path.join(d, n);
    const [a, b, c] = ['a', 'b', 'c'].map((n, i) => {
      fs.writeFileSync(m(`${n}.jsonl`), docs.slice(i * 150, i * 150 + 150).map(simRecord).join('\n') + '\n');
      return m(`${n}.jsonl`);
    }) as [string, string, string];
    const bad = m('bad.jsonl');
    fs.writeFileSync(bad, '{"text": "fine"}\n{"text": broken\n');
    for (const x of [a, b, c]) expect(run(['learn', x, '-m', m(`${path.basename(x, '.jsonl')}1.model`), '--quiet', '--threads', '1']).status).toBe(0);
    const args = ['--threads', '1'];
    const reqs = [
      { id: 1, op: 'learn', input: [a], into: 'S', args, keepAnalysis: true },
      { id: 2, op: 'learn', input: [b], into: 'S', args },
      { id: 3, op: 'learn', input: [a], into: 'S', args },
      { id: 4, op: 'save', sum: 'S', output: m('ab.model'), texts: false },
      { id: 5, op: 'merge', sums: ['S'], output: m('x.model') },
      { id: 6, op: 'learn', input: [c], into: 'T', args, keepAnalysis: true },
      { id: 7, op: 'learn', input: [a], into: 'T', args },
      { id: 8, op: 'merge', sums: ['T'], models: [m('b1.model')], output: m('final.model'), pruneBelow: 2, load: true },
      { id: 9, op: 'strip', model: m('final.model'), input: [c], output: m('c.out.jsonl'), args },
      { id: 10, op: 'learn', input: [c], into: 'U', args },
      { id: 11, op: 'learn', input: [bad], into: 'U', args },
      { id: 12, op: 'save', sum: 'U', output: m('u.model') },
      // A learn that fails before counting (an input that cannot be read) drops its sum too: the driver
      // learns the sum's inputs again, and c must not be in it twice then.
      { id: 13, op: 'learn', input: [c], into: 'V', args },
      { id: 14, op: 'learn', input: [m('missing.jsonl')], into: 'V', args },
      { id: 15, op: 'save', sum: 'V', output: m('v.model') },
    ];
    const r = run(['serve'], { input: reqs.map((q) => JSON.stringify(q)).join('\n') + '\n' });
    expect(r.status, r.stderr).toBe(0);
    const replies = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(replies.map((x) => x.ok)).toEqual([true, true, true, true, false, true, true, true, true, true, false, false, true, false, false]);
    expect(replies[13].code).toBe('E_INPUT');
    expect(replies[14].error).toMatch(/no sum named "V"/);
    expect(replies[1]).toMatchObject({ added: true, sumInputs: 2 });
    // a was in S already: not counted again.
    expect(replies[2]).toMatchObject({ added: false, sumInputs: 2, docs: 0 });
    expect(replies[3].inputs).toEqual([a, b]);
    expect(replies[4].error).toMatch(/no sum named "S"/);
    expect(replies[7]).toMatchObject({ sumInputs: [c, a], fromMemory: 0 });
    expect(replies[8]).toMatchObject({ loadSeconds: 0, analysisCached: true });
    expect(replies[10].code).toBe('E_JSON');
    expect(replies[11].error).toMatch(/no sum named "U"/);
    // The same counts as the one-shot merges (a sum's sample texts can differ; saved with texts false, none).
    expect(run(['merge', m('a1.model'), m('b1.model'), '-o', m('ab1.model'), '--quiet']).status).toBe(0);
    expect(run(['merge', m('a1.model'), m('b1.model'), m('c1.model'), '-o', m('final1.model'), '--prune-below', '2', '--quiet']).status).toBe(0);
    expect(loadModel(m('ab.model')).texts.size).toBe(0);
    expect(counts(m('ab.model'))).toEqual(counts(m('ab1.model')));
    expect(counts(m('final.model'))).toEqual(counts(m('final1.model')));
    const s1 = run(['strip', '-m', m('final1.model'), c, '--quiet', ...args]);
    expect(s1.status).toBe(0);
    expect(fs.readFileSync(m('c.out.jsonl'), 'utf8')).toBe(s1.stdout);
  });
});

describe.skipIf(!haveDask)('the driver\'s merge', () => {
  it('a worker whose process died after learning (the root\'s, or another\'s): its shards are learned again, and the merge has the counts of every shard', () => {
    const four = shards.slice(0, 4);
    const work = path.join(dir, 'lost');
    fs.mkdirSync(work, { recursive: true });
    const script = `
import importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("run", ${JSON.stringify(DRIVER)})
run = importlib.util.module_from_spec(spec); spec.loader.exec_module(run)
from distributed import Client, LocalCluster
shards = ${JSON.stringify(four)}
cl = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
c = Client(cl)
(getattr(c, "register_plugin", None) or c.register_worker_plugin)(run.BoilerstripServers(${JSON.stringify(process.execPath)}, ${JSON.stringify(path.join(ROOT, 'bin/boilerstrip'))}), name=run.PLUGIN)
w = sorted(c.scheduler_info()["workers"])
def kill(dask_worker=None):
    s = dask_worker.plugins[run.PLUGIN].all[0]
    s.proc.kill(); s.proc.wait()
out = []
for victim in (1, 0):
    learned = {s: c.submit(run.learn_task, s, [], True, workers=[w[i % 2]], allow_other_workers=False, pure=False).result() for i, s in enumerate(shards)}
    c.run(kill, workers=[w[victim]])
    final, depth, merges, flush = run.tree_merge(c, shards, learned, ${JSON.stringify(work)}, 8, 1, [], 4)
    os.rename(final["model"], os.path.join(${JSON.stringify(work)}, f"final-{victim}.model"))
    out.append({"flush": flush, "sum_shards": final["sum_shards"]})
c.unregister_worker_plugin(run.PLUGIN); c.close(); cl.close()
print(json.dumps(out))
`;
    const r = spawnSync(PY, ['-c', script], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const [other, root] = JSON.parse(r.stdout.trim().split('\n').pop()!);
    // Another worker's process died: the root merged its own sum and the 2 shards learned again.
    expect(other.flush).toMatchObject({ in_memory: 2, learned_again: 2 });
    expect(other.sum_shards).toEqual([four[0], four[2]]);
    // The root's died: the root merged the other's sum file and its own 2 shards learned again.
    expect(root.flush).toMatchObject({ in_memory: 0, learned_again: 2 });
    expect(root.flush.files.map((f: { shards: number }) => f.shards)).toEqual([2, 1, 1]);
    for (const [i, x] of four.entries()) expect(run(['learn', x, '-m', path.join(work, `one-${i}.model`), '--quiet', '--threads', '1']).status).toBe(0);
    expect(run(['merge', ...four.map((_, i) => path.join(work, `one-${i}.model`)), '-o', path.join(work, 'one.model'), '--prune-below', '2', '--quiet']).status).toBe(0);
    const want = counts(path.join(work, 'one.model'));
    for (const v of [1, 0]) expect(counts(path.join(work, `final-${v}.model`))).toEqual(want);
  });
});

describe.skipIf(!haveDask)('the driver\'s worker plugin', () => {
  it('a server that died fails its request (Dask retries it) and the next request starts a new one', () => {
    const shard = shards[0]!;
    const model = path.join(dir, 'plugin.model');
    const script = `
import importlib.util, json, os, signal, sys, types
spec = importlib.util.spec_from_file_location("run", ${JSON.stringify(DRIVER)})
run = importlib.util.module_from_spec(spec); spec.loader.exec_module(run)
p = run.BoilerstripServers(${JSON.stringify(process.execPath)}, ${JSON.stringify(path.join(ROOT, 'bin/boilerstrip'))})
p.setup(types.SimpleNamespace(state=types.SimpleNamespace(nthreads=1)))
req = {"op": "learn", "input": [${JSON.stringify(shard)}], "model": ${JSON.stringify(model)}}
first = p.call(req)["docs"]
pid = p.all[0].proc.pid
os.kill(pid, signal.SIGKILL); p.all[0].proc.wait()
try:
    p.call(req); died = "no error"
except BrokenPipeError as e:
    died = str(e)
second = p.call(req)["docs"]
out = {"first": first, "second": second, "died": died, "servers": len(p.all), "new": p.all[0].proc.pid != pid}
p.teardown(None)
print(json.dumps(out))
`;
    const r = spawnSync(PY, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout.trim());
    expect(o.died).toMatch(/boilerstrip serve exited/);
    expect(o.second).toBe(o.first);
    expect(o).toMatchObject({ servers: 1, new: true });
  });
});
