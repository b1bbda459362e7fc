/**
 * htmlToBlocks speed on real pages, and a naive single-page extraction baseline scored on gold text.
 *
 *   npm run build && node dist/bench/html-blocks.js PATH..        speed over the HTML files in PATHs
 *   node dist/bench/html-blocks.js --quality [EVAL_DIR]           naive extraction vs gold (bag-of-words F1)
 *   options: --seconds N (per variant, default 2)
 *
 * Speed: every file is decoded once (decodeHtml), then each variant runs over all pages in rounds until
 * --seconds have passed, one after the other (never concurrently); MB/s is MB of HTML bytes (as read) per
 * second of that variant, median of the rounds. Variants: the bare htmlparser2 Parser with no-op
 * callbacks (the ceiling for anything built on it), htmlToBlocks, htmlToBlocks with tokens, decodeHtml.
 *
 * Quality: the gold sets of real-pages.ts (CleanPortalEval, the Dragnet pages of domains with 5+ pages and,
 * since it was added there, the europa.eu press releases; the table below predates europa), gold read the
 * same way. "naive" keeps blocks whose kind is paragraph or heading, whose link share is under
 * 0.5, and that have no NAV, FOOTER, COMMENT, RELATED or SHARE hint; "all blocks" keeps every block;
 * scored as micro-averaged bags of normalized words (bagScore), as bench/real-pages.ts does.
 *
 * Results (2-core AMD EPYC VM shared with other jobs, load average ~5 during the runs; Node 20.20.2,
 * htmlparser2 12.0.0; 2026-12-01). Pages: the first 200 Dragnet pages by number (16.7 MB) and all 71
 * CleanPortalEval pages (5.9 MB), extracted to /tmp. MB/s of HTML, two runs each, --seconds 3:
 *
 *   variant                                 Dragnet 200 wall / cpu        CPE 71 wall
 *   htmlparser2 Parser, no-op callbacks     63-100 / 90-96                89
 *   htmlToBlocks                            32-63  / 48-59                52
 *   htmlToBlocks, tokens                    29-57  / 42-50                36
 *   decodeHtml                              360-560                       450
 *
 * Reading: htmlToBlocks runs at about 55-60% of the bare parser's speed, well above the 25 MB/s target;
 * the tokenizer itself is the largest cost (--cpu-prof: Tokenizer.parse ~36% self), then per-element
 * class/id hints (attrInfo's Map lookup ~6%; ids with numbers miss the cache), text collapsing (~5%),
 * the parser's open-tag handling (~6%), paths (~4%). The stack cap costs nothing measurable.
 *
 * Quality (--quality): bag-of-words against gold, micro-averaged:
 *
 *   set                     method                              P      R      F1
 *   CleanPortalEval (71)    all blocks                          0.512  0.990  0.675
 *   CleanPortalEval (71)    naive                               0.876  0.971  0.921
 *   Dragnet 5+ (804)        all blocks                          0.471  0.996  0.639
 *   Dragnet 5+ (804)        naive                               0.841  0.711  0.771
 *   Dragnet 5+ (804)        naive, COMMENT blocks kept          0.647  0.912  0.757
 *
 * Reading: most of naive's Dragnet recall loss is COMMENT blocks: some gold files hold the user comments
 * without the separator line (fourhourworkweek.com 419.html: 247 KB of gold, all of it), so the cut at
 * the separator does not remove them; then list items (~5% of gold words) and link-heavy blocks (~2%).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Parser } from 'htmlparser2';
import { blocksToText, COMMENT, decodeHtml, FOOTER, htmlToBlocks, NAV, RELATED, SHARE, type HtmlPage } from '../src/html/blocks.js';
import { bagScore } from '../src/sim/score.js';
import { defaultEvalDir, goldPageSets, words } from './real-pages.js';

function listFiles(p: string, out: string[]): void {
  const st = fs.statSync(p);
  if (st.isDirectory()) for (const e of fs.readdirSync(p).sort()) listFiles(path.join(p, e), out);
  else if (st.isFile()) out.push(p);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Median wall and CPU seconds (user + system of this process) of a round. CPU time is the steadier figure
 * on a shared machine: wall time also counts the time other processes held the core. */
