/**
 * Unit normalization, table-driven so it can run inside the hashing loop (see ../shared/perf-notes.md:
 * a regex chain makes the pipeline 5-8x slower).
 *
 * What a unit is normalized to before hashing, per code point:
 *  - compatibility decomposition (NFKD: presentation forms and ligatures expand, full-width folds),
 *    then lower case;
 *  - every combining mark dropped (Arabic harakat, superscript alef, hamza above/below, Latin accents),
 *    which also folds أ إ آ ٱ to ا, ئ to ي and ؤ to و;
 *  - ى and ی to ي, ک to ك, ة to ه, tatweel dropped;
 *  - every decimal digit of any script (\p{Nd}) to 0;
 *  - punctuation and symbols (\p{P}, \p{S}, Arabic ، ؛ ؟ included) and format/control characters dropped;
 *  - whitespace (NBSP included) to a single space; runs collapsed and the ends trimmed by the hashers.
 *
 * `normalizeReference` spells the same rules with regexes and String.normalize; tests check the table
 * against it. NORM_VERSION goes into every model file: a model learned under other rules is refused.
 */

import fs from 'node:fs';
import { loadFoldTable, type FoldTable } from './fold-file.js';

export const NORM_VERSION = 1;

/** FOLD value: drop the code unit. */
export const F_DROP = 0;
/** FOLD value: whitespace. */
export const F_SPACE = 32;
/** FOLD value: the code unit expands to several (see EXPANSIONS). */
export const F_EXPAND = 0xffff;
/** FOLD value: a surrogate; the pair is folded through foldAstral. */
export const F_SURROGATE = 0xfffe;

const RE_MARK = /[\p{Mn}\p{Me}]/u;
const RE_DIGIT = /\p{Nd}/u;
const RE_SPACE = /[\s\p{Z}]/u;
const RE_DROP = /[\p{P}\p{S}\p{Cf}\p{Cc}\p{Co}\p{Cn}\p{Cs}]/u;

const ARABIC_FOLD: Record<string, string> = {
  'ى': 'ي', // alef maksura
  'ی': 'ي', // farsi yeh
  'ې': 'ي',
  'ک': 'ك', // keheh
  'ة': 'ه', // ta marbuta
  'ۀ': 'ه',
  'ە': 'ه',
  'ـ': '', // tatweel
  'ٱ': 'ا', // alef wasla (no decomposition in Unicode)
  'ٲ': 'ا',
  'ٳ': 'ا',
  'ٵ': 'ا',
  'ς': 'σ', // final sigma: per-code-point lower casing cannot see word ends, so fold it
};

/** Fold one code point (as a string) to what it contributes to a normalized unit. */
function foldCodePoint(ch: string): string {
  let out = '';
  for (const c of ch.normalize('NFKD').toLowerCase().normalize('NFKD')) {
    if (RE_MARK.test(c)) continue;
    const ar = ARABIC_FOLD[c];
    if (ar !== undefined) {
      out += ar;
      continue;
    }
    if (RE_DIGIT.test(c)) out += '0';
    else if (RE_SPACE.test(c)) out += ' ';
    else if (RE_DROP.test(c)) continue;
    else out += c;
  }
  return out;
}

/** Fold every code unit (~65,000 normalizations: ~70-100 ms, so it is built once, see fold-file.ts). */
export function buildFoldTable(): FoldTable {
  const fold = new Uint16Array(65536);
  const expansions = new Map<number, Uint16Array>();
  for (let c = 0; c < 65536; c++) {
    if (c >= 0xd800 && c <= 0xdfff) {
      fold[c] = F_SURROGATE;
      continue;
    }
    // CJK unified ideographs have no decomposition and no case: themselves (a quick path).
    if (c >= 0x4e00 && c <= 0x9fff) {
      fold[c] = c;
      continue;
    }
    const f = foldCodePoint(String.fromCharCode(c));
    if (f.length === 0) fold[c] = F_DROP;
    else if (f.length === 1) {
      const u = f.charCodeAt(0);
      fold[c] = u === 0xffff || u === 0xfffe ? F_DROP : u;
    } else {
      fold[c] = F_EXPAND;
      const arr = new Uint16Array(f.length);
      for (let i = 0; i < f.length; i++) arr[i] = f.charCodeAt(i);
      expansions.set(c, arr);
    }
  }
  return { fold, expansions };
}

