/**
 * A scrape simulator: a crawl of many Arabic news sites as JSONL records (id, url, text) with gold labels
 * for every line and ticker segment (content, or which kind of chrome). Deterministic for a seed.
 *
 * Templates are modelled on the seeds and on real news sites: headline tickers whose window slides with
 * crawl time (network-wide on aggregators, joined by NBSP runs as in seed 000), image-report notices,
 * bylines and datelines with changing dates, authors and cities, photo credits between paragraphs,
 * inline "اقرأ أيضا: <another title>" lines, related and most-read lists (other articles' titles, or
 * teasers cut from their leads), comment forms, share bars, tag lines, newsletter boxes, cookie banners,
 * legal footers, English chrome on Arabic sites, live-coverage widgets.
 *
 * Hard cases: an article's title appears in other pages' tickers and lists (content on its own page);
 * pages scraped twice; wire stories on several sites; sites with a handful of pages; records without a
 * URL; very uneven site sizes (Zipf).
 */
import type { ArticlePool } from './articles.js';

/** Gold label of a range of a document's text. */
export type Label =
  | 'content'
  | 'ticker'
  | 'nav'
  | 'notice'
  | 'byline'
  | 'caption'
  | 'readmore'
  | 'related'
  | 'mostread'
  | 'comments'
  | 'share'
  | 'tags'
  | 'newsletter'
  | 'cookie'
  | 'footer'
  | 'english'
  | 'live'
  | 'source';

/** [start, end, label] in UTF-16 code units of the text. */
export type GoldSpan = [number, number, Label];

export interface SimDoc {
  id: string;
  url?: string;
  text: string;
  gold: GoldSpan[];
  site: string;
  /** The hard case this document exercises, if any. */
  case?: 'duplicate' | 'wire' | 'no-url' | 'tiny-site';
}

export interface SimOptions {
  seed?: number;
  /** Stop after this many documents... */
  docs?: number;
  /** ...or this many bytes of JSONL (whichever comes first). */
  bytes?: number;
  /** Number of regular sites (plus tiny ones). Default 40. */
  sites?: number;
  /** Tiny sites (3-8 pages each). Default 6. */
  tinySites?: number;
  /** Share of documents that carry a wire story another site carries too. Default 0.02. */
  wireShare?: number;
}

