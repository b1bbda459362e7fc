import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPool } from '../src/sim/articles.js';
import { simRecord, simulate } from '../src/sim/generate.js';
import { htmlRecord, simulateHtml } from '../src/sim/html.js';
import { BIN, ROOT, run, tmpdir } from './helpers/cli.js';

const dir = tmpdir('bs-cli-');
const seedsDir = path.join(ROOT, 'seeds');
const seedFiles = fs.readdirSync(seedsDir).sort();
const seedText = (f: string): string => fs.readFileSync(path.join(seedsDir, f), 'utf8');
let crawl = '';
let shardA = '';
let shardB = '';

beforeAll(() => {
  // A small simulated crawl, bodies from the seeds (no external data), split into two shards by URL.
  const docs = [...simulate(seedPool(seedsDir), { seed: 5, docs: 600 })];
  const lines = docs.map(simRecord);
  crawl = path.join(dir, 'crawl.jsonl');
  fs.writeFileSync(crawl, lines.join('\n') + '\n');
  shardA = path.join(dir, 'a.jsonl');
  shardB = path.join(dir, 'b.jsonl');
  fs.writeFileSync(shardA, lines.filter((_, i) => i % 2 === 0).join('\n') + '\n');
  fs.writeFileSync(shardB, lines.filter((_, i) => i % 2 === 1).join('\n') + '\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('boilerstrip clean on the seeds', () => {
  it('with --min-docs 2 removes the chrome shared by 000 and 002 and keeps every body paragraph', () => {
    const r = run(['clean', 'seeds/', '--min-docs', '2', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const recs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; text: string });
    expect(recs.map((x) => path.basename(x.id))).toEqual(seedFiles);
    for (const rec of recs) {
      const orig = seedText(path.basename(rec.id));
      if (/^00[02]_/.test(path.basename(rec.id))) {
        expect(rec.text).not.toContain('شكرا على الإبلاغ!');
        // (The notice's second line sits above the headline, which a publication stamp follows: the title
        // rescue puts back no line above a kept headline unless other pages carry it as a ticker item.)
        expect(rec.text).not.toContain('سيتم حجب هذه الصورة تلقائيا');
        expect(rec.text).not.toContain('انقر هنا لقراءة الخبر من مصدره.');
      }
      // Body paragraphs: long lines that are not tickers, nor teasers (cut off with "...": 001's list of
      // teasers behind a repeated label goes on its own page).
      const others = seedFiles.filter((f) => f !== path.basename(rec.id)).map(seedText);
      const paras = orig.split('\n').filter((l) => l.length > 60 && !/\u00a0{2}/.test(l) && !l.endsWith('...') && !others.some((o) => o.includes(l)));
      if (/^001_/.test(path.basename(rec.id))) expect(rec.text.split('\n').some((l) => l.endsWith('...'))).toBe(false);
      expect(paras.length).toBeGreaterThan(0);
      for (const p of paras) expect(rec.text, p.slice(0, 40)).toContain(p);
    }
  });

  it('at defaults (a first run: five pages, no site twice) removes what the pages give away themselves', () => {
    const r = run(['clean', 'seeds/', '--annotate', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const recs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; text: string; boilerstrip_spans: [number, number, string][] });
    for (const rec of recs) {
      const name = path.basename(rec.id);
      const orig = seedText(name);
      const lines = orig.split('\n');
      // (With --annotate the text is the original; the spans say what goes.)
      expect(rec.text).toBe(orig);
      let cleaned = '';
      let at = 0;
      for (const [a, b] of rec.boilerstrip_spans) {
        cleaned += orig.slice(at, a);
        at = b;
      }
      cleaned += orig.slice(at);
      const kept = new Set(cleaned.split('\n'));
      // Tickers: ~55 headlines joined by runs of NBSP (000 and 002), gone whole.
      const tickers = lines.filter((l) => (l.match(/\u00a0{2,}|\s{3,}/g) ?? []).length >= 20);
      expect(tickers.length).toBe(/^00[02]_/.test(name) ? 1 : 0);
      for (const t of tickers) expect(kept.has(t)).toBe(false);
      // Publication stamps: "نشر في الأول يوم 30 - 11 - 2024", "منشور الاثنين 2 ديسمبر 2024".
      for (const l of lines.filter((x) => /^(نشر في|منشور) .*\d{4}\s*$/.test(x))) expect(kept.has(l), l).toBe(false);
      // 001's teaser list goes with its label: no line cut off with "..." is left.
      expect(cleaned.split('\n').some((l) => l.endsWith('...'))).toBe(false);
      if (/^00[02]_/.test(name)) {
        expect(cleaned).not.toContain('شكرا على الإبلاغ!');
        expect(cleaned).not.toContain('انقر هنا لقراءة الخبر من مصدره.');
      }
      // Every body paragraph (a long line that is neither a ticker nor a teaser) is kept whole.
      const paras = lines.filter((l) => l.length > 60 && !tickers.includes(l) && !l.endsWith('...') && !/^(شكرا|سيتم حجب|انقر هنا)/.test(l));
      expect(paras.length).toBeGreaterThan(5);
      for (const p of paras) expect(kept.has(p), p.slice(0, 40)).toBe(true);
      for (const [, , why] of rec.boilerstrip_spans) expect(['line', 'page', 'block', 'gap']).toContain(why);
    }
    expect(recs.flatMap((x) => x.boilerstrip_spans).filter(([, , why]) => why === 'page').length).toBe(5);
  });

  it('writes a report whose counts balance', () => {
    const rep = path.join(dir, 'seeds-report.json');
    const r = run(['clean', 'seeds/', '--min-docs', '2', '-o', path.join(dir, 'seeds.jsonl'), '--report', rep, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(rep, 'utf8'));
    expect(report.records).toMatchObject({ in: 5, out: 5, rejected: 0, balanced: true });
    expect(report.removedUnits.map((u: { text: string }) => u.text)).toContain('شكرا على الإبلاغ!');
    // Every removed character is in the tally by reason: the units the counts removed, and what the pages gave away.
    const byReason = report.chars.removedByReason as Record<string, number>;
    expect(Object.values(byReason).reduce((a, b) => a + b, 0)).toBe(report.chars.in - report.chars.out);
    expect(Object.keys(byReason)).toEqual(expect.arrayContaining(['line', 'page']));
  });
});

describe('the command itself', () => {
  it('says what is wrong with an option once and plainly, and sums up dropped records as such', () => {
    const unknown = run(['clean', '--bogus-flag', 'seeds/']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe('boilerstrip: Unknown argument: bogus-flag\n');
    const nan = run(['clean', '--min-docs', 'abc', 'seeds/']);
    expect(nan.status).toBe(2);
    expect(nan.stderr).toBe('boilerstrip: --min-docs must be a whole number from 1 to 1000000000 (got something that is not a number)\n');
    const f = path.join(dir, 'all-chrome.jsonl');
    fs.writeFileSync(f, Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: i, url: 'https://x.example/' + i, text: 'القائمة\nجميع الحقوق محفوظة' })).join('\n') + '\n');
    const dropped = run(['clean', f, '--on-empty', 'drop', '--min-docs', '2']);
    expect(dropped.status, dropped.stderr).toBe(0);
    expect(dropped.stdout).toBe('');
    expect(dropped.stderr).toMatch(/^boilerstrip: 6 records in, 0 out, 6 dropped \(all chrome, --on-empty drop\); 0 changed/);
  });

  it("--version is this package's, also where the process starts in another project", () => {
    const own = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const app = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-app-'));
    try {
      fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'some-app', version: '9.9.9' }));
      for (const cwd of [ROOT, app]) {
        const r = run(['--version'], { cwd });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.trim()).toBe(own);
      }
    } finally {
      fs.rmSync(app, { recursive: true, force: true });
    }
  });
});

