/**
 * An HTML page to text blocks in reading order, each with structural features (element path, kind,
 * ancestor hints, link share), in one streaming pass of htmlparser2's callback Parser: no DOM.
 *
 * - Block-level elements (p, div, li, h1-h6, td, br, …) end the current run of text and start a new
 *   block; inline elements join. Whitespace (space, tab, CR, LF, FF) is collapsed to one space and
 *   trimmed; NBSP is kept as is (tickers space their items with it). <pre> gives one block per line.
 * - Dropped with their content: script, style, noscript, template, svg, math, iframe, embed, canvas,
 *   form controls (select, option, button, input, textarea), audio, video; and any element with a
 *   `hidden` attribute, aria-hidden="true", or an inline style with display:none / visibility:hidden.
 *   <object> stays: what it holds besides <param> is its fallback, which browsers show now that the
 *   plugins are gone (video captions live there on older news pages).
 * - A block's kind comes from its innermost ancestor that has one (h1-h6 heading, p paragraph,
 *   li/dt/dd item, td/th cell, caption/figcaption caption, blockquote quote, pre pre, title title;
 *   form, label, address, summary, legend, and text loose in ul/ol/dl/table: other); text with no
 *   such ancestor (in divs, sections, spans) is a paragraph.
 * - The element stack is capped (maxDepth, default 256): the parser's too (see parser.ts), so 100,000
 *   nested elements cost linear time and bounded memory, and nothing recurses.
 *
 * Per-element work is kept free of allocation: attributes are read through `onattribute` (no attribs
 * object per element), class/id words are cached per distinct value (hints.ts), and paths are built
 * only for elements that hold a block, once per element.
 */
import { fmix32 } from '../analyze.js';
import { siteHash } from '../model.js';
import { CappedParser } from './parser.js';
import { ASIDE, attrInfo, FOOTER, HEADER, itempropBits, MAIN, NAV, roleBits } from './hints.js';

export * from './hints.js';
export { decodeHtml, charsetName, sniffMetaCharset, type Decoded } from './decode.js';

export type BlockKind = 'heading' | 'paragraph' | 'item' | 'cell' | 'caption' | 'quote' | 'pre' | 'title' | 'other';

export interface Block {
  /** Visible text, whitespace collapsed (single spaces, no newlines; NBSP kept). */
  text: string;
  kind: BlockKind;
  /** Element path below <body>, last PATH_LEVELS levels: tag, #id, up to PATH_CLASSES .classes; digit runs → 0. */
  path: string;
  /**
   * Hashes of the path: [h1, h2] of `path` and [h1, h2] of its parent (the path without its last level),
   * from per-level hashes, so no path string is hashed. Shared by the blocks of one element: read only.
   */
  pathHash: Int32Array;
  /**
   * Serial numbers (in page order of opening, from 1) of the elements around the block: the innermost
   * open element and its ANCESTORS - 1 nearest ancestors (0 past the root). Blocks under one element
   * share its serial: features sum the text of a container from them.
   */
  anc: Int32Array;
  /** With `tokens: true`: class/id words of the ancestors (path levels), lower case, deduplicated. */
  tokens?: string[];
  /** UTF-16 code units of `text` inside <a href> (a space between two link runs counts as link). */
  linkChars: number;
  /** UTF-16 code units of `text`. */
  chars: number;
  /** Element depth of the innermost open element (html = 1), at most maxDepth + 1. */
  depth: number;
  /** Position in the page, 0-based. */
  index: number;
  /** Hint flags of all ancestors (hints.ts). */
  hints: number;
  /** Serial (as in `anc`) of the innermost open <table> around the block; 0 when none. */
  table: number;
}

export interface HtmlPage {
  title: string;
  blocks: Block[];
  /** <html lang>. */
  lang?: string;
  /** <link rel="canonical" href>. */
  canonical?: string;
  /** `opts.charset` when given, else what a <meta> declares, else ''. */
  charset: string;
  /** Set when maxBlocks was reached: the rest of the page was not read. */
  truncated?: boolean;
}

export interface BlockOptions {
  /** Open elements kept on the stack; deeper ones are flattened into the one at the cap. Default 256. */
  maxDepth?: number;
  /** Stop after this many blocks (the page is then `truncated`). Default: no limit. */
  maxBlocks?: number;
  /** Fill `Block.tokens`. Default false (one array per block). */
  tokens?: boolean;
  /** The charset the html was decoded with (decodeHtml's), copied to the page. */
  charset?: string;
}

