/**
 * Document-frequency table: 64-bit keys (two int32 lanes) to counts, open addressing with linear probing
 * over typed arrays. A JS Map stops at 16.7M entries and is 2-4x slower (perf-notes.md); this holds as
 * many units as its memory budget allows and then prunes instead of growing.
 *
 * Per-document distinct counting: `last` holds the serial of the last document that counted a slot, so
 * a unit that occurs five times in one page counts once, without a per-document set.
 *
 * Memory: 16 bytes a slot (k1, k2, count, last) while counting, 12 once pass 1 is over (dropDocMarks),
 * load factor at most 0.7.
 */

import { CountCore, type KindSpec } from './count-wasm.js';
import { collectGarbage } from './gc.js';
import { fmix32 as fmix32Imported } from './analyze.js';

// (Module-local alias: imported bindings are slower to reach in hot paths.)
const fmix32 = fmix32Imported;

/** Output of mixKey. */
export const KEY = new Int32Array(2);

/**
 * A unit's 64-bit counting key from its hash lanes, its kind's two salts and its site's lanes (model.ts
 * keyOf; asm/count.ts mixes the same way): a bijective mix, so distinct inputs stay distinct.
 */
export function mixKey(h1: number, h2: number, salt1: number, salt2: number, s1: number, s2: number): void {
  const b0 = h2 ^ s2 ^ salt2;
  const a = fmix32((h1 ^ s1 ^ salt1) + Math.imul(b0, 0x9e3779b1));
  KEY[0] = a;
  KEY[1] = fmix32(b0 ^ Math.imul(a, 0x85ebca6b));
}

const MAX_LOAD = 0.7;
/** Load of a table compacted for lookups (compactBelow): short probes, most of them to an empty slot. */
const LOOKUP_LOAD = 0.5;
/** A CountCore of this many bytes or more that the table leaves is collected at once (see gc.ts). */
const COLLECT_CORE_BYTES = 32 << 20;
/** After a spill the table grows only when it is still fuller than this. */
const SPILL_LOAD = 0.35;
/**
 * clean's table spills (onFull) from this many slots (64 MB) on, and grows past it only for units that
 * repeat: its size follows the repeated units, not the input. On a 1.2 GB crawl, spilling from
 * here instead of at the 512 MB budget took the peak RSS of clean from 586 to 472 MB and its time from
 * 38.5 to 33.9 s (the smaller table misses the cache less); a 300 MB crawl never gets here.
 */
export const SPILL_FROM = 1 << 22;
const BYTES_PER_SLOT = 16;

export interface PruneInfo {
  /** How many times the table was pruned. */
  events: number;
  /** Distinct units dropped in all. */
  units: number;
  /** Sum of the floors used: a unit's count can be short by at most this much. */
  maxUndercount: number;
}

/** A table's arrays, shareable with worker threads. */
export interface SharedCounter {
  k1: Int32Array;
  k2: Int32Array;
  cnt: Uint32Array;
  size: number;
}

export class Counter64 {
  private cap: number;
  private mask: number;
  k1: Int32Array;
  k2: Int32Array;
  cnt: Uint32Array;
  private last: Int32Array;
  size = 0;
  /** See maxCap. */
  private capLimit: number;
  readonly prune: PruneInfo = { events: 0, units: 0, maxUndercount: 0 };
  /**
   * While the table counts documents (countListed): the WebAssembly instance of the counting loop, whose
   * memory holds the unit list and, with tableInCore, the table's arrays.
   */
  private core: CountCore | null = null;
  private tableInCore = false;
  /** The core could not hold the table once: it counts in JS from then on. */
  private tableRefused = false;
  private kinds: readonly KindSpec[] | null = null;
  private jsEvents: Int32Array | null = null;

  /**
   * @param budgetBytes memory the table may use, growth included (growing from C/2 to C slots needs both).
   * @param initialCap first capacity, a power of two.
   */
  constructor(budgetBytes = 512 * 1024 * 1024, initialCap = 1 << 16) {
    const maxCap = Counter64.capFor(budgetBytes);
    this.capLimit = maxCap;
    let cap = 1 << 10;
    while (cap < initialCap && cap < maxCap) cap *= 2;
    this.cap = cap;
    this.mask = cap - 1;
    this.k1 = new Int32Array(cap);
    this.k2 = new Int32Array(cap);
    this.cnt = new Uint32Array(cap);
    this.last = new Int32Array(cap).fill(-1);
  }

