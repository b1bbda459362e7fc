/**
 * `boilerstrip bench`: the end-to-end figure on this machine, on a generated Arabic crawl of --size, or
 * on your own dump (--input). Times `boilerstrip clean FILE -o /dev/null` in a fresh process for each
 * --threads value, with peak RSS, and mawk's two-pass exact-line job on the same text as the baseline
 * when mawk is installed. The benches in bench/ break the same figure down per stage.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BoilerstripError } from './errors.js';
import { resolveInputs, readSources, isBad } from './io/input.js';
import { loadPool } from './sim/articles.js';
import { writeCrawl } from './sim/crawl-file.js';
import { endToEnd, mawkBaseline, type E2E } from './sim/e2e.js';

export interface BenchArgs {
  size: number;
  input?: string;
  threads: number[];
  seed: number;
  keep?: boolean;
  tmpDir?: string;
}

/** The text field of every record, one after another (what an awk job would read). */
async function plainText(input: string, out: string): Promise<void> {
  const fd = fs.openSync(out, 'w');
  try {
    for await (const batch of readSources(await resolveInputs([input]), { onInvalidUtf8: () => undefined })) {
      const parts: string[] = [];
      for (const r of batch) {
        if (isBad(r)) continue;
        const t = (r.value as Record<string, unknown>).text;
        if (typeof t === 'string') parts.push(t, '\n');
      }
      fs.writeSync(fd, parts.join(''));
    }
  } finally {
    fs.closeSync(fd);
  }
}

export async function runBench(a: BenchArgs, print: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<{ base: E2E | null; runs: E2E[] }> {
  const dir = fs.mkdtempSync(path.join(a.tmpDir ?? os.tmpdir(), 'boilerstrip-bench-'));
  try {
    let file: string;
    const plain = path.join(dir, 'plain.txt');
    print(`boilerstrip bench: ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, Node ${process.version}, ${new Date().toISOString()}`);
    if (a.input) {
      if (!fs.existsSync(a.input)) throw new BoilerstripError('E_INPUT', 'no such file', { file: a.input });
      file = a.input;
      await plainText(file, plain);
      print(`input: ${file}, ${(fs.statSync(file).size / 1e6).toFixed(1)} MB`);
    } else {
      file = path.join(dir, 'crawl.jsonl');
      const pool = loadPool();
      const st = writeCrawl(pool, { jsonl: file, plain }, { seed: a.seed, bytes: a.size, sites: 400, tinySites: 60 });
      print(`generated crawl (${pool.source} bodies): ${(st.bytes / 1e6).toFixed(1)} MB, ${st.docs} documents${a.keep ? `, kept at ${file}` : ''}`);
    }
    const jsonlBytes = fs.statSync(file).size;
    const base = mawkBaseline(plain, jsonlBytes);
    const runs = a.threads.map((t) => endToEnd(file, t));
    print('\nrun                                              MB/s   seconds  peak RSS   vs mawk');
    const fmt = (e: E2E, ratio: string): string => `${e.what.padEnd(46)} ${e.mbps.toFixed(1).padStart(8)} ${e.seconds.toFixed(2).padStart(9)} ${e.peakRssMB ? `${e.peakRssMB.toFixed(0)} MB`.padStart(9) : '        -'} ${ratio.padStart(9)}`;
    if (base) print(fmt(base, '1.00x'));
    else print('(mawk not installed: no baseline)');
    for (const e of runs) print(fmt(e, base ? `${(e.mbps / base.mbps).toFixed(2)}x` : ''));
    return { base, runs };
  } finally {
    if (a.keep && !a.input) {
      fs.rmSync(path.join(dir, 'plain.txt'), { force: true });
    } else fs.rmSync(dir, { recursive: true, force: true });
  }
}