/** Deterministic PRNG (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.next() * a.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  sample<T>(a: readonly T[], n: number): T[] {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(this.pick(a));
    return out;
  }
}

const NBSP4 = '\u00a0\u00a0\u00a0\u00a0';
const CITIES = ['الرياض', 'جدة', 'الدمام', 'مكة المكرمة', 'المدينة المنورة', 'القاهرة', 'دبي', 'الرباط', 'الدار البيضاء', 'بيروت', 'عمان', 'الكويت', 'تونس', 'بغداد', 'أبوظبي', 'الدوحة', 'طنجة', 'فاس', 'أبها', 'تبوك'];
const FIRST = ['محمد', 'عبدالله', 'فهد', 'سارة', 'نورة', 'خالد', 'أحمد', 'ريم', 'سلطان', 'هدى', 'يوسف', 'منى', 'عمر', 'ليلى', 'ماجد', 'فاطمة', 'إبراهيم', 'هشام', 'رنا', 'طارق'];
const LAST = ['العتيبي', 'الحربي', 'القحطاني', 'الشهري', 'الغامدي', 'الزهراني', 'المالكي', 'الدوسري', 'العنزي', 'السبيعي', 'بنعلي', 'العلوي', 'الإدريسي', 'حداد', 'منصور', 'الخطيب'];
const SOURCES = ['الأول', 'الأيام 24', 'هسبريس', 'اليوم 24', 'الصباح', 'العمق المغربي', 'برلمان', 'فبراير', 'الأحداث المغربية', 'رسالة الأمة'];
const MONTHS = ['يناير', 'فبراير', 'مارس', 'أبريل', 'مايو', 'يونيو', 'يوليو', 'أغسطس', 'سبتمبر', 'أكتوبر', 'نوفمبر', 'ديسمبر'];
const DAYS = ['الأحد', 'الاثنين', 'الثلاثاء', 'الأربعاء', 'الخميس', 'الجمعة', 'السبت'];
const SECTIONS = ['الرئيسية', 'أخبار محلية', 'سياسة', 'اقتصاد', 'رياضة', 'ثقافة وفنون', 'تكنولوجيا', 'صحة', 'منوعات', 'مقالات الرأي', 'فيديو', 'العالم', 'مجتمع'];
const TAGS = ['السعودية', 'الرياض', 'كورونا', 'النفط', 'الهلال', 'النصر', 'الاقتصاد', 'التعليم', 'الصحة', 'سوريا', 'اليمن', 'مصر', 'المغرب', 'الطقس', 'الأمطار', 'رمضان', 'الحج', 'التقنية', 'الذكاء الاصطناعي', 'الأسهم'];
const AGENCIES = ['واس', 'رويترز', 'أ ف ب', 'الأناضول', 'د ب أ', 'متابعات', 'وكالات'];
const COUNTRIES = ['السعودية', 'مصر', 'الإمارات العربية المتحدة', 'المغرب', 'لبنان', 'الأردن', 'الكويت', 'تونس', 'العراق', 'قطر'];
const BRANDS = ['CNN', 'BBC', 'رويترز', 'سكاي نيوز'];
/** Speech verbs that open quoted paragraphs ("وقال: ..."): a label to the eye, content to the reader. */
const SPEECH = ['وقال', 'وأضاف', 'وتابع', 'وأوضح', 'وأكد', 'وأشار', 'وقالت', 'وختم'];
const PHOTO = ['صورة أرشيفية', 'Getty Images', 'EPA', 'Reuters', 'AFP', 'صورة تعبيرية'];

interface Template {
  host: string;
  name: string;
  /** Which chrome the site's pages carry. */
  english: boolean;
  cookie: 'ar' | 'en' | null;
  nav: boolean;
  ticker: 'site' | 'network' | null;
  tickerLen: number;
  notice: boolean;
  breadcrumb: boolean;
  byline: 'published-in' | 'author' | 'date-words' | 'dateline' | 'agency';
  captions: number;
  readMore: number;
  share: 'chain' | 'lines' | null;
  tags: boolean;
  sourceLink: boolean;
  comments: boolean;
  related: 'titles' | 'teasers' | 'labelled' | null;
  mostRead: boolean;
  newsletter: boolean;
  live: boolean;
  footer: boolean;
  blankBetween: boolean;
  /** The first paragraph opens with "City، Country (BRAND) --" and a no-break space, as on CNN Arabic. */
  inlineDateline: boolean;
  authors: string[];
  sources: string[];
}

