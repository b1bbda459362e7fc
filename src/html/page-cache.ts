/**
 * An HTML page's blocks in clean's analysis cache (side.ts): pass 1 writes the page it parsed, pass 2 reads
 * it back instead of parsing the page again (two fifths of pass 2 on HTML pages). A page's record comes
 * before its analysis, as a record of the cache's other kind (its size negated):
 *   [-words, HTML length, blocks, text length, flags, paths]
 *   strings (title, lang, canonical, charset) x [length + 1 (0: none), code units two a word]
 *   paths    x [length, code units two a word]
 *   blocks   x [kind, depth, link chars, hints, table, path, chars, ancestors (ANCESTORS)]
 *   path hashes (4 x blocks: HtmlDoc.pathH), then the text's code units, two a word
 * The HTML's length is checked on reading, as the analysis's text length is.
 */
import type { SideReader, SideWriter } from '../side.js';
import { ANCESTORS, type Block, type BlockKind, type HtmlPage } from './blocks.js';
import type { HtmlDoc, PageSource } from './page.js';

const HEAD = 6;
const BLOCK = 7 + ANCESTORS;
const F_TRUNCATED = 1;
const KIND_NAMES: readonly BlockKind[] = ['paragraph', 'heading', 'item', 'cell', 'caption', 'quote', 'pre', 'title', 'other'];
const KIND_CODE = new Map(KIND_NAMES.map((k, i) => [k, i]));

/** Words a string of n code units takes (its length word included). */
function stringWords(n: number): number {
  return 1 + ((n + 1) >> 1);
}

/** Append an HTML page's blocks (`htmlLength`: the code units of the HTML it was parsed from). */
export function addPage(side: SideWriter, doc: HtmlDoc, htmlLength: number): void {
  const page = doc.page;
  const bs = page.blocks;
  const n = bs.length;
  // Each distinct path once (the blocks of one element share its path: the last one is tried first).
  const pathIx = new Map<string, number>();
  const paths: string[] = [];
  const blockPath = new Int32Array(n);
  let last = '';
  let lastIx = -1;
  for (let i = 0; i < n; i++) {
    const path = bs[i]!.path;
    if (path !== last || lastIx < 0) {
      let ix = pathIx.get(path);
      if (ix === undefined) {
        ix = paths.length;
        pathIx.set(path, ix);
        paths.push(path);
      }
      last = path;
      lastIx = ix;
    }
    blockPath[i] = lastIx;
  }
  const opt = (s: string | undefined): number => (s === undefined ? 1 : stringWords(s.length));
  let size = HEAD + stringWords(page.title.length) + opt(page.lang) + opt(page.canonical) + stringWords(page.charset.length);
  for (const path of paths) size += stringWords(path.length);
  size += n * BLOCK + 4 * n + ((doc.text.length + 1) >> 1);
  let p = side.other(size);
  const w = side.words32;
  const bytes = side.bytes8;
  // `s` at word p as its length (`plus`: + 1, so that 0 can mean none) and its code units; the next word.
  const put = (s: string | undefined, plus: number): number => {
    if (s === undefined) {
      w[p] = 0;
      return p + 1;
    }
    w[p] = s.length + plus;
    if (s.length > 0) bytes.write(s, (p + 1) * 4, 'utf16le');
    return p + stringWords(s.length);
  };
  w[p + 1] = htmlLength;
  w[p + 2] = n;
  w[p + 3] = doc.text.length;
  w[p + 4] = page.truncated ? F_TRUNCATED : 0;
  w[p + 5] = paths.length;
  p += HEAD;
  p = put(page.title, 1);
  p = put(page.lang, 1);
  p = put(page.canonical, 1);
  p = put(page.charset, 1);
  for (const path of paths) p = put(path, 0);
  for (let i = 0; i < n; i++, p += BLOCK) {
    const b = bs[i]!;
    w[p] = KIND_CODE.get(b.kind)!;
    w[p + 1] = b.depth;
    w[p + 2] = b.linkChars;
    w[p + 3] = b.hints;
    w[p + 4] = b.table;
    w[p + 5] = blockPath[i]!;
    w[p + 6] = b.chars;
    const anc = b.anc;
    for (let k = 0; k < ANCESTORS; k++) w[p + 7 + k] = anc[k]!;
  }
  w.set(doc.pathH, p);
  p += 4 * n;
  if (doc.text.length > 0) bytes.write(doc.text, p * 4, 'utf16le');
}

