import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as api from '../src/index.js';
import { clean, cleanRecord, learn, learnStream, Model, saveModel, strip, stripStream, Stripper, type CleanOptions, type Rec } from '../src/index.js';
import { ROOT, run, tmpdir } from './helpers/cli.js';
import { body, tag } from './helpers/words.js';

const dir = tmpdir('bs-api-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const records = (n: number): Rec[] =>
  Array.from({ length: n }, (_, i) => ({
    id: i,
    url: `https://www.news${i % 2}.example/a/${i}`,
    meta: { lang: 'ar' },
    text: `القائمة الرئيسية للموقع\n${body(i)}\n\nجميع الحقوق محفوظة ${tag(i % 2)}`,
  }));

async function* slowly<T>(xs: T[]): AsyncGenerator<T> {
  for (const x of xs) {
    await Promise.resolve();
    yield x;
  }
}

describe('library API', () => {
  it('learn + strip over async iterables: chrome gone, other fields untouched, order kept', async () => {
    const recs = records(40);
    const model = await learn(slowly(recs));
    expect(model).toBeInstanceOf(Model);
    expect(model.docs).toBe(40);
    expect([...model.sites.keys()].sort()).toEqual(['news0.example', 'news1.example']);
    const out: Rec[] = [];
    for await (const r of strip(slowly(recs), model)) out.push(r);
    expect(out.map((r) => r.id)).toEqual(recs.map((r) => r.id));
    for (const [i, r] of out.entries()) {
      expect(r.text).toBe(body(i));
      expect(r.meta).toEqual({ lang: 'ar' });
      expect(r.url).toBe(recs[i]!.url);
    }
    // The input records are not modified.
    expect(recs[0]!.text).toContain('القائمة الرئيسية');
  });

  it('clean reads its source twice through a factory, and accepts arrays', async () => {
    const recs = records(30);
    const viaFactory: Rec[] = [];
    for await (const r of clean(() => slowly(recs))) viaFactory.push(r);
    const viaArray: Rec[] = [];
    for await (const r of clean(recs)) viaArray.push(r);
    expect(viaArray).toEqual(viaFactory);
    expect(viaArray[3]!.text).toBe(body(3));
  });

  it('annotate keeps the text and adds spans; records without text pass through', async () => {
    const recs: Rec[] = [...records(30), { id: 'no-text' }, { id: 'null', text: null }];
    const out: Rec[] = [];
    for await (const r of clean(recs, { annotate: 'spans' })) out.push(r);
    expect(out[0]!.text).toBe(recs[0]!.text);
    const spans = out[0]!.spans as [number, number, string][];
    expect(spans.length).toBeGreaterThan(0);
    expect(out.at(-2)).toEqual({ id: 'no-text' });
    expect(out.at(-1)).toEqual({ id: 'null', text: null });
  });

  it('Node stream wrappers: learnStream then stripStream', async () => {
    const recs = records(30);
    const ls = learnStream();
    await pipeline(Readable.from(recs), ls);
    expect(ls.model.docs).toBe(30);
    const got: Rec[] = [];
    await pipeline(
      Readable.from(recs),
      stripStream(ls.model),
      new Writable({
        objectMode: true,
        write(r: Rec, _e, cb) {
          got.push(r);
          cb();
        },
      }),
    );
    expect(got.map((r) => r.text)).toEqual(recs.map((_, i) => body(i)));
  });

  it('custom field names', async () => {
    const recs = records(30).map((r) => ({ body: r.text, domain: 'x.example', id: r.id }));
    const out: Rec[] = [];
    for await (const r of clean(recs, { textField: 'body', siteField: 'domain' })) out.push(r);
    expect(out[5]!.body).toBe(body(5));
  });
});

describe('library input that cannot work', () => {
  const drain = async (it: AsyncIterable<Rec>): Promise<number> => {
    let n = 0;
    for await (const _ of it) n++;
    return n;
  };

  it('clean refuses a source it can read only once, and one that gives other records the second time', async () => {
    const recs = records(20);
    await expect(drain(clean((function* () { yield* recs; })()))).rejects.toThrow(/reads its source twice.*fresh iterable/);
    const once = (function* () { yield* recs; })();
    await expect(drain(clean(() => once))).rejects.toThrow(/gave 20 records to the first pass and 0 to the second/);
    expect(await drain(clean(() => recs.values()))).toBe(20);
  });

  it('options out of range and records that are not objects are errors that say which', async () => {
    const recs = records(10);
    await expect(drain(clean(recs, { onEmpty: 'bogus' as 'keep' }))).rejects.toThrow(/onEmpty must be 'keep', 'empty' or 'drop' \(got "bogus"\)/);
    await expect(drain(clean(recs, { minRatio: 5 }))).rejects.toThrow(/minRatio must be a number from 0 to 1 \(got 5\)/);
    await expect(drain(strip(recs, await learn(recs), { minDocs: 0 }))).rejects.toThrow(/minDocs must be a whole number/);
    await expect(learn(recs, { chainRatio: Number.NaN })).rejects.toThrow(/chainRatio/);
    await expect(drain(clean([...recs, null as unknown as Rec]))).rejects.toMatchObject({ code: 'E_RECORD', message: 'record 10 is null, not an object' });
  });
});

describe('every entry point checks its options and records alike', () => {
  const drain = async (it: AsyncIterable<Rec>): Promise<number> => {
    let n = 0;
    for await (const _ of it) n++;
    return n;
  };
  /** Writes `recs` through a stream and waits for its end (the error it ends with, if any). */
  const through = async (recs: unknown[], s: Writable): Promise<void> => {
    const sink = new Writable({ objectMode: true, write: (_r, _e, cb) => cb() });
    await pipeline(Readable.from(recs as Rec[]), ...((s instanceof Transform ? [s, sink] : [s]) as [Writable]));
  };
  /** Each entry point run with `opts`: the error it gives (or undefined). */
  const entryPoints = async (opts: CleanOptions, model: Model): Promise<Record<string, unknown>> => {
    const recs = records(6);
    const got: Record<string, unknown> = {};
    const tries: [string, () => Promise<unknown>][] = [
      ['learn', () => learn(recs, opts)],
      ['strip', () => drain(strip(recs, model, opts))],
      ['clean', () => drain(clean(recs, opts))],
      ['cleanRecord', async () => cleanRecord(recs[0]!, new Stripper(model), opts)],
      ['learnStream', async () => through(recs, learnStream(opts))],
      ['stripStream', async () => through(recs, stripStream(model, opts))],
    ];
    for (const [name, f] of tries) {
      try {
        await f();
        got[name] = undefined;
      } catch (e) {
        got[name] = e;
      }
    }
    return got;
  };

  it('a bad option is the same E_OPTION error from learn, strip, clean, cleanRecord, learnStream and stripStream', async () => {
    const model = await learn(records(20));
    const bad: [CleanOptions, RegExp][] = [
      [{ onEmpty: 'bogus' as 'keep' }, /^option onEmpty must be 'keep', 'empty' or 'drop' \(got "bogus"\)$/],
      [{ minDocs: 0 }, /^option minDocs must be a whole number from 1 to 1000000000 \(got 0\)$/],
      [{ maxMemory: 'abc' as unknown as number }, /^option maxMemory must be a number of bytes \(got "abc"\)$/],
      [{ maxMemory: Number.NaN }, /^option maxMemory must be a number of bytes \(got NaN\)$/],
      [{ maxMemory: 1 }, /^option maxMemory must be at least 16MB \(got 1\)$/],
      [{ maxMemory: -1 }, /^option maxMemory must be at least 16MB \(got -1\)$/],
      [{ textField: 5 as unknown as string }, /^option textField must be a non-empty string \(got 5\)$/],
      [{ textField: '' }, /^option textField must be a non-empty string \(got ""\)$/],
      [{ urlField: {} as unknown as string }, /^option urlField must be a non-empty string \(got \[object Object\]\)$/],
      [{ idField: ['id'] as unknown as string }, /^option idField must be a non-empty string \(got an array\)$/],
      [{ siteField: 7 as unknown as string }, /^option siteField must be a string \(got 7\)$/],
      [{ htmlField: null as unknown as string }, /^option htmlField must be a non-empty string \(got null\)$/],
      [{ htmlField: 'text' }, /^option htmlField must be a field other than textField \(both are "text"\)$/],
      [{ annotate: 'text' }, /^option annotate must be a field other than textField \(both are "text"\)$/],
      [{ annotate: true as unknown as string }, /^option annotate must be a field name \(got true\)$/],
    ];
    for (const [opts, msg] of bad) {
      const got = await entryPoints(opts, model);
      for (const [name, e] of Object.entries(got)) {
        expect(e, `${name} ${JSON.stringify(opts)}`).toBeInstanceOf(api.BoilerstripError);
        expect((e as api.BoilerstripError).code, `${name} ${JSON.stringify(opts)}`).toBe('E_OPTION');
        expect((e as Error).message, `${name} ${JSON.stringify(opts)}`).toMatch(msg);
      }
    }
    // Options that are not an object at all.
    for (const [name, e] of Object.entries(await entryPoints(null as unknown as CleanOptions, model))) {
      expect(e, name).toMatchObject({ code: 'E_OPTION', message: 'options must be an object (got null)' });
    }
    // Good options pass everywhere (a budget of 16 MB and more, as the CLI's --max-memory).
    for (const opts of [{}, { maxMemory: 16e6, onEmpty: 'drop' }, { textField: 'text', siteField: '', annotate: null }] as CleanOptions[]) {
      expect(Object.values(await entryPoints(opts, model)).filter(Boolean)).toEqual([]);
    }
  });

  it('the CLI refuses a small --max-memory with its own message (the check it shares with the library)', () => {
    const f = path.join(dir, 'few.jsonl');
    fs.writeFileSync(f, records(5).map((r) => JSON.stringify(r)).join('\n'));
    const r = run(['learn', f, '-m', path.join(dir, 'few.model'), '--max-memory', '1MB', '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--max-memory must be at least 16MB/);
  });

  it('a record that is not an object is an E_RECORD error from every entry point', async () => {
    const model = await learn(records(20));
    const st = new Stripper(model);
    for (const [rec, what] of [[null, 'null'], [5, 'a number'], ['str', 'a string'], [[1], 'an array']] as const) {
      const msg = `record 1 is ${what}, not an object`;
      const recs = [records(1)[0], rec] as unknown as Rec[];
      await expect(learn(recs)).rejects.toMatchObject({ code: 'E_RECORD', message: msg });
      await expect(drain(strip(recs, model))).rejects.toMatchObject({ code: 'E_RECORD', message: msg });
      await expect(drain(clean(recs))).rejects.toMatchObject({ code: 'E_RECORD', message: msg });
      if (rec !== null) {
        // (Node's object-mode streams refuse null themselves: it ends a stream.)
        await expect(through(recs, learnStream())).rejects.toMatchObject({ code: 'E_RECORD', message: msg });
        await expect(through(recs, stripStream(model))).rejects.toMatchObject({ code: 'E_RECORD', message: msg });
      }
      expect(() => cleanRecord(rec as unknown as Rec, st)).toThrow(expect.objectContaining({ code: 'E_RECORD', message: `record is ${what}, not an object` }));
    }
  });

  it('learn spills a full table to disk as the CLI\'s learn does, and its model is the CLI\'s byte for byte', { timeout: 60_000 }, async () => {
    // 8,000 documents of 25 lines of their own: about 450,000 units, more than a 16 MB table holds.
    const recs: Rec[] = Array.from({ length: 8000 }, (_, i) => ({
      id: i,
      url: `https://news${i % 3}.example/a/${i}`,
      text: ['القائمة الرئيسية', ...Array.from({ length: 25 }, (_, k) => body(i * 25 + k)), `جميع الحقوق محفوظة ${tag(i % 3)}`].join('\n'),
    }));
    const spillDirs = (): string[] => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`boilerstrip-spill-`) && n.includes(`~${process.pid}-`));
    const before = spillDirs();
    const model = await learn(recs, { maxMemory: 16e6 });
    expect(model.prune.events).toBe(0);
    expect(model.spilled?.runs).toBeGreaterThan(0);
    expect(model.prunedBelow).toBe(2);
    expect(spillDirs()).toEqual(before);
    const input = path.join(dir, 'many.jsonl');
    fs.writeFileSync(input, recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const cliModel = path.join(dir, 'many-cli.model');
    const r = run(['learn', input, '-m', cliModel, '--max-memory', '16MB', '--threads', '1', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const libModel = path.join(dir, 'many-lib.model');
    saveModel(model, libModel);
    expect(fs.readFileSync(libModel).equals(fs.readFileSync(cliModel))).toBe(true);
    // learnStream spills the same way and ends with the same model.
    const ls = learnStream({ maxMemory: 16e6 });
    await pipeline(Readable.from(recs), ls);
    expect(ls.model.spilled?.runs).toBeGreaterThan(0);
    const streamModel = path.join(dir, 'many-stream.model');
    saveModel(ls.model, streamModel);
    expect(fs.readFileSync(streamModel).equals(fs.readFileSync(cliModel))).toBe(true);
    expect(spillDirs()).toEqual(before);
    // clean spills too (from 64 MB, or maxMemory when less), and gives the bytes of a table that holds everything.
    const finished = vi.spyOn(Model.prototype, 'finishSpills');
    const collect = async (opts: CleanOptions): Promise<string> => {
      const out: string[] = [];
      for await (const rec of clean(recs, opts)) out.push(JSON.stringify(rec));
      return out.join('\n');
    };
    try {
      const small = await collect({ maxMemory: 16e6 });
      expect((finished.mock.contexts[0] as Model).spilled?.runs).toBeGreaterThan(0);
      expect((finished.mock.contexts[0] as Model).prune.events).toBe(0);
      const whole = await collect({});
      expect((finished.mock.contexts[1] as Model).spilled).toBe(null);
      expect(small === whole).toBe(true);
    } finally {
      finished.mockRestore();
    }
    expect(spillDirs()).toEqual(before);
  });
});

describe('clean checks that pass 2 reads the records pass 1 read', () => {
  it('other records, as many: refused at the first, before anything is yielded', async () => {
    const recs = records(40);
    let calls = 0;
    let yielded = 0;
    const run2 = async (): Promise<void> => {
      for await (const _ of clean(() => (calls++ === 0 ? recs.slice(0, 20) : recs.slice(20, 40)))) yielded++;
    };
    await expect(run2()).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringMatching(/record 0 of the second pass is not record 0 of the first/) });
    expect(yielded).toBe(0);
  });

  it('one record changed: refused at that record, the ones before it yielded', async () => {
    const recs = records(30);
    const changed = recs.map((r, i) => (i === 17 ? { ...r, text: `${r.text as string}!` } : r));
    let calls = 0;
    const got: Rec[] = [];
    const run2 = async (): Promise<void> => {
      for await (const r of clean(() => (calls++ === 0 ? recs : changed))) got.push(r);
    };
    await expect(run2()).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringMatching(/record 17 of the second pass is not record 17 of the first/) });
    expect(got.length).toBe(17);
    // An URL changed is another record too (it places the text in another site).
    calls = 0;
    const moved = recs.map((r, i) => (i === 3 ? { ...r, url: 'https://elsewhere.example/x' } : r));
    await expect(
      (async () => {
        for await (const _ of clean(() => (calls++ === 0 ? recs : moved)));
      })(),
    ).rejects.toThrow(/record 3 of the second pass/);
  });

  it('more records the second time: refused at the first extra one; fewer: refused when the source ends', async () => {
    const recs = records(30);
    let calls = 0;
    let yielded = 0;
    const more = async (): Promise<void> => {
      for await (const _ of clean(() => (calls++ === 0 ? recs.slice(0, 20) : recs))) yielded++;
    };
    await expect(more()).rejects.toMatchObject({ code: 'E_OPTION', message: expect.stringMatching(/gave 20 records to the first pass and more to the second \(record 20 is one too many\)/) });
    expect(yielded).toBe(20);
    calls = 0;
    const fewer = async (): Promise<void> => {
      for await (const _ of clean(() => (calls++ === 0 ? recs : recs.slice(0, 10))));
    };
    await expect(fewer()).rejects.toThrow(/gave 30 records to the first pass and 10 to the second/);
  });

  it('the same records read again (new objects, other fields changed) are accepted, and the output is unchanged', async () => {
    const recs = records(30);
    let calls = 0;
    const got: Rec[] = [];
    for await (const r of clean(() => (calls++ === 0 ? recs : recs.map((x) => structuredClone(x))))) got.push(r);
    const ref: Rec[] = [];
    for await (const r of strip(recs, await learn(recs))) ref.push(r);
    expect(got).toEqual(ref);
  });
});

