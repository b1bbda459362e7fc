/**
 * bench/html-oracle: the ceiling of the HTML route's block segmentation (issue #11). Per page, an oracle
 * that reads the gold keeps exactly the blocks (src/html/page.ts htmlDoc) it calls content, and the page
 * is scored as the route's held-out figures are (real-pages.ts scoreTexts: micro P/R/F1 over bags of
 * normalized words; damaged = matched gold words below 95% of what the naive scraper's text matches).
 * Beside it, the held-out forest (log-odds of the shipped setting, from html-ensemble's cache) on the
 * same pages, and where the two differ.
 *
 *   npm run build && nice node dist/bench/html-oracle.js [--member 'rate=0.12'] [--decide-at X]
 *       [--dump FILE] [--cache DIR] [--readability FILE] [--single] [train-html's training options]
 *
 * Oracles (blocks in page order; a block's words are normalize()d and split, as the scorer's):
 *   labels    the training labels (train-html.ts labels: half of a 3+-word block's trigrams in the gold, ...):
 *             what the forest learns to predict
 *   majority  more than half of the block's words are matched in the page's gold bag (page order: a kept
 *             block's matched words are taken out of the bag)
 *   any       at least one of the block's words is still in the gold bag (page order, as majority): the
 *             most a block choice can recall
 *   repair    labels, then on a page still damaged, blocks added greedily (most newly matched gold words
 *             per word of the block first) until it is not: the best F1 a block choice gets at the
 *             least damage
 * Each oracle is scored two ways: "whole" (the kept blocks' text, one a line: segmentation alone) and
 * "route" (applyDecisions, as the forest's output: the text rules' cuts inside kept blocks stay).
 * The forest row is applyDecisions of decideBlocks at --decide-at (default: the setting's threshold),
 * i.e. the figures html-ensemble / html-quality report held out. Sets: every set trainingSets gives (the
 * "pages alone" sets skipped); held out by site (two folds by a hash of the site, as train-html).
 *
 * --cache DIR: html-ensemble's cache of held-out log-odds (default /tmp/html-ensemble-cache), keyed by the
 * training options only: a run with other features or other gold needs a DIR of its own.
 *
 * --single: also Google-Trends-2017 and scrapinghub AEB (one page a site, never trained on): their forest
 * row is the shipped forest's, as html-quality scores them.
 *
 * --readability FILE: also Mozilla Readability (html-peers.ts, as html-quality runs it) on CleanPortalEval,
 * Dragnet 5+ and europa.eu, scored against the same gold, and the issue's
 * F1 target (Readability + 3 points); its texts are cached in FILE (slow: ~0.3 MB/s).
 *
 * --dump FILE: per set, each page an oracle damages (with the lost gold words and the largest blocks the
 * labels drop that hold gold words), and each page the forest damages with the labelled-content blocks
 * it dropped (log-odds, kind, path, text).
 */
import fs from 'node:fs';
import { decodeHtml } from '../src/html/decode.js';
import { COMMENT } from '../src/html/hints.js';
import type { Block } from '../src/html/blocks.js';
import { applyDecisions, decideBlocks } from '../src/html/strip-page.js';
import { normalize } from '../src/normalize.js';
import { bagScore } from '../src/sim/score.js';
import { memberScores } from './html-ensemble.js';
import { htmlPeers } from './html-peers.js';
import { AEB_SET, bagHits, bagOracle, damagedPages, defaultEvalDir, GOOGLETRENDS_SET, htmlToText, keptBlocksText, scoreTexts, singlePageSets, takeHits, wordBag, words, type GoldPage, type ScoredPage } from './real-pages.js';
import { forestScores } from '../src/html/forest.js';
import { shippedForest } from '../src/html/strip-page.js';
import { setRows, setupFrom, trainingOptionsFrom, trainingSets, type PageRows } from './train-html.js';

const MULTI = new Set(['CleanPortalEval', 'Dragnet (domains with 5+ pages)', 'europa.eu press releases']);

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

type Keep = Uint8Array;

/**
 * `start`, plus blocks added until the page's matched gold words reach 95% of `allTp` (or no block adds
 * any): each step the block with the most newly matched gold words per word (ties: more words matched).
 */
