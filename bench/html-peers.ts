/**
 * Single-page HTML extractors, for the quality bench only (devDependencies; nothing in src/ imports this):
 * each turns one page's HTML into the text it keeps, one block a line, with no help from the site's other
 * pages. bench/html-quality.ts runs them beside boilerstrip on the same decoded HTML.
 *
 *  - "Mozilla Readability (jsdom)": @mozilla/readability on a jsdom document (scripts not run, no
 *    resources loaded, console output dropped); the article's textContent, lines trimmed, blank lines
 *    dropped. Readability returning null (no article found) gives '' (counted in `empty`).
 *  - "mdream": mdream's htmlToMarkdown of the whole page with no options, the Markdown syntax stripped
 *    (markdownToText).
 *  - "mdream (main content)": mdream's minimal preset ({ minimal: true, frontmatter: false }: isolateMain,
 *    tailwind, the filter that drops form/nav/footer/aside/..., all clean-ups; frontmatter off because it
 *    writes the <head> metadata as YAML, which is not page text), then markdownToText.
 *
 * mdream's default engine is a native (NAPI) binary, an optional dependency that npm installs only on
 * Node >= 22 (@mdream/rust-<platform> declares engines >= 22; it loads fine on Node 20 when installed
 * with `npm install --no-save --force @mdream/rust-linux-x64-gnu@<same version>`). Without it, the peers
 * use the WASM build the same package ships (`mdream/wasm`, same Rust code), called with the options
 * mdream's own wrapper would resolve; `describe` says which engine ran.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Readability } from '@mozilla/readability';
import { JSDOM, VirtualConsole } from 'jsdom';

export interface HtmlPage {
  html: string;
  url: string;
  site: string;
}

export interface HtmlPeer {
  name: string;
  describe: string;
  /** Per page, the extracted text (plain, one block a line); '' for a page that threw. */
  run(pages: HtmlPage[]): string[] | Promise<string[]>;
  /** Pages of the last run that threw (their text is ''). */
  failures: number;
  /** Pages of the last run for which the method found nothing to return (Readability's null), if it says so. */
  empty?: number;
}

export type MdreamEngineChoice = 'auto' | 'native' | 'wasm';

export interface HtmlPeerOptions {
  /** mdream engine: the native binary when it loads, else WASM ('auto', the default), or one of them. */
  mdreamEngine?: MdreamEngineChoice;
}

// ---- Markdown to text ----------------------------------------------------------------------------

const DEST = String.raw`\((?:<[^>\n]*>|(?:[^()\s\\]|\\.|\([^()\s]*\))*)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)`;
const IMAGE = new RegExp(String.raw`!\[(?:[^\[\]\\]|\\.)*\]` + DEST, 'g');
const LINK = new RegExp(String.raw`\[((?:[^\[\]\\]|\\.)*)\]` + DEST, 'g');
const TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$/;
const HR = /^\s*([-*_])(?:\s*\1){2,}\s*$/;
const HTML_BLOCK_TAG = /(?<!\\)<\/?(?:h[1-6]|p|div|br|hr|li|ul|ol|dl|dt|dd|table|thead|tbody|tr|td|th|blockquote|pre|section|article|header|footer|nav|aside|main|figure|figcaption)\b[^<>]*>/gi;
const HTML_TAG = /(?<!\\)<\/?[a-zA-Z][\w:-]*(?:\s[^<>]*)?\/?>/g;

/**
 * Markdown (as mdream writes it: GFM, ATX headings, `-` bullets, `_em_`, `**strong**`, inline links,
 * pipe tables, fenced code) to plain text, one block a line: images dropped, [x](y) to x, heading marks,
 * quote marks, list bullets and emphasis markers removed, table rule rows dropped and pipes to spaces,
 * code fences dropped (their content kept), backslash escapes undone, blank lines dropped. Raw HTML
 * tags that mdream lets through (it writes `<h3>…</h3>` for a heading inside inline markup) are removed,
 * block ones as line breaks.
 */
