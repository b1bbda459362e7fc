/**
 * JSON files: the elements of a top-level array (or a file's one top-level object) as records, tokenized by
 * stream-json element by element (see readJsonArray). Its own module since the reader grew limits, start
 * lines and resynchronization after a break (session 13); io/input.ts hands it a file's bytes.
 */
import { isUtf8 } from 'node:buffer';
import { jsonParser } from 'stream-json/core/parser.js';
import { none } from 'stream-chain/core';
import { BoilerstripError, printable } from '../errors.js';
import { decode } from './blocks.js';
import { LazyRecord, type BadRecord, type ReadItem, type ReadOptions } from './records.js';

/**
 * Nesting deeper than this in a JSON array element is refused. (Set when an element was written back with
 * JSON.stringify, which overflows the stack near 4,000 levels; it is written back from its own text now, and
 * so is its --attributes id (strip-context.ts idJsonOf), which the report's samples show too: nothing
 * known still needs the limit, which stays until that is tested.)
 */
export const JSON_ELEMENT_MAX_DEPTH = 1000;

/** A token of stream-json's tokenizer (keys, strings and numbers streamed in pieces, never packed). */
interface JsonToken {
  name: string;
  value?: unknown;
}
type JsonTokenizer = (text: string | typeof none) => { values: JsonToken[] } | typeof none;

/** stream-json's tokenizer (its Parser without the Node stream), called as a function on text, chunk by chunk. */
function jsonTokenizer(): JsonTokenizer {
  return jsonParser({ packValues: false, streamValues: true }) as unknown as JsonTokenizer;
}

const NO_TOKENS: JsonToken[] = [];
const isJsonSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const tokensOf = (r: { values: JsonToken[] } | typeof none): JsonToken[] => (r === none ? NO_TOKENS : r.values);

/**
 * One array element (or a file's one object) followed through stream-json's tokens: what it is (its first
 * token), where it ends, how deep it nests, and its bytes, counted as the tokens come: the UTF-8 of its
 * keys, strings and numbers, their quotes, the brackets, ':' and ','; white space is not counted, and an
 * escape counts as the character it stands for (so a compact element without escapes counts its bytes
 * exactly). Nothing is put together from the tokens: an object's record is its text (ElementText), parsed
 * by JSON.parse when its value is asked for, as a JSONL line is.
 */
class JsonElement {
  n = 0;
  line = 0;
  active = false;
  depth = 0;
  maxDepth = 0;
  size = 0;
  over = false;
  invalid = false;
  /** Its first token (startObject: an object, whose text an ElementText took), and whether its value ended. */
  first = '';
  ended = false;
  /** In a string or key, in a number (both end with a token of their own). */
  inText = false;
  inNumber = false;
  /** Per depth: 1 an object, 2 an array; | 4 once it holds an item (the next one has a ',' before it). */
  private kinds: number[] = [0];

  constructor(private readonly max: number) {}

  begin(n: number, line: number): void {
    this.n = n;
    this.line = line;
    this.active = true;
    this.depth = this.maxDepth = this.size = 0;
    this.over = this.invalid = this.ended = this.inText = this.inNumber = false;
    this.first = '';
  }

  /** Takes one token; true when it ends the element. */
  token(t: JsonToken): boolean {
    if (this.first === '') this.first = t.name;
    switch (t.name) {
      case 'stringChunk':
        this.size += Buffer.byteLength(t.value as string, 'utf8');
        break;
      case 'startKey': {
        const k = this.kinds[this.depth]!;
        if (k & 4) this.size++;
        else this.kinds[this.depth] = k | 4;
        this.size += 3; // its quotes and ':'
        this.inText = true;
        break;
      }
      case 'endKey':
      case 'endString':
        this.inText = false;
        break;
      case 'startString':
        this.item();
        this.size += 2;
        this.inText = true;
        break;
      case 'startNumber':
        this.item();
        this.inNumber = true;
        break;
      case 'numberChunk':
        this.size += (t.value as string).length;
        break;
      case 'endNumber':
        this.inNumber = false;
        break;
      case 'startObject':
      case 'startArray': {
        this.item();
        const d = ++this.depth;
        if (d > this.maxDepth) this.maxDepth = d;
        this.kinds[d] = t.name === 'startObject' ? 1 : 2;
        this.size++;
        break;
      }
      case 'endObject':
      case 'endArray':
        this.size++;
        this.depth--;
        break;
      default: // trueValue, falseValue, nullValue
        this.item();
        this.size += t.name === 'falseValue' ? 5 : 4;
    }
    if (this.size > this.max) this.over = true;
    if (this.depth === 0 && !this.inText && !this.inNumber) this.ended = true;
    return this.ended;
  }

