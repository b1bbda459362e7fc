/**
 * An HTML crawl simulator with gold: the documents of the text simulator (generate.ts) rendered as the
 * pages a real site would serve, one page per SimDoc, so the HTML route can be scored without real pages.
 *
 * Every site gets a template chosen from a hash of its host (the same host gets the same template for any
 * seed): a WordPress-like theme, a news portal (top bar, menu, ticker, grid columns, sidebar widgets) or a
 * plain blog (divs only, body text separated by <br><br>). Within a family the template varies: class
 * names semantic ("related-posts", "comments-area") or opaque ("c-k7r2", checked to carry no hint word),
 * ids with numbers, wrapper depth, HTML5 sectioning tags (<header>, <nav>, <main>, <article>, <aside>,
 * <footer>) or only divs, sidebar before or after the article, pretty-printed or minified markup.
 *
 * Each gold line goes where such a site puts it: the headline in <h1>, body paragraphs in <p> inside the
 * article container (short unpunctuated ones as <h2> sub-headings), the ticker as links spaced by NBSP in
 * a marquee or div, the menu as <nav><ul><li><a>, related and most-read lists as <ul>/<ol> of links in the
 * sidebar or after the article, comments as a comment list (author, date, body) and a reply form, share
 * bars as links, captions in <figcaption>, bylines in a div or span, cookie banner, newsletter box,
 * footer. Pages add a <head> with <title> ("headline - site": chrome), styles, scripts and JSON-LD (which
 * must be dropped), ad slots, HTML comments, inline spans and links in paragraphs, <br> inside
 * paragraphs, empty <p>&nbsp;</p>, and entities (&nbsp; &amp; &quot; &raquo; &copy;).
 *
 * Some sites carry lines the text simulator has no line for (a text logo, a ticker label "عاجل", reader
 * comments with author, date and body, a comment count): they are chrome, and they are added to the
 * page's text twin too (`doc`), so the text route and the HTML route read the same words.
 *
 * Gold: `goldContent` is the page's content lines, one a line (score by bag of normalized words, as
 * bench/real-pages.ts does); `goldChrome` its chrome lines; `chrome` the same with their labels.
 */
import type { ArticlePool } from './articles.js';
import { Rng, simulate, type GoldSpan, type Label, type SimDoc, type SimOptions } from './generate.js';
import { attrInfo } from '../html/hints.js';
import { normalize } from '../normalize.js';
import { bagMatch } from './score.js';

/** Chrome labels of an HTML page: the text simulator's, and the page <title>. */
export type ChromeLabel = Exclude<Label, 'content'> | 'title';

export type TemplateFamily = 'wordpress' | 'portal' | 'blog';

export interface SimHtmlPage {
  id: string;
  url?: string;
  site: string;
  html: string;
  /** The content lines, one a line. */
  goldContent: string;
  /** The chrome lines (chain items one a line), the <title> included. */
  goldChrome: string;
  /** The chrome lines with their labels, in page order. */
  chrome: [ChromeLabel, string][];
  /** The page as plain text (the SimDoc, with the page's extra chrome lines): the text route's input. */
  doc: SimDoc;
  family: TemplateFamily;
  case?: SimDoc['case'];
}

export interface SimHtmlOptions extends SimOptions {
  /** Share of pages on sites with comments that show reader comments (author, date, body). Default 0.6. */
  commentShare?: number;
}

/** One line of a SimDoc: a run of gold spans of one label with no line break between them (a chain). */
interface Line {
  label: Label;
  items: string[];
  /** Separators between items (seps[k] before items[k + 1]). */
  seps: string[];
  /** What precedes the line in the text (line breaks). */
  gap: string;
  /** For lines the HTML adds: what they are. */
  role?: 'logo' | 'tickerLabel' | 'commentsTitle' | 'commentAuthor' | 'commentDate' | 'commentBody';
}

function linesOf(d: SimDoc): Line[] {
  const out: Line[] = [];
  let prev = 0;
  for (const [s, e, label] of d.gold) {
    const gap = d.text.slice(prev, s);
    const last = out[out.length - 1];
    if (last !== undefined && last.label === label && !gap.includes('\n') && label !== 'content') {
      last.seps.push(gap);
      last.items.push(d.text.slice(s, e));
    } else out.push({ label, items: [d.text.slice(s, e)], seps: [], gap });
    prev = e;
  }
  return out;
}

/** The SimDoc of a list of lines (text and gold spans). */
function docOfLines(base: SimDoc, lines: Line[]): SimDoc {
  let text = '';
  const gold: GoldSpan[] = [];
  for (const l of lines) {
    text += text.length === 0 ? '' : l.gap.length > 0 ? l.gap : '\n';
    l.items.forEach((it, k) => {
      if (k > 0) text += l.seps[k - 1]!;
      const s = text.length;
      text += it;
      gold.push([s, text.length, l.label]);
    });
  }
  const d: SimDoc = { id: base.id, text, gold, site: base.site };
  if (base.url !== undefined) d.url = base.url;
  if (base.case !== undefined) d.case = base.case;
  return d;
}

// ---- templates ----

type Role =
  | 'page' | 'header' | 'topbar' | 'english' | 'search' | 'logo' | 'nav' | 'menu' | 'ticker' | 'tickerLabel' | 'breadcrumb'
  | 'container' | 'main' | 'article' | 'articleHeader' | 'title' | 'byline' | 'body' | 'figure' | 'caption' | 'notice'
  | 'readmore' | 'tags' | 'share' | 'source' | 'comments' | 'commentList' | 'comment' | 'commentAuthor' | 'commentDate'
  | 'commentBody' | 'respond' | 'related' | 'mostread' | 'sidebar' | 'widget' | 'widgetTitle' | 'live' | 'newsletter'
  | 'footer' | 'footerLinks' | 'copyright' | 'cookie' | 'ad';

