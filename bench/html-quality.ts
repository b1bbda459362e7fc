/**
 * bench/html-quality: single-page HTML extractors (bench/html-peers.ts: Mozilla Readability, mdream)
 * beside boilerstrip on the same HTML, scored against the gold sets of bench/real-pages.ts.
 *
 *   npm run build && node dist/bench/html-quality.js [--limit N] [--single-limit N] [--sets LIST] [--json FILE]
 *     --limit N        europa.eu: about N pages (every k-th press release, all of its languages); the
 *                      CleanPortalEval and Dragnet sets are always whole
 *     --single-limit N the single-page sets: about N pages of each (every k-th by file)
 *     --sets LIST      which gold sets: cpe, dragnet, europa (sites of many pages), cleaneval, gt
 *                      (Google-Trends-2017), aeb (scrapinghub AEB) (one page a site); default all six
 *     --no-extra, --alone N, --sim N  training options as bench/train-html.ts takes them, for the
 *                      held-out forests: pass those the shipped forest was trained with (default: its)
 *     --eval-dir DIR   the eval-data folder (default ../shared/eval-data from the package)
 *     --mdream ENGINE  auto (native binary when it loads, else WASM), native or wasm
 *     --no-peers       boilerstrip and the naive text only (no Readability, no mdream)
 *     --oracle         also two oracle block classifiers on the route's own blocks (htmlDoc), as a ceiling:
 *                      "oracle (labels)" keeps the blocks the training labels call content (train-html.ts
 *                      labels: half of a 3+-word block's word trigrams in the gold; a shorter one when its
 *                      words occur together in the gold next to such a block, or when its table's short
 *                      cells in order give a gold trigram through it); "oracle (words)" keeps a
 *                      block when more than half of its words are still unmatched in the page's gold bag
 *                      (blocks in page order, a kept block's words taken out of the bag). Each kept block
 *                      whole (no text-rule cuts). Also counts the boilerstrip HTML row's damaged pages the
 *                      oracle damages too (lost to segmentation: blocks mixing gold and other text)
 *     --oracle-only    the naive text and the oracles only (no forests trained, no peers)
 *
 * Single-page sets (real-pages.ts singlePageSets): CleanEval, Google-Trends-2017 and scrapinghub AEB, each
 * page its own site, so boilerstrip has no cross-page evidence (its site counts see one page). A set the
 * shipped forest never learnt from (Google-Trends-2017 and AEB always; CleanEval when trained with
 * --no-extra) is judged by the shipped forest through clean(); a set it learnt from, by the held-out forests.
 *
 * Every page is decoded once (decodeHtml) and each method gets the same strings. Rows: "all text" is
 * what a naive scraper keeps (htmlToText, as bench:quality feeds boilerstrip); "boilerstrip" is that text
 * cleaned per site across the set's pages (boilerstripPeer, as bench:quality runs it: it sees the other
 * pages of the site, the single-page extractors do not); then the HTML peers, one page at a time.
 * Scoring is scoreTexts of real-pages.ts: micro P/R/F1 over bags of normalized words; damaged = pages
 * whose matched gold words fall below 95% of what the page's "all text" matches. MB/s: HTML bytes (as
 * read) over the wall time of the method on the whole set, run once, one method after another (for
 * boilerstrip and "all text" the time includes htmlToText). failures: pages that threw (text ''); empty:
 * pages where Readability found no article (text '').
 *
 * Results (2026-12-01; 2-core AMD EPYC VM shared with other jobs, load average 4-7.5 during the runs,
 * so MB/s is rough; Node 20.20.2; @mozilla/readability 0.6.0 on jsdom 29.1.1; mdream 1.7.2, native
 * engine; `--limit 300`: europa is 295 pages of 96 releases, 23 languages). P/R/F1/damaged in %:
 *
 *   set              method                            P      R     F1  damaged   MB/s  failures  empty
 *   CleanPortalEval  all text (naive scraper)      45.20  99.94  62.25    0.00   21.6         0      0
 *   (71 pages,       boilerstrip (per site)        82.36  99.76  90.23    4.23    5.1         0      0
 *    5.9 MB)         Mozilla Readability (jsdom)   94.00  96.83  95.39   26.76   0.25         0      0
 *                    mdream                        44.52  99.97  61.60    0.00   26.4         0      0
 *                    mdream (main content)         58.49  98.98  73.53   12.68   57.4         0      0
 *   Dragnet 5+       all text (naive scraper)      43.76  99.60  60.80    0.00   43.6         0      0
 *   (804 pages,      boilerstrip (per site)        64.37  97.27  77.47   16.04   18.9         0      0
 *    58.3 MB)        Mozilla Readability (jsdom)   89.55  76.90  82.75   35.70   0.33         0      0
 *                    mdream                        43.44  99.60  60.50    0.00   22.8         0      0
 *                    mdream (main content)         50.68  97.18  66.62    4.85   28.1         0      0
 *   europa.eu        all text (naive scraper)      77.94  97.76  86.73    0.00   22.9         0      0
 *   (295 pages,      boilerstrip (per site)        87.43  87.22  87.32   18.31   13.5         0      0
 *    7.9 MB)         Mozilla Readability (jsdom)   97.42  90.99  94.10    8.14   0.14         0      0
 *                    mdream                        84.64  99.54  91.49    0.00   32.0         0      0
 *                    mdream (main content)         95.25  99.17  97.17    0.34   34.4         0      0
 *
 * Single-page sets (2026-12-01, same machine, mdream WASM engine; `--sets cleaneval,gt,aeb`; the forest trained
 * with single-page examples, bench/train-html.ts: CleanEval's boilerstrip row from the held-out forests, the
 * other two sets never trained on). F1 / damaged in %:
 *
 *   set                         naive text      boilerstrip HTML   Readability      mdream         mdream (main)
 *   CleanEval (739 pages)       94.22 /  0.00   96.19 / 15.97      94.63 / 20.84    94.00 /  1.22  69.05 / 50.07
 *   Google-Trends-2017 (180)    53.73 /  0.00   78.96 / 30.56      71.29 / 48.89    53.86 /  1.11  59.75 / 26.11
 *   scrapinghub AEB (181)       69.57 /  0.00   94.98 /  8.84      94.84 / 13.81    69.37 /  0.55  82.14 / 17.13
 *
 * With the forest trained on sites of 5+ pages only, boilerstrip HTML had 61.77 / 71.72, 77.02 / 48.33 and
 * 88.83 / 20.99 there: a page alone has path and line counts of 1 of 1, "on every page" to that forest.
 *
 * Speed on two more runs of CleanPortalEval and europa (load ~4.5): all text 39-115 MB/s, boilerstrip
 * 11-17, Readability 0.18-0.35, mdream 20-48, mdream (main content) 40-54; mdream's WASM engine
 * (--mdream wasm) was within that spread of the native one, with the same output on every page.
 *
 * Reading: Readability never returned null here (empty 0) and never threw; it is by far the slowest
 * (jsdom's parse is about half of its time). Part of its CleanPortalEval damage is the headline, which it
 * returns as article.title, not in textContent (title + textContent: R 98.01, damaged 21.13). On europa,
 * htmlToText's space for every inline tag splits words the markup cuts (`Europ</B><B>äische`), so "all
 * text" and boilerstrip lose words the gold has (naive text with inline tags dropped without a space: P
 * 84.83, R 100.00) and the damage baseline there is lenient for the HTML peers. Numbers match
 * bench:quality's boilerstrip figures (CleanPortalEval 90.23, Dragnet 77.47).
 */
