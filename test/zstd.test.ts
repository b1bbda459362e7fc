import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSources, isBad, resolveInputs, type ReadItem } from '../src/io/input.js';
import { isZstd, zstdBlockDecoder, zstdCompressor, zstdDecompress } from '../src/io/zstd.js';
import type { InputSource } from '../src/io/records.js';
import { feedChunks } from '../src/parallel/plan.js';
import { seedPool } from '../src/sim/articles.js';
import { simRecord, simulate } from '../src/sim/generate.js';
import { BIN, run, tmpdir } from './helpers/cli.js';

const dir = tmpdir('bs-zstd-');
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
let crawl = '';
let plainOut = '';
let frame: (b: Uint8Array) => Buffer;

/** `zstd -19 --check` (CLI 1.5.4) of two records: a frame with a content checksum, made by another encoder. */
const CLI_FRAME = Buffer.from('KLUv/SRF/QEAVAN7ImlkIjoxLCJ0ZXh0Ijoi2LPYt9ixINij2YjZhFxubGluZSB0d28ifQoyq9in2YbZiiJ9CgIAYAu1QZUBy2hvlA==', 'base64');
const CLI_TEXT = '{"id":1,"text":"سطر أول\\nline two"}\n{"id":2,"text":"ثاني"}\n';

/** A skippable frame (magic 0x184D2A5?), which readers must step over. */
const skippable = (n: number): Buffer => {
  const b = Buffer.alloc(8 + n, 0x61);
  b.writeUInt32LE(0x184d2a53, 0);
  b.writeUInt32LE(n, 4);
  return b;
};

/** Frames of `piece` bytes each: a multi-frame stream as pzstd or a concatenation writes. */
const frames = (data: Buffer, piece: number): Buffer => {
  const out: Buffer[] = [];
  for (let p = 0; p < data.length; p += piece) out.push(frame(data.subarray(p, p + piece)));
  return Buffer.concat(out);
};

async function decompress(b: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of zstdDecompress([b])) out.push(c);
  return Buffer.concat(out);
}

