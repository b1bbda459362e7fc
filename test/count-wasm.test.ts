import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, Analysis, Kind } from '../src/analyze.js';
import { CORE_LIMIT } from '../src/count-wasm.js';
import { Counter64 } from '../src/counter.js';
import { collectGarbage } from '../src/gc.js';
import { GLOBAL_SITE, KEY, keyOf, keyString, Model, siteHash } from '../src/model.js';
import { seedPool } from '../src/sim/articles.js';
import { simulate } from '../src/sim/generate.js';
import { ROOT } from './helpers/cli.js';
import { rngInt } from './helpers/rng.js';

/**
 * The reference of Model.learnDoc's counting (asm/count.ts through Counter64.countListed): each unit keyed
 * by keyOf and counted by Counter64.incDoc in JS, one at a time, as learnDoc did before the loop moved.
 */
class Reference {
  readonly c: Counter64;
  readonly texts = new Map<string, string>();
  private docs = 0;
  private readonly a = new Analysis();
  constructor(
    budget: number,
    private readonly maxTexts = 50_000,
  ) {
    this.c = new Counter64(budget);
  }

  learn(text: string, site: string, paths?: Int32Array): void {
    const a = analyze(text, this.a, true);
    let i = 0;
    while (i < a.nLines && a.lineLen[i] === 0) i++;
    if (i === a.nLines) return;
    const [s1, s2] = siteHash(site);
    const [g1, g2] = siteHash(GLOBAL_SITE);
    const doc = this.docs++;
    const c = this.c;
    const sample = (kind: Kind, s: string, from: number, to: number): void => {
      if (this.texts.size < this.maxTexts) this.texts.set(keyString(KEY[0]!, KEY[1]!), `${kind}\t${s}\t${text.slice(from, Math.min(to, from + 160))}`);
    };
    const count = (h1: number, h2: number, kind: Kind, from: number, to: number): void => {
      keyOf(h1, h2, kind, s1, s2);
      const n = c.incDoc(KEY[0]!, KEY[1]!, doc);
      if (kind === Kind.ProseLabel) return;
      if (n === 2) sample(kind, site, from, to);
      if (kind !== Kind.Head) {
        keyOf(h1, h2, kind, g1, g2);
        if (c.incDoc(KEY[0]!, KEY[1]!, doc) === 2) sample(kind, GLOBAL_SITE, from, to);
      }
    };
    for (let b = 0; b < a.fp.length; b += 2) {
      if (a.fp[b] === 0) continue;
      keyOf(a.fp[b]!, a.fp[b + 1]!, Kind.Fp, s1, s2);
      c.incDoc(KEY[0]!, KEY[1]!, doc);
      keyOf(a.fp[b]!, a.fp[b + 1]!, Kind.Fp, g1, g2);
      c.incDoc(KEY[0]!, KEY[1]!, doc);
    }
    if (paths !== undefined) {
      for (let p = 0; p < paths.length; p += 2) {
        keyOf(paths[p]!, paths[p + 1]!, Kind.Path, s1, s2);
        c.incDoc(KEY[0]!, KEY[1]!, doc);
      }
    }
    for (let i = 0; i < a.nLines; i++) {
      if (a.lineLen[i] === 0) continue;
      count(a.lineH1[i]!, a.lineH2[i]!, Kind.Line, a.lineStart[i]!, a.lineEnd[i]!);
      for (let s = a.lineSeg0[i]!, e = s + a.lineSegN[i]!; s < e; s++) {
        if (a.segLen[s] !== 0) count(a.segH1[s]!, a.segH2[s]!, Kind.Segment, a.segStart[s]!, a.segEnd[s]!);
      }
      for (let x = a.lineX0[i]!, e = x + a.lineXN[i]!; x < e; x++) count(a.extraH1[x]!, a.extraH2[x]!, a.extraKind[x]! as Kind, a.lineStart[i]!, a.lineEnd[i]!);
    }
  }
}

/** A word of Arabic letters for n (digits fold to one, so numbers make no distinct lines). */
const word = (n: number): string => Array.from((n >>> 0).toString(26), (d) => String.fromCharCode(0x628 + parseInt(d, 26))).join('');