import fs from 'node:fs';
import { checkBenchArgs } from './args.js';
import os from 'node:os';
import { decodeHtml } from '../src/html/decode.js';
import { clean } from '../src/api.js';
import { boilerstripPeer } from '../src/sim/peers.js';
import { shippedForest } from '../src/html/strip-page.js';
import { htmlDoc } from '../src/html/page.js';
import { heldOutTexts, labels, setupFrom, trainingOptionsFrom, trainingSetNames, trainingSets } from './train-html.js';
import { htmlPeers, loadMdream, type HtmlPage, type MdreamEngineChoice } from './html-peers.js';
import { AEB_SET, bagOracle, CLEANEVAL_SET, damagedPages, defaultEvalDir, EUROPA_SET, goldPageSets, GOOGLETRENDS_SET, htmlToText, keptBlocksText, keptText, scoreTexts, singlePageSets, words, type GoldPage, type QualityRow, type ScoredPage } from './real-pages.js';

export interface HtmlQualityRow extends QualityRow {
  seconds: number;
  mbPerSec: number;
  failures: number;
  empty: number;
}

const SET_KEYS: Record<string, string> = { cpe: 'CleanPortalEval', dragnet: 'Dragnet (domains with 5+ pages)', europa: EUROPA_SET, cleaneval: CLEANEVAL_SET, gt: GOOGLETRENDS_SET, aeb: AEB_SET };
const SINGLE = new Set(['cleaneval', 'gt', 'aeb']);

