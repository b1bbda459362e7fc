/**
 * An HTML document as the cleaner sees it: its blocks (blocks.ts) as lines of one text, each block's
 * element path hashed for counting, and the distinct paths of the page (what pass 1 counts per site).
 *
 * The text is the blocks joined by '\n' (a block never holds a newline), so line i of the text is block
 * i: the text evidence (analyze/strip) and the structural evidence (features.ts) index the same lines.
 */
import { htmlToBlocks, type HtmlPage } from './blocks.js';

export interface HtmlDocOptions {
  /** Element nesting kept (deeper elements are flattened). Default 256. */
  maxDepth?: number;
  /** Blocks read per page; the rest of a longer page is not read. Default 20,000. */
  maxBlocks?: number;
  /** The charset the page was decoded with (for the page's record only). */
  charset?: string;
}

export interface HtmlDoc {
  page: HtmlPage;
  /** Block texts joined by '\n'. */
  text: string;
  /** Start of block i in `text`; starts[n] = text.length + 1. */
  starts: Int32Array;
  /** Hash pair of block i's path at [2i, 2i+1]; of its parent path (one level up) at [2n + 2i, 2n + 2i + 1]. */
  pathH: Int32Array;
  /** The page's distinct block and parent path hashes, in pairs (counted once per page). */
  distinct: Int32Array;
}

export const DEFAULT_MAX_BLOCKS = 20_000;

/** Parse a decoded page into an HtmlDoc. */
export function htmlDoc(html: string, opts: HtmlDocOptions = {}): HtmlDoc {
  const page = htmlToBlocks(html, { maxDepth: opts.maxDepth, maxBlocks: opts.maxBlocks ?? DEFAULT_MAX_BLOCKS, charset: opts.charset });
  const bs = page.blocks;
  const n = bs.length;
  const starts = new Int32Array(n + 1);
  const pathH = new Int32Array(4 * n);
  // The page's distinct paths, for `distinct`.
  const local = new Set<Int32Array>();
  const texts: string[] = new Array<string>(n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const b = bs[i]!;
    starts[i] = pos;
    texts[i] = b.text;
    pos += b.text.length + 1;
    const h = b.pathHash;
    local.add(h);
    pathH[2 * i] = h[0]!;
    pathH[2 * i + 1] = h[1]!;
    pathH[2 * n + 2 * i] = h[2]!;
    pathH[2 * n + 2 * i + 1] = h[3]!;
  }
  const text = texts.join('\n');
  starts[n] = pos;
  // Block paths and parent paths, each once (a parent is often another block's path).
  const seen = new Set<number>();
  const distinct: number[] = [];
  for (const h of local) {
    for (let k = 0; k < 4; k += 2) {
      const key = h[k]! ^ Math.imul(h[k + 1]!, 0x9e3779b1);
      if (seen.has(key)) continue;
      seen.add(key);
      distinct.push(h[k]!, h[k + 1]!);
    }
  }
  return { page, text, starts, pathH, distinct: Int32Array.from(distinct) };
}

/**
 * Where an HTML record's page comes from: parsed (htmlDoc), or, in clean's pass 2, pass 1's parse read
 * back from the analysis cache (page-cache.ts).
 */
export interface PageSource {
  page(html: string): HtmlDoc;
}

export const PARSE: PageSource = { page: (html) => htmlDoc(html) };