/** Every slot of the two tables equal (key and count of each entry, in slot order), and their sizes, capacities and pruning. */
function expectSameTable(got: Counter64, want: Counter64): void {
  expect(got.size).toBe(want.size);
  expect(got.capacity).toBe(want.capacity);
  expect(got.prune).toEqual(want.prune);
  // (An empty slot's key lanes are whatever was there before: only the counts say which slots hold an entry.)
  expect(Buffer.from(got.cnt.buffer, got.cnt.byteOffset, got.cnt.byteLength).equals(Buffer.from(want.cnt.buffer, want.cnt.byteOffset, want.cnt.byteLength))).toBe(true);
  const [g, w] = [got.entries(), want.entries()];
  expect(Buffer.from(g.k1.buffer).equals(Buffer.from(w.k1.buffer))).toBe(true);
  expect(Buffer.from(g.k2.buffer).equals(Buffer.from(w.k2.buffer))).toBe(true);
}

describe('the counting loop in WebAssembly (asm/count.ts) against incDoc in JS', () => {
  const docs = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 23, docs: 1500 })];

  it.each([
    ['a table that grows from its first size', 512 * 1024 * 1024, 50_000],
    ['a table at its budget, pruned again and again', 1 << 20, 50_000],
    ['few sample texts', 1 << 28, 40],
  ])('counts a crawl slot for slot as incDoc does, and keeps the same sample texts (%s)', (_how, budget, maxTexts) => {
    const m = new Model({ maxMemory: budget, maxTexts });
    const ref = new Reference(budget, maxTexts);
    for (const d of docs) {
      m.learnDoc(d.text, d.site);
      ref.learn(d.text, d.site);
    }
    if (budget === 1 << 20) expect(ref.c.prune.events).toBeGreaterThan(1);
    else expect(ref.c.prune.events).toBe(0);
    expectSameTable(m.counter, ref.c);
    expect([...m.texts].sort()).toEqual([...ref.texts].sort());
  });

  it('counts a document of more units than one list holds, element paths included, across growth', () => {
    const r = rngInt(9);
    const m = new Model({ maxMemory: 1 << 26 });
    const ref = new Reference(1 << 26);
    // Lines repeated across documents (some twice in one), and 40,000 element paths: several lists a document.
    const pool = Array.from({ length: 30_000 }, (_, i) => `سطر ${word(i)} من الأسطر المتكررة ${word(r() & 1023)}`);
    const paths = new Int32Array(80_000);
    for (let doc = 0; doc < 6; doc++) {
      const lines: string[] = [];
      for (let k = 0; k < 20_000; k++) lines.push(pool[Math.abs(r()) % pool.length]!);
      for (let p = 0; p < paths.length; p++) paths[p] = p < 40_000 ? r() : (p * 7919) | 0;
      const text = lines.join('\n');
      m.learnDoc(text, `site${doc % 2}`, paths);
      ref.learn(text, `site${doc % 2}`, paths);
    }
    expect(m.counter.capacity).toBeGreaterThan(1 << 16);
    expectSameTable(m.counter, ref.c);
    expect([...m.texts].sort()).toEqual([...ref.texts].sort());
  });

  it('spills where incDoc spills (a table that is full from its first size on)', () => {
    const r = rngInt(4);
    const m = new Model({ maxMemory: 1 << 28 });
    const ref = new Reference(1 << 28);
    const spilled: number[][] = [[], []];
    // What a spill does to the table (spill.ts drops its single-document units), logged per table.
    [m.counter, ref.c].forEach((c, t) => {
      c.spillFrom = 1 << 10;
      c.onFull = (tab, doc) => {
        spilled[t]!.push(tab.size);
        tab.dropSingles(doc);
      };
    });
    const hot = Array.from({ length: 200 }, (_, i) => `خبر متكرر ${word(i)}`);
    for (let doc = 0; doc < 3000; doc++) {
      const lines = Array.from({ length: 60 }, (_, k) => (k < 8 ? hot[Math.abs(r()) % hot.length]! : `سطر فريد ${word(r())} ${word(r())}`));
      m.learnDoc(lines.join('\n'), 'site');
      ref.learn(lines.join('\n'), 'site');
    }
    expect(spilled[1]!.length).toBeGreaterThan(5);
    expect(spilled[0]).toEqual(spilled[1]);
    expectSameTable(m.counter, ref.c);
  });

  it('a count table that leaves its WebAssembly memory can have it collected at once (gc.ts)', async () => {
    // (A dropped WebAssembly memory is what V8 is slow to collect by itself: see gc.ts.)
    let m: WebAssembly.Memory | null = new WebAssembly.Memory({ initial: 16 });
    const ref = new WeakRef(m);
    m = null;
    // (A WeakRef keeps its target through the job that made it.)
    await new Promise((r) => setTimeout(r, 0));
    collectGarbage();
    await new Promise((r) => setTimeout(r, 0));
    expect(ref.deref()).toBeUndefined();
    // A released table is empty, and a stray lookup finds nothing.
    const c = new Counter64(1 << 24);
    const model = new Model({}, undefined, c);
    model.learnDoc('سطر أول\nسطر ثان', 'site');
    expect(c.size).toBeGreaterThan(0);
    c.release();
    expect(c.size).toBe(0);
    expect(c.get(1, 2)).toBe(0);
  });

  it.each([
    ['never', 0],
    ['up to 2^17 slots, then in JS from the middle of a list on', 16 << 17],
  ])('a table the core may not hold counts in JS, slot for slot the same (core: %s)', (_how, limit) => {
    const was = CORE_LIMIT.tableBytes;
    CORE_LIMIT.tableBytes = limit;
    try {
      const r = rngInt(9);
      const m = new Model({ maxMemory: 1 << 26 });
      const ref = new Reference(1 << 26);
      const pool = Array.from({ length: 30_000 }, (_, i) => `سطر ${word(i)} من الأسطر ${word(r() & 1023)}`);
      for (let doc = 0; doc < 8; doc++) {
        const lines = Array.from({ length: 20_000 }, () => pool[Math.abs(r()) % pool.length]!);
        m.learnDoc(lines.join('\n'), `site${doc % 3}`);
        ref.learn(lines.join('\n'), `site${doc % 3}`);
      }
      expect(m.counter.capacity).toBeGreaterThan(1 << 17);
      expectSameTable(m.counter, ref.c);
      expect([...m.texts].sort()).toEqual([...ref.texts].sort());
      for (const d of docs.slice(0, 300)) {
        m.learnDoc(d.text, d.site);
        ref.learn(d.text, d.site);
      }
      expectSameTable(m.counter, ref.c);
      expect([...m.texts].sort()).toEqual([...ref.texts].sort());
    } finally {
      CORE_LIMIT.tableBytes = was;
    }
  });

  /** The entries of a table as sorted (k1, k2, count) triples: tables of other capacities hold them in other slots. */
  const entrySet = (c: Counter64): string[] => {
    const e = c.entries();
    return Array.from(e.cnt, (n, i) => `${e.k1[i]} ${e.k2[i]} ${n}`).sort();
  };

  it.each([
    ['enough', 400_000, 0],
    ['too few: it doubles from there', 50_000, 1],
    ['none the core may hold: counted in JS at the first size', 400_000, -1],
  ])('a table told how many keys to expect starts at their size and counts what a growing table counts (%s)', (_how, expected, limit) => {
    const was = CORE_LIMIT.tableBytes;
    if (limit < 0) CORE_LIMIT.tableBytes = 0;
    try {
      const m = new Model({ maxMemory: 1 << 28 });
      const ref = new Reference(1 << 28);
      m.counter.expect(expected);
      const first = 2 ** Math.ceil(Math.log2(expected / 0.7));
      for (const [i, d] of docs.entries()) {
        m.learnDoc(d.text, d.site);
        ref.learn(d.text, d.site);
        // (The table takes its size when the first document is counted into it.)
        if (i === 0) expect(m.counter.capacity).toBe(limit < 0 ? 1 << 16 : first);
      }
      expect(ref.c.capacity).toBeGreaterThan(1 << 16);
      if (limit === 0) expect(m.counter.capacity).toBe(first);
      else expect(m.counter.capacity).toBe(ref.c.capacity);
      expect(m.counter.size).toBe(ref.c.size);
      expect(entrySet(m.counter)).toEqual(entrySet(ref.c));
      expect([...m.texts].sort()).toEqual([...ref.texts].sort());
    } finally {
      CORE_LIMIT.tableBytes = was;
    }
  });
});
