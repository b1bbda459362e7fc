import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedPool } from '../src/sim/articles.js';
import { simulate } from '../src/sim/generate.js';
import { boilerstripPeer, standardPeers } from '../src/sim/peers.js';
import { emptyScore, figures, scoreDoc } from '../src/sim/score.js';
import { Model } from '../src/model.js';
import { Stripper } from '../src/strip.js';
import { ROOT } from './helpers/cli.js';

/**
 * A regression floor: a small simulated crawl (bodies from seeds/, so no external data is needed),
 * scored against gold at default settings. Floors sit just under the figures measured when they were
 * set (on seed 1, 2026-12-01, with wire variants, speech-verb quotes and NBSP datelines in the simulator:
 * F1 0.9922, recall 0.9988, chrome left 1.54%, damaged documents 0.73%; the build before those fixes
 * measured F1 0.9689 and 37.8% damaged on the same crawl): a change that loses quality fails here.
 */
describe('quality on a simulated crawl', () => {
  const docs = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 1, docs: 1500 })];
  const input = docs.map((d) => ({ text: d.text, site: d.site }));
  const score = (removed: [number, number][][]) => {
    const s = emptyScore();
    docs.forEach((d, i) => scoreDoc(s, d, removed[i]!));
    return figures(s);
  };

  it('stays above its floor at default settings', () => {
    const f = score(boilerstripPeer().run(input));
    expect(f.f1).toBeGreaterThanOrEqual(0.991);
    expect(f.recall).toBeGreaterThanOrEqual(0.998);
    expect(f.chromeLeft).toBeLessThanOrEqual(0.017);
    expect(f.damagedShare).toBeLessThanOrEqual(0.009);
  });

  it('keeps paragraphs that open with a speech verb and a colon, and NBSP datelines', () => {
    const ours = boilerstripPeer().run(input);
    let speech = 0;
    let speechCut = 0;
    let dateline = 0;
    let datelineCut = 0;
    docs.forEach((d, i) => {
      for (const [gs, ge, label] of d.gold) {
        if (label !== 'content') continue;
        const line = d.text.slice(gs, ge);
        const cut = ours[i]!.some(([s, e]) => s < ge && e > gs);
        if (/^و\S+: "/.test(line)) {
          speech++;
          if (cut) speechCut++;
        } else if (line.includes('--\u00a0 ')) {
          dateline++;
          if (cut) datelineCut++;
        }
      }
    });
    // Measured: 0 of 878 speech-verb paragraphs and 0 of 574 datelines cut (the build before: most of them).
    expect(speech).toBeGreaterThan(100);
    expect(dateline).toBeGreaterThan(20);
    expect(speechCut / speech).toBeLessThanOrEqual(0.005);
    expect(datelineCut / dateline).toBeLessThanOrEqual(0.005);
  });

  it('small batches over ten sites with syndicated stories meet the issue\'s targets', () => {
    // Issue #10: in every batch, damaged documents <= max(1, 0.5%) and F1 >= 0.98 (0.99 at 600). Measured
    // on 2026-12-01 (seeds 1-3): damaged 0/1/0, 1/0/1, 1/0/0 documents; F1 pooled 0.9882 / 0.9947 / 0.9967
    // at 40 / 150 / 600 (before the small-site title rescue: 0.9779 / 0.9911 / 0.9931 with 5 / 7 / 8
    // damaged; before shingle fingerprints 0.9725 / 0.9823 / 0.9898). Pooled floors just under those.
    const floors: Record<number, { f1: number; pooled: number }> = { 40: { f1: 0.98, pooled: 0.987 }, 150: { f1: 0.98, pooled: 0.994 }, 600: { f1: 0.99, pooled: 0.996 } };
    for (const n of [40, 150, 600]) {
      const s = emptyScore();
      for (const seed of [1, 2, 3]) {
        const batch = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed, docs: n, sites: 10, tinySites: 0, wireShare: 0.1 })];
        const removed = boilerstripPeer().run(batch.map((d) => ({ text: d.text, site: d.site })));
        const one = emptyScore();
        batch.forEach((d, i) => {
          scoreDoc(s, d, removed[i]!);
          scoreDoc(one, d, removed[i]!);
        });
        expect(one.damaged, `damaged documents, batch of ${n}, seed ${seed}`).toBeLessThanOrEqual(Math.max(1, Math.floor(0.005 * n)));
        expect(figures(one).f1, `F1, batch of ${n}, seed ${seed}`).toBeGreaterThanOrEqual(floors[n]!.f1);
      }
      const f = figures(s);
      expect(f.f1, `F1 at ${n}`).toBeGreaterThanOrEqual(floors[n]!.pooled);
    }
  });

  it('recognizes edited wire copies and pages scraped twice as copies, and few other pages', () => {
    // Wire copies with another headline, a dateline, an appended sentence or a paragraph turned into a
    // quote share few whole lines; their shingle fingerprints still match. Measured (600 documents, ten
    // sites, 10% wire, seed 1): 50 of 51 wire copies and 6 of 6 re-scrapes recognized (whole-line
    // fingerprints alone: 16 and 3); 32 of 536 other pages have copies, most of them a wire story's first run.
    const batch = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 1, docs: 600, sites: 10, tinySites: 0, wireShare: 0.1 })];
    const model = new Model();
    for (const d of batch) model.learnDoc(d.text, d.site);
    const st = new Stripper(model);
    const seen: Record<string, [number, number]> = {};
    for (const d of batch) {
      const c = (seen[d.case ?? 'regular'] ??= [0, 0]);
      c[0]++;
      if (st.strip(d.text, d.site).copies > 1) c[1]++;
    }
    expect(seen.wire![1] / seen.wire![0]).toBeGreaterThanOrEqual(0.9);
    expect(seen.duplicate![1]).toBe(seen.duplicate![0]);
    expect(seen.regular![1] / seen.regular![0]).toBeLessThanOrEqual(0.08);
  });

  it('beats every simple method on F1', () => {
    const ours = score(boilerstripPeer().run(input)).f1;
    for (const p of standardPeers()) expect(ours, p.name).toBeGreaterThan(score(p.run(input)).f1 + 0.05);
  });
});
