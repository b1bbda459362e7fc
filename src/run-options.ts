/** The options of a run (CLI and library), shared by the serial pass and the worker threads. */
import type { ReadOptions } from './io/input.js';
import type { LearnOptions } from './model.js';
import type { FieldOptions } from './record.js';
import type { StripOptions } from './strip.js';

export type OnError = 'fail' | 'skip';
export type OnEmpty = 'keep' | 'empty' | 'drop';
/** The values of OnEmpty (the CLI and the library check against them). */
export const ON_EMPTY: readonly OnEmpty[] = ['keep', 'empty', 'drop'];

/** The least budget of the count table (--max-memory, the library's maxMemory). */
export const MIN_MAX_MEMORY = 16e6;

/**
 * Why a count table budget in bytes is refused, or null: the CLI's --max-memory (after its size is read)
 * and the library's maxMemory are checked here, each naming the option its own way.
 */
export function maxMemoryProblem(bytes: unknown): string | null {
  if (typeof bytes !== 'number' || Number.isNaN(bytes)) return 'must be a number of bytes';
  if (bytes < MIN_MAX_MEMORY) return 'must be at least 16MB';
  return null;
}

export interface RunOptions extends FieldOptions, StripOptions, LearnOptions, ReadOptions {
  /** Worker threads for both passes (plain JSONL files are split into chunks). Default: the number of cores
   * for 64 MB or more of plain JSONL, else 1. */
  threads?: number;
  /** Bad records: stop with an error (default) or skip and count them. */
  onError?: OnError;
  /** With onError 'skip': write each rejected raw line to this file. */
  rejects?: string;
  /** Keep the text and add the removed spans under this field instead of removing them. */
  annotate?: string | null;
  /**
   * Write Dolma attribute files (chrome spans per record, code point offsets) under this directory, one
   * per input file (io/attributes.ts), in input order for every thread count.
   */
  attributes?: string;
  /** A document whose every line is chrome: keep it unchanged (default), emit it empty, or drop it. */
  onEmpty?: OnEmpty;
  /** Collect per-site figures and removed units for the report. */
  collectReport?: boolean;
  /** Called now and then with progress. */
  onProgress?: (p: Progress) => void;
  /** Directory for the stdin spool and clean's analysis cache. */
  tmpDir?: string;
  /** clean: keep pass 1's analyses for pass 2 in a temporary file (about a quarter of the input). Default true. */
  cacheAnalysis?: boolean;
}

export interface Progress {
  pass: 1 | 2;
  docs: number;
  chars: number;
  seconds: number;
  /** Input bytes read so far in this pass (as stored: compressed bytes of .gz/.zst files). */
  bytes: number;
  /** Input bytes of the pass when known (files), null when not (standard input). */
  totalBytes: number | null;
}
