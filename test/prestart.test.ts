import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prestartCount } from '../src/parallel/prestart.js';
import { THREADS_MIN_BYTES } from '../src/parallel/threads.js';
import { run, tmpdir } from './helpers/cli.js';

const MB = 1024 * 1024;
const dir = tmpdir('bs-prestart-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('threads started before the command line is parsed (prestart.ts)', () => {
  // Sizes by name: what fs.statSync would say of these files.
  const sizes: Record<string, number> = { 'big.jsonl': 70 * MB, 'half.jsonl': 40 * MB, 'small.jsonl': 1 * MB, 'dump.jsonl.gz': 20 * MB, 'crawl.warc.gz': 500 * MB, 'big.parquet': 900 * MB, 'old-out.txt': 900 * MB, 'array.json': 900 * MB };
  const size = (p: string): number => sizes[p] ?? -1;

  it.each([
    [['clean', 'big.jsonl'], 3],
    [['learn', 'big.jsonl', '-m', 'm.bin'], 3],
    [['strip', '-m', 'm.bin', 'big.jsonl'], 3],
    [['clean', 'half.jsonl', 'half.jsonl'], 3],
    [['clean', 'dump.jsonl.gz'], 3],
    [['clean', 'small.jsonl'], 0],
    [['clean', 'half.jsonl'], 0],
    [['clean', 'big.jsonl', '--threads', '1'], 0],
    [['clean', 'small.jsonl', '--threads', '3'], 2],
    [['clean', 'small.jsonl', '--threads=2'], 1],
    [['clean', 'big.jsonl', '--threads', 'x'], 0],
    [['clean', 'crawl.warc.gz'], 0],
    [['clean', 'big.parquet'], 0],
    [['clean', 'array.json'], 0],
    [['clean', 'small.jsonl', '-o', 'old-out.txt'], 0],
    [['clean', 'missing.jsonl'], 0],
    [['inspect', 'big.jsonl'], 0],
    [['merge', 'big.jsonl', 'big.jsonl'], 0],
    [[], 0],
  ] as [string[], number][])('%j: %i threads beside the main one, as threadsFor would choose on 4 cores', (argv, want) => {
    expect(prestartCount(argv, size, 4)).toBe(want);
  });

  it('none on one core', () => {
    expect(prestartCount(['clean', 'big.jsonl'], size, 1)).toBe(0);
  });

  it('a run that takes fewer threads than were started, or none, gives its output and exits at once', () => {
    // (A sparse file of 64 MB: two records around one line of zeros, read past and rejected.)
    const big = path.join(dir, 'big.jsonl');
    const fd = fs.openSync(big, 'w');
    fs.writeSync(fd, '{"url":"https://a.example/1","text":"one line\\nanother"}\n');
    fs.ftruncateSync(fd, THREADS_MIN_BYTES);
    fs.writeSync(fd, '\n{"url":"https://a.example/2","text":"one line\\nthe second"}\n', THREADS_MIN_BYTES);
    fs.closeSync(fd);
    for (const args of [['--threads', '1'], ['--threads', '3'], []]) {
      const r = run(['clean', big, '--quiet', '--on-error', 'skip', '--max-doc-bytes', '4096', ...args]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(2);
    }
    // Started, and not taken: read as plain text the file is one document (over the limit) on one thread. (A
    // thread left running would keep the process past its end: vitest's timeout would fail the test.)
    const t = run(['clean', big, '--format', 'text', '--on-error', 'skip', '--max-doc-bytes', '4096']);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/1 records? in, 0 out/);
    // Nor does a command that stops at its help.
    expect(run(['learn', big, '--help']).status).toBe(0);
  });
});
