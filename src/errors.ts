/** Every failure boilerstrip reports on purpose carries a code, and where it happened when that is known. */
export type ErrorCode =
  | 'E_JSON' // a JSONL line or array element is not valid JSON
  | 'E_RECORD' // a record is not a JSON object
  | 'E_DOC_TOO_LARGE' // a record exceeds --max-doc-bytes
  | 'E_GZIP' // a corrupt or truncated compressed stream (gzip or zstd)
  | 'E_PARQUET' // a Parquet file that is truncated or corrupt (footer, page), lacks the text column, or cannot be written back
  | 'E_WARC' // a WARC record whose framing or HTTP payload is broken (lying length, bomb, ...)
  | 'E_INPUT' // a path that does not exist or cannot be read
  | 'E_MODEL' // a corrupt, truncated, foreign or future-version model file
  | 'E_MODEL_MISMATCH' // models learned under different normalization settings
  | 'E_OPTION' // an option out of range or contradictory
  | 'E_OUTPUT' // the output cannot be written
  | 'E_INTERNAL'; // a bug: boilerstrip's own state is inconsistent

/**
 * Text for a message with every control character escaped as JSON writes it (\n, \t, \u001b, …): C0, DEL
 * and C1 controls, and the bidirectional overrides and isolates. Snippets of input in messages (a bad
 * JSON line, a WARC header, decompressed garbage) then cannot retitle or clear a terminal, or hide text.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return UNPRINTABLE.test(s) ? s.replace(UNPRINTABLE_ALL, escapeChar) : s;
}

// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const UNPRINTABLE_ALL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function escapeChar(c: string): string {
  return SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

export class BoilerstripError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly field: string | undefined;
  constructor(code: ErrorCode, message: string, where: { file?: string; line?: number; field?: string } = {}) {
    const loc = where.file !== undefined ? `${where.file}${where.line !== undefined ? `:${where.line}` : ''}: ` : '';
    const fld = where.field !== undefined ? ` (field "${where.field}")` : '';
    super(printable(`${loc}${message}${fld}`));
    this.name = 'BoilerstripError';
    this.code = code;
    this.file = where.file;
    this.line = where.line;
    this.field = where.field;
  }
}
