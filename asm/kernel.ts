/**
 * The analysis kernel (both passes) in AssemblyScript (compiled by `npm run build` to dist/asm/kernel.wasm): the line loop of
 * src/analyze.ts (hashLine + segmentLine + shingleLine + the ellipsis test) fused into one pass over the UTF-16 code
 * units of a document. src/kernel-wasm.ts fills the tables and copies each text in; analyze.ts turns the per-line
 * results into an Analysis (fingerprints, template keys and heads stay there, in JS). analyzeJs in analyze.ts is the
 * reference: test/wasm-kernel.test.ts compares every column of the two on seeds, fixtures, simulated crawls and
 * random strings. Keep the two in step: a change to the line loop in analyze.ts needs the same change here.
 *
 * Not type-checked by tsc (tsconfig includes src, bench and test only): asc checks it.
 */
// Memory layout (bytes). T: Int32 per code unit (folded unit | class bits; for expansions the index into EXPTAB).
export const T_PTR: i32 = 0;            // 65536 * 4
export const EXPTAB_PTR: i32 = 262144;  // u32 per expansion: (offset in units) | (count << 24)
export const EXPDATA_PTR: i32 = 327680; // u16 units
export const SH_PTR: i32 = 589824;      // shingle state: V[8] X1[8] X2[8] LINE[8] SALT[8] MUL[8] W[4]
export const ASTRAL_PTR: i32 = 590848;  // scratch for foldAstral results (u16)
export const DW_PTR: i32 = 599040;      // 4096-slot set of date-word hashes (hashed as the words of shingles; 0: empty)
// 616448..655360: json.ts (a JSONL line's top-level members, and its scanner's stack).
export const WORK_PTR: i32 = 655360;    // the host places the input and the outputs from here
export { jsonScan, jsonUnescape, MEMB_PTR, MAX_MEMBERS } from './json';

const C_SPACE: i32 = 1 << 16, C_SEPSYM: i32 = 1 << 17, C_EOL: i32 = 1 << 18, C_DROP: i32 = 1 << 19, C_DIGIT: i32 = 1 << 20, C_EXP: i32 = 1 << 21, C_COLON: i32 = 1 << 22, C_DASH: i32 = 1 << 23, C_SURR: i32 = 1 << 24;
const C_RUN: i32 = C_SPACE | C_SEPSYM | C_EOL;
const M1: i32 = <i32>0x9e3779b1;
const M2: i32 = <i32>0x85ebca77;
// analyze.ts's constants: kernel-wasm.ts checks them against analyze.ts's at load.
export const HEAD_TOKENS: i32 = 6;
export const HEAD_MIN_TOKENS: i32 = 8;
export const SHORT_MAX_TOKENS: i32 = 12;
export const FINGERPRINT_MIN: i32 = 60;
export const SHINGLE_LINE_TOKENS: i32 = 16;
export const CUT_SALT: i32 = 0x2e2e2e2e;
export const HEAD_SALT: i32 = 0x48454144;
const S1: i32 = 0x2545f491;
const S2: i32 = 0x6c8e9cf5;

@external("env", "foldAstral") declare function foldAstral(cp: i32, out: i32): i32;