function repair(ws: string[][], gold: string[], start: Keep, allTp: number, isTitle: (i: number) => boolean): Keep {
  const k = start.slice();
  const left = wordBag(gold);
  let tp = 0;
  const take = (i: number): void => {
    const { hit, use } = bagHits(ws[i]!, left);
    tp += hit;
    takeHits(left, use);
  };
  for (let i = 0; i < ws.length; i++) if (k[i]) take(i);
  while (allTp > 0 && tp < 0.95 * allTp) {
    let best = -1;
    let bestRate = 0;
    let bestGain = 0;
    for (let i = 0; i < ws.length; i++) {
      if (k[i] || isTitle(i) || ws[i]!.length === 0) continue;
      const gain = bagHits(ws[i]!, left).hit;
      const rate = gain / ws[i]!.length;
      if (gain > 0 && (rate > bestRate || (rate === bestRate && gain > bestGain))) {
        best = i;
        bestRate = rate;
        bestGain = gain;
      }
    }
    if (best < 0) break;
    k[best] = 1;
    take(best);
  }
  return k;
}

function wholeText(r: PageRows, keep: Keep): string {
  return keptBlocksText(r.doc.page.blocks, keep);
}

function routeText(r: PageRows, keep: Keep): string {
  const k = keep.slice();
  r.doc.page.blocks.forEach((b, i) => {
    if (b.kind === 'title') k[i] = 0;
  });
  return applyDecisions(r.doc, r.res, k).text;
}

const f2 = (x: number): string => (100 * x).toFixed(2);

/**
 * A block's category for the decomposition: under a comment-hinted container (class/id words comment,
 * disqus, respond, ...: reader comments and their forms), short (< 8 words: bylines, dates, headings,
 * captions, menu items), or long (8+ words: prose).
 */
export const CATEGORIES = ['comment', 'short', 'long'] as const;
function category(b: Block, nWords: number): (typeof CATEGORIES)[number] {
  if (b.hints & COMMENT) return 'comment';
  return nWords < 8 ? 'short' : 'long';
}

