/**
 * Pass 1's counting loop in AssemblyScript (compiled by `npm run build` to dist/asm/count.wasm): a document's
 * units, listed by model.ts learnDoc, counted once each in the count table of src/counter.ts, whose four
 * arrays (k1, k2, cnt, last) live in this instance's memory while it counts (counter.ts CountCore). The
 * keys are model.ts keyOf's and the probing is Counter64.incDoc's: test/count-wasm.test.ts holds a table
 * counted here equal, slot by slot, to one counted by incDoc.
 *
 * Memory layout (bytes): the unit list at LIST_PTR (3 i32 a unit: h1, h2, kind), the events at EV_PTR (3 i32
 * an event: unit index | kind << 16 | 1 << 31 for the corpus-wide key, k1, k2), the kind table at KIND_PTR, the table's
 * arrays from TABLE_PTR on (placed by the host, which grows the memory).
 *
 * Not type-checked by tsc (tsconfig includes src, bench and test only): asc checks it.
 */
export const MAX_UNITS: i32 = 16384;
export const LIST_PTR: i32 = 65536;
export const EV_PTR: i32 = LIST_PTR + MAX_UNITS * 12;
// Per kind (16 kinds at most): salt of lane 1, salt of lane 2, flags (1: counted corpus-wide too, 2: gives events).
export const KIND_PTR: i32 = EV_PTR + MAX_UNITS * 2 * 12;
export const TABLE_PTR: i32 = (KIND_PTR + 16 * 12 + 65535) & ~65535;
export const F_GLOBAL: i32 = 1;
export const F_EVENT: i32 = 2;

// The table (set by the host at each layout).
let K1: i32 = 0, K2: i32 = 0, CNT: i32 = 0, LAST: i32 = 0, MASK: i32 = 0;
/** Entries in the table (read and written by the host around each call). */
export let SIZE: i32 = 0;
/** Entries past which the table needs room (the host's load limit): counting stops after the insert that passes it. */
export let LIMIT: i32 = 0;
/** Events listed by the last countUnits call. */
export let EVENTS: i32 = 0;

export function layout(k1: i32, k2: i32, cnt: i32, last: i32, cap: i32): void {
  K1 = k1; K2 = k2; CNT = cnt; LAST = last; MASK = cap - 1;
}

// @ts-ignore
@inline function fmix32(h: i32): i32 {
  h ^= h >>> 16; h *= <i32>0x85ebca6b; h ^= h >>> 13; h *= <i32>0xc2b2ae35; h ^= h >>> 16; return h;
}

let KA: i32 = 0, KB: i32 = 0;
// model.ts keyOf: the counting key of unit (h1, h2) of a kind in site (s1, s2).
// @ts-ignore
@inline function keyOf(h1: i32, h2: i32, salt1: i32, salt2: i32, s1: i32, s2: i32): void {
  let a = h1 ^ s1 ^ salt1;
  let b = h2 ^ s2 ^ salt2;
  a = fmix32(a + b * <i32>0x9e3779b1);
  b = fmix32(b ^ a * <i32>0x85ebca6b);
  KA = a; KB = b;
}

// Counter64.incDoc: count (a, b) once for document `doc`; the new count (1: inserted).
// @ts-ignore
@inline function incDoc(a: i32, b: i32, doc: i32): i32 {
  let i = (a ^ (b * <i32>0x9e3779b1)) & MASK;
  for (;;) {
    const o = i << 2;
    const c = load<i32>(CNT + o);
    if (c == 0) break;
    if (load<i32>(K1 + o) == a && load<i32>(K2 + o) == b) {
      if (load<i32>(LAST + o) == doc) return c;
      store<i32>(LAST + o, doc);
      store<i32>(CNT + o, c + 1);
      return c + 1;
    }
    i = (i + 1) & MASK;
  }
  const o = i << 2;
  store<i32>(K1 + o, a); store<i32>(K2 + o, b); store<i32>(CNT + o, 1); store<i32>(LAST + o, doc);
  SIZE++;
  return 1;
}

/**
 * Count units [from, n) of the list for document `doc` of site (s1, s2), corpus-wide (g1, g2) too where the
 * kind says so (and `global` is set). Step 2u counts unit u's site key, 2u + 1 its corpus-wide key; `step`
 * is where to start. Lists an event for each key that reaches 2 (kinds that give events). Returns the
 * step after the last one taken: 2n when done, less when an insert took SIZE past LIMIT (the host makes
 * room and calls again from there).
 */
export function countUnits(step: i32, n: i32, doc: i32, s1: i32, s2: i32, g1: i32, g2: i32, global: bool): i32 {
  let ev = 0;
  const end = n << 1;
  while (step < end) {
    const u = step >> 1;
    const p = LIST_PTR + u * 12;
    const kind = load<i32>(p, 8);
    const kp = KIND_PTR + kind * 12;
    const flags = load<i32>(kp, 8);
    if ((step & 1) == 0) {
      keyOf(load<i32>(p), load<i32>(p, 4), load<i32>(kp), load<i32>(kp, 4), s1, s2);
    } else {
      if (!global || (flags & F_GLOBAL) == 0) { step++; continue; }
      keyOf(load<i32>(p), load<i32>(p, 4), load<i32>(kp), load<i32>(kp, 4), g1, g2);
    }
    const c = incDoc(KA, KB, doc);
    if (c == 2 && (flags & F_EVENT) != 0) {
      const e = EV_PTR + ev * 12;
      store<i32>(e, u | (kind << 16) | ((step & 1) << 31)); store<i32>(e, KA, 4); store<i32>(e, KB, 8);
      ev++;
    }
    step++;
    if (c == 1 && SIZE > LIMIT) break;
  }
  EVENTS = ev;
  return step;
}