/** Ancestor serials a block keeps (Block.anc). */
export const ANCESTORS = 7;

/** Path levels kept (the innermost ones). */
export const PATH_LEVELS = 12;
/** Classes kept per path level. */
export const PATH_CLASSES = 3;

const KINDS: readonly BlockKind[] = ['paragraph', 'heading', 'paragraph', 'item', 'cell', 'caption', 'quote', 'pre', 'title', 'other'];
const K_HEADING = 1;
const K_PARAGRAPH = 2;
const K_ITEM = 3;
const K_CELL = 4;
const K_CAPTION = 5;
const K_QUOTE = 6;
const K_PRE = 7;
const K_TITLE = 8;
const K_OTHER = 9;

// Tag info: bit 0 block-level, bit 1 dropped with content, bit 2 not in paths, bit 3 <pre>-like,
// bits 4-7 kind, bits 8+ hint flags.
const BLOCK = 1;
const DROP = 2;
const NOPATH = 4;
const PRE = 8;
const kind = (k: number): number => k << 4;
const hint = (h: number): number => h << 8;

const TAG_INFO = new Map<string, number>();
const setTags = (names: string, info: number): void => {
  for (const n of names.split(' ')) TAG_INFO.set(n, info);
};
setTags('div section article main center figure hgroup dialog search frameset body', BLOCK);
setTags('html head', BLOCK | NOPATH);
TAG_INFO.set('body', BLOCK | NOPATH);
setTags('br hr tr tbody thead tfoot', BLOCK);
setTags('h1 h2 h3 h4 h5 h6', BLOCK | kind(K_HEADING));
setTags('p', BLOCK | kind(K_PARAGRAPH));
setTags('li dt dd', BLOCK | kind(K_ITEM));
setTags('td th', BLOCK | kind(K_CELL));
setTags('caption figcaption', BLOCK | kind(K_CAPTION));
setTags('blockquote', BLOCK | kind(K_QUOTE));
setTags('pre listing xmp plaintext', BLOCK | PRE | kind(K_PRE));
setTags('title', BLOCK | kind(K_TITLE));
setTags('ul ol dl menu dir table form fieldset legend label address details summary', BLOCK | kind(K_OTHER));
TAG_INFO.set('nav', BLOCK | hint(NAV));
TAG_INFO.set('menu', BLOCK | kind(K_OTHER) | hint(NAV));
TAG_INFO.set('header', BLOCK | hint(HEADER));
TAG_INFO.set('footer', BLOCK | hint(FOOTER));
TAG_INFO.set('aside', BLOCK | hint(ASIDE));
TAG_INFO.set('main', BLOCK | hint(MAIN));
TAG_INFO.set('article', BLOCK | hint(MAIN));
setTags(
  'script style noscript template svg math iframe embed applet canvas select option optgroup datalist button input textarea audio video noembed noframes param source track',
  DROP,
);

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13 || c === 12;
}

const DIGITS = /[0-9]+/g;
const fold = (s: string): string => (s.length > 40 ? s.slice(0, 40) : s).replace(DIGITS, '0');

function segment(tag: string, id: string, cls: string): string {
  let s = tag;
  if (id.length > 0) s += '#' + fold(id.trim());
  if (cls.length > 0) {
    let n = 0;
    for (const c of cls.split(/[ \t\n\r\f]+/)) {
      if (c.length === 0) continue;
      s += '.' + fold(c);
      if (++n >= PATH_CLASSES) break;
    }
  }
  return s;
}

function styleHides(style: string): boolean {
  if (style.indexOf('none') < 0 && style.indexOf('hidden') < 0 && style.indexOf('NONE') < 0 && style.indexOf('HIDDEN') < 0) return false;
  const s = style.replace(/[ \t\n\r\f]+/g, '').toLowerCase();
  return s.includes('display:none') || s.includes('visibility:hidden');
}

class BlockBuilder {
  readonly blocks: Block[] = [];
  title = '';
  lang: string | undefined;
  canonical: string | undefined;
  metaCharset = '';
  truncated = false;
  parser: CappedParser | null = null;

  private readonly size: number;
  private readonly maxBlocks: number;
  private readonly wantTokens: boolean;
  private titleSeen = false;

