import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedPool } from '../src/sim/articles.js';
import { simulate } from '../src/sim/generate.js';
import { boilerstripPeer, standardPeers } from '../src/sim/peers.js';
import { emptyScore, figures, scoreDoc } from '../src/sim/score.js';
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

  it('small batches over ten sites with syndicated stories stay above their floors', () => {
    // Floors just under what was measured on 2026-12-01 (seeds 1-3 pooled: F1 0.9725 / 0.9823 / 0.9898,
    // damaged 8.3% / 6.0% / 3.6% at 40 / 150 / 600); the targets (damaged
    // <= max(1 doc, 0.5%), F1 >= 0.98) are not met yet at 40 and 150: see README "Quality".
    const floors: Record<number, { f1: number; damaged: number }> = { 40: { f1: 0.97, damaged: 0.085 }, 150: { f1: 0.98, damaged: 0.062 }, 600: { f1: 0.988, damaged: 0.038 } };
    for (const n of [40, 150, 600]) {
      const s = emptyScore();
      for (const seed of [1, 2, 3]) {
        const batch = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed, docs: n, sites: 10, tinySites: 0, wireShare: 0.1 })];
        const removed = boilerstripPeer().run(batch.map((d) => ({ text: d.text, site: d.site })));
        batch.forEach((d, i) => scoreDoc(s, d, removed[i]!));
      }
      const f = figures(s);
      expect(f.f1, `F1 at ${n}`).toBeGreaterThanOrEqual(floors[n]!.f1);
      expect(f.damagedShare, `damaged at ${n}`).toBeLessThanOrEqual(floors[n]!.damaged);
    }
  });

  it('beats every simple method on F1', () => {
    const ours = score(boilerstripPeer().run(input)).f1;
    for (const p of standardPeers()) expect(ours, p.name).toBeGreaterThan(score(p.run(input)).f1 + 0.05);
  });
});
