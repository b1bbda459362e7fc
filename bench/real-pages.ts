/**
 * Real pages with human gold text (../shared/eval-data; research-only licenses: read at run time, never
 * shipped): CleanPortalEval (4 portals, 12-30 pages each), the Dragnet domains with 5+ pages, and the
 * europa.eu press releases (one site, 2,239 pages in up to 24 languages; gold cut from the page, maybe
 * automatically: see its SOURCE.md). HTML is decoded by its charset (decodeHtml) and turned into text
 * the way a naive scraper does: scripts, styles and comments dropped, block tags to newlines, other tags
 * removed, entities decoded. Each method cleans the pages of a set (sites from the index files); output
 * and gold are compared as bags of normalized words (scoreTexts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Parser } from 'htmlparser2';
import { decodeHtml } from '../src/html/decode.js';
import { normalize } from '../src/normalize.js';
import { bagScore } from '../src/sim/score.js';
import type { Peer } from '../src/sim/peers.js';

/** One method's figures on a set of documents (bench:quality prints a table of them). */
export interface QualityRow {
  method: string;
  precision: number;
  recall: number;
  f1: number;
  chromeLeft: number;
  damaged: number;
}

export interface RealPage {
  file: string;
  site: string;
  text: string;
  gold: string;
}

export interface RealSet {
  name: string;
  pages: RealPage[];
}

/** Files of a .tar.gz (ustar; regular files only). */
export function readTarGz(file: string): Map<string, Buffer> {
  const buf = gunzipSync(fs.readFileSync(file));
  const out = new Map<string, Buffer>();
  let p = 0;
  let longName: string | null = null;
  while (p + 512 <= buf.length) {
    const hdr = buf.subarray(p, p + 512);
    if (hdr.every((b) => b === 0)) break;
    let name = hdr.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const prefix = hdr.toString('utf8', 345, 500).replace(/\0.*$/s, '');
    if (prefix) name = `${prefix}/${name}`;
    const size = parseInt(hdr.toString('utf8', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8);
    const type = String.fromCharCode(hdr[156]!);
    const data = buf.subarray(p + 512, p + 512 + size);
    if (type === 'L') longName = data.toString('utf8').replace(/\0.*$/s, '');
    else {
      if (longName) {
        name = longName;
        longName = null;
      }
      if (type === '0' || type === '\0') out.set(name, Buffer.from(data));
    }
    p += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

const BLOCK = /<\/?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|section|article|header|footer|nav|aside|blockquote|form|title|pre|dd|dt|dl|hr|figure|figcaption|main|option|select|label|button)\b[^>]*>/gi;

export function decodeEntities(s: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', mdash: '—', ndash: '–', hellip: '…', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“', copy: '©', reg: '®', middot: '·', bull: '•', raquo: '»', laquo: '«' };
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp < 0x110000 ? String.fromCodePoint(cp) : m;
    }
    return named[e.toLowerCase()] ?? m;
  });
}

/** Text with tags gone to its lines: entities decoded, spaces collapsed, blank lines dropped. */
function blockLines(t: string): string {
  return decodeEntities(t)
    .split('\n')
    .map((l) => l.replace(/[ \t\r\f\v]+/g, ' ').trim())
    .filter((l) => l.length > 0)
    .join('\n');
}

/** What a naive scraper gets from a page. */
export function htmlToText(html: string): string {
  const t = html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|noscript|template)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<head\b[\s\S]*?<\/head\s*>/gi, (h) => (/<title\b[^>]*>([\s\S]*?)<\/title>/i.exec(h)?.[1] ?? '') + '\n')
    .replace(BLOCK, '\n')
    .replace(/<[^>]*>/g, ' ');
  return blockLines(t);
}

/**
 * An HTML fragment (a gold body) to the text it shows: comments, scripts and styles dropped, block tags
 * to newlines, other tags removed without a space (the europa gold splits words with inline tags:
 * `Europ</B></I><I><B>äische`), entities decoded, one block a line.
 */
export function fragmentToText(html: string): string {
  const t = html
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(BLOCK, '\n')
    .replace(/<[^>]*>/g, '');
  return blockLines(t);
}

