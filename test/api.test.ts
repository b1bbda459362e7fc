import { spawnSync } from 'node:child_process';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { clean, learn, learnStream, Model, strip, stripStream, type Rec } from '../src/index.js';
import { body, tag } from './helpers/words.js';

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
});