const SEMANTIC: Record<Role, readonly string[]> = {
  page: ['site', 'wrapper', 'page-wrap', 'site-container'],
  header: ['site-header', 'header', 'main-header', 'masthead'],
  topbar: ['top-bar', 'header-top', 'topbar'],
  english: ['social-title', 'follow-us', 'connect'],
  search: ['search-form', 'search-box', 'header-search'],
  logo: ['site-title', 'logo', 'site-branding'],
  nav: ['main-navigation', 'main-nav', 'navbar', 'primary-menu'],
  menu: ['menu', 'nav-menu', 'menu-list'],
  ticker: ['breaking-news', 'news-ticker', 'ticker', 'urgent-bar'],
  tickerLabel: ['ticker-title', 'breaking-label', 'ticker-head'],
  breadcrumb: ['breadcrumb', 'breadcrumbs', 'crumbs'],
  container: ['site-content', 'content-wrap', 'main-container'],
  main: ['site-main', 'content-area', 'main-content', 'col-main'],
  article: ['post', 'article', 'entry', 'single-post', 'story'],
  articleHeader: ['entry-header', 'post-header', 'article-head'],
  title: ['entry-title', 'post-title', 'article-title', 'headline'],
  byline: ['byline', 'entry-meta', 'post-meta', 'article-meta', 'author-info'],
  body: ['entry-content', 'post-content', 'article-body', 'story-body', 'the-content'],
  figure: ['wp-caption', 'post-image', 'article-img', 'featured-image'],
  caption: ['wp-caption-text', 'caption', 'img-caption', 'photo-credit'],
  notice: ['report-image', 'img-report', 'flag-notice'],
  readmore: ['read-also', 'see-also', 'related-inline', 'also-read'],
  tags: ['tags-links', 'post-tags', 'tags', 'article-tags'],
  share: ['share-buttons', 'social-share', 'sharedaddy', 'share-bar'],
  source: ['source-link', 'news-source', 'orig-source'],
  comments: ['comments-area', 'comments', 'comment-section'],
  commentList: ['comment-list', 'commentlist', 'comments-list'],
  comment: ['comment', 'comment-item', 'comment-body'],
  commentAuthor: ['comment-author', 'comment-name', 'vcard'],
  commentDate: ['comment-metadata', 'comment-date', 'comment-time'],
  commentBody: ['comment-content', 'comment-text'],
  respond: ['comment-respond', 'comment-form', 'respond'],
  related: ['related-posts', 'related-articles', 'jp-relatedposts', 'more-news'],
  mostread: ['most-read', 'popular-posts', 'widget-popular', 'trending'],
  sidebar: ['sidebar', 'widget-area', 'side-col', 'col-side'],
  widget: ['widget', 'side-box', 'widget-box'],
  widgetTitle: ['widget-title', 'box-title', 'section-title'],
  live: ['live-coverage', 'live-blog', 'live-updates'],
  newsletter: ['newsletter', 'subscribe-box', 'mailing-list'],
  footer: ['site-footer', 'footer', 'main-footer'],
  footerLinks: ['footer-menu', 'footer-links', 'bottom-links'],
  copyright: ['copyright', 'site-info', 'copy-rights'],
  cookie: ['cookie-notice', 'cookie-banner', 'gdpr-consent', 'cookies-bar'],
  ad: ['ad-slot', 'ads', 'advert', 'banner-ad'],
};

/** Roles an HTML5 theme marks with a sectioning tag. */
const TAG5: Partial<Record<Role, string>> = { header: 'header', nav: 'nav', main: 'main', article: 'article', sidebar: 'aside', footer: 'footer', figure: 'figure', caption: 'figcaption', comments: 'section', related: 'section' };