function readIndex(file: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
    const [f, domain] = line.split('\t');
    if (f && domain) m.set(f, domain);
  }
  return m;
}

export function defaultEvalDir(): string {
  const here = path.dirname(new URL(import.meta.url).pathname);
  return path.resolve(here, '../../../shared/eval-data');
}

/** A page of a gold set as stored: its HTML bytes and its gold text (entities decoded). */
export interface GoldPage {
  file: string;
  site: string;
  /**
   * The site whose held-out fold the page follows when it is not `site` (a page of a multi-page site
   * given alone, as its own site: it must stay in its real site's fold).
   */
  group?: string;
  html: Buffer;
  gold: string;
}

export interface GoldSetOptions {
  /** Also the Dragnet domains with fewer than 5 pages and CleanEval (one page a site): for training. */
  extra?: boolean;
  /**
   * Take about this many europa.eu pages instead of all 2,239: every k-th press release (by id, k =
   * round(pages / limit)), each with all of its languages. Deterministic.
   */
  europaLimit?: number;
}

export const EUROPA_SET = 'europa.eu press releases';

/** The europa.eu press releases: `europa/html/press-release_ID_LANG.html` and its gold `europa/reference/` fragment. */
function europaPages(tarFile: string, limit: number | undefined): GoldPage[] {
  const files = readTarGz(tarFile);
  const byRelease = new Map<string, string[]>();
  for (const name of files.keys()) {
    const m = /^europa\/html\/(press-release_(.+)_([a-z]+)\.html)$/.exec(name);
    if (!m || !files.has(`europa/reference/${m[1]}`)) continue;
    const list = byRelease.get(m[2]!) ?? [];
    list.push(m[1]!);
    byRelease.set(m[2]!, list);
  }
  const releases = [...byRelease.keys()].sort();
  const total = [...byRelease.values()].reduce((n, l) => n + l.length, 0);
  const k = limit !== undefined && limit > 0 && limit < total ? Math.max(1, Math.round(total / limit)) : 1;
  const pages: GoldPage[] = [];
  releases.forEach((id, i) => {
    if (i % k !== 0) return;
    for (const f of byRelease.get(id)!.sort()) {
      pages.push({ file: f, site: 'europa.eu', html: files.get(`europa/html/${f}`)!, gold: fragmentToText(files.get(`europa/reference/${f}`)!.toString('utf8')) });
    }
  });
  return pages;
}

/**
 * Dragnet's gold separates the article from the reader comments by a line '!@#$%^&*()  COMMENTS'; 20 of its
 * gold files spell that line otherwise ('!@ $%^&*()  COMMENTS', one space or three, a tab, a CR, '!#@$...').
 * Cut only at the exact line (until 2026-12-01), those kept their whole comment threads as gold: 9 of them
 * Dragnet 5+ pages, 85,221 comment words, 15.5% of the set's gold words (bench/html-oracle.ts found it).
 */
