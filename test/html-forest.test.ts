/**
 * The HTML block forest (src/html/forest.ts): a bag of models scores a block with the mean of its models'
 * log-odds, each model running its own stages (its context columns from its own first stage).
 */
import { describe, expect, it } from 'vitest';
import { N_FEATURES } from '../src/html/features.js';
import { forestScores, type Forest, type Stage } from '../src/html/forest.js';
import { htmlDoc } from '../src/html/page.js';
import { shippedForest } from '../src/html/strip-page.js';

const html = `<html><body><nav><ul><li><a href="/">Home</a></li><li><a href="/a">About us</a></li></ul></nav>
<article><h1>A headline of the page</h1><p>${'Some words of the body text go here. '.repeat(8)}</p>
<p>${'A second paragraph of the article, with more to say. '.repeat(5)}</p></article>
<footer><p>Copyright 2026 the site</p></footer></body></html>`;

function rows(n: number): Float32Array {
  // Deterministic feature rows: each column a spread of values the trees split on.
  const x = new Float32Array(n * N_FEATURES);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898) * 3;
  return x;
}

function scores(f: Forest, doc: ReturnType<typeof htmlDoc>): Float32Array {
  const n = doc.page.blocks.length;
  return forestScores(f, doc, rows(n), new Float32Array(n)).slice(0, n);
}

describe('a bag of models', () => {
  const doc = htmlDoc(html);
  const shipped = shippedForest();
  const a: Stage[] = shipped.stages;
  const b: Stage[] = shipped.stages.map((s) => ({ base: s.base - 0.5, trees: s.trees.slice(0, 25) }));
  const one = (stages: Stage[], bag?: Stage[][]): Forest => ({ ...shipped, stages, bag });

  it('averages its models log-odds', () => {
    expect(doc.page.blocks.length).toBeGreaterThan(3);
    const sa = scores(one(a), doc);
    const sb = scores(one(b), doc);
    const bag = scores(one(a, [b]), doc);
    expect([...sa].some((v, i) => Math.abs(v - sb[i]!) > 0.1)).toBe(true);
    for (let i = 0; i < bag.length; i++) expect(bag[i]).toBeCloseTo((sa[i]! + sb[i]!) / 2, 5);
  });

  it('of copies of one model scores as that model', () => {
    const sa = scores(one(a), doc);
    const bag = scores(one(a, [a, a]), doc);
    for (let i = 0; i < bag.length; i++) expect(bag[i]).toBeCloseTo(sa[i]!, 5);
  });
});

describe('the descent over complete trees', () => {
  const doc = htmlDoc(html);
  const n = doc.page.blocks.length;
  /** Each tree walked node by node (stageScore's way), in Float32 as forestScores keeps thresholds, leaves and sums. */
  function walked(stage: Stage, x: Float32Array): number[] {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let s = Math.fround(stage.base);
      for (const tr of stage.trees) {
        let k = 0;
        while (tr.f[k]! >= 0) k = x[i * N_FEATURES + tr.f[k]!]! <= Math.fround(tr.t[k]!) ? tr.l[k]! : tr.r[k]!;
        s = Math.fround(s + Math.fround(tr.v[k]!));
      }
      out.push(s);
    }
    return out;
  }
  // Trees of depth 0 (one leaf), 1 and 3 (unbalanced: leaves on every level) in one stage.
  const small: Stage = {
    base: 0.25,
    trees: [
      { f: [-1], t: [0], l: [0], r: [0], v: [1.5] },
      { f: [0, -1, -1], t: [0.5, 0, 0], l: [1, 0, 0], r: [2, 0, 0], v: [0, -2, 3] },
      { f: [1, -1, 2, 3, -1, -1, -1], t: [0, 0, 1, -1, 0, 0, 0], l: [1, 0, 3, 5, 0, 0, 0], r: [2, 0, 4, 6, 0, 0, 0], v: [0, 7, 0, 0, 11, 13, 17] },
    ],
  };
  const cases: [string, Float32Array][] = [];
  const spread = rows(n);
  cases.push(['spread values', spread]);
  // Values exactly at a threshold go left; NaN goes right.
  const edge = new Float32Array(n * N_FEATURES);
  for (let i = 0; i < n; i++) {
    edge[i * N_FEATURES] = i % 3 === 0 ? 0.5 : i % 3 === 1 ? NaN : 0.75;
    edge[i * N_FEATURES + 1] = i % 2 === 0 ? 0 : NaN;
    edge[i * N_FEATURES + 2] = i % 2 === 0 ? 1 : 2;
    edge[i * N_FEATURES + 3] = i % 4 < 2 ? -1 : NaN;
  }
  cases.push(['thresholds and NaN', edge]);

  it.each(cases)('scores as the trees walked node by node (%s)', (_name, x) => {
    const shipped = shippedForest();
    for (const stage of [small, shipped.stages[0]!]) {
      const f: Forest = { ...shipped, stages: [stage], bag: undefined };
      const got = [...forestScores(f, doc, Float32Array.from(x), new Float32Array(n)).slice(0, n)];
      expect(got).toEqual(walked(stage, x));
    }
    // The small stage reaches every leaf of its unbalanced tree across these rows.
    expect(new Set(walked(small, x)).size).toBeGreaterThan(1);
  });
});
