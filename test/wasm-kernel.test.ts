import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Analysis, analyze, analyzeJs, KERNEL, LINE_BANDS } from '../src/analyze.js';
import { loadPool, seedPool } from '../src/sim/articles.js';
import { simulate } from '../src/sim/generate.js';
import { simulateHtml } from '../src/sim/html.js';
import { rng } from './helpers/rng.js';

// analyze() runs the line loop in WebAssembly (asm/kernel.ts); analyzeJs() is the same analysis in JS. Every
// column of the two Analyses must be equal: lines, segments, template keys and heads, fingerprints.

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

const LINE_COLS = ['lineStart', 'lineEnd', 'lineNext', 'lineH1', 'lineH2', 'lineLen', 'lineTok', 'lineSeg0', 'lineSegN', 'lineEll', 'lineX0', 'lineXN'] as const;
const SEG_COLS = ['segStart', 'segEnd', 'segH1', 'segH2', 'segLen'] as const;
const EXTRA_COLS = ['extraKind', 'extraH1', 'extraH2'] as const;

/** The first column where a and b differ, or null. */
function difference(a: Analysis, b: Analysis): string | null {
  if (a.text !== b.text) return 'text';
  if (a.nLines !== b.nLines || a.nSegs !== b.nSegs || a.nExtra !== b.nExtra) return `counts ${a.nLines}/${a.nSegs}/${a.nExtra} vs ${b.nLines}/${b.nSegs}/${b.nExtra}`;
  const groups: [readonly (keyof Analysis)[], number][] = [
    [LINE_COLS, a.nLines],
    [SEG_COLS, a.nSegs],
    [EXTRA_COLS, a.nExtra],
  ];
  for (const [cols, n] of groups) {
    for (const c of cols) {
      const x = a[c] as Int32Array;
      const y = b[c] as Int32Array;
      for (let i = 0; i < n; i++) if (x[i] !== y[i]) return `${c}[${i}]: ${x[i]} vs ${y[i]}`;
    }
  }
  for (let i = 0; i < a.fp.length; i++) {
    if (a.fp[i] !== b.fp[i]) return `fp[${i}]: ${a.fp[i]} vs ${b.fp[i]}`;
    if (a.fpLine[i] !== b.fpLine[i]) return `fpLine[${i}]: ${a.fpLine[i]} vs ${b.fpLine[i]}`;
  }
  return null;
}

/** Compares the two paths over texts (each with the three option sets pass 1 and pass 2 use); returns the mismatches. */
function compareAll(texts: Iterable<string>): { docs: number; bad: string[]; seen: Record<string, number> } {
  // One Analysis per path and option set, reused as the product reuses them (stale columns must agree too).
  const opts: [boolean, boolean][] = [
    [true, true],
    [true, false],
    [false, true],
  ];
  const js = opts.map(() => new Analysis());
  const wasm = opts.map(() => new Analysis());
  const bad: string[] = [];
  let docs = 0;
  // What the texts exercised (with templates and lead heads): so a test can check its inputs reach every path.
  const seen: Record<string, number> = { segments: 0, ellipsis: 0, lineBands: 0, shingleBands: 0 };
  const kinds = ['line', 'segment', 'prefix', 'suffix', 'shape', 'head', 'fingerprint', 'path', 'prose-label'];
  for (const t of texts) {
    docs++;
    opts.forEach(([templates, leadHeads], k) => {
      analyzeJs(t, js[k]!, templates, leadHeads);
      analyze(t, wasm[k]!, templates, leadHeads);
      const d = difference(js[k]!, wasm[k]!);
      if (d !== null && bad.length < 5) bad.push(`${JSON.stringify(t.slice(0, 300))} (${templates}, ${leadHeads}): ${d}`);
    });
    const a = js[0]!;
    if (a.nSegs > 0) seen.segments!++;
    if (a.lineEll.subarray(0, a.nLines).includes(1)) seen.ellipsis!++;
    if (a.fp[0] !== 0) seen.lineBands!++;
    if (a.fp[2 * LINE_BANDS] !== 0) seen.shingleBands!++;
    for (let x = 0; x < a.nExtra; x++) seen[kinds[a.extraKind[x]!]!] = (seen[kinds[a.extraKind[x]!]!] ?? 0) + 1;
  }
  return { docs, bad, seen };
}

