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
});