  /** The largest capacity (a power of two) a budget of this many bytes allows, growth included. */
  static capFor(budgetBytes: number): number {
    let cap = 1 << 10;
    while (cap * 2 * BYTES_PER_SLOT * 1.5 <= budgetBytes && cap < 1 << 30) cap *= 2;
    return cap;
  }

  /** Largest capacity the budget allows (a power of two). */
  get maxCap(): number {
    return this.capLimit;
  }

  /**
   * Count within a share of the budget (bytes, growth included; never below what the table holds) until
   * the returned function gives the whole budget back: the run's table while the main thread counts
   * beside other threads, which then takes their tables too.
   */
  shareBudget(budgetBytes: number): () => void {
    const whole = this.capLimit;
    this.capLimit = Math.max(Counter64.capFor(budgetBytes), this.cap);
    return () => {
      this.capLimit = Math.max(whole, this.cap);
    };
  }

  /** A budget (bytes, growth included) under which a table holds `entries` without pruning. */
  static budgetFor(entries: number): number {
    return Math.ceil(entries / MAX_LOAD) * BYTES_PER_SLOT * 2 * 1.5;
  }

  get capacity(): number {
    return this.cap;
  }

  get bytes(): number {
    return this.cap * 12 + this.last.byteLength;
  }

  /** Count key (a, b) once for document `doc` (a serial that only grows). Returns the new count. */
  incDoc(a: number, b: number, doc: number): number {
    const mask = this.mask;
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    const k1 = this.k1;
    const k2 = this.k2;
    const cnt = this.cnt;
    for (;;) {
      const c = cnt[i]!;
      if (c === 0) break;
      if (k1[i] === a && k2[i] === b) {
        if (this.last[i] === doc) return c;
        this.last[i] = doc;
        return (cnt[i] = c + 1);
      }
      i = (i + 1) & mask;
    }
    k1[i] = a;
    k2[i] = b;
    cnt[i] = 1;
    this.last[i] = doc;
    if (++this.size > this.cap * MAX_LOAD) this.makeRoom(doc);
    return 1;
  }

  /**
   * The counting loop (asm/count.ts) for documents: the table moves its arrays into the memory of a
   * CountCore the first time (they stay typed arrays there for every other operation) and returns it; the
   * caller lists a document's units in `core.units` and counts them with countListed. `kinds` are the
   * model's unit kinds (keys and what each counts, see count-wasm.ts). A table the core may not hold
   * (past CORE_LIMIT, or memory the engine will not give) stays in JS and is counted there, the same way.
   */
  countCore(kinds: readonly KindSpec[]): CountCore {
    if (this.core !== null) return this.core;
    if (this.last.length === 0) throw new Error('boilerstrip: a table whose counting is over counted again');
    const core = new CountCore(kinds);
    this.kinds = kinds;
    this.core = core;
    // An empty table enters at the capacity expected of it (expect): a new core's memory is zeroed, nothing to copy.
    const fresh = this.size === 0 && this.expectCap > this.cap && !this.tableRefused ? core.place(this.expectCap) : null;
    if (fresh !== null) {
      this.cap = this.expectCap;
      this.mask = this.cap - 1;
    }
    const v = fresh ?? (this.tableRefused ? null : core.place(this.cap));
    if (v !== null) {
      if (fresh === null) {
        v.k1.set(this.k1);
        v.k2.set(this.k2);
        v.cnt.set(this.cnt);
        v.last.set(this.last);
      }
      this.useViews(v);
      this.shared = false;
      this.tableInCore = true;
    } else this.tableRefused = true;
    return core;
  }