/** The next record, which must be the blocks of a page parsed from HTML of `htmlLength` code units: the page as htmlDoc gave it. */
export function readPage(side: SideReader, htmlLength: number): HtmlDoc {
  const at = side.other('an HTML page');
  const w = at.w;
  let p = at.p;
  if (w[p + 1] !== htmlLength) throw side.stale(`holds a page of ${w[p + 1]} code units of HTML where the input has ${htmlLength}`);
  // `n` code units at word q as a string.
  const string = (q: number, n: number): string => (n === 0 ? '' : Buffer.from(w.buffer, w.byteOffset + q * 4, n * 2).toString('utf16le'));
  const n = w[p + 2]!;
  const textLength = w[p + 3]!;
  const flags = w[p + 4]!;
  const nPaths = w[p + 5]!;
  p += HEAD;
  const opt = (): string | undefined => {
    const len = w[p]! - 1;
    const s = len < 0 ? undefined : string(p + 1, len);
    p += len < 0 ? 1 : stringWords(len);
    return s;
  };
  const title = opt()!;
  const lang = opt();
  const canonical = opt();
  const charset = opt()!;
  const paths: string[] = new Array<string>(nPaths);
  for (let k = 0; k < nPaths; k++) {
    paths[k] = string(p + 1, w[p]!);
    p += stringWords(w[p]!);
  }
  const blockAt = p;
  p += n * BLOCK;
  const pathH = w.slice(p, p + 4 * n);
  p += 4 * n;
  const text = string(p, textLength);
  const starts = new Int32Array(n + 1);
  const bw = w.slice(blockAt, blockAt + n * BLOCK);
  const blocks: Block[] = new Array<Block>(n);
  // A block's path hashes, one array a path as the parser shares them (per block: 550,000 arrays on 110 MB).
  const hashOf: (Int32Array | undefined)[] = new Array<Int32Array | undefined>(nPaths);
  let pos = 0;
  for (let i = 0, q = 0; i < n; i++, q += BLOCK) {
    // (A block holds no newline: the text is the blocks joined by one.)
    const end = i + 1 < n ? text.indexOf('\n', pos) : textLength;
    starts[i] = pos;
    blocks[i] = {
      text: text.slice(pos, end),
      kind: KIND_NAMES[bw[q]!]!,
      path: paths[bw[q + 5]!]!,
      pathHash: (hashOf[bw[q + 5]!] ??= Int32Array.of(pathH[2 * i]!, pathH[2 * i + 1]!, pathH[2 * n + 2 * i]!, pathH[2 * n + 2 * i + 1]!)),
      anc: bw.subarray(q + 7, q + 7 + ANCESTORS),
      linkChars: bw[q + 2]!,
      chars: bw[q + 6]!,
      depth: bw[q + 1]!,
      index: i,
      hints: bw[q + 3]!,
      table: bw[q + 4]!,
    };
    pos = end + 1;
  }
  starts[n] = pos;
  const pg: HtmlPage = { title, blocks, charset };
  if (lang !== undefined) pg.lang = lang;
  if (canonical !== undefined) pg.canonical = canonical;
  if ((flags & F_TRUNCATED) !== 0) pg.truncated = true;
  // (`distinct` is pass 1's, which counted it.)
  return { page: pg, text, starts, pathH, distinct: new Int32Array(0) };
}

/** Pass 2's pages from the cache (pass 1's parses, in order). */
export function cachedPages(side: SideReader): PageSource {
  return { page: (html) => readPage(side, html.length) };
}
