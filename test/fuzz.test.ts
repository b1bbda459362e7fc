import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BoilerstripError } from '../src/errors.js';
import { StringSink } from '../src/io/output.js';
import { Model } from '../src/model.js';
import { cleanSources, learnSources, RunStats, stripSources } from '../src/run.js';
import { loadModel, saveModel } from '../src/store.js';
import type { InputSource } from '../src/io/input.js';
import { body, tag } from './helpers/words.js';
import { tmpdir } from './helpers/cli.js';
import { rng } from './helpers/rng.js';

/**
 * Fuzzing, fixed seed, bounded: random and mutated JSONL, gzip and model bytes. Whatever goes in, the
 * run either finishes with every record accounted for (in = out + rejected + dropped) or stops with a
 * BoilerstripError; nothing else escapes.
 */
const dir = tmpdir('bs-fuzz-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));


function goodCorpus(n: number): Buffer {
  const lines = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify({ id: i, url: `https://s${i % 3}.example/${i}`, text: `قائمة الموقع\n${body(i)}\nجميع الحقوق محفوظة ${tag(i % 2)}` }));
  return Buffer.from(lines.join('\n') + '\n');
}

function mutate(b: Buffer, r: () => number, edits: number): Buffer {
  const out = Buffer.from(b);
  for (let k = 0; k < edits; k++) {
    const i = Math.floor(r() * out.length);
    const op = r();
    if (op < 0.5) out[i] = Math.floor(r() * 256);
    else if (op < 0.75) out[i] = [10, 13, 0x22, 0x5c, 0x7b, 0x7d, 0][Math.floor(r() * 7)]!;
    else out[i] = 0xd8 + Math.floor(r() * 8);
  }
  return op2(out, r);
}
function op2(b: Buffer, r: () => number): Buffer {
  // Sometimes truncate.
  return r() < 0.2 ? b.subarray(0, Math.floor(r() * b.length)) : b;
}

async function runOn(bytes: Buffer, r: () => number): Promise<{ stats: RunStats; out: string } | BoilerstripError> {
  const src: InputSource = { name: '-', gzip: false, format: 'jsonl', bytes: -1 };
  // Random chunking of the byte stream.
  const chunks: Buffer[] = [];
  for (let p = 0; p < bytes.length; ) {
    const n = 1 + Math.floor(r() * 300);
    chunks.push(bytes.subarray(p, p + n));
    p += n;
  }
  try {
    const model = await learnSources([src], { onError: 'skip', stdin: Readable.from(chunks), maxMemory: 32 << 20 });
    const sink = new StringSink();
    const stats = await stripSources(model, [src], sink, { onError: 'skip', stdin: Readable.from(chunks), maxDocBytes: 4000 });
    return { stats, out: sink.toString() };
  } catch (e) {
    if (e instanceof BoilerstripError) return e;
    throw e;
  }
}