function makeTemplate(rng: Rng, i: number): Template {
  const names = ['الخبر', 'اليوم', 'الوطن', 'الشرق', 'النهار', 'الصباح', 'المساء', 'الحدث', 'العاصمة', 'الجزيرة', 'المدينة', 'الأفق', 'البيان', 'الرأي', 'السفير'];
  const authors = Array.from({ length: rng.int(3, 12) }, () => `${rng.pick(FIRST)} ${rng.pick(LAST)}`);
  return {
    host: `${['www.', '', 'ar.', 'news.'][i % 4]}site${i}-${['news', 'press', 'today', 'online', 'times'][i % 5]}.${['com', 'net', 'ma', 'sa', 'info'][(i >> 2) % 5]}`,
    name: `${rng.pick(names)} ${i}`,
    english: rng.chance(0.3),
    cookie: rng.chance(0.4) ? (rng.chance(0.5) ? 'ar' : 'en') : null,
    nav: rng.chance(0.6),
    ticker: rng.chance(0.5) ? (rng.chance(0.3) ? 'network' : 'site') : null,
    tickerLen: rng.int(8, 55),
    notice: rng.chance(0.35),
    breadcrumb: rng.chance(0.5),
    byline: rng.pick(['published-in', 'author', 'date-words', 'dateline', 'agency'] as const),
    captions: rng.chance(0.6) ? rng.int(1, 3) : 0,
    readMore: rng.chance(0.5) ? rng.int(1, 2) : 0,
    share: rng.chance(0.7) ? (rng.chance(0.5) ? 'chain' : 'lines') : null,
    tags: rng.chance(0.5),
    sourceLink: rng.chance(0.3),
    comments: rng.chance(0.5),
    related: rng.chance(0.75) ? rng.pick(['titles', 'teasers', 'labelled'] as const) : null,
    mostRead: rng.chance(0.4),
    newsletter: rng.chance(0.3),
    live: rng.chance(0.15),
    footer: rng.chance(0.8),
    blankBetween: rng.chance(0.5),
    inlineDateline: rng.chance(0.15),
    authors,
    sources: rng.sample(SOURCES, rng.int(2, 6)),
  };
}

/** An article as published on a site: title, lead and paragraphs. */
interface Published {
  title: string;
  paragraphs: string[];
  url: string;
  day: number;
}

class DocBuilder {
  text = '';
  gold: GoldSpan[] = [];
  constructor(private readonly blankBetween: boolean) {}
  line(s: string, label: Label): void {
    if (this.text.length > 0) this.text += this.blankBetween ? '\n\n' : '\n';
    const start = this.text.length;
    this.text += s;
    this.gold.push([start, this.text.length, label]);
  }
  /** A chain line (ticker, menu): each item labelled, separators unlabelled. */
  chain(items: string[], sep: string, label: Label): void {
    if (items.length === 0) return;
    if (this.text.length > 0) this.text += this.blankBetween ? '\n\n' : '\n';
    items.forEach((it, k) => {
      if (k > 0) this.text += sep;
      const s = this.text.length;
      this.text += it;
      this.gold.push([s, this.text.length, label]);
    });
  }
  blanks(n: number): void {
    this.text += '\n'.repeat(n);
  }
}

