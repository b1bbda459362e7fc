import { describe, expect, it } from 'vitest';
import { LaneIndex, RunStats, type UnitFigures } from '../src/stats.js';
import { rngInt } from './helpers/rng.js';

const fig = (text: string): UnitFigures => ({ site: 's', reason: 'line', scope: 'site', df: 3, of: 10, removals: 1, text });

describe('removed units for --report (stats.ts)', () => {
  it('LaneIndex gives keys dense indexes in the order first seen, through growth and clearing', () => {
    const r = rngInt(12);
    const ix = new LaneIndex();
    for (let round = 0; round < 3; round++) {
      const ref = new Map<string, number>();
      const keys: [number, number][] = Array.from({ length: 5000 }, () => [r(), r() & 0x1fffff]);
      for (let i = 0; i < 20_000; i++) {
        const [a, b] = keys[Math.abs(r()) % keys.length]!;
        const s = `${a},${b}`;
        const e = ix.find(a, b);
        expect(e).toBe(ref.get(s) ?? -1);
        if (e < 0) ref.set(s, ix.add(a, b));
      }
      expect(ix.size).toBe(ref.size);
      expect([...ref.values()]).toEqual([...ref.keys()].map((_, i) => i));
      ix.clear();
      expect(ix.find(keys[0]![0], keys[0]![1])).toBe(-1);
    }
  });

  it("a thread's chunks, taken and absorbed, report what counting each unit in the run's own stats reports", () => {
    const r = rngInt(13);
    const keys: [number, number][] = Array.from({ length: 300 }, () => [r(), r()]);
    const direct = new RunStats();
    const run = new RunStats();
    const sent = new LaneIndex();
    for (let chunk = 0; chunk < 20; chunk++) {
      const stats = new RunStats();
      for (let i = 0; i < 400; i++) {
        const j = Math.abs(r()) % keys.length;
        const [k1, k2] = keys[j]!;
        direct.removedUnit(k1, k2, () => fig(`unit ${j}`));
        stats.removedUnit(k1, k2, () => fig(`unit ${j}`));
      }
      const packed = stats.takeUnits(sent);
      // (Taken: the chunk's stats go to the main thread without them.)
      expect(stats.takeUnits(sent)).toBeUndefined();
      run.absorb(stats, 0, packed);
    }
    const units = (s: RunStats): unknown => s.report().removedUnits;
    expect((units(run) as unknown[]).length).toBe(300);
    expect(units(run)).toEqual(units(direct));
  });

  it('past the units it tracks, counts every removal it leaves untracked, chunked or not, and lists the 500 removed most often', () => {
    const r = rngInt(14);
    // 130,000 units, more than the 100,000 tracked; removals drawn so that many tie (df and text break ties).
    const N = 130_000;
    const keys: [number, number][] = Array.from({ length: N }, () => [r(), r()]);
    const figOf = (j: number): UnitFigures => ({ site: `s${j % 3}`, reason: 'line', scope: 'site', df: j % 7, of: 10, removals: 1, text: `unit ${j % 5000}` });
    const direct = new RunStats();
    const run = new RunStats();
    const sent = new LaneIndex();
    const seen: number[] = [];
    const removals = new Map<number, number>();
    let stats = new RunStats();
    for (let i = 0; i < 400_000; i++) {
      // Every unit once, in order, then draws biased to the low indexes.
      const j = i < N ? i : Math.abs(r()) % (Math.abs(r()) % N + 1);
      const [k1, k2] = keys[j]!;
      if (!removals.has(j)) seen.push(j);
      removals.set(j, (removals.get(j) ?? 0) + 1);
      direct.removedUnit(k1, k2, () => figOf(j));
      stats.removedUnit(k1, k2, () => figOf(j));
      if (i % 9_999 === 9_998) {
        run.absorb(stats, 0, stats.takeUnits(sent));
        stats = new RunStats();
      }
    }
    run.absorb(stats, 0, stats.takeUnits(sent));
    // The first 100,000 units seen are tracked; every removal of the others is counted untracked.
    const tracked = seen.slice(0, 100_000);
    const untracked = seen.slice(100_000).reduce((a, j) => a + removals.get(j)!, 0);
    expect(direct.report().removedUnitsUntracked).toBe(untracked);
    expect(run.report().removedUnitsUntracked).toBe(untracked);
    const cmp = (a: UnitFigures, b: UnitFigures): number => b.removals - a.removals || b.df - a.df || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0) || (a.site < b.site ? -1 : a.site > b.site ? 1 : 0);
    const top = tracked.map((j) => ({ ...figOf(j), removals: removals.get(j)! })).sort(cmp).slice(0, 500);
    expect(direct.report().removedUnits).toEqual(top);
    expect(run.report().removedUnits).toEqual(top);
  });
});
