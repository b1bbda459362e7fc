/** The schema of a Parquet input, shared by the reader (io/parquet.ts), input.ts and the row sinks of output.ts. */
import type { FileMetaData, SchemaElement } from 'hyparquet';

/** A Parquet input as the sink needs it: its schema, and how its rows were read. */
export interface ParquetTable {
  /** Name used in messages. */
  file: string;
  metadata: FileMetaData;
  /** Top-level column names, in order. */
  columns: string[];
  /** The schema rows are written back with: the file's, with the annotations of raw leaves removed. */
  writeSchema: SchemaElement[];
  /** The schema exact mode reads with: writeSchema, with MAP groups read as the structs they are stored as. */
  readSchema: SchemaElement[];
  /** Per top-level column holding a MAP: the value as read to the value as written (see mapFixer). */
  fixers: Map<string, (v: unknown) => unknown>;
  /** Top-level columns holding a raw leaf whose bytes have no meaningful order: written without statistics. */
  noStatistics: Set<string>;
  /** A column the writer cannot write back (INT96 timestamps), if any. */
  unwritable: string | null;
}
