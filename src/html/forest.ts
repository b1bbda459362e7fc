/**
 * A small gradient-boosted forest over block features (features.ts): the one decision on each block of an
 * HTML page. Trained by bench/train-html.ts on real pages with human gold (never shipped); the trees are
 * written to forest-data.ts, a data file of plain arrays.
 */
import { FEATURES, N_FEATURES } from './features.js';

/** One regression tree: node k is a leaf when f[k] < 0 (its value v[k]); else x[f[k]] <= t[k] goes to l[k], otherwise r[k]. */
export interface Tree {
  f: number[];
  t: number[];
  l: number[];
  r: number[];
  v: number[];
}

export interface Forest {
  /** Feature names in order; must equal FEATURES. */
  features: string[];
  /** Log-odds before any tree. */
  base: number;
  /** A block is kept when its log-odds of being content is at least this. */
  threshold: number;
  trees: Tree[];
  /** How it was trained (data, split, parameters), for the record. */
  trainedOn: string;
}

/** The forest's log-odds that block `row` of `x` (rows of N_FEATURES) is content. */
export function forestScore(forest: Forest, x: Float32Array, row: number): number {
  const o = row * N_FEATURES;
  let s = forest.base;
  for (const tr of forest.trees) {
    let k = 0;
    const f = tr.f;
    while (f[k]! >= 0) k = x[o + f[k]!]! <= tr.t[k]! ? tr.l[k]! : tr.r[k]!;
    s += tr.v[k]!;
  }
  return s;
}

/** Throw unless `forest` was trained on this build's feature list. */
export function checkForest(forest: Forest): Forest {
  if (forest.features.length !== FEATURES.length || forest.features.some((n, i) => n !== FEATURES[i])) {
    throw new Error(`HTML block forest was trained on other features (${forest.features.length} vs ${FEATURES.length}): run npm run train:html`);
  }
  return forest;
}
