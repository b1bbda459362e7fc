/**
 * Host of pass 1's counting loop (asm/count.ts, built to dist/asm/count.wasm). A count table (counter.ts)
 * that counts documents moves its four arrays into the memory of an instance of its own (a CountCore), so
 * the loop that keys and counts a document's units runs over them without leaving WebAssembly; the table's
 * other operations (growth, pruning, spilling, merging, saving) keep working on the same arrays as typed
 * array views. The module is compiled once per thread, when this module is first imported.
 */
import fs from 'node:fs';

interface Exports {
  memory: WebAssembly.Memory;
  layout(k1: number, k2: number, cnt: number, last: number, cap: number): void;
  countUnits(step: number, n: number, doc: number, s1: number, s2: number, g1: number, g2: number, global: number): number;
  MAX_UNITS: WebAssembly.Global;
  LIST_PTR: WebAssembly.Global;
  EV_PTR: WebAssembly.Global;
  KIND_PTR: WebAssembly.Global;
  TABLE_PTR: WebAssembly.Global;
  F_GLOBAL: WebAssembly.Global;
  F_EVENT: WebAssembly.Global;
  SIZE: WebAssembly.Global;
  LIMIT: WebAssembly.Global;
  EVENTS: WebAssembly.Global;
}

/** The built module next to this module's compiled form (dist/src -> dist/asm), or from the sources (tests) in dist/. */
function compile(): WebAssembly.Module {
  const tried: string[] = [];
  for (const rel of ['../asm/count.wasm', '../dist/asm/count.wasm']) {
    const url = new URL(rel, import.meta.url);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(url);
    } catch {
      tried.push(url.pathname);
      continue;
    }
    return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  }
  throw new Error(`boilerstrip: the WebAssembly counting loop is not built (npm run build): looked for ${tried.join(', ')}`);
}

const MODULE = compile();

/** What a unit's kind asks of the loop: its key salts (model.ts keyOf) and whether it counts corpus-wide and gives events. */
export interface KindSpec {
  salt1: number;
  salt2: number;
  global: boolean;
  events: boolean;
}

/** The views a table counts through (in the core's memory). */
export interface TableViews {
  k1: Int32Array;
  k2: Int32Array;
  cnt: Uint32Array;
  last: Int32Array;
}

/**
 * Most bytes a table may take in a core: WebAssembly's 32-bit memory stops at 4 GiB (Node 20's V8: 65,536
 * pages), so a table of 2^28 slots (--max-memory of 13 GB or more) counts in JS instead (counter.ts).
 * Tests lower it to take that path.
 */
export const CORE_LIMIT = { tableBytes: 2 ** 32 - (1 << 21) };

export class CountCore {
  private readonly w: Exports;
  /** Units a list holds (the caller counts a longer document list by list). */
  readonly maxUnits: number;
  /** The unit list to fill: 3 i32 a unit (h1, h2, kind). Renewed when the memory grows. */
  units!: Int32Array;
  /** Events of the last count call: 3 i32 each (unit index | kind << 16 | 1 << 31 for the corpus-wide key; k1; k2). */
  events!: Int32Array;
  private readonly tablePtr: number;
  private cap = 0;

  constructor(kinds: readonly KindSpec[]) {
    const instance = new WebAssembly.Instance(MODULE, {
      env: {
        abort(): never {
          throw new Error('boilerstrip: the WebAssembly counting loop aborted');
        },
      },
    });
    this.w = instance.exports as unknown as Exports;
    this.maxUnits = this.w.MAX_UNITS.value as number;
    this.tablePtr = this.w.TABLE_PTR.value as number;
    this.grow(this.tablePtr);
    const k = new Int32Array(this.w.memory.buffer, this.w.KIND_PTR.value as number, 16 * 3);
    const fGlobal = this.w.F_GLOBAL.value as number;
    const fEvent = this.w.F_EVENT.value as number;
    if (kinds.length > 16) throw new Error('boilerstrip: too many unit kinds for the counting loop');
    kinds.forEach((s, i) => {
      k[3 * i] = s.salt1;
      k[3 * i + 1] = s.salt2;
      k[3 * i + 2] = (s.global ? fGlobal : 0) | (s.events ? fEvent : 0);
    });
  }

  private grow(bytes: number): void {
    const mem = this.w.memory;
    if (bytes > mem.buffer.byteLength) mem.grow(Math.ceil((bytes - mem.buffer.byteLength) / 65536));
    this.units = new Int32Array(mem.buffer, this.w.LIST_PTR.value as number, 3 * this.maxUnits);
    this.events = new Int32Array(mem.buffer, this.w.EV_PTR.value as number, 6 * this.maxUnits);
  }

  /**
   * Lay a table of `cap` slots out in the memory (its contents are not kept: the caller copies what it
   * needs first) and return its views; null when it may not (CORE_LIMIT) or the engine will not give the
   * memory (then nothing changed).
   */
  place(cap: number): TableViews | null {
    if (16 * cap > CORE_LIMIT.tableBytes) return null;
    try {
      this.grow(this.tablePtr + 16 * cap);
    } catch (e) {
      if (e instanceof RangeError) return null;
      throw e;
    }
    this.cap = cap;
    const buf = this.w.memory.buffer;
    const p = this.tablePtr;
    this.w.layout(p, p + 4 * cap, p + 8 * cap, p + 12 * cap, cap);
    return { k1: new Int32Array(buf, p, cap), k2: new Int32Array(buf, p + 4 * cap, cap), cnt: new Uint32Array(buf, p + 8 * cap, cap), last: new Int32Array(buf, p + 12 * cap, cap) };
  }

  /** Bytes of the table's layout. */
  get tableBytes(): number {
    return 16 * this.cap;
  }

  /**
   * asm/count.ts countUnits over the first `n` listed units from `step` on, with the table holding `size`
   * entries and needing room past `limit`: the step it stopped at (2n: done), the entries, the events listed.
   */
  count(step: number, n: number, doc: number, s1: number, s2: number, g1: number, g2: number, global: boolean, size: number, limit: number): number {
    this.w.SIZE.value = size;
    this.w.LIMIT.value = limit;
    return this.w.countUnits(step, n, doc, s1, s2, g1, g2, global ? 1 : 0);
  }

  get size(): number {
    return this.w.SIZE.value as number;
  }

  get eventCount(): number {
    return this.w.EVENTS.value as number;
  }
}
