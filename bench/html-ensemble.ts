/**
 * bench/html-ensemble: how much a retraining moves the HTML forest's held-out figures, and what averaging
 * several forests' log-odds (a bag) gives. Trains each member forest held out by site exactly as
 * train-html's report does (two folds by a hash of the site; each fold's pages scored by a forest trained
 * on the other fold), keeps every block's held-out log-odds, then scores each member alone and each group
 * of K consecutive members with their log-odds averaged. The same figures as `train-html --eval-only`
 * (and html-quality's held-out rows) for a member alone.
 *
 *   node dist/bench/html-ensemble.js --members 'rate=0.11;rate=0.12;rate=0.13' [--k 3] [--cache DIR]
 *     --members LIST  members separated by ';', each a bag member as train-html's --bag takes them
 *                     (memberOptions: key=value over trees, depth, rate, min-leaf, colsample, subsample,
 *                     seed, sites)
 *     --k K           also score groups of K consecutive members averaged (default: no groups)
 *     --cache DIR     held-out log-odds of each member, by its spec (default /tmp/html-ensemble-cache):
 *                     a member trained once is read back, so groups can be re-formed without retraining
 *     --decide-at X   keep blocks from log-odds X instead of the setting's threshold (decisions only: the
 *                     training, and so the cache, does not depend on the threshold)
 *     --dump FILE     per damaged page of the first member (or first group with --k) the content blocks
 *                     (training labels) it removed: set, site, file, log-odds, kind, path, words, text
 *     and train-html's training options (--europa, --sim, --alone, --no-extra, --eval-dir)
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decodeHtml } from '../src/html/decode.js';
import { forestScores } from '../src/html/forest.js';
import { applyDecisions, decideBlocks } from '../src/html/strip-page.js';
import { damagedPages, defaultEvalDir, htmlToText, scoreTexts, type ScoredPage } from './real-pages.js';
import { memberOptions, setRows, setupFrom, trainForest, trainingOptionsFrom, trainingSets, type PageRows, type TrainSetup } from './train-html.js';

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** Every row's held-out log-odds under one member (rows in order, blocks concatenated). */
function heldOutScores(rows: PageRows[], setup: TrainSetup): Float32Array {
  const n = rows.reduce((a, r) => a + r.y.length, 0);
  const out = new Float32Array(n);
  const at = new Map<PageRows, number>();
  let k = 0;
  for (const r of rows) {
    at.set(r, k);
    k += r.y.length;
  }
  for (const fold of [0, 1]) {
    const f = trainForest(rows.filter((r) => r.fold !== fold), setup);
    for (const r of rows.filter((r) => r.fold === fold)) forestScores(f, r.doc, r.x, out.subarray(at.get(r)!, at.get(r)! + r.y.length));
  }
  return out;
}

/**
 * A member's held-out log-odds over `rows` (trainingSets' rows in order, blocks concatenated), read from
 * `cache` when this member was trained before under the same options, else trained and saved there.
 */
export function memberScores(rows: PageRows[], base: TrainSetup, spec: string, topts: unknown, cache: string): Float32Array {
  fs.mkdirSync(cache, { recursive: true });
  const setup: TrainSetup = { ...base, bag: [spec] };
  const { o, sites } = memberOptions(spec, base.o);
  const key = `${JSON.stringify(topts)}|${JSON.stringify({ o, posWeight: base.posWeight, stages: base.stages, threshold: base.threshold })}|${sites}`;
  const file = path.join(cache, `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.f32`);
  if (fs.existsSync(file)) {
    const b = fs.readFileSync(file);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
  }
  const t1 = performance.now();
  const s = heldOutScores(rows, setup);
  fs.writeFileSync(file, Buffer.from(s.buffer));
  console.log(`member ${spec}: ${((performance.now() - t1) / 1000).toFixed(0)} s`);
  return s;
}

