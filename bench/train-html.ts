/**
 * Train the HTML block decision (src/html/forest.ts) on real pages with human gold, and report it on
 * held-out sites only.
 *
 *   npm run train:html                      cross-fitted report, then train on all pages and write
 *                                           src/html/forest-data.ts
 *   npm run train:html -- --eval-only       the report, nothing written
 *   npm run train:html -- --no-report       no report: train on all pages and write the forest
 *   options: --eval-dir DIR (default ../shared/eval-data), --trees N, --depth N, --rate X,
 *            --pos-weight X (a content block's words weigh X times a chrome block's: 1),
 *            --threshold X (keep a block when its log-odds reach X: -0.4), --europa N (europa.eu pages,
 *            600), --sim N (simulated pages, 1500), --no-extra (without the Dragnet domains with < 5
 *            pages and CleanEval, one page a site), --alone N (about N pages of
 *            each multi-page set also given alone, one page a site, in their real site's fold: 300; 0 for
 *            none), --out FILE
 *            (write the forest there instead of src/html/forest-data.ts), --colsample X, --subsample X,
 *            --seed N (gbdt.ts: features and rows each tree draws, and the draws' seed), --bag 'SPEC;SPEC'
 *            (a bag of models whose log-odds the forest averages, Forest.bag: each SPEC key=value over
 *            trees, depth, rate, min-leaf, colsample, subsample, seed, and sites, the share of the training
 *            sites the member learns from; default: none, one model). bench/html-ensemble.ts measures
 *            members alone and bagged, held out.
 *
 * Single pages: a site of one page has no cross-page evidence (its path and line counts are all 1 of 1,
 * which on a site of many pages means "on every page": chrome). Trained on sites of 5+ pages only, the
 * forest removed most of such a page (CleanEval F1 61.8, 72% of pages damaged). So it also learns from
 * sites of one page: the Dragnet domains with < 5 pages, CleanEval, and about 300 pages of each
 * multi-page set given alone (their counts as if the crawl had only that page; held-out folds by their
 * real site). Google-Trends-2017 and scrapinghub AEB are never trained on (bench/html-quality.ts).
 *
 * Data: the gold sets of bench/real-pages.ts goldPageSets (never shipped). Each set is one crawl: pass 1
 * learns a model over all its pages (HTML → blocks → text units and block paths counted per site), pass
 * 2 computes every block's features (src/html/features.ts) and the text rules' verdict. A block's label
 * is content when at least half of its normalized words occur in the page's gold text; its weight is its
 * word count (the scores count words).
 *
 * Held-out report: sites are split in two folds by a hash of the site name; each fold's pages are judged
 * by a forest trained on the other fold only, so no page is scored by a forest that saw its site. The
 * shipped forest is then trained on every page. Scores: bag-of-words precision / recall / F1 against gold
 * (micro over pages), damaged pages (recall below 0.95 of what all blocks give), as bench/real-pages.ts.
 */
import fs from 'node:fs';
import { checkBenchArgs } from './args.js';
import path from 'node:path';
import { decodeHtml } from '../src/html/decode.js';
import { contextFeatures, FEATURES, N_CONTEXT, N_FEATURES } from '../src/html/features.js';
import { forestScores, stageScore, type Forest, type Stage } from '../src/html/forest.js';
import { htmlDoc, type HtmlDoc } from '../src/html/page.js';
import { applyDecisions, decideBlocks, PageStripper } from '../src/html/strip-page.js';
import { Model, siteHash } from '../src/model.js';
import { loadPool } from '../src/sim/articles.js';
import { simulateHtml } from '../src/sim/html.js';
import { Stripper } from '../src/strip.js';
import { CLEANEVAL_SET, defaultEvalDir, EUROPA_SET, everyKth, goldPageSets, htmlToText, scoreTexts, words, type GoldPage, type QualityRow, type ScoredPage } from './real-pages.js';
import { roundForest, trainTrees, TRAIN_DEFAULTS, type TrainOptions } from './train/gbdt.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

