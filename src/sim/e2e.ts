/**
 * End-to-end measurements shared by bench/run and `boilerstrip bench`: the CLI in a fresh process over
 * a file (wall time, MB/s, peak RSS), and mawk's two-pass exact-line job as a baseline.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin/boilerstrip');

export interface E2E {
  what: string;
  bytes: number;
  seconds: number;
  mbps: number;
  peakRssMB: number | null;
}

/** Run a command, timing it, its stdout to /dev/null; peak RSS from /usr/bin/time when it is there. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { seconds: number; rssMB: number | null; stderr: string; status: number | null } {
  const useTime = fs.existsSync('/usr/bin/time');
  const devNull = fs.openSync('/dev/null', 'w');
  const o = { encoding: 'utf8' as const, env: { ...process.env, ...env }, maxBuffer: 1 << 26, stdio: ['ignore', devNull, 'pipe'] as ['ignore', number, 'pipe'] };
  const t0 = performance.now();
  const r = useTime ? spawnSync('/usr/bin/time', ['-f', 'BSRSS %M', cmd, ...args], o) : spawnSync(cmd, args, o);
  const seconds = (performance.now() - t0) / 1000;
  fs.closeSync(devNull);
  const m = /BSRSS (\d+)/.exec(r.stderr ?? '');
  const own = /boilerstrip-peak-rss: (\d+)/.exec(r.stderr ?? '');
  const rss = m ? Number(m[1]) / 1024 : own ? Number(own[1]) / 1e6 : null;
  return { seconds, rssMB: rss, stderr: r.stderr ?? '', status: r.status };
}

/**
 * `clean` over a file in a fresh process, output to stdout (/dev/null). `bin` runs another build (a
 * baseline timed in the same run); `label` names the row.
 */
export function endToEnd(file: string, threads: number, extra: string[] = [], label = extra.join(' '), bin = BIN): E2E {
  const bytes = fs.statSync(file).size;
  // (Not -o /dev/null: builds before 2026-12-01 renamed a temporary file over it.)
  const r = timed(process.execPath, [bin, 'clean', file, '--quiet', '--threads', String(threads), ...extra], { BOILERSTRIP_PEAK_RSS: '1' });
  if (r.status !== 0) throw new Error(`boilerstrip failed: ${r.stderr}`);
  const who = bin === BIN ? 'boilerstrip' : 'baseline';
  return { what: `${who} clean (--threads ${threads}${label ? ` ${label}` : ''})`, bytes, seconds: r.seconds, mbps: bytes / 1e6 / r.seconds, peakRssMB: r.rssMB };
}

export function mawkBaseline(plain: string, jsonlBytes: number): E2E | null {
  const which = spawnSync('sh', ['-c', 'command -v mawk'], { encoding: 'utf8' });
  if (which.status !== 0) return null;
  const r = timed('sh', ['-c', `mawk 'NR==FNR{c[$0]++;next} c[$0]<5' "$0" "$0"`, plain]);
  if (r.status !== 0) throw new Error(`mawk failed: ${r.stderr}`);
  // MB/s over the JSONL size, so the figures compare the same crawl.
  return { what: 'mawk two-pass exact lines (plain text)', bytes: fs.statSync(plain).size, seconds: r.seconds, mbps: jsonlBytes / 1e6 / r.seconds, peakRssMB: r.rssMB };
}