  /** An object (its text taken by an ElementText). */
  get object(): boolean {
    return this.first === 'startObject';
  }

  /** What a value that is no object is, for messages. */
  get kind(): string {
    const f = this.first;
    return f === 'startArray' ? 'an array' : f === 'startString' ? 'a string' : f === 'startNumber' ? 'a number' : f === 'nullValue' ? 'null' : 'a boolean';
  }

  /** A value starts: in an array after another, a ',' came first. */
  private item(): void {
    const d = this.depth;
    if (d === 0) return;
    const k = this.kinds[d]!;
    if ((k & 2) === 0) return;
    if (k & 4) this.size++;
    else this.kinds[d] = k | 4;
  }
}

/**
 * The text of each object element as written in the file, white space between its tokens left out (so a
 * pretty-printed element is one line): the record's raw text, which pass 2 writes back as it writes a
 * JSONL line, the cleaned text spliced in (record.ts spliceRecord), every other member byte for byte
 * (numbers as spelled, escapes, key order, duplicate keys). It follows the text it is fed as a byte scan
 * does (strings, escapes, brackets; a string's inside is passed by indexOf), apart from the tokenizer, and
 * queues each object whose brackets close at the element level; `next` takes them in order.
 *
 * `top`: the text is a whole file (its top-level value an array, whose object elements are taken, or one
 * object); else it is one element's text, taken if it is an object.
 */
class ElementText {
  private depth = 0;
  /** The depth object elements open at: 1 in the array, 0 for a file's one object or an element's text; -1 before the file's first bracket. */
  private base: number;
  private inString = false;
  private escaped = false;
  /** In an object element; its text so far (null: dropped, over --max-doc-bytes). */
  private taking = false;
  private parts: string[] | null = null;
  private readonly queue: (string | null)[] = [];
  private head = 0;

  constructor(top: boolean) {
    this.base = top ? -1 : 0;
  }

  feed(s: string): void {
    const n = s.length;
    let from = 0; // where the element's text to copy starts in s (while taking)
    // The next backslash and quote at or after i, once in a string (-1: none in s). (Found again only once
    // passed: a text's escapes do not each search to its closing quote.)
    let bs = s.indexOf('\\');
    let q = s.indexOf('"');
    for (let i = 0; i < n; ) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          i++;
          continue;
        }
        if (bs >= 0 && bs < i) bs = s.indexOf('\\', i);
        if (q >= 0 && q < i) q = s.indexOf('"', i);
        if (bs >= 0 && (q < 0 || bs < q)) {
          this.escaped = true;
          i = bs + 1;
          continue;
        }
        if (q < 0) break;
        this.inString = false;
        i = q + 1;
        continue;
      }
      const c = s.charCodeAt(i);
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) {
        if (this.base < 0) this.base = c === 0x5b ? 1 : 0;
        if (this.depth === this.base && c === 0x7b) {
          this.taking = true;
          this.parts = [];
          from = i;
        }
        this.depth++;
      } else if (c === 0x7d || c === 0x5d) {
        if (--this.depth === this.base && this.taking) {
          this.taking = false;
          const p = this.parts;
          if (p !== null) p.push(s.slice(from, i + 1));
          this.queue.push(p === null ? null : p.length === 1 ? p[0]! : p.join(''));
          this.parts = null;
        }
      } else if (isJsonSpace(c) && this.taking) {
        if (i > from) this.parts?.push(s.slice(from, i));
        from = i + 1;
      }
      i++;
    }
    if (this.taking && n > from) this.parts?.push(s.slice(from));
  }

  /** The element being taken is not kept (over --max-doc-bytes): its text is read past, queued as null. */
  drop(): void {
    this.parts = null;
  }

  /** The text of the next object element, in order (null: dropped, or none). */
  next(): string | null {
    if (this.head >= this.queue.length) return null;
    const t = this.queue[this.head]!;
    this.queue[this.head++] = null;
    if (this.head === this.queue.length) this.queue.length = this.head = 0;
    return t;
  }
}