/** One page made ready: its doc, features, labels, and what the text rules alone give. */
export interface PageRows {
  set: string;
  site: string;
  /** The site the page's folds go by (GoldPage.group, else its site). */
  group: string;
  fold: number;
  doc: HtmlDoc;
  res: ReturnType<PageStripper['evidence']>['res'];
  x: Float32Array;
  y: Uint8Array;
  w: Float32Array;
  gold: string[];
}

/** Pass 1 and pass 2's evidence over one gold set, as a user would run a crawl of it. */
export function setRows(name: string, pages: GoldPage[]): PageRows[] {
  const docs = pages.map((p) => htmlDoc(decodeHtml(p.html).html));
  const model = new Model();
  pages.forEach((p, i) => model.learnDoc(docs[i]!.text, p.site, docs[i]!.distinct));
  const ps = new PageStripper(new Stripper(model), PLACEHOLDER);
  return pages.map((p, i) => {
    const doc = docs[i]!;
    const { res, x } = ps.evidence(doc, p.site);
    const n = doc.page.blocks.length;
    const gold = words(p.gold);
    const { y, w } = labels(doc, gold);
    const group = p.group ?? p.site;
    return { set: name, site: p.site, group, fold: siteHash(group)[0] & 1, doc, res: { ...res, spans: [...res.spans] }, x: x.slice(0, n * N_FEATURES), y, w, gold };
  });
}

/**
 * Labels from gold: a block of 3+ words is content when at least half of its word trigrams occur in the
 * gold text (shared single words say little: "the" is in every gold text). A shorter one (a subheading,
 * a menu entry) when its words occur together in the gold text and a block of 3+ words within three
 * blocks of it is content: "About" or "Share" in a menu is in many gold texts too; or when it is a cell
 * of a table whose short cells, read in order, give a gold trigram through it (tableLabels: a data
 * table's figures, which europa.eu's gold keeps and the first rule called chrome). Weight: the block's
 * words (the scores count words).
 */
export function labels(doc: HtmlDoc, gold: string[]): { y: Uint8Array; w: Float32Array } {
  const tri = new Set<string>();
  for (let i = 0; i + 2 < gold.length; i++) tri.add(`${gold[i]} ${gold[i + 1]} ${gold[i + 2]}`);
  const joined = ` ${gold.join(' ')} `;
  const n = doc.page.blocks.length;
  const y = new Uint8Array(n);
  const w = new Float32Array(n);
  const ws = doc.page.blocks.map((b) => words(b.text));
  for (let k = 0; k < n; k++) {
    const b = ws[k]!;
    w[k] = Math.max(0.5, b.length);
    if (b.length < 3) continue;
    let hit = 0;
    for (let i = 0; i + 2 < b.length; i++) if (tri.has(`${b[i]} ${b[i + 1]} ${b[i + 2]}`)) hit++;
    y[k] = hit * 2 >= b.length - 2 ? 1 : 0;
  }
  for (let k = 0; k < n; k++) {
    const b = ws[k]!;
    if (b.length === 0 || b.length >= 3 || !joined.includes(` ${b.join(' ')} `)) continue;
    for (let j = Math.max(0, k - 3); j <= Math.min(n - 1, k + 3); j++) {
      if (ws[j]!.length >= 3 && y[j]) {
        y[k] = 1;
        break;
      }
    }
  }
  tableLabels(doc, ws, tri, y);
  return { y, w };
}

/**
 * The short cells of a table (blocks of < 3 words whose innermost <table> is the same), in page order, as
 * one word sequence: a cell is content when a gold trigram of that sequence covers one of its words (a
 * data table's cells, which the gold keeps in row order while each cell alone is too short to say).
 */