  // The open elements, level 1..depth (level 0 is the root: no tag, no hints).
  private depth = 0;
  private readonly tag: string[];
  private readonly id: string[];
  private readonly cls: string[];
  private readonly info: Int32Array;
  private readonly serialAt: Int32Array;
  private serial = 0;
  private readonly hintAt: Int32Array;
  private readonly kindAt: Uint8Array;
  private readonly linkAt: Uint8Array;
  private readonly preAt: Uint8Array;
  private readonly tableAt: Int32Array;
  private readonly segCache: (string | null)[];
  private readonly pathCache: (string | null)[];
  private readonly segHash: Int32Array;
  private readonly hashCache: (Int32Array | null)[];
  /** Depth of the dropped element being skipped (0: none). */
  private skip = 0;

  // The start tag being read (its attributes come before anything else happens).
  private pName: string | null = null;
  private pId = '';
  private pCls = '';
  private pHints = 0;
  private pHidden = false;
  private pHref = false;
  private pRel = '';
  private pHrefValue = '';
  private pLang = '';
  private pCharset = '';

  // The text run of the current block.
  private cur = '';
  private curLen = 0;
  private linkLen = 0;
  private space = false;
  private lastLink = false;

  constructor(opts: BlockOptions) {
    const cap = Math.max(1, opts.maxDepth ?? 256);
    this.size = cap + 3;
    this.maxBlocks = opts.maxBlocks ?? Infinity;
    this.wantTokens = opts.tokens === true;
    this.tag = new Array<string>(this.size).fill('');
    this.id = new Array<string>(this.size).fill('');
    this.cls = new Array<string>(this.size).fill('');
    this.info = new Int32Array(this.size);
    this.serialAt = new Int32Array(this.size);
    this.hintAt = new Int32Array(this.size);
    this.kindAt = new Uint8Array(this.size);
    this.linkAt = new Uint8Array(this.size);
    this.preAt = new Uint8Array(this.size);
    this.tableAt = new Int32Array(this.size);
    this.segCache = new Array<string | null>(this.size).fill(null);
    this.pathCache = new Array<string | null>(this.size).fill(null);
    this.segHash = new Int32Array(2 * this.size);
    this.hashCache = new Array<Int32Array | null>(this.size).fill(null);
  }

  // ---- parser callbacks ----

  onopentagname(name: string): void {
    if (this.pName !== null) this.commit();
    this.pName = name;
    this.pId = '';
    this.pCls = '';
    this.pHints = 0;
    this.pHidden = false;
    this.pHref = false;
    this.pRel = '';
    this.pLang = '';
    this.pCharset = '';
  }

