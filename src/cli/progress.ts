/**
 * The progress line on a terminal: one line on stderr, redrawn in place with \r and cleared at the end.
 * Bytes read of the bytes known (input files), the rate and an ETA; for standard input, whose size is not
 * known, bytes and rate only. Nothing at all when stderr is not a terminal or with --quiet.
 */
import type { Progress } from '../run-options.js';

export interface ProgressSink {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/** "12.3 MB", "1.20 GB" (decimal units, as the summary's MB/s). */
export function formatBytes(n: number): string {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

/** "0:07", "3:25", "1:02:09". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * The line for one progress event, at most `width` characters (a line that wraps cannot be redrawn
 * with \r). `label` names the pass ("pass 1/2", "learn", ...).
 */
export function progressLine(p: Progress, label: string, width = 80): string {
  const rate = p.seconds > 0 ? p.bytes / p.seconds : 0;
  const docs = `  ${p.docs.toLocaleString('en-US')} docs`;
  const rateText = `${formatBytes(Math.round(rate))}/s`;
  let line: string;
  if (p.totalBytes !== null && p.totalBytes > 0) {
    const done = Math.min(1, p.bytes / p.totalBytes);
    // The ETA needs a second or so of rate to mean anything.
    const eta = p.seconds >= 1 && rate > 0 ? `ETA ${formatDuration((p.totalBytes - Math.min(p.bytes, p.totalBytes)) / rate)}` : 'ETA --:--';
    const core = ` ${`${Math.floor(done * 100)}%`.padStart(4)}  ${formatBytes(p.bytes)} of ${formatBytes(p.totalBytes)}  ${rateText}  ${eta}`;
    // The bar's width depends on the terminal's only (not on the figures, which would make it jump); the
    // document count goes first when the line is short of room.
    const room = width - 1 - label.length - 3;
    const withDocs = room - CORE_WIDTH - DOCS_WIDTH;
    const barWidth = Math.min(BAR_MAX, withDocs >= BAR_MIN ? withDocs : room - CORE_WIDTH);
    if (barWidth >= BAR_MIN) {
      const full = Math.floor(done * barWidth);
      line = `${label} [${'#'.repeat(full)}${'-'.repeat(barWidth - full)}]${core}${withDocs >= BAR_MIN ? docs : ''}`;
    } else line = `${label}${core}${label.length + core.length + docs.length < width ? docs : ''}`;
  } else {
    line = `${label}  ${formatBytes(p.bytes)}  ${rateText}${docs}`;
  }
  return line.length > width - 1 ? line.slice(0, Math.max(0, width - 1)) : line;
}

/** Room the figures after the bar take at most (" 100%  999.9 MB of 999.9 MB  999.9 MB/s  ETA 9:59:59"), the document count, and the bar's bounds. */
const CORE_WIDTH = 52;
const DOCS_WIDTH = 16;
const BAR_MIN = 10;
const BAR_MAX = 30;

/**
 * A progress printer for a run: `update` redraws the line, `end` clears it. Inactive (both do nothing)
 * when the sink is not a terminal or `quiet` is set. `labels` name the passes (clean: "pass 1/2",
 * "pass 2/2"; learn or strip alone: one name).
 */
export class ProgressBar {
  readonly active: boolean;
  private shown = false;
  constructor(
    private readonly sink: ProgressSink,
    private readonly labels: Record<1 | 2, string>,
    quiet = false,
  ) {
    this.active = !quiet && sink.isTTY === true;
  }

  /** The onProgress callback for RunOptions, or undefined when inactive (the run then counts nothing). */
  get onProgress(): ((p: Progress) => void) | undefined {
    return this.active ? (p) => this.update(p) : undefined;
  }

  update(p: Progress): void {
    if (!this.active) return;
    this.sink.write(`\r${progressLine(p, this.labels[p.pass], this.sink.columns || 80)}\x1b[K`);
    this.shown = true;
  }

  end(): void {
    if (!this.active || !this.shown) return;
    this.sink.write('\r\x1b[K');
    this.shown = false;
  }
}
