/**
 * The HTML route end to end: records with an html field, HTML files, WARC and WET files, as a user runs
 * them, and the bad inputs these formats bring.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clean } from '../src/api.js';
import { seedPool } from '../src/sim/articles.js';
import { ROOT, run, tmpdir } from './helpers/cli.js';
import { response, warc } from './helpers/warc.js';

const dir = tmpdir('bs-html-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Page {
  url: string;
  html: string;
  title: string;
  paragraphs: string[];
  related: string[];
  comment: string;
}

const NAV = ['الرئيسية', 'سياسة', 'اقتصاد', 'رياضة', 'ثقافة', 'منوعات', 'اتصل بنا', 'من نحن'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A site of `n` pages: one template (nav, related list, comments, footer) around each article. */
function site(n: number, host: string): Page[] {
  const sent = seedPool(path.join(ROOT, 'seeds')).sentences;
  const S = (k: number): string => sent[k % sent.length]!;
  const headline = (k: number): string => S(k).split(' ').slice(0, 7).join(' ');
  const pages: Page[] = [];
  for (let i = 0; i < n; i++) {
    const paras = [0, 1, 2, 3].map((k) => `${S(i * 8 + 2 * k)}. ${S(i * 8 + 2 * k + 1)} (${i})`);
    const title = `${headline(i * 5 + 3)} ${i}`;
    const related = [1, 2, 3, 4, 5].map((k) => `${headline((i + k) * 5 + 3)} ${i + k}`);
    const comment = `تعليق القارئ رقم ${i}: ${paras[0]!.slice(0, 40)} رأيي مختلف تماما`;
    const html = `<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8"><title>${esc(title)} | ${host}</title>
<link rel="canonical" href="https://${host}/news/${i}.html"><script>var ads = "<p>not text</p>";</script><style>p { color: red }</style></head>
<body><header class="site-header"><nav class="main-nav"><ul>${NAV.map((x, k) => `<li><a href="/c/${k}">${x}</a></li>`).join('')}</ul></nav></header>
<div class="wrap"><article class="post post-${i}"><h1>${esc(title)}</h1>${paras.map((p) => `<p>${esc(p)}</p>`).join('\n')}</article>
<aside class="related-posts"><h3>اقرأ أيضا</h3><ul>${related.map((r, k) => `<li><a href="/news/${i + k + 1}.html">${esc(r)}</a></li>`).join('')}</ul></aside>
<div id="comments" class="comments-area"><div class="comment"><span class="author">زائر</span><p>${esc(comment)}</p></div></div></div>
<footer class="site-footer"><p>جميع الحقوق محفوظة © 2024 ${host}</p><a href="/privacy">سياسة الخصوصية</a></footer></body></html>`;
    pages.push({ url: `https://${host}/news/${i}.html`, html, title, paragraphs: paras, related, comment });
  }
  return pages;
}

let pages: Page[] = [];
let jsonl = '';
let htmlDir = '';
let warcFile = '';

