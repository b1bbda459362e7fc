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
 * set (on seed 1: F1 0.9963, recall 0.9993, chrome left 0.66%, damaged documents 0.4%; see README
 * "Results"): a change that loses quality fails here.
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
    expect(f.f1).toBeGreaterThanOrEqual(0.993);
    expect(f.recall).toBeGreaterThanOrEqual(0.997);
    expect(f.chromeLeft).toBeLessThanOrEqual(0.012);
    expect(f.damagedShare).toBeLessThanOrEqual(0.008);
  });

  it('beats every simple method on F1', () => {
    const ours = score(boilerstripPeer().run(input)).f1;
    for (const p of standardPeers()) expect(ours, p.name).toBeGreaterThan(score(p.run(input)).f1 + 0.05);
  });
});
