import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Model } from '../src/model.js';
import { loadModel, mergeModelFiles, mergeModels, saveModel } from '../src/store.js';
import { Stripper } from '../src/strip.js';
import { BoilerstripError } from '../src/errors.js';
import { tag } from './helpers/words.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-model-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function corpus(n: number, seed: number): { text: string; site: string }[] {
  const out = [];
  for (let i = 0; i < n; i++) {
    const site = `s${(i * seed) % 3}.com`;
    out.push({ site, text: `شريط الأخبار العاجلة\nعنوان فريد ${tag(i * 7919 + seed)} عن موضوع ${tag(i)}\nفقرة من المتن ${tag(i)} ${tag(seed)} لا تتكرر في أي صفحة أخرى من الموقع على الإطلاق\nجميع الحقوق محفوظة ${site}` });
  }
  return out;
}

function learn(docs: { text: string; site: string }[]): Model {
  const m = new Model({ maxMemory: 64 << 20 });
  for (const d of docs) m.learnDoc(d.text, d.site);
  return m;
}

function stripAll(m: Model, docs: { text: string; site: string }[]): string[] {
  const s = new Stripper(m, { minDocs: 3 });
  return docs.map((d) => s.strip(d.text, d.site).text);
}

describe('model files', () => {
  it('round-trips: a loaded model strips exactly like the one saved', () => {
    const docs = corpus(60, 1);
    const m = learn(docs);
    const f = path.join(dir, 'a.model');
    saveModel(m, f);
    const back = loadModel(f);
    expect(back.docs).toBe(m.docs);
    expect(back.counter.size).toBe(m.counter.size);
    expect([...back.sites]).toEqual([...m.sites].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    expect(stripAll(back, docs)).toEqual(stripAll(m, docs));
    expect(stripAll(m, docs)[0]).not.toContain('شريط الأخبار العاجلة');
  });

  it('a model of no documents (an empty shard) saves, loads and merges as any other', () => {
    const empty = path.join(dir, 'empty.model');
    saveModel(learn([]), empty);
    const back = loadModel(empty);
    expect(back.docs).toBe(0);
    expect(back.counter.size).toBe(0);
    // A shard with nothing in it takes nothing from the sum.
    const docs = corpus(40, 1);
    const full = path.join(dir, 'full.model');
    saveModel(learn(docs), full);
    const merged = mergeModelFiles([empty, full]);
    expect(merged.docs).toBe(40);
    expect(stripAll(merged, docs)).toEqual(stripAll(learn(docs), docs));
  });

  it('merge is exact and order-independent: merged shards strip like one model', () => {
    const a = corpus(40, 1);
    const b = corpus(50, 2);
    const whole = learn([...a, ...b]);
    const ab = mergeModels([learn(a), learn(b)]);
    const ba = mergeModels([learn(b), learn(a)]);
    for (const m of [ab, ba]) {
      expect(m.docs).toBe(whole.docs);
      expect(m.counter.size).toBe(whole.counter.size);
      expect(stripAll(m, [...a, ...b])).toEqual(stripAll(whole, [...a, ...b]));
    }
    const f1 = path.join(dir, 'ab.model');
    const f2 = path.join(dir, 'ba.model');
    saveModel(ab, f1);
    saveModel(ba, f2);
    expect(fs.readFileSync(f1).equals(fs.readFileSync(f2))).toBe(true);
    // Merging the files one at a time (what `boilerstrip merge` does) writes the same model.
    const fa = path.join(dir, 'a-part.model');
    const fb = path.join(dir, 'b-part.model');
    saveModel(learn(a), fa);
    saveModel(learn(b), fb);
    const f3 = path.join(dir, 'files.model');
    saveModel(mergeModelFiles([fb, fa]), f3);
    expect(fs.readFileSync(f3).equals(fs.readFileSync(f1))).toBe(true);
  });

  it('refuses corrupt, truncated, foreign and future-version files with a clear message', () => {
    const m = learn(corpus(20, 3));
    const f = path.join(dir, 'c.model');
    saveModel(m, f);
    const good = fs.readFileSync(f);
    const cases: [string, Buffer, RegExp][] = [
      ['flip', Buffer.from(good.map((b, i) => (i === good.length - 40 ? b ^ 0xff : b))), /checksum|corrupt/],
      ['truncated', good.subarray(0, good.length - 100), /truncated|corrupt/],
      // Cut inside the header, and one byte short: "truncated", said plainly.
      ['cut-in-header', good.subarray(0, 100), /model file is truncated: 100 bytes, its header alone needs \d+$/],
      ['one-byte-short', good.subarray(0, good.length - 1), /model file is truncated: it ends at byte \d+, inside the 4 bytes read from byte \d+$/],
      ['foreign', Buffer.from('{"this": "is json, not a model"}\n'.repeat(3)), /not a boilerstrip model/],
      ['empty', Buffer.alloc(0), /too short|not a boilerstrip model/],
      ['future', Buffer.concat([good.subarray(0, 8), Buffer.from([99, 0, 0, 0]), good.subarray(12)]), /newer than this boilerstrip/],
      ['trailing', Buffer.concat([good, Buffer.from('xx')]), /trailing|checksum/],
    ];
    for (const [name, bytes, msg] of cases) {
      const p = path.join(dir, `${name}.model`);
      fs.writeFileSync(p, bytes);
      let err: unknown;
      try {
        loadModel(p);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(BoilerstripError);
      expect((err as BoilerstripError).code).toBe('E_MODEL');
      expect((err as Error).message).toContain(p);
      expect((err as Error).message, name).toMatch(msg);
    }
  });

  it('refuses to merge models learned with different settings, and says which', () => {
    const a = new Model({ templates: true });
    const b = new Model({ templates: false });
    expect(() => mergeModels([a, b])).toThrow(/template keys on vs off/);
  });
});

describe('pruning the final model', () => {
  it('merge --prune-below 2 keeps every decision and refuses thresholds below 2', () => {
    const docs = [...corpus(60, 1), ...corpus(50, 2)];
    const full = learn(docs);
    const pruned = mergeModels([learn(docs)]);
    const dropped = pruned.pruneBelow(2);
    expect(dropped).toBeGreaterThan(0);
    expect(pruned.counter.size).toBeLessThan(full.counter.size);
    // Exactly the units in 2+ documents stay, each with its count (none lost when the table is re-placed).
    const fc = full.counter;
    let twoPlus = 0;
    for (let i = 0; i < fc.capacity; i++) {
      const n = fc.cnt[i]!;
      if (n >= 2) {
        twoPlus++;
        expect(pruned.counter.get(fc.k1[i]!, fc.k2[i]!)).toBe(n);
      }
    }
    expect(pruned.counter.size).toBe(twoPlus);
    expect(full.counter.size - dropped).toBe(twoPlus);
    expect(stripAll(pruned, docs)).toEqual(stripAll(full, docs));
    const f = path.join(dir, 'pruned.model');
    saveModel(pruned, f);
    const back = loadModel(f);
    expect(back.prunedBelow).toBe(2);
    expect(() => new Stripper(back, { minDocs: 1 })).toThrow(/pruned/);
  });

  it("compacting for pass 2 keeps the units of 2+ documents, however the threads' tables were added", () => {
    // Three threads' tables: a unit of one document in each of two tables is a unit of two documents.
    const docs = [...corpus(60, 1), ...corpus(50, 2), ...corpus(40, 3)];
    // Lines in exactly two documents: of the two other tables, and of the first and the last.
    const pair = (a: number, b: number, line: string): void => {
      for (const i of [a, b]) docs[i] = { ...docs[i]!, text: `${docs[i]!.text}\n${line}` };
    };
    pair(60, 120, 'سطر في وثيقتين فقط من جدولين آخرين');
    pair(10, 130, 'سطر في وثيقتين من الجدول الأول والأخير');
    const thirds = [docs.slice(0, 50), docs.slice(50, 100), docs.slice(100)];
    const whole = learn(docs);
    whole.compactBelow(2);
    for (const skip of [false, true]) {
      const main = learn(thirds[0]!);
      const parts = thirds.slice(1).map((t) => learn(t).toParts());
      if (skip) expect(main.canSkipSingles(parts)).toBe(true);
      // (As pool.ts adds them: the table pass 2's threads read goes to shared memory.)
      if (!skip) main.counter.useSharedMemory();
      main.addParts(parts, skip, true);
      main.compactBelow(2);
      for (const a of [main.counter.k1, main.counter.k2, main.counter.cnt]) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(main.counter.size).toBe(whole.counter.size);
      expect(main.counter.capacity).toBe(whole.counter.capacity);
      const w = whole.counter;
      for (let i = 0; i < w.capacity; i++) if (w.cnt[i] !== 0) expect(main.counter.get(w.k1[i]!, w.k2[i]!)).toBe(w.cnt[i]);
      expect(stripAll(main, docs)).toEqual(stripAll(whole, docs));
    }
    // A table that spilled, or was pruned, keeps its units of one document for the sum.
    const pruned = learn(thirds[2]!).toParts();
    pruned.prune.events = 1;
    expect(learn(thirds[0]!).canSkipSingles([pruned])).toBe(false);
  });
});