const DRAGNET_COMMENTS = /^[ \t]*[!@#$%^&*() ]{5,}[ \t]*COMMENTS[ \t\r]*$/m;

/** A Dragnet gold text up to its comments. */
export function dragnetBody(gold: string): string {
  return gold.split(DRAGNET_COMMENTS)[0]!;
}

/**
 * The gold sets that are present, in this order: CleanPortalEval; Dragnet domains with 5+ pages; europa.eu
 * press releases (all 2,239 pages unless opts.europaLimit). Pages sorted by file.
 */
export function goldPageSets(dir = defaultEvalDir(), opts: GoldSetOptions = {}): { name: string; pages: GoldPage[] }[] {
  const sets: { name: string; pages: GoldPage[] }[] = [];
  const read = (folder: string, tar: string, indexFile: string | null, input: string, goldDir: string, minPerSite: number, cleanGold: (g: string) => string, maxPerSite = Infinity): GoldPage[] | null => {
    const d = path.join(dir, folder);
    if (!fs.existsSync(path.join(d, tar))) return null;
    const files = readTarGz(path.join(d, tar));
    // (No index: every page is its own site.)
    const index = indexFile !== null ? readIndex(path.join(d, indexFile)) : new Map([...files.keys()].filter((k) => k.startsWith(input + '/')).map((k) => [k.slice(input.length + 1), `${folder}/${k.slice(input.length + 1)}`]));
    const perSite = new Map<string, number>();
    for (const site of index.values()) perSite.set(site, (perSite.get(site) ?? 0) + 1);
    const pages: GoldPage[] = [];
    for (const [f, site] of [...index].sort()) {
      const k = perSite.get(site) ?? 0;
      if (k < minPerSite || k > maxPerSite) continue;
      const html = files.get(`${input}/${f}`);
      const gold = files.get(`${goldDir}/${f.replace(/\.html?$/, '.txt')}`);
      if (html && gold) pages.push({ file: f, site, html, gold: cleanGold(gold.toString('utf8')) });
    }
    return pages;
  };
  // CleanPortalEval gold has a URL line, <p>/<h>/<l> markers and entities; Dragnet's ends where comments start
  // (dragnetBody).
  const cpe = read('cleanportaleval', 'cleanportaleval_html_gold.tar.gz', 'index_cleanportaleval.tsv', 'CleanPortalEval-master/input', 'CleanPortalEval-master/GoldStandard', 1, (g) =>
    decodeEntities(g.replace(/^\s*URL:.*$/m, '').replace(/<[phl]>/g, '')),
  );
  if (cpe) sets.push({ name: 'CleanPortalEval', pages: cpe });
  const dn = read('dragnet-seomoz', 'dragnet_html_gold.tar.gz', 'index_dragnet.tsv', 'dragnet_data/input', 'dragnet_data/GoldStandard', 5, dragnetBody);
  if (dn) sets.push({ name: 'Dragnet (domains with 5+ pages)', pages: dn });
  // europa gold is an HTML fragment; every page and fragment is UTF-8 (pages say so in a <meta>).
  const eu = path.join(dir, 'europa-press', 'europa_press_html_reference.tar.gz');
  if (fs.existsSync(eu)) sets.push({ name: EUROPA_SET, pages: europaPages(eu, opts.europaLimit) });
  if (opts.extra) {
    const few = read('dragnet-seomoz', 'dragnet_html_gold.tar.gz', 'index_dragnet.tsv', 'dragnet_data/input', 'dragnet_data/GoldStandard', 1, dragnetBody, 4);
    if (few) sets.push({ name: 'Dragnet (domains with < 5 pages)', pages: few });
    // (CleanEval as singlePageSets gives it: the same pages and sites as bench/html-quality.ts scores.)
    const ce = singlePageSets(dir, { only: [CLEANEVAL_SET] })[0];
    if (ce) sets.push(ce);
  }
  return sets;
}

/** Names of the single-page sets (singlePageSets), one page a site. */
export const CLEANEVAL_SET = 'CleanEval';
export const GOOGLETRENDS_SET = 'Google-Trends-2017';
export const AEB_SET = 'scrapinghub AEB';

const BLOCK_NAMES = new Set(['p', 'div', 'br', 'li', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'tr', 'td', 'th', 'table', 'section', 'article', 'header', 'footer', 'nav', 'aside', 'blockquote', 'form', 'title', 'pre', 'dd', 'dt', 'dl', 'hr', 'figure', 'figcaption', 'main', 'option', 'select', 'label', 'button']);

/**
 * The text of the elements of a Google-Trends-2017 page that carry `__label="<label>"` (the BoilerNet
 * annotation; nested labelled elements counted once), block tags as line breaks, scripts and styles
 * dropped.
 */
export function labelledText(html: string, label = 'main'): string {
  let inside = 0; // open elements since (and including) the outermost labelled one
  let raw = 0;
  let t = '';
  const p = new Parser(
    {
      onopentag(name, attrs) {
        if (inside > 0) inside++;
        else if (attrs['__label'] === label) inside = 1;
        if (name === 'script' || name === 'style') raw++;
        if (inside > 0 && BLOCK_NAMES.has(name)) t += '\n';
      },
      onclosetag(name) {
        if (name === 'script' || name === 'style') raw = Math.max(0, raw - 1);
        if (inside > 0) {
          if (BLOCK_NAMES.has(name)) t += '\n';
          inside--;
        }
      },
      ontext(s) {
        if (inside > 0 && raw === 0) t += s;
      },
    },
    { decodeEntities: true },
  );
  p.write(html);
  p.end();
  return t
    .split('\n')
    .map((l) => l.replace(/[ \t\r\f\v\u00a0]+/g, ' ').trim())
    .filter((l) => l.length > 0)
    .join('\n');
}

/** A page's HTML without the BoilerNet annotation attributes (what the methods are given). */
export function stripLabels(html: string): string {
  return html.replace(/\s__label\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)/g, '');
}

