/**
 * Write a simulated crawl to disk: JSONL records (id, url, text), optionally the gold labels beside it
 * and the plain text (every document's text, as an awk baseline reads it). Streams: memory does not
 * grow with the size asked for.
 */
import fs from 'node:fs';
import type { ArticlePool } from './articles.js';
import { simRecord, simulate, type SimOptions } from './generate.js';

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
    for (const d of simulate(pool, opts)) {
      const line = simRecord(d) + '\n';
      parts.push(line);
      size += line.length;
      if (gfd >= 0) gparts.push(JSON.stringify({ id: d.id, site: d.site, case: d.case, gold: d.gold }) + '\n');
      if (pfd >= 0) pparts.push(d.text + '\n');
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