/**
 * An oracle's text of a page: the route's blocks (htmlDoc) that the gold says are content, whole, one a
 * line (--oracle).
 */
export function oracleText(html: string, gold: string, how: 'labels' | 'words'): string {
  const doc = htmlDoc(html);
  const bs = doc.page.blocks;
  const g = words(gold);
  let keep: ArrayLike<number>;
  if (how === 'labels') keep = labels(doc, g).y;
  else keep = bagOracle(bs.map((b) => words(b.text)), g, 'majority');
  return keptBlocksText(bs, keep);
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function timed<T>(fn: () => T | Promise<T>): Promise<{ value: T; seconds: number }> {
  const t = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t) / 1000 };
}

const pct = (x: number): string => (100 * x).toFixed(2).padStart(6);

function printTable(title: string, rows: HtmlQualityRow[]): void {
  console.log(`\n${title}`);
  console.log(`${'method'.padEnd(30)}      P       R      F1  damaged    MB/s  failures  empty`);
  for (const r of rows) {
    console.log(`${r.method.padEnd(30)} ${pct(r.precision)}  ${pct(r.recall)}  ${pct(r.f1)}  ${pct(r.damaged)}  ${r.mbPerSec.toFixed(2).padStart(6)}  ${String(r.failures).padStart(8)}  ${String(r.empty).padStart(5)}`);
  }
}

/** A europa.eu page's language: press-release_ID_LANG.html. */
const LANGUAGE = /_([a-z]+)\.html$/;

/**
 * europa.eu per language (issue #11 asks for it): each method's F1 / damaged pages over the pages of each
 * language, printed and returned. Every language's pages are judged as in the whole-set table.
 */
function byLanguage(pages: readonly GoldPage[], scored: readonly ScoredPage[], textsOf: ReadonlyMap<string, string[]>): Record<string, Record<string, { pages: number; f1: number; damaged: number }>> {
  const idx = new Map<string, number[]>();
  pages.forEach((p, i) => {
    const lang = LANGUAGE.exec(p.file)?.[1] ?? '?';
    if (!idx.has(lang)) idx.set(lang, []);
    idx.get(lang)!.push(i);
  });
  const methods = [...textsOf.keys()];
  const table: Record<string, Record<string, { pages: number; f1: number; damaged: number }>> = {};
  console.log(`\nper language: F1 / damaged (%)\n${'lang pages'.padEnd(11)}${methods.map((m) => m.slice(0, 22).padStart(24)).join('')}`);
  for (const [lang, ix] of [...idx].sort((a, b) => a[0].localeCompare(b[0]))) {
    const sub = ix.map((i) => scored[i]!);
    const cells = methods.map((m) => {
      const all = textsOf.get(m)!;
      const r = scoreTexts(m, sub, ix.map((i) => all[i]!));
      (table[lang] ??= {})[m] = { pages: ix.length, f1: r.f1, damaged: r.damaged };
      return `${pct(r.f1)} / ${pct(r.damaged)}`.padStart(24);
    });
    console.log(`${lang.padEnd(5)}${String(ix.length).padStart(5)} ${cells.join('')}`);
  }
  return table;
}

