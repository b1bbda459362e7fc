import { describe, expect, it } from 'vitest';
import { formatDuration, progressLine, ProgressBar } from '../src/cli/progress.js';
import type { Progress } from '../src/run-options.js';
import { run } from './helpers/cli.js';

const p = (o: Partial<Progress>): Progress => ({ pass: 1, docs: 1234, chars: 0, seconds: 10, bytes: 50e6, totalBytes: 200e6, ...o });

describe('the progress line', () => {
  it('shows a bar, bytes done of the known total, the rate and an ETA', () => {
    const line = progressLine(p({}), 'pass 1/2', 120);
    expect(line).toMatch(/^pass 1\/2 \[#{7}-{23}\]  25%  50\.0 MB of 200\.0 MB  5\.0 MB\/s  ETA 0:30  1,234 docs$/);
  });

  it('without a known total (stdin): bytes and rate, no bar, no ETA', () => {
    const line = progressLine(p({ totalBytes: null }), 'strip', 120);
    expect(line).toBe('strip  50.0 MB  5.0 MB/s  1,234 docs');
  });

  it('no ETA before a second of rate; never past 100%; never wider than the terminal', () => {
    expect(progressLine(p({ seconds: 0.2 }), 'learn', 120)).toContain('ETA --:--');
    expect(progressLine(p({ bytes: 250e6 }), 'learn', 120)).toContain('100%');
    for (const w of [20, 40, 60, 80]) expect(progressLine(p({}), 'pass 2/2', w).length).toBeLessThan(w);
    expect(formatDuration(3725)).toBe('1:02:05');
  });

  it('draws in place on a terminal and clears at the end; nothing when not a terminal or quiet', () => {
    const out: string[] = [];
    const tty = { isTTY: true, columns: 100, write: (s: string) => out.push(s) };
    const bar = new ProgressBar(tty, { 1: 'pass 1/2', 2: 'pass 2/2' });
    bar.onProgress!(p({}));
    bar.onProgress!(p({ pass: 2 }));
    bar.end();
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^\rpass 1\/2 \[/);
    expect(out[1]).toMatch(/^\rpass 2\/2 \[.*\x1b\[K$/);
    expect(out[2]).toBe('\r\x1b[K');
    for (const [sink, quiet] of [[{ ...tty, isTTY: false }, false], [tty, true]] as const) {
      const silent: string[] = [];
      const b = new ProgressBar({ ...sink, write: (s: string) => silent.push(s) }, { 1: 'x', 2: 'x' }, quiet);
      expect(b.onProgress).toBeUndefined();
      b.update(p({}));
      b.end();
      expect(silent).toEqual([]);
    }
  });

  it('the CLI writes no progress when stderr is not a terminal', () => {
    const r = run(['clean', 'seeds/', '--min-docs', '2', '-o', '/dev/null']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).toMatch(/^boilerstrip: 5 records in/);
  });
});