beforeAll(() => {
  pages = site(24, 'example-news.com');
  jsonl = path.join(dir, 'pages.jsonl');
  fs.writeFileSync(jsonl, pages.map((p, i) => `{"id":"p${i}","score":1.0,"url":${JSON.stringify(p.url)},"html":${JSON.stringify(p.html)}}`).join('\n') + '\n');
  htmlDir = path.join(dir, 'site');
  fs.mkdirSync(htmlDir);
  pages.forEach((p, i) => fs.writeFileSync(path.join(htmlDir, `${String(i).padStart(2, '0')}.html`), p.html));
  const recs: Buffer[] = [warc('warcinfo', 'software: test\r\n', { 'Content-Type': 'application/warc-fields' })];
  for (const p of pages) {
    recs.push(warc('request', `GET ${new URL(p.url).pathname} HTTP/1.1\r\n\r\n`, { 'WARC-Target-URI': p.url, 'Content-Type': 'application/http;msgtype=request' }));
    recs.push(response(p.url, p.html));
  }
  recs.push(response('https://example-news.com/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]), { 'Content-Type': 'image/png' }));
  warcFile = path.join(dir, 'crawl.warc.gz');
  fs.writeFileSync(warcFile, Buffer.concat(recs.map((r) => gzipSync(r))));
});

type Out = Record<string, unknown> & { text: string };
const parse = (stdout: string): Out[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as Out);

function expectCleaned(out: Out[]): void {
  expect(out).toHaveLength(pages.length);
  out.forEach((o, i) => {
    const p = pages[i]!;
    const lines = o.text.split('\n');
    for (const para of p.paragraphs) expect(lines, `page ${i}`).toContain(para);
    expect(o.text).toContain(p.title);
    for (const x of NAV) expect(lines).not.toContain(x);
    expect(o.text).not.toContain('جميع الحقوق محفوظة');
    for (const r of p.related) expect(lines).not.toContain(r);
    expect(o.text).not.toContain('not text');
    expect(o.text).not.toContain('color: red');
  });
}

describe('HTML records', () => {
  it('JSONL with an html field: the text takes its place, every other member byte for byte', () => {
    const r = run(['clean', jsonl, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\{"id":"p0","score":1\.0,"url":"https:\/\/example-news\.com\/news\/0\.html","text":"/);
    expect(r.stdout).not.toContain('"html"');
    expectCleaned(parse(r.stdout));
  });

  it('records read in place (jsonl-docs.ts) give the bytes, report and attributes JSON.parse gives, HTML records of every shape', () => {
    // Every way an HTML record is written, among records of the same site: escapes (\u003c, \/, astral, quotes
    // in attributes), a CRLF line, members around the HTML, no URL (sited by the canonical link), a site
    // field, an empty, null or numeric HTML, two HTML members, an HTML beside a text, a text beside a named one.
    const recs = pages.map((p, i) => {
      const html = JSON.stringify(p.html);
      switch (i % 12) {
        case 1:
          return `{"url":${JSON.stringify(p.url)},"html":${html.replace(/</g, '\\u003c').replace(/\//g, '\\/')}}`;
        case 2:
          return `{"html":${JSON.stringify(p.html.replace('<h1>', '<h1 title="\u{1F600} &quot;x&quot;">'))} , "id" : ${i}, "url":${JSON.stringify(p.url)}}\r`;
        case 3:
          return `{"id":"p${i}","html":${html}}`;
        case 4:
          return `{"site":"Given.Site","url":${JSON.stringify(p.url)},"html":${html},"n":${i}}`;
        case 5:
          return `{"url":${JSON.stringify(p.url)},"html":""}`;
        case 6:
          return `{"url":${JSON.stringify(p.url)},"html":null}`;
        case 7:
          return `{"url":${JSON.stringify(p.url)},"html":"<p>first</p>","html":${html}}`;
        case 8:
          return `{"url":${JSON.stringify(p.url)},"html":${html},"text":"a text beside the page"}`;
        case 9:
          return `{"url":${JSON.stringify(p.url)},"html":7}`;
        default:
          return `{"id":"p${i}","url":${JSON.stringify(p.url)},"html":${html}}`;
      }
    });
    const mixed = path.join(dir, 'inplace-html.jsonl');
    fs.writeFileSync(mixed, recs.join('\n') + '\n');
    const rep = path.join(dir, 'inplace-html-report.json');
    const attrs = path.join(dir, 'inplace-html-attrs');
    for (const args of [[], ['--threads', '2'], ['--no-cache-analysis'], ['--keep-html'], ['--annotate', 'spans'], ['--html-field', 'html'], ['--on-empty', 'drop', '--report', rep, '--attributes', attrs]]) {
      const outs = ['1', '0'].map((parseAll) => {
        fs.rmSync(attrs, { recursive: true, force: true });
        const env = { BOILERSTRIP_CHUNK_BYTES: String(16 * 1024), ...(parseAll === '1' ? { BOILERSTRIP_PARSE_ALL: '1' } : {}) };
        const r = run(['clean', mixed, '--quiet', ...args], { env });
        expect(r.status, r.stderr).toBe(0);
        const j = args.includes(rep) ? (JSON.parse(fs.readFileSync(rep, 'utf8')) as Record<string, unknown>) : {};
        delete j.throughput;
        delete j.generatedAt;
        const a = args.includes(attrs) ? fs.readdirSync(attrs).map((f) => fs.readFileSync(path.join(attrs, f), 'utf8')) : [];
        return { out: r.stdout, report: JSON.stringify(j), attrs: a };
      });
      expect(outs[1]!.out, args.join(' ')).toBe(outs[0]!.out);
      expect(outs[1]!.report, args.join(' ')).toBe(outs[0]!.report);
      expect(outs[1]!.attrs, args.join(' ')).toEqual(outs[0]!.attrs);
      expect(outs[0]!.out.trim().split('\n').length).toBeGreaterThanOrEqual(args.includes('drop') ? pages.length - 2 : pages.length);
    }
  });

  it('the library gives the same text as the CLI', async () => {
    const recs = pages.map((p, i) => ({ id: `p${i}`, url: p.url, html: p.html }));
    const out: Out[] = [];
    for await (const o of clean(recs)) out.push(o as Out);
    const cli = parse(run(['clean', jsonl, '--quiet']).stdout);
    expect(out.map((o) => o.text)).toEqual(cli.map((o) => o.text));
    expect(out[0]).not.toHaveProperty('html');
  });

  it('--keep-html keeps the page; --html-field reads another field and replaces an existing text', () => {
    const kept = parse(run(['clean', jsonl, '--quiet', '--keep-html']).stdout);
    expect(kept[3]!.html).toBe(pages[3]!.html);
    const other = path.join(dir, 'other.jsonl');
    fs.writeFileSync(other, pages.map((p) => JSON.stringify({ url: p.url, text: 'old', page: p.html })).join('\n') + '\n');
    const r = run(['clean', other, '--quiet', '--html-field', 'page']);
    expect(r.status, r.stderr).toBe(0);
    const out = parse(r.stdout);
    expect(Object.keys(out[0]!)).toEqual(['url', 'text']);
    expect(out.map((o) => o.text)).toEqual(parse(run(['clean', jsonl, '--quiet']).stdout).map((o) => o.text));
  });

  it('a dotted --html-field (page.html) goes from its object as a top-level one goes: JSONL at 1 and 2 threads, JSON arrays, the library; --keep-html keeps it', async () => {
    const want = parse(run(['clean', jsonl, '--quiet']).stdout).map((o) => o.text);
    const line = (p: Page, i: number, text = ''): string => `{"id":"p${i}",${text}"score":1.0,"url":${JSON.stringify(p.url)},"page":{"status":200,"html":${JSON.stringify(p.html)},"lang":"ar"}}`;
    const nested = path.join(dir, 'nested.jsonl');
    fs.writeFileSync(nested, pages.map((p, i) => line(p, i)).join('\n') + '\n');
    const env = { BOILERSTRIP_CHUNK_BYTES: String(16 * 1024) };
    const one = run(['clean', nested, '--quiet', '--html-field', 'page.html']);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).not.toContain('<html');
    const lines = one.stdout.trim().split('\n');
    // Every other member byte for byte (1.0 stays 1.0), the page object without its html, the text last.
    expect(lines[0]).toMatch(/^\{"id":"p0","score":1\.0,"url":"https:\/\/example-news\.com\/news\/0\.html","page":\{"status":200,"lang":"ar"\},"text":"/);
    expect(parse(one.stdout).map((o) => o.text)).toEqual(want);
    expect(run(['clean', nested, '--quiet', '--html-field', 'page.html', '--threads', '2'], { env }).stdout).toBe(one.stdout);
    // A text field there already is replaced where it is.
    const withText = path.join(dir, 'nested-text.jsonl');
    fs.writeFileSync(withText, pages.map((p, i) => line(p, i, '"text":"old",')).join('\n') + '\n');
    const t = run(['clean', withText, '--quiet', '--html-field', 'page.html']);
    expect(t.stdout.trim().split('\n')[0]).toMatch(/^\{"id":"p0","text":".*","score":1\.0,"url":"[^"]+","page":\{"status":200,"lang":"ar"\}\}$/);
    expect(parse(t.stdout).map((o) => o.text)).toEqual(want);
    // --keep-html keeps the page where it was.
    const kept = parse(run(['clean', nested, '--quiet', '--html-field', 'page.html', '--keep-html']).stdout);
    expect((kept[3]!.page as { html: string }).html).toBe(pages[3]!.html);
    expect(kept.map((o) => o.text)).toEqual(want);
    // A JSON array: the same records, the same objects.
    const arr = path.join(dir, 'nested.json');
    fs.writeFileSync(arr, `[${pages.map((p, i) => line(p, i)).join(',\n')}]`);
    const a = run(['clean', arr, '--quiet', '--html-field', 'page.html']);
    expect(a.status, a.stderr).toBe(0);
    expect(parse(a.stdout)).toEqual(parse(one.stdout).map((o) => ({ ...o, score: 1 })));
    // The library, on objects (the records given are not changed).
    const recs = pages.map((p, i) => JSON.parse(line(p, i)) as Record<string, unknown>);
    const lib: Out[] = [];
    for await (const o of clean(recs, { htmlField: 'page.html' })) lib.push(o as Out);
    expect(lib).toEqual(parse(a.stdout));
    expect((recs[0]!.page as { html: string }).html).toBe(pages[0]!.html);
  });

  it('--annotate keeps every block and gives the spans removed, in UTF-16 offsets of that text', () => {
    const r = run(['clean', jsonl, '--quiet', '--annotate']);
    const ann = parse(r.stdout);
    const plain = parse(run(['clean', jsonl, '--quiet']).stdout);
    ann.forEach((a, i) => {
      const spans = a.boilerstrip_spans as [number, number, string][];
      let s = '';
      let p = 0;
      for (const [b, e] of spans) {
        s += a.text.slice(p, b);
        p = e;
      }
      s += a.text.slice(p);
      expect(s).toBe(plain[i]!.text);
      expect(spans.some((x) => x[2] === 'structure' || x[2] === 'line')).toBe(true);
    });
  });
});

describe('HTML files and WARC', () => {
  it('a directory of HTML files: one page a document, sited by the canonical link', () => {
    const rep = path.join(dir, 'files.json');
    const r = run(['clean', htmlDir, '--quiet', '--report', rep]);
    expect(r.status, r.stderr).toBe(0);
    const out = parse(r.stdout);
    expect(out[0]!.id).toBe(path.join(htmlDir, '00.html'));
    expect(out.map((o) => o.text)).toEqual(parse(run(['clean', jsonl, '--quiet']).stdout).map((o) => o.text));
    const report = JSON.parse(fs.readFileSync(rep, 'utf8')) as { sites: { site: string; docs: number }[]; docs: { htmlPages: number } };
    expect(report.sites.map((s) => [s.site, s.docs])).toEqual([['example-news.com', 24]]);
    expect(report.docs.htmlPages).toBe(24);
  });

  it('.warc.gz: each HTML response is a document (id, url, date); other records are counted, not output', () => {
    const rep = path.join(dir, 'warc.json');
    const r = run(['clean', warcFile, '--quiet', '--report', rep]);
    expect(r.status, r.stderr).toBe(0);
    const out = parse(r.stdout);
    expect(out).toHaveLength(24);
    expect(out[0]!.id).toMatch(/^<urn:uuid:/);
    expect(out[0]!.url).toBe(pages[0]!.url);
    expect(out[0]!.date).toBe('2024-05-01T10:00:00Z');
    expect(out.map((o) => o.text)).toEqual(parse(run(['clean', jsonl, '--quiet']).stdout).map((o) => o.text));
    const report = JSON.parse(fs.readFileSync(rep, 'utf8')) as { records: { in: number; out: number; balanced: boolean; warcNotDocuments: number } };
    expect(report.records).toMatchObject({ in: 24, out: 24, balanced: true, warcNotDocuments: 26 });
  });

  it('.warc.gz on two threads: the same bytes and the same counts as on one', () => {
    const rep1 = path.join(dir, 'warc1.json');
    const rep2 = path.join(dir, 'warc2.json');
    const one = run(['clean', warcFile, '--quiet', '--threads', '1', '--report', rep1]);
    const two = run(['clean', warcFile, '--quiet', '--threads', '2', '--report', rep2]);
    expect(two.status, two.stderr).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    const records = (f: string): unknown => (JSON.parse(fs.readFileSync(f, 'utf8')) as { records: unknown }).records;
    expect(records(rep2)).toEqual(records(rep1));
  });

  it('WET: conversion records give the text the same documents give as JSONL', () => {
    const texts = pages.map((p) => p.paragraphs.join('\n') + '\nجميع الحقوق محفوظة © 2024\nسياسة الخصوصية');
    const wet = path.join(dir, 'crawl.warc.wet.gz');
    fs.writeFileSync(wet, Buffer.concat(pages.map((p, i) => gzipSync(warc('conversion', texts[i]!, { 'WARC-Target-URI': p.url, 'Content-Type': 'text/plain' })))));
    const asJsonl = path.join(dir, 'wet.jsonl');
    fs.writeFileSync(asJsonl, pages.map((p, i) => JSON.stringify({ url: p.url, text: texts[i] })).join('\n') + '\n');
    const a = parse(run(['clean', wet, '--quiet', '--min-docs', '3']).stdout);
    const b = parse(run(['clean', asJsonl, '--quiet', '--min-docs', '3']).stdout);
    expect(a.map((o) => o.text)).toEqual(b.map((o) => o.text));
    expect(a[0]!.text).not.toContain('جميع الحقوق محفوظة');
  });
});

describe('bad HTML and WARC input', () => {
  const page = (body: string): string => `<!DOCTYPE html><html><head><title>t</title></head><body>${body}</body></html>`;

  it('broken markup, 100,000 nested elements, an empty page and binary bytes: every page out, no error', () => {
    const d = path.join(dir, 'bad');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'a-broken.html'), '<html><body><div><p>Unclosed <b>bold <i>italic</div></span></p><p>Second paragraph text here');
    fs.writeFileSync(path.join(d, 'b-deep.html'), page('<div>'.repeat(100_000) + 'deep text' + '</div>'.repeat(100_000)));
    fs.writeFileSync(path.join(d, 'c-empty.html'), '<!DOCTYPE html><html><head></head><body>  </body></html>');
    fs.writeFileSync(path.join(d, 'd-binary.html'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131) % 256)));
    const rep = path.join(dir, 'bad.json');
    const r = run(['clean', d, '--format', 'html', '--quiet', '--report', rep]);
    expect(r.status, r.stderr).toBe(0);
    const out = parse(r.stdout);
    expect(out).toHaveLength(4);
    expect(out[0]!.text).toContain('Second paragraph text here');
    expect(out[1]!.text).toContain('deep text');
    expect(out[2]!.text).toBe('');
    const report = JSON.parse(fs.readFileSync(rep, 'utf8')) as { records: { balanced: boolean; passedThrough: { empty: number } } };
    expect(report.records.balanced).toBe(true);
    expect(report.records.passedThrough.empty).toBeGreaterThanOrEqual(1);
  });

  it('a page over --max-doc-bytes is an error naming the file, or a counted rejection with --on-error skip', () => {
    const big = path.join(dir, 'big.html');
    fs.writeFileSync(big, page('<p>' + 'كلمة '.repeat(400_000) + '</p>'));
    const r = run(['clean', big, '--quiet', '--max-doc-bytes', '1MB']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${big}:1: HTML file is over --max-doc-bytes`);
    const s = run(['clean', big, '--quiet', '--max-doc-bytes', '1MB', '--on-error', 'skip']);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toBe('');
  });

  it('a WARC record whose Content-Length lies: an error naming file and record; with skip, rejected and counted', () => {
    const recs = pages.slice(0, 3).map((p) => response(p.url, p.html));
    const lie = response(pages[3]!.url, pages[3]!.html);
    const lying = Buffer.from(lie.toString('latin1').replace(/Content-Length: (\d+)/, (_, n: string) => `Content-Length: ${Number(n) + 50}`), 'latin1');
    const f = path.join(dir, 'lying.warc');
    fs.writeFileSync(f, Buffer.concat([recs[0]!, recs[1]!, lying, recs[2]!]));
    const r = run(['clean', f, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: record 3: .*Content-Length`));
    const rep = path.join(dir, 'lying.json');
    const s = run(['clean', f, '--quiet', '--on-error', 'skip', '--report', rep]);
    expect(s.status, s.stderr).toBe(0);
    expect(parse(s.stdout)).toHaveLength(3);
    const report = JSON.parse(fs.readFileSync(rep, 'utf8')) as { records: { in: number; out: number; rejected: number; balanced: boolean; rejectedBy: Record<string, number> } };
    expect(report.records).toMatchObject({ in: 4, out: 3, rejected: 1, balanced: true, rejectedBy: { E_WARC: 1 } });
  });

  it('a truncated .warc.gz and a gzip bomb in a response: errors naming the file', () => {
    const whole = fs.readFileSync(warcFile);
    const cut = path.join(dir, 'cut.warc.gz');
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const r = run(['clean', cut, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${cut}: gzip stream is truncated`);
    const bomb = path.join(dir, 'bomb.warc');
    fs.writeFileSync(bomb, response('https://x.com/', gzipSync(Buffer.alloc(200 * 1024 * 1024, 0x20)), { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' }));
    const b = run(['clean', bomb, '--quiet']);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/bomb\.warc: record 1: .*(inflat|bomb)/);
  });
});
