/**
 * Gradient-boosted regression trees for a binary label (logistic loss, second-order leaf values), the
 * trainer behind src/html/forest.ts. Features are cut into quantile bins once; each tree grows level by
 * level from per-node histograms of gradients and hessians. Small and exact enough for ~10^6 rows.
 */
import type { Forest, Stage, Tree } from '../../src/html/forest.js';

export interface TrainOptions {
  trees: number;
  depth: number;
  rate: number;
  /** Bins per feature (≤ 256). */
  bins: number;
  /** Least hessian weight in a leaf. */
  minLeaf: number;
  /** L2 on leaf values. */
  lambda: number;
  /** Share of features each tree may split on (drawn per tree, seeded): less variance between trainings. */
  colsample: number;
  /** Share of rows each tree learns from (drawn per tree, seeded). */
  subsample: number;
  /** Seed of those draws (0: the original generator's start). */
  seed: number;
}

export const TRAIN_DEFAULTS: TrainOptions = { trees: 60, depth: 6, rate: 0.12, bins: 64, minLeaf: 20, lambda: 1, colsample: 1, subsample: 1, seed: 0 };

/** Thresholds per feature: bin b holds values <= cuts[b] (and > cuts[b-1]); the last bin is unbounded. */
function quantileCuts(x: Float32Array, n: number, nF: number, f: number, bins: number): Float32Array {
  const step = Math.max(1, Math.floor(n / 50_000));
  const vals: number[] = [];
  for (let i = 0; i < n; i += step) vals.push(x[i * nF + f]!);
  vals.sort((a, b) => a - b);
  const cuts: number[] = [];
  for (let b = 1; b < bins; b++) {
    const v = vals[Math.min(vals.length - 1, Math.floor((b * vals.length) / bins))]!;
    if (cuts.length === 0 || v > cuts[cuts.length - 1]!) cuts.push(v);
  }
  // Values equal to a cut fall in its bin; make sure the largest value has one.
  return Float32Array.from(cuts);
}