interface HtmlTemplate {
  family: TemplateFamily;
  name: string;
  html5: boolean;
  pretty: boolean;
  /** Extra wrapper divs around the page and around the article. */
  wrappers: number;
  innerWrappers: number;
  grid: boolean;
  sidebar: boolean;
  sidebarFirst: boolean;
  relatedIn: 'sidebar' | 'after' | 'bottom';
  cookieAt: 'top' | 'bottom';
  brBody: boolean;
  navAs: 'ul' | 'links';
  shareAs: 'links' | 'list';
  bylineAs: 'div' | 'span';
  tickerAs: 'marquee' | 'div';
  headline: 'h1' | 'h2';
  titleFmt: number;
  canonical: boolean;
  textLogo: boolean;
  tickerLabel: boolean;
  jsonLd: boolean;
  ads: number;
  nbspInText: number;
  quotEntity: boolean;
  names: Record<Role, string>;
  /** Ids and the theme's fixed class names (menu-item, comment-reply-title, …); opaque sites have none. */
  ids: boolean;
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const OPAQUE_LETTERS = 'bcdfghjklmnpqrstvwxz';

/** A class name with no hint word in it (hints.ts would see none). */
function opaqueName(rng: Rng): string {
  for (;;) {
    const prefix = rng.pick(['c', 'x', 'css', 'jsx', 'sc', 'u', 'tw', 'k']);
    let body = '';
    const n = rng.int(3, 6);
    for (let i = 0; i < n; i++) body += rng.chance(0.35) ? String(rng.int(0, 9)) : OPAQUE_LETTERS[rng.int(0, OPAQUE_LETTERS.length - 1)];
    const name = `${prefix}-${body}`;
    if (attrInfo(name).bits === 0) return name;
  }
}

const SITE_NAMES = ['الخبر', 'اليوم', 'الوطن', 'الشرق', 'النهار', 'الصباح', 'المساء', 'الحدث', 'العاصمة', 'البوابة', 'المرصد', 'الأفق', 'البيان', 'الرأي', 'الساعة'];

function makeHtmlTemplate(siteKey: string): HtmlTemplate {
  const rng = new Rng(hash(siteKey) ^ 0x68746d6c);
  const family = (['wordpress', 'portal', 'blog'] as const)[hash(`family:${siteKey}`) % 3]!;
  const semanticShare = family === 'wordpress' ? 1 : family === 'portal' ? rng.pick([1, 0.6, 0]) : rng.pick([0.5, 0]);
  const names = {} as Record<Role, string>;
  for (const role of Object.keys(SEMANTIC) as Role[]) names[role] = rng.chance(semanticShare) ? rng.pick(SEMANTIC[role]) : opaqueName(rng);
  const wp = family === 'wordpress';
  const portal = family === 'portal';
  return {
    family,
    name: `${rng.pick(SITE_NAMES)} ${rng.int(1, 99)}`,
    html5: wp ? rng.chance(0.9) : portal ? rng.chance(0.5) : rng.chance(0.15),
    pretty: rng.chance(0.6),
    wrappers: portal ? rng.int(1, 3) : wp ? rng.int(0, 1) : rng.int(0, 2),
    innerWrappers: rng.int(0, 2),
    grid: portal && rng.chance(0.7),
    sidebar: !(family === 'blog' && rng.chance(0.6)),
    sidebarFirst: rng.chance(0.25),
    relatedIn: rng.pick(['sidebar', 'after', 'after', 'bottom'] as const),
    cookieAt: rng.chance(0.7) ? 'bottom' : 'top',
    brBody: family === 'blog' && rng.chance(0.6),
    navAs: family === 'blog' && rng.chance(0.5) ? 'links' : 'ul',
    shareAs: rng.chance(0.5) ? 'links' : 'list',
    bylineAs: rng.chance(0.5) ? 'div' : 'span',
    tickerAs: rng.chance(0.5) ? 'marquee' : 'div',
    headline: family === 'blog' && rng.chance(0.3) ? 'h2' : 'h1',
    titleFmt: rng.int(0, 3),
    canonical: wp || rng.chance(0.4),
    textLogo: !portal && rng.chance(0.8),
    tickerLabel: portal && rng.chance(0.7),
    jsonLd: rng.chance(0.6),
    ads: portal ? rng.int(1, 4) : rng.int(0, 2),
    nbspInText: rng.chance(0.3) ? 0.05 : 0,
    quotEntity: rng.chance(0.5),
    names,
    ids: semanticShare > 0,
  };
}

// ---- markup ----

function esc(s: string, t: HtmlTemplate, rng: Rng | null): string {
  let out = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (t.quotEntity) out = out.replace(/"/g, '&quot;');
  out = out.replace(/\u00a0/g, rng !== null && rng.chance(0.5) ? '&nbsp;' : '\u00a0');
  if (rng !== null && t.nbspInText > 0) out = out.replace(/ /g, (m) => (rng.chance(t.nbspInText) ? '&nbsp;' : m));
  return out;
}

const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

const INLINE = new Set(['a', 'span', 'b', 'strong', 'label', 'time', 'em']);

/** A string builder with an element stack. */
class W {
  private parts: string[] = [];
  private stack: string[] = [];
  constructor(private readonly pretty: boolean) {}
  private nl(): void {
    if (this.pretty && this.parts.length > 0) this.parts.push('\n' + '  '.repeat(this.stack.length));
  }
  open(tag: string, attrs: Record<string, string | undefined> = {}): this {
    this.nl();
    // (minified: inline siblings still need a space between them, or their words run together)
    if (!this.pretty && INLINE.has(tag)) this.parts.push(' ');
    let a = '';
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a += v === '' ? ` ${k}` : ` ${k}="${attr(v)}"`;
    this.parts.push(`<${tag}${a}>`);
    this.stack.push(tag);
    return this;
  }
  close(n = 1): this {
    for (let i = 0; i < n; i++) {
      const tag = this.stack.pop()!;
      this.nl();
      this.parts.push(`</${tag}>`);
    }
    return this;
  }
  /** An element with raw inner markup. */
  el(tag: string, attrs: Record<string, string | undefined>, inner: string): this {
    this.open(tag, attrs);
    this.parts.push(inner);
    this.stack.pop();
    this.parts.push(`</${tag}>`);
    return this;
  }
  raw(s: string): this {
    this.nl();
    this.parts.push(s);
    return this;
  }
  get depth(): number {
    return this.stack.length;
  }
  closeTo(depth: number): this {
    while (this.stack.length > depth) this.close();
    return this;
  }
  toString(): string {
    return this.parts.join('');
  }
}

const FIRST = ['محمد', 'أحمد', 'سارة', 'خالد', 'نورة', 'يوسف', 'مريم', 'عمر', 'هند', 'علي', 'ليلى', 'حسن'];
const LAST = ['العمري', 'السالم', 'الحسيني', 'بن سعيد', 'المصري', 'القاسم', 'الزين', 'الرفاعي'];
const HANDLES = ['abu_fahad', 'Sami88', 'ahmed.k', 'زائر', 'مواطن', 'ام خالد', 'Reader2024'];
const MONTHS = ['يناير', 'فبراير', 'مارس', 'أبريل', 'مايو', 'يونيو', 'يوليو', 'أغسطس', 'سبتمبر', 'أكتوبر', 'نوفمبر', 'ديسمبر'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** Stream simulated HTML pages (one per document of `simulate(pool, opts)`), deterministic for a seed. */
export function* simulateHtml(pool: ArticlePool, opts: SimHtmlOptions = {}): Generator<SimHtmlPage> {
  const rng = new Rng(((opts.seed ?? 1) * 0x2545f491) ^ 0x48544d4c);
  const commentShare = opts.commentShare ?? 0.6;
  const templates = new Map<string, HtmlTemplate>();
  const hosts = new Map<string, string>();
  let n = 0;
  for (const d of simulate(pool, opts)) {
    n++;
    const si = d.id.slice(0, d.id.indexOf('-'));
    if (d.url !== undefined) hosts.set(si, new URL(d.url).host);
    const host = hosts.get(si) ?? `site${si}.example`;
    let t = templates.get(host);
    if (t === undefined) templates.set(host, (t = makeHtmlTemplate(host)));
    yield renderPage(d, t, host, n, rng, pool, commentShare);
  }
}

/** The JSONL record of a simulated page, as a scraper that keeps raw HTML would write it. */
export function htmlRecord(p: SimHtmlPage): string {
  return JSON.stringify(p.url !== undefined ? { id: p.id, url: p.url, html: p.html } : { id: p.id, html: p.html });
}

function renderPage(d: SimDoc, t: HtmlTemplate, host: string, n: number, rng: Rng, pool: ArticlePool, commentShare: number): SimHtmlPage {
  const lines = linesOf(d);
  const N = t.names;
  const headIx = lines.findIndex((l) => l.label === 'content');
  const headline = headIx >= 0 ? lines[headIx]!.items[0]! : '';
  const footerLine = lines.find((l) => l.label === 'footer' && l.items.length === 1 && l.items[0]!.includes('©'));
  const siteName = /© \d+ (.+)$/.exec(footerLine?.items[0] ?? '')?.[1] ?? t.name;
  const postNo = 1000 + n * 7;
  const y = 2024;

  // Extra chrome lines this page carries beyond the text simulator's (added to the text twin too).
  const insertAt = (ix: number, add: Line[]): void => {
    lines.splice(ix, 0, ...add);
  };
  if (t.textLogo) insertAt(0, [{ label: 'nav', items: [siteName], seps: [], gap: '', role: 'logo' }]);
  const tickerIx = lines.findIndex((l) => l.label === 'ticker');
  if (t.tickerLabel && tickerIx >= 0) insertAt(tickerIx, [{ label: 'ticker', items: ['عاجل'], seps: [], gap: '\n', role: 'tickerLabel' }]);
  const formIx = lines.findIndex((l) => l.label === 'comments');
  if (formIx >= 0 && rng.chance(commentShare)) {
    const k = rng.int(1, 4);
    const add: Line[] = [
      { label: 'comments', items: [t.family === 'wordpress' ? `${k} تعليقات على "${headline}"` : `التعليقات (${k})`], seps: [], gap: '\n', role: 'commentsTitle' },
    ];
    for (let c = 0; c < k; c++) {
      const author = rng.chance(0.6) ? `${rng.pick(FIRST)} ${rng.pick(LAST)}` : rng.pick(HANDLES);
      const date = `${rng.int(1, 28)} ${rng.pick(MONTHS)} ${y} في ${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}`;
      const body = pool.sentences.length > 0 ? rng.sample(pool.sentences, rng.int(1, 2)).join(' ') : 'شكرا على هذا الخبر';
      add.push({ label: 'comments', items: [author], seps: [], gap: '\n', role: 'commentAuthor' });
      add.push({ label: 'comments', items: [date], seps: [], gap: '\n', role: 'commentDate' });
      add.push({ label: 'comments', items: [body], seps: [], gap: '\n', role: 'commentBody' });
    }
    insertAt(formIx, add);
  }
  const doc = docOfLines(d, lines);

  // Where each line goes.
  const hIx = lines.findIndex((l) => l.label === 'content');
  let lastContent = -1;
  lines.forEach((l, i) => {
    if (l.label === 'content') lastContent = i;
  });
  const pick = (pred: (l: Line, i: number) => boolean): Line[] => lines.filter((l, i) => pred(l, i));
  const of = (label: Label): Line[] => pick((l) => l.label === label && l.role === undefined);
  const topCaptions = pick((l, i) => l.label === 'caption' && i < hIx);
  const body = pick((l, i) => i > hIx && i <= lastContent && (l.label === 'content' || l.label === 'caption' || l.label === 'readmore'));
  const navChain = pick((l) => l.label === 'nav' && l.role === undefined && l.items.length > 1);
  const crumbs = pick((l) => l.label === 'nav' && l.role === undefined && l.items.length === 1);
  const footer = of('footer');

  const w = new W(t.pretty);
  const tag = (role: Role, fallback = 'div'): string => (t.html5 ? (TAG5[role] ?? fallback) : fallback);
  const c = (role: Role, extra?: string): string => (extra ? `${N[role]} ${extra}` : N[role]);
  const id = (v: string): string | undefined => (t.ids ? v : undefined);
  /** A theme's fixed class name: only on sites with semantic names. */
  const fx = id;
  const fxa = (v: string): string => (t.ids ? ` class="${v}"` : '');
  const href = (p: string): string => `https://${host}${p}`;
  const text = (s: string): string => esc(s, t, rng);
  const plainText = (s: string): string => esc(s, t, null);

  // <head>
  const title = [headline, `${headline} - ${siteName}`, `${siteName} | ${headline}`, `${headline} | ${siteName}`][t.titleFmt]!;
  const canonical = d.url ?? href(`/?p=${postNo}`);
  const head: string[] = [
    '<!DOCTYPE html>',
    `<html lang="ar" dir="rtl"${t.family === 'wordpress' ? ' class="no-js"' : ''}>`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${plainText(title)}</title>`,
    `<meta property="og:title" content="${attr(headline)}">`,
    t.canonical ? `<link rel="canonical" href="${attr(canonical)}">` : '',
    `<link rel="stylesheet" href="${href('/wp-content/themes/theme/style.css?ver=6.4.2')}" type="text/css" media="all">`,
    `<style>.${N.body} p{margin:0 0 1em;line-height:1.8}.${N.ticker} a{color:#c00}#${N.cookie}{position:fixed;bottom:0}</style>`,
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());gtag('config','G-X1Y2Z3');</script>",
    t.jsonLd
      ? `<script type="application/ld+json">${JSON.stringify({ '@context': 'https://schema.org', '@type': 'NewsArticle', headline, description: (body.find((l) => l.label === 'content')?.items[0] ?? '').slice(0, 160), publisher: { '@type': 'Organization', name: siteName } })}</script>`
      : '',
    '</head>',
  ].filter((s) => s.length > 0);
  w.raw(head.join(t.pretty ? '\n' : ''));
  w.open('body', { class: t.family === 'wordpress' ? `post-template-default single single-post postid-${postNo} single-format-standard` : t.family === 'portal' ? 'rtl article-page' : undefined });

  const cookie = (): void => {
    for (const l of of('cookie')) {
      const s = l.items[0]!;
      const cut = s.lastIndexOf(' ');
      w.open('div', { id: id(N.cookie), class: c('cookie'), role: 'dialog' });
      w.el('p', {}, text(s.slice(0, cut)));
      w.el('a', { href: '#', class: fx('btn accept') }, text(s.slice(cut + 1)));
      w.close();
    }
  };
  const ad = (): void => {
    const k = rng.int(100, 999);
    w.open('div', { class: c('ad'), id: `div-gpt-ad-${k}-0` });
    w.raw(`<script>googletag.cmd.push(function(){googletag.display('div-gpt-ad-${k}-0');});</script>`);
    w.raw(`<noscript><img src="${href(`/ads/${k}.gif`)}" alt=""></noscript>`);
    w.close();
  };
  let adsLeft = t.ads;
  const maybeAd = (): void => {
    if (adsLeft > 0 && rng.chance(0.5)) {
      adsLeft--;
      ad();
    }
  };

  if (t.cookieAt === 'top') cookie();
  for (let k = 0; k < t.wrappers; k++) w.open('div', { class: k === 0 ? c('page') : t.grid ? 'container' : `wrap-${k}`, id: k === 0 ? id('page') : undefined });

  // Header: top bar, logo, menu.
  w.open(tag('header'), { id: id(t.family === 'wordpress' ? 'masthead' : 'header'), class: c('header'), role: t.html5 ? undefined : 'banner' });
  const english = of('english');
  if (english.length > 0) {
    w.open('div', { class: c('topbar') });
    w.el('span', { class: c('english') }, text(english[0]!.items[0]!));
    for (const s of ['facebook', 'twitter', 'youtube']) w.el('a', { href: `https://${s}.com/${host}`, class: fx(`icon-${s}`) }, '');
    if (english[1]) {
      w.open('div', { class: c('search') });
      w.el('label', { for: 's' }, text(english[1].items[0]!));
      w.raw('<input type="search" id="s" name="s">');
      w.close();
    }
    w.close();
  }
  const logo = lines.find((l) => l.role === 'logo');
  if (logo) w.el(t.family === 'wordpress' ? 'p' : 'div', { class: c('logo') }, `<a href="${href('/')}" rel="home">${plainText(logo.items[0]!)}</a>`);
  else w.el('div', { class: c('logo') }, `<a href="${href('/')}"><img src="${href('/logo.png')}" alt="${attr(siteName)}"></a>`);
  for (const l of navChain) {
    w.open(tag('nav'), { id: id('site-navigation'), class: c('nav'), role: t.html5 ? undefined : 'navigation' });
    if (t.navAs === 'ul') {
      w.open('ul', { id: id('primary-menu'), class: c('menu') });
      l.items.forEach((it, k) => w.el('li', { id: id(`menu-item-${200 + k * 3}`), class: fx(`menu-item menu-item-${200 + k * 3}`) }, `<a href="${href(`/category/${k}`)}">${plainText(it)}</a>`));
      w.close();
    } else w.el('div', { class: c('menu') }, l.items.map((it, k) => `<a href="${href(`/cat/${k}`)}">${plainText(it)}</a>`).join(' | '));
    w.close();
  }
  w.close(); // header

  // Ticker.
  const ticker = of('ticker');
  if (ticker.length > 0) {
    w.open('div', { class: c('ticker'), id: id('ticker') });
    const label = lines.find((l) => l.role === 'tickerLabel');
    if (label) w.el('div', { class: c('tickerLabel') }, plainText(label.items[0]!));
    const links = ticker[0]!.items.map((it, k) => `<a href="${href(`/news/${postNo - 7 * (k + 1)}`)}">${plainText(it)}</a>`).join(rng.chance(0.5) ? '&nbsp;&nbsp;&nbsp;&nbsp;' : '\u00a0\u00a0\u00a0\u00a0');
    if (t.tickerAs === 'marquee') w.open('div', { class: fx('ticker-wrap') }).el('marquee', { direction: 'right', scrollamount: '3', onmouseover: 'this.stop();' }, links).close();
    else w.el('div', { class: fx('ticker-content') }, links);
    w.close();
  }
  maybeAd();

  w.open('div', { id: id(t.family === 'wordpress' ? 'content' : 'main-wrap'), class: c('container') });
  for (const l of crumbs) {
    const [home, rest] = l.items[0]!.split(' » ');
    w.el('div', { class: c('breadcrumb') }, rest !== undefined ? `<a href="${href('/')}">${plainText(home!)}</a> &raquo; <a href="${href('/section')}">${plainText(rest)}</a>` : plainText(l.items[0]!));
  }
  if (t.grid) w.open('div', { class: 'row' });

  const sidebar = (): void => {
    if (!t.sidebar) return;
    const most = of('mostread');
    const live = of('live');
    const news = of('newsletter');
    const rel = t.relatedIn === 'sidebar' ? of('related') : [];
    if (most.length + live.length + news.length + rel.length === 0) return;
    w.open(tag('sidebar'), { id: id('secondary'), class: t.grid ? `${c('sidebar')} col-md-4` : c('sidebar'), role: t.html5 ? undefined : 'complementary' });
    let wk = 2;
    const widget = (lines: Line[], render: () => void): void => {
      if (lines.length === 0) return;
      w.open(t.html5 ? 'section' : 'div', { id: id(`custom_html-${wk++}`), class: c('widget') });
      render();
      w.close();
    };
    widget(most, () => list(most, 'mostread', 'ol'));
    maybeAd();
    widget(rel, () => list(rel, 'related', 'ul'));
    widget(live, () => liveBox(live));
    widget(news, () => newsletter(news));
    w.close();
  };

  /** A heading line and a list of link items (related, most read). */
  const list = (ls: Line[], role: Role, listTag: 'ul' | 'ol'): void => {
    if (ls.length === 0) return;
    w.el(t.family === 'portal' ? 'h3' : 'h4', { class: c('widgetTitle') }, plainText(ls[0]!.items[0]!));
    w.open('div', { class: c(role) });
    w.open(listTag, {});
    let label: string | null = null;
    for (const l of ls.slice(1)) {
      const s = l.items[0]!;
      if (s === 'اخر الاخبار') {
        label = s;
        continue;
      }
      const k = rng.int(10, 990);
      if (s.endsWith('...')) w.el('li', { class: fx('teaser') }, `<a href="${href(`/news/${k}`)}"><img src="${href(`/img/${k}.jpg`)}" alt=""></a><p${fxa('excerpt')}>${plainText(s)}</p>`);
      else w.el('li', {}, `${label !== null ? `<span${fxa('cat')}>${plainText(label)}</span> ` : ''}<a href="${href(`/news/${k}`)}">${plainText(s)}</a>`);
      label = null;
    }
    w.close(2);
  };
  const liveBox = (ls: Line[]): void => {
    w.open('div', { class: c('live') });
    w.el('h4', {}, plainText(ls[0]!.items[0]!));
    if (ls[1]) w.el('a', { href: '#live', class: fx('refresh') }, plainText(ls[1].items[0]!));
    w.open('ul', {});
    for (const l of ls.slice(2)) w.el('li', {}, `<time>${plainText(l.items[0]!)}</time>`);
    w.close(2);
  };
  const newsletter = (ls: Line[]): void => {
    w.open('div', { class: c('newsletter') });
    w.el('h4', {}, plainText(ls[0]!.items[0]!));
    for (const l of ls.slice(1)) w.el('p', {}, plainText(l.items[0]!));
    w.raw('<form action="/subscribe" method="post"><input type="email" name="email" placeholder="email"><button type="submit">اشترك</button></form>');
    w.close();
  };

  if (t.sidebarFirst) sidebar();
  w.open(tag('main'), { id: id(t.family === 'wordpress' ? 'main' : 'content'), class: t.grid ? `${c('main')} col-md-8` : c('main'), role: t.html5 ? undefined : 'main' });
  const articleDepth = w.depth;
  w.open(tag('article'), { id: id(`post-${postNo}`), class: t.family === 'wordpress' ? `post-${postNo} post type-post status-publish format-standard hentry ${N.article}` : c('article') });
  w.open(t.html5 ? 'header' : 'div', { class: c('articleHeader') });
  const figure = (cap: string): void => {
    const k = rng.int(100, 9999);
    w.open(tag('figure'), { class: c('figure'), id: id(`attachment_${k}`) });
    w.raw(`<img src="${href(`/uploads/${y}/${k}.jpg`)}" alt="${attr(headline.slice(0, 40))}" width="800" height="450">`);
    w.el(tag('caption', 'p'), { class: c('caption') }, text(cap));
    w.close();
  };
  for (const l of topCaptions) figure(l.items[0]!);
  const notice = of('notice');
  if (notice.length > 0) {
    w.open('div', { class: c('notice') });
    for (const l of notice) w.el('p', {}, plainText(l.items[0]!));
    w.close();
  }
  w.el(t.headline, { class: c('title') }, plainText(headline));
  const byline = of('byline');
  if (byline.length > 0) {
    if (t.bylineAs === 'div') for (const l of byline) w.el('div', { class: c('byline') }, text(l.items[0]!));
    else w.el('div', { class: c('byline') }, byline.map((l, k) => `<span${fxa(k === 0 ? 'author' : 'date')}>${k === 0 && l.items[0]!.startsWith('بقلم: ') ? `بقلم: <a href="${href('/author/1')}">${plainText(l.items[0]!.slice(6))}</a>` : plainText(l.items[0]!)}</span>`).join(rng.chance(0.5) ? '<br>' : ' '));
  }
  w.close(); // article header
  for (let k = 0; k < t.innerWrappers; k++) w.open('div', { class: t.ids ? `inner-${k}` : undefined });
  const bodyDepth = w.depth;
  w.open('div', { class: c('body'), itemprop: t.family === 'portal' && t.html5 ? 'articleBody' : undefined });
  const para = (s: string, first: boolean): string => {
    const words = s.split(' ');
    // Inline noise: a run of words in <strong>, <span> or a link.
    if (words.length > 8 && rng.chance(0.35)) {
      const i = rng.int(0, words.length - 4);
      const len = rng.int(1, 3);
      const inner = text(words.slice(i, i + len).join(' '));
      const wrapped = rng.pick([`<strong>${inner}</strong>`, `<span style="color:#333">${inner}</span>`, `<a href="${href(`/tag/${i}`)}">${inner}</a>`, `<b>${inner}</b>`]);
      return [text(words.slice(0, i).join(' ')), wrapped, text(words.slice(i + len).join(' '))].filter((x) => x.length > 0).join(' ');
    }
    // A <br> at a sentence end inside the paragraph.
    const dot = s.indexOf('. ', 40);
    if (!first && dot > 0 && dot < s.length - 20 && rng.chance(0.2)) return `${text(s.slice(0, dot + 1))}<br>${rng.chance(0.5) ? '\n' : ''}${text(s.slice(dot + 2))}`;
    return text(s);
  };
  const subHeading = (s: string): boolean => s.split(' ').length <= 10 && !/[.!؟?:"»]$/.test(s);
  if (t.brBody) {
    // Blogger-style: text runs in one div, separated by <br><br>; captions and read-also as their own divs.
    const runs: string[] = [];
    for (const l of body) {
      const s = l.items[0]!;
      if (l.label === 'content') runs.push(para(s, runs.length === 0));
      else if (l.label === 'caption') runs.push(`<div class="${N.caption}">${text(s)}</div>`);
      else runs.push(`<b>${text(s)}</b>`);
    }
    w.raw(runs.join(rng.chance(0.5) ? '<br /><br />' : '<br><br>\n'));
  } else {
    let first = true;
    for (const l of body) {
      const s = l.items[0]!;
      if (l.label === 'caption') figure(s);
      else if (l.label === 'readmore') {
        const cut = s.indexOf(': ');
        w.el('p', { class: c('readmore') }, `<strong>${plainText(s.slice(0, cut + 1))}</strong> <a href="${href(`/news/${rng.int(10, 990)}`)}">${plainText(s.slice(cut + 2))}</a>`);
      } else if (!first && subHeading(s)) w.el('h2', {}, text(s));
      else {
        w.el('p', {}, para(s, first));
        if (rng.chance(0.05)) w.el('p', {}, '&nbsp;');
        if (first) maybeAd();
        first = false;
      }
    }
  }
  for (const l of of('source')) w.el('p', { class: c('source') }, `<a href="https://source.example/${postNo}" target="_blank" rel="nofollow">${plainText(l.items[0]!)}</a>`);
  w.raw('<!-- .entry-content -->');
  w.closeTo(bodyDepth);
  w.closeTo(bodyDepth - t.innerWrappers);
  // Article footer: tags, share.
  const tags = of('tags');
  const share = of('share');
  if (tags.length + share.length > 0) {
    w.open(t.html5 ? 'footer' : 'div', { class: t.family === 'wordpress' ? 'entry-footer' : t.ids ? `${N.article}-foot` : undefined });
    for (const l of tags) {
      const s = l.items[0]!;
      const cut = s.indexOf(': ');
      w.el('div', { class: c('tags') }, `<span>${plainText(s.slice(0, cut + 1))}</span> ${s.slice(cut + 2).split('، ').map((x) => `<a href="${href(`/tag/${encodeURIComponent(x)}`)}" rel="tag">${plainText(x)}</a>`).join('، ')}`);
    }
    if (share.length > 0) {
      w.open('div', { class: c('share') });
      if (share.length === 1) {
        // A chain: "شارك | فيسبوك | ...".
        const items = share[0]!.items;
        if (t.shareAs === 'list') {
          w.el('span', { class: fx('label') }, plainText(items[0]!));
          w.el('ul', {}, items.slice(1).map((x, k) => `<li${fxa(`share-${k}`)}><a href="https://example.com/share?u=${postNo}&amp;s=${k}" rel="nofollow">${plainText(x)}</a></li>`).join(''));
        } else w.raw(`<span>${plainText(items[0]!)}</span> | ${items.slice(1).map((x, k) => `<a href="https://example.com/share?u=${postNo}&amp;s=${k}">${plainText(x)}</a>`).join(' | ')}`);
      } else {
        w.el('h4', {}, plainText(share[0]!.items[0]!));
        for (const l of share.slice(1)) w.el('a', { href: `https://example.com/share?u=${postNo}`, class: fx('share-link'), rel: 'nofollow' }, plainText(l.items[0]!));
      }
      w.close();
    }
    w.close();
  }
  w.closeTo(articleDepth); // </article>
  maybeAd();
  if (t.relatedIn === 'after' || (t.relatedIn === 'sidebar' && !t.sidebar)) {
    const rel = of('related');
    if (rel.length > 0) {
      w.open(tag('related'), { class: c('related'), id: id('related-posts') });
      list(rel, 'related', 'ul');
      w.close();
    }
  }
  // Comments: the list (author, date, body), then the reply form.
  const comments = pick((l) => l.label === 'comments');
  if (comments.length > 0) {
    w.open(tag('comments'), { id: id('comments'), class: c('comments') });
    const entries = comments.filter((l) => l.role !== undefined);
    const form = comments.filter((l) => l.role === undefined);
    const ct = entries.find((l) => l.role === 'commentsTitle');
    if (ct) w.el('h2', { class: fx('comments-title') }, plainText(ct.items[0]!));
    if (entries.length > 1) {
      w.open('ol', { class: c('commentList') });
      for (let k = 1; k + 2 < entries.length; k += 3) {
        const [a, dt, b] = [entries[k]!, entries[k + 1]!, entries[k + 2]!];
        w.open('li', { id: id(`comment-${postNo * 3 + k}`), class: t.ids ? `${c('comment')} even depth-1` : c('comment') });
        w.open(t.html5 ? 'article' : 'div', { class: fx('comment-wrap') });
        w.el('div', { class: c('commentAuthor') }, `<b${fxa('fn')}>${plainText(a.items[0]!)}</b>`);
        w.el('div', { class: c('commentDate') }, `<a href="#comment-${k}"><time>${plainText(dt.items[0]!)}</time></a>`);
        w.el('div', { class: c('commentBody') }, `<p>${text(b.items[0]!)}</p>`);
        w.el('div', { class: fx('reply') }, `<a rel="nofollow"${fxa('comment-reply-link')} href="#respond"></a>`);
        w.close(2);
      }
      w.close();
    }
    if (form.length > 0) {
      w.open('div', { id: id('respond'), class: c('respond') });
      w.el('h3', { class: fx('comment-reply-title') }, plainText(form[0]!.items[0]!));
      w.open('form', { action: href('/wp-comments-post.php'), method: 'post', id: id('commentform') });
      form.slice(1).forEach((l, k) => {
        const s = l.items[0]!;
        if (s.endsWith('*')) w.el('p', { class: fx(`comment-form-field-${k}`) }, `<label for="f${k}">${plainText(s.slice(0, -2))} <span${fxa('required')}>*</span></label> <input id="f${k}" type="text">`);
        else if (k === form.length - 2) w.el('p', { class: fx('form-submit') }, `<a href="#"${fxa('submit')}>${plainText(s)}</a>`);
        else w.el('p', { class: fx(k === 0 ? 'logged-out' : 'comment-notes') }, plainText(s));
      });
      w.raw('<textarea id="comment" name="comment" cols="45" rows="8"></textarea>');
      w.close(2);
    }
    w.close();
  }
  w.close(); // main
  if (!t.sidebarFirst) sidebar();
  if (t.grid) w.close(); // row
  w.close(); // container
  // Bottom: related (bottom), widgets with no sidebar, newsletter box.
  const bottom: Line[][] = [];
  if (t.relatedIn === 'bottom') bottom.push(of('related'));
  if (!t.sidebar) bottom.push(of('mostread'), of('live'), of('newsletter'));
  for (const ls of bottom) {
    if (ls.length === 0) continue;
    w.open('div', { class: `${t.ids ? 'bottom-box ' : ''}${c(ls[0]!.label === 'related' ? 'related' : ls[0]!.label === 'live' ? 'live' : ls[0]!.label === 'newsletter' ? 'newsletter' : 'mostread')}` });
    if (ls[0]!.label === 'live') liveBox(ls);
    else if (ls[0]!.label === 'newsletter') newsletter(ls);
    else list(ls, ls[0]!.label === 'related' ? 'related' : 'mostread', 'ul');
    w.close();
  }
  if (footer.length > 0) {
    w.open(tag('footer'), { id: id(t.family === 'wordpress' ? 'colophon' : 'footer'), class: c('footer'), role: t.html5 ? undefined : 'contentinfo' });
    for (const l of footer) {
      if (l.items.length > 1) w.el('ul', { class: c('footerLinks') }, l.items.map((x, k) => `<li><a href="${href(`/page/${k}`)}">${plainText(x)}</a></li>`).join(''));
      else w.el('div', { class: c('copyright') }, plainText(l.items[0]!).replace('©', rng.chance(0.5) ? '&copy;' : '©'));
    }
    w.close();
  }
  w.closeTo(1); // wrappers
  if (t.cookieAt === 'bottom') cookie();
  w.raw(`<script src="${href('/wp-includes/js/jquery/jquery.min.js?ver=3.7.1')}"></script>`);
  w.raw(`<script>var _config={"ajaxurl":"${href('/wp-admin/admin-ajax.php')}","post":${postNo}};document.write('<div class="x">إعلان</div>');</script>`);
  w.close(); // body
  const html = `${w.toString()}${t.pretty ? '\n' : ''}</html>\n`;

  // Gold.
  const content: string[] = [];
  const chrome: [ChromeLabel, string][] = [['title', title]];
  for (const l of lines) {
    if (l.label === 'content') content.push(l.items[0]!);
    else for (const it of l.items) chrome.push([l.label, it]);
  }
  const page: SimHtmlPage = { id: d.id, site: d.site, html, goldContent: content.join('\n'), goldChrome: chrome.map((x) => x[1]).join('\n'), chrome, doc, family: t.family };
  if (d.url !== undefined) page.url = d.url;
  if (d.case !== undefined) page.case = d.case;
  return page;
}

// ---- scoring ----

/** Normalized words (src/normalize.ts), as bench/real-pages.ts scores real pages. */
export function bagWords(s: string): string[] {
  return normalize(s).split(' ').filter((w) => w.length > 0);
}

export interface HtmlSimScore {
  pages: number;
  /** Output words matched by gold content words (multiset). */
  tp: number;
  outWords: number;
  goldWords: number;
  /** Gold chrome words, and output words left after content matching that match them. */
  chromeWords: number;
  chromeKept: number;
  /** Pages whose content recall is below 0.95. */
  damaged: number;
  /** Per chrome label: words of its lines, and words of lines found whole in the output (approximate). */
  byLabel: Partial<Record<ChromeLabel, { words: number; kept: number }>>;
  byFamily: Partial<Record<TemplateFamily, { pages: number; tp: number; goldWords: number; outWords: number; damaged: number }>>;
}

export function emptyHtmlScore(): HtmlSimScore {
  return { pages: 0, tp: 0, outWords: 0, goldWords: 0, chromeWords: 0, chromeKept: 0, damaged: 0, byLabel: {}, byFamily: {} };
}

const squash = (s: string): string => normalize(s).replace(/ +/g, ' ').trim();

/**
 * Score one page's output text (kept text, any line structure). Content: bag of normalized words against
 * the gold content. Chrome left: output words not matched by content, matched against the gold chrome
 * words. Per label: a chrome line counts as kept when its normalized text is found whole in the output,
 * each occurrence claimed once, longest gold lines (content or chrome) first. An approximation: a title
 * in the ticker and in the related list is one string, and a chain item the text rules cut out of a kept
 * line is found only when its neighbours went too.
 */
export function scoreHtmlPage(s: HtmlSimScore, page: Pick<SimHtmlPage, 'goldContent' | 'chrome' | 'family'>, out: string): void {
  const ow = bagWords(out);
  const gw = bagWords(page.goldContent);
  const left: string[] = [];
  const tp = bagMatch(ow, gw, left);
  const cw = page.chrome.flatMap(([, x]) => bagWords(x));
  const ck = bagMatch(left, cw);
  s.pages++;
  s.tp += tp;
  s.outWords += ow.length;
  s.goldWords += gw.length;
  s.chromeWords += cw.length;
  s.chromeKept += ck;
  const damaged = gw.length > 0 && tp / gw.length < 0.95;
  if (damaged) s.damaged++;
  const f = (s.byFamily[page.family] ??= { pages: 0, tp: 0, goldWords: 0, outWords: 0, damaged: 0 });
  f.pages++;
  f.tp += tp;
  f.goldWords += gw.length;
  f.outWords += ow.length;
  if (damaged) f.damaged++;
  // Per label: whole lines found in the output, each occurrence once, longest lines first (so a headline
  // is found in the <h1> block and not inside the "<title>" block that holds it, and a menu word is not
  // taken out of a paragraph).
  let hay = ` ${out.split('\n').map(squash).join(' ')} `.replace(/ +/g, ' ');
  const lines: [ChromeLabel | null, string][] = page.goldContent.split('\n').map((x): [null, string] => [null, squash(x)]);
  for (const [label, x] of page.chrome) lines.push([label, squash(x)]);
  lines.sort((a, b) => b[1].length - a[1].length);
  for (const [label, x] of lines) {
    if (x.length === 0) continue;
    const i = hay.indexOf(` ${x} `);
    if (i >= 0) hay = hay.slice(0, i + 1) + hay.slice(i + x.length + 1);
    if (label === null) continue;
    const n = x.split(' ').length;
    const l = (s.byLabel[label] ??= { words: 0, kept: 0 });
    l.words += n;
    if (i >= 0) l.kept += n;
  }
}

export interface HtmlSimFigures {
  precision: number;
  recall: number;
  f1: number;
  chromeLeft: number;
  damagedShare: number;
}

export function htmlSimFigures(s: HtmlSimScore): HtmlSimFigures {
  const precision = s.outWords > 0 ? s.tp / s.outWords : 1;
  const recall = s.goldWords > 0 ? s.tp / s.goldWords : 1;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, chromeLeft: s.chromeWords > 0 ? s.chromeKept / s.chromeWords : 0, damagedShare: s.pages > 0 ? s.damaged / s.pages : 0 };
}