  onattribute(name: string, value: string): void {
    if (this.skip !== 0) return;
    if (name.charCodeAt(0) < 97) name = name.toLowerCase();
    switch (name) {
      case 'class':
        this.pCls = value;
        this.pHints |= attrInfo(value).bits;
        break;
      case 'id':
        this.pId = value;
        this.pHints |= attrInfo(value).bits;
        break;
      case 'role':
        this.pHints |= roleBits(value);
        break;
      case 'itemprop':
        this.pHints |= itempropBits(value);
        break;
      case 'href':
        this.pHref = true;
        this.pHrefValue = value;
        break;
      case 'hidden':
        this.pHidden = true;
        break;
      case 'aria-hidden':
        if (value === 'true') this.pHidden = true;
        break;
      case 'style':
        if (styleHides(value)) this.pHidden = true;
        break;
      case 'rel':
        this.pRel = value;
        break;
      case 'lang':
        this.pLang = value;
        break;
      case 'charset':
        this.pCharset = value;
        break;
      case 'content':
        if (this.pName === 'meta' && this.pCharset === '') {
          const m = /charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)/i.exec(value);
          if (m) this.pCharset = m[1]!;
        }
        break;
    }
  }

  ontext(s: string): void {
    if (this.pName !== null) this.commit();
    if (this.skip !== 0) return;
    const L = this.depth < this.size ? this.depth : this.size - 1;
    if (this.preAt[L] === 0) {
      this.add(s, this.linkAt[L] === 1);
      return;
    }
    let from = 0;
    for (let nl = s.indexOf('\n'); nl >= 0; nl = s.indexOf('\n', from)) {
      this.add(from === 0 && nl === s.length ? s : s.slice(from, nl), this.linkAt[L] === 1);
      this.flush();
      from = nl + 1;
    }
    if (from < s.length) this.add(from === 0 ? s : s.slice(from), this.linkAt[L] === 1);
  }

  onclosetag(name: string): void {
    if (this.pName !== null) this.commit();
    const d = this.depth;
    if (d === 0) return;
    if (this.skip !== 0) {
      if (d <= this.skip) this.skip = 0;
      this.depth = d - 1;
      return;
    }
    const info = d < this.size ? this.info[d]! : (TAG_INFO.get(name) ?? 0);
    if (info & BLOCK) this.flush(); // with the closing element still open: the run is its text
    this.depth = d - 1;
  }

  onend(): void {
    if (this.pName !== null) this.commit();
    if (this.skip === 0) this.flush();
  }

  // ---- internals ----

  /** The start tag is complete: push the element, unless it or an ancestor is dropped. */
  private commit(): void {
    const name = this.pName!;
    this.pName = null;
    if (this.skip !== 0) {
      this.depth++;
      return;
    }
    const info = TAG_INFO.get(name) ?? 0;
    if (info & DROP || this.pHidden) {
      this.depth++;
      this.skip = this.depth;
      return;
    }
    if (info & BLOCK) this.flush();
    if (name.length === 4) {
      if (name === 'meta') {
        if (this.pCharset !== '' && this.metaCharset === '') this.metaCharset = this.pCharset.toLowerCase();
      } else if (name === 'link') {
        if (this.pHref && this.canonical === undefined && this.pRel.toLowerCase() === 'canonical') this.canonical = this.pHrefValue.trim();
      } else if (name === 'html') {
        if (this.pLang !== '' && this.lang === undefined) this.lang = this.pLang.trim();
      }
    }
    const L = ++this.depth;
    if (L >= this.size) return;
    const P = L - 1;
    this.serialAt[L] = ++this.serial;
    this.tag[L] = name;
    this.id[L] = this.pId;
    this.cls[L] = this.pCls;
    this.info[L] = info;
    this.segCache[L] = null;
    this.pathCache[L] = null;
    this.hashCache[L] = null;
    // <html> and <body> classes describe the page (WordPress: "single-post comments-open has-sidebar"), not its parts.
    this.hintAt[L] = info & NOPATH ? 0 : this.hintAt[P]! | (info >>> 8) | this.pHints;
    const k = (info >>> 4) & 15;
    this.kindAt[L] = k !== 0 ? k : this.kindAt[P]!;
    this.linkAt[L] = this.linkAt[P] === 1 || (this.pHref && name === 'a') ? 1 : 0;
    this.preAt[L] = this.preAt[P] === 1 || (info & PRE) !== 0 ? 1 : 0;
    this.tableAt[L] = name === 'table' ? this.serialAt[L]! : this.tableAt[P]!;
  }

  /** Append a text chunk to the run: whitespace collapsed, sliced only where it was not single spaces. */
  private add(s: string, link: boolean): void {
    const n = s.length;
    let i = 0;
    while (i < n) {
      if (isWs(s.charCodeAt(i))) {
        this.space = true;
        i++;
        continue;
      }
      let j = i + 1;
      while (j < n) {
        const c = s.charCodeAt(j);
        if (c === 32) {
          if (j + 1 < n && !isWs(s.charCodeAt(j + 1))) {
            j += 2;
            continue;
          }
          break;
        }
        if (c === 10 || c === 9 || c === 13 || c === 12) break;
        j++;
      }
      if (this.space && this.curLen > 0) {
        this.cur += ' ';
        this.curLen++;
        if (link && this.lastLink) this.linkLen++;
      }
      this.space = false;
      this.cur += i === 0 && j === n ? s : s.slice(i, j);
      this.curLen += j - i;
      if (link) this.linkLen += j - i;
      this.lastLink = link;
      i = j;
    }
  }

  private pathOf(L: number): string {
    const cached = this.pathCache[L];
    if (cached != null) return cached;
    let path = '';
    let n = 0;
    // Hashes of the levels, innermost first: all of them (the path), and all but the innermost (its parent).
    let a = 0x3c6ef372;
    let b = 0x1b873593;
    let pa = a;
    let pb = b;
    for (let k = L; k >= 1 && n < PATH_LEVELS; k--) {
      if (this.info[k]! & NOPATH) continue;
      let seg = this.segCache[k];
      if (seg == null) {
        seg = this.segCache[k] = segment(this.tag[k]!, this.id[k]!, this.cls[k]!);
        const [h1, h2] = siteHash(seg);
        this.segHash[2 * k] = h1;
        this.segHash[2 * k + 1] = h2;
      }
      path = n === 0 ? seg : seg + '>' + path;
      const s1 = this.segHash[2 * k]!;
      const s2 = this.segHash[2 * k + 1]!;
      a = Math.imul(a ^ s1, 0x01000193) ^ (a >>> 15);
      b = Math.imul(b + s2, 0x5bd1e995) ^ (b >>> 13);
      if (n > 0) {
        pa = Math.imul(pa ^ s1, 0x01000193) ^ (pa >>> 15);
        pb = Math.imul(pb + s2, 0x5bd1e995) ^ (pb >>> 13);
      }
      n++;
    }
    this.pathCache[L] = path;
    const h = new Int32Array(4);
    h[0] = fmix32(a ^ n);
    h[1] = fmix32(b + Math.imul(n, 0x9e3779b1));
    h[2] = fmix32(pa ^ (n - 1));
    h[3] = fmix32(pb + Math.imul(n - 1, 0x9e3779b1));
    this.hashCache[L] = h;
    return path;
  }

  /** Class/id words of the path levels, outermost first. */
  private tokensOf(L: number): string[] {
    let top = L;
    for (let n = 0; top >= 1 && n < PATH_LEVELS; top--) if (!(this.info[top]! & NOPATH)) n++;
    const out: string[] = [];
    for (let k = top + 1; k <= L; k++) {
      if (this.info[k]! & NOPATH) continue;
      for (const w of attrInfo(this.id[k]!).words) if (!out.includes(w)) out.push(w);
      for (const w of attrInfo(this.cls[k]!).words) if (!out.includes(w)) out.push(w);
    }
    return out;
  }

  private ancestors(L: number): Int32Array {
    const a = new Int32Array(ANCESTORS);
    for (let k = 0; k < ANCESTORS && L - k >= 1; k++) a[k] = this.serialAt[L - k]!;
    return a;
  }

  /** End the current run: it becomes a block when it has text. */
  private flush(): void {
    this.space = false;
    this.lastLink = false;
    if (this.curLen === 0) return;
    // A copy: the run is a slice of the page string (or a rope of slices), and V8 keeps a sliced string's
    // parent alive, so without it one kept block holds the whole page (measured: 20 blocks, 200 MB).
    // Concatenation then slice flattens the rope into a fresh string of the block's own size.
    const text = (' ' + this.cur).slice(1);
    const chars = this.curLen;
    const linkChars = this.linkLen;
    this.cur = '';
    this.curLen = 0;
    this.linkLen = 0;
    if (this.truncated) return;
    const L = this.depth < this.size ? this.depth : this.size - 1;
    const k = this.kindAt[L]!;
    const kindName = KINDS[k]!;
    if (k === K_TITLE) {
      if (this.titleSeen) return;
      this.titleSeen = true;
      this.title = text;
    }
    this.blocks.push({
      text,
      kind: kindName,
      path: this.pathOf(L),
      pathHash: this.hashCache[L]!,
      anc: this.ancestors(L),
      tokens: this.wantTokens ? this.tokensOf(L) : undefined,
      linkChars,
      chars,
      depth: this.depth,
      index: this.blocks.length,
      hints: this.hintAt[L]!,
      table: this.tableAt[L]!,
    });
    if (this.blocks.length >= this.maxBlocks) {
      this.truncated = true;
      this.parser?.pause();
    }
  }
}

/** An HTML page (already decoded: see decodeHtml) to its blocks in reading order. */
export function htmlToBlocks(html: string, opts: BlockOptions = {}): HtmlPage {
  const b = new BlockBuilder(opts);
  const parser = new CappedParser(b, { decodeEntities: true, lowerCaseAttributeNames: false }, Math.max(1, opts.maxDepth ?? 256));
  b.parser = parser;
  parser.end(html);
  const page: HtmlPage = { title: b.title, blocks: b.blocks, charset: opts.charset ?? b.metaCharset };
  if (b.lang !== undefined) page.lang = b.lang;
  if (b.canonical !== undefined) page.canonical = b.canonical;
  if (b.truncated) page.truncated = true;
  return page;
}

/** One block a line, in reading order. */
export function blocksToText(page: HtmlPage): string {
  let s = '';
  const bs = page.blocks;
  for (let i = 0; i < bs.length; i++) s += i === 0 ? bs[i]!.text : '\n' + bs[i]!.text;
  return s;
}