/** Where the byte scan of a broken array starts: its state there (see readJsonArray). */
interface JsonScanStart {
  state: number;
  expect: boolean;
  line: number;
  depth: number;
  inString: boolean;
  escaped: boolean;
  /** Elements begun; while IN, the current one. */
  n: number;
  elemLine: number;
}

/** The start of an incomplete UTF-8 character at the end of b, or b.length. */
function utf8Cut(b: Buffer): number {
  for (let i = b.length - 1, k = 1; i >= 0 && k <= 4; i--, k++) {
    const c = b[i]!;
    if ((c & 0xc0) === 0x80) continue;
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return k < need ? i : b.length;
  }
  return b.length;
}

/** Chunks that end where a UTF-8 character does (a cut character is carried to the next chunk). */
async function* wholeUtf8(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let carry: Buffer | null = null;
  for await (let c of chunks) {
    if (carry !== null) {
      c = Buffer.concat([carry, c]);
      carry = null;
    }
    const cut = utf8Cut(c);
    if (cut < c.length) {
      carry = Buffer.from(c.subarray(cut));
      c = c.subarray(0, cut);
    }
    if (c.length > 0) yield c;
  }
  if (carry !== null) yield carry;
}

const JSON_TOP = 0; // before the top-level value
const JSON_BETWEEN = 1; // in the array, between elements
const JSON_IN = 2; // in an element
const JSON_AFTER = 3; // after the top-level value
/** Bytes kept to read an element again after a break (beyond them, see readJsonArray). */
const JSON_KEEP_BYTES = 4 << 20;
/** What the tokenizer may hold unread (16 characters) in bytes. */
const JSON_HELD_BYTES = 64;
/** The longest piece fed to the tokenizer at once. */
const JSON_PIECE_BYTES = 64 << 10;

/**
 * The records of a JSON file: the elements of its top-level array, or its one top-level object (a
 * pretty-printed record); an empty file has none. The text is tokenized by stream-json (its tokenizer
 * called as a function, keys, strings and numbers streamed in pieces), which tells where each element ends,
 * whether it is valid, what it is, its size and depth (JsonElement); an object element's record is its text
 * as written, white space between tokens left out (ElementText, fed the same text first), its value parsed
 * from that text when asked for (LazyRecord): pass 2 writes it back as it writes a JSONL line, so numbers,
 * escapes and member order pass through. The bytes are fed line by line, so an element's line is
 * the line it starts on (its number in messages is 1-based); an element over --max-doc-bytes (its bytes as
 * JsonElement counts them) is read past, never held; an element nested deeper than JSON_ELEMENT_MAX_DEPTH is
 * refused (the tokenizer keeps its own stack: no recursion).
 *
 * A break: stream-json stops at the first error and cannot resynchronize, and the tokens of the call that
 * failed are lost. So the bytes from the start of the piece (a line, or up to JSON_PIECE_BYTES of one) on
 * which the current element began are kept, with the state a byte scan would be in there (told by the
 * tokens so far and the last bytes fed), and from there the file is split into elements by that byte scan
 * (strings, escapes and brackets followed), each element tokenized by a fresh stream-json tokenizer (and
 * its text taken by an ElementText of its own);
 * elements handed on already are skipped. Past JSON_KEEP_BYTES the element is no longer kept: its pieces
 * then end after each `}` and `]` too (a failing call then holds the end of no element before the break)
 * and the scan starts from the last pieces fed (the tokenizer may hold up to 16 characters and fail a few
 * pieces on). A broken element is then one rejection and the next element is read; what cannot be
 * resynchronized (the file ends inside an element or before the array's `]`, or holds something else than
 * an array or object) is, from there on, one rejection.
 */