async function main(argv: string[]): Promise<void> {
  const dir = arg(argv, 'eval-dir') ?? defaultEvalDir();
  const topts = trainingOptionsFrom(argv);
  const base = setupFrom(argv);
  const member = arg(argv, 'member') ?? 'rate=0.12';
  const decideAt = Number(arg(argv, 'decide-at') ?? base.threshold);
  const cache = arg(argv, 'cache') ?? '/tmp/html-ensemble-cache';
  const t0 = performance.now();
  const sets = trainingSets(dir, topts);
  const rows: PageRows[] = [];
  for (const s of sets) rows.push(...setRows(s.name, s.pages));
  console.log(`${rows.length} pages, ${rows.reduce((n, r) => n + r.y.length, 0)} blocks (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  // The held-out log-odds (all of trainingSets' rows in order, as html-ensemble keys its cache).
  const scores = memberScores(rows, base, member, topts, cache);
  const at = new Map<PageRows, number>();
  let k = 0;
  for (const r of rows) {
    at.set(r, k);
    k += r.y.length;
  }
  const dump: string[] = [];
  const readability = new Map<string, string[]>();
  console.log(`\nheld out by site; forest: member ${member}, keep from log-odds ${decideAt}. P / R / F1 / damaged %`);
  console.log(`${'set'.padEnd(22)} ${'method'.padEnd(24)} ${'P'.padStart(6)} ${'R'.padStart(6)} ${'F1'.padStart(6)} ${'dmg'.padStart(6)}  pages`);
  // The sets scored: the training sets (held out by site, from the cache), then with --single the
  // single-page sets no forest learns from (Google-Trends-2017, scrapinghub AEB: the shipped forest).
  const items: { s: { name: string; pages: GoldPage[] }; rs: PageRows[]; scoreOf: (r: PageRows) => Float32Array }[] = [];
  for (const s of sets) {
    if (s.name.includes('pages alone')) continue;
    items.push({ s, rs: rows.filter((r) => r.set === s.name), scoreOf: (r) => scores.subarray(at.get(r)!, at.get(r)! + r.y.length) });
  }
  if (argv.includes('--single')) {
    for (const s of singlePageSets(dir, { only: [GOOGLETRENDS_SET, AEB_SET] })) {
      items.push({ s, rs: setRows(s.name, s.pages), scoreOf: (r) => forestScores(shippedForest(), r.doc, r.x, new Float32Array(r.y.length)) });
    }
  }
  for (const { s, rs, scoreOf } of items) {
    const scored: ScoredPage[] = s.pages.map((p) => ({ text: htmlToText(decodeHtml(p.html).html), gold: p.gold }));
    const ws = rs.map((r) => r.doc.page.blocks.map((b) => words(b.text)));
    const allTp = scored.map((p, i) => bagScore(words(p.text), rs[i]!.gold).tp);
    const keeps: Record<string, Keep[]> = {};
    keeps['labels'] = rs.map((r) => r.y);
    keeps['majority'] = rs.map((r, i) => bagOracle(ws[i]!, r.gold, 'majority'));
    keeps['any'] = rs.map((r, i) => bagOracle(ws[i]!, r.gold, 'any'));
    keeps['all blocks'] = rs.map((r) => new Uint8Array(r.y.length).fill(1));
    keeps['repair'] = rs.map((r, i) => repair(ws[i]!, r.gold, r.y, allTp[i]!, (j) => r.doc.page.blocks[j]!.kind === 'title'));
    keeps['forest'] = rs.map((r) => {
      const kept = new Uint8Array(r.y.length);
      decideBlocks(r.doc, scoreOf(r), decideAt, kept);
      return kept;
    });
    // Forest, except the blocks of one category, which take the labels' decision: how much of the gap
    // each category of decisions holds.
    for (const c of CATEGORIES) {
      keeps[`forest+oracle ${c}`] = rs.map((r, i) => {
        const f = keeps['forest']![i]!.slice();
        r.doc.page.blocks.forEach((b, j) => {
          if (category(b, ws[i]![j]!.length) === c) f[j] = r.y[j]!;
        });
        return f;
      });
    }
    // Readability on the multi-page sets (--readability FILE: its texts cached there, as html-quality runs it).
    const rfile = arg(argv, 'readability');
    if (rfile && MULTI.has(s.name)) {
      const cached: Record<string, string> = fs.existsSync(rfile) ? (JSON.parse(fs.readFileSync(rfile, 'utf8')) as Record<string, string>) : {};
      const keyOf = (i: number): string => `${s.name}|${s.pages[i]!.site}|${s.pages[i]!.file}`;
      if (!s.pages.every((_, i) => keyOf(i) in cached)) {
        const peer = htmlPeers()[0]!;
        const t = await peer.run(s.pages.map((p) => ({ html: decodeHtml(p.html).html, url: `https://${p.site}/${p.file}`, site: p.site })));
        t.forEach((x, i) => (cached[keyOf(i)] = x));
        fs.writeFileSync(rfile, JSON.stringify(cached));
      }
      readability.set(s.name, s.pages.map((_, i) => cached[keyOf(i)]!));
    }
    const short = s.name.replace('Dragnet (domains with 5+ pages)', 'Dragnet 5+').replace('Dragnet (domains with < 5 pages)', 'Dragnet <5').replace('europa.eu press releases', 'europa.eu').replace('simulated Arabic HTML crawl', 'simulated');
    const texts: Record<string, string[]> = {};
    const rt = readability.get(s.name);
    if (rt) {
      const q = scoreTexts('readability', scored, rt);
      console.log(`${short.padEnd(22)} ${'Readability'.padEnd(24)} ${f2(q.precision).padStart(6)} ${f2(q.recall).padStart(6)} ${f2(q.f1).padStart(6)} ${f2(q.damaged).padStart(6)}  ${Math.round(q.damaged * rs.length)}/${rs.length}  (target F1 ${f2(q.f1 + 0.03)})`);
    }
    for (const [name, ks] of Object.entries(keeps)) {
      const modes: [string, (r: PageRows, k: Keep) => string][] = name.startsWith('forest') ? [['route', routeText]] : [['whole', wholeText], ['route', routeText]];
      for (const [mode, fn] of modes) {
        const t = rs.map((r, i) => fn(r, ks[i]!));
        texts[`${name} ${mode}`] = t;
        const q = scoreTexts(name, scored, t);
        const nd = Math.round(q.damaged * rs.length);
        console.log(`${short.padEnd(22)} ${`${name} ${mode}`.padEnd(24)} ${f2(q.precision).padStart(6)} ${f2(q.recall).padStart(6)} ${f2(q.f1).padStart(6)} ${f2(q.damaged).padStart(6)}  ${nd}/${rs.length}`);
      }
    }
    // Forest against the labels oracle, block by block (words).
    let dropGold = 0;
    let keepChrome = 0;
    let goldWords = 0;
    rs.forEach((r, i) => {
      const f = keeps['forest']![i]!;
      r.doc.page.blocks.forEach((b, j) => {
        if (b.kind === 'title') return;
        const n = ws[i]![j]!.length;
        if (r.y[j]) goldWords += n;
        if (r.y[j] && !f[j]) dropGold += n;
        if (!r.y[j] && f[j]) keepChrome += n;
      });
    });
    const lostBy = new Map<string, number>();
    const chromeBy = new Map<string, number>();
    rs.forEach((r, i) => {
      const f = keeps['forest']![i]!;
      r.doc.page.blocks.forEach((b, j) => {
        if (b.kind === 'title') return;
        const n = ws[i]![j]!.length;
        const c = category(b, n);
        if (r.y[j] && !f[j]) lostBy.set(c, (lostBy.get(c) ?? 0) + n);
        if (!r.y[j] && f[j]) chromeBy.set(c, (chromeBy.get(c) ?? 0) + n);
      });
    });
    console.log(`${short.padEnd(22)} labelled-content words the forest drops / labelled-chrome words it keeps, by category: ${CATEGORIES.map((c) => `${c} ${lostBy.get(c) ?? 0} / ${chromeBy.get(c) ?? 0}`).join(', ')}`);
    const fd = damagedPages(scored, texts['forest route']!);
    const od = damagedPages(scored, texts['labels route']!);
    const hd = CATEGORIES.map((c) => damagedPages(scored, texts[`forest+oracle ${c} route`]!));
    const fixedBy = CATEGORIES.map((c, k) => `${c} ${fd.filter((d, i) => d && !hd[k]![i]).length}`).join(', ');
    const noneAlone = fd.filter((d, i) => d && hd.every((h) => h[i])).length;
    console.log(`${short.padEnd(22)} forest's damaged pages made whole by the labels' decision on one category alone: ${fixedBy}; by none alone: ${noneAlone}`);
    const owd = damagedPages(scored, texts['labels whole']!);
    const rd = damagedPages(scored, texts['repair route']!);
    const nfd = fd.filter((d) => d).length;
    console.log(`${short.padEnd(22)} forest vs labels: drops ${dropGold} of ${goldWords} labelled-content words (${f2(dropGold / Math.max(1, goldWords))}%), keeps ${keepChrome} labelled-chrome words; forest's ${nfd} damaged pages: ${fd.filter((d, i) => d && od[i]).length} damaged by labels (route), ${fd.filter((d, i) => d && owd[i]).length} by labels (whole), ${fd.filter((d, i) => d && rd[i]).length} by repair (route)`);
    if (arg(argv, 'dump')) {
      rs.forEach((r, i) => {
        const bs = r.doc.page.blocks;
        const lost = (t: string): string => {
          const left: string[] = [];
          const gw = words(t);
          // gold words the text misses (bag)
          const m = new Map<string, number>();
          for (const w of gw) m.set(w, (m.get(w) ?? 0) + 1);
          for (const w of r.gold) {
            const c = m.get(w) ?? 0;
            if (c > 0) m.set(w, c - 1);
            else left.push(w);
          }
          return left.slice(0, 60).join(' ');
        };
        const tp = (t: string): number => bagScore(words(t), r.gold).tp;
        for (const name of ['labels whole', 'labels route', 'majority whole', 'repair route', 'all blocks whole']) {
          const t = texts[name]![i]!;
          if (!damagedPages([scored[i]!], [t])[0]) continue;
          dump.push(`== ${short} | ${name} damaged | ${r.site} | ${s.pages[i]!.file} | gold ${r.gold.length} words, naive matches ${allTp[i]}, this ${tp(t)} | ${bs.length} blocks`);
          dump.push(`   gold words missed: ${lost(t)}`);
          if (name.startsWith('labels')) {
            bs.forEach((b, j) => {
              if (r.y[j] || b.kind === 'title') return;
              const g = bagScore(ws[i]![j]!, r.gold).tp;
              if (g >= 3) dump.push(`   dropped by labels (${g}/${ws[i]![j]!.length} words in gold bag) ${b.kind} ${b.path}: ${b.text.slice(0, 200)}`);
            });
          }
        }
        const fs_ = fd[i] ? scoreOf(r) : new Float32Array(0);
        if (fd[i]) {
          dump.push(`== ${short} | forest damaged | ${r.site} | ${s.pages[i]!.file} | gold ${r.gold.length} words, naive ${allTp[i]}, forest ${tp(texts['forest route']![i]!)}, labels route ${tp(texts['labels route']![i]!)}${od[i] ? ' (labels damaged too)' : ''}`);
          bs.forEach((b, j) => {
            if (r.y[j] && !keeps['forest']![i]![j]) dump.push(`   ${fs_[j]!.toFixed(2)}\t${b.kind}\t${b.path}\t${ws[i]![j]!.length}\t${b.text.slice(0, 200)}`);
          });
        }
      });
    }
  }
  const file = arg(argv, 'dump');
  if (file) fs.writeFileSync(file, dump.join('\n') + '\n');
}

if (process.argv[1]?.endsWith('html-oracle.js')) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exitCode = 1;
  });
}