describe('fuzz', () => {
  it('mutated JSONL: every record is accounted for, no uncaught exception', async () => {
    const r = rng(42);
    const base = goodCorpus(40);
    for (let round = 0; round < 150; round++) {
      const bytes = round % 10 === 0 ? Buffer.from(Array.from({ length: 2000 }, () => Math.floor(r() * 256))) : mutate(base, r, 1 + Math.floor(r() * 20));
      const res = await runOn(bytes, r);
      if (res instanceof BoilerstripError) continue;
      expect(res.stats.balanced, `round ${round}`).toBe(true);
      const outLines = res.out.split('\n').filter((l) => l.length > 0).length;
      expect(outLines).toBe(res.stats.recordsOut);
      // Every output line is valid JSON.
      for (const l of res.out.split('\n')) if (l) JSON.parse(l);
    }
  });

  it('mutated gzip: a clear E_GZIP error or a balanced run', async () => {
    const r = rng(7);
    const gz = gzipSync(goodCorpus(30));
    for (let round = 0; round < 80; round++) {
      const bytes = mutate(gz, r, 1 + Math.floor(r() * 5));
      const res = await runOn(bytes, r);
      if (res instanceof BoilerstripError) {
        expect(['E_GZIP', 'E_INPUT', 'E_DOC_TOO_LARGE']).toContain(res.code);
        continue;
      }
      expect(res.stats.balanced).toBe(true);
    }
  });

  it('mutated model files: a clear E_MODEL error, or a model that loads', () => {
    const r = rng(9);
    const m = new Model({ maxMemory: 32 << 20 });
    for (let i = 0; i < 50; i++) m.learnDoc(`قائمة\n${body(i)}`, `s${i % 2}`);
    const f = path.join(dir, 'good.model');
    saveModel(m, f);
    const good = fs.readFileSync(f);
    let refused = 0;
    for (let round = 0; round < 200; round++) {
      const p = path.join(dir, `m${round}.model`);
      fs.writeFileSync(p, mutate(good, r, 1 + Math.floor(r() * 4)));
      try {
        loadModel(p);
      } catch (e) {
        expect(e).toBeInstanceOf(BoilerstripError);
        expect((e as BoilerstripError).code).toBe('E_MODEL');
        refused++;
      }
    }
    // The checksum catches (nearly) every mutation.
    expect(refused).toBeGreaterThan(190);
  });
});

describe('properties', () => {
  it('the output does not depend on how the input is chunked', async () => {
    const bytes = goodCorpus(60);
    const a = await runOn(bytes, rng(1));
    const b = await runOn(bytes, rng(2));
    expect(a).not.toBeInstanceOf(BoilerstripError);
    expect((a as { out: string }).out).toBe((b as { out: string }).out);
  });

  it('clean gives the same output and counts with the analysis cache as without, on mutated input', async () => {
    const r = rng(11);
    const base = goodCorpus(60);
    let compared = 0;
    for (let round = 0; round < 40; round++) {
      // Mutations: invalid UTF-8, broken JSON, CR and NUL bytes, truncation.
      const file = path.join(dir, `cache-${round}.jsonl`);
      fs.writeFileSync(file, mutate(base, r, 1 + Math.floor(r() * 15)));
      const src: InputSource = { name: file, gzip: false, format: 'jsonl', bytes: fs.statSync(file).size };
      const runs = [];
      for (const cacheAnalysis of [true, false]) {
        const sink = new StringSink();
        const stats = new RunStats();
        try {
          await cleanSources([src], sink, { onError: 'skip', maxDocBytes: 4000, threads: 1, cacheAnalysis, tmpDir: dir }, stats);
          runs.push({ out: sink.toString(), stats, cached: stats.analysisCached });
        } catch (e) {
          expect(e).toBeInstanceOf(BoilerstripError);
          runs.push({ error: (e as Error).message });
        }
      }
      expect(runs[0]!.cached ?? true, `round ${round}`).toBe(true);
      if ('error' in runs[0]!) {
        expect(runs[1]).toEqual(runs[0]);
        continue;
      }
      compared++;
      expect(runs[0]!.out, `round ${round}`).toBe((runs[1] as { out: string }).out);
      const counts = (x: RunStats): unknown => [x.recordsIn, x.recordsOut, x.rejected, x.changed, x.invalidUtf8Lines, x.charsOut];
      expect(counts(runs[0]!.stats!)).toEqual(counts((runs[1] as { stats: RunStats }).stats));
    }
    expect(compared).toBeGreaterThan(30);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('boilerstrip-cache-'))).toEqual([]);
  });

  it('a corpus with no repeated units comes out byte-identical', async () => {
    const lines = [];
    for (let i = 0; i < 80; i++) lines.push(JSON.stringify({ id: i, n: 1.0, url: `https://u.example/${i}`, text: `${body(i)}\n\n${body(i + 1000)}\r\n${body(i + 2000)}` }).replace('"n":1', '"n":1.0'));
    const bytes = Buffer.from(lines.join('\n') + '\n');
    const res = await runOn(bytes, rng(3));
    expect((res as { out: string }).out).toBe(bytes.toString());
  });
});