export async function* readJsonArray(file: string, bytes: AsyncGenerator<Buffer>, opts: ReadOptions = {}): AsyncGenerator<ReadItem[]> {
  const max = opts.maxDocBytes ?? Number.POSITIVE_INFINITY;
  let single = false; // the top-level value is an object: the file is one record
  let state = JSON_TOP; // JSON_IN is told by el.active
  let n = 0; // elements begun
  let emitted = 0; // elements handed on (records or rejections)
  let batch: ReadItem[] = [];
  let batchBytes = 0;
  let jsonErrors = 0; // rejections other than of a whole non-object
  const bad = (code: BadRecord['code'], message: string, at: number): void => {
    if (code !== 'E_RECORD' || !message.endsWith('not a JSON object')) jsonErrors++;
    batch.push({ file, line: at, code, message, raw: null });
  };
  const what = (k: number): string => (single ? 'the JSON object' : `array element ${k}`);
  /** An element read: a record, or why not. `text` holds its text (for an object: queued there, taken here). */
  const finish = (e: JsonElement, broken: string | null, text: ElementText): void => {
    e.active = false;
    emitted = e.n;
    const raw = e.object && broken === null ? text.next() : null;
    if (e.over) bad('E_DOC_TOO_LARGE', `${what(e.n)} is ${e.size} bytes, over --max-doc-bytes ${max}`, e.line);
    else if (e.maxDepth > JSON_ELEMENT_MAX_DEPTH) bad('E_RECORD', `${what(e.n)} is nested ${e.maxDepth} levels deep, over ${JSON_ELEMENT_MAX_DEPTH}`, e.line);
    else {
      if (e.invalid) opts.onInvalidUtf8?.(file, e.line);
      if (broken !== null) {
        bad('E_JSON', `invalid JSON in ${what(e.n)}: ${broken}`, e.line);
        return;
      }
      if (!e.object) bad('E_RECORD', `${what(e.n)} is ${e.kind}, not a JSON object`, e.line);
      else if (raw === null) throw new BoilerstripError('E_INTERNAL', `the text of ${what(e.n)} was not kept`, { file, line: e.line });
      else batch.push(new LazyRecord(file, e.line, 'json', raw));
      batchBytes += e.size;
    }
  };

  // ---- The stream-json path.
  const el = new JsonElement(max);
  const texts = new ElementText(true); // fed each piece before the tokenizer: an element's text is queued before its last token
  const tokenize = jsonTokenizer();
  let line = 1; // the line the piece being fed starts on
  let lastSig = -1; // the last byte fed that is not white space
  let lastLiteral = false; // the last token was true, false or null
  let backslashOdd = false; // the bytes fed end in an odd run of backslashes
  let firstByte = true;
  /** The byte scan's state at the start of the piece about to be fed. */
  const scanStart = (): JsonScanStart => {
    if (el.active) return { state: JSON_IN, expect: false, line, depth: el.depth, inString: el.inText, escaped: el.inText && backslashOdd, n: el.n, elemLine: el.line };
    if (state === JSON_BETWEEN && lastSig >= 0x61 && lastSig <= 0x7a && !lastLiteral) {
      // A literal cut by the chunk's end, held by the tokenizer: an element (not an object) has begun.
      return { state: JSON_IN, expect: false, line, depth: 0, inString: false, escaped: false, n: n + 1, elemLine: line };
    }
    return { state, expect: lastSig === 0x2c || lastSig === 0x5b, line, depth: 0, inString: false, escaped: false, n, elemLine: 0 };
  };
  // The bytes kept to read again after a break: copies of earlier chunks' ends, then the chunk in hand from keptFrom.
  let kept: Buffer[] = [];
  let keptBytes = 0;
  let keptFrom = 0;
  let keptStart: JsonScanStart = scanStart();
  let keptLost = false; // the current element passed JSON_KEEP_BYTES: not kept, fed in pieces ending after its brackets
  let pieceFrom = 0;
  let pieceStart: JsonScanStart = keptStart;
  /**
   * The last pieces fed (at least JSON_HELD_BYTES before the next one), for a break past JSON_KEEP_BYTES:
   * the tokenizer may hold up to 16 characters it could not tell yet (`nul` before a boundary) and fail
   * only pieces later. In the chunk in hand (buf null) or copied at its end.
   */
  let recent: { buf: Buffer | null; from: number; to: number; start: JsonScanStart }[] = [];
  let recentBytes = 0;
  const take = (text: string): void => {
    const toks = tokensOf(tokenize(text));
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i]!;
      if (el.active) {
        if (el.token(t)) finish(el, null, texts);
        continue;
      }
      if (t.name === 'startArray' && state === JSON_TOP) {
        state = JSON_BETWEEN;
        continue;
      }
      if (t.name === 'endArray') {
        state = JSON_AFTER;
        continue;
      }
      // An element (or the one object) begins: keep the bytes from this piece on.
      if (state === JSON_TOP) {
        single = true;
        state = JSON_AFTER;
      }
      el.begin(++n, line);
      kept = [];
      keptBytes = 0;
      keptFrom = pieceFrom;
      keptStart = pieceStart;
      keptLost = false;
      lastLiteral = false;
      if (el.token(t)) {
        finish(el, null, texts);
        lastLiteral = t.name === 'trueValue' || t.name === 'falseValue' || t.name === 'nullValue';
      }
    }
  };

  let failure: string | null = null;
  const it = wholeUtf8(bytes)[Symbol.asyncIterator]();
  let chunk: Buffer = Buffer.alloc(0);
  let r: IteratorResult<Buffer>;
  stream: while (!(r = await it.next()).done) {
    chunk = r.value;
    if (firstByte) {
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      let i = 0;
      while (i < chunk.length && isJsonSpace(chunk[i]!)) i++;
      if (i < chunk.length) {
        firstByte = false;
        const c = chunk[i]!;
        if (c !== 0x5b && c !== 0x7b) {
          let at = line;
          for (let j = chunk.indexOf(10); j >= 0 && j < i; j = chunk.indexOf(10, j + 1)) at++;
          bad('E_JSON', `a JSON file must hold an array of objects (or one object); it starts with ${printable(JSON.stringify(chunk.toString('latin1', i, i + 1)))}`, at);
          yield batch;
          await it.return?.(undefined);
          return;
        }
      }
    }
    keptFrom = 0;
    for (let s = 0; s < chunk.length; ) {
      let e = chunk.indexOf(10, s);
      e = e < 0 ? chunk.length : e + 1;
      if (e - s > JSON_PIECE_BYTES) {
        // (Short pieces: their strings stay out of V8's large-object space, which only a full GC frees.)
        e = s + JSON_PIECE_BYTES;
        while (e > s && (chunk[e]! & 0xc0) === 0x80) e--;
      }
      if (keptLost) {
        // Past JSON_KEEP_BYTES: pieces end after each bracket too (a failing call then ends no element).
        const b1 = chunk.indexOf(0x7d, s);
        const b2 = chunk.indexOf(0x5d, s);
        const b = b1 < 0 ? b2 : b2 < 0 ? b1 : Math.min(b1, b2);
        if (b >= 0 && b + 1 < e) e = b + 1;
      }
      pieceFrom = s;
      pieceStart = scanStart();
      const d = decode(chunk.subarray(s, e));
      texts.feed(d.text);
      try {
        if (!d.invalid) take(d.text);
        else {
          // Which element holds the invalid bytes: the one open after each U+FFFD is fed.
          let from = 0;
          for (let i = d.text.indexOf('\ufffd'); i >= 0; i = d.text.indexOf('\ufffd', i + 1)) {
            take(d.text.slice(from, i + 1));
            if (el.active) el.invalid = true;
            from = i + 1;
          }
          take(d.text.slice(from));
        }
        if (el.active && el.over) texts.drop();
      } catch (err) {
        if (err instanceof BoilerstripError) throw err;
        failure = (err as Error).message;
        break stream;
      }
      let j = e - 1;
      while (j >= s && isJsonSpace(chunk[j]!)) j--;
      if (j >= s) lastSig = chunk[j]!;
      let b = e - 1;
      while (b >= s && chunk[b] === 0x5c) b--;
      backslashOdd = b < s ? backslashOdd !== ((e - s) % 2 === 1) : (e - 1 - b) % 2 === 1;
      if (chunk[e - 1] === 10) line++;
      recent.push({ buf: null, from: s, to: e, start: pieceStart });
      recentBytes += e - s;
      while (recent.length > 1 && recentBytes - recent[0]!.to + recent[0]!.from >= JSON_HELD_BYTES) {
        const o = recent.shift()!;
        recentBytes -= o.to - o.from;
      }
      s = e;
    }
    for (const p of recent) if (p.buf === null) p.buf = Buffer.from(chunk.subarray(p.from, p.to));
    if (!keptLost) {
      const rest = Buffer.from(chunk.subarray(keptFrom)); // (a copy: a decompressor may reuse its buffers)
      kept.push(rest);
      keptBytes += rest.length;
      if (keptBytes > JSON_KEEP_BYTES) {
        kept = [];
        keptLost = true;
      }
    }
    keptFrom = 0;
    if (batch.length >= 256 || batchBytes >= 16 << 20) {
      yield batch;
      batch = [];
      batchBytes = 0;
    }
  }
  if (failure === null && (el.active || state === JSON_BETWEEN || (state === JSON_TOP && !firstByte))) {
    // The end: the tokenizer says whether the input ended where it may (it fails on a truncated file).
    try {
      take(none as unknown as string);
      if (el.active || state !== JSON_AFTER) failure = 'the file ends too soon';
    } catch (err) {
      failure = (err as Error).message;
    }
    chunk = Buffer.alloc(0);
  }
  if (failure === null) {
    if (batch.length > 0) yield batch;
    return;
  }

  // ---- A break: the byte scan from where the kept bytes start (or, past JSON_KEEP_BYTES, from the failing piece).
  const errorsBefore = jsonErrors;
  const lost = keptLost && el.active ? el : null; // its bytes are not kept: the break is in it
  const start = keptLost ? (recent[0]?.start ?? pieceStart) : keptStart;
  const replay: Buffer[] = keptLost ? recent.map((p) => p.buf ?? chunk.subarray(p.from, p.to)) : kept;
  recent = [];
  if (r.done !== true) replay.push(chunk.subarray(keptLost ? pieceFrom : keptFrom));
  kept = [];
  let scanState = start.state;
  let expect = start.expect;
  let sline = start.line;
  let depth = start.depth;
  let inString = start.inString;
  let escaped = start.escaped;
  let k = start.n; // the current element's number while IN
  let elemLine = start.elemLine;
  let maxDepth = lost !== null ? lost.maxDepth : 0;
  let rawSize = 0; // bytes of the current element seen by the scan
  let cur: { el: JsonElement; tokenize: JsonTokenizer; text: ElementText; broken: string | null } | null = null;
  /** The current element's bytes: to its own tokenizer when it is read (not one handed on already, nor lost). */
  const keep = (c: Buffer, from: number, to: number): void => {
    if (to <= from) return;
    rawSize += to - from;
    if (cur === null) return;
    if (cur.broken !== null) {
      if (!cur.el.invalid && !isUtf8(c.subarray(from, to))) cur.el.invalid = true; // (the scan cuts at ASCII bytes only)
      return;
    }
    const d = decode(c.subarray(from, to));
    if (d.invalid) cur.el.invalid = true;
    cur.text.feed(d.text);
    try {
      for (const t of tokensOf(cur.tokenize(d.text))) cur.el.token(t);
    } catch (err) {
      cur.broken = (err as Error).message;
    }
    if (cur.el.over) cur.text.drop();
  };
  const beginElement = (at: number): void => {
    k++;
    elemLine = at;
    rawSize = 0;
    maxDepth = depth;
    if (k <= emitted) return;
    const e = new JsonElement(max);
    e.begin(k, at);
    cur = { el: e, tokenize: jsonTokenizer(), text: new ElementText(false), broken: null };
  };
  const endElement = (): void => {
    if (lost !== null && k === lost.n) {
      if (lost.maxDepth < maxDepth) lost.maxDepth = maxDepth;
      lost.size += rawSize;
      if (lost.size > max) lost.over = true;
      finish(lost, failure, texts);
    } else if (cur !== null) {
      const c: { el: JsonElement; tokenize: JsonTokenizer; text: ElementText; broken: string | null } = cur;
      if (c.broken === null) {
        try {
          for (const t of tokensOf(c.tokenize(none as unknown as string))) c.el.token(t);
          if (!c.el.ended && !c.el.over && c.el.maxDepth <= JSON_ELEMENT_MAX_DEPTH) c.broken = 'no value';
        } catch (err) {
          c.broken = (err as Error).message;
        }
      }
      if (c.el.maxDepth < maxDepth) c.el.maxDepth = maxDepth;
      if (c.broken !== null && rawSize > max) {
        // (Broken before its tokens passed the limit: its bytes tell.)
        c.el.over = true;
        c.el.size = rawSize;
      }
      finish(c.el, c.broken, c.text);
    }
    cur = null;
    depth = 0;
    maxDepth = 0;
  };
  if (scanState === JSON_IN && start.n > emitted && (lost === null || lost.n !== start.n)) {
    // (Only a literal cut by a chunk's end: its first letters are gone.)
    k = start.n - 1;
    beginElement(start.elemLine);
    cur!.broken = 'a literal cut where the bytes kept start';
  }
  let stop: { message: string; line: number } | null = null;
  const scan = (c: Buffer): void => {
    let from = 0; // where the current element's bytes in this chunk start (IN)
    for (let i = 0; i < c.length; i++) {
      const b = c[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === 0x5c) escaped = true;
        else if (b === 0x22) {
          inString = false;
          if (depth === 0 && scanState === JSON_IN) {
            // A string element ends with its string (as its tokens do).
            keep(c, from, i + 1);
            endElement();
            scanState = JSON_BETWEEN;
            expect = false;
          }
        } else if (b === 0x0a) sline++;
        continue;
      }
      if (b === 0x0a) sline++;
      if (scanState === JSON_IN) {
        if (depth === 0 && isJsonSpace(b)) {
          // A number or literal element ends at white space (as its tokens do).
          keep(c, from, i);
          endElement();
          scanState = JSON_BETWEEN;
          expect = false;
        } else if (b === 0x22) inString = true;
        else if (b === 0x7b || b === 0x5b) {
          if (++depth > maxDepth) maxDepth = depth;
        } else if (depth > 0 && (b === 0x7d || b === 0x5d)) {
          if (--depth === 0) {
            keep(c, from, i + 1);
            endElement();
            scanState = single ? JSON_AFTER : JSON_BETWEEN;
            expect = false;
          }
        } else if (depth === 0 && (b === 0x2c || b === 0x5d)) {
          // The end of a scalar element: the comma or bracket is the array's.
          keep(c, from, i);
          endElement();
          scanState = b === 0x5d ? JSON_AFTER : JSON_BETWEEN;
          expect = b === 0x2c;
        }
        continue;
      }
      if (isJsonSpace(b)) continue;
      if (scanState === JSON_TOP) {
        if (b === 0x5b) {
          scanState = JSON_BETWEEN;
          expect = true;
          continue;
        }
        single = true;
      } else if (scanState === JSON_BETWEEN) {
        if (b === 0x5d) {
          if (expect && k > 0) bad('E_JSON', `invalid JSON array: a ',' after array element ${k} with no element after it`, sline);
          scanState = JSON_AFTER;
          continue;
        }
        if (b === 0x2c) {
          if (expect) bad('E_JSON', `invalid JSON array: a ',' where array element ${k + 1} should be`, sline);
          expect = true;
          continue;
        }
        if (!expect) bad('E_JSON', `invalid JSON array: no ',' between array elements ${k} and ${k + 1}`, sline);
      } else {
        stop = { message: `invalid JSON: something follows the ${single ? 'object' : 'array'} that ends before line ${sline}`, line: sline };
        return;
      }
      // An element (or the one object) starts here.
      scanState = JSON_IN;
      depth = 0;
      beginElement(sline);
      from = i;
      if (b === 0x22) inString = true;
      else if (b === 0x7b || b === 0x5b) depth = maxDepth = 1;
    }
    if (scanState === JSON_IN) keep(c, from, c.length);
  };
  for (const c of replay) {
    scan(c);
    if (stop !== null) break;
  }
  replay.length = 0;
  if (stop === null && r.done !== true) {
    while (!(r = await it.next()).done) {
      scan(r.value);
      if (stop !== null) {
        await it.return?.(undefined);
        break;
      }
      if (batch.length >= 256 || batchBytes >= 16 << 20) {
        yield batch;
        batch = [];
        batchBytes = 0;
      }
    }
  }
  if (stop === null && scanState === JSON_IN) stop = { message: `invalid JSON: the file ends inside ${what(k)} (truncated?)`, line: elemLine };
  else if (stop === null && scanState === JSON_BETWEEN) stop = { message: `invalid JSON array: the file ends before the array's closing ']' (truncated?)`, line: sline };
  const s: { message: string; line: number } | null = stop;
  if (s !== null) bad('E_JSON', s.message, s.line);
  // (Where the scan saw no break, stream-json's is told, on the line it was found.)
  if (jsonErrors === errorsBefore) bad('E_JSON', `invalid JSON: ${failure}`, pieceStart.line);
  if (batch.length > 0) yield batch;
}