beforeAll(async () => {
  frame = await zstdCompressor(3);
  const docs = [...simulate(seedPool(path.join(process.cwd(), 'seeds')), { seed: 7, docs: 600 })];
  crawl = path.join(dir, 'crawl.jsonl');
  fs.writeFileSync(crawl, docs.map(simRecord).join('\n') + '\n');
  const r = run(['clean', crawl, '--quiet']);
  expect(r.status, r.stderr).toBe(0);
  plainOut = r.stdout;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('zstd input', () => {
  it('decodes a frame written by the zstd CLI (content checksum), and skippable frames around it', async () => {
    expect(isZstd(CLI_FRAME)).toBe(true);
    expect(isZstd(skippable(3))).toBe(true);
    expect(isZstd(Buffer.from('{"a"'))).toBe(false);
    const f = path.join(dir, 'cli.zst');
    fs.writeFileSync(f, Buffer.concat([skippable(5), CLI_FRAME, skippable(0), CLI_FRAME]));
    const [src] = await resolveInputs([f]);
    expect(src).toMatchObject({ gzip: true, format: 'jsonl' });
    const got: ReadItem[] = [];
    for await (const b of readSources([src!])) got.push(...b);
    expect(got.map((r) => (isBad(r) ? 'bad' : r.raw))).toEqual([...CLI_TEXT.trim().split('\n'), ...CLI_TEXT.trim().split('\n')]);
  });

  it('gives every byte back whatever the pieces the stream arrives in, across frames', async () => {
    const data = fs.readFileSync(crawl);
    const z = frames(data, 100_000);
    expect((await decompress(z)).equals(data)).toBe(true);
    const inPieces = async (b: Buffer, size: number): Promise<Buffer> => {
      const pieces: Buffer[] = [];
      for (let p = 0; p < b.length; p += size) pieces.push(b.subarray(p, p + size));
      const out: Buffer[] = [];
      for await (const c of zstdDecompress(pieces)) out.push(c);
      return Buffer.concat(out);
    };
    for (const size of [7, 4096, 3 << 20]) expect((await inPieces(z, size)).equals(data), `pieces of ${size}`).toBe(true);
    const cli = Buffer.concat([CLI_FRAME, skippable(2), CLI_FRAME]);
    expect((await inPieces(cli, 1)).toString()).toBe(CLI_TEXT + CLI_TEXT);
  });

  it('a frame that ends as the 1 MB output buffer fills is whole, not truncated', async () => {
    // (The decoder was called once more then, and waited for another frame's header: "zstd stream is truncated".)
    for (const size of [1 << 20, 3 << 20, (1 << 20) + 1]) {
      const data = Buffer.alloc(size, 0x61);
      expect((await decompress(frame(data))).equals(data), `${size} bytes`).toBe(true);
      expect((await decompress(Buffer.concat([frame(data), frame(data)]))).length, `two frames of ${size} bytes`).toBe(2 * size);
    }
  });

  it('.zst in gives the bytes plain gives: one and two threads, a name without extension, stdin, strip', () => {
    const data = fs.readFileSync(crawl);
    const zst = path.join(dir, 'crawl.jsonl.zst');
    fs.writeFileSync(zst, frame(data));
    const multi = path.join(dir, 'crawl-no-extension');
    fs.writeFileSync(multi, Buffer.concat([skippable(16), frames(data, 50_000)]));
    const env = { BOILERSTRIP_CHUNK_BYTES: String(64 * 1024) };
    for (const f of [zst, multi]) {
      for (const t of ['1', '2']) {
        const r = run(['clean', f, '--quiet', '--threads', t], { env });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout, `${path.basename(f)} --threads ${t}`).toBe(plainOut);
      }
    }
    expect(run(['clean', '-', '--quiet', '--threads', '2'], { env, input: fs.readFileSync(multi) }).stdout).toBe(plainOut);
    const m = path.join(dir, 'crawl.model');
    expect(run(['learn', zst, '-m', m, '--quiet', '--threads', '2'], { env }).status).toBe(0);
    expect(run(['strip', '-m', m, '--quiet', '--threads', '2'], { env, input: fs.readFileSync(zst) }).stdout).toBe(plainOut);
  });

  it("the report's throughput.bytesIn of a .zst (and a .gz) is its size on disk at 1, 2 and 3 threads, file or stdin", () => {
    const data = fs.readFileSync(crawl);
    const zst = path.join(dir, 'bytes-in.jsonl.zst');
    fs.writeFileSync(zst, frames(data, 200_000));
    const gz = path.join(dir, 'bytes-in.jsonl.gz');
    fs.writeFileSync(gz, gzipSync(data));
    const rep = path.join(dir, 'bytes-in.json');
    // Small chunks: many of them, so two and three threads do cut the input (a .zst is then spooled plain).
    const env = { BOILERSTRIP_CHUNK_BYTES: String(16 * 1024) };
    const cases: [file: string, threads: string, stdin: boolean][] = [[zst, '1', false], [zst, '2', false], [zst, '3', false], [zst, '2', true], [gz, '1', false], [gz, '2', false]];
    for (const [f, t, stdin] of cases) {
      const size = fs.statSync(f).size;
      expect(size).toBeLessThan(data.length / 2);
      const what = `${path.basename(f)}${stdin ? ' on stdin' : ''} --threads ${t}`;
      const r = run(['clean', stdin ? '-' : f, '--quiet', '--threads', t, '--report', rep], { env, input: stdin ? fs.readFileSync(f) : undefined });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout, what).toBe(plainOut);
      expect(JSON.parse(fs.readFileSync(rep, 'utf8')).throughput.bytesIn, what).toBe(size);
    }
  });

  it('the progress of a .zst spooled plain counts its compressed bytes, in proportion, adding up to its size', async () => {
    const data = fs.readFileSync(crawl);
    const spooled: InputSource = { name: crawl, gzip: false, format: 'jsonl', bytes: data.length, compressedBytes: 123_457 };
    let counted = 0;
    let chunks = 0;
    for await (const _ of feedChunks([spooled], { onBytes: (n) => (counted += n) })) chunks++;
    expect(chunks).toBeGreaterThan(1); // (1 MB chunks in this process)
    expect(counted).toBe(123_457);
  });
});