function tableLabels(doc: HtmlDoc, ws: string[][], tri: Set<string>, y: Uint8Array): void {
  const bs = doc.page.blocks;
  const byTable = new Map<number, number[]>();
  for (let k = 0; k < bs.length; k++) {
    if (bs[k]!.table === 0 || ws[k]!.length === 0 || ws[k]!.length >= 3) continue;
    let l = byTable.get(bs[k]!.table);
    if (!l) byTable.set(bs[k]!.table, (l = []));
    l.push(k);
  }
  for (const ks of byTable.values()) {
    const seq: string[] = [];
    const owner: number[] = [];
    for (const k of ks) for (const wd of ws[k]!) {
      seq.push(wd);
      owner.push(k);
    }
    for (let i = 0; i + 2 < seq.length; i++) {
      if (!tri.has(`${seq[i]} ${seq[i + 1]} ${seq[i + 2]}`)) continue;
      y[owner[i]!] = 1;
      y[owner[i + 1]!] = 1;
      y[owner[i + 2]!] = 1;
    }
  }
}

/** (A forest is not needed to compute evidence.) */
const PLACEHOLDER: Forest = { features: [...FEATURES], stages: [], threshold: 0, trainedOn: '' };

function fitStage(rows: PageRows[], o: TrainOptions, posWeight: number): Stage {
  let n = 0;
  for (const r of rows) n += r.y.length;
  const x = new Float32Array(n * N_FEATURES);
  const y = new Uint8Array(n);
  const w = new Float32Array(n);
  let k = 0;
  for (const r of rows) {
    x.set(r.x, k * N_FEATURES);
    y.set(r.y, k);
    w.set(r.w, k);
    if (posWeight !== 1) for (let i = 0; i < r.y.length; i++) if (r.y[i]) w[k + i]! *= posWeight;
    k += r.y.length;
  }
  return trainTrees(x, N_FEATURES, y, w, o);
}

function stageScores(st: Stage, r: PageRows): Float32Array {
  const s = new Float32Array(r.y.length);
  for (let i = 0; i < s.length; i++) s[i] = stageScore(st, r.x, i);
  return s;
}

/**
 * A forest of `stages` stages on `rows`. The second stage learns from context filled with out-of-fold
 * first-stage scores (sites split in two by another bit of the site hash), as it will see at run time
 * scores of a first stage that never saw the page.
 */
export function train(rows: PageRows[], o: TrainOptions, stages: number, posWeight = 1): Forest {
  const C = N_FEATURES - N_CONTEXT;
  for (const r of rows) for (let i = 0; i < r.y.length; i++) r.x.fill(0, i * N_FEATURES + C, (i + 1) * N_FEATURES);
  const first = fitStage(rows, o, posWeight);
  const out: Forest = { features: [...FEATURES], stages: [first], threshold: 0, trainedOn: '' };
  for (let k = 1; k < stages; k++) {
    const half = (r: PageRows): number => (siteHash(r.group)[0] >>> 1) & 1;
    // (Out-of-fold scores of the previous stage; for k > 1 the earlier stages are the final ones.)
    const oof = new Map<PageRows, Float32Array>();
    for (const h of [0, 1]) {
      const inner = train(rows.filter((r) => half(r) !== h), o, k, posWeight);
      for (const r of rows.filter((r) => half(r) === h)) oof.set(r, forestScores(inner, r.doc, r.x, new Float32Array(r.y.length)));
    }
    for (const r of rows) contextFeatures(r.doc, oof.get(r)!, r.x);
    out.stages.push(fitStage(rows, o, posWeight));
  }
  return out;
}

/** The text a forest keeps of a page. */
function decide(forest: Forest, r: PageRows): string {
  const n = r.y.length;
  const kept = new Uint8Array(n);
  const s = forestScores(forest, r.doc, r.x, new Float32Array(n));
  decideBlocks(r.doc, s, forest.threshold, kept);
  return applyDecisions(r.doc, r.res, kept).text;
}

const pct = (v: number): string => (100 * v).toFixed(2).padStart(6);

