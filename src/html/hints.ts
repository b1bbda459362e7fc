/**
 * Structural hints: bit flags an element passes to every block inside it, read from its tag name, its
 * `role`, its `itemprop` and the words of its `class` and `id` ("post-body" → post, body; "mostRead" →
 * most, read). They are evidence for a later decision, not a decision: a "post" class inside a sidebar
 * gives both MAIN and ASIDE.
 *
 * Sites repeat the same class strings on thousands of elements, so the word split and keyword match run
 * once per distinct attribute value (a bounded module-level cache), not once per element.
 */

export const NAV = 1 << 0; // nav, menu, navbar, breadcrumb, pagination
export const FOOTER = 1 << 1;
export const HEADER = 1 << 2;
export const ASIDE = 1 << 3; // aside, sidebar, widget
export const RELATED = 1 << 4; // related, more, recommended, popular, most-read, trending
export const COMMENT = 1 << 5;
export const SHARE = 1 << 6; // share, social
export const TAGS = 1 << 7;
export const AD = 1 << 8; // ad, ads, sponsor, promo
export const COOKIE = 1 << 9; // cookie, consent, gdpr
export const NEWSLETTER = 1 << 10; // newsletter, subscribe, signup
export const MAIN = 1 << 11; // article, main, post, entry, content, story, body-text

/** Flag names, for reports and tests. */
export const HINT_NAMES: readonly (readonly [number, string])[] = [
  [NAV, 'nav'],
  [FOOTER, 'footer'],
  [HEADER, 'header'],
  [ASIDE, 'aside'],
  [RELATED, 'related'],
  [COMMENT, 'comment'],
  [SHARE, 'share'],
  [TAGS, 'tags'],
  [AD, 'ad'],
  [COOKIE, 'cookie'],
  [NEWSLETTER, 'newsletter'],
  [MAIN, 'main'],
];

/** "nav|main" for a set of flags ('' for none). */
export function hintNames(hints: number): string {
  let s = '';
  for (const [bit, name] of HINT_NAMES) if (hints & bit) s += s ? `|${name}` : name;
  return s;
}

const WORDS: Record<number, string> = {
  [NAV]: 'nav navbar navigation menu menus menubar navmenu mainmenu topmenu submenu breadcrumb breadcrumbs crumbs pagination pager skiplink',
  [FOOTER]: 'footer foot colophon copyright',
  [HEADER]: 'header masthead topbar',
  [ASIDE]: 'aside sidebar side widget widgets rail sidebox',
  [RELATED]: 'related more recommended recommendations recommend popular mostread mostpopular mostviewed trending outbrain taboola',
  [COMMENT]: 'comment comments disqus respond discussion',
  [SHARE]: 'share sharing social sharethis addthis sharebar socialshare',
  [TAGS]: 'tag tags tagcloud keywords',
  [AD]: 'ad ads advert adverts advertisement advertising adsense adslot adunit sponsor sponsored promo promotion promoted dfp outbrain taboola',
  [COOKIE]: 'cookie cookies consent gdpr cmp',
  [NEWSLETTER]: 'newsletter subscribe subscription signup',
  [MAIN]: 'article post entry content story bodytext articlebody storybody postbody entrycontent hentry',
};

const EXACT = new Map<string, number>();
for (const [bit, list] of Object.entries(WORDS)) for (const w of list.split(' ')) EXACT.set(w, (EXACT.get(w) ?? 0) | Number(bit));

/** Stems that mark a compound word anywhere in it ("sitefooter", "relatedposts", "commentlist"). */
const INFIX: readonly (readonly [string, number])[] = [
  ['footer', FOOTER],
  ['header', HEADER],
  ['sidebar', ASIDE],
  ['widget', ASIDE],
  ['related', RELATED],
  ['popular', RELATED],
  ['recommend', RELATED],
  ['comment', COMMENT],
  ['social', SHARE],
  ['share', SHARE],
  ['sponsor', AD],
  ['advert', AD],
  ['cookie', COOKIE],
  ['consent', COOKIE],
  ['newsletter', NEWSLETTER],
  ['subscri', NEWSLETTER],
  ['breadcrumb', NAV],
  ['navbar', NAV],
  ['navigation', NAV],
  ['menu', NAV],
  ['article', MAIN],
  ['content', MAIN],
];
/** Stems that mark a word only at its start ("navlinks"; "story" would match "history" inside). */
const PREFIX: readonly (readonly [string, number])[] = [
  ['nav', NAV],
  ['story', MAIN],
  ['entry', MAIN],
];

function wordBits(w: string): number {
  let b = EXACT.get(w) ?? 0;
  if (w.length < 4) return b;
  for (const [stem, bit] of INFIX) if (w.includes(stem)) b |= bit;
  for (const [stem, bit] of PREFIX) if (w.startsWith(stem)) b |= bit;
  return b;
}

/** Lower-case words of a class or id value: split on anything not a letter and at camelCase humps. */
export function attrWords(v: string): string[] {
  const out: string[] = [];
  const s = v.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').toLowerCase();
  for (const w of s.split(/[^a-z\u00c0-\u024f]+/)) if (w.length > 0 && out.length < 16) out.push(w);
  return out;
}

export interface AttrInfo {
  bits: number;
  words: readonly string[];
}

const EMPTY: AttrInfo = { bits: 0, words: [] };
const cache = new Map<string, AttrInfo>();
const CACHE_MAX = 100_000;
const DIGITS = /[0-9]+/g;

/** Hint bits and words of a class or id attribute value (cached). */
export function attrInfo(v: string): AttrInfo {
  if (v.length === 0) return EMPTY;
  let e = cache.get(v);
  if (e !== undefined) return e;
  // Words have no digits: "post-1234" and "post-5678" are one entry ("comment-…" ids are mostly unique).
  const folded = v.replace(DIGITS, ' ');
  if (folded !== v) {
    e = cache.get(folded);
    if (e !== undefined) {
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(v, e);
      return e;
    }
  }
  const words = attrWords(folded);
  let bits = 0;
  for (let i = 0; i < words.length; i++) {
    bits |= wordBits(words[i]!);
    if (i > 0) bits |= EXACT.get(words[i - 1]! + words[i]!) ?? 0; // "most-read", "body-text"
  }
  // "main" alone (id="main") is the main column; in "main-nav", "main-menu" it only says which nav.
  if (words.length === 1 && words[0] === 'main') bits |= MAIN;
  e = { bits, words };
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(v, e);
  if (folded !== v) cache.set(folded, e);
  return e;
}

const ROLES: Record<string, number> = {
  navigation: NAV,
  menu: NAV,
  menubar: NAV,
  contentinfo: FOOTER,
  banner: HEADER,
  complementary: ASIDE,
  main: MAIN,
  article: MAIN,
  comment: COMMENT,
};

/** Hint bits of a `role` value (may hold several roles). */
export function roleBits(v: string): number {
  const one = ROLES[v.toLowerCase()];
  if (one !== undefined) return one;
  let b = 0;
  for (const r of v.toLowerCase().split(/\s+/)) b |= ROLES[r] ?? 0;
  return b;
}

/** Hint bits of an `itemprop` value. */
export function itempropBits(v: string): number {
  if (v === 'articleBody' || v === 'articlebody') return MAIN;
  if (v === 'comment') return COMMENT;
  if (v === 'keywords') return TAGS;
  return 0;
}
