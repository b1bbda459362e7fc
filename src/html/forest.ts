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

/**
 * A stage's trees as complete binary trees of one depth, in heap order: internal node q of a tree (63 of
 * them at depth 6) has its children at 2q + 1 and 2q + 2, and its leaves follow. A leaf above the last level
 * fills every leaf below it (and the internal nodes under it test anything: both ways end at its value).
 * Descending then takes the same number of steps on every path and no branch on the data: a block goes
 * where `x <= t` sends it, as in stageScore, in `depth` index steps (treeSum).
 */
interface FlatStage {
  base: number;
  trees: number;
  depth: number;
  f: Int32Array;
  t: Float32Array;
  v: Float32Array;
}

/** Trees deeper than this would take 2^depth slots each: retrain shallower. */
export const MAX_TREE_DEPTH = 12;

function treeDepth(tr: Tree, k = 0): number {
  return tr.f[k]! < 0 ? 0 : 1 + Math.max(treeDepth(tr, tr.l[k]!), treeDepth(tr, tr.r[k]!));
}

const flatCache = new WeakMap<Forest, FlatStage[][]>();

function flattenStage(st: Stage): FlatStage {
  const depth = Math.max(0, ...st.trees.map((tr) => treeDepth(tr)));
  if (depth > MAX_TREE_DEPTH) throw new Error(`HTML block forest has a tree of depth ${depth}, over ${MAX_TREE_DEPTH}: retrain with a smaller --depth`);
  const inner = (1 << depth) - 1;
  const leaves = 1 << depth;
  const n = st.trees.length;
  const fs: FlatStage = { base: st.base, trees: n, depth, f: new Int32Array(n * inner), t: new Float32Array(n * inner), v: new Float32Array(n * leaves) };
  st.trees.forEach((tr, j) => {
    // Node k of the tree at heap slot h, level d.
    const place = (k: number, h: number, d: number): void => {
      if (tr.f[k]! < 0) {
        // A leaf: every leaf slot under h (the slots of level `depth` below it) takes its value.
        const span = 1 << (depth - d);
        const first = (h + 1) * span - 1 - inner;
        fs.v.fill(tr.v[k]!, j * leaves + first, j * leaves + first + span);
        return;
      }
      fs.f[j * inner + h] = tr.f[k]!;
      fs.t[j * inner + h] = tr.t[k]!;
      place(tr.l[k]!, 2 * h + 1, d + 1);
      place(tr.r[k]!, 2 * h + 2, d + 1);
    };
    place(0, 0, 0);
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

/** Adds every tree's leaf for each of n blocks (rows of x) to s, tree by tree. */
type TreeSum = (x: Float32Array, s: Float32Array, n: number, f: Int32Array, t: Float32Array, v: Float32Array, trees: number) => void;

const sums = new Map<number, TreeSum>();

/**
 * The descent for trees of one depth, its steps written out (a loop over the levels runs 1.4x slower: the
 * steps of one block then wait on the loop's own bookkeeping). Each step goes left (2q + 1) when
 * x <= t, as stageScore does, else right; one tree's nodes stay in the nearest cache over all blocks.
 */
function treeSum(depth: number): TreeSum {
  let sum = sums.get(depth);
  if (sum === undefined) {
    const inner = (1 << depth) - 1;
    const step = 'q = 2 * q + (x[o + f[fo + q]] <= t[fo + q] ? 1 : 2);';
    sum = new Function(
      'x',
      's',
      'n',
      'f',
      't',
      'v',
      'trees',
      `for (let j = 0, fo = 0, vo = 0; j < trees; j++, fo += ${inner}, vo += ${inner + 1}) {
        for (let i = 0, o = 0; i < n; i++, o += ${N_FEATURES}) {
          let q = 0;
          ${step.repeat(depth)}
          s[i] += v[vo + q - ${inner}];
        }
      }`,
    ) as TreeSum;
    sums.set(depth, sum);
  }
  return sum;
}

/** One model's log-odds of every block in s (fills the context columns of `x` between its stages). */
function modelScores(stages: FlatStage[], doc: HtmlDoc, x: Float32Array, s: Float32Array, n: number): void {
  for (let k = 0; k < stages.length; k++) {
    const st = stages[k]!;
    if (k > 0) contextFeatures(doc, s, x);
    s.fill(st.base, 0, n);
    treeSum(st.depth)(x, s, n, st.f, st.t, st.v, st.trees);
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