/** Every k-th of `xs` (k = round(length / limit)) when a limit below the length is given. Deterministic. */
export function everyKth<T>(xs: T[], limit: number | undefined): T[] {
  const k = limit !== undefined && limit > 0 && limit < xs.length ? Math.max(1, Math.round(xs.length / limit)) : 1;
  return xs.filter((_, i) => i % k === 0);
}

/** A host-like site name for a page that is its own site (so that a URL's host gives it back). */
function ownSite(set: string, file: string): string {
  return `${file.replace(/\.html?(\.gz)?$/, '').replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.${set}.test`;
}

/**
 * The single-page gold sets that are present, each page its own site (no cross-page evidence):
 * CleanEval (dev + final: the pages with a gold file; gold markers and the URL line dropped),
 * Google-Trends-2017 (gold: the `__label="main"` elements; the HTML given to methods has the labels
 * removed: see `html`), scrapinghub AEB (gold: ground-truth.json articleBody). `limit`: about that many
 * pages of each set (every k-th by file name). Sites are host-like (`<file>.<set>.test`).
 */
export function singlePageSets(dir = defaultEvalDir(), opts: { limit?: number; only?: string[] } = {}): { name: string; pages: GoldPage[] }[] {
  const sets: { name: string; pages: GoldPage[] }[] = [];
  const want = (name: string): boolean => !opts.only || opts.only.includes(name);
  const ceTar = path.join(dir, 'cleaneval', 'cleaneval_dev_final_html_gold.tar.gz');
  if (want(CLEANEVAL_SET) && fs.existsSync(ceTar)) {
    const files = readTarGz(ceTar);
    const pages: GoldPage[] = [];
    for (const part of ['dev', 'final']) {
      const input = `cleaneval-${part}/input/`;
      for (const name of [...files.keys()].filter((k) => k.startsWith(input)).sort()) {
        const f = name.slice(input.length);
        const gold = files.get(`cleaneval-${part}/GoldStandard/${f.replace(/\.html?$/, '.txt')}`);
        if (!gold) continue;
        pages.push({ file: `${part}/${f}`, site: ownSite('cleaneval', `${part}-${f}`), html: files.get(name)!, gold: decodeEntities(gold.toString('utf8').replace(/^\s*URL:.*$/m, '').replace(/<[phl]>/g, '')) });
      }
    }
    sets.push({ name: CLEANEVAL_SET, pages: everyKth(pages, opts.limit) });
  }
  const gtTar = path.join(dir, 'googletrends-2017', 'googletrends_2017_html.tar.gz');
  if (want(GOOGLETRENDS_SET) && fs.existsSync(gtTar)) {
    const files = readTarGz(gtTar);
    const pages: GoldPage[] = [];
    for (const name of [...files.keys()].filter((k) => /^googletrends\/raw_html\/[^/]+\.html$/.test(k)).sort()) {
      const f = name.slice('googletrends/raw_html/'.length);
      const bytes = files.get(name)!;
      const gold = labelledText(decodeHtml(bytes).html);
      if (!gold) continue;
      // (Labels cut from the bytes, read as latin1 so that every byte is kept as it was: the charset stays the page's.)
      pages.push({ file: f, site: ownSite('googletrends', f), html: Buffer.from(stripLabels(bytes.toString('latin1')), 'latin1'), gold });
    }
    sets.push({ name: GOOGLETRENDS_SET, pages: everyKth(pages, opts.limit) });
  }
  const aeb = path.join(dir, 'scrapinghub-aeb');
  if (want(AEB_SET) && fs.existsSync(path.join(aeb, 'ground-truth.json'))) {
    const truth = JSON.parse(fs.readFileSync(path.join(aeb, 'ground-truth.json'), 'utf8')) as Record<string, { articleBody?: string }>;
    const pages: GoldPage[] = [];
    for (const id of Object.keys(truth).sort()) {
      const file = path.join(aeb, 'html', `${id}.html.gz`);
      const body = truth[id]!.articleBody ?? '';
      if (!fs.existsSync(file) || !body.trim()) continue;
      pages.push({ file: `${id}.html.gz`, site: ownSite('aeb', id.slice(0, 16)), html: gunzipSync(fs.readFileSync(file)), gold: body });
    }
    sets.push({ name: AEB_SET, pages: everyKth(pages, opts.limit) });
  }
  return sets;
}

