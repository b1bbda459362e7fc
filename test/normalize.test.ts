import { describe, expect, it } from 'vitest';
import { normalize, normalizeReference } from '../src/normalize.js';
import { unitHash } from '../src/analyze.js';
import { rng } from './helpers/rng.js';


describe('normalize', () => {
  it('folds Arabic letter forms, harakat and tatweel', () => {
    expect(normalize('أحمد إبراهيم آمال ٱلله')).toBe('احمد ابراهيم امال الله');
    expect(normalize('مستشفى علي')).toBe('مستشفي علي');
    expect(normalize('مدرسة')).toBe('مدرسه');
    expect(normalize('سُئِلَ مسؤول')).toBe('سيل مسوول');
    expect(normalize('جمـــيل')).toBe('جميل');
    expect(normalize('كتاب ی ک')).toBe('كتاب ي ك');
  });

  it('maps digits of every script to 0', () => {
    const digits = ['0123456789', '٠١٢٣٤٥٦٧٨٩', '۰۱۲۳۴۵۶۷۸۹', '०१२३४५६७८९', '০১২৩৪৫৬৭৮৯', '０１２３', '𝟎𝟏𝟐', '๑๒๓'];
    for (const d of digits) expect(normalize(d)).toMatch(/^0+$/);
    expect(normalize('يوم 30 - 11 - 2024')).toBe(normalize('يوم ٠٧ - ١٢ - ٢٠٢٥'));
  });

  it('drops punctuation (Arabic too), lower-cases, collapses whitespace', () => {
    expect(normalize('  شكرا على الإبلاغ!  ')).toBe('شكرا علي الابلاغ');
    expect(normalize('نعم، لا؛ لماذا؟')).toBe('نعم لا لماذا');
    expect(normalize('Hi,   WHAT are\u00a0\u00a0you?')).toBe('hi what are you');
    expect(normalize('«اقرأ أيضا»: …')).toBe('اقرا ايضا');
  });

  it('applies compatibility forms (ligatures, presentation forms, full width)', () => {
    expect(normalize('ﻻ')).toBe('لا');
    expect(normalize('ﷲ')).toBe(normalize('الله'));
    expect(normalize('ＡＢＣ')).toBe('abc');
    expect(normalize('ﬁne')).toBe('fine');
  });

  it('is empty for units made only of punctuation or spaces', () => {
    expect(normalize(' * — | \u00a0 ')).toBe('');
    expect(normalize('\u200f\u200e')).toBe('');
  });

  it('agrees with the regex reference on random text', () => {
    const r = rng(7);
    const pools = [
      [0x20, 0x7e],
      [0x600, 0x6ff],
      [0x750, 0x77f],
      [0xfb50, 0xfdff],
      [0xfe70, 0xfeff],
      [0x900, 0x97f],
      [0xff00, 0xffef],
      [0x2000, 0x206f],
      [0xa0, 0x24f],
      [0x370, 0x3ff],
    ] as const;
    for (let n = 0; n < 3000; n++) {
      let s = '';
      const len = 1 + Math.floor(r() * 30);
      for (let i = 0; i < len; i++) {
        const [lo, hi] = pools[Math.floor(r() * pools.length)]!;
        s += String.fromCharCode(lo + Math.floor(r() * (hi - lo + 1)));
      }
      if (r() < 0.1) s += String.fromCodePoint(0x1d7ce + Math.floor(r() * 40));
      expect(normalize(s), JSON.stringify(s)).toBe(normalizeReference(s));
    }
  });

  it('hashes equal normalized forms equally and different ones differently', () => {
    expect(unitHash('أحمد ١٢')).toEqual(unitHash('احمد 99'));
    expect(unitHash('  a   b ')).toEqual(unitHash('a b'));
    expect(unitHash('ab')).not.toEqual(unitHash('a b'));
    expect(unitHash('abc')).not.toEqual(unitHash('abd'));
  });
});

describe('the fold table saved by the build', () => {
  // (The build's own modules: vitest compiles src/ itself, and the stamp covers the compiled rules.)
  const dist = async () => ({
    n: (await import('../dist/src/normalize.js')) as typeof import('../src/normalize.js'),
    f: (await import('../dist/src/fold-file.js')) as typeof import('../src/fold-file.js'),
  });

  it('is what the rules build, and what a process loads', async () => {
    const { n, f } = await dist();
    const saved = f.loadFoldTable(n.foldTableStamp()!);
    expect(saved).not.toBeNull();
    const built = n.buildFoldTable();
    expect(Buffer.from(saved!.fold.buffer).equals(Buffer.from(built.fold.buffer))).toBe(true);
    expect([...saved!.expansions.keys()]).toEqual([...built.expansions.keys()]);
    for (const [c, e] of built.expansions) expect([...saved!.expansions.get(c)!]).toEqual([...e]);
    expect(Buffer.from(n.FOLD.buffer, n.FOLD.byteOffset, n.FOLD.byteLength).equals(Buffer.from(built.fold.buffer))).toBe(true);
  });

  it('is not used under another stamp (rules, Unicode version) or when cut short', async () => {
    const { n, f } = await dist();
    const stamp = n.foldTableStamp()!;
    const bytes = f.foldTableBytes(n.buildFoldTable(), stamp);
    expect(f.parseFoldTable(bytes, stamp)).not.toBeNull();
    expect(f.parseFoldTable(bytes, stamp.replace(/unicode \S+/, 'unicode 99.0'))).toBeNull();
    expect(f.parseFoldTable(bytes, stamp.replace(/code \S+/, 'code 0123456789abcdef'))).toBeNull();
    expect(f.parseFoldTable(bytes.subarray(0, bytes.length - 2), stamp)).toBeNull();
    expect(f.parseFoldTable(bytes.subarray(0, 1000), stamp)).toBeNull();
    expect(f.parseFoldTable(Buffer.concat([bytes, Buffer.alloc(2)]), stamp)).toBeNull();
  });
});
