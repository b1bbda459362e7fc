import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esc, reportHtml } from '../src/report/html.js';
import { finalSamples, keepSamples, mergeSamples, offerSample, sampleRanges, SAMPLE_CHARS, SAMPLE_DOCS, SAMPLE_PER_SITE, type SampleDoc } from '../src/report/samples.js';
import { seedPool } from '../src/sim/articles.js';
import { simRecord, simulate } from '../src/sim/generate.js';
import type { RunReport } from '../src/stats.js';
import type { Span, StripResult } from '../src/strip.js';
import { checkPage, findChromium } from './helpers/browser.js';
import { ROOT, run, tmpdir } from './helpers/cli.js';
import { rng } from './helpers/rng.js';

const dir = tmpdir('bs-report-html-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const EVIL = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

/** A small report by hand: two sites, units, one sample whose text is hostile HTML and Arabic. */
function smallReport(): RunReport {
  const text = `مرحبا بكم في الموقع\n${EVIL}\nشكرا على الإبلاغ!\nThe article body stays.`;
  const a = text.indexOf(EVIL);
  const b = text.indexOf('شكرا');
  return {
    records: { in: 12, out: 12, rejected: 0, dropped: 0, balanced: true, rejectedBy: {}, passedThrough: { missing: 0, null: 0, 'not-string': 0, empty: 0 }, invalidUtf8Lines: 0 },
    docs: { cleaned: 12, changed: 7, emptied: 1, judgedByCorpusCounts: 0, withCopies: 0 },
    chars: { in: 10_000, out: 7_000, removedShare: 0.3, removedByReason: { line: 2_500, page: 500 } },
    throughput: { bytesIn: 20_000, learnSeconds: 0.1, stripSeconds: 0.05, mbPerSecond: 0.133, analysisCached: true, analysisCacheOff: null },
    model: { docs: 12, sites: 2, units: 300, tableBytes: 1 << 20, pruning: { events: 0, units: 0, maxUndercount: 0 } },
    sites: [
      { site: 'a.example', docs: 8, changed: 5, emptied: 1, charsIn: 6000, charsOut: 3600, fallback: true, threshold: 4 },
      { site: '<b>evil.example</b>', docs: 4, changed: 2, emptied: 0, charsIn: 4000, charsOut: 3400, fallback: true, threshold: 2 },
    ],
    sitesOmitted: 0,
    removedUnits: [
      { site: 'a.example', reason: 'line', df: 8, docs: 8, text: 'شكرا على الإبلاغ!' },
      { site: '<b>evil.example</b>', reason: 'prefix', df: 3, docs: 3, text: EVIL },
    ],
    removedUnitsUntracked: 0,
    samples: [{ site: 'a.example', id: '<i>doc-1</i>', url: null, chars: text.length, removedChars: EVIL.length + 18, emptied: false, parts: [[0, text]], spans: [[a, a + EVIL.length + 1, 'line'], [b, b + 18, 'line']] }],
    rejects: [{ file: 'x.jsonl', line: 3, code: 'E_JSON', message: 'invalid JSON: <oops>' }],
    options: { minDocs: 2, minRatio: 0.02, minSiteDocs: 20, templateRatio: 0.05, templateMinDocs: 10, chainRatio: 0.1, maxMemory: 512e6, onEmpty: 'keep', templates: true, fallback: true, dedup: true },
  };
}

describe('the HTML report builder', () => {
  const html = reportHtml(smallReport());

  it('escapes every text from the documents: no tag of theirs gets into the page', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('<b>evil');
    expect(html).not.toContain('<i>doc-1');
    expect(html).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt;');
    expect(html).toContain('&lt;b&gt;evil.example&lt;/b&gt;');
    expect(html).toContain('invalid JSON: &lt;oops&gt;');
    // The removed span is marked, and the cleaned side leaves it out.
    const [before, after] = html.split('<h4>After</h4>');
    expect(before).toContain('<mark class="rm"');
    expect(after!.split('</details>')[0]).not.toContain('__pwned');
  });

  it('draws the chart in SVG, one bar and one table row per site, and loads nothing from elsewhere', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg class="chart" id="site-chart"');
    expect(html).toContain('<svg class="chart" id="reasons-chart"');
    expect(html).toContain('line 2,500 (83.3%)');
    // Every reason at once: the legend wraps into rows inside the chart's width.
    const all = reportHtml({ ...smallReport(), chars: { in: 10_000_000, out: 1, removedShare: 1, removedByReason: Object.fromEntries(['line', 'segment', 'chain', 'prefix', 'suffix', 'shape', 'teaser', 'block', 'page', 'gap', 'structure'].map((k, i) => [k, 1_000_000 + i * 37_111])) } });
    const svg = all.slice(all.indexOf('id="reasons-chart"'), all.indexOf('</svg>', all.indexOf('id="reasons-chart"')));
    const labels = [...svg.matchAll(/<text x="(\d+)" y="(\d+)" class="label">([^<]*)</g)];
    expect(labels).toHaveLength(11);
    for (const [, x, , text] of labels) expect(Number(x) + text!.length * 7).toBeLessThanOrEqual(1100);
    expect(new Set(labels.map((l) => l[2])).size).toBeGreaterThan(1);
    // A report of a build before the tally by reason has no such panel, and still draws.
    const old = reportHtml({ ...smallReport(), chars: { in: 10_000, out: 7_000, removedShare: 0.3 } });
    expect(old).not.toContain('reasons-chart');
    expect(old).toContain('id="site-chart"');
    expect(html.match(/class="bar( fallback)?"/g)).toHaveLength(2);
    const table = html.slice(html.indexOf('<table id="sites-table">'), html.indexOf('</table>', html.indexOf('<table id="sites-table">')));
    expect(table.match(/<tr>/g)).toHaveLength(3); // header + 2 sites
    expect(table).toContain('a.example');
    expect(html).toContain("Content-Security-Policy");
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toContain('@import');
    expect(html).not.toMatch(/url\(/);
    // Lines of sample text take their own direction (Arabic right to left).
    expect(html).toContain('<div class="ln" dir="auto">مرحبا بكم في الموقع</div>');
  });

  it('shows thresholds, pruning and throughput', () => {
    expect(html).toContain('--min-docs');
    expect(html).toContain('Model and pruning');
    expect(html).toContain('MB/s');
    const pruned = reportHtml({ ...smallReport(), model: { docs: 12, sites: 2, units: 300, tableBytes: 1 << 20, pruning: { events: 2, units: 77, maxUndercount: 2 } } });
    expect(pruned).toContain('<strong class="warn">2 times</strong>');
    expect(html).toContain('the table held every unit');
    const spilled = reportHtml({ ...smallReport(), model: { docs: 12, sites: 2, units: 300, tableBytes: 1 << 20, pruning: { events: 0, units: 0, maxUndercount: 0 }, spill: { runs: 3, spilled: 4567, singles: 4000 } } });
    expect(spilled).toContain('4,567 units in 3 runs');
    expect(spilled).toContain('every count exact (4,567 units spilled to disk)');
    expect(spilled).toContain('4,000 units of one document dropped');
  });

  it('draws a report without samples (written before they existed)', () => {
    const { samples: _s, ...old } = smallReport();
    const page = reportHtml(old as RunReport);
    expect(page).toContain('carries no sample documents');
  });
});