export function markdownToText(md: string): string {
  const out: string[] = [];
  let fenced = false;
  for (let line of md.split('\n')) {
    if (/^\s*(?:```|~~~)/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) {
      if (TABLE_RULE.test(line) || HR.test(line)) continue;
      line = line.replace(IMAGE, '');
      for (let prev = ''; prev !== line; ) {
        prev = line;
        line = line.replace(LINK, '$1');
      }
      line = line
        .replace(/^\s{0,3}#{1,6}(?:\s+|$)/, '')
        .replace(/^(?:\s*>)+\s?/, '')
        .replace(/^\s*(?:[-*+]|\d{1,9}[.)])\s+(?:\[[ xX]\]\s+)?/, '')
        .replace(/(?<!\\)(?:\*\*|__|~~)/g, '')
        .replace(/(?<!\\)\*/g, '')
        .replace(/(?<![\p{L}\p{N}\\])_+|(?<!\\)_+(?![\p{L}\p{N}])/gu, '')
        .replace(/(?<!\\)`+/g, '')
        .replace(/(?<!\\)\|/g, ' ')
        .replace(HTML_BLOCK_TAG, '\n')
        .replace(HTML_TAG, '')
        .replace(/\\([!-/:-@[-`{-~])/g, '$1');
    }
    for (let l of line.split('\n')) {
      l = l.replace(/\s+/g, ' ').trim();
      if (l) out.push(l);
    }
  }
  return out.join('\n');
}

/** Text with its lines trimmed and collapsed, blank lines dropped. */
function tidyLines(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter((l) => l.length > 0)
    .join('\n');
}

// ---- Readability -----------------------------------------------------------------------------------

function readabilityPeer(): HtmlPeer {
  const peer: HtmlPeer = {
    name: 'Mozilla Readability (jsdom)',
    describe: "@mozilla/readability parse() on a jsdom document, default options; the article's textContent, lines trimmed; '' when parse() returns null (no article)",
    failures: 0,
    empty: 0,
    async run(pages) {
      peer.failures = 0;
      peer.empty = 0;
      const out: string[] = [];
      for (const p of pages) {
        let dom: JSDOM | null = null;
        try {
          dom = new JSDOM(p.html, { url: p.url, virtualConsole: new VirtualConsole() });
          const article = new Readability(dom.window.document).parse();
          if (article) out.push(tidyLines(article.textContent ?? ''));
          else {
            peer.empty!++;
            out.push('');
          }
        } catch {
          peer.failures++;
          out.push('');
        } finally {
          dom?.window.close();
        }
        // Give the event loop a turn: in a loop that never yields, closed jsdom windows are not freed
        // (the heap passed 4 GB on the 804 Dragnet pages); with it, it stays under 1 GB.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return out;
    },
  };
  return peer;
}

// ---- mdream ----------------------------------------------------------------------------------------

interface MdreamEngine {
  engine: 'native' | 'wasm';
  convert(html: string, mainContent: boolean): string;
}

/** What mdream's wrapper resolves { minimal: true, frontmatter: false } to (mdream 1.7.2, dist/index.mjs). */
const WASM_MAIN_OPTIONS = {
  cleanUrls: true,
  clean: { urls: true, fragments: true, emptyLinks: true, redundantLinks: true, selfLinkHeadings: true, emptyImages: true, emptyLinkText: true },
  plugins: {
    isolateMain: true,
    tailwind: true,
    filter: { exclude: ['form', 'fieldset', 'object', 'embed', 'footer', 'aside', 'iframe', 'input', 'textarea', 'select', 'button', 'nav'] },
  },
};

async function loadNative(): Promise<MdreamEngine> {
  const m = await import('mdream');
  return { engine: 'native', convert: (html, main) => m.htmlToMarkdown(html, main ? { minimal: true, frontmatter: false } : undefined) };
}

async function loadWasm(): Promise<MdreamEngine> {
  const w = await import('mdream/wasm');
  w.initSync({ module: fs.readFileSync(fileURLToPath(import.meta.resolve('mdream/wasm/mdream_edge_bg.wasm'))) });
  return {
    engine: 'wasm',
    convert: (html, main) => (w.htmlToMarkdownResult(html, main ? WASM_MAIN_OPTIONS : undefined) as { markdown?: string }).markdown ?? '',
  };
}

const engines = new Map<MdreamEngineChoice, Promise<MdreamEngine>>();

/** The mdream engine for a choice, loaded once. */
export function loadMdream(choice: MdreamEngineChoice = 'auto'): Promise<MdreamEngine> {
  let e = engines.get(choice);
  if (!e) {
    e = choice === 'native' ? loadNative() : choice === 'wasm' ? loadWasm() : loadNative().catch(() => loadWasm());
    engines.set(choice, e);
  }
  return e;
}

function mdreamPeer(name: string, mainContent: boolean, choice: MdreamEngineChoice): HtmlPeer {
  const what = mainContent
    ? 'mdream htmlToMarkdown with { minimal: true, frontmatter: false } (isolateMain, tailwind, filter of form/nav/footer/aside/..., clean), Markdown syntax stripped'
    : 'mdream htmlToMarkdown of the whole page, no options, Markdown syntax stripped';
  const peer: HtmlPeer = {
    name,
    describe: what,
    failures: 0,
    async run(pages) {
      const md = await loadMdream(choice);
      peer.describe = `${what}; ${md.engine} engine`;
      peer.failures = 0;
      return pages.map((p) => {
        try {
          return markdownToText(md.convert(p.html, mainContent));
        } catch {
          peer.failures++;
          return '';
        }
      });
    },
  };
  return peer;
}

/** The single-page HTML peers: Readability, mdream (whole page), mdream (main content). */
export function htmlPeers(opts: HtmlPeerOptions = {}): HtmlPeer[] {
  const choice = opts.mdreamEngine ?? 'auto';
  return [readabilityPeer(), mdreamPeer('mdream', false, choice), mdreamPeer('mdream (main content)', true, choice)];
}