/** What a forest learns from (trainingSets). */
export interface TrainingOptions {
  /** Also the Dragnet domains with fewer than 5 pages and CleanEval (goldPageSets extra). */
  extra: boolean;
  /** About this many europa.eu pages. */
  europa: number;
  /** Pages of the simulated Arabic crawl (0: none). */
  sim: number;
  /**
   * About this many pages of each multi-page set (every k-th) also given alone, each as a site of one
   * page (0: none): the one-page case, where the site counts say nothing, as single-page crawls have it.
   */
  alone: number;
}

export function trainingOptionsFrom(argv: string[], dflt: Partial<TrainingOptions> = {}): TrainingOptions {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    extra: argv.includes('--no-extra') ? false : argv.includes('--extra') || (dflt.extra ?? true),
    europa: Number(get('europa') ?? dflt.europa ?? 600),
    sim: Number(get('sim') ?? dflt.sim ?? 1500),
    alone: Number(get('alone') ?? dflt.alone ?? 300),
  };
}

/** The names of the sets trainingSets gives for these options (those present on disk among them). */
export function trainingSetNames(o: TrainingOptions): Set<string> {
  const names = ['CleanPortalEval', 'Dragnet (domains with 5+ pages)', EUROPA_SET];
  if (o.extra) names.push('Dragnet (domains with < 5 pages)', CLEANEVAL_SET);
  if (o.sim > 0) names.push(SIM_SET);
  if (o.alone > 0) for (const n of names.filter((n) => MULTI_PAGE.has(n))) names.push(aloneName(n));
  return new Set(names);
}

/**
 * The sets a forest learns from: the real gold sets (CleanPortalEval, Dragnet 5+, europa.eu; with
 * `extra` the small Dragnet domains and CleanEval) and a simulated Arabic HTML crawl of `sim` pages
 * (src/sim/html.ts, seed 11: the tests and bench:html-sim use other seeds), which has the large sites and
 * the Arabic news chrome the real sets lack. Google-Trends-2017 and scrapinghub AEB are never trained on.
 */
export function trainingSets(dir: string, o: TrainingOptions): { name: string; pages: GoldPage[] }[] {
  const sets = goldPageSets(dir, { extra: o.extra, europaLimit: o.europa });
  if (o.sim > 0) {
    const pages: GoldPage[] = [];
    // (The Arabic articles from the same eval-data folder, not from wherever the package sits.)
    for (const p of simulateHtml(loadPool({ articleDir: path.join(dir, 'saudinewsnet-ar') }), { seed: 11, docs: o.sim, sites: 16 })) pages.push({ file: p.id, site: p.site, html: Buffer.from(p.html), gold: p.goldContent });
    sets.push({ name: SIM_SET, pages });
  }
  if (o.alone > 0) {
    for (const s of sets.filter((s) => MULTI_PAGE.has(s.name))) {
      const pages = everyKth(s.pages, o.alone).map((p) => ({ ...p, site: `${p.site}#${p.file}`, group: p.group ?? p.site }));
      sets.push({ name: aloneName(s.name), pages });
    }
  }
  return sets;
}

/** The sets of sites with several pages (those trainingSets can also give one page a site). */
const MULTI_PAGE = new Set(['CleanPortalEval', 'Dragnet (domains with 5+ pages)', EUROPA_SET, 'simulated Arabic HTML crawl']);
const aloneName = (name: string): string => `${name}, pages alone`;

export const SIM_SET = 'simulated Arabic HTML crawl';

export interface TrainSetup {
  o: TrainOptions;
  /** Weight of a content block's words against a chrome block's (precision first: losing body text costs more). */
  posWeight: number;
  stages: number;
  threshold: number;
  /**
   * The bag (forest.ts Forest.bag): each member a list of key=value over `o` (trees, depth, rate,
   * min-leaf, colsample, subsample, seed) and `sites` (the share of the training sites it learns from,
   * drawn by a hash of the site and its seed); the forest averages their log-odds. Empty: one model of `o`.
   */
  bag: string[];
}

/** The shipped forest's bag (setupFrom's default; `--bag none` for one model). */
export const BAG_DEFAULT = '';