describe('the sample of documents', () => {
  const strip = (text: string, spans: Span[]): StripResult => ({ text: '', spans, emptied: false, fallback: false, copies: 1 });

  it('keeps short documents whole and, of long ones, the start and the lines around removed spans', () => {
    expect(sampleRanges('short', [])).toEqual([[0, 5]]);
    const lines = Array.from({ length: 400 }, (_, i) => `line ${i} of some article text`);
    const text = lines.join('\n');
    const at = text.indexOf('line 300 ');
    const span: Span = [at, at + lines[300]!.length + 1, 'line'];
    const r = sampleRanges(text, [span]);
    expect(r[0]![0]).toBe(0);
    expect(r.some(([a, b]) => a <= span[0] && b >= span[1])).toBe(true);
    expect(r.reduce((n, [a, b]) => n + b - a, 0)).toBeLessThanOrEqual(SAMPLE_CHARS);
    // Ranges start and end on line boundaries (but the budget's cut).
    for (const [a, b] of r.slice(1)) {
      expect(text[a - 1]).toBe('\n');
      expect(b === text.length || text[b - 1] === '\n').toBe(true);
    }
    const d = offerSample([], 's', text, strip(text, [span]), () => ['id', null])[0]!;
    expect(d.spans).toEqual([span]);
    for (const [start, part] of d.parts) expect(text.slice(start, start + part.length)).toBe(part);
  });

  it('is the same however the documents are split into chunks and in whatever order the chunks merge', () => {
    const r = rng(7);
    const docs = Array.from({ length: 400 }, (_, i) => {
      const site = `site${Math.floor(r() ** 2 * 12)}`;
      const text = `doc ${i} ${r().toString(36)}`.repeat(1 + Math.floor(r() * 5));
      const spans: Span[] = r() < 0.7 ? [[0, 4, 'line']] : [];
      return { site, text, spans };
    });
    const sampleOf = (chunks: (typeof docs)[]): SampleDoc[] => {
      const parts = chunks.map((c) => c.reduce<SampleDoc[]>((acc, d) => offerSample(acc, d.site, d.text, strip(d.text, d.spans), () => [d.text.slice(0, 12), null]), []));
      // Merge in a shuffled order.
      parts.sort(() => r() - 0.5);
      return parts.reduce((a, b) => mergeSamples(a, b), []);
    };
    const ranked = (c: SampleDoc[]): string[] => finalSamples(c, () => 0).map((d) => `${d.site}|${d.id}`);
    const whole = ranked(sampleOf([docs]));
    expect(whole).toHaveLength(SAMPLE_DOCS);
    for (const size of [1, 7, 33, 150]) {
      const chunks: (typeof docs)[] = [];
      for (let i = 0; i < docs.length; i += size) chunks.push(docs.slice(i, i + size));
      expect(ranked(sampleOf(chunks)), `chunks of ${size}`).toEqual(whole);
    }
    const reversed = ranked(sampleOf([[...docs].reverse()]));
    expect(reversed).toEqual(whole);
    // Changed documents come first, and the per-site cap spreads the sample over the sites.
    const final = finalSamples(keepSamples(sampleOf([docs])), () => 0);
    expect(final.every((d) => d.spans.length > 0)).toBe(true);
    expect(new Set(final.map((d) => d.site)).size).toBeGreaterThanOrEqual(Math.min(12, SAMPLE_DOCS / SAMPLE_PER_SITE) - 2);
  });
});