async function main(argv: string[]): Promise<void> {
  const specs = (arg(argv, 'members') ?? '').split(';').map((s) => s.trim()).filter((s) => s);
  if (specs.length === 0) throw new Error('--members: at least one member');
  const K = Number(arg(argv, 'k') ?? '0');
  const cache = arg(argv, 'cache') ?? '/tmp/html-ensemble-cache';
  fs.mkdirSync(cache, { recursive: true });
  const base = setupFrom(argv);
  const decideAt = Number(arg(argv, 'decide-at') ?? base.threshold);
  const dir = arg(argv, 'eval-dir') ?? defaultEvalDir();
  const topts = trainingOptionsFrom(argv);
  const sets = trainingSets(dir, topts);
  const rows: PageRows[] = [];
  const t0 = performance.now();
  for (const s of sets) rows.push(...setRows(s.name, s.pages));
  console.log(`${rows.length} pages, ${rows.reduce((n, r) => n + r.y.length, 0)} blocks (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  const scores: Float32Array[] = [];
  for (const spec of specs) scores.push(memberScores(rows, base, spec, topts, cache));
  // The scored texts of each set: naive text and gold, as train-html's report.
  const bySet = new Map<string, { rows: PageRows[]; at: number[]; scored: ScoredPage[] }>();
  let k = 0;
  const pageOf = new Map<PageRows, number>();
  for (const r of rows) {
    pageOf.set(r, k);
    k += r.y.length;
  }
  for (const s of sets) {
    const rs = rows.filter((r) => r.set === s.name);
    bySet.set(s.name, { rows: rs, at: rs.map((r) => pageOf.get(r)!), scored: s.pages.map((p) => ({ text: htmlToText(decodeHtml(p.html).html), gold: p.gold })) });
  }
  const figures = (s: Float32Array): Map<string, [number, number]> => {
    const m = new Map<string, [number, number]>();
    for (const [name, { rows: rs, at, scored }] of bySet) {
      const texts = rs.map((r, i) => {
        const kept = new Uint8Array(r.y.length);
        decideBlocks(r.doc, s.subarray(at[i]!, at[i]! + r.y.length), decideAt, kept);
        return applyDecisions(r.doc, r.res, kept).text;
      });
      const q = scoreTexts(name, scored, texts);
      m.set(name, [100 * q.f1, 100 * q.damaged]);
    }
    return m;
  };
  const dump = arg(argv, 'dump');
  if (dump) {
    const s = new Float32Array(scores[0]!.length);
    const m = Math.max(1, Math.min(K, scores.length));
    for (let j = 0; j < m; j++) for (let i = 0; i < s.length; i++) s[i]! += scores[j]![i]! / m;
    const out: string[] = [];
    for (const [name, { rows: rs, at, scored }] of bySet) {
      const texts: string[] = [];
      const kepts = rs.map((r, i) => {
        const kept = new Uint8Array(r.y.length);
        decideBlocks(r.doc, s.subarray(at[i]!, at[i]! + r.y.length), decideAt, kept);
        texts.push(applyDecisions(r.doc, r.res, kept).text);
        return kept;
      });
      const dmg = damagedPages(scored, texts);
      rs.forEach((r, i) => {
        if (!dmg[i]) return;
        out.push(`== ${name} | ${r.site} | ${r.doc.page.blocks.length} blocks`);
        r.doc.page.blocks.forEach((b, j) => {
          if (r.y[j] && !kepts[i]![j]) out.push(`  ${s[at[i]! + j]!.toFixed(2)}\t${b.kind}\t${b.path}\t${r.w[j]}\t${b.text.slice(0, 160)}`);
        });
      });
    }
    fs.writeFileSync(dump, out.join('\n') + '\n');
  }
  const names = [...bySet.keys()].filter((n) => !n.includes('pages alone'));
  const short = (n: string): string => n.replace('Dragnet (domains with 5+ pages)', 'Dragnet5+').replace('Dragnet (domains with < 5 pages)', 'Dragnet<5').replace('europa.eu press releases', 'europa').replace('simulated Arabic HTML crawl', 'sim').replace('CleanPortalEval', 'CPE');
  console.log(`${'model'.padEnd(44)} ${names.map((n) => short(n).padStart(15)).join(' ')}`);
  const line = (label: string, m: Map<string, [number, number]>): void => {
    console.log(`${label.slice(0, 44).padEnd(44)} ${names.map((n) => `${m.get(n)![0].toFixed(2)}/${m.get(n)![1].toFixed(2)}`.padStart(15)).join(' ')}`);
  };
  const summary = (label: string, ms: Map<string, [number, number]>[]): void => {
    const mean = new Map<string, [number, number]>();
    const lo = new Map<string, [number, number]>();
    const hi = new Map<string, [number, number]>();
    for (const n of names) {
      const f = ms.map((m) => m.get(n)![0]);
      const d = ms.map((m) => m.get(n)![1]);
      const avg = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
      mean.set(n, [avg(f), avg(d)]);
      lo.set(n, [Math.min(...f), Math.min(...d)]);
      hi.set(n, [Math.max(...f), Math.max(...d)]);
    }
    line(`${label}: mean`, mean);
    line(`${label}: min`, lo);
    line(`${label}: max`, hi);
  };
  const singles = scores.map((s, i) => {
    const m = figures(s);
    line(specs[i]!, m);
    return m;
  });
  summary(`members alone (${singles.length})`, singles);
  if (K > 1) {
    const groups: Map<string, [number, number]>[] = [];
    for (let g = 0; g + K <= scores.length; g += K) {
      const avg = new Float32Array(scores[0]!.length);
      for (let j = g; j < g + K; j++) for (let i = 0; i < avg.length; i++) avg[i]! += scores[j]![i]! / K;
      const m = figures(avg);
      line(`bag of ${K}: members ${g + 1}-${g + K}`, m);
      groups.push(m);
    }
    summary(`bags of ${K} (${groups.length})`, groups);
  }
}

if (process.argv[1]?.endsWith('html-ensemble.js')) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exitCode = 1;
  });
}
