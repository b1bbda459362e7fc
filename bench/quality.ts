/**
 * bench/quality: how much chrome boilerstrip removes and how much article it keeps, against gold, beside
 * the simple methods people use today, on the same documents in the same process.
 *
 *   npm run bench:quality -- [--docs 4000] [--seeds 1,2,3] [--real] [--json FILE]
 *
 * Simulated crawls (src/sim): token-level precision / recall / F1 of kept content (micro over documents),
 * chrome left (share of chrome tokens kept), damaged documents (content recall < 0.95), and per chrome
 * type what was missed. Real pages (../shared/eval-data, when present): CleanPortalEval, the Dragnet
 * domains with 5+ pages and the 2,239 europa.eu press releases, HTML turned into text the way a naive
 * scraper does, cleaned per site, scored by bag-of-words overlap with the gold text.
 *
 * Reading: F1 is the headline; "chrome left" is what a corpus builder still has to live with; "damaged"
 * is the share of articles that lost more than 5% of their words. See README "Quality" for a run.
 */
import { loadPool } from '../src/sim/articles.js';
import { simulate, type SimDoc } from '../src/sim/generate.js';
import { emptyScore, figures, scoreDoc, type Score } from '../src/sim/score.js';
import { boilerstripPeer, standardPeers, type Peer } from '../src/sim/peers.js';
import { lineOracle, realPageSets, scoreRealPages, type QualityRow } from './real-pages.js';

export type { QualityRow } from './real-pages.js';
import fs from 'node:fs';
import { checkBenchArgs } from './args.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const pct = (x: number): string => (100 * x).toFixed(2).padStart(6);


export function scoreSim(docs: SimDoc[], peers: Peer[]): { rows: QualityRow[]; scores: Map<string, Score> } {
  const rows: QualityRow[] = [];
  const scores = new Map<string, Score>();
  const input = docs.map((d) => ({ text: d.text, site: d.site }));
  for (const p of peers) {
    const removed = p.run(input);
    const s = emptyScore();
    docs.forEach((d, i) => scoreDoc(s, d, removed[i]!));
    const f = figures(s);
    rows.push({ method: p.name, precision: f.precision, recall: f.recall, f1: f.f1, chromeLeft: f.chromeLeft, damaged: f.damagedShare });
    scores.set(p.name, s);
  }
  return { rows, scores };
}

export function printRows(title: string, rows: QualityRow[]): void {
  console.log(`\n${title}`);
  console.log('method                                   precision  recall      F1  chrome left  damaged docs');
  for (const r of rows) console.log(`${r.method.padEnd(40)} ${pct(r.precision)}%  ${pct(r.recall)}%  ${pct(r.f1)}%  ${pct(r.chromeLeft)}%      ${pct(r.damaged)}%`);
}

async function main(): Promise<void> {
  checkBenchArgs(process.argv, 'usage: npm run bench:quality -- [--docs 4000] [--seeds 1,2,3] [--no-real] [--json FILE] [--smoke]\nSimulated crawls and, when ../shared/eval-data is there, real pages: P/R/F1, chrome left, damaged documents.', ['docs', 'seeds', 'json'], ['no-real', 'smoke']);
  const smoke = process.argv.includes('--smoke');
  const nDocs = Number(arg('docs', smoke ? '300' : '4000'));
  const seeds = arg('seeds', smoke ? '1' : '1,2,3').split(',').map(Number);
  const out: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, sim: [] as unknown[] };
  const t0 = performance.now();
  const pool = loadPool({ maxFiles: smoke ? 1 : undefined });
  console.log(`article pool: ${pool.source}, ${pool.articles.length} articles (${((performance.now() - t0) / 1000).toFixed(1)} s to load)`);
  const peers = [...standardPeers(), boilerstripPeer()];
  for (const seed of seeds) {
    const docs = [...simulate(pool, { seed, docs: nDocs })];
    const { rows, scores } = scoreSim(docs, peers);
    const sites = new Set(docs.map((d) => d.site)).size;
    printRows(`simulated crawl: seed ${seed}, ${docs.length} documents, ${sites} sites`, rows);
    const bs = scores.get('boilerstrip')!;
    console.log('  boilerstrip, chrome left by type: ' + Object.entries(bs.byLabel).map(([k, v]) => `${k} ${pct(v.kept / v.tokens).trim()}%`).join(', '));
    console.log('  boilerstrip, damaged by case: ' + Object.entries(bs.byCase).map(([k, v]) => `${k} ${v.damaged}/${v.docs}`).join(', '));
    (out.sim as unknown[]).push({ seed, docs: docs.length, sites, rows, byLabel: bs.byLabel, byCase: bs.byCase });
  }
  if (!process.argv.includes('--no-real') && !smoke) {
    const sets = realPageSets();
    if (sets.length === 0) console.log('\nreal pages: ../shared/eval-data not found, skipped');
    for (const set of sets) {
      // The last row is an upper bound, not a method (see lineOracle).
      const rows = scoreRealPages(set, [...peers, lineOracle(peers[peers.length - 1]!, set)]);
      printRows(`real pages: ${set.name}, ${set.pages.length} pages, ${new Set(set.pages.map((p) => p.site)).size} sites`, rows);
      out[set.name] = rows;
    }
  }
  const json = arg('json', '');
  if (json) fs.writeFileSync(json, JSON.stringify(out, null, 2));
}

if (process.argv[1]?.endsWith('quality.js')) void main();