describe('boilerstrip report and --report-html', () => {
  let crawl = '';
  beforeAll(() => {
    const docs = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 11, docs: 500 })];
    const lines = docs.map(simRecord);
    // A hostile document: its text is HTML that must show as text.
    lines.push(JSON.stringify({ id: 'evil', url: 'https://evil.example/x', text: `${EVIL}\nشكرا على الإبلاغ!\nbody` }));
    crawl = path.join(dir, 'crawl.jsonl');
    fs.writeFileSync(crawl, lines.join('\n') + '\n');
  });

  it('clean --report-html and report run.json -o write the page; samples are the same for every thread count', () => {
    const env = { BOILERSTRIP_CHUNK_BYTES: String(64 * 1024) };
    const samples = ['1', '2'].map((t) => {
      const rep = path.join(dir, `run-t${t}.json`);
      const page = path.join(dir, `run-t${t}.html`);
      const r = run(['clean', crawl, '-o', path.join(dir, `out-t${t}.jsonl`), '--threads', t, '--report', rep, '--report-html', page, '--quiet'], { env });
      expect(r.status, r.stderr).toBe(0);
      const html = fs.readFileSync(page, 'utf8');
      expect(html).toContain('<svg class="chart" id="site-chart"');
      expect(html).not.toMatch(/<script/i);
      return JSON.parse(fs.readFileSync(rep, 'utf8')).samples as unknown[];
    });
    expect(samples[0]!.length).toBe(SAMPLE_DOCS);
    expect(samples[1]).toEqual(samples[0]);

    const out = path.join(dir, 'report.html');
    const r = run(['report', path.join(dir, 'run-t1.json'), '-o', out]);
    expect(r.status, r.stderr).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('<table id="sites-table">');
    expect(html.match(/<details class="sample"/g)).toHaveLength(SAMPLE_DOCS);
    // Without -o, the page goes to stdout.
    expect(run(['report', path.join(dir, 'run-t1.json')]).stdout).toBe(html);
  });

  it('refuses a file that is not a report, and an HTML report named like the output', () => {
    const bad = path.join(dir, 'not-a-report.json');
    fs.writeFileSync(bad, '{"hello": 1}');
    const r = run(['report', bad, '-o', path.join(dir, 'x.html')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('not a boilerstrip report');
    const same = path.join(dir, 'same.out');
    const r2 = run(['clean', crawl, '-o', same, '--report-html', same, '--quiet']);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain(`--output and --report-html name the same file (${same})`);
  });

  const chromium = findChromium();
  if (!chromium) console.warn('report-html.test: chromium is not installed (Debian: apt-get install chromium); the browser check is skipped');

  it.skipIf(!chromium)('the page loads in headless Chromium without a console error, with its charts, tables and samples', async () => {
    const page = path.join(dir, 'browser.html');
    const r = run(['clean', crawl, '-o', path.join(dir, 'browser.jsonl'), '--report-html', page, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const { errors, value } = await checkPage<Record<string, number | string>>(
      chromium!,
      page,
      `(() => ({
        title: document.title,
        charts: document.querySelectorAll('svg.chart').length,
        bars: document.querySelectorAll('#site-chart rect.bar').length,
        barWidth: Math.max(...[...document.querySelectorAll('#site-chart rect.bar')].map((b) => b.getBBox().width)),
        siteRows: document.querySelectorAll('#sites-table tbody tr').length,
        unitTables: document.querySelectorAll('table.units').length,
        samples: document.querySelectorAll('details.sample').length,
        marks: document.querySelectorAll('details.sample mark.rm').length,
        rtlLines: [...document.querySelectorAll('.doc .ln[dir=auto]')].filter((l) => getComputedStyle(l).direction === 'rtl').length,
        scripts: document.scripts.length,
        images: document.images.length,
        resources: performance.getEntriesByType('resource').length,
      }))()`,
    );
    expect(errors).toEqual([]);
    expect(value.title).toBe('boilerstrip report');
    expect(value.charts).toBeGreaterThanOrEqual(2);
    expect(value.bars).toBeGreaterThan(3);
    expect(value.barWidth).toBeGreaterThan(50);
    expect(value.bars).toBe(Math.min(25, Number(value.siteRows)));
    expect(value.unitTables).toBeGreaterThan(0);
    expect(value.samples).toBe(SAMPLE_DOCS);
    expect(value.marks).toBeGreaterThan(0);
    expect(value.rtlLines).toBeGreaterThan(0);
    expect(value).toMatchObject({ scripts: 0, images: 0, resources: 0 });
  });

  it.skipIf(!chromium)('a sample whose text is HTML shows as text in Chromium and runs nothing', async () => {
    const page = path.join(dir, 'hostile.html');
    fs.writeFileSync(page, reportHtml(smallReport()));
    const { errors, value } = await checkPage<Record<string, number | string>>(
      chromium!,
      page,
      `(() => ({
        scripts: document.scripts.length,
        images: document.images.length,
        pwned: String(window.__pwned),
        shown: document.querySelector('.doc').innerText.includes('<script>window.__pwned = 1</script>') ? 1 : 0,
        site: document.querySelector('#sites-table tbody tr:nth-child(2) td').textContent,
      }))()`,
    );
    expect(errors).toEqual([]);
    expect(value).toEqual({ scripts: 0, images: 0, pwned: 'undefined', shown: 1, site: '<b>evil.example</b>' });
  });
});

describe("the samples' ids: as written in the input, as --attributes writes them", () => {
  /** Ids as written in a record (white space around and inside them; undefined: no id member) and as a sample shows them. */
  const IDS: [written: string | undefined, shown: string | null][] = [
    ['1234567890123456789012345', '1234567890123456789012345'],
    ['1.10', '1.10'],
    ['1e400', '1e400'],
    ['-0', '-0'],
    [' 9007199254740993 ', '9007199254740993'],
    ['{"b": 1.0, "a" : [1, "x y", -0.0]}', '{"b":1.0,"a":[1,"x y",-0.0]}'],
    ['[ 1E+2 ,\t"<q>" ]', '[1E+2,"<q>"]'],
    ['true', 'true'],
    ['"a\\u00e9\\/b"', 'a\u00e9/b'],
    ['null', null],
    [undefined, null],
  ];
  // SAMPLE_DOCS records, so every one is in the sample; a first line of its own names each, to find it
  // there. No URLs: the page titles a sample by its id then.
  const docs = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 5, docs: SAMPLE_DOCS })].map((d, i) => `Record ${i} of the sample test.\n${d.text}`);
  const idOf = (i: number): [string | undefined, string | null] => IDS[i] ?? [JSON.stringify(`doc-${i}`), `doc-${i}`];
  const shown = docs.map((_, i) => idOf(i)[1]);

  /** The sample's ids by record (the number its first line gives). */
  function sampleIds(rep: string): (string | null)[] {
    const samples = (JSON.parse(fs.readFileSync(rep, 'utf8')) as RunReport).samples;
    expect(samples).toHaveLength(SAMPLE_DOCS);
    const ids: (string | null)[] = [];
    for (const d of samples) ids[Number(/^Record (\d+) /.exec(d.parts[0]![1])![1])] = d.id;
    return ids;
  }

  it('JSONL read in place or parsed, a pretty-printed JSON array, at 1 and 2 threads; the page shows them', () => {
    const jsonl = path.join(dir, 'ids.jsonl');
    fs.writeFileSync(jsonl, docs.map((t, i) => `{${idOf(i)[0] !== undefined ? `"id": ${idOf(i)[0]} ,` : ''}"text":${JSON.stringify(t)}}\n`).join(''));
    const array = path.join(dir, 'ids.json');
    const elements = docs.map((t, i) => `  {\n${idOf(i)[0] !== undefined ? `    "id" : ${idOf(i)[0]},\n` : ''}    "text": ${JSON.stringify(t)}\n  }`);
    fs.writeFileSync(array, `[\n${elements.join(',\n')}\n]\n`);
    for (const [input, parseAll] of [[jsonl, '0'], [jsonl, '1'], [array, '0']] as const) {
      for (const threads of ['1', '2']) {
        const what = `${path.basename(input)}, parse all ${parseAll}, ${threads} threads`;
        const rep = path.join(dir, 'ids-run.json');
        const attrDir = path.join(dir, 'ids-attrs');
        fs.rmSync(attrDir, { recursive: true, force: true });
        const env = { BOILERSTRIP_CHUNK_BYTES: '8192', ...(parseAll === '1' ? { BOILERSTRIP_PARSE_ALL: '1' } : {}) };
        const r = run(['clean', input, '-o', path.join(dir, 'ids-out.jsonl'), '--threads', threads, '--report', rep, '--attributes', attrDir, '--quiet'], { env });
        expect(r.status, r.stderr).toBe(0);
        expect(sampleIds(rep), what).toEqual(shown);
        // The id --attributes writes: a sample's string id is that JSON string, any other id that text.
        const attrIds = fs
          .readFileSync(path.join(attrDir, path.basename(input)), 'utf8')
          .trim()
          .split('\n')
          .map((l) => /^\{"id":(.*),"attributes":/.exec(l)![1]!);
        expect(attrIds.map((a) => (a === 'null' ? null : a.startsWith('"') ? (JSON.parse(a) as string) : a)), what).toEqual(shown);
      }
    }
    const page = path.join(dir, 'ids.html');
    expect(run(['report', path.join(dir, 'ids-run.json'), '-o', page]).status).toBe(0);
    const html = fs.readFileSync(page, 'utf8');
    for (const id of shown) if (id !== null) expect(html).toContain(`<span class="sample-id" dir="auto">${esc(id)}</span>`);
  });

  it("an id over 200 characters is cut to them, '…' last, not inside a surrogate pair; --attributes keeps it whole", () => {
    // (A 3 MB object id was in the report JSON and the page whole.)
    const CAP = 200;
    const big = `{"blob":"${'x'.repeat(3_000_000)}"}`;
    const astral = `${'a'.repeat(CAP - 2)}😀${'b'.repeat(100)}`;
    const exact = 'c'.repeat(CAP);
    const ids = [big, JSON.stringify(astral), JSON.stringify(exact)];
    const input = path.join(dir, 'long-ids.jsonl');
    fs.writeFileSync(input, docs.map((t, i) => `{"id":${ids[i] ?? JSON.stringify(`doc-${i}`)},"text":${JSON.stringify(t)}}\n`).join(''));
    const rep = path.join(dir, 'long-ids.json');
    const page = path.join(dir, 'long-ids.html');
    const attrDir = path.join(dir, 'long-ids-attrs');
    const r = run(['clean', input, '-o', path.join(dir, 'long-ids-out.jsonl'), '--report', rep, '--report-html', page, '--attributes', attrDir, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const got = sampleIds(rep);
    expect(got.slice(0, 3)).toEqual([`${big.slice(0, CAP - 1)}…`, `${'a'.repeat(CAP - 2)}…`, exact]);
    expect(got.slice(3)).toEqual(docs.slice(3).map((_, i) => `doc-${i + 3}`));
    expect(fs.statSync(rep).size).toBeLessThan(200_000);
    expect(fs.statSync(page).size).toBeLessThan(500_000);
    expect(fs.readFileSync(path.join(attrDir, 'long-ids.jsonl'), 'utf8').startsWith(`{"id":${big},`)).toBe(true);
  });
});