// @ts-ignore
@inline function fmix32(h: i32): i32 {
  h ^= h >>> 16; h *= <i32>0x85ebca6b; h ^= h >>> 13; h *= <i32>0xc2b2ae35; h ^= h >>> 16; return h;
}
// One folded code unit into the two hash lanes (analyze.ts: Math.imul, then a rotation).
// @ts-ignore
@inline function mix1(h: i32, u: i32): i32 { return rotl<i32>((h ^ u) * M1, 15); }
// @ts-ignore
@inline function mix2(h: i32, u: i32): i32 { return rotl<i32>((h ^ u) * M2, 13); }
let FH1: i32 = 0, FH2: i32 = 0;
// @ts-ignore
@inline function finish(h1: i32, h2: i32, len: i32): void {
  const a = fmix32(h1 ^ len);
  const b = fmix32(h2 ^ (len * 0x27d4eb2f));
  FH1 = fmix32(a + b * M1);
  FH2 = fmix32(b ^ (FH1 * M2));
}
// Shared hash state for the slow path (expansions, astral code points): as the JS reference's emitUnit.
let H1: i32 = 0, H2: i32 = 0, LEN: i32 = 0, TOK: i32 = 0, PENDING: bool = false, HD1: i32 = 0, HD2: i32 = 0, HDLEN: i32 = 0;
function emitUnit(u: i32): void {
  if (u == 32) { PENDING = LEN > 0; return; }
  if (PENDING) {
    if (TOK == HEAD_TOKENS) { HD1 = H1; HD2 = H2; HDLEN = LEN; }
    H1 = mix1(H1, 32); H2 = mix2(H2, 32);
    LEN++; TOK++; PENDING = false;
  } else if (LEN == 0) TOK = 1;
  H1 = mix1(H1, u); H2 = mix2(H2, u);
  LEN++;
}
// Emit the fold of code unit c (an expansion) or of astral code point cp (cp >= 0x10000) into the shared state.
function emitSpecial(c: i32, cp: i32): void {
  if (cp >= 0x10000) {
    const k = foldAstral(cp, ASTRAL_PTR);
    for (let j = 0; j < k; j++) emitUnit(<i32>load<u16>(ASTRAL_PTR + 2 * j));
    return;
  }
  const t = load<i32>(T_PTR + (c << 2));
  if ((t & C_SURR) != 0) return; // a lone surrogate: dropped
  const e = load<u32>(EXPTAB_PTR + ((t & 0xffff) << 2));
  const off = <i32>(e & 0xffffff), cnt = <i32>(e >>> 24);
  for (let j = 0; j < cnt; j++) emitUnit(<i32>load<u16>(EXPDATA_PTR + 2 * (off + j)));
}