  /**
   * Count the first `n` units listed in the core (countCore) for document `doc` of site (s1, s2), and under
   * (g1, g2) too where their kind counts corpus-wide and `global` is set: as keyOf and incDoc for each, in
   * list order, the table making room (growing, spilling, pruning) exactly where incDoc would. `onEvents`
   * gets the keys that reached 2 documents, list by list (core.events: unit | kind << 16 | corpus-wide << 31, k1, k2).
   */
  countListed(n: number, doc: number, s1: number, s2: number, g1: number, g2: number, global: boolean, onEvents: (events: Int32Array, count: number) => void): void {
    const end = 2 * n;
    let step = 0;
    while (step < end) {
      // (A table that outgrows the core leaves it on the way: the rest of the list is counted in JS.)
      if (!this.tableInCore) {
        this.countStepsJs(step, n, doc, s1, s2, g1, g2, global, onEvents);
        return;
      }
      const core = this.core!;
      step = core.count(step, n, doc, s1, s2, g1, g2, global, this.size, Math.floor(this.cap * MAX_LOAD));
      this.size = core.size;
      if (core.eventCount > 0) onEvents(core.events, core.eventCount);
      if (this.size > this.cap * MAX_LOAD) this.makeRoom(doc);
    }
  }

  /** countListed's steps from `step` on, in JS (asm/count.ts countUnits, step for step), for a table outside the core. */
  private countStepsJs(step: number, n: number, doc: number, s1: number, s2: number, g1: number, g2: number, global: boolean, onEvents: (events: Int32Array, count: number) => void): void {
    const core = this.core!;
    const u = core.units;
    const ev = (this.jsEvents ??= new Int32Array(6 * core.maxUnits));
    const kinds = this.kinds!;
    let ne = 0;
    for (const end = 2 * n; step < end; step++) {
      const j = step >> 1;
      const corpus = step & 1;
      const kind = u[3 * j + 2]!;
      const k = kinds[kind]!;
      if (corpus === 1 && !(global && k.global)) continue;
      mixKey(u[3 * j]!, u[3 * j + 1]!, k.salt1, k.salt2, corpus === 1 ? g1 : s1, corpus === 1 ? g2 : s2);
      const a = KEY[0]!;
      const b = KEY[1]!;
      if (this.incDoc(a, b, doc) === 2 && k.events) {
        ev[3 * ne] = j | (kind << 16) | (corpus << 31);
        ev[3 * ne + 1] = a;
        ev[3 * ne + 2] = b;
        ne++;
      }
    }
    if (ne > 0) onEvents(ev, ne);
  }

  private useViews(v: { k1: Int32Array; k2: Int32Array; cnt: Uint32Array; last: Int32Array }): void {
    this.k1 = v.k1;
    this.k2 = v.k2;
    this.cnt = v.cnt;
    this.last = v.last;
  }

  /** Capacity an empty table takes when it starts counting (expect); 0: none. */
  private expectCap = 0;

  /**
   * About `entries` distinct keys are expected (a guess from the input's size): the table, still empty,
   * starts counting at the capacity that holds them, within what reserve allows and at most SPILL_FROM
   * slots, instead of doubling its way there. Each doubling copied the table out and rehashed it into
   * memory never touched before: on the 300 MB bench crawl, 6 doublings from 64K to 4M slots took 0.4 s
   * of 6, most of it page faults. A guess too small costs the doublings left; one too large, a table
   * sparser than needed (never past SPILL_FROM slots, 64 MB).
   */
  expect(entries: number): void {
    if (this.size !== 0 || this.core !== null || !(entries > 0)) return;
    this.expectCap = this.capacityFor(entries, Math.min(SPILL_FROM, this.growthLimit));
  }

  /** The capacity, from this one on (a power of two), that holds `n` entries at MAX_LOAD, or `most`. */
  private capacityFor(n: number, most: number): number {
    let cap = this.cap;
    while (n > cap * MAX_LOAD && cap < most) cap *= 2;
    return cap;
  }

  /** How far the table grows before it spills or prunes (one that spills grows past spillFrom only when a spill leaves it full: see makeRoom). */
  private get growthLimit(): number {
    return this.onFull !== null ? Math.max(this.cap, Math.min(this.spillFrom, this.capLimit)) : this.capLimit;
  }

  /**
   * Make room for `n` entries without growing again (within the budget). Call before adding another
   * table's entries: inserting keys in another table's slot order into a smaller table makes long
   * linear-probing clusters.
   */
  reserve(n: number): void {
    const cap = this.capacityFor(n, this.growthLimit);
    if (cap > this.cap) this.resize(cap);
  }

