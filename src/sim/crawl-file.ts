/**
 * Write a simulated crawl to disk: JSONL records (id, url, text), optionally the gold labels beside it
 * and the plain text (every document's text, as an awk baseline reads it). Streams: memory does not
 * grow with the size asked for.
 */
import fs from 'node:fs';
import type { ArticlePool } from './articles.js';
import { Rng, simRecord, simulate, type SimOptions } from './generate.js';

export interface CrawlFiles {
  jsonl: string;
  gold?: string;
  plain?: string;
}

export interface CrawlStats {
  docs: number;
  bytes: number;
  plainBytes: number;
}

export function writeCrawl(pool: ArticlePool, files: CrawlFiles, opts: SimOptions): CrawlStats {
  return writeRecords(files, (function* () {
    for (const d of simulate(pool, opts)) {
      yield { line: simRecord(d), plain: d.text, gold: () => JSON.stringify({ id: d.id, site: d.site, case: d.case, gold: d.gold }) };
    }
  })());
}

export interface UniqueCrawlOptions {
  seed: number;
  /** Bytes of JSONL to write (at least; the last document ends past it). */
  bytes: number;
  sites?: number;
}

/**
 * A crawl shaped like perf-notes.md's corpus, where most lines are unique (issue #13's second mawk
 * yardstick): documents of 12–26 lines of ~120 characters over `sites` sites (400), 40% of the line
 * occurrences drawn from the site's own 40 chrome lines, the rest running text cut from the pool's
 * sentences (real Arabic). No gold: it measures speed, not quality.
 */
export function writeUniqueCrawl(pool: ArticlePool, files: CrawlFiles, opts: UniqueCrawlOptions): CrawlStats {
  const rng = new Rng(opts.seed);
  const nSites = opts.sites ?? 400;
  let words: string[] = [];
  let w = 0;
  // The next line of running text: words of the pool's sentences, one after another, to `chars` at least.
  const text = (chars: number): string => {
    let s = '';
    while (s.length < chars) {
      if (w >= words.length) {
        words = rng.pick(pool.sentences).split(/\s+/).filter((x) => x.length > 0);
        w = 0;
        continue;
      }
      s += (s.length > 0 ? ' ' : '') + words[w++];
    }
    return s;
  };
  const chrome: string[][] = [];
  for (let s = 0; s < nSites; s++) chrome.push(Array.from({ length: 40 }, () => text(rng.int(60, 180))));
  return writeRecords(files, (function* () {
    let bytes = 0;
    for (let i = 0; bytes < opts.bytes; i++) {
      const site = i % nSites;
      const lines: string[] = [];
      for (let k = rng.int(12, 26); k > 0; k--) lines.push(rng.chance(0.4) ? rng.pick(chrome[site]!) : text(rng.int(80, 164)));
      const plain = lines.join('\n');
      const line = JSON.stringify({ id: `u${i}`, url: `https://site${site}.example/a/${i}.html`, text: plain });
      bytes += Buffer.byteLength(line) + 1;
      yield { line, plain };
    }
  })());
}

/** Records to the files: each JSONL line, and its gold (made only when asked for) and plain text. */
function writeRecords(files: CrawlFiles, records: Iterable<{ line: string; plain: string; gold?: () => string }>): CrawlStats {
  const fd = fs.openSync(files.jsonl, 'w');
  const gfd = files.gold ? fs.openSync(files.gold, 'w') : -1;
  const pfd = files.plain ? fs.openSync(files.plain, 'w') : -1;
  let parts: string[] = [];
  let gparts: string[] = [];
  let pparts: string[] = [];
  let size = 0;
  const stats: CrawlStats = { docs: 0, bytes: 0, plainBytes: 0 };
  const flush = (): void => {
    const b = Buffer.from(parts.join(''), 'utf8');
    fs.writeSync(fd, b);
    stats.bytes += b.length;
    if (gfd >= 0) fs.writeSync(gfd, gparts.join(''));
    if (pfd >= 0) {
      const p = Buffer.from(pparts.join(''), 'utf8');
      fs.writeSync(pfd, p);
      stats.plainBytes += p.length;
    }
    parts = [];
    gparts = [];
    pparts = [];
    size = 0;
  };
  try {
    for (const r of records) {
      const line = r.line + '\n';
      parts.push(line);
      size += line.length;
      if (gfd >= 0 && r.gold !== undefined) gparts.push(r.gold() + '\n');
      if (pfd >= 0) pparts.push(r.plain + '\n');
      stats.docs++;
      if (size > 1 << 22) flush();
    }
    flush();
  } finally {
    fs.closeSync(fd);
    if (gfd >= 0) fs.closeSync(gfd);
    if (pfd >= 0) fs.closeSync(pfd);
  }
  return stats;
}