describe('compressed output', () => {
  it('-o .zst and .gz, and --compress to stdout, decompress to exactly the plain output', async () => {
    const plain = path.join(dir, 'out.jsonl');
    expect(run(['clean', crawl, '--quiet', '-o', plain]).status).toBe(0);
    const want = fs.readFileSync(plain);
    expect(want.toString()).toBe(plainOut);
    const zo = path.join(dir, 'out.jsonl.zst');
    const go = path.join(dir, 'out.jsonl.gz');
    expect(run(['clean', crawl, '--quiet', '-o', zo]).status).toBe(0);
    expect(run(['clean', crawl, '--quiet', '-o', go]).status).toBe(0);
    expect(isZstd(fs.readFileSync(zo))).toBe(true);
    expect((await decompress(fs.readFileSync(zo))).equals(want)).toBe(true);
    expect(gunzipSync(fs.readFileSync(go)).equals(want)).toBe(true);
    // One gzip member: the trailer's length is the whole output's, so tools that read one member see all.
    expect(fs.readFileSync(go).readUInt32LE(fs.statSync(go).size - 4)).toBe(want.length);
    // Bigger than one 4 MB segment: several zstd frames and gzip segments.
    const big = path.join(dir, 'big.jsonl');
    fs.writeFileSync(big, fs.readFileSync(crawl, 'utf8').repeat(10));
    const bigPlain = run(['strip', '-m', path.join(dir, 'crawl.model'), big, '--quiet']);
    expect(bigPlain.stdout.length).toBeGreaterThan(5 << 20);
    for (const c of ['zstd', 'gzip']) {
      const r = spawnBytes(['strip', '-m', path.join(dir, 'crawl.model'), big, '--quiet', '--compress', c]);
      const back = c === 'zstd' ? await decompress(r) : gunzipSync(r);
      expect(back.toString(), c).toBe(bigPlain.stdout);
    }
    // The extension decides for -o unless --compress is given; output read back as input.
    const forced = path.join(dir, 'forced.jsonl.zst');
    expect(run(['clean', crawl, '--quiet', '-o', forced, '--compress', 'none']).status).toBe(0);
    expect(fs.readFileSync(forced).equals(want)).toBe(true);
    expect(run(['strip', '-m', path.join(dir, 'crawl.model'), zo, '--quiet', '--min-docs', '1000000']).stdout).toBe(plainOut);
    expect(run(['clean', crawl, '--quiet', '--compress', 'lz4']).stderr).toMatch(/--compress must be zstd, gzip or none/);
  });

  it('a failed run leaves no partial compressed file', () => {
    const bad = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(bad, fs.readFileSync(crawl, 'utf8') + '{"text": nope}\n');
    const d = tmpdir('bs-zstd-out-');
    for (const name of ['x.jsonl.zst', 'x.jsonl.gz']) {
      const r = run(['clean', bad, '--quiet', '-o', path.join(d, name)]);
      expect(r.status).toBe(2);
    }
    expect(fs.readdirSync(d)).toEqual([]);
    fs.rmSync(d, { recursive: true });
  });
});