/**
 * The real-page sets that are present, as a naive scraper turns them into text. Pages are decoded by
 * their charset (decodeHtml: BOM, <meta>, else UTF-8); on CleanPortalEval and Dragnet that gives the same
 * strings as before (every page read as UTF-8: the old latin1 fallback tested toString('latin1') for U+FFFD,
 * which it never holds; the 13 Dragnet pages declaring windows-1252 come out the same either way).
 */
export function realPageSets(dir = defaultEvalDir(), opts: GoldSetOptions = {}): RealSet[] {
  return goldPageSets(dir, opts).map((set) => ({
    name: set.name,
    pages: set.pages.map((p) => ({ file: p.file, site: p.site, text: htmlToText(decodeHtml(p.html).html), gold: p.gold })),
  }));
}

/** A text's words as the scores count them: normalized, split on spaces. */
export const words = (s: string): string[] => normalize(s).split(' ').filter((w) => w.length > 0);

/**
 * Not a method: an upper bound. After `base`, every line still kept of which fewer than half the words
 * occur in the page's gold text is removed too — what a perfect line-level decision would add on top.
 * It reads the gold, so it only says how far a line cleaner could go on this text and this scoring.
 */
export function lineOracle(base: Peer, set: RealSet): Peer {
  return {
    name: `oracle: ${base.name} + perfect lines`,
    describe: 'upper bound of a line-level cleaner (uses the gold)',
    run(docs) {
      const removed = base.run(docs);
      return docs.map((d, i) => {
        const gold = new Set(words(set.pages[i]!.gold));
        const spans = removed[i]!;
        const out: [number, number][] = spans.map(([a, b]) => [a, b]);
        let pos = 0;
        for (const line of d.text.split('\n')) {
          const s = pos;
          const e = pos + line.length;
          pos = e + 1;
          if (spans.some(([a, b]) => a <= s && b >= e)) continue;
          const w = words(line);
          if (w.length > 0 && w.filter((x) => gold.has(x)).length * 2 < w.length) out.push([s, e]);
        }
        return out.sort((x, y) => x[0] - y[0]);
      });
    },
  };
}

/** A page as scored: the naive scraper's text (the "all text" baseline for damage) and the gold. */
export interface ScoredPage {
  text: string;
  gold: string;
}

/** Per page, computed once: gold words, and the baseline's bag score against them. */
const baselines = new WeakMap<ScoredPage, { gold: string[]; all: { tp: number; outN: number } }>();

function baseline(p: ScoredPage): { gold: string[]; all: { tp: number; outN: number } } {
  let b = baselines.get(p);
  if (!b) {
    const gold = words(p.gold);
    b = { gold, all: bagScore(words(p.text), gold) };
    baselines.set(p, b);
  }
  return b;
}

/**
 * Score a method's extracted texts (texts[i] for pages[i]) against gold: micro precision/recall/F1 over
 * bags of normalized words. Damaged: pages whose matched gold words fall below 95% of what the page's
 * whole text (p.text) matches. Chrome left: non-gold words kept over non-gold words in p.text (can pass 1
 * for a method that does not start from p.text).
 */
