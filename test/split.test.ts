import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPool } from '../src/sim/articles.js';
import { simRecord, simulate, type SimDoc } from '../src/sim/generate.js';
import { Model } from '../src/model.js';
import { Stripper } from '../src/strip.js';
import { emptyScore, figures, scoreDoc } from '../src/sim/score.js';
import { ROOT, run, tmpdir } from './helpers/cli.js';

/**
 * The result must not depend on how the input is split: the same crawl as one file, as 8 files cut in
 * record order (split -n l/8), as 8 shards learned apart and merged, or in another order. Counts are sums
 * and copies are taken out at judging time, so these are exact (byte-identical), not "close".
 */
const dir = tmpdir('bs-split-');
const docs: SimDoc[] = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 21, docs: 3000, wireShare: 0.05 })];
const lines = docs.map(simRecord);
const parts = 8;
const cut = (k: number): string[] => lines.slice(Math.floor((k * lines.length) / parts), Math.floor(((k + 1) * lines.length) / parts));

beforeAll(() => {
  fs.writeFileSync(path.join(dir, 'all.jsonl'), lines.join('\n') + '\n');
  fs.mkdirSync(path.join(dir, 'parts'));
  for (let k = 0; k < parts; k++) fs.writeFileSync(path.join(dir, 'parts', `part-${k}.jsonl`), cut(k).join('\n') + '\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('split invariance', () => {
  it('library: 8 shards learned apart and merged, in any order, judge every document as one model does', () => {
    const whole = new Model();
    for (const d of docs) whole.learnDoc(d.text, d.site);
    const merged = new Model();
    // Shards merged in reverse order, each learned over its documents in reverse.
    for (let k = parts - 1; k >= 0; k--) {
      const m = new Model();
      const from = Math.floor((k * docs.length) / parts);
      const to = Math.floor(((k + 1) * docs.length) / parts);
      for (let i = to - 1; i >= from; i--) m.learnDoc(docs[i]!.text, docs[i]!.site);
      merged.mergeFrom(m);
    }
    expect(merged.docs).toBe(whole.docs);
    const a = new Stripper(whole);
    const b = new Stripper(merged);
    let copies = 0;
    const score = emptyScore();
    for (const d of docs) {
      const x = a.strip(d.text, d.site);
      const y = b.strip(d.text, d.site);
      expect(y.text).toBe(x.text);
      if (x.copies > 1) copies++;
      scoreDoc(score, d, x.spans);
    }
    // Consistent, and good: floors at what was measured (see README "Quality").
    const f = figures(score);
    expect(f.damagedShare).toBeLessThanOrEqual(FLOOR.damaged);
    expect(f.chromeLeft).toBeLessThanOrEqual(FLOOR.chromeLeft);
    // The crawl has copies (pages scraped twice, wire stories) and they were recognized.
    expect(copies).toBeGreaterThan(20);
    // Pruned below 2 (merge --prune-below 2, what the Dask route ships), the model judges alike: no
    // decision reads a count under 2.
    merged.pruneBelow(2);
    const c = new Stripper(merged);
    let changed = 0;
    for (const d of docs) {
      const x = a.strip(d.text, d.site);
      expect(c.strip(d.text, d.site).text).toBe(x.text);
      if (x.spans.length > 0) changed++;
    }
    expect(changed).toBeGreaterThan(2500);
  });

  it('CLI: one file, 8 files, and learn x8 + merge + strip x8 give the same bytes', () => {
    const one = run(['clean', path.join(dir, 'all.jsonl'), '--quiet']);
    expect(one.status, one.stderr).toBe(0);
    const many = run(['clean', path.join(dir, 'parts'), '--quiet']);
    expect(many.status, many.stderr).toBe(0);
    expect(many.stdout).toBe(one.stdout);
    const models: string[] = [];
    for (let k = 0; k < parts; k++) {
      const m = path.join(dir, `p${k}.model`);
      const r = run(['learn', path.join(dir, 'parts', `part-${k}.jsonl`), '-m', m, '--quiet']);
      expect(r.status, r.stderr).toBe(0);
      models.push(m);
    }
    const all = path.join(dir, 'all.model');
    const mr = run(['merge', ...models.reverse(), '-o', all, '--quiet']);
    expect(mr.status, mr.stderr).toBe(0);
    let out = '';
    for (let k = 0; k < parts; k++) {
      const r = run(['strip', '-m', all, path.join(dir, 'parts', `part-${k}.jsonl`), '--quiet']);
      expect(r.status, r.stderr).toBe(0);
      out += r.stdout;
    }
    expect(out).toBe(one.stdout);
  });
});

/**
 * Issue #10's targets, met on this crawl: damaged <= 0.002, chrome left <= 0.005. Measured when set
 * (2026-12-01): damaged 0.0007 (2 of 3,000), chrome left 0.0041; before the small-site title rescue and
 * the lead kept for ending in "..": 0.0023 and 0.0041; before shingle fingerprints: 0.0110 and 0.0041.
 */
const FLOOR = { damaged: 0.002, chromeLeft: 0.0045 };