async function main(argv: string[]): Promise<void> {
  checkBenchArgs(
    ['node', 'html-quality', ...argv],
    'usage: node dist/bench/html-quality.js [--limit N] [--single-limit N] [--sets cpe,dragnet,europa,cleaneval,gt,aeb] [--json FILE] [--eval-dir DIR] [--mdream auto|native|wasm] [--no-peers] [--oracle | --oracle-only]\n  and the training options of npm run train:html (the held-out forests are trained in the run)',
    ['limit', 'single-limit', 'sets', 'json', 'eval-dir', 'mdream', 'trees', 'depth', 'rate', 'stages', 'pos-weight', 'threshold', 'europa', 'sim', 'alone', 'colsample', 'subsample', 'min-leaf', 'seed', 'bag'],
    ['no-peers', 'oracle', 'oracle-only', 'extra', 'no-extra'],
  );
  const limitArg = arg(argv, 'limit');
  const limit = limitArg !== undefined ? Number(limitArg) : undefined;
  if (limit !== undefined && !(limit > 0)) throw new Error(`--limit: a positive number, not ${limitArg}`);
  const singleArg = arg(argv, 'single-limit');
  const singleLimit = singleArg !== undefined ? Number(singleArg) : undefined;
  if (singleLimit !== undefined && !(singleLimit > 0)) throw new Error(`--single-limit: a positive number, not ${singleArg}`);
  const keys = (arg(argv, 'sets') ?? 'cpe,dragnet,europa,cleaneval,gt,aeb').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s);
  for (const k of keys) if (!SET_KEYS[k]) throw new Error(`--sets: unknown set ${k} (${Object.keys(SET_KEYS).join(', ')})`);
  const wanted = new Set(keys.map((k) => SET_KEYS[k]!));
  const engine = (arg(argv, 'mdream') ?? 'auto') as MdreamEngineChoice;
  if (!['auto', 'native', 'wasm'].includes(engine)) throw new Error(`--mdream: auto, native or wasm, not ${engine}`);
  const dir = arg(argv, 'eval-dir') ?? defaultEvalDir();

  const md = await loadMdream(engine); // loaded before any timing
  const machine = `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, load ${os.loadavg()[0]!.toFixed(1)}`;
  console.log(`html-quality: ${new Date().toISOString()}, Node ${process.version}, ${machine}; mdream engine: ${md.engine}`);
  const out: { date: string; node: string; machine: string; mdreamEngine: string; sets: unknown[] } = { date: new Date().toISOString(), node: process.version, machine, mdreamEngine: md.engine, sets: [] };

  // The europa.eu pages scored are the ones the held-out forests were trained and judged on (the same
  // limit: without --limit, all of them would be scored and most would have no held-out text).
  const trainOpts = trainingOptionsFrom(argv, { europa: limit ?? 600 });
  const multi = keys.some((k) => !SINGLE.has(k)) ? goldPageSets(dir, { europaLimit: trainOpts.europa }) : [];
  const single = keys.some((k) => SINGLE.has(k)) ? singlePageSets(dir, { limit: singleLimit }) : [];
  const sets = [...multi, ...single].filter((s) => wanted.has(s.name));
  if (sets.length === 0) console.log(`no gold sets found under ${dir}`);
  // boilerstrip's HTML route, judged by forests that never saw the page's site (bench/train-html.ts:
  // the same training sets as the shipped forest, in two folds by site). A set the shipped forest never
  // learnt from (Google-Trends-2017, AEB; CleanEval unless the forest is trained with single-page
  // examples, train-html --single) is judged by the shipped forest itself, through clean().
  const oracleOnly = argv.includes('--oracle-only');
  const oracle = oracleOnly || argv.includes('--oracle');
  const trainNames = trainingSetNames(trainOpts);
  const heldByFile = new Map<string, string>();
  if (!oracleOnly && sets.some((s) => trainNames.has(s.name))) {
    const t0 = performance.now();
    const training = trainingSets(dir, trainOpts);
    const held = heldOutTexts(training, setupFrom(argv));
    for (const [p, t] of held) heldByFile.set(`${p.site}/${p.file}`, t);
    console.log(`held-out forests trained in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  for (const set of sets) {
    const bytes = set.pages.reduce((n, p) => n + p.html.length, 0);
    const pages: HtmlPage[] = set.pages.map((p) => ({ html: decodeHtml(p.html).html, url: `https://${p.site}/${p.file}`, site: p.site }));
    const scored: ScoredPage[] = set.pages.map((p, i) => ({ text: htmlToText(pages[i]!.html), gold: p.gold }));
    const rows: HtmlQualityRow[] = [];
    const textsOf = new Map<string, string[]>();
    const add = (method: string, texts: string[], seconds: number, failures = 0, empty = 0): void => {
      rows.push({ ...scoreTexts(method, scored, texts), seconds, mbPerSec: bytes / 1e6 / seconds, failures, empty });
      textsOf.set(method, texts);
    };

    const all = await timed(() => pages.map((p) => htmlToText(p.html)));
    add('all text (naive scraper)', all.value, all.seconds);
    const oracles: string[][] = [];
    if (oracle) {
      for (const how of ['labels', 'words'] as const) {
        const o = await timed(() => set.pages.map((p, i) => oracleText(pages[i]!.html, p.gold, how)));
        add(`oracle (${how})`, o.value, o.seconds);
        oracles.push(o.value);
      }
    }
    let notes = '';
    if (oracleOnly) {
      const sites = new Set(set.pages.map((p) => p.site)).size;
      printTable(`${set.name}: ${set.pages.length} pages, ${sites} sites, ${(bytes / 1e6).toFixed(1)} MB of HTML`, rows);
      out.sets.push({ name: set.name, pages: set.pages.length, sites, htmlBytes: bytes, rows });
      continue;
    }
    const bs = await timed(() => {
      const docs = pages.map((p) => ({ text: htmlToText(p.html), site: p.site }));
      const removed = boilerstripPeer().run(docs);
      return docs.map((d, i) => keptText(d.text, removed[i]!));
    });
    add('boilerstrip (per site)', bs.value, bs.seconds);
    // Speed: the route as shipped (clean() on {url, html} records, both passes); quality: held out.
    const route = await timed(async () => {
      const out: string[] = [];
      for await (const r of clean(pages.map((p) => ({ url: p.url, html: p.html })))) out.push(String(r.text));
      return out;
    });
    let mineTexts: string[];
    if (trainNames.has(set.name)) {
      const heldTexts = set.pages.map((p) => heldByFile.get(`${p.site}/${p.file}`));
      if (!heldTexts.every((t) => t !== undefined)) throw new Error(`${set.name}: pages without a held-out text`);
      mineTexts = heldTexts as string[];
    } else {
      // (Held out only if the shipped forest never learnt from the set: its trainedOn names its sets.)
      if (shippedForest().trainedOn.includes(`${set.name} (`)) throw new Error(`${set.name}: the shipped forest was trained on it; pass the training options it was trained with`);
      mineTexts = route.value;
    }
    add('boilerstrip HTML (held out)', mineTexts, route.seconds);
    if (oracle) {
      // The held-out route's damaged pages that an oracle damages too: lost to segmentation, not decisions.
      const mine = damagedPages(scored, mineTexts);
      const n = mine.filter((d) => d).length;
      notes = ['labels', 'words'].map((how, k) => {
        const od = damagedPages(scored, oracles[k]!);
        return `${mine.filter((d, i) => d && od[i]).length} of its ${n} also by oracle (${how})`;
      }).join(', ');
    }
    for (const peer of argv.includes('--no-peers') ? [] : htmlPeers({ mdreamEngine: engine })) {
      const r = await timed(() => peer.run(pages));
      add(peer.name, r.value, r.seconds, peer.failures, peer.empty ?? 0);
    }

    const sites = new Set(set.pages.map((p) => p.site)).size;
    printTable(`${set.name}: ${set.pages.length} pages, ${sites} sites, ${(bytes / 1e6).toFixed(1)} MB of HTML`, rows);
    if (notes) console.log(`boilerstrip HTML damaged pages: ${notes}`);
    const languages = set.name === EUROPA_SET ? byLanguage(set.pages, scored, textsOf) : undefined;
    out.sets.push({ name: set.name, pages: set.pages.length, sites, htmlBytes: bytes, rows, notes, languages });
  }
  const json = arg(argv, 'json');
  if (json) fs.writeFileSync(json, JSON.stringify(out, null, 2));
}

if (process.argv[1]?.endsWith('html-quality.js')) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  });
}