/** A bag member's options and site share from 'key=value,...' over `o`. */
export function memberOptions(spec: string, o: TrainOptions): { o: TrainOptions; sites: number } {
  const m: TrainOptions = { ...o };
  let sites = 1;
  const keys: Record<string, keyof TrainOptions> = { trees: 'trees', depth: 'depth', rate: 'rate', 'min-leaf': 'minLeaf', colsample: 'colsample', subsample: 'subsample', seed: 'seed' };
  for (const kv of spec.split(',').map((s) => s.trim()).filter((s) => s)) {
    const [k, v] = kv.split('=');
    const n = Number(v);
    if (k === undefined || v === undefined || !Number.isFinite(n) || (k !== 'sites' && !keys[k])) throw new Error(`bag member: key=value over ${[...Object.keys(keys), 'sites'].join(', ')}, not ${kv}`);
    if (k === 'sites') sites = n;
    else m[keys[k]!] = n;
  }
  return { o: m, sites };
}

/** Whether a bag member drawing `share` of the sites with `seed` learns from this site (group). */
export function inSiteSample(group: string, seed: number, share: number): boolean {
  return share >= 1 || (siteHash(`${seed}/${group}`)[1] >>> 0) / 4294967296 < share;
}

/** The forest of a setup on `rows`: one model, or its bag's members averaged. */
export function trainForest(rows: PageRows[], setup: TrainSetup): Forest {
  const members = setup.bag.length > 0 ? setup.bag.map((spec) => memberOptions(spec, setup.o)) : [{ o: setup.o, sites: 1 }];
  const models = members.map((m) => train(rows.filter((r) => inSiteSample(r.group, m.o.seed, m.sites)), m.o, setup.stages, setup.posWeight));
  const f = models[0]!;
  if (models.length > 1) f.bag = models.slice(1).map((m) => m.stages);
  f.threshold = setup.threshold;
  return f;
}

export function setupFrom(argv: string[]): TrainSetup {
  const get = (name: string, d: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : d;
  };
  return {
    o: {
      ...TRAIN_DEFAULTS,
      trees: Number(get('trees', String(TRAIN_DEFAULTS.trees))),
      depth: Number(get('depth', String(TRAIN_DEFAULTS.depth))),
      rate: Number(get('rate', String(TRAIN_DEFAULTS.rate))),
      minLeaf: Number(get('min-leaf', String(TRAIN_DEFAULTS.minLeaf))),
      colsample: Number(get('colsample', String(TRAIN_DEFAULTS.colsample))),
      subsample: Number(get('subsample', String(TRAIN_DEFAULTS.subsample))),
      seed: Number(get('seed', String(TRAIN_DEFAULTS.seed))),
    },
    posWeight: Number(get('pos-weight', '1')),
    stages: Number(get('stages', '2')),
    threshold: Number(get('threshold', '-0.4')),
    bag: get('bag', BAG_DEFAULT) === 'none' ? [] : get('bag', BAG_DEFAULT).split(';').map((s) => s.trim()).filter((s) => s),
  };
}

/**
 * Every page's text as boilerstrip's HTML route gives it with a forest that never saw the page's site:
 * sites in two folds by a hash of their name, each fold judged by a forest trained on the other. Each set
 * is one crawl for pass 1 (its pages counted together, as a user's crawl would be).
 */
export function heldOutTexts(sets: { name: string; pages: GoldPage[] }[], setup: TrainSetup, log = false): Map<GoldPage, string> {
  const t0 = performance.now();
  const rows: PageRows[] = [];
  const pageOf = new Map<PageRows, GoldPage>();
  for (const s of sets) {
    const rs = setRows(s.name, s.pages);
    rs.forEach((r, i) => pageOf.set(r, s.pages[i]!));
    rows.push(...rs);
  }
  if (log) console.log(`${rows.length} pages, ${rows.reduce((n, r) => n + r.y.length, 0)} blocks, ${new Set(rows.map((r) => r.site)).size} sites (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const held = new Map<GoldPage, string>();
  for (const fold of [0, 1]) {
    const t1 = performance.now();
    const f = trainForest(rows.filter((r) => r.fold !== fold), setup);
    for (const r of rows.filter((r) => r.fold === fold)) held.set(pageOf.get(r)!, decide(f, r));
    if (log) console.log(`fold ${fold}: trained on ${rows.filter((r) => r.fold !== fold).length} pages in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  }
  return held;
}