function binOf(cuts: Float32Array, v: number): number {
  let lo = 0;
  let hi = cuts.length; // answer in [0, cuts.length]
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= cuts[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Train on rows x (n × nF, row-major), labels y (0/1) and weights w. Returns the forest's base and trees
 * (the caller sets features, threshold and trainedOn).
 */
export function trainTrees(x: Float32Array, nF: number, y: Uint8Array, w: Float32Array, o: TrainOptions = TRAIN_DEFAULTS): Stage {
  const n = y.length;
  const cuts: Float32Array[] = [];
  for (let f = 0; f < nF; f++) cuts.push(quantileCuts(x, n, nF, f, o.bins));
  const B = o.bins;
  const binned = new Uint8Array(n * nF);
  for (let i = 0; i < n; i++) for (let f = 0; f < nF; f++) binned[i * nF + f] = binOf(cuts[f]!, x[i * nF + f]!);
  let pos = 0;
  let all = 0;
  for (let i = 0; i < n; i++) {
    all += w[i]!;
    if (y[i]) pos += w[i]!;
  }
  const base = Math.log(Math.max(1e-9, pos) / Math.max(1e-9, all - pos));
  const score = new Float64Array(n).fill(base);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const trees: Tree[] = [];
  const hg = new Float64Array(nF * B);
  const hh = new Float64Array(nF * B);
  const idx = new Int32Array(n);
  const next = new Int32Array(n);
  // A small seeded generator (mulberry32): the same data and options give the same forest.
  let seed = (0x9e3779b9 + Math.imul(o.seed, 0x85ebca6b)) | 0;
  const rand = (): number => {
    seed = (seed + 0x6d2b79f5) | 0;
    let z = seed;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
  const allowed = new Uint8Array(nF);
  for (let t = 0; t < o.trees; t++) {
    for (let f = 0; f < nF; f++) allowed[f] = o.colsample >= 1 || rand() < o.colsample ? 1 : 0;
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-score[i]!));
      // (Rows left out of this tree weigh nothing in it.)
      const wi = o.subsample >= 1 || rand() < o.subsample ? w[i]! : 0;
      g[i] = wi * (p - y[i]!);
      h[i] = wi * Math.max(1e-6, p * (1 - p));
    }
    const tree: Tree = { f: [], t: [], l: [], r: [], v: [] };
    // Nodes of the current level: [tree node, start, end) over idx.
    for (let i = 0; i < n; i++) idx[i] = i;
    let level: [number, number, number][] = [[0, 0, n]];
    tree.f.push(-1);
    tree.t.push(0);
    tree.l.push(-1);
    tree.r.push(-1);
    tree.v.push(0);
    for (let d = 0; d <= o.depth && level.length > 0; d++) {
      const nextLevel: [number, number, number][] = [];
      for (const [node, s, e] of level) {
        let G = 0;
        let H = 0;
        for (let k = s; k < e; k++) {
          G += g[idx[k]!]!;
          H += h[idx[k]!]!;
        }
        tree.v[node] = (-G / (H + o.lambda)) * o.rate;
        if (d === o.depth || H < 2 * o.minLeaf) continue;
        hg.fill(0);
        hh.fill(0);
        for (let k = s; k < e; k++) {
          const i = idx[k]!;
          const gi = g[i]!;
          const hi = h[i]!;
          const row = i * nF;
          for (let f = 0; f < nF; f++) {
            const slot = f * B + binned[row + f]!;
            hg[slot]! += gi;
            hh[slot]! += hi;
          }
        }
        const parent = (G * G) / (H + o.lambda);
        let best = 1e-9;
        let bf = -1;
        let bb = -1;
        for (let f = 0; f < nF; f++) {
          if (!allowed[f]) continue;
          let GL = 0;
          let HL = 0;
          const nb = cuts[f]!.length;
          for (let b = 0; b < nb; b++) {
            GL += hg[f * B + b]!;
            HL += hh[f * B + b]!;
            const HR = H - HL;
            if (HL < o.minLeaf || HR < o.minLeaf) continue;
            const GR = G - GL;
            const gain = (GL * GL) / (HL + o.lambda) + (GR * GR) / (HR + o.lambda) - parent;
            if (gain > best) {
              best = gain;
              bf = f;
              bb = b;
            }
          }
        }
        if (bf < 0) continue;
        // Partition idx[s, e) into left (bin <= bb) and right, stably.
        let a = s;
        let z = e;
        for (let k = s; k < e; k++) {
          const i = idx[k]!;
          if (binned[i * nF + bf]! <= bb) next[a++] = i;
          else next[--z] = i;
        }
        for (let k = s; k < a; k++) idx[k] = next[k]!;
        for (let k = a; k < e; k++) idx[k] = next[e - 1 - (k - a)]!;
        const L = tree.f.length;
        const R = L + 1;
        for (let k = 0; k < 2; k++) {
          tree.f.push(-1);
          tree.t.push(0);
          tree.l.push(-1);
          tree.r.push(-1);
          tree.v.push(0);
        }
        tree.f[node] = bf;
        tree.t[node] = cuts[bf]![bb]!;
        tree.l[node] = L;
        tree.r[node] = R;
        nextLevel.push([L, s, a], [R, a, e]);
      }
      level = nextLevel;
    }
    // Leaves only keep values; internal nodes' values are unused.
    for (let i = 0; i < n; i++) {
      let k = 0;
      while (tree.f[k]! >= 0) k = x[i * nF + tree.f[k]!]! <= tree.t[k]! ? tree.l[k]! : tree.r[k]!;
      score[i]! += tree.v[k]!;
    }
    for (let k = 0; k < tree.f.length; k++) if (tree.f[k]! >= 0) tree.v[k] = 0;
    trees.push(tree);
  }
  return { base, trees };
}

/** A forest rounded for shipping (thresholds as float32 values, leaf values to 5 digits). */
export function roundForest(f: Forest): Forest {
  const r = (v: number): number => Number(v.toPrecision(6));
  return { ...f, stages: f.stages.map((s) => ({ base: r(s.base), trees: s.trees.map((t) => ({ ...t, t: t.t.map((v) => Math.fround(v)), v: t.v.map(r) })) })) };
}