  /** Add `n` to key (a, b) (merging tables and models). */
  add(a: number, b: number, n: number): void {
    if (n === 0) return;
    const mask = this.mask;
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    for (;;) {
      const c = this.cnt[i]!;
      if (c === 0) break;
      if (this.k1[i] === a && this.k2[i] === b) {
        this.cnt[i] = Math.min(0xffffffff, c + n);
        return;
      }
      i = (i + 1) & mask;
    }
    this.k1[i] = a;
    this.k2[i] = b;
    this.cnt[i] = Math.min(0xffffffff, n);
    this.last[i] = -1;
    if (++this.size > this.cap * MAX_LOAD) this.makeRoom(-2);
  }

  /** Add `n` to key (a, b) only when the table has it: false when absent. */
  addIfPresent(a: number, b: number, n: number): boolean {
    const mask = this.mask;
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    for (;;) {
      const c = this.cnt[i]!;
      if (c === 0) return false;
      if (this.k1[i] === a && this.k2[i] === b) {
        this.cnt[i] = Math.min(0xffffffff, c + n);
        return true;
      }
      i = (i + 1) & mask;
    }
  }

  /** Whether `n` entries fit without a spill or a prune (within the spill point and the budget). */
  holdsWithoutDropping(n: number): boolean {
    return this.prune.events === 0 && n <= Math.min(this.spillFrom, this.capLimit) * MAX_LOAD;
  }

  /** The count of key (a, b), 0 when absent. */
  get(a: number, b: number): number {
    const mask = this.mask;
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    const cnt = this.cnt;
    for (;;) {
      const c = cnt[i]!;
      if (c === 0) return 0;
      if (this.k1[i] === a && this.k2[i] === b) return c;
      i = (i + 1) & mask;
    }
  }

  /**
   * The count of a key the caller knows was counted (a unit of the document being judged): 1 at least,
   * also in a table pruned below 2 (a spilled run's end, merge --prune-below 2), where a unit of one
   * document is absent. So such a table judges as the full one.
   */
  getOwn(a: number, b: number): number {
    return Math.max(1, this.get(a, b));
  }