export function scoreTexts(method: string, pages: readonly ScoredPage[], texts: readonly string[]): QualityRow {
  let tp = 0;
  let outN = 0;
  let goldN = 0;
  let damaged = 0;
  let chromeIn = 0;
  let chromeKept = 0;
  pages.forEach((p, i) => {
    const { gold, all } = baseline(p);
    const b = bagScore(words(texts[i] ?? ''), gold);
    tp += b.tp;
    outN += b.outN;
    goldN += b.goldN;
    chromeIn += all.outN - all.tp;
    chromeKept += b.outN - b.tp;
    if (all.tp > 0 && b.tp / all.tp < 0.95) damaged++;
  });
  const precision = outN > 0 ? tp / outN : 1;
  const recall = goldN > 0 ? tp / goldN : 1;
  return {
    method,
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    chromeLeft: chromeIn > 0 ? chromeKept / chromeIn : 0,
    damaged: pages.length > 0 ? damaged / pages.length : 0,
  };
}

/** Per page, whether a method's text is damaged (matched gold words below 95% of the baseline's), as scoreTexts counts. */
export function damagedPages(pages: readonly ScoredPage[], texts: readonly string[]): boolean[] {
  return pages.map((p, i) => {
    const { gold, all } = baseline(p);
    return all.tp > 0 && bagScore(words(texts[i] ?? ''), gold).tp / all.tp < 0.95;
  });
}

/** The text a method keeps of `text` when it removes the `removed` spans (one kept run a line). */
export function keptText(text: string, removed: readonly (readonly [number, number])[]): string {
  const mask = new Uint8Array(text.length);
  for (const r of removed) mask.fill(1, r[0], r[1]);
  let kept = '';
  let s = 0;
  for (let j = 0; j <= text.length; j++) {
    if (j === text.length || mask[j]) {
      if (j > s) kept += text.slice(s, j) + '\n';
      s = j + 1;
    }
  }
  return kept;
}

/** Score every method on one set: micro precision/recall/F1 over word bags (scoreTexts of what each keeps). */
export function scoreRealPages(set: RealSet, peers: Peer[]): QualityRow[] {
  const docs = set.pages.map((p) => ({ text: p.text, site: p.site }));
  return peers.map((peer) => {
    const removed = peer.run(docs);
    return scoreTexts(
      peer.name,
      set.pages,
      set.pages.map((p, i) => keptText(p.text, removed[i]!)),
    );
  });
}

/** The kept blocks' text, whole, one a line (the <title> block never, as decideBlocks). */
export function keptBlocksText(blocks: readonly { text: string; kind: string }[], keep: ArrayLike<number>): string {
  const out: string[] = [];
  for (let i = 0; i < blocks.length; i++) if (keep[i] && blocks[i]!.kind !== 'title') out.push(blocks[i]!.text);
  return out.join('\n');
}

/** A bag of words: each word and how many times it occurs. */
export function wordBag(ws: readonly string[]): Map<string, number> {
  const bag = new Map<string, number>();
  for (const w of ws) bag.set(w, (bag.get(w) ?? 0) + 1);
  return bag;
}

/** The words of `ws` a bag still holds (each bag word matched once): how many, and how many of each. */
export function bagHits(ws: readonly string[], bag: ReadonlyMap<string, number>): { hit: number; use: Map<string, number> } {
  const use = new Map<string, number>();
  let hit = 0;
  for (const w of ws) {
    const u = use.get(w) ?? 0;
    if (u < (bag.get(w) ?? 0)) {
      hit++;
      use.set(w, u + 1);
    }
  }
  return { hit, use };
}

/** Take the words bagHits found out of the bag. */
export function takeHits(bag: Map<string, number>, use: ReadonlyMap<string, number>): void {
  for (const [w, u] of use) bag.set(w, bag.get(w)! - u);
}

/**
 * An oracle's blocks (each block's normalized words, in page order) by a bag rule against the gold's words:
 * keep when its words found in the gold not yet matched * 2 > its words (majority) or >= 1 (any).
 */
export function bagOracle(ws: string[][], gold: string[], rule: 'majority' | 'any'): Uint8Array {
  const bag = wordBag(gold);
  const k = new Uint8Array(ws.length);
  for (let i = 0; i < ws.length; i++) {
    const b = ws[i]!;
    if (b.length === 0) continue;
    const { hit, use } = bagHits(b, bag);
    if (rule === 'majority' ? hit * 2 <= b.length : hit === 0) continue;
    k[i] = 1;
    takeHits(bag, use);
  }
  return k;
}
