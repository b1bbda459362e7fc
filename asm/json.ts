/**
 * JSONL records read in place (pass 1's front end; src/jsonl-docs.ts is its host), over a block of lines as UTF-16
 * code units (the host transcodes each block of valid UTF-8 once, in C++, and copies it in): `jsonScan` checks that
 * one line is a JSON object exactly as `JSON.parse` would take it (RFC 8259: the four whitespace characters, strict
 * numbers, escapes and literals, no trailing commas) and lists its top-level members; `jsonUnescape` copies one
 * string value into the kernel's text area with its escapes decoded, the code units `JSON.parse` would give.
 * Addresses are in bytes, two a code unit.
 *
 * Soundness is what matters: a line this scanner takes must be one `JSON.parse` takes, with the same member values.
 * Anything it does not take (a bad line, nesting deeper than MAX_DEPTH, more than MAX_MEMBERS members) goes to the
 * host's slow path, which is `JSON.parse` itself; test/jsonl-bytes.test.ts checks both ways on a fuzz corpus.
 */
// Memory (bytes), between kernel.ts's date-word set and its work area.
export const MEMB_PTR: i32 = 616448;  // per top-level member, 5 i32: key start, key end, value start, value end, flags
export const MAX_MEMBERS: i32 = 256;  // 256 * 20 bytes
const STACK_PTR: i32 = 622592;        // open containers below the top object: one byte each ('{' or '[')
const MAX_DEPTH: i32 = 32768;         // to 655360, kernel.ts's WORK_PTR

// Member flags: the value's type in the low 4 bits, and whether its key / its string value has an escape.
export const T_STRING: i32 = 1;
export const T_NUMBER: i32 = 2;
export const T_LITERAL: i32 = 3; // true, false or null
export const T_OBJECT: i32 = 4;
export const T_ARRAY: i32 = 5;
export const F_KEY_ESCAPE: i32 = 16;
export const F_VALUE_ESCAPE: i32 = 32;

let ESC: i32 = 0;

// @ts-ignore
@inline function isWs(c: i32): bool {
  return c == 32 || c == 10 || c == 13 || c == 9;
}

function skipWs(p: i32, end: i32): i32 {
  while (p < end && isWs(<i32>load<u16>(p))) p += 2;
  return p;
}

// @ts-ignore
@inline function isHex(c: i32): bool {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}

// Eight code units at a time (WebAssembly SIMD: every engine Node 16+ runs has it).
const V_QUOTE = i16x8.splat(34);
const V_BACKSLASH = i16x8.splat(92);
const V_SPACE = i16x8.splat(32);

// A string's content from p (just past its opening quote): the address of its closing quote, or -1. ESC: escapes seen.
function scanString(p: i32, end: i32): i32 {
  let esc = 0;
  for (;;) {
    // Eight units at a time while none is a quote, a backslash or a control character.
    while (p + 16 <= end) {
      const x = v128.load(p);
      if (v128.any_true(v128.or(v128.or(i16x8.eq(x, V_QUOTE), i16x8.eq(x, V_BACKSLASH)), i16x8.lt_u(x, V_SPACE)))) break;
      p += 16;
    }
    if (p >= end) return -1;
    const c = <i32>load<u16>(p);
    if (c == 34) {
      ESC = esc;
      return p;
    }
    if (c == 92) {
      esc = 1;
      if (p + 2 >= end) return -1;
      const e = <i32>load<u16>(p + 2);
      if (e == 117) {
        if (p + 12 > end) return -1;
        if (!isHex(<i32>load<u16>(p + 4)) || !isHex(<i32>load<u16>(p + 6)) || !isHex(<i32>load<u16>(p + 8)) || !isHex(<i32>load<u16>(p + 10))) return -1;
        p += 12;
      } else if (e == 34 || e == 92 || e == 47 || e == 98 || e == 102 || e == 110 || e == 114 || e == 116) p += 4;
      else return -1;
      continue;
    }
    if (c < 32) return -1;
    p += 2;
  }
  return -1; // (not reached)
}