function dateOf(day: number): { d: number; m: number; y: number; wd: number } {
  const t = new Date(Date.UTC(2024, 0, 1) + day * 86400000);
  return { d: t.getUTCDate(), m: t.getUTCMonth() + 1, y: t.getUTCFullYear(), wd: t.getUTCDay() };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Stream simulated documents. */
export function* simulate(pool: ArticlePool, opts: SimOptions = {}): Generator<SimDoc> {
  const rng = new Rng(opts.seed ?? 1);
  const nSites = opts.sites ?? 40;
  const nTiny = opts.tinySites ?? 6;
  const maxDocs = opts.docs ?? Number.POSITIVE_INFINITY;
  const maxBytes = opts.bytes ?? Number.POSITIVE_INFINITY;
  const templates = Array.from({ length: nSites + nTiny }, (_, i) => makeTemplate(rng, i));
  // Zipf weights for regular sites; tiny sites get a fixed handful of pages.
  const weights = templates.map((_, i) => (i < nSites ? 1 / Math.pow(i + 1, 1.1) : 0));
  const wsum = weights.reduce((a, b) => a + b, 0);
  const tinyLeft = templates.map((_, i) => (i >= nSites ? rng.int(3, 8) : 0));
  const published: Published[][] = templates.map(() => []);
  const network: string[] = [];
  let articleIx = 0;
  let remix = 0;
  const usedTitles = new Set<string>();

  const nextArticle = (): { title: string; paragraphs: string[] } => {
    if (articleIx < pool.articles.length) {
      const a = pool.articles[(articleIx++ * 7919) % pool.articles.length]!;
      // (a stride permutation: consecutive docs come from different days and papers)
      if (!usedTitles.has(a.title)) {
        usedTitles.add(a.title);
        return a;
      }
    }
    // Remixed article: paragraphs of 2-4 random sentences; the title from a sentence's first words.
    remix++;
    const vocab = pool.words;
    if (vocab !== undefined) {
      // Few sentences to draw from (the seeds): words drawn in proportion to their use, so every
      // paragraph is new.
      const para = (lo: number, hi: number): string => rng.sample(vocab, rng.int(lo, hi)).join(' ');
      return { title: para(5, 10), paragraphs: Array.from({ length: rng.int(3, 9) }, () => `${para(15, 45)}.`) };
    }
    const paragraphs = Array.from({ length: rng.int(3, 9) }, () => rng.sample(pool.sentences, rng.int(2, 4)).join(' '));
    const words = rng.pick(pool.sentences).split(' ');
    const k = rng.int(0, Math.max(0, words.length - 10));
    const title = words.slice(k, k + rng.int(5, 10)).join(' ');
    return { title, paragraphs };
  };

  let day = 0;
  let docs = 0;
  let bytes = 0;
  const wire: { title: string; paragraphs: string[] }[] = [];
  const wireShare = opts.wireShare ?? 0.02;
  /** A wire story as another site runs it: often another headline, a dateline added, a paragraph edited. */
  const syndicate = (a: { title: string; paragraphs: string[] }): { title: string; paragraphs: string[] } => {
    const paragraphs = [...a.paragraphs];
    let title = a.title;
    if (rng.chance(0.5)) title = `${rng.pick(CITIES)}: ${title.split(' ').reverse().join(' ')}`;
    if (rng.chance(0.4)) paragraphs[0] = `${rng.pick(CITIES)} - ${rng.pick(AGENCIES)}: ${paragraphs[0]}`;
    if (rng.chance(0.3) && paragraphs.length > 1) {
      const k = rng.int(1, paragraphs.length - 1);
      paragraphs[k] = `${paragraphs[k]} ${rng.pick(paragraphs[0]!.split('. '))}`;
    }
    return { title, paragraphs };
  };
  while (docs < maxDocs && bytes < maxBytes) {
    // Pick a site: tiny sites now and then until their pages are used.
    let si: number;
    const tinyIx = tinyLeft.findIndex((n) => n > 0);
    if (tinyIx >= 0 && rng.chance(0.01)) {
      si = tinyIx;
      tinyLeft[tinyIx]!--;
    } else {
      let r = rng.next() * wsum;
      si = 0;
      while (si < nSites - 1 && (r -= weights[si]!) > 0) si++;
    }
    const tpl = templates[si]!;
    if (docs % 50 === 0) day++;
    const pubs = published[si]!;
    let kase: SimDoc['case'] | undefined = si >= nSites ? 'tiny-site' : undefined;
    let art: Published;
    if (pubs.length > 5 && rng.chance(0.01)) {
      // The same page scraped twice, later (another ticker window, another crawl date).
      art = pubs[rng.int(Math.max(0, pubs.length - 200), pubs.length - 1)]!;
      kase = 'duplicate';
    } else {
      let a: { title: string; paragraphs: string[] };
      if (wire.length > 0 && rng.chance(wireShare)) {
        a = syndicate(rng.pick(wire));
        kase = 'wire';
      } else {
        a = nextArticle();
        if (rng.chance(wireShare)) wire.push(a);
      }
      art = { title: a.title, paragraphs: a.paragraphs, url: `https://${tpl.host}/${['news', 'article', 'ar', 'akhbar'][si % 4]}/${2024 + (day >> 8)}/${pubs.length + 1000}${['.html', '', '/'][si % 3]}`, day };
      pubs.push(art);
      network.push(art.title);
      if (network.length > 500) network.shift();
    }
    const noUrl = rng.chance(0.02);
    if (noUrl) kase = 'no-url';
    const b = new DocBuilder(tpl.blankBetween);
    const dt = dateOf(art.day);
    const others = (n: number): Published[] => {
      const out: Published[] = [];
      for (let k = 0; k < n && pubs.length > 1; k++) {
        const o = pubs[rng.int(Math.max(0, pubs.length - 60), pubs.length - 1)]!;
        if (o !== art && !out.includes(o)) out.push(o);
      }
      return out;
    };

    if (tpl.english) {
      b.line('Connect with us', 'english');
      b.line('Hi, what are you looking for?', 'english');
    }
    if (tpl.cookie === 'en') b.line('We use cookies to improve your experience on our website. By continuing to browse, you agree to our use of cookies. Accept', 'cookie');
    if (tpl.cookie === 'ar') b.line('يستخدم هذا الموقع ملفات تعريف الارتباط لتحسين تجربتك. باستمرارك في التصفح فإنك توافق على ذلك. موافق', 'cookie');
    if (tpl.nav) b.chain(SECTIONS.slice(0, 6 + (si % 6)), ' | ', 'nav');
    if (tpl.ticker) {
      const src = tpl.ticker === 'network' ? network : pubs.map((p) => p.title);
      const end = src.length - 1;
      const items = src.slice(Math.max(0, end - tpl.tickerLen), end).reverse();
      b.chain(items, NBSP4, 'ticker');
      b.blanks(rng.int(0, 6));
    }
    if (tpl.notice) {
      b.line('شكرا على الإبلاغ!', 'notice');
      b.line('سيتم حجب هذه الصورة تلقائيا عندما يتم الإبلاغ عنها من طرف عدة أشخاص.', 'notice');
    }
    if (tpl.breadcrumb) b.line(`الرئيسية » ${SECTIONS[1 + ((art.day + si) % 10)]}`, 'nav');
    if (tpl.captions > 0 && rng.chance(0.5)) b.line(rng.pick(PHOTO), 'caption');
    b.line(art.title, 'content');
    switch (tpl.byline) {
      case 'published-in':
        b.line(`نشر في ${rng.pick(tpl.sources)} يوم ${pad(dt.d)} - ${pad(dt.m)} - ${dt.y}`, 'byline');
        break;
      case 'author':
        b.line(`بقلم: ${rng.pick(tpl.authors)}`, 'byline');
        b.line(`${pad(dt.d)}/${pad(dt.m)}/${dt.y} - ${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}`, 'byline');
        break;
      case 'date-words':
        b.line(tpl.name.length % 2 === 0 ? `منشور ${DAYS[dt.wd]} ${dt.d} ${MONTHS[dt.m - 1]} ${dt.y}` : `آخر تحديث: ${DAYS[dt.wd]} ${dt.d} ${MONTHS[dt.m - 1]} ${dt.y} - ${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}`, 'byline');
        break;
      case 'dateline':
        b.line(`${rng.pick(CITIES)} - ${rng.pick(AGENCIES)}`, 'byline');
        break;
      case 'agency':
        b.line(`${tpl.name} - ${rng.pick(AGENCIES)}`, 'byline');
        b.line(`${DAYS[dt.wd]} ${dt.d} ${MONTHS[dt.m - 1]} ${dt.y}`, 'byline');
        break;
    }
    const paras = art.paragraphs;
    const captionAt = new Set(Array.from({ length: tpl.captions }, () => rng.int(1, Math.max(1, paras.length - 1))));
    const readAt = new Set(Array.from({ length: tpl.readMore }, () => rng.int(1, Math.max(1, paras.length - 1))));
    paras.forEach((p, k) => {
      if (captionAt.has(k) && k > 0) b.line(rng.chance(0.5) ? rng.pick(PHOTO) : `(تصوير: ${rng.pick(FIRST)} ${rng.pick(LAST)})`, 'caption');
      if (readAt.has(k) && k > 0) {
        const o = others(1)[0];
        if (o) b.line(`${rng.chance(0.7) ? 'اقرأ أيضا' : 'اقرأ أيضًا'}: ${o.title}`, 'readmore');
      }
      let text = p;
      // A quoted paragraph opened by a speech verb and a colon (short ones get label keys).
      if (k > 0 && rng.chance(0.12)) {
        const w = p.split(' ');
        text = `${rng.pick(SPEECH)}: "${w.slice(0, Math.min(w.length, rng.int(6, 14))).join(' ')}".`;
      }
      if (k === 0 && tpl.inlineDateline) text = `${rng.pick(CITIES)}، ${rng.pick(COUNTRIES)} (${BRANDS[si % BRANDS.length]}) --\u00a0 ${p}`;
      b.line(text, 'content');
    });
    if (tpl.tags) b.line(`الوسوم: ${rng.sample(TAGS, rng.int(2, 5)).join('، ')}`, 'tags');
    if (tpl.share === 'chain') b.chain(['شارك', 'فيسبوك', 'تويتر', 'واتساب', 'تيليجرام'], ' | ', 'share');
    if (tpl.share === 'lines') {
      b.line('شارك هذا المقال', 'share');
      b.line('Share on Facebook', 'share');
      b.line('Share on Twitter', 'share');
    }
    if (tpl.sourceLink) b.line('انقر هنا لقراءة الخبر من مصدره.', 'source');
    if (tpl.comments) {
      b.line('اضف تعليقك', 'comments');
      b.line('اترك تعليقك', 'comments');
      b.line('لن يتم نشر عنوان بريدك الإلكتروني. الحقول الإلزامية مشار إليها بـ *', 'comments');
      b.line('الاسم *', 'comments');
      b.line('البريد الإلكتروني *', 'comments');
      b.line('إرسال التعليق', 'comments');
    }
    if (tpl.related) {
      b.line('مقالات ذات صلة', 'related');
      for (const o of others(rng.int(3, 6))) {
        if (tpl.related === 'labelled') b.line('اخر الاخبار', 'related');
        if (tpl.related === 'teasers') {
          const lead = o.paragraphs[0]!.split(' ');
          b.line(`${lead.slice(0, Math.min(lead.length, rng.int(12, 20))).join(' ')}...`, 'related');
        } else b.line(o.title, 'related');
      }
    }
    if (tpl.mostRead) {
      b.line('الأكثر قراءة', 'mostread');
      others(5).forEach((o) => b.line(o.title, 'mostread'));
    }
    if (tpl.live) {
      b.line('تغطية مباشرة Live', 'live');
      b.line('تحديثات جديدة.. انقر للتحديثات..', 'live');
      for (let k = 0; k < 3; k++) b.line(`${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}`, 'live');
    }
    if (tpl.newsletter) {
      b.line('اشترك في النشرة البريدية', 'newsletter');
      b.line('احصل على أهم الأخبار يوميا في بريدك الإلكتروني', 'newsletter');
    }
    if (tpl.footer) {
      b.chain(['من نحن', 'اتصل بنا', 'سياسة الخصوصية', 'شروط الاستخدام'], ' | ', 'footer');
      b.line(`جميع الحقوق محفوظة © ${dt.y} ${tpl.name}`, 'footer');
    }
    docs++;
    const doc: SimDoc = { id: `${si}-${docs}`, text: b.text, gold: b.gold, site: noUrl ? '' : tpl.host.replace(/^www\./, '') };
    if (!noUrl) doc.url = art.url;
    if (kase) doc.case = kase;
    bytes += Buffer.byteLength(doc.text) + 80;
    yield doc;
  }
}

/** The JSONL record of a simulated document (what a scraper would write). */
export function simRecord(d: SimDoc): string {
  return JSON.stringify(d.url !== undefined ? { id: d.id, url: d.url, text: d.text } : { id: d.id, text: d.text });
}
