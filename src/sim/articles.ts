/**
 * Article bodies for the simulator: real Arabic news text.
 *
 * From ../shared/eval-data/saudinewsnet-ar when it is there (research-only license: read at run time,
 * never shipped). Paragraphs that repeat across its own articles are residual chrome and are dropped;
 * long paragraphs (many articles have no breaks) are split at sentence ends. Without that data, bodies
 * are built from the body lines of seeds/, every paragraph made unique.
 */
import fs from 'node:fs';
import path from 'node:path';
import { normalize } from '../normalize.js';
import { readZip } from './zip.js';

export interface Article {
  title: string;
  paragraphs: string[];
}

export interface ArticlePool {
  articles: Article[];
  /** Sentences of every article, for remixed bodies when a crawl needs more articles than the pool has. */
  sentences: string[];
  /** Words in running order (seeds only): remixed paragraphs are drawn word by word, so none repeats. */
  words?: string[];
  source: 'saudinewsnet' | 'seeds';
}

const SENTENCE_END = /(?<=[.!؟?])\s+/u;

function splitLong(p: string, maxChars: number): string[] {
  if (p.length <= maxChars) return [p];
  const sentences = p.split(SENTENCE_END).filter((s) => s.trim().length > 0);
  const out: string[] = [];
  let cur = '';
  for (const s of sentences) {
    if (cur.length > 0 && cur.length + s.length > maxChars) {
      out.push(cur);
      cur = '';
    }
    cur = cur.length > 0 ? `${cur} ${s}` : s;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Default location of the Arabic article data, relative to the package root. */
export function defaultArticleDir(): string {
  const here = path.dirname(new URL(import.meta.url).pathname);
  // dist/src/sim -> package root -> ../shared/eval-data
  return path.resolve(here, '../../../../shared/eval-data/saudinewsnet-ar');
}

export function loadSaudiNewsNet(dir: string, maxFiles = Infinity): ArticlePool | null {
  if (!fs.existsSync(dir)) return null;
  const zips = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.zip'))
    .sort()
    .slice(0, maxFiles);
  if (zips.length === 0) return null;
  const raw: { title: string; paras: string[] }[] = [];
  for (const z of zips) {
    for (const e of readZip(path.join(dir, z))) {
      const arr = JSON.parse(e.data.toString('utf8')) as { title?: string; content?: string }[];
      for (const a of arr) {
        if (!a.content || !a.title) continue;
        const paras = a.content
          .split(/\n+/)
          .map((p) => p.replace(/\s+/g, ' ').trim())
          .filter((p) => p.length > 0);
        raw.push({ title: a.title.replace(/\s+/g, ' ').trim(), paras });
      }
    }
  }
  // Residual chrome: paragraphs (normalized) that occur in more than one article; duplicate titles too.
  const paraCount = new Map<string, number>();
  const titleCount = new Map<string, number>();
  for (const a of raw) {
    for (const p of new Set(a.paras.map((x) => normalize(x)))) paraCount.set(p, (paraCount.get(p) ?? 0) + 1);
    const t = normalize(a.title);
    titleCount.set(t, (titleCount.get(t) ?? 0) + 1);
  }
  // Residual templated chrome: short paragraphs opening with words that open paragraphs of many articles
  // ("رابط الخبر بصحيفة الوئام: <title>", "للتواصل مع الكاتب ...").
  const openCount = new Map<string, number>();
  const opening = (n: string): string => n.split(' ').slice(0, 3).join(' ');
  for (const a of raw) for (const o of new Set(a.paras.map((p) => opening(normalize(p))))) openCount.set(o, (openCount.get(o) ?? 0) + 1);
  const articles: Article[] = [];
  const sentences: string[] = [];
  for (const a of raw) {
    if (titleCount.get(normalize(a.title))! > 1) continue;
    const paras: string[] = [];
    for (const p of a.paras) {
      const n = normalize(p);
      if (n.length < 25 || paraCount.get(n)! > 1) continue;
      if (openCount.get(opening(n))! >= 40) continue;
      paras.push(...splitLong(p, 700));
    }
    if (paras.length === 0) continue;
    articles.push({ title: a.title, paragraphs: paras });
    for (const p of paras) for (const s of p.split(SENTENCE_END)) if (s.length > 30) sentences.push(s.trim());
  }
  return { articles, sentences, source: 'saudinewsnet' };
}

/** Bodies from the seed pages' article lines (the fallback when the eval data is absent). */
export function seedPool(seedDir: string): ArticlePool {
  const sentences: string[] = [];
  for (const f of fs.readdirSync(seedDir).sort()) {
    const text = fs.readFileSync(path.join(seedDir, f), 'utf8');
    for (const line of text.split(/\r?\n/)) {
      const l = line.trim();
      // Body paragraphs: long lines without ticker separators.
      if (l.length < 80 || /\u00a0{2,}| {3,}/.test(l)) continue;
      for (const s of l.split(SENTENCE_END)) if (s.trim().length > 30) sentences.push(s.trim());
    }
  }
  const words = sentences.join(' ').split(/\s+/).filter((w) => w.length > 0);
  return { articles: [], sentences: [...new Set(sentences)], words, source: 'seeds' };
}

export function defaultSeedDir(): string {
  const here = path.dirname(new URL(import.meta.url).pathname);
  return path.resolve(here, '../../../seeds');
}

/** The richest pool available: the Arabic article data, else the seeds. */
export function loadPool(opts: { articleDir?: string; seedDir?: string; maxFiles?: number } = {}): ArticlePool {
  return loadSaudiNewsNet(opts.articleDir ?? defaultArticleDir(), opts.maxFiles) ?? seedPool(opts.seedDir ?? defaultSeedDir());
}
