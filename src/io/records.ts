/** What readers give (records, bad records) and take (sources, read options): the types every input format shares. */
import type { ParquetTable } from './parquet-table.js';

/**
 * jsonl, json (one array), text (a file is a document), html (a file is a page), warc (WARC or WET: each
 * HTML response and each WET conversion record is a document), parquet (a row is a record).
 */
export type Format = 'jsonl' | 'json' | 'text' | 'html' | 'warc' | 'parquet';
export type FormatOption = Format | 'auto';

/** One record as read, before any cleaning. */
export interface RawRecord {
  /** Input the record came from ('-' for standard input). */
  file: string;
  /** 1-based source line where the record starts (for JSON arrays too: where the element starts; for Parquet: the row). */
  line: number;
  format: Format;
  /** The parsed value (for Parquet: the row, its values typed as parquet.ts says). */
  value: unknown;
  /**
   * For JSONL: the line as read; for a JSON array element (or a JSON file's one object): its text as read,
   * white space between tokens left out (one line). Untouched fields are written back from it byte for byte.
   */
  raw: string | null;
  /**
   * A Parquet row read as stored (for a Parquet sink) with ReadOptions.idJson: its id's JSON text as the
   * row's JSONL output line writes it (strip-context.ts idJsonOf).
   */
  idJson?: string;
}

/**
 * A record read as its JSON text, its value parsed by JSON.parse when first asked for: a JSONL line read in
 * place (pass 2 often needs only the line), a JSON array element.
 */
export class LazyRecord implements RawRecord {
  private parsed: unknown = undefined;
  constructor(
    readonly file: string,
    readonly line: number,
    readonly format: Format,
    readonly raw: string,
  ) {}

  get value(): unknown {
    if (this.parsed === undefined) this.parsed = JSON.parse(this.raw) as unknown;
    return this.parsed;
  }
}

/** A record that could not be read; what happens to it is the caller's policy (--on-error). */
export interface BadRecord {
  file: string;
  line: number;
  code: 'E_JSON' | 'E_RECORD' | 'E_DOC_TOO_LARGE' | 'E_WARC' | 'E_PARQUET';
  message: string;
  /** The raw line when there is one (for --rejects). */
  raw: string | null;
}

export type ReadItem = RawRecord | BadRecord;

export function isBad(r: ReadItem): r is BadRecord {
  return (r as BadRecord).code !== undefined;
}

export interface ReadOptions {
  format?: FormatOption;
  /** Records (or text files) larger than this are rejected, never buffered whole. */
  maxDocBytes?: number;
  /** Concurrent file probes (format and gzip sniffing, directory walks). */
  concurrency?: number;
  /** Where an input that is not a regular file (a named pipe, `<(cmd)`) is copied to be read (default: the system's). */
  tmpDir?: string;
  /** Standard input, when '-' is among the inputs (tests pass their own). */
  stdin?: NodeJS.ReadableStream;
  /** Field names a plain text file's record gets: {[idField]: path, [textField]: content}. */
  textField?: string;
  /** (Default 'id'.) Parquet: given, it must name a column or struct field of each file (see readParquet). */
  idField?: string;
  /** Counts lines that carried invalid UTF-8 (for HTML: pages with bytes invalid in their charset). */
  onInvalidUtf8?: (file: string, line: number) => void;
  /** Field an HTML file's or WARC response's page goes to (default 'html'). */
  htmlField?: string;
  /**
   * Field holding the URL of WARC records (default 'url'). Parquet: given, it must name a column or struct
   * field of each file, and a dotted one a path through structs (see readParquet).
   */
  urlField?: string;
  /** Parquet: a site field is checked as a URL field is (see readParquet). */
  siteField?: string;
  /** Called with what a file lacks that the run would read, when the run goes on without it (Parquet: no URL column). */
  onWarning?: (file: string, message: string) => void;
  /**
   * Bad WARC records (a lying length, a bomb, …): 'skip' drops them as rejected records and reads on. A
   * streamed JSONL line over maxDocBytes: 'skip' reads past it, else reading stops there (plan.ts streamChunks).
   */
  onError?: 'fail' | 'skip';
  /** Called for each WARC record that is no document (request, metadata, a non-HTML response, …). */
  onNotDocument?: (file: string, type: string) => void;
  /** Called with the size of each block of input bytes read (as stored: compressed bytes for .gz/.zst), for progress. */
  onBytes?: (n: number) => void;
  /** Parquet: read only these columns when present (pass 1 needs the text and the site's fields). */
  onlyFields?: string[];
  /**
   * Parquet: 'json' (default) gives rows for JSONL output (timestamps and dates as ISO strings, DECIMAL as
   * numbers, JSON parsed); 'exact' gives rows a Parquet sink writes back with the same types and values.
   */
  parquetValues?: 'json' | 'exact';
  /** Parquet 'exact': also give each row its id as JSONL output writes it (RawRecord.idJson), for --attributes and the report's samples. */
  idJson?: boolean;
  /** Parquet: called with each file's schema when it is opened, before its rows. */
  onParquetTable?: (table: ParquetTable) => void;
}

export interface InputSource {
  /** Path as given, or '-' for stdin. */
  name: string;
  /** Compressed, gzip or zstd: read as a stream and cut as it is decompressed (threads), never by offset. */
  gzip: boolean;
  /** Of those, zstd (resolveInputs sniffs it): a file is then decompressed on a thread of its own. */
  zstd?: boolean;
  format: Format;
  /** Size on disk (-1 for stdin). */
  bytes: number;
  /**
   * A .zst decompressed to a temporary file (run.ts spoolZstd; `bytes` is then the decompressed size): the
   * size of the compressed file given, which the report's bytesIn and the progress count, as for a
   * compressed file read as it is (the same figure for every --threads).
   */
  compressedBytes?: number;
  /**
   * JSONL whose lines end in CR alone (classic Mac OS; seen in the first 64 KB: CRs and no newline): read
   * as a stream, its CRs made newlines (a raw CR cannot be inside a JSON line, so none is text).
   */
  crLines?: boolean;
  /** Name used in messages when it differs from the path read (the stdin spool is shown as '-'). */
  display?: string;
}