function digits(p: i32, end: i32): i32 {
  while (p < end) {
    const c = <i32>load<u16>(p);
    if (c < 48 || c > 57) break;
    p += 2;
  }
  return p;
}

// A number at p: the address just past it, or -1.
function scanNumber(p: i32, end: i32): i32 {
  if (load<u16>(p) == 45) p += 2;
  if (p >= end) return -1;
  const c = <i32>load<u16>(p);
  if (c == 48) p += 2;
  else if (c >= 49 && c <= 57) p = digits(p + 2, end);
  else return -1;
  if (p < end && load<u16>(p) == 46) {
    const q = digits(p + 2, end);
    if (q == p + 2) return -1;
    p = q;
  }
  if (p < end && (load<u16>(p) | 32) == 101) {
    p += 2;
    if (p < end && (load<u16>(p) == 43 || load<u16>(p) == 45)) p += 2;
    const q = digits(p, end);
    if (q == p) return -1;
    p = q;
  }
  return p;
}

// true, false or null at p: the address just past it, or -1.
function scanLiteral(p: i32, end: i32): i32 {
  const c = <i32>load<u16>(p);
  if (c == 102) return p + 10 <= end && load<u64>(p + 2) == 0x00650073006c0061 ? p + 10 : -1; // "alse"
  if (p + 8 > end) return -1;
  const w = load<u64>(p);
  return w == 0x0065007500720074 || w == 0x006c006c0075006e ? p + 8 : -1; // "true", "null"
}

// A member's key at p, then its colon: the address of its value (whitespace skipped), or -1.
function scanKey(p: i32, end: i32): i32 {
  if (p >= end || load<u16>(p) != 34) return -1;
  const q = scanString(p + 2, end);
  if (q < 0) return -1;
  p = skipWs(q + 2, end);
  if (p >= end || load<u16>(p) != 58) return -1;
  return skipWs(p + 2, end);
}

// A scalar value at p: the address just past it, or -1 (ESC set for a string).
function scanScalar(p: i32, end: i32): i32 {
  const c = <i32>load<u16>(p);
  if (c == 34) {
    const q = scanString(p + 2, end);
    return q < 0 ? -1 : q + 2;
  }
  if (c == 116 || c == 102 || c == 110) return scanLiteral(p, end);
  return scanNumber(p, end);
}

// An object or array at p: the address just past it, -1 when invalid, -3 when nested deeper than MAX_DEPTH.
function scanNested(p: i32, end: i32): i32 {
  let sp = 0;
  for (;;) {
    // A value at p.
    if (p >= end) return -1;
    const c = <i32>load<u16>(p);
    if (c == 123 || c == 91) {
      if (sp >= MAX_DEPTH) return -3;
      store<u8>(STACK_PTR + sp, <u8>c);
      sp++;
      p = skipWs(p + 2, end);
      if (p >= end) return -1;
      if (<i32>load<u16>(p) != c + 2) {
        // The first member's value, or the first element.
        if (c == 123) {
          p = scanKey(p, end);
          if (p < 0) return -1;
        }
        continue;
      }
      p += 2; // empty: '}' is '{' + 2, ']' is '[' + 2
      sp--;
    } else {
      p = scanScalar(p, end);
      if (p < 0) return -1;
    }
    // After a value: close what ends here, or go on to the next member or element.
    for (;;) {
      if (sp == 0) return p;
      p = skipWs(p, end);
      if (p >= end) return -1;
      const open = <i32>load<u8>(STACK_PTR + sp - 1);
      const d = <i32>load<u16>(p);
      if (d == 44) {
        p = skipWs(p + 2, end);
        if (open == 123) {
          p = scanKey(p, end);
          if (p < 0) return -1;
        }
        break;
      }
      if (d != open + 2) return -1;
      p += 2;
      sp--;
    }
  }
  return -1; // (not reached)
}

