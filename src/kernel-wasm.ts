/**
 * Host of the WebAssembly line kernel (asm/kernel.ts, built to dist/asm/kernel.wasm): loads it synchronously
 * when this module is first imported (so every worker thread has an instance of its own), copies the FOLD table
 * and the expansions of normalize.ts into its memory (one source of truth for folding), and runs it over a
 * document's UTF-16 code units. analyze.ts reads the per-line results (layout in asm/kernel.ts) from `i32`.
 */
import fs from 'node:fs';
import { EXPANSIONS, F_DROP, F_EXPAND, F_SPACE, F_SURROGATE, FOLD, foldAstral } from './normalize.js';

// Class bits of the kernel's per-code-unit table, over the folded unit in the low 16 bits (asm/kernel.ts).
const C_SPACE = 1 << 16;
const C_SEPSYM = 1 << 17;
const C_EOL = 1 << 18;
const C_DROP = 1 << 19;
const C_DIGIT = 1 << 20;
const C_EXP = 1 << 21;
const C_COLON = 1 << 22;
const C_DASH = 1 << 23;
const C_SURR = 1 << 24;

/** Line results: 16 i32 a line; segments: 8 i32 a segment (asm/kernel.ts). */
export const LINE_STRIDE = 16;
export const SEG_STRIDE = 8;

/** What the kernel needs of analyze.ts (passed in: analyze.ts imports this module). */
export interface KernelTables {
  /** Chain separator symbols (analyze.ts SEP_SYMBOL): each must fold to F_DROP. */
  sepSymbols: readonly number[];
  /** Label separators: always ("："), and only between two spaces (" - "). */
  labelColons: readonly number[];
  labelDashes: readonly number[];
  /** Month and weekday names (normalized) and the test that also takes them with a leading و or ب. */
  dateWords: Iterable<string>;
  isDateWord: (w: string) => boolean;
  /** A normalized word's hash, as the kernel hashes a line's words. */
  wordHash: (w: string) => number;
  /** analyze.ts's constants the kernel has too (by their names there): checked equal at load. */
  constants: Record<string, number>;
  /** Per shingle band: the salt and the odd multiplier of its order. */
  shingleSalt: Int32Array;
  shingleMul: Int32Array;
}

interface Exports {
  memory: WebAssembly.Memory;
  init(): void;
  analyze(base: number, n: number, lines: number, maxLines: number, segs: number, maxSegs: number, wbuf: number): number;
  T_PTR: WebAssembly.Global;
  EXPTAB_PTR: WebAssembly.Global;
  EXPDATA_PTR: WebAssembly.Global;
  SH_PTR: WebAssembly.Global;
  DW_PTR: WebAssembly.Global;
  WORK_PTR: WebAssembly.Global;
  jsonScan(p: number, end: number): number;
  jsonUnescape(p: number, end: number, dst: number): number;
  MEMB_PTR: WebAssembly.Global;
  SHINGLES: WebAssembly.Global;
  NSEGS: WebAssembly.Global;
}

/** The built kernel next to this module's compiled form (dist/src -> dist/asm), or from the sources (tests) in dist/. */
function wasmBytes(): Buffer {
  const tried: string[] = [];
  for (const rel of ['../asm/kernel.wasm', '../dist/asm/kernel.wasm']) {
    const url = new URL(rel, import.meta.url);
    try {
      return fs.readFileSync(url);
    } catch {
      tried.push(url.pathname);
    }
  }
  throw new Error(`boilerstrip: the WebAssembly kernel is not built (npm run build): looked for ${tried.join(', ')}`);
}

export class Kernel {
  private readonly w: Exports;
  /** Views of the kernel's memory (renewed when it grows). */
  i32: Int32Array;
  private buf: Buffer;
  /** Where a JSONL line is copied (asm/json.ts reads it there), and how many bytes it may have. */
  private readonly input: number;
  private inCap = 0;
  /** The text area (after the input region). */
  private work: number;
  private readonly shIx: number;
  /** Largest memory the kernel may take (bytes); a document that needs more is analyzed in JS (tests lower it). */
  maxMemory = 2 ** 31;
  /** Documents run (tests check that analyze() runs the kernel and analyzeJs() does not). */
  runs = 0;
  /** Capacity (code units) the work area is laid out for, and its regions (bytes). */
  private units = 0;
  private maxLines = 0;
  private maxSegs = 0;
  private wbuf = 0;
  private lines = 0;
  private segs = 0;