async function main(): Promise<void> {
  checkBenchArgs(process.argv, 'usage: npm run train:html -- [--eval-only | --no-report] [--eval-dir DIR] [--out FILE] [--trees N] [--depth N] [--rate X] [--stages N] [--pos-weight X] [--threshold X] [--europa N] [--sim N] [--alone N] [--no-extra] [--colsample X] [--subsample X] [--min-leaf N] [--seed N] [--bag SPECS]\nSee the header of bench/train-html.ts for what each does.', ['eval-dir', 'out', 'trees', 'depth', 'rate', 'stages', 'pos-weight', 'threshold', 'europa', 'sim', 'alone', 'colsample', 'subsample', 'min-leaf', 'seed', 'bag'], ['eval-only', 'no-report', 'extra', 'no-extra']);
  const setup = setupFrom(process.argv);
  const dir = arg('eval-dir', defaultEvalDir());
  const sets = trainingSets(dir, trainingOptionsFrom(process.argv));
  if (sets.length === 0) throw new Error(`no gold sets under ${dir}`);
  const held = process.argv.includes('--no-report') ? new Map<GoldPage, string>() : heldOutTexts(sets, setup, true);
  if (held.size > 0) console.log('\nheld-out sites (each page judged by a forest trained on the other fold); damaged against the naive scraper\'s text');
  console.log('set                                   method                         P       R      F1   damaged');
  for (const s of held.size > 0 ? sets : []) {
    const scored: ScoredPage[] = s.pages.map((p) => ({ text: htmlToText(decodeHtml(p.html).html), gold: p.gold }));
    const docs = s.pages.map((p) => htmlDoc(decodeHtml(p.html).html));
    const rowsOut: QualityRow[] = [scoreTexts('all blocks', scored, docs.map((d) => d.text)), scoreTexts('blocks + forest (held out)', scored, s.pages.map((p) => held.get(p)!))];
    for (const r of rowsOut) console.log(`${s.name.slice(0, 37).padEnd(37)} ${r.method.padEnd(28)} ${pct(r.precision)}  ${pct(r.recall)}  ${pct(r.f1)}  ${pct(r.damaged)}`);
  }
  if (process.argv.includes('--eval-only')) return;
  let rows: PageRows[] = [];
  for (const s of sets) rows = rows.concat(setRows(s.name, s.pages));
  const forest = trainForest(rows, setup);
  const blocks = rows.reduce((n, r) => n + r.y.length, 0);
  const o = setup.o;
  const bag = setup.bag.length > 0 ? `; a bag of ${setup.bag.length} models averaged (${setup.bag.join('; ')})` : '';
  forest.trainedOn = `${sets.map((s) => `${s.name} (${s.pages.length} pages)`).join(', ')}; ${blocks} blocks; ${setup.stages} stages of ${o.trees} trees, depth ${o.depth}, rate ${o.rate}, bins ${o.bins}, min leaf ${o.minLeaf}, colsample ${o.colsample}, subsample ${o.subsample}${bag}; content weight ${setup.posWeight}; threshold ${setup.threshold}; bench/train-html.ts`;
  const out = arg('out', path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src/html/forest-data.ts'));
  const body = `/** Generated by bench/train-html.ts (npm run train:html): do not edit. */\nimport type { Forest } from './forest.js';\n\nexport const FOREST: Forest = ${JSON.stringify(roundForest(forest))};\n`;
  fs.writeFileSync(out, body);
  console.log(`\nwrote ${out} (${(body.length / 1024).toFixed(0)} KB)`);
}

if (process.argv[1]?.endsWith('train-html.js')) void main();