// Shingles (as analyze.ts shingleWord): rolling hash of SHINGLE_WORDS=4 word hashes, 8 min-hash bands.
let R1: i32 = 0, R2: i32 = 0;
export let SHINGLES: i32 = 0;
const B1: i32 = 0x01000193, B2: i32 = 0x5bd1e995;
let B1_OUT: i32 = 0, B2_OUT: i32 = 0;
export function init(): void {
  B1_OUT = B1 * B1 * B1 * B1; B2_OUT = B2 * B2 * B2 * B2;
}
function shingleReset(): void {
  for (let k = 0; k < 8; k++) { store<i32>(SH_PTR + 4 * k, 0x7fffffff); store<i32>(SH_PTR + 32 + 4 * k, 0); store<i32>(SH_PTR + 64 + 4 * k, 0); store<i32>(SH_PTR + 96 + 4 * k, -1); }
  SHINGLES = 0;
}
function shingleWord(w: i32, words: i32, li: i32): void {
  const r = words & 3;
  const full = words > 4;
  const out = full ? load<i32>(SH_PTR + 192 + 4 * r) : 0;
  store<i32>(SH_PTR + 192 + 4 * r, w);
  R1 = R1 * B1 + w - (full ? out * B1_OUT : 0);
  R2 = R2 * B2 + (w ^ 0x7f4a7c15) - (full ? (out ^ 0x7f4a7c15) * B2_OUT : 0);
  if (words < 4) return;
  const x1 = fmix32(R1);
  SHINGLES++;
  // The eight bands four at a time: most shingles lower no band's minimum, and leave here.
  const X = i32x4.splat(x1);
  const va = i32x4.shr_u(i32x4.mul(v128.xor(X, v128.load(SH_PTR + 128)), v128.load(SH_PTR + 160)), 1);
  const vb = i32x4.shr_u(i32x4.mul(v128.xor(X, v128.load(SH_PTR + 144)), v128.load(SH_PTR + 176)), 1);
  if (!v128.any_true(v128.or(i32x4.le_s(va, v128.load(SH_PTR)), i32x4.le_s(vb, v128.load(SH_PTR + 16))))) return;
  for (let k = 0; k < 8; k++) {
    const v = <i32>(<u32>((x1 ^ load<i32>(SH_PTR + 128 + 4 * k)) * load<i32>(SH_PTR + 160 + 4 * k)) >>> 1);
    const cur = load<i32>(SH_PTR + 4 * k);
    if (v > cur) continue;
    const x2 = fmix32(R2 ^ x1);
    const cx1 = load<i32>(SH_PTR + 32 + 4 * k);
    if (v < cur || x1 < cx1 || (x1 == cx1 && x2 < load<i32>(SH_PTR + 64 + 4 * k))) {
      store<i32>(SH_PTR + 4 * k, v); store<i32>(SH_PTR + 32 + 4 * k, x1); store<i32>(SH_PTR + 64 + 4 * k, x2); store<i32>(SH_PTR + 96 + 4 * k, li);
    }
  }
}
export let NSEGS: i32 = 0;
// Is word hash w that of a month or weekday name (with or without a leading و or ب)? A false positive only costs
// analyze.ts a look at the line.
function dateWord(w: i32): bool {
  let i = (<u32>(w * M2) >>> 20) & 4095;
  for (;;) {
    const v = load<i32>(DW_PTR + (i << 2));
    if (v == 0) return false;
    if (v == w) return true;
    i = (i + 1) & 4095;
  }
  return false;
}
// A segment [from, to) (byte offsets from base) with the hash lanes (h1, h2, len) finished; false: no room left.
// @ts-ignore
@inline function storeSeg(segs: i32, maxSegs: i32, from: i32, to: i32, h1: i32, h2: i32, len: i32): bool {
  if (NSEGS >= maxSegs) return false;
  finish(h1, h2, len);
  const S = segs + (NSEGS << 5);
  store<i32>(S, from >> 1); store<i32>(S, to >> 1, 4); store<i32>(S, FH1, 8); store<i32>(S, FH2, 12); store<i32>(S, len, 16);
  NSEGS++;
  return true;
}
// The document's UTF-16 code units are at [base, n) (bytes). Per line, 16 i32 at lines + 64 * line:
//   0 start 1 end 2 next (code unit indexes) 3 h1 4 h2 (the line hash, the ellipsis salt applied) 5 len 6 tok
//   7 flags (1 chain, 2 cut: ends in an ellipsis, 4 holds a digit, 8 digit and a date word: may have a shape key) 8 9 head hash (lines of 8+ tokens)
//   10 first 11 last label separator (code unit index, -1: none) 12 first segment 13 segment count (0: not a chain)
// Per segment, 8 i32 at segs + 32 * segment: start, end, h1, h2, len. wbuf: the word hashes of one line.
// Returns the line count, or -1 when the document needs more than maxLines lines or maxSegs segments.
// The shingle minima are left at SH_PTR (SHINGLES: how many shingles there were).
export function analyze(base: i32, n: i32, lines: i32, maxLines: i32, segs: i32, maxSegs: i32, wbuf: i32): i32 {
  shingleReset();
  NSEGS = 0;
  let nLines = 0;
  let p = base;
  for (;;) {
    const start = p;
    const li = nLines;
    if (li >= maxLines) return -1;
    const L = lines + (li << 6);
    // ---- the fused line loop
    let h1 = S1, h2 = S2, len = 0, tok = 0, pending = false, hd1 = 0, hd2 = 0, hdlen = 0;
    let ws = 0, chain = false;
    let w = S1, inWord = false, nw = 0;
    let segOn = false, s1 = 0, s2 = 0, slen = 0, spend = false, segStart = -1, ns = 0;
    const seg0 = NSEGS;
    let inRun = false, runStart = 0, runWs = 0, runSym = 0, runFirst = false, runLast = false;
    let sepFirst = -1, sepLast = -1, digit = false, special = false;
    let c = 0, cp = 0, np = p;
    let eol = 0;
    while (p < n) {
      c = <i32>load<u16>(p); np = p + 2; cp = 0;
      const t = load<i32>(T_PTR + (c << 2));
      if ((t & C_RUN) != 0) {
        if ((t & C_EOL) != 0) { eol = c; break; }
        if (!inRun) { inRun = true; runStart = p; runWs = 0; runSym = 0; runFirst = (t & C_SPACE) != 0; }
        if ((t & C_SPACE) != 0) {
          runWs++; runLast = true;
          pending = len > 0;
          if (++ws >= 2 && len > 0) chain = true;
          if (inWord) { store<i32>(wbuf + (nw << 2), w); nw++; w = S1; inWord = false; }
        } else {
          runSym++; runLast = false;
          const nx = (np < n ? <i32>load<u16>(np) : -1);
          if (ws > 0) { if (nx >= 0 && (load<i32>(T_PTR + (nx << 2)) & C_SPACE) != 0 && nx != 10 && nx != 13) chain = true; else if (nx == 10 || nx == 13) chain = true; ws = 0; }
          if ((t & C_DASH) != 0 && nx == 32 && p > start && load<u16>(p - 2) == 32) { if (sepFirst < 0) sepFirst = p; sepLast = p; }
        }
        p = np;
        continue;
      }
      if (inRun || segStart < 0) {
        if (inRun) {
          inRun = false; ws = 0;
          if (runWs >= 2 || (runSym > 0 && runFirst && runLast && (p - runStart) >= 6)) {
            if (segStart >= 0) {
              if (!storeSeg(segs, maxSegs, segStart - base, runStart - base, segOn ? s1 : h1, segOn ? s2 : h2, segOn ? slen : len)) return -1;
              ns++;
            }
            segOn = true; s1 = S1; s2 = S2; slen = 0; spend = false; segStart = -1;
          } else {
            if (runWs > 0) { if (segOn) spend = slen > 0; }
            if (segStart < 0) segStart = runStart;
          }
        }
        if (segStart < 0) segStart = p;
      }
      let f = t & 0xffff;
      if (t > 0xffff) {
        if ((t & (C_COLON | C_DASH)) != 0) {
          if ((t & C_COLON) != 0 || ((np < n ? <i32>load<u16>(np) : -1) == 32 && p > start && load<u16>(p - 2) == 32)) { if (sepFirst < 0) sepFirst = p; sepLast = p; }
        }
        if ((t & C_DROP) != 0) { p = np; continue; }
        if ((t & C_DIGIT) != 0) { digit = true; f = 48; }
        else {
          // Expansion or surrogate (rare): the shared-state helpers, once per lane.
          let lo = -1;
          if ((t & C_SURR) != 0) { if (c < 0xdc00 && np < n) { const d = <i32>load<u16>(np); if (d >= 0xdc00 && d <= 0xdfff) { cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000; lo = d; np += 2; } } }
          w = mix1(w, c); inWord = true; special = true;
          H1 = h1; H2 = h2; LEN = len; TOK = tok; PENDING = pending; HD1 = hd1; HD2 = hd2; HDLEN = hdlen;
          emitSpecial(c, cp);
          h1 = H1; h2 = H2; len = LEN; tok = TOK; pending = PENDING; hd1 = HD1; hd2 = HD2; hdlen = HDLEN;
          if (segOn) {
            H1 = s1; H2 = s2; LEN = slen; PENDING = spend; TOK = 1;
            emitSpecial(c, cp);
            s1 = H1; s2 = H2; slen = LEN; spend = PENDING;
          }
          if (lo >= 0) w = mix1(w, lo);
          p = np;
          continue;
        }
      }
      if (pending) {
        if (tok == HEAD_TOKENS) { hd1 = h1; hd2 = h2; hdlen = len; }
        h1 = mix1(h1, 32); h2 = mix2(h2, 32);
        len++; tok++; pending = false;
      } else if (len == 0) tok = 1;
      h1 = mix1(h1, f); h2 = mix2(h2, f);
      len++;
      if (segOn) {
        if (spend) { s1 = mix1(s1, 32); s2 = mix2(s2, 32); slen++; spend = false; }
        s1 = mix1(s1, f); s2 = mix2(s2, f);
        slen++;
      }
      w = mix1(w, f); inWord = true;
      p = np;
      // The letters that follow (no class bits: the unit is its fold) take only the hash steps above, and one
      // space between two letters the steps the run and the pending space above would take. Two loops, outside
      // a chain line's segments and inside one: each carries fewer lanes (fewer spills; 10% of the kernel).
      if (!segOn) {
      while (p < n) {
        let v = load<i32>(T_PTR + (<i32>load<u16>(p) << 2));
        if (v > 0xffff) {
          if (v != (C_SPACE | 32) || p + 2 >= n) break;
          const v2 = load<i32>(T_PTR + (<i32>load<u16>(p + 2) << 2));
          if (v2 > 0xffff) break;
          store<i32>(wbuf + (nw << 2), w); nw++; w = S1;
          if (tok == HEAD_TOKENS) { hd1 = h1; hd2 = h2; hdlen = len; }
          h1 = mix1(h1, 32); h2 = mix2(h2, 32); len++; tok++;
          v = v2; p += 2;
        }
        h1 = mix1(h1, v); h2 = mix2(h2, v); len++;
        w = mix1(w, v);
        p += 2;
      }
      } else {
      while (p < n) {
        let v = load<i32>(T_PTR + (<i32>load<u16>(p) << 2));
        if (v > 0xffff) {
          if (v != (C_SPACE | 32) || p + 2 >= n) break;
          const v2 = load<i32>(T_PTR + (<i32>load<u16>(p + 2) << 2));
          if (v2 > 0xffff) break;
          store<i32>(wbuf + (nw << 2), w); nw++; w = S1;
          if (tok == HEAD_TOKENS) { hd1 = h1; hd2 = h2; hdlen = len; }
          h1 = mix1(h1, 32); h2 = mix2(h2, 32); len++; tok++;
          s1 = mix1(s1, 32); s2 = mix2(s2, 32); slen++;
          v = v2; p += 2;
        }
        h1 = mix1(h1, v); h2 = mix2(h2, v); len++;
        s1 = mix1(s1, v); s2 = mix2(s2, v); slen++;
        w = mix1(w, v);
        p += 2;
      }
      }
    }
    const end = p;
    // ---- line end: open run, last segment, last word
    if (inRun) {
      if (runWs >= 2 || (runSym > 0 && runFirst && runLast && (p - runStart) >= 6)) {
        if (segStart >= 0) {
          if (!storeSeg(segs, maxSegs, segStart - base, runStart - base, segOn ? s1 : h1, segOn ? s2 : h2, segOn ? slen : len)) return -1;
          ns++;
        }
        segStart = -1;
      } else if (segStart < 0) segStart = runStart;
    }
    if (segStart >= 0 && segOn) {
      if (!storeSeg(segs, maxSegs, segStart - base, end - base, s1, s2, slen)) return -1;
      ns++;
    }
    if (inWord) { store<i32>(wbuf + (nw << 2), w); nw++; }
    let next = end;
    if (end < n) { next = np; if (eol == 13) { const nx = (np < n ? <i32>load<u16>(np) : -1); if (nx == 10) { p = np; c = <i32>load<u16>(p); np = p + 2; cp = 0; next = np; } } }
    else if (start == n && nLines > 0) break;
    finish(h1, h2, len);
    // (analyze.ts ellipsisDots >= 2: "…" or two full stops before any trailing space)
    let e = end;
    while (e > start && (load<i32>(T_PTR + (<i32>load<u16>(e - 2) << 2)) & C_SPACE) != 0) e -= 2;
    const last = e > start ? <i32>load<u16>(e - 2) : -1;
    const cut = len > 0 && (last == 0x2026 || (last == 0x2e && e - 4 >= start && load<u16>(e - 4) == 0x2e));
    let fh1 = FH1;
    if (cut) fh1 ^= CUT_SALT;
    store<i32>(L, (start - base) >> 1); store<i32>(L, (end - base) >> 1, 4); store<i32>(L, (next - base) >> 1, 8);
    store<i32>(L, fh1, 12); store<i32>(L, FH2, 16); store<i32>(L, len, 20); store<i32>(L, tok, 24);
    // A line with a digit and a date word (or a word the hash cannot vouch for: expansions, surrogates) may have a
    // shape key: flag 8 sends it to analyze.ts's shape path (a line of 12 tokens at most: the only ones it takes).
    let dw = false;
    if (digit && tok <= SHORT_MAX_TOKENS) {
      dw = special;
      for (let k = 0; !dw && k < nw; k++) dw = dateWord(load<i32>(wbuf + (k << 2)));
    }
    store<i32>(L, (chain ? 1 : 0) | (cut ? 2 : 0) | (digit ? 4 : 0) | (dw ? 8 : 0), 28);
    if (tok >= HEAD_MIN_TOKENS) { finish(hd1, hd2, hdlen); store<i32>(L, FH1 ^ HEAD_SALT, 32); store<i32>(L, FH2, 36); }
    store<i32>(L, sepFirst < 0 ? -1 : (sepFirst - base) >> 1, 40); store<i32>(L, sepLast < 0 ? -1 : (sepLast - base) >> 1, 44);
    // segments only for chain lines of 2+ segments (as analyze's segmentLine)
    if (chain && len > 0 && ns >= 2) { store<i32>(L, seg0, 48); store<i32>(L, ns, 52); }
    else { NSEGS = seg0; store<i32>(L, seg0, 48); store<i32>(L, 0, 52); }
    if (len >= FINGERPRINT_MIN && !chain && !cut && tok >= SHINGLE_LINE_TOKENS) {
      R1 = 0; R2 = 0;
      for (let k = 0; k < nw; k++) shingleWord(load<i32>(wbuf + (k << 2)), k + 1, li);
    }
    nLines++;
    if (end >= n) break;
    p = next;
  }
  return nLines;
}