  constructor(t: KernelTables) {
    let mem: WebAssembly.Memory | undefined;
    const env = {
      abort(): never {
        throw new Error('boilerstrip: the WebAssembly kernel aborted');
      },
      foldAstral(cp: number, out: number): number {
        const u = foldAstral(cp);
        new Uint16Array(mem!.buffer, out, u.length).set(u);
        return u.length;
      },
    };
    const instance = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes() as Uint8Array<ArrayBuffer>), { env });
    this.w = instance.exports as unknown as Exports;
    mem = this.w.memory;
    this.w.init();
    const exported = instance.exports as Record<string, unknown>;
    for (const [name, value] of Object.entries(t.constants)) {
      const g = exported[name];
      if (!(g instanceof WebAssembly.Global) || g.value !== value) throw new Error(`boilerstrip: the WebAssembly kernel's ${name} is not analyze.ts's ${value}: rebuild it (npm run build)`);
    }
    this.i32 = new Int32Array(mem.buffer);
    this.buf = Buffer.from(mem.buffer);
    this.input = this.w.WORK_PTR.value as number;
    this.work = this.input;
    const sh = this.w.SH_PTR.value as number;
    this.shIx = sh >> 2;
    if (!this.layout(1 << 16, 4096, 4096)) throw new Error('boilerstrip: no memory for the WebAssembly kernel');
    this.fillTables(t);
    this.i32.set(t.shingleSalt, this.shIx + 32);
    this.i32.set(t.shingleMul, this.shIx + 40);
  }

  private fillTables(t: KernelTables): void {
    const mem = this.w.memory.buffer;
    const T = new Int32Array(mem, this.w.T_PTR.value as number, 65536);
    const expPtr = this.w.EXPTAB_PTR.value as number;
    const dataPtr = this.w.EXPDATA_PTR.value as number;
    const tab = new Uint32Array(mem, expPtr, (dataPtr - expPtr) >> 2);
    const data = new Uint16Array(mem, dataPtr, ((this.w.SH_PTR.value as number) - dataPtr) >> 1);
    let ix = 0;
    let off = 0;
    for (let c = 0; c < 65536; c++) {
      const f = FOLD[c]!;
      let v: number = f;
      if (f === F_DROP) v = C_DROP;
      else if (f === F_SPACE) v |= C_SPACE;
      else if (f === 48) v |= C_DIGIT;
      else if (f === F_SURROGATE) v = C_EXP | C_SURR;
      else if (f === F_EXPAND) {
        const e = EXPANSIONS.get(c)!;
        if (ix >= tab.length || off + e.length > data.length || e.length > 255) throw new Error('boilerstrip: the expansions do not fit the kernel');
        tab[ix] = off | (e.length << 24);
        data.set(e, off);
        off += e.length;
        v = C_EXP | ix++;
      }
      T[c] = v;
    }
    for (const c of t.sepSymbols) {
      if (FOLD[c] !== F_DROP) throw new Error(`boilerstrip: separator symbol U+${c.toString(16)} does not fold away`);
      T[c] = T[c]! | C_SEPSYM;
    }
    for (const c of [10, 13]) {
      if (FOLD[c] !== F_SPACE) throw new Error('boilerstrip: line terminators must fold to a space');
      T[c] = T[c]! | C_EOL;
    }
    // The kernel takes a unit with class bits and no C_DROP for an expansion: the separators must fold away.
    for (const c of [...t.labelColons, ...t.labelDashes]) {
      if (FOLD[c] !== F_DROP) throw new Error(`boilerstrip: label separator U+${c.toString(16)} does not fold away`);
      T[c] = T[c]! | (t.labelColons.includes(c) ? C_COLON : C_DASH);
    }
    // The date words as the kernel hashes a line's words.
    const set = new Int32Array(mem, this.w.DW_PTR.value as number, 4096);
    for (const d of t.dateWords) {
      for (const f of [d, 'و' + d, 'ب' + d]) {
        if (!t.isDateWord(f)) continue;
        const h = t.wordHash(f);
        if (h === 0) throw new Error('boilerstrip: a date word hashes to 0');
        let i = (Math.imul(h, 0x85ebca77 | 0) >>> 20) & 4095;
        while (set[i] !== 0 && set[i] !== h) i = (i + 1) & 4095;
        set[i] = h;
      }
    }
  }

  /** Lay the work area out for documents of up to `units` code units, lines and segments (bytes; false: too big). */
  private layout(units: number, maxLines: number, maxSegs: number): boolean {
    const wbuf = this.work + 2 * units + 64;
    const lines = (wbuf + 4 * ((units >> 1) + 4) + 63) & ~63;
    const segs = lines + 4 * LINE_STRIDE * maxLines;
    const need = segs + 4 * SEG_STRIDE * maxSegs;
    if (need > this.maxMemory) return false;
    const mem = this.w.memory;
    if (need > mem.buffer.byteLength) {
      try {
        mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
      } catch {
        return false; // the engine would not give the memory
      }
      this.i32 = new Int32Array(mem.buffer);
      this.buf = Buffer.from(mem.buffer);
    }
    this.units = units;
    this.maxLines = maxLines;
    this.maxSegs = maxSegs;
    this.wbuf = wbuf;
    this.lines = lines;
    this.segs = segs;
    return true;
  }

  /** Room for a document of `n` code units (false: more than the kernel's memory may hold). */
  private fit(n: number): boolean {
    if (n > this.units && !this.layout(Math.max(n, 1 << 16, this.units * 2), Math.max(this.maxLines, 4096), Math.max(this.maxSegs, 4096))) {
      if (!this.layout(n, 4096, 4096)) return false;
    }
    return true;
  }

  /**
   * Run the kernel over `text`: returns its line count (results at `linesIx`, `segsIx` of `i32`), or -1 when
   * the document is too big for the kernel's memory (the caller analyzes it in JS).
   */
  run(text: string): number {
    this.runs++;
    const n = text.length;
    if (!this.fit(n)) return -1;
    this.buf.write(text, this.work, 'utf16le');
    return this.runText(n);
  }

  /** run() over the `n` code units `decodeString` left in the text area. */
  runLoaded(n: number): number {
    this.runs++;
    return this.runText(n);
  }

  private runText(n: number): number {
    for (;;) {
      const r = this.w.analyze(this.work, this.work + 2 * n, this.lines, this.maxLines, this.segs, this.maxSegs, this.wbuf);
      if (r >= 0) return r;
      // More lines or segments than laid out for: at most one a code unit (and the empty last line).
      if (this.maxLines >= n + 2 && this.maxSegs >= n + 2) throw new Error('boilerstrip: the WebAssembly kernel overflowed');
      const lines = Math.max(this.maxLines, Math.min(n + 2, this.maxLines * 4));
      const segs = Math.max(this.maxSegs, Math.min(n + 2, this.maxSegs * 4));
      // The text stays in place: the input region does not move while `units` stays.
      if (!this.layout(this.units, lines, segs)) return -1;
    }
  }

  /**
   * Copy a block of JSONL lines as UTF-16LE code units into the input region, for `scanLine` (false: too big
   * for the kernel's memory).
   */
  loadBlock(units: Buffer): boolean {
    const len = units.length;
    if (len > this.inCap) {
      const cap = (Math.max(len, 1 << 20, this.inCap * 2) + 65535) & ~65535;
      const work = this.work;
      this.work = this.input + cap;
      if (!this.layout(this.units, this.maxLines, this.maxSegs)) {
        this.work = work;
        this.layout(this.units, this.maxLines, this.maxSegs);
        return false;
      }
      this.inCap = cap;
    }
    units.copy(this.buf, this.input);
    return true;
  }

  /**
   * Check bytes [start, end) of the loaded block (one line) as a JSON object (asm/json.ts jsonScan): its
   * top-level member count (members at `membersIx` of `i32`, as addresses: `blockAddress` + offset in the
   * block), or < 0 when the line must go to JSON.parse.
   */
  scanLine(start: number, end: number): number {
    return this.w.jsonScan(this.input + start, this.input + end);
  }

  /** scanLine over addresses [from, to) of the loaded block: a nested object of a scanned line. */
  scanAt(from: number, to: number): number {
    return this.w.jsonScan(from, to);
  }

  /** Address of the loaded block's first byte. */
  get blockAddress(): number {
    return this.input;
  }

  /** Index in `i32` of the scanned line's members: 5 i32 each (key start, key end, value start, value end, flags). */
  get membersIx(): number {
    return (this.w.MEMB_PTR.value as number) >> 2;
  }

  /**
   * The string value at addresses [from, to) of the scanned line, decoded into the text area (asm/json.ts
   * jsonUnescape): its length in code units (`runLoaded` analyzes it, `loadedText` reads it), -1 when too big.
   */
  decodeString(from: number, to: number): number {
    // (The input region stays where it is.)
    if (!this.fit((to - from) >> 1)) return -1;
    return this.w.jsonUnescape(from, to, this.work);
  }

  /** The `n` code units in the text area as a string. */
  loadedText(n: number): string {
    return this.buf.toString('utf16le', this.work, this.work + 2 * n);
  }

  /** Index in `i32` of line 0's results and of segment 0's. */
  get linesIx(): number {
    return this.lines >> 2;
  }
  get segsIx(): number {
    return this.segs >> 2;
  }
  /** Index in `i32` of the shingle state: V[8] X1[8] X2[8] LINE[8]. */
  get shingleIx(): number {
    return this.shIx;
  }
  /** Segments of the last document (of its chain lines, in line order). */
  get segments(): number {
    return this.w.NSEGS.value as number;
  }
  /** Shingles of the last document. */
  get shingles(): number {
    return this.w.SHINGLES.value as number;
  }
}
