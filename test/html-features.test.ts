/**
 * Pieces of the block features (src/html/features.ts) that replaced slower equivalents: each held to the
 * thing it replaced.
 */
import { describe, expect, it } from 'vitest';
import { SPLIT_UNITS, titleHits, WORD_SPLIT } from '../src/html/features.js';

describe('the title overlap without a regular expression', () => {
  it('splits on exactly the code units WORD_SPLIT matches', () => {
    const differ: number[] = [];
    for (let c = 0; c < 65536; c++) if ((SPLIT_UNITS[c] === 1) !== WORD_SPLIT.test(String.fromCharCode(c))) differ.push(c);
    expect(differ).toEqual([]);
  });

  it('counts words and title words as the split by WORD_SPLIT did', () => {
    const byRegex = (s: string, title: Set<string>): [number, number] => {
      let hit = 0;
      let all = 0;
      for (const t of s.split(WORD_SPLIT)) {
        if (t.length === 0) continue;
        all++;
        if (title.has(t)) hit++;
      }
      return [hit, all];
    };
    const title = new Set(['الرياض', 'news', 'οδος', 'a', '😀x']);
    const pieces = ['الرياض', 'news', 'οδος', 'a', '😀x', 'b', ' ', '  ', '\u00a0', '.', '،', '—', '-', '\u2009', '\ufeff', '\n', '«', 'x😀', '\ud800', ''];
    let seed = 7;
    const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed % n);
    const cases = ['', ' ', 'news', ' news ', 'news,news', '—a—', 'الرياض، news.', '\ufeffa\u3000a'];
    for (let k = 0; k < 2000; k++) cases.push(Array.from({ length: rnd(12) }, () => pieces[rnd(pieces.length)]!).join(''));
    for (const s of cases) expect(titleHits(s, title), JSON.stringify(s)).toEqual(byRegex(s, title));
  });
});