  /**
   * Subtract one from key (a, b) (undoing a document's count); an entry that reaches 0 is removed,
   * with backward-shift deletion so no probe chain is broken.
   */
  decrement(a: number, b: number): void {
    const mask = this.mask;
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    for (;;) {
      const c = this.cnt[i]!;
      if (c === 0) return;
      if (this.k1[i] === a && this.k2[i] === b) break;
      i = (i + 1) & mask;
    }
    if (this.cnt[i]! > 1) {
      this.cnt[i]!--;
      return;
    }
    // Backward-shift deletion.
    let hole = i;
    let j = (i + 1) & mask;
    while (this.cnt[j] !== 0) {
      const home = (this.k1[j]! ^ Math.imul(this.k2[j]!, 0x9e3779b1)) & mask;
      // Move j into the hole when its home is not in (hole, j] (cyclically).
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inRange) {
        this.k1[hole] = this.k1[j]!;
        this.k2[hole] = this.k2[j]!;
        this.cnt[hole] = this.cnt[j]!;
        this.last[hole] = this.last[j]!;
        hole = j;
      }
      j = (j + 1) & mask;
    }
    this.cnt[hole] = 0;
    this.size--;
  }

  /** k1, k2 and cnt live in SharedArrayBuffers (see useSharedMemory). */
  private shared = false;

  /**
   * Keep k1, k2 and cnt in SharedArrayBuffers from now on (copied once now, cheap while the table is
   * small): a table that worker threads will read then needs no copy in toShared.
   */
  useSharedMemory(): void {
    if (this.shared) return;
    this.shared = true;
    const copy = <T extends Int32Array | Uint32Array>(src: T, C: new (b: SharedArrayBuffer) => T): T => {
      const t = new C(new SharedArrayBuffer(src.byteLength));
      t.set(src);
      return t;
    };
    this.k1 = copy(this.k1, Int32Array);
    this.k2 = copy(this.k2, Int32Array);
    this.cnt = copy(this.cnt, Uint32Array);
    // (The serials leave the core's memory too: the core goes, and counts again in a new one if need be.)
    if (this.core !== null) {
      if (this.tableInCore) this.last = this.last.slice();
      this.leaveCore();
    }
  }

  /** The table is not read again (a thread's, once its entries have moved): its memory goes now. */
  release(): void {
    // (An empty table of one slot: a stray lookup finds nothing.)
    this.k1 = new Int32Array(1);
    this.k2 = new Int32Array(1);
    this.cnt = new Uint32Array(1);
    this.last = new Int32Array(0);
    this.cap = 1;
    this.mask = 0;
    this.size = 0;
    this.leaveCore();
  }

  /**
   * Drop the core (its arrays must no longer be referenced); a large one is collected now, not after the
   * next phase (gc.ts). No reference to it may be left in a caller's frame either.
   */
  private leaveCore(): void {
    const bytes = this.core?.tableBytes ?? 0;
    this.core = null;
    this.tableInCore = false;
    if (bytes >= COLLECT_CORE_BYTES) collectGarbage();
  }

  /** The table's arrays in SharedArrayBuffers, so worker threads can read it without a copy. */
  toShared(): SharedCounter {
    // Already shared: the same arrays (the table is not written to after pass 1).
    if (this.shared) return { k1: this.k1, k2: this.k2, cnt: this.cnt, size: this.size };
    const mk = <T extends Int32Array | Uint32Array>(src: T, C: new (b: SharedArrayBuffer) => T): T => {
      const t = new C(new SharedArrayBuffer(src.byteLength));
      t.set(src);
      return t;
    };
    return { k1: mk(this.k1, Int32Array), k2: mk(this.k2, Int32Array), cnt: mk(this.cnt, Uint32Array), size: this.size };
  }

  /** A read-only table over shared arrays (from toShared, in a worker). */
  static fromShared(s: SharedCounter): Counter64 {
    const c = new Counter64(1 << 20, 1 << 10);
    c.cap = s.k1.length;
    c.mask = c.cap - 1;
    c.k1 = s.k1;
    c.k2 = s.k2;
    c.cnt = s.cnt;
    c.last = new Int32Array(0);
    c.size = s.size;
    return c;
  }

  /**
   * Called when the table is full at `spillFrom` slots or more, before it grows or prunes: may take
   * entries out (spill.ts moves the single-document ones to disk). `doc` is the document being counted
   * (its entries must stay), or -2.
   */
  onFull: ((c: Counter64, doc: number) => void) | null = null;
  /** With onFull: the capacity from which the table spills instead of growing (while that frees half). */
  spillFrom = Infinity;

  private makeRoom(doc: number): void {
    if (this.onFull !== null && this.cap >= Math.min(this.spillFrom, this.capLimit)) {
      this.onFull(this, doc);
      // Grow (or prune) only when most entries repeat.
      if (this.size <= this.cap * SPILL_LOAD) return;
    }
    if (this.cap < this.capLimit) this.resize(this.cap * 2);
    else this.pruneBelow();
  }

  /** Every entry counted in one document (but `doc`'s, which is still being counted): its key lanes. */
  forEachSingle(doc: number, f: (a: number, b: number) => void): void {
    for (let i = 0; i < this.cap; i++) if (this.cnt[i] === 1 && this.last[i] !== doc) f(this.k1[i]!, this.k2[i]!);
  }

  /** Remove the entries forEachSingle visits (the table is rehashed after). */
  dropSingles(doc: number): void {
    let n = 0;
    for (let i = 0; i < this.cap; i++) {
      if (this.cnt[i] === 1 && this.last[i] !== doc) {
        this.cnt[i] = 0;
        n++;
      }
    }
    if (n > 0) {
      this.size -= n;
      this.rehashInPlace();
    }
  }

  /**
   * Counting is over: drop the per-slot document serials (a quarter of the table) that only incDoc
   * reads. add and get work as before; incDoc must not be called again (it would count a document twice).
   */
  dropDocMarks(): void {
    this.last = new Int32Array(0);
  }

  /** The entries in compact arrays (no empty slots), in slot order. */
  entries(): { k1: Int32Array; k2: Int32Array; cnt: Uint32Array } {
    const n = this.size;
    const k1 = new Int32Array(n);
    const k2 = new Int32Array(n);
    const cnt = new Uint32Array(n);
    let j = 0;
    for (let i = 0; i < this.cap && j < n; i++) {
      const c = this.cnt[i]!;
      if (c === 0) continue;
      k1[j] = this.k1[i]!;
      k2[j] = this.k2[i]!;
      cnt[j++] = c;
    }
    return { k1, k2, cnt };
  }

  /** Every entry: key lanes and count. */
  forEach(f: (a: number, b: number, n: number) => void): void {
    for (let i = 0; i < this.cap; i++) {
      const n = this.cnt[i]!;
      if (n !== 0) f(this.k1[i]!, this.k2[i]!, n);
    }
  }

  private resize(cap: number): void {
    // (Collected after moveTo returns: until then its frame holds the old arrays.)
    if (this.moveTo(cap)) collectGarbage();
  }

  /** resize: the entries into a table of `cap` slots; true when a large core was left (to be collected). */
  private moveTo(cap: number): boolean {
    // A table that counts stays in its core's memory, where the new layout overwrites the old arrays: they
    // are copied out first. A table whose counting is over leaves the core (its memory goes with it), and
    // so does one the core may not hold (CORE_LIMIT), which counts in JS from then on.
    const inCore = this.tableInCore;
    const counting = inCore && this.last.length > 0;
    const ok1 = counting ? this.k1.slice() : this.k1;
    const ok2 = counting ? this.k2.slice() : this.k2;
    const oc = counting ? this.cnt.slice() : this.cnt;
    const ol = counting ? this.last.slice() : this.last;
    const oldCap = this.cap;
    this.cap = cap;
    this.mask = cap - 1;
    let leftBytes = 0;
    const v = counting ? this.core!.place(cap) : null;
    if (v !== null) {
      v.cnt.fill(0);
      this.useViews(v);
    } else {
      if (counting) {
        // The core may not hold this table: it counts in JS from now on, and a new core keeps the list.
        this.tableRefused = true;
        const list = this.core!.units;
        const fresh = new CountCore(this.kinds!);
        fresh.units.set(list);
        leftBytes = this.core!.tableBytes;
        this.core = fresh;
      } else if (inCore) {
        // Counting is over (or the table goes to shared memory): it leaves the core.
        leftBytes = this.core!.tableBytes;
        this.core = null;
      } else if (this.last.length === 0) this.core = null; // (a core that held the list of a table counted in JS)
      this.tableInCore = false;
      this.k1 = this.shared ? new Int32Array(new SharedArrayBuffer(cap * 4)) : new Int32Array(cap);
      this.k2 = this.shared ? new Int32Array(new SharedArrayBuffer(cap * 4)) : new Int32Array(cap);
      this.cnt = this.shared ? new Uint32Array(new SharedArrayBuffer(cap * 4)) : new Uint32Array(cap);
      // (After dropDocMarks the serials stay dropped: a final table only takes adds.)
      this.last = ol.length === 0 ? ol : new Int32Array(cap);
    }
    const mask = this.mask;
    for (let j = 0; j < oldCap; j++) {
      const c = oc[j]!;
      if (c === 0) continue;
      const a = ok1[j]!;
      const b = ok2[j]!;
      let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
      while (this.cnt[i] !== 0) i = (i + 1) & mask;
      this.k1[i] = a;
      this.k2[i] = b;
      this.cnt[i] = c;
      this.last[i] = ol[j]!;
    }
    return leftBytes >= COLLECT_CORE_BYTES;
  }

  /**
   * The table is at its budget: drop the units with the smallest counts (floor 1, then 2, ...) until it is
   * at most half full. Those units had the fewest documents so far and are the least able to reach a chrome
   * threshold; a dropped unit that comes back starts again from 1, so its final count can be short by the
   * sum of the floors (reported as maxUndercount).
   */
  private pruneBelow(): void {
    let floor = 0;
    const target = this.cap * 0.5;
    while (this.size > target) {
      floor++;
      this.prune.units += this.zeroBelow(floor + 1);
      this.prune.maxUndercount += 1;
    }
    this.prune.events++;
    this.rehashInPlace();
  }

  /** Remove the entries counted in fewer than k documents; returns how many went. */
  dropBelow(k: number): number {
    const dropped = this.zeroBelow(k);
    if (dropped > 0) this.rehashInPlace();
    return dropped;
  }

  /**
   * Counting is over and only lookups follow (clean's pass 2): drop the entries below k and move the rest
   * into the smallest table that holds them at LOOKUP_LOAD. Most of a crawl's units are in one document, so
   * pass 2 then probes a table a fraction of pass 1's, which stays in the caches far better. Returns how
   * many entries were dropped; room is left for `more` entries. With `shared` the table ends in
   * SharedArrayBuffers (as useSharedMemory), made there when it moves. (Entries keep no order across capacities:
   * not for a table saved as a model.)
   */
  compactBelow(k: number, more = 0, shared = false): number {
    const dropped = this.zeroBelow(k);
    let cap = 1 << 10;
    while (this.size + more > cap * LOOKUP_LOAD) cap *= 2;
    if (cap < this.cap) {
      // (With `shared`, moveTo makes the new arrays in SharedArrayBuffers: no copy there after.)
      this.shared ||= shared;
      this.resize(cap);
    } else if (dropped > 0) this.rehashInPlace();
    if (shared) this.useSharedMemory();
    return dropped;
  }

  /**
   * Add other tables' entries (compact arrays, as entries() gives them) into this one when counting is
   * over and only counts of k or more are read from now on (a final model's last counts): what add() of
   * every entry and then compactBelow(k) give, without first growing this table for entries that will be
   * dropped. An entry this table lacks waits in a table of its own until the end; one of the last part with
   * a count below k that neither has is dropped at once (nothing can add to it after). `shared`: as for
   * compactBelow.
   */
  addCompacted(parts: readonly ({ k1: Int32Array; k2: Int32Array; cnt: Uint32Array } | null)[], k: number, shared: boolean): void {
    this.dropDocMarks();
    let total = 0;
    for (const p of parts) total += p?.cnt.length ?? 0;
    const waiting = new Counter64(Counter64.budgetFor(total));
    for (let j = 0; j < parts.length; j++) {
      const p = parts[j];
      if (!p) continue;
      const last = j === parts.length - 1;
      const { k1, k2, cnt } = p;
      for (let i = 0; i < cnt.length; i++) {
        const n = cnt[i]!;
        if (n === 0 || this.addIfPresent(k1[i]!, k2[i]!, n)) continue;
        if (last && n < k) waiting.addIfPresent(k1[i]!, k2[i]!, n);
        else waiting.add(k1[i]!, k2[i]!, n);
      }
    }
    let more = 0;
    waiting.forEach((_a, _b, n) => {
      if (n >= k) more++;
    });
    this.compactBelow(k, more, shared);
    waiting.forEach((a, b, n) => {
      if (n >= k) this.add(a, b, n);
    });
  }

  /** Empty the slots with a count below k (the table must be rehashed after); returns how many. */
  private zeroBelow(k: number): number {
    let dropped = 0;
    for (let i = 0; i < this.cap; i++) {
      const c = this.cnt[i]!;
      if (c !== 0 && c < k) {
        this.cnt[i] = 0;
        dropped++;
      }
    }
    this.size -= dropped;
    return dropped;
  }

  /** Re-place every entry after deletions; starting after an empty slot so no cluster wraps around. */
  private rehashInPlace(): void {
    const mask = this.mask;
    let e = 0;
    while (this.cnt[e] !== 0) e++;
    for (let n = 1; n <= this.cap; n++) {
      const j = (e + n) & mask;
      const c = this.cnt[j]!;
      if (c === 0) continue;
      const a = this.k1[j]!;
      const b = this.k2[j]!;
      const l = this.last[j]!;
      this.cnt[j] = 0;
      let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
      while (this.cnt[i] !== 0) i = (i + 1) & mask;
      this.k1[i] = a;
      this.k2[i] = b;
      this.cnt[i] = c;
      this.last[i] = l;
    }
  }
}