describe('bad zstd input', () => {
  it('a truncated .zst: FILE: zstd stream is truncated, exit 2; stdin too', () => {
    const z = frame(fs.readFileSync(crawl));
    const f = path.join(dir, 'cut.jsonl.zst');
    fs.writeFileSync(f, z.subarray(0, z.length - 100));
    const r = run(['clean', f, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${f}: zstd stream is truncated`);
    const s = run(['strip', '-m', path.join(dir, 'crawl.model'), '--quiet'], { input: z.subarray(0, 20_000) });
    expect(s.status).toBe(2);
    expect(s.stderr).toContain('-: zstd stream is truncated');
    const c = run(['clean', '--quiet', '--threads', '2'], { input: z.subarray(0, z.length - 1) });
    expect(c.status).toBe(2);
    expect(c.stderr).toContain('-: zstd stream is truncated');
  });

  it('a corrupt frame: FILE: zstd stream is corrupt: why, exit 2', () => {
    // A byte of the CLI frame's literals changed: its content checksum no longer matches.
    const flipped = Buffer.from(CLI_FRAME);
    flipped[20] = flipped[20]! ^ 0x20;
    const f = path.join(dir, 'flipped.jsonl.zst');
    fs.writeFileSync(f, flipped);
    const r = run(['clean', f, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${f}: zstd stream is corrupt: checksum mismatch`);
    // A second frame whose magic is broken.
    const g = path.join(dir, 'badmagic.jsonl.zst');
    const second = Buffer.from(CLI_FRAME);
    second[1] = 0;
    fs.writeFileSync(g, Buffer.concat([CLI_FRAME, second]));
    const s = run(['clean', g, '--quiet', '--threads', '2']);
    expect(s.status).toBe(2);
    expect(s.stderr).toMatch(new RegExp(`${esc(g)}: zstd stream is corrupt: unknown frame descriptor`));
    // Trailing garbage that is not a frame at all; and gzip still says gzip.
    const h = path.join(dir, 'garbage.jsonl.zst');
    fs.writeFileSync(h, Buffer.concat([CLI_FRAME, Buffer.from('garbage!')]));
    expect(run(['clean', h, '--quiet']).stderr).toContain(`${h}: zstd stream is corrupt`);
    const gz = gzipSync(CLI_TEXT);
    const i = path.join(dir, 'cut.gz');
    fs.writeFileSync(i, gz.subarray(0, gz.length - 5));
    expect(run(['clean', i, '--quiet']).stderr).toMatch(/gzip stream is (truncated|corrupt)/);
  });

  it('a block (a Parquet page) that decompresses past its announced size names the zstd error, not only its number', async () => {
    const text = Buffer.from(CLI_TEXT.repeat(20));
    const block = (await zstdCompressor(3))(text);
    const decode = await zstdBlockDecoder();
    expect(Buffer.from(decode(block, text.length)).equals(text)).toBe(true);
    expect(() => decode(block, 100)).toThrow(/^decompresses past the size announced: zstd error 70, destination too small$/);
  });

  it('a streamed line longer than a chunk, under --max-doc-bytes, comes out whole (.gz, .zst; 1 and 2 threads)', () => {
    // (Its pieces after the first chunk are held apart and joined once its newline comes: plan.ts streamChunks.)
    const long = `{"id":"long","text":"${'Lorem ipsum dolor sit amet. '.repeat(60_000)}"}`;
    const lines = fs.readFileSync(crawl, 'utf8').split('\n');
    lines.splice(400, 0, long);
    lines.splice(100, 0, long);
    const data = Buffer.from(lines.join('\n'));
    const plain = path.join(dir, 'long-lines.jsonl');
    fs.writeFileSync(plain, data);
    const want = run(['clean', plain, '--quiet']);
    expect(want.status, want.stderr).toBe(0);
    expect(want.stdout.split('"id":"long"').length).toBe(3);
    const gz = path.join(dir, 'long-lines.jsonl.gz');
    fs.writeFileSync(gz, gzipSync(data));
    const zst = path.join(dir, 'long-lines.jsonl.zst');
    fs.writeFileSync(zst, frames(data, 300_000));
    for (const f of [gz, zst]) {
      for (const t of ['1', '2']) {
        const r = run(['clean', f, '--quiet', '--threads', t]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout === want.stdout, `${path.basename(f)} --threads ${t}`).toBe(true);
      }
    }
  });

  it('a decompression bomb streams in bounded memory and meets --max-doc-bytes', () => {
    // 40 KB of identical frames that expand to 768 MB: one line with no newline, then a good record.
    const piece = frame(Buffer.alloc(4 << 20, 0x78));
    const f = path.join(dir, 'bomb.jsonl.zst');
    fs.writeFileSync(f, Buffer.concat([frame(Buffer.from('{"text":"')), ...Array<Buffer>(192).fill(piece), frame(Buffer.from('"}\n{"text":"after"}\n'))]));
    expect(fs.statSync(f).size).toBeLessThan(100_000);
    const env = { BOILERSTRIP_PEAK_RSS: '1' };
    const r = run(['clean', f, '--quiet'], { env });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${esc(f)}:1: record is at least \\d+ bytes, over --max-doc-bytes 64000000 \\(not read to its end\\)`));
    // On threads clean would spool the .zst decompressed: past 20x its size it reads it compressed instead,
    const tmp = tmpdir('bs-zstd-spool-');
    const t = run(['clean', f, '--quiet', '--threads', '2', '--tmp-dir', tmp]);
    expect(t.status, t.stderr).toBe(2);
    expect(t.stderr).toMatch(new RegExp(`${esc(f)}:1: record is at least \\d+ bytes, over --max-doc-bytes 64000000 \\(not read to its end\\)`));
    expect(fs.readdirSync(tmp)).toEqual([]);
    // ...and its threads read past the line as the main thread does (it was a crash: a 768 MB string).
    const u = run(['clean', f, '--quiet', '--threads', '2', '--tmp-dir', tmp, '--on-error', 'skip']);
    expect(u.status, u.stderr).toBe(0);
    expect(u.stdout).toBe('{"text":"after"}\n');
    fs.rmSync(tmp, { recursive: true, force: true });
    const s = run(['clean', f, '--quiet', '--on-error', 'skip'], { env });
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toBe('{"text":"after"}\n');
    const rss = Number(/boilerstrip-peak-rss: (\d+)/.exec(s.stderr)?.[1]);
    // ~400 MB whether the line is 96 MB or 768 MB (the oversized-line path costs about that on a plain file too).
    expect(rss).toBeGreaterThan(0);
    expect(rss).toBeLessThan(512 * 1024 * 1024);
  });

  it('a one-line bomb stops a fail-mode run at --max-doc-bytes, read no further (.gz, .zst, stdin; 1 and 2 threads); skip reads past it', () => {
    // Two records, then a line of 24 MB: the stream is cut after it, which a reader that went on would report.
    const head = Buffer.from('{"text":"a"}\n{"text":"b"}\n{"text":"');
    const line = Buffer.alloc(24 << 20, 0x78);
    const tail = Buffer.from('"}\n{"text":"after"}\n');
    const gz = gzipSync(Buffer.concat([head, line, tail]));
    const zst = Buffer.concat([frame(head), ...Array<Buffer>(6).fill(frame(line.subarray(0, 4 << 20))), frame(tail)]);
    const files = { gz: path.join(dir, 'cut-bomb.jsonl.gz'), zst: path.join(dir, 'cut-bomb.jsonl.zst') };
    fs.writeFileSync(files.gz, gz.subarray(0, gz.length - 30));
    fs.writeFileSync(files.zst, zst.subarray(0, zst.length - 20));
    const whole = { gz: path.join(dir, 'bomb.jsonl.gz'), zst: path.join(dir, 'bomb2.jsonl.zst') };
    fs.writeFileSync(whole.gz, gz);
    fs.writeFileSync(whole.zst, zst);
    const tmp = tmpdir('bs-zstd-spool-');
    const stop = (name: string): RegExp => new RegExp(`^boilerstrip: ${esc(name)}:3: record is at least \\d+ bytes, over --max-doc-bytes 1000000 \\(not read to its end\\)\n$`);
    for (const t of ['1', '2']) {
      for (const kind of ['gz', 'zst'] as const) {
        const r = run(['clean', files[kind], '--max-doc-bytes', '1MB', '--threads', t, '--tmp-dir', tmp]);
        expect(r.status, `${kind} ${t}`).toBe(2);
        expect(r.stderr, `${kind} ${t}`).toMatch(stop(files[kind]));
        const rep = path.join(dir, 'bomb-skip.json');
        const s = run(['clean', whole[kind], '--quiet', '--max-doc-bytes', '1MB', '--threads', t, '--tmp-dir', tmp, '--on-error', 'skip', '--report', rep]);
        expect(s.status, s.stderr).toBe(0);
        expect(s.stdout).toBe('{"text":"a"}\n{"text":"b"}\n{"text":"after"}\n');
        expect(JSON.parse(fs.readFileSync(rep, 'utf8')).records).toMatchObject({ in: 4, out: 3, rejected: 1, rejectedBy: { E_DOC_TOO_LARGE: 1 } });
      }
      // Plain standard input, which learn streams, too (clean spools it to a file first; a plain file is cut by
      // its planner, which reads the line to its end).
      const p = run(['learn', '-', '-m', path.join(dir, 'bomb.model'), '--max-doc-bytes', '1MB', '--threads', t], { input: Buffer.concat([head, line, tail]) });
      expect(p.status).toBe(2);
      expect(p.stderr).toMatch(stop('-'));
    }
    expect(fs.readdirSync(tmp)).toEqual([]);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});

/** The CLI's stdout as bytes (compressed output is not UTF-8). */
function spawnBytes(args: string[]): Buffer {
  const r = spawnSync(process.execPath, [BIN, ...args], { maxBuffer: 1 << 30 });
  expect(r.status, r.stderr.toString()).toBe(0);
  return r.stdout;
}
