import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Counter64 } from '../src/counter.js';
import { finalizeSpills, Spiller } from '../src/spill.js';
import { seedPool } from '../src/sim/articles.js';
import { simulate } from '../src/sim/generate.js';
import { ROOT, tmpdir } from './helpers/cli.js';
import { rngInt } from './helpers/rng.js';

const dir = tmpdir('bs-spill-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('spilling single-document units (spill.ts)', () => {
  it.each([
    ['in one pass a partition', undefined],
    ['in several passes a partition (a very large input)', 300],
  ])('a table far smaller than its keys ends with the exact count of every key in 2+ documents (%s)', (_how, passKeys) => {
    const r = rngInt(5);
    const c = new Counter64(512 * 1024, 1 << 10);
    const sp = new Spiller(dir, 'unit');
    c.onFull = (t, doc) => sp.spill(t, doc);
    const ref = new Map<string, number>();
    const hot: [number, number][] = Array.from({ length: 3000 }, () => [r(), r()]);
    for (let doc = 0; doc < 20_000; doc++) {
      const seen = new Set<string>();
      // A few repeated keys (some twice in a document), and a flood of keys of one document.
      for (let k = 0; k < 6; k++) {
        const [a, b] = k < 4 ? hot[Math.abs(r()) % hot.length]! : [r(), r()];
        for (let rep = 0; rep < 2; rep++) {
          c.incDoc(a, b, doc);
          const s = `${a},${b}`;
          if (!seen.has(s)) ref.set(s, (ref.get(s) ?? 0) + 1);
          seen.add(s);
        }
      }
    }
    expect(sp.runs.length).toBeGreaterThan(3);
    expect(c.capacity).toBeLessThan(ref.size);
    const totals = finalizeSpills(c, sp.runs, passKeys);
    expect(c.prune.events).toBe(0);
    let singles = 0;
    for (const [s, n] of ref) {
      const [a, b] = s.split(',').map(Number);
      if (n >= 2) expect(c.get(a!, b!), s).toBe(n);
      else {
        singles++;
        expect(c.get(a!, b!)).toBeLessThanOrEqual(1);
      }
    }
    // Units of one document are either still in the table (count 1) or dropped: none lost or doubled.
    let inTable = 0;
    c.forEach((_a, _b, n) => void (n === 1 && inTable++));
    expect(totals.singles + inTable).toBe(singles);
    expect(sp.runs.every((run) => !fs.existsSync(run.file))).toBe(true);
  });

  it('clean with a table that spills gives the bytes of a table that holds everything, on 1, 2 and 3 threads', async () => {
    // The built modules, as the CLI runs them (worker threads load dist/ files).
    const { resolveInputs } = await import(path.join(ROOT, 'dist/src/io/input.js'));
    const { cleanSources, RunStats } = await import(path.join(ROOT, 'dist/src/run.js'));
    const lines = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 6, docs: 1500 })].map((d) => JSON.stringify({ url: d.url, text: d.text }));
    const file = path.join(dir, 'crawl.jsonl');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    // clean over `inputs` into memory: the output and the run's figures.
    const cleanOf = async (inputs: unknown, opts: Record<string, unknown>): Promise<{ out: string; stats: InstanceType<typeof RunStats> }> => {
      const out: string[] = [];
      const sink = { write: (s: string) => void out.push(s), writeBytes: (b: Buffer) => void out.push(b.toString('utf8')), close: async () => {}, abort() {} };
      const stats = new RunStats();
      await cleanSources(inputs, sink, { tmpDir: dir, ...opts }, stats);
      return { out: out.join(''), stats };
    };
    const sources = await resolveInputs([file]);
    const run = (opts: Record<string, unknown>): ReturnType<typeof cleanOf> => cleanOf(sources, opts);
    const full = await run({ threads: 1 });
    expect(full.stats.model.spilled).toBe(null);
    expect(full.stats.model.prune.events).toBe(0);
    for (const threads of [1, 2, 3]) {
      const small = await run({ threads, maxMemory: 1 << 20 });
      expect(small.stats.model.spilled?.runs, `threads ${threads}`).toBeGreaterThan(0);
      expect(small.stats.model.prune.events).toBe(0);
      // Both end with the repeated units only, in the same table (Model.compactBelow before pass 2).
      expect(small.stats.model.counter.capacity).toBe(full.stats.model.counter.capacity);
      expect(small.stats.model.counter.size).toBe(full.stats.model.counter.size);
      expect(small.out === full.out, `threads ${threads}`).toBe(true);
      expect(small.stats.report().model.spill.singles).toBeGreaterThan(0);
    }
    // Inputs of several kinds make several groups (JSONL cut for the threads, a JSON array read here):
    // each group's spills stay until the end of pass 1 (a name used again overwrote a run).
    const third = Math.floor(lines.length / 3);
    const parts = [path.join(dir, 'p1.jsonl'), path.join(dir, 'p2.json'), path.join(dir, 'p3.jsonl')];
    fs.writeFileSync(parts[0]!, lines.slice(0, third).join('\n') + '\n');
    fs.writeFileSync(parts[1]!, `[${lines.slice(third, 2 * third).join(',\n')}]\n`);
    fs.writeFileSync(parts[2]!, lines.slice(2 * third).join('\n') + '\n');
    const mixed = await resolveInputs(parts);
    const mixedFull = await cleanOf(mixed, { threads: 2 });
    const mixedSmall = await cleanOf(mixed, { threads: 2, maxMemory: 1 << 20 });
    expect(mixedSmall.stats.model.spilled?.runs).toBeGreaterThan(2);
    expect(mixedSmall.out === mixedFull.out).toBe(true);
    // (The library's clean, which refuses a maxMemory under 16 MB as the CLI does, spills the same way:
    // test/api.test.ts, on records enough to fill 16 MB.)
    // A run that cannot be written (a full disk): the table keeps what it has and prunes when full, as
    // without spilling; the run goes on and says why.
    const { Spiller: DistSpiller } = await import(path.join(ROOT, 'dist/src/spill.js'));
    const realWrite = DistSpiller.prototype.write;
    DistSpiller.prototype.write = () => {
      throw new Error('ENOSPC: no space left on device, write');
    };
    try {
      const full = await run({ threads: 1, maxMemory: 1 << 20 });
      expect(full.stats.model.spilled?.failed).toMatch(/ENOSPC/);
      expect(full.stats.model.spilled?.runs).toBe(0);
      expect(full.stats.model.prune.events).toBeGreaterThan(0);
      // (Lossy pruning is counted apart; the exact floor is 2: pass 2 reads the repeated units only.)
      expect(full.stats.model.prunedBelow).toBe(2);
      expect(full.out.split('\n').filter(Boolean).length).toBe(lines.length);
    } finally {
      DistSpiller.prototype.write = realWrite;
    }
    // With --min-docs 1 a count of 1 decides: no spilling, the old pruning.
    const one = await run({ threads: 1, maxMemory: 1 << 20, minDocs: 1 });
    expect(one.stats.model.spilled).toBe(null);
    expect(one.stats.model.prune.events).toBeGreaterThan(0);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('boilerstrip-'))).toEqual([]);
  });
});