function timeRounds(seconds: number, round: () => void): { rounds: number; wall: number; cpu: number } {
  round(); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  const end = performance.now() + seconds * 1000;
  do {
    const t = performance.now();
    const c = process.cpuUsage();
    round();
    const dc = process.cpuUsage(c);
    wall.push((performance.now() - t) / 1000);
    cpu.push((dc.user + dc.system) / 1e6);
  } while (performance.now() < end || wall.length < 3);
  return { rounds: wall.length, wall: median(wall), cpu: median(cpu) };
}

function speed(paths: string[], seconds: number): void {
  const files: string[] = [];
  for (const p of paths) listFiles(p, files);
  const raw = files.map((f) => fs.readFileSync(f));
  const bytes = raw.reduce((n, b) => n + b.length, 0);
  const pages = raw.map((b) => decodeHtml(b).html);
  const mb = bytes / 1e6;
  console.log(`${files.length} files, ${mb.toFixed(1)} MB of HTML (${paths.join(' ')})`);
  let sink = 0;
  const rows: { variant: string; 'MB/s (wall)': string; 'MB/s (cpu)': string; rounds: number }[] = [];
  const run = (variant: string, fn: () => void): void => {
    const r = timeRounds(seconds, fn);
    rows.push({ variant, 'MB/s (wall)': (mb / r.wall).toFixed(1), 'MB/s (cpu)': (mb / r.cpu).toFixed(1), rounds: r.rounds });
  };
  const noop = (): void => {};
  run('htmlparser2 Parser, no-op callbacks', () => {
    for (const html of pages) {
      const p = new Parser({ onopentagname: noop, onattribute: noop, ontext: noop, onclosetag: noop }, { decodeEntities: true, lowerCaseAttributeNames: false });
      p.end(html);
    }
  });
  run('htmlToBlocks', () => {
    for (const html of pages) sink += htmlToBlocks(html).blocks.length;
  });
  run('htmlToBlocks, tokens', () => {
    for (const html of pages) sink += htmlToBlocks(html, { tokens: true }).blocks.length;
  });
  run('decodeHtml', () => {
    for (const b of raw) sink += decodeHtml(b).html.length;
  });
  console.table(rows);
  const blocks = pages.reduce((n, h) => n + htmlToBlocks(h).blocks.length, 0);
  console.log(`blocks: ${blocks} (${(blocks / pages.length).toFixed(0)} a page)${sink < 0 ? '' : ''}`);
}

const CHROME = NAV | FOOTER | COMMENT | RELATED | SHARE;

export function naiveText(page: HtmlPage, chrome = CHROME): string {
  const keep: string[] = [];
  for (const b of page.blocks) {
    if (b.kind !== 'paragraph' && b.kind !== 'heading') continue;
    if (b.linkChars * 2 >= b.chars) continue;
    if (b.hints & chrome) continue;
    keep.push(b.text);
  }
  return keep.join('\n');
}

function quality(dir: string): void {
  const rows: Record<string, string | number>[] = [];
  for (const set of goldPageSets(dir)) {
    const methods: [string, (p: HtmlPage) => string][] = [
      ['all blocks', blocksToText],
      ['naive (kind, link share, hints)', (p) => naiveText(p)],
      ['naive, COMMENT blocks kept', (p) => naiveText(p, CHROME & ~COMMENT)],
    ];
    for (const [name, fn] of methods) {
      let tp = 0;
      let outN = 0;
      let goldN = 0;
      for (const p of set.pages) {
        const d = decodeHtml(p.html);
        const s = bagScore(words(fn(htmlToBlocks(d.html, { charset: d.charset }))), words(p.gold));
        tp += s.tp;
        outN += s.outN;
        goldN += s.goldN;
      }
      const P = outN ? tp / outN : 1;
      const R = goldN ? tp / goldN : 1;
      rows.push({ set: set.name, pages: set.pages.length, method: name, precision: P.toFixed(3), recall: R.toFixed(3), f1: (P + R ? (2 * P * R) / (P + R) : 0).toFixed(3) });
    }
  }
  console.table(rows);
}

function main(argv: string[]): void {
  let seconds = 2;
  const paths: string[] = [];
  let q: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--seconds') seconds = Number(argv[++i]);
    else if (a === '--quality') q = argv[i + 1] && !argv[i + 1]!.startsWith('--') ? argv[++i]! : defaultEvalDir();
    else paths.push(a);
  }
  if (q !== null) quality(q);
  if (paths.length > 0) speed(paths, seconds);
  if (q === null && paths.length === 0) console.error('usage: node dist/bench/html-blocks.js [--seconds N] [--quality [EVAL_DIR]] [PATH..]');
}

main(process.argv.slice(2));
