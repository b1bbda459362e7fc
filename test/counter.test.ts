import { describe, expect, it } from 'vitest';
import { Counter64 } from '../src/counter.js';
import { rngInt } from './helpers/rng.js';


describe('Counter64', () => {
  it('keeps keys that differ in one lane apart (no 32-bit collisions)', () => {
    const c = new Counter64(1 << 24, 1 << 10);
    c.incDoc(1, 2, 0);
    c.incDoc(1, 3, 1);
    c.incDoc(4, 2, 2);
    c.incDoc(1, 2, 3);
    expect(c.get(1, 2)).toBe(2);
    expect(c.get(1, 3)).toBe(1);
    expect(c.get(4, 2)).toBe(1);
    expect(c.get(4, 3)).toBe(0);
  });

  it('counts a key once per document', () => {
    const c = new Counter64(1 << 24);
    for (let i = 0; i < 5; i++) c.incDoc(7, 7, 0);
    c.incDoc(7, 7, 1);
    c.incDoc(7, 7, 1);
    expect(c.get(7, 7)).toBe(2);
  });

  it('matches a Map reference through many resizes', () => {
    const r = rngInt(3);
    const c = new Counter64(1 << 28, 1 << 10);
    const ref = new Map<string, number>();
    const keys: [number, number][] = [];
    for (let i = 0; i < 50_000; i++) keys.push([r(), r()]);
    for (let doc = 0; doc < 400_000; doc++) {
      const k = keys[Math.abs(r()) % keys.length]!;
      c.incDoc(k[0], k[1], doc);
      const s = `${k[0]},${k[1]}`;
      ref.set(s, (ref.get(s) ?? 0) + 1);
    }
    expect(c.size).toBe(ref.size);
    expect(c.capacity).toBeGreaterThan(1 << 10);
    for (const [s, n] of ref) {
      const [a, b] = s.split(',').map(Number);
      expect(c.get(a!, b!)).toBe(n);
    }
    expect(c.prune.events).toBe(0);
  });

  it('stays within its memory budget by pruning the rarest keys, and says so', () => {
    const budget = 4 * 1024 * 1024;
    const c = new Counter64(budget, 1 << 10);
    const r = rngInt(11);
    // 20 frequent keys in every document, plus a flood of unique ones.
    for (let doc = 0; doc < 300_000; doc++) {
      for (let k = 0; k < 20; k++) c.incDoc(k, k * 31, doc);
      c.incDoc(r(), r(), doc);
    }
    expect(c.bytes * 1.5).toBeLessThanOrEqual(budget);
    expect(c.prune.events).toBeGreaterThan(0);
    expect(c.prune.units).toBeGreaterThan(0);
    for (let k = 0; k < 20; k++) expect(c.get(k, k * 31)).toBe(300_000);
  });

  it('shareBudget: a table counting beside other threads stays within its share, then grows to the whole budget again', () => {
    const whole = 32 * 1024 * 1024;
    const c = new Counter64(whole, 1 << 10);
    const full = c.maxCap;
    const giveBack = c.shareBudget(whole / 4);
    expect(c.maxCap).toBeLessThan(full);
    const r = rngInt(5);
    for (let doc = 0; doc < 400_000; doc++) c.incDoc(r(), r(), doc);
    expect(c.bytes * 1.5).toBeLessThanOrEqual(whole / 4);
    expect(c.prune.events).toBeGreaterThan(0);
    const held = c.capacity;
    // (Never below what the table holds: a smaller share does not shrink it.)
    c.shareBudget(1024)();
    expect(c.maxCap).toBe(held);
    c.shareBudget(1024);
    expect(c.maxCap).toBe(held);
    giveBack();
    expect(c.maxCap).toBe(full);
    c.reserve(held);
    expect(c.capacity).toBeGreaterThan(held);
  });

  it('add() merges counts', () => {
    const a = new Counter64(1 << 24);
    a.add(1, 1, 5);
    a.add(1, 1, 7);
    a.add(2, 2, 1);
    expect(a.get(1, 1)).toBe(12);
    expect(a.size).toBe(2);
  });
});

describe('Counter64 in shared memory', () => {
  it('keeps its counts when moved to shared memory and grown there; toShared then copies nothing', () => {
    const c = new Counter64(64 << 20, 1 << 10);
    for (let i = 0; i < 500; i++) c.incDoc(i, ~i, i);
    c.useSharedMemory();
    for (let i = 0; i < 50_000; i++) c.incDoc(i, ~i, 1000 + i); // grows several times
    expect(c.capacity).toBeGreaterThan(1 << 16);
    const s = c.toShared();
    expect(s.k1.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(s.cnt).toBe(c.toShared().cnt);
    const r = Counter64.fromShared(s);
    expect(r.get(7, ~7)).toBe(2);
    expect(r.get(30_000, ~30_000)).toBe(1);
    expect(r.get(60_000, ~60_000)).toBe(0);
    expect(r.size).toBe(50_000);
  });

  it('compactBelow(k, more, shared) ends in shared memory whether the table moves or stays, with the same counts', () => {
    for (const keys of [300, 40_000]) {
      const c = new Counter64(64 << 20, 1 << 10);
      for (let d = 0; d < 2; d++) for (let i = 0; i < keys; i++) if (d === 0 || i % 3 === 0) c.incDoc(i, ~i, d);
      const cap = c.capacity;
      c.dropDocMarks();
      expect(c.compactBelow(2, 0, true)).toBe(keys - Math.ceil(keys / 3));
      // (300 keys: the table stays at its least size; 40,000: it moves to a smaller one.)
      expect(c.capacity === cap).toBe(keys === 300);
      for (const a of [c.k1, c.k2, c.cnt]) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(c.size).toBe(Math.ceil(keys / 3));
      expect(c.get(3, ~3)).toBe(2);
      expect(c.get(4, ~4)).toBe(0);
      expect(c.toShared().cnt).toBe(c.cnt);
    }
  });
});
