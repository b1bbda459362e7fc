import fs from 'node:fs';
import { Rng } from '../src/sim/generate.js';
import { tag } from './helpers/words.js';
import { describe, expect, it } from 'vitest';
import { Analysis, analyze, FP_BANDS, LINE_BANDS, unitHash } from '../src/analyze.js';

const seed000 = fs.readFileSync(new URL('../seeds/000_f31126efb5fa09ff.txt', import.meta.url), 'utf8');

describe('analyze: lines and segments', () => {
  it('splits the seed ticker into its headlines at the NBSP runs', () => {
    const a = analyze(seed000, new Analysis());
    expect(a.lineSegN[0]).toBeGreaterThan(40);
    const first = seed000.slice(a.segStart[a.lineSeg0[0]!]!, a.segEnd[a.lineSeg0[0]!]!);
    expect(first).toBe('تعزيز التعاون المغربي-الفرنسي في مجال الهجرة.. وضع أجندة شاملة تُعزز التنقل النظامي');
    // Every segment is a headline: no separators inside, none empty.
    for (let s = a.lineSeg0[0]!; s < a.lineSeg0[0]! + a.lineSegN[0]!; s++) {
      const t = seed000.slice(a.segStart[s]!, a.segEnd[s]!);
      expect(t).not.toMatch(/\u00a0\u00a0/);
      expect(t.trim().length).toBeGreaterThan(0);
      expect(unitHash(t)).toEqual([a.segH1[s], a.segH2[s]]);
    }
  });

  it('splits menus on spaced separators but not words with a single space', () => {
    const a = analyze('سياسة | اقتصاد | رياضة\nهذه جملة عادية\na|b c', new Analysis());
    expect(a.lineSegN[0]).toBe(3);
    expect(a.lineSegN[1]).toBe(0);
    expect(a.lineSegN[2]).toBe(0);
  });

  it('gives UTF-16 offsets for \\n, \\r\\n and \\r line ends', () => {
    const text = 'one\r\ntwo\rthree\nfour';
    const a = analyze(text, new Analysis());
    const lines = [];
    for (let i = 0; i < a.nLines; i++) lines.push(text.slice(a.lineStart[i]!, a.lineEnd[i]!));
    expect(lines).toEqual(['one', 'two', 'three', 'four']);
    expect(a.lineNext[0]).toBe(5);
    expect(a.lineNext[a.nLines - 1]).toBe(text.length);
  });

  it('line hashes match the hash of the line text, and empty lines are length 0', () => {
    const text = 'Hello World\n\n  \n***\nشكرا على الإبلاغ!';
    const a = analyze(text, new Analysis());
    expect(a.nLines).toBe(5);
    expect([a.lineLen[1], a.lineLen[2], a.lineLen[3]]).toEqual([0, 0, 0]);
    expect([a.lineH1[4], a.lineH2[4]]).toEqual(unitHash('شكرا على الإبلاغ!'));
  });

  it('gives short labelled lines template keys and marks ellipsis teasers', () => {
    const a = analyze('بقلم: محمد العتيبي\nالرياض - واس\nمنشور الاثنين 2 ديسمبر 2024\n' + 'كلمة '.repeat(12) + '...', new Analysis());
    expect(a.lineXN[0]).toBeGreaterThan(0);
    expect(a.lineXN[1]).toBeGreaterThan(0);
    expect(a.lineXN[2]).toBeGreaterThan(0);
    expect(a.lineEll[3]).toBe(1);
  });

  it('the duplicate fingerprint ignores chrome around the same paragraphs', () => {
    const body = 'فقرة أولى طويلة بما يكفي لتكون من متن المقال وليست من القوالب المتكررة في الموقع\nفقرة ثانية طويلة أيضا تحمل جزءا آخر من المقال الذي نشره الموقع اليوم';
    const a = analyze(`شريط أخبار 1\n${body}\nمقالات ذات صلة`, new Analysis());
    const fp = [...a.fp];
    expect(fp[0]).not.toBe(0);
    const b = analyze(`شريط آخر مختلف تماما\n${body}\nالأكثر قراءة`, new Analysis());
    expect([...b.fp]).toEqual(fp);
    expect([...b.fpLine.subarray(0, 2)].sort()).toEqual([1, 2]);
    const c = analyze('سطر قصير', new Analysis());
    expect([...c.fp]).toEqual(new Array(2 * FP_BANDS).fill(0));
  });

  it('a copy with another headline, a dateline added and one paragraph edited mostly shares a band', () => {
    const rng = new Rng(7);
    const word = () => tag(Math.floor(rng.next() * 5000));
    const para = () => Array.from({ length: 14 + Math.floor(rng.next() * 20) }, word).join(' ');
    const bands = (t: string) => {
      const a = analyze(t, new Analysis());
      return [0, 1, 2].map((b) => `${a.fp[2 * b]},${a.fp[2 * b + 1]}`);
    };
    let shared = 0;
    let falseShared = 0;
    const N = 60;
    for (let k = 0; k < N; k++) {
      const paras = Array.from({ length: 4 + Math.floor(rng.next() * 6) }, para);
      const orig = bands(`${word()} ${word()} ${word()}\n${paras.join('\n')}`);
      const edited = [...paras];
      edited[0] = `دبي (CNN) -- ${edited[0]}`;
      const j = Math.floor(rng.next() * edited.length);
      edited[j] = `${edited[j]} ${word()} ${word()}`;
      const copy = bands(`${word()} ${word()}\n${edited.join('\n')}`);
      if (copy.some((x) => x !== '0,0' && orig.includes(x))) shared++;
      const other = bands(Array.from({ length: paras.length }, para).join('\n'));
      if (other.some((x) => x !== '0,0' && orig.includes(x))) falseShared++;
    }
    // Measured: 44 of 60 (two of 4-9 paragraphs changed; a min-hash pair survives with about J^2, J the
    // share of paragraphs the copies have in common). The shingle bands (next test) do better.
    expect(shared).toBeGreaterThanOrEqual(42);
    expect(falseShared).toBe(0);
  });

  it('shingle bands survive when every paragraph of a copy was edited', () => {
    const rng = new Rng(11);
    const word = () => tag(Math.floor(rng.next() * 5000));
    const para = () => Array.from({ length: 16 + Math.floor(rng.next() * 20) }, word).join(' ');
    const bands = (t: string, from: number, to: number) => {
      const a = analyze(t, new Analysis());
      return Array.from({ length: to - from }, (_, b) => `${a.fp[2 * (from + b)]},${a.fp[2 * (from + b) + 1]}`);
    };
    let lineShared = 0;
    let shingleShared = 0;
    let falseShared = 0;
    const N = 60;
    for (let k = 0; k < N; k++) {
      // Short articles: 1-3 paragraphs, each edited in the copy (a dateline, a word appended, one word changed).
      const paras = Array.from({ length: 1 + Math.floor(rng.next() * 3) }, para);
      const orig = `${word()} ${word()}\n${paras.join('\n')}`;
      const edited = paras.map((p, i) => (i === 0 ? `دبي - واس: ${p}` : i === 1 ? `${p} ${word()}` : p.replace(/^\S+/, word())));
      const copy = `${word()} ${word()} ${word()}\n${edited.join('\n')}`;
      const other = Array.from({ length: paras.length }, para).join('\n');
      const share = (x: string[], y: string[]) => x.filter((v, i) => v !== '0,0' && v === y[i]).length;
      if (share(bands(orig, 0, LINE_BANDS), bands(copy, 0, LINE_BANDS)) > 0) lineShared++;
      if (share(bands(orig, LINE_BANDS, FP_BANDS), bands(copy, LINE_BANDS, FP_BANDS)) >= 2) shingleShared++;
      if (share(bands(orig, LINE_BANDS, FP_BANDS), bands(other, LINE_BANDS, FP_BANDS)) > 0) falseShared++;
    }
    // Measured: whole-line bands 0 of 60, two or more shingle bands 60 of 60, none with another article.
    expect(lineShared).toBe(0);
    expect(shingleShared).toBeGreaterThanOrEqual(57);
    
    expect(falseShared).toBe(0);
  });
});
