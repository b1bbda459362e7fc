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