describe('the WebAssembly kernel equals the JS line loop', () => {
  it('analyze() runs the kernel and analyzeJs() does not', () => {
    const before = KERNEL.runs;
    analyzeJs('a b c\nd', new Analysis());
    expect(KERNEL.runs).toBe(before);
    analyze('a b c\nd', new Analysis());
    expect(KERNEL.runs).toBe(before + 1);
  });

  it('on the seeds (and all of them in one document, past the work area the kernel starts with)', () => {
    const dir = path.join(ROOT, 'seeds');
    const texts = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
    texts.push(texts.join('\r\n').repeat(5));
    expect(texts.at(-1)!.length).toBeGreaterThan(1 << 17);
    const r = compareAll(texts);
    expect(r.docs).toBeGreaterThan(0);
    expect(r.bad).toEqual([]);
  });

  it('analyzes in JS, the same, a document too big for the memory the kernel may take', () => {
    const big = 'سطر أول  |  سطر ثان\n'.repeat(20_000);
    const max = KERNEL.maxMemory;
    KERNEL.maxMemory = 1 << 20;
    try {
      expect(KERNEL.run(big)).toBe(-1);
      const r = compareAll([big]);
      expect(r.bad).toEqual([]);
      expect(r.seen.segments).toBe(1);
    } finally {
      KERNEL.maxMemory = max;
    }
    expect(KERNEL.run(big)).toBe(20_000); // no empty line after the last terminator
  });

  it('on the edge cases of the analyze tests', () => {
    const r = compareAll([
      '',
      '\n',
      '\r\n',
      '\r',
      'a',
      'a\n',
      'a\r\nb\rc\n\nd',
      'سياسة | اقتصاد | رياضة\nهذه جملة عادية\na|b c',
      'عاجل:  خبر أول  |  خبر ثان  •  خبر ثالث',
      'أخبار  ·  رياضة  ·  ثقافة\u00a0\u00a0\u00a0اقتصاد',
      'اقرأ أيضا: عنوان المقال\nبقلم: محمد علي\nالرياض - واس\nPosted by X | Jan 5',
      'الرئيسية » سياسة » عربي\nالأحد 12 يناير 2025\nالاثنين، 3 مارس ٢٠٢٤',
      'وقال: «هذا كلام».\nقال: "نعم"',
      'هذا خبر طويل جدا عن شيء ما يحدث في مكان ما من العالم اليوم...\nخبر مقطوع…\nنقطتان..\n. .',
      'ﷺ ﻻ ﬁ ﬂ ½ ① ⑽ \ud835\udfd9\ud835\udfda 😀 \ud800 x \udc00 y\ud800',
      '\u00a0\u00a0 \t lead \u00a0 spaces and trailing \u00a0\u00a0 ',
      ' | | | ',
      '| a | b |',
      'a  b',
      'a \u2022 b',
      'a \u2022\n',
      'a  |\nb',
      '\n'.repeat(10_000),
      'a\n'.repeat(70_000),
      'x  '.repeat(10_000),
      'كلمة '.repeat(5000),
    ]);
    expect(r.bad).toEqual([]);
  });

  it('on simulated crawls (plain text and HTML pages)', () => {
    const texts: string[] = [];
    const pool = loadPool({ maxFiles: 2, seedDir: path.join(ROOT, 'seeds') });
    for (const seed of [1, 2, 3]) for (const d of simulate(pool, { seed, docs: 400 })) texts.push(d.text);
    for (const d of simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 9, docs: 400 })) texts.push(d.text);
    for (const p of simulateHtml(pool, { seed: 4, docs: 150 })) texts.push(p.html, p.doc.text);
    const r = compareAll(texts);
    expect(r.docs).toBe(texts.length);
    expect(r.bad).toEqual([]);
    for (const k of ['segments', 'ellipsis', 'lineBands', 'shingleBands', 'prefix', 'suffix', 'head']) expect(r.seen[k] ?? 0, k).toBeGreaterThan(10);
  });

  it('on 100,000 random strings', () => {
    const r = rng(13);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    // Arabic and Latin words, NBSP and space runs, chain and label separators, ellipses, dates, digits,
    // expansions (ligatures, presentation forms), surrogate pairs and lone surrogates, line terminators.
    const words = ['كلمة', 'أخبار', 'الرياض', 'يناير', 'والأحد', 'بمارس', 'ﻳﻨﺎﻳﺮ', '\ufe8d\ufefb\ufe9b\ufee8\ufef4\ufee6', 'الاثنين', 'Sept', 'مُحَمَّد', 'ـــ', 'word', 'News', 'jan', 'Monday', 'décembre', '2024', '٣٠', '۱۲', '0', 'ﷺ', 'ﻻ', 'ﬁx', '½', '①', 'Ａｂ', 'ς', '\ud835\udfd9', '😀', 'x'.repeat(70), 'طويلة'.repeat(15)];
    const seps = [' ', ' ', ' ', ' ', '  ', '\u00a0', '\u00a0\u00a0\u00a0', '\t', ' | ', ' • ', ' · ', '|', ' ‧ ', ' ● ', ' - ', ' – ', ' — ', ' » ', ' > ', ' › ', ': ', '：', ':', '-', '، ', '. ', '... ', '..', '…', '.', '"', '«', '»', '”', '!', '?', '؟', '\n', '\n', '\r\n', '\r', '\n\n', '\ud800', '\udc00', '\ud83d', '\u200f', '\u0001', '\ufeff', ' \u2022\n'];
    const texts = function* (): Generator<string> {
      for (let k = 0; k < 100_000; k++) {
        let s = '';
        // Some strings are prose (long lines of single-spaced words: shingles), most a jumble.
        const prose = r() < 0.15;
        const m = Math.floor(r() * (prose || r() < 0.1 ? 200 : 40));
        for (let j = 0; j < m; j++) s += pick(words) + (prose && r() < 0.95 ? ' ' : pick(seps));
        if (r() < 0.3) s = s.slice(0, Math.floor(r() * (s.length + 1)));
        yield s;
      }
    };
    const res = compareAll(texts());
    expect(res.docs).toBe(100_000);
    expect(res.bad).toEqual([]);
    // The strings reach every path: chains, teasers, both fingerprint kinds, every template key kind, heads.
    for (const k of ['segments', 'ellipsis', 'lineBands', 'shingleBands', 'prefix', 'suffix', 'shape', 'head', 'prose-label']) expect(res.seen[k] ?? 0, k).toBeGreaterThan(100);
  });
});