describe('the package as users import it', () => {
  it("import 'boilerstrip' resolves through package.json to the built library with every export", () => {
    // Run by Node itself (not vitest's resolver): the package's own name, as README's Library section has it.
    const r = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('boilerstrip'); console.log(JSON.stringify(Object.keys(m).sort()))"],
      { cwd: new URL('..', import.meta.url), encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(Object.keys(api).sort());
  });

  it("require('boilerstrip') from CommonJS gives the same library (Node's require of an ES module: no top-level await in its graph)", () => {
    // A project of its own with the package installed (a link to this repository), as a user has it.
    const proj = path.join(dir, 'cjs-user');
    fs.mkdirSync(path.join(proj, 'node_modules'), { recursive: true });
    fs.writeFileSync(path.join(proj, 'package.json'), '{"type":"commonjs","private":true}');
    fs.symlinkSync(ROOT, path.join(proj, 'node_modules', 'boilerstrip'));
    const script = [
      "const b = require('boilerstrip');",
      "const recs = Array.from({ length: 12 }, (_, i) => ({ url: 'https://a.example/' + i, text: 'Menu of the site\\nArticle line ' + 'xyzw'.repeat(i + 1) }));",
      'b.learn(recs).then(async (m) => { const out = []; for await (const r of b.strip(recs, m)) out.push(r.text);',
      '  console.log(JSON.stringify({ keys: Object.keys(b).sort(), first: out[0] })); });',
    ].join('\n');
    fs.writeFileSync(path.join(proj, 'use.js'), script);
    const r = spawnSync(process.execPath, ['use.js'], { cwd: proj, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout) as { keys: string[]; first: string };
    expect(got.keys).toEqual(Object.keys(api).sort());
    expect(got.first).toBe('Article line xyzw');
  });
});
