/**
 * A small gradient-boosted forest over block features (features.ts): the one decision on each block of an
 * HTML page. Trained by bench/train-html.ts on real pages with human gold (never shipped); the trees are
 * written to forest-data.ts, a data file of plain arrays.
 */
import { contextFeatures, FEATURES, N_FEATURES } from './features.js';
import type { HtmlDoc } from './page.js';

/** One regression tree: node k is a leaf when f[k] < 0 (its value v[k]); else x[f[k]] <= t[k] goes to l[k], otherwise r[k]. */
export interface Tree {
  f: number[];
  t: number[];
  l: number[];
  r: number[];
  v: number[];
}

/** One boosted stage: log-odds = base + the sum of its trees' leaves. */
export interface Stage {
  base: number;
  trees: Tree[];
}

/**
 * Stages run in turn: the first reads the block's own features; each next one also reads the context
 * columns, filled from the previous stage's scores of the blocks around it (features.ts contextFeatures).
 */
export interface Forest {
  /** Feature names in order; must equal FEATURES. */
  features: string[];
  stages: Stage[];
  /**
   * Further models over the same features, each its own stages, trained on other draws of the rows and
   * sites (bagging): a block's log-odds is then the mean over `stages` and each of these. Averaging
   * models keeps one training's luck out of the decision (bench/html-ensemble.ts).
   */
  bag?: Stage[][];
  /** A block is kept when its last stage's log-odds of being content is at least this. */
  threshold: number;
  /** How it was trained (data, split, parameters), for the record. */
  trainedOn: string;
}

/** A stage's log-odds that block `row` of `x` (rows of N_FEATURES) is content. */
export function stageScore(stage: Stage, x: Float32Array, row: number): number {
  const o = row * N_FEATURES;
  let s = stage.base;
  for (const tr of stage.trees) {
    let k = 0;
    const f = tr.f;
    while (f[k]! >= 0) k = x[o + f[k]!]! <= tr.t[k]! ? tr.l[k]! : tr.r[k]!;
    s += tr.v[k]!;
  }
  return s;
}

/** A stage's trees in flat typed arrays (node k of every tree at one index; roots in `roots`). */
interface FlatStage {
  base: number;
  roots: Int32Array;
  f: Int16Array;
  t: Float32Array;
  l: Int32Array;
  r: Int32Array;
  v: Float32Array;
}

const flatCache = new WeakMap<Forest, FlatStage[][]>();

function flattenStage(st: Stage): FlatStage {
  let nodes = 0;
  for (const tr of st.trees) nodes += tr.f.length;
  const fs: FlatStage = { base: st.base, roots: new Int32Array(st.trees.length), f: new Int16Array(nodes), t: new Float32Array(nodes), l: new Int32Array(nodes), r: new Int32Array(nodes), v: new Float32Array(nodes) };
  let at = 0;
  st.trees.forEach((tr, k) => {
    fs.roots[k] = at;
    for (let j = 0; j < tr.f.length; j++) {
      fs.f[at + j] = tr.f[j]!;
      fs.t[at + j] = tr.t[j]!;
      fs.l[at + j] = tr.l[j]! + at;
      fs.r[at + j] = tr.r[j]! + at;
      fs.v[at + j] = tr.v[j]!;
    }
    at += tr.f.length;
  });
  return fs;
}

/** The forest's models (its own stages, then its bag's), flattened once. */
function flatten(forest: Forest): FlatStage[][] {
  let flat = flatCache.get(forest);
  if (flat === undefined) {
    flat = [forest.stages, ...(forest.bag ?? [])].map((m) => m.map(flattenStage));
    flatCache.set(forest, flat);
  }
  return flat;
}

/** One model's log-odds of every block in s (fills the context columns of `x` between its stages). */
function modelScores(stages: FlatStage[], doc: HtmlDoc, x: Float32Array, s: Float32Array, n: number): void {
  for (let k = 0; k < stages.length; k++) {
    const st = stages[k]!;
    if (k > 0) contextFeatures(doc, s, x);
    const { roots, f, t, l, r, v } = st;
    // Tree by tree over all blocks: one tree's nodes stay in the nearest cache.
    s.fill(st.base, 0, n);
    for (let j = 0; j < roots.length; j++) {
      const root = roots[j]!;
      for (let i = 0, o = 0; i < n; i++, o += N_FEATURES) {
        let q = root;
        while (f[q]! >= 0) q = x[o + f[q]!]! <= t[q]! ? l[q]! : r[q]!;
        s[i]! += v[q]!;
      }
    }
  }
}

let scratch = new Float32Array(0);

/**
 * Every block's log-odds of being content, through all stages (fills the context columns of `x`); with a
 * bag, the mean over its models.
 */
export function forestScores(forest: Forest, doc: HtmlDoc, x: Float32Array, out: Float32Array): Float32Array {
  const n = doc.page.blocks.length;
  const s = out.length >= n ? out : new Float32Array(n);
  const models = flatten(forest);
  modelScores(models[0]!, doc, x, s, n);
  if (models.length === 1) return s;
  if (scratch.length < n) scratch = new Float32Array(n * 2);
  for (let m = 1; m < models.length; m++) {
    modelScores(models[m]!, doc, x, scratch, n);
    for (let i = 0; i < n; i++) s[i]! += scratch[i]!;
  }
  for (let i = 0; i < n; i++) s[i]! /= models.length;
  return s;
}

/** Throw unless `forest` was trained on this build's feature list. */
export function checkForest(forest: Forest): Forest {
  if (forest.features.length !== FEATURES.length || forest.features.some((n, i) => n !== FEATURES[i])) {
    throw new Error(`HTML block forest was trained on other features (${forest.features.length} vs ${FEATURES.length}): run npm run train:html`);
  }
  return forest;
}