/**
 * The line [p, end) as a JSON object: its top-level member count (members at MEMB_PTR, in order), -1 when it is not
 * a JSON object as JSON.parse reads one, -2 with more than MAX_MEMBERS members, -3 nested deeper than MAX_DEPTH.
 * A string member's value is its content, without the quotes.
 */
export function jsonScan(p: i32, end: i32): i32 {
  p = skipWs(p, end);
  if (p >= end || load<u16>(p) != 123) return -1;
  p = skipWs(p + 2, end);
  let n = 0;
  if (p < end && load<u16>(p) == 125) p += 2;
  else {
    for (;;) {
      if (n >= MAX_MEMBERS) return -2;
      if (p >= end || load<u16>(p) != 34) return -1;
      const ks = p + 2;
      const ke = scanString(ks, end);
      if (ke < 0) return -1;
      let flags = ESC != 0 ? F_KEY_ESCAPE : 0;
      p = skipWs(ke + 2, end);
      if (p >= end || load<u16>(p) != 58) return -1;
      p = skipWs(p + 2, end);
      if (p >= end) return -1;
      const c = <i32>load<u16>(p);
      let vs = p, ve = 0;
      if (c == 34) {
        const q = scanString(p + 2, end);
        if (q < 0) return -1;
        vs = p + 2;
        ve = q;
        p = q + 2;
        flags |= T_STRING | (ESC != 0 ? F_VALUE_ESCAPE : 0);
      } else if (c == 123 || c == 91) {
        p = scanNested(p, end);
        if (p < 0) return p;
        ve = p;
        flags |= c == 123 ? T_OBJECT : T_ARRAY;
      } else {
        p = scanScalar(p, end);
        if (p < 0) return -1;
        ve = p;
        flags |= c == 116 || c == 102 || c == 110 ? T_LITERAL : T_NUMBER;
      }
      const m = MEMB_PTR + n * 20;
      store<i32>(m, ks);
      store<i32>(m, ke, 4);
      store<i32>(m, vs, 8);
      store<i32>(m, ve, 12);
      store<i32>(m, flags, 16);
      n++;
      p = skipWs(p, end);
      if (p >= end) return -1;
      const d = <i32>load<u16>(p);
      if (d == 125) {
        p += 2;
        break;
      }
      if (d != 44) return -1;
      p = skipWs(p + 2, end);
    }
  }
  return skipWs(p, end) == end ? n : -1;
}

// @ts-ignore
@inline function hexVal(c: i32): i32 {
  return c <= 57 ? c - 48 : (c | 32) - 87;
}

/**
 * A string value's content [p, end) (checked by jsonScan) copied to dst with its escapes decoded as JSON.parse
 * decodes them (\uD800 alone stays a lone surrogate): the number of code units written.
 */
export function jsonUnescape(p: i32, end: i32, dst: i32): i32 {
  let o = dst;
  let run = p;
  for (;;) {
    // The next backslash, eight units at a time.
    while (p + 16 <= end) {
      if (v128.any_true(i16x8.eq(v128.load(p), V_BACKSLASH))) break;
      p += 16;
    }
    while (p < end && load<u16>(p) != 92) p += 2;
    if (p > run) {
      memory.copy(o, run, p - run);
      o += p - run;
    }
    if (p >= end) break;
    const e = <i32>load<u16>(p + 2);
    let u = e; // \" \\ \/
    if (e == 110) u = 10;
    else if (e == 116) u = 9;
    else if (e == 114) u = 13;
    else if (e == 98) u = 8;
    else if (e == 102) u = 12;
    else if (e == 117) {
      u = (hexVal(<i32>load<u16>(p + 4)) << 12) | (hexVal(<i32>load<u16>(p + 6)) << 8) | (hexVal(<i32>load<u16>(p + 8)) << 4) | hexVal(<i32>load<u16>(p + 10));
      p += 8;
    }
    store<u16>(o, <u16>u);
    o += 2;
    p += 4;
    run = p;
  }
  return (o - dst) >> 1;
}