describe('same input, same output', () => {
  it('stdin gives what the file gives', () => {
    const a = run(['clean', crawl, '--quiet']);
    const b = run(['clean', '--quiet'], { input: fs.readFileSync(crawl) });
    const c = run(['clean', '-', '--quiet'], { input: fs.readFileSync(crawl) });
    expect(a.status, a.stderr).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(c.stdout).toBe(a.stdout);
    expect(a.stdout).not.toBe(fs.readFileSync(crawl, 'utf8'));
    // clean reads standard input as learn and strip do: JSONL unless its bytes say otherwise. Nothing in is
    // nothing out, and a line that is not JSON is an error, not a text document.
    for (const cmd of ['clean', 'learn']) {
      const empty = run([cmd, '--quiet', ...(cmd === 'learn' ? ['-m', path.join(dir, 'empty-stdin.model')] : [])], { input: '' });
      expect(empty.status, empty.stderr).toBe(0);
      expect(empty.stdout).toBe('');
      const text = run([cmd, '--quiet', ...(cmd === 'learn' ? ['-m', path.join(dir, 'text-stdin.model')] : [])], { input: 'hello\n' });
      expect(text.status).toBe(2);
      expect(text.stderr).toMatch(/^boilerstrip: -:1: invalid JSON/);
    }
    expect(run(['clean', '--quiet', '--format', 'text'], { input: 'hello\n' }).stdout).toBe('{"id":"-","text":"hello\\n"}\n');
  });

  it('gzip gives what plain gives', () => {
    const gz = path.join(dir, 'crawl.jsonl.gz');
    fs.writeFileSync(gz, gzipSync(fs.readFileSync(crawl)));
    const renamed = path.join(dir, 'crawl-no-extension');
    fs.writeFileSync(renamed, gzipSync(fs.readFileSync(crawl)));
    const plain = run(['clean', crawl, '--quiet']).stdout;
    expect(run(['clean', gz, '--quiet']).stdout).toBe(plain);
    expect(run(['clean', renamed, '--quiet']).stdout).toBe(plain);
  });

  it('learn + merge + strip gives byte for byte what clean gives', () => {
    const ma = path.join(dir, 'a.model');
    const mb = path.join(dir, 'b.model');
    const all = path.join(dir, 'all.model');
    expect(run(['learn', shardA, '-m', ma, '--quiet']).status).toBe(0);
    expect(run(['learn', shardB, '-m', mb, '--quiet']).status).toBe(0);
    const merged = run(['merge', mb, ma, '-o', all, '--quiet']);
    expect(merged.status).toBe(0);
    expect(merged.stderr).toBe('');
    // Merges that are likely not what was meant say so, and still write the sum.
    const twice = run(['merge', ma, ma, '-o', path.join(dir, 'aa.model'), '--quiet']);
    expect(twice.status).toBe(0);
    expect(twice.stderr).toBe(`boilerstrip: warning: ${ma} is given twice: its counts are added twice (as if its shard were in the input twice)\n`);
    const pruned = path.join(dir, 'a-pruned.model');
    expect(run(['merge', ma, '-o', pruned, '--prune-below', '2', '--quiet']).stderr).toBe('');
    expect(run(['merge', pruned, mb, '-o', path.join(dir, 'ab-pruned.model'), '--quiet']).stderr).toMatch(/^boilerstrip: warning: a model given was pruned below 2 .*strip with it can differ from clean/);
    const stripped = run(['strip', '-m', all, shardA, shardB, '--quiet']);
    expect(stripped.status, stripped.stderr).toBe(0);
    const cleaned = run(['clean', shardA, shardB, '--quiet']);
    expect(stripped.stdout).toBe(cleaned.stdout);
    // strip streams stdin to stdout too.
    const viaStdin = run(['strip', '-m', all, '--quiet'], { input: fs.readFileSync(shardA) });
    const shardALines = fs.readFileSync(shardA, 'utf8').trim().split('\n').length;
    expect(viaStdin.stdout).toBe(cleaned.stdout.split('\n').slice(0, shardALines).join('\n') + '\n');
  });

  it('the output is byte-identical for every thread count, with chunks cut all through the crawl', () => {
    // 64 KB chunks: ~20 chunks, duplicates that different threads each saw first, errors none.
    const env = { BOILERSTRIP_CHUNK_BYTES: String(64 * 1024) };
    const one = run(['clean', crawl, shardA, '--quiet', '--threads', '1'], { env });
    expect(one.status, one.stderr).toBe(0);
    for (const t of ['2', '3', '5']) {
      const r = run(['clean', crawl, shardA, '--quiet', '--threads', t], { env });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout, `--threads ${t}`).toBe(one.stdout);
    }
    // learn with threads writes a model that strips the same.
    const m = path.join(dir, 'threads.model');
    expect(run(['learn', crawl, shardA, '-m', m, '--quiet', '--threads', '3'], { env }).status).toBe(0);
    expect(run(['strip', '-m', m, crawl, shardA, '--quiet', '--threads', '2'], { env }).stdout).toBe(one.stdout);
    // gzip inputs are cut into the same chunks as they are decompressed; stdin too, in pass 2.
    const gz = path.join(dir, 'crawl-threads.jsonl.gz');
    fs.writeFileSync(gz, gzipSync(fs.readFileSync(crawl)));
    const viaGz = run(['clean', gz, shardA, '--quiet', '--threads', '3'], { env });
    expect(viaGz.status, viaGz.stderr).toBe(0);
    expect(viaGz.stdout).toBe(one.stdout);
    const viaStdin = run(['strip', '-m', m, '-', '--quiet', '--threads', '2'], { env, input: fs.readFileSync(crawl) });
    const crawlLines = fs.readFileSync(crawl, 'utf8').trim().split('\n').length;
    expect(viaStdin.stdout).toBe(one.stdout.split('\n').slice(0, crawlLines).join('\n') + '\n');
  });

  it('the analysis cache changes nothing, for any mix of inputs and threads, and leaves nothing behind', () => {
    const env = { BOILERSTRIP_CHUNK_BYTES: String(64 * 1024) };
    // A JSON array (read on the main thread), gzip (cut into chunks as it is decompressed), bad records
    // and records without text (skipped and passed through in both passes alike).
    const arr = path.join(dir, 'cache-b.json');
    fs.writeFileSync(arr, `[${fs.readFileSync(shardB, 'utf8').trim().split('\n').join(',\n')}]`);
    const gz = path.join(dir, 'cache-a.jsonl.gz');
    fs.writeFileSync(gz, gzipSync(fs.readFileSync(shardA)));
    const odd = path.join(dir, 'cache-odd.jsonl');
    fs.writeFileSync(odd, ['{"text": oops}', '{"id":1}', '{"text":null}', '{"text":""}', ...fs.readFileSync(shardA, 'utf8').trim().split('\n').slice(0, 40), '[2]'].join('\n') + '\n');
    const tmp = path.join(dir, 'cache-tmp');
    fs.mkdirSync(tmp);
    const inputs = [crawl, arr, gz, odd, '--on-error', 'skip', '--quiet', '--tmp-dir', tmp];
    const rep = path.join(dir, 'cache-report.json');
    const base = run(['clean', ...inputs, '--threads', '1', '--no-cache-analysis'], { env });
    expect(base.status, base.stderr).toBe(0);
    for (const t of ['1', '3']) {
      const r = run(['clean', ...inputs, '--threads', t, '--report', rep], { env });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout, `--threads ${t}`).toBe(base.stdout);
      expect(JSON.parse(fs.readFileSync(rep, 'utf8')).throughput.analysisCached).toBe(true);
      expect(fs.readdirSync(tmp)).toEqual([]);
    }
    // stdin is spooled and cached like a file.
    const viaStdin = run(['clean', '-', '--quiet', '--threads', '2', '--tmp-dir', tmp], { env, input: fs.readFileSync(crawl) });
    expect(viaStdin.stdout).toBe(run(['clean', crawl, '--quiet', '--no-cache-analysis'], { env }).stdout);
    // HTML pages: pass 2 takes their blocks from the cache (JSONL with an html field, HTML files, a page with
    // no blocks, one placed by its canonical link, one of another charset).
    const html = path.join(dir, 'cache-html.jsonl');
    const sim = [...simulateHtml(seedPool(path.join(ROOT, 'seeds')), { seed: 8, docs: 120 })];
    fs.writeFileSync(html, [...sim.map(htmlRecord), JSON.stringify({ id: 'empty', url: 'https://e.example/1', html: '<p> </p>' })].join('\n') + '\n');
    const pagesDir = path.join(dir, 'cache-pages');
    fs.mkdirSync(pagesDir);
    sim.slice(0, 12).forEach((p, i) => fs.writeFileSync(path.join(pagesDir, `p${i}.html`), p.html.replace('<head>', `<head><link rel="canonical" href="https://files.example/p${i}">`)));
    fs.writeFileSync(path.join(pagesDir, 'latin.html'), Buffer.from('<html><head><meta charset="iso-8859-1"><title>caf\xe9</title></head><body><p>d\xe9j\xe0 vu</p></body></html>', 'latin1'));
    const htmlInputs = [html, pagesDir, '--quiet', '--tmp-dir', tmp];
    const htmlBase = run(['clean', ...htmlInputs, '--threads', '1', '--no-cache-analysis'], { env });
    expect(htmlBase.status, htmlBase.stderr).toBe(0);
    expect(htmlBase.stdout.split('\n').length).toBe(sim.length + 1 + 13 + 1);
    for (const t of ['1', '2']) {
      const r = run(['clean', ...htmlInputs, '--threads', t, '--report', rep], { env });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout, `HTML, --threads ${t}`).toBe(htmlBase.stdout);
      expect(JSON.parse(fs.readFileSync(rep, 'utf8')).throughput.analysisCached).toBe(true);
      expect(fs.readdirSync(tmp)).toEqual([]);
    }
    // A failing run removes its cache too.
    const bad = path.join(dir, 'cache-bad.jsonl');
    fs.writeFileSync(bad, fs.readFileSync(crawl, 'utf8') + '{"text": oops}\n');
    expect(run(['clean', bad, '--quiet', '--threads', '2', '--tmp-dir', tmp], { env }).status).toBe(2);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('records read in place (no JSON.parse) change nothing: output, report, annotations, attributes, rejects', () => {
    const env = { BOILERSTRIP_CHUNK_BYTES: String(64 * 1024) };
    const odd = path.join(dir, 'inplace-odd.jsonl');
    const lines = fs.readFileSync(shardA, 'utf8').trim().split('\n');
    const head = lines.slice(0, 60).map((l, i) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      // Records the reader leaves to JSON.parse, among those it takes.
      if (i % 9 === 1) return `{"t\\u0065xt":${JSON.stringify(r.text)},"url":${JSON.stringify(r.url)}}`;
      if (i % 9 === 2) return `{"text":${JSON.stringify(r.text)},"url":${JSON.stringify(r.url)},"html":"<p>x</p>"}`;
      if (i % 9 === 3) return `{"text":"","url":${JSON.stringify(r.url)}}`;
      if (i % 9 === 4) return `{"text":${JSON.stringify(r.text)},"url":${JSON.stringify(r.url)},"text":"the last text wins"}`;
      if (i % 9 === 5) return `{"id":${i},"text":${JSON.stringify(r.text).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)},"url":"https:\\/\\/x.example\\/${i}"}\r`;
      return l;
    });
    fs.writeFileSync(odd, [...head, '{"text": oops}', '[1]', ...lines.slice(60)].join('\n') + '\n');
    const outs = ['1', '0'].map((parseAll) => {
      // (The same paths for both: the report names them.)
      const rep = path.join(dir, 'inplace-report.json');
      const attrs = path.join(dir, 'inplace-attrs');
      const rejects = path.join(dir, 'inplace-rejects.jsonl');
      fs.rmSync(attrs, { recursive: true, force: true });
      const e = parseAll === '1' ? { ...env, BOILERSTRIP_PARSE_ALL: '1' } : env;
      const r = run(['clean', crawl, odd, '--quiet', '--threads', '2', '--on-error', 'skip', '--rejects', rejects, '--report', rep, '--attributes', attrs], { env: e });
      expect(r.status, r.stderr).toBe(0);
      const a = run(['clean', odd, '--quiet', '--on-error', 'skip', '--annotate'], { env: e });
      expect(a.status, a.stderr).toBe(0);
      const j = JSON.parse(fs.readFileSync(rep, 'utf8'));
      delete j.throughput;
      delete j.generatedAt;
      const attrFiles = fs.readdirSync(attrs).sort().map((f) => fs.readFileSync(path.join(attrs, f), 'utf8'));
      return { out: r.stdout, annotated: a.stdout, report: JSON.stringify(j), attrs: attrFiles, rejects: fs.readFileSync(rejects, 'utf8') };
    });
    expect(outs[1]!.out).toBe(outs[0]!.out);
    expect(outs[1]!.annotated).toBe(outs[0]!.annotated);
    expect(outs[1]!.report).toBe(outs[0]!.report);
    expect(outs[1]!.attrs).toEqual(outs[0]!.attrs);
    expect(outs[1]!.rejects).toBe(outs[0]!.rejects);
    expect(outs[0]!.rejects.split('\n').length).toBe(3);
  });

  it('the report is the same for every thread count (removed units sent once per thread, counted per chunk)', () => {
    const env = { BOILERSTRIP_CHUNK_BYTES: String(64 * 1024) };
    const reports = ['1', '3'].map((t) => {
      const rep = path.join(dir, `report-t${t}.json`);
      const r = run(['clean', crawl, shardA, '--quiet', '--threads', t, '--report', rep], { env });
      expect(r.status, r.stderr).toBe(0);
      const j = JSON.parse(fs.readFileSync(rep, 'utf8'));
      expect(j.removedUnits.length).toBeGreaterThan(100);
      delete j.throughput;
      delete j.options;
      delete j.model.tableBytes; // (sized by how the threads' tables were merged)
      return j;
    });
    expect(reports[1]).toEqual(reports[0]);
  });

  it('shard order does not change any record', () => {
    const ab = run(['clean', shardA, shardB, '--quiet']).stdout.trim().split('\n');
    const ba = run(['clean', shardB, shardA, '--quiet']).stdout.trim().split('\n');
    expect([...ba].sort()).toEqual([...ab].sort());
  });

  it('a bad line in a chunk handled by a thread is reported with its source line', () => {
    const bad = path.join(dir, 'threads-bad.jsonl');
    const lines = fs.readFileSync(crawl, 'utf8').trim().split('\n');
    lines.splice(450, 0, '{"text": broken');
    fs.writeFileSync(bad, lines.join('\n') + '\n');
    const r = run(['clean', bad, '--quiet', '--threads', '2'], { env: { BOILERSTRIP_CHUNK_BYTES: String(64 * 1024) } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}:451: invalid JSON`);
  });

  it('--annotate keeps the text and gives spans that rebuild the cleaned text', () => {
    const plain = run(['clean', crawl, '--quiet']).stdout.trim().split('\n');
    const ann = run(['clean', crawl, '--annotate', '--quiet']).stdout.trim().split('\n');
    const orig = fs.readFileSync(crawl, 'utf8').trim().split('\n');
    expect(ann).toHaveLength(orig.length);
    for (let i = 0; i < orig.length; i++) {
      const o = JSON.parse(orig[i]!);
      const a = JSON.parse(ann[i]!);
      expect(a.text).toBe(o.text);
      let rebuilt = '';
      let pos = 0;
      for (const [s, e] of a.boilerstrip_spans as [number, number, string][]) {
        rebuilt += o.text.slice(pos, s);
        pos = e;
      }
      rebuilt += o.text.slice(pos);
      expect(rebuilt).toBe(JSON.parse(plain[i]!).text);
    }
  });
});

describe('failures', () => {
  it('a malformed line stops the run with FILE:LINE and exit 2, and leaves no output file', () => {
    const bad = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(bad, '{"text":"a"}\n{"text":"b"}\n{"text": oops}\n{"text":"d"}\n');
    const out = path.join(dir, 'bad-out.jsonl');
    const r = run(['clean', bad, '-o', out, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^boilerstrip: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: invalid JSON`));
    expect(r.stderr).not.toMatch(/at .*\.js/);
    expect(fs.existsSync(out)).toBe(false);
    expect(fs.readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('--on-error skip counts and writes rejects, and records balance', () => {
    const bad = path.join(dir, 'bad2.jsonl');
    fs.writeFileSync(bad, '{"text":"a"}\n[1]\n{"text": oops}\n{"id":4}\n{"text":null}\n{"text":""}\n{"text":7}\n');
    const rej = path.join(dir, 'rejects.jsonl');
    const rep = path.join(dir, 'bad2-report.json');
    const r = run(['clean', bad, '--on-error', 'skip', '--rejects', rej, '--report', rep, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(rej, 'utf8')).toBe('[1]\n{"text": oops}\n');
    const report = JSON.parse(fs.readFileSync(rep, 'utf8'));
    expect(report.records).toMatchObject({ in: 7, out: 5, rejected: 2, balanced: true, passedThrough: { missing: 1, null: 1, empty: 1, 'not-string': 1 } });
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(['{"text":"a"}', '{"id":4}', '{"text":null}', '{"text":""}', '{"text":7}']);
  });

  it('a closed pipe ends quietly with status 0', () => {
    const big = path.join(dir, 'big.jsonl');
    fs.writeFileSync(big, fs.readFileSync(crawl, 'utf8').repeat(20));
    const r = spawnSync('bash', ['-c', `set -o pipefail; node ${BIN} clean ${big} | head -1 > /dev/null`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('rejects bad options before reading anything', () => {
    for (const args of [
      ['clean', crawl, '--min-ratio', '2'],
      ['clean', crawl, '--min-docs', '0'],
      ['clean', crawl, '--rejects', 'x.jsonl'],
      ['clean', crawl, '--max-memory', 'lots'],
      ['clean', crawl, '--on-empty', 'explode'],
      ['clean', crawl, '--no-such-option'],
    ]) {
      const r = run([...args, '--quiet']);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^boilerstrip: /);
    }
  });

  it('refuses, before reading, an option given twice and files it writes that collide, replace an input or cannot be written', () => {
    const w = path.join(dir, 'collide');
    fs.mkdirSync(w, { recursive: true });
    const input = path.join(w, 'in.jsonl');
    fs.copyFileSync(crawl, input);
    const before = fs.readFileSync(input, 'utf8');
    const out = path.join(w, 'out.jsonl');
    const model = path.join(w, 'm.model');
    expect(run(['learn', input, '-m', model, '--quiet']).status).toBe(0);
    const attr = path.join(w, 'attr');
    fs.mkdirSync(attr, { recursive: true });
    for (const [args, msg] of [
      [['clean', input, '-o', out, '-o', path.join(w, 'b.jsonl')], '--output is given more than once ("' + out + '", "' + path.join(w, 'b.jsonl') + '"): give it once'],
      [['clean', input, '--text-field', 'text', '--text-field', 'body'], '--text-field is given more than once'],
      [['clean', input, '--report', path.join(w, 'r1.json'), '--report', path.join(w, 'r2.json')], '--report is given more than once'],
      [['clean', input, '--on-error', 'skip', '--rejects', input, '-o', out], `--rejects ${input} is an input of this run: writing it would replace the input`],
      [['clean', input, '--on-error', 'skip', '--rejects', out, '-o', out], `--output and --rejects name the same file (${out})`],
      [['clean', input, '-o', out, '--report', input], `--report ${input} is an input of this run`],
      [['clean', input, '-o', out, '--report-html', input], `--report-html ${input} is an input of this run`],
      [['learn', input, '-m', input], `--model ${input} is an input of this run`],
      [['strip', '-m', model, input, '-o', out, '--report', model], `--report ${model} is an input of this run`],
      [['clean', input, '-o', out, '--attributes', attr, '--report', attr], `--report ${attr} is in the --attributes directory`],
      [['clean', input, '-o', out, '--report', w], `--report ${w} is a directory`],
      [['clean', input, '-o', out, '--report', '/proc/forbidden/r.json'], '/proc/forbidden/r.json: cannot write report: ENOENT'],
      [['clean', input, '-o', out, '--on-error', 'skip', '--rejects', '/proc/forbidden/x'], '/proc/forbidden/x: cannot write rejects: ENOENT'],
    ] as [string[], string][]) {
      const r = run([...args, '--quiet']);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(`boilerstrip: ${msg}`);
      // Nothing was written: not the output, not over the input, no temporary file left.
      expect(fs.existsSync(out), args.join(' ')).toBe(false);
      expect(fs.readFileSync(input, 'utf8')).toBe(before);
      expect(fs.readdirSync(w).sort(), args.join(' ')).toEqual(['attr', 'in.jsonl', 'm.model']);
    }
    // Devices and pipes are written in place: several outputs may share one.
    for (const args of [
      ['clean', input, '--on-error', 'skip', '--rejects', '/dev/null', '--report', '/dev/null', '-o', '/dev/null'],
      ['clean', input, '-o', '/dev/null', '--report', '/dev/null', '--report-html', '/dev/null'],
    ]) {
      const r = run([...args, '--quiet']);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    // -o may name the input: it is written whole once the input is read.
    const inPlace = run(['clean', input, '-o', input, '--quiet']);
    expect(inPlace.status, inPlace.stderr).toBe(0);
    expect(fs.readFileSync(input, 'utf8')).toBe(run(['clean', crawl, '--quiet']).stdout);
  });

  it('-o, -m and --report onto a named pipe write into it and leave it a pipe (a rename would put a file in its place, as it did on /dev/null); onto a link, the link stays', async () => {
    const fifo = path.join(dir, 'out.fifo');
    const got = path.join(dir, 'from-fifo.jsonl');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const { spawn } = await import('node:child_process');
    for (const args of [['clean', 'seeds/', '-o', fifo], ['learn', 'seeds/', '-m', fifo], ['clean', 'seeds/', '-o', '/dev/null', '--report', fifo]]) {
      const reader = spawn('sh', ['-c', `cat "${fifo}" > "${got}"`]);
      const done = new Promise((r) => reader.on('exit', r));
      const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const c = spawn(process.execPath, [BIN, ...args, '--quiet'], { cwd: ROOT });
        let stderr = '';
        c.stderr.on('data', (b) => (stderr += b));
        c.on('exit', (status) => resolve({ status, stderr }));
      });
      await done;
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(fs.statSync(fifo).isFIFO()).toBe(true);
      expect(fs.statSync(got).size).toBeGreaterThan(100);
    }
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.partial') || n.endsWith('.tmp'))).toEqual([]);
    // A link to a file: the file it points to gets the output, the link stays a link.
    const target = path.join(dir, 'target.jsonl');
    const link = path.join(dir, 'link.jsonl');
    fs.writeFileSync(target, 'old\n');
    fs.symlinkSync(target, link);
    const l = run(['clean', 'seeds/', '-o', link, '--quiet']);
    expect(l.status, l.stderr).toBe(0);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(target, 'utf8').split('\n').filter(Boolean).length).toBe(seedFiles.length);
  });

  it('-o, --report, --report-html, --rejects, learn -m and --attributes onto a dangling link write through it and create its target, as `>` does; the link stays', () => {
    const d = fs.mkdtempSync(path.join(dir, 'dangling-'));
    const at = (n: string): string => path.join(d, n);
    const dangle = (n: string, target: string): string => (fs.symlinkSync(target, at(n)), at(n));
    const bad = at('bad.jsonl');
    fs.writeFileSync(bad, fs.readFileSync(crawl, 'utf8') + '{not json\n');
    // Relative targets (resolved from the link's folder), one in a folder reached through a link itself.
    fs.mkdirSync(at('real-sub'));
    fs.symlinkSync('real-sub', at('sub'));
    const outs = {
      '-o': dangle('out.jsonl', 'out-target.jsonl'),
      '--report': dangle('r.json', 'sub/r-target.json'),
      '--report-html': dangle('r.html', at('r-target.html')),
      '--rejects': dangle('rejects.jsonl', 'rejects-target.jsonl'),
      '--attributes': dangle('attrs', 'attrs-target'),
    };
    const c = run(['clean', bad, '--quiet', '--on-error', 'skip', ...Object.entries(outs).flat()]);
    expect(c.status, c.stderr).toBe(0);
    for (const link of Object.values(outs)) expect(fs.lstatSync(link).isSymbolicLink(), link).toBe(true);
    expect(fs.readFileSync(at('out-target.jsonl'), 'utf8')).toBe(run(['clean', bad, '--quiet', '--on-error', 'skip']).stdout);
    expect(JSON.parse(fs.readFileSync(at('real-sub/r-target.json'), 'utf8')).records.rejected).toBe(1);
    expect(fs.readFileSync(at('r-target.html'), 'utf8')).toMatch(/^<!doctype html>/i);
    expect(fs.readFileSync(at('rejects-target.jsonl'), 'utf8')).toBe('{not json\n');
    expect(fs.readdirSync(at('attrs-target'))).toEqual(['bad.jsonl']);
    const m = run(['learn', crawl, '--quiet', '-m', dangle('m.model', 'm-target.model')]);
    expect(m.status, m.stderr).toBe(0);
    expect(fs.lstatSync(at('m.model')).isSymbolicLink()).toBe(true);
    const s = run(['strip', '-m', at('m-target.model'), crawl, '--quiet']);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toBe(run(['clean', crawl, '--quiet']).stdout);
    expect(fs.readdirSync(d).filter((n) => n.endsWith('.partial'))).toEqual([]);
    // A link whose target's folder is missing fails as `>` would; a loop of links fails; neither link is replaced.
    const noDir = dangle('nodir.jsonl', 'missing/x.jsonl');
    const nd = run(['clean', crawl, '--quiet', '-o', noDir]);
    expect(nd.status).toBe(2);
    expect(nd.stderr).toBe(`boilerstrip: ${noDir}: cannot write output: ENOENT: no such file or directory\n`);
    dangle('loop1', 'loop2');
    const loop = dangle('loop2', 'loop1');
    const lp = run(['clean', crawl, '--quiet', '-o', '/dev/null', '--report', loop]);
    expect(lp.status).toBe(2);
    expect(lp.stderr).toMatch(/loop2: cannot write report: ELOOP/);
    for (const link of [noDir, loop]) expect(fs.lstatSync(link).isSymbolicLink(), link).toBe(true);
    // The collision checks see through links, dangling or not: an output and the file its link would create,
    // a report onto an input through a link, a report in the --attributes folder through its link.
    const two = run(['clean', crawl, '--quiet', '-o', dangle('o2.jsonl', 'o2-target.jsonl'), '--report', at('o2-target.jsonl')]);
    expect(two.status).toBe(2);
    expect(two.stderr).toMatch(/--output and --report name the same file/);
    const toInput = run(['clean', crawl, '--quiet', '-o', '/dev/null', '--report', dangle('in.jsonl', crawl)]);
    expect(toInput.status).toBe(2);
    expect(toInput.stderr).toMatch(/--report .*in\.jsonl is an input of this run/);
    const inAttrs = run(['clean', crawl, '--quiet', '-o', '/dev/null', '--attributes', dangle('a2', 'a2-target'), '--report', at('a2-target/r.json')]);
    expect(inAttrs.status).toBe(2);
    expect(inAttrs.stderr).toMatch(/--report .* is in the --attributes directory/);
    expect(fs.existsSync(at('o2-target.jsonl')) || fs.existsSync(at('a2-target'))).toBe(false);
  });

  it('names a missing input, an unwritable output and a bad model', () => {
    expect(run(['clean', 'no/such/file.jsonl']).stderr).toMatch(/no\/such\/file\.jsonl: no such file/);
    const r = run(['clean', crawl, '-o', '/proc/forbidden/out.jsonl']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('boilerstrip: /proc/forbidden/out.jsonl: cannot write output: ENOENT: no such file or directory\n');
    // The model and the report name their path once, and say what could not be written.
    const m = run(['learn', 'seeds/', '-m', '/proc/forbidden/x.model', '--quiet']);
    expect(m.status).toBe(2);
    expect(m.stderr).toMatch(/^boilerstrip: \/proc\/forbidden\/x\.model: cannot write model: ENOENT/);
    expect(m.stderr.match(/cannot write/g)).toHaveLength(1);
    const rep = run(['clean', 'seeds/', '--report', '/proc/forbidden/r.json', '--quiet']);
    expect(rep.status).toBe(2);
    expect(rep.stderr).toMatch(/^boilerstrip: \/proc\/forbidden\/r\.json: cannot write report: ENOENT/);
    expect(rep.stderr.match(/cannot write/g)).toHaveLength(1);
    const fake = path.join(dir, 'fake.model');
    fs.writeFileSync(fake, 'not a model at all, just text');
    expect(run(['strip', '-m', fake, crawl]).stderr).toMatch(/fake\.model: not a boilerstrip model/);
  });
});

describe('bench', () => {
  it('times clean beside the mawk baseline on a generated crawl', () => {
    const r = run(['bench', '--size', '1MB', '--threads', '1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/boilerstrip clean \(--threads 1\)\s+[\d.]+\s+[\d.]+/);
  });
});

describe('the bench scripts', () => {
  it('print their usage on --help and stop on an option they do not take, before running anything', () => {
    for (const script of ['run', 'quality', 'dask', 'html-sim', 'train-html', 'html-quality']) {
      const js = path.join(ROOT, 'dist/bench', `${script}.js`);
      const help = spawnSync(process.execPath, [js, '--help'], { encoding: 'utf8', timeout: 20_000 });
      expect(help.status, script).toBe(0);
      expect(help.stdout, script).toMatch(/^usage: /);
      const typo = spawnSync(process.execPath, [js, '--dcos', '5'], { encoding: 'utf8', timeout: 20_000 });
      expect(typo.status, script).toBe(2);
      expect(typo.stderr, script).toMatch(/^--dcos: not an option of this bench \(it takes /);
    }
  });
});

describe('inspect', () => {
  it('lists what the model calls chrome', () => {
    const m = path.join(dir, 'seeds.model');
    expect(run(['learn', 'seeds/', '-m', m, '--quiet']).status).toBe(0);
    const r = run(['inspect', m, '--min-docs', '2']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('شكرا على الإبلاغ!');
    const j = JSON.parse(run(['inspect', m, '--min-docs', '2', '--json']).stdout);
    expect(j.docs).toBe(5);
  });

  it('--site takes a site as named, or as a URL names it; a site the model lacks is an error', () => {
    const m = path.join(dir, 'crawl-inspect.model');
    expect(run(['learn', crawl, '-m', m, '--quiet']).status).toBe(0);
    const site = (JSON.parse(run(['inspect', m, '--json']).stdout) as { chrome: { site: string }[] }).chrome.find((u) => u.site !== '(all sites)')!.site;
    const named = run(['inspect', m, '--site', site, '--json']);
    expect(named.status, named.stderr).toBe(0);
    const units = (JSON.parse(named.stdout) as { chrome: { site: string }[] }).chrome;
    expect(units.length).toBeGreaterThan(0);
    expect(units.every((u) => u.site === site)).toBe(true);
    expect(JSON.parse(run(['inspect', m, '--site', `https://WWW.${site}/a/b`, '--json']).stdout).chrome).toEqual(units);
    const none = run(['inspect', m, '--site', 'no-such-site.example']);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^boilerstrip: --site no-such-site\.example: no such site in the model; its largest of \d+: /);
    // A name that is no host is not the records without a site (the seeds have no URLs: their site is '').
    const seeds = path.join(dir, 'seeds-inspect.model');
    expect(run(['learn', 'seeds/', '-m', seeds, '--quiet']).status).toBe(0);
    const junk = run(['inspect', seeds, '--site', '</svg><img src=x>']);
    expect(junk.status, junk.stdout).toBe(2);
    expect(junk.stderr).toContain('no such site in the model');
    expect(run(['inspect', seeds, '--site', '']).status).toBe(0);
  });
});