/**
 * What the table depends on: the rules (this module's compiled code, read from its file) and the
 * runtime's Unicode data. A table saved under another stamp is not used; null when this module's code
 * cannot be read (the table is then built).
 */
export function foldTableStamp(): string | null {
  let code: Buffer;
  try {
    code = fs.readFileSync(new URL(import.meta.url));
  } catch {
    return null;
  }
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x2a5c1e37 | 0;
  for (let i = 0; i < code.length; i++) {
    h1 = Math.imul(h1 ^ code[i]!, 0x01000193);
    h2 = Math.imul(h2 ^ code[i]!, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  const hex = (x: number): string => (x >>> 0).toString(16).padStart(8, '0');
  return `norm ${NORM_VERSION} code ${hex(h1)}${hex(h2)} unicode ${process.versions.unicode ?? '?'} icu ${process.versions.icu ?? '?'}`;
}

const STAMP = foldTableStamp();
const TABLE = (STAMP !== null ? loadFoldTable(STAMP) : null) ?? buildFoldTable();
/** Per UTF-16 code unit: the folded code unit, or one of the F_* markers. */
export const FOLD: Uint16Array = TABLE.fold;
/** Code units that fold to more than one code unit (ligatures, presentation forms). */
export const EXPANSIONS: Map<number, Uint16Array> = TABLE.expansions;

const astralCache = new Map<number, Uint16Array>();
/** Fold an astral code point (mathematical digits, emoji, CJK extensions). Cached: they are rare. */
export function foldAstral(cp: number): Uint16Array {
  let r = astralCache.get(cp);
  if (r === undefined) {
    const f = foldCodePoint(String.fromCodePoint(cp));
    r = new Uint16Array(f.length);
    for (let i = 0; i < f.length; i++) r[i] = f.charCodeAt(i);
    if (astralCache.size < 100_000) astralCache.set(cp, r);
  }
  return r;
}

let NBUF = new Uint16Array(1024);

/**
 * The normalized form of `s`, built with the table. Slower than hashing directly (it builds a string);
 * used for short units, display and tests.
 */
export function normalize(s: string): string {
  if (NBUF.length < s.length * 4 + 16) NBUF = new Uint16Array(s.length * 4 + 16);
  const out = NBUF;
  let n = 0;
  let pending = false;
  const emit = (u: number): void => {
    if (u === F_SPACE) {
      pending = n > 0;
      return;
    }
    if (pending) {
      out[n++] = F_SPACE;
      pending = false;
    }
    out[n++] = u;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const f = FOLD[c]!;
    if (f === F_DROP) continue;
    if (f < F_SURROGATE) {
      if (f === F_SPACE) pending = n > 0;
      else {
        if (pending) {
          out[n++] = F_SPACE;
          pending = false;
        }
        out[n++] = f;
      }
    } else if (f === F_EXPAND) {
      for (const u of EXPANSIONS.get(c)!) emit(u);
    } else {
      const d = s.charCodeAt(i + 1);
      if (c < 0xdc00 && d >= 0xdc00 && d <= 0xdfff) {
        for (const u of foldAstral(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000)) emit(u);
        i++;
      } // a lone surrogate is dropped
    }
  }
  let r = '';
  for (let i = 0; i < n; i += 8192) r += String.fromCharCode.apply(null, out.subarray(i, Math.min(n, i + 8192)) as unknown as number[]);
  return r;
}

/** The same rules written as a regex chain over the whole string: the specification tests check against. */
export function normalizeReference(s: string): string {
  return s
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .normalize('NFKD')
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\p{Mn}\p{Me}]/gu, '')
    .replace(/[ٱٲٳٵ]/g, 'ا')
    .replace(/[ىیې]/g, 'ي')
    .replace(/ک/g, 'ك')
    .replace(/[ةۀە]/g, 'ه')
    .replace(/ـ/g, '')
    .replace(/ς/g, 'σ')
    .replace(/\p{Nd}/gu, '0')
    .replace(/[\s\p{Z}]+/gu, ' ')
    .replace(/[\p{P}\p{S}\p{Cf}\p{Cc}\p{Co}\p{Cn}\uffff\ufffe]/gu, '')
    .replace(/ +/g, ' ')
    .trim();
}
