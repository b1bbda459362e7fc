import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Analysis, analyze } from '../src/analyze.js';
import { BoilerstripError } from '../src/errors.js';
import { addPage, readPage } from '../src/html/page-cache.js';
import { htmlDoc, type HtmlDoc } from '../src/html/page.js';
import { blockWords, SideReader, SideWriter } from '../src/side.js';
import { seedPool } from '../src/sim/articles.js';
import { simulate } from '../src/sim/generate.js';
import { simulateHtml } from '../src/sim/html.js';
import { ROOT, tmpdir } from './helpers/cli.js';

/** Every column analyze fills, as plain arrays (segments and extras per line, so order is checked too). */
function columns(a: Analysis): unknown {
  const lines = [];
  for (let i = 0; i < a.nLines; i++) {
    const segs = [];
    for (let s = a.lineSeg0[i]!; s < a.lineSeg0[i]! + a.lineSegN[i]!; s++) segs.push([a.segStart[s], a.segEnd[s], a.segH1[s], a.segH2[s], a.segLen[s]]);
    const extras = [];
    for (let x = a.lineX0[i]!; x < a.lineX0[i]! + a.lineXN[i]!; x++) extras.push([a.extraKind[x], a.extraH1[x], a.extraH2[x]]);
    lines.push([a.lineStart[i], a.lineEnd[i], a.lineNext[i], a.lineH1[i], a.lineH2[i], a.lineLen[i], a.lineTok[i], a.lineEll[i], segs, extras]);
  }
  return { text: a.text, lines };
}

describe('the analysis cache (side.ts)', () => {
  const texts = [
    ...[...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 3, docs: 150 })].map((d) => d.text),
    ...fs.readdirSync(path.join(ROOT, 'seeds')).map((f) => fs.readFileSync(path.join(ROOT, 'seeds', f), 'utf8')),
    '',
    'no terminator',
    'crlf\r\nlines\r\n\r\nand a lone\rcarriage return\n',
    'a | b | c\nالرياض - واس\nPosted by: X at November 7, 2012 1:56 PM\nقال إن ... \u2026\n',
  ];

  it('gives back, record by record, exactly what analyze computed (blocks of any size)', () => {
    const w = new SideWriter();
    const blocks: Buffer[] = [];
    texts.forEach((t, i) => {
      w.add(analyze(t, new Analysis()));
      if (i % 7 === 6) blocks.push(w.take());
    });
    blocks.push(w.take());
    const r = SideReader.over(blocks.map(blockWords), 'test');
    const a = new Analysis();
    for (const t of texts) expect(columns(r.next(t, a))).toEqual(columns(analyze(t, new Analysis())));
    expect(() => r.next('one more', a)).toThrow(/ended early/);
  });

  it('refuses a record that is not the analysis of the text it is asked for', () => {
    const w = new SideWriter();
    w.add(analyze('first document', new Analysis()));
    const r = SideReader.over([blockWords(w.take())], 'in.jsonl');
    let err: unknown;
    try {
      r.next('another, longer document', new Analysis());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BoilerstripError);
    expect((err as BoilerstripError).code).toBe('E_INTERNAL');
    expect((err as Error).message).toMatch(/^in\.jsonl: the analysis cache of pass 1 holds a text of 14 code units/);
  });
});

describe('HTML pages in the analysis cache', () => {
  const pages = [
    ...[...simulateHtml(seedPool(path.join(ROOT, 'seeds')), { seed: 5, docs: 60 })].map((p) => p.html),
    // No blocks; a title only; lang, canonical and a declared charset; astral and odd-length texts; a
    // table; deep nesting flattened; blocks with no path classes.
    '',
    '<html><head><title>t</title></head><body></body></html>',
    '<html lang="fr"><head><meta charset="windows-1252"><link rel="canonical" href="https://ex.fr/a"><title>Été</title></head><body><p>a</p><p>bc</p><div class="x y z w">𝒜 emoji 😀 end</div></body></html>',
    '<table><tr><td>1</td><td>two</td></tr></table><ul><li><a href="/x">link</a> and text</li></ul>',
    '<div>'.repeat(400) + 'deep' + '</div>'.repeat(400),
  ];

  /** An HtmlDoc as plain values (its distinct paths are pass 1's alone: not cached). */
  const plain = (d: HtmlDoc): unknown => ({
    page: { ...d.page, blocks: d.page.blocks.map((b) => ({ ...b, pathHash: [...b.pathHash], anc: [...b.anc] })) },
    text: d.text,
    starts: [...d.starts],
    pathH: [...d.pathH],
  });

  it('gives back each page as htmlDoc parsed it, between the analyses, in blocks of any size', () => {
    const w = new SideWriter();
    const blocks: Buffer[] = [];
    const truncated = htmlDoc(pages[0]!, { maxBlocks: 3 });
    expect(truncated.page.truncated).toBe(true);
    const docs = [...pages.map((h) => htmlDoc(h)), truncated];
    docs.forEach((d, i) => {
      addPage(w, d, 1000 + i);
      w.add(analyze(d.text, new Analysis()));
      if (i % 5 === 4) blocks.push(w.take());
    });
    blocks.push(w.take());
    const r = SideReader.over(blocks.map(blockWords), 'test');
    const a = new Analysis();
    docs.forEach((d, i) => {
      const got = readPage(r, 1000 + i);
      expect(plain(got)).toEqual(plain(d));
      expect(columns(r.next(got.text, a))).toEqual(columns(analyze(d.text, new Analysis())));
    });
  });

  it('refuses a page where the input has a text, a text where it has a page, and a page of other HTML', () => {
    const w = new SideWriter();
    addPage(w, htmlDoc(pages[2]!), pages[2]!.length);
    w.add(analyze('a text', new Analysis()));
    addPage(w, htmlDoc(pages[3]!), pages[3]!.length);
    const words = blockWords(w.take());
    expect(() => SideReader.over([words], 'a').next('a text', new Analysis())).toThrow(/holds another record \(an HTML page\) where the input has a text/);
    const r = SideReader.over([words], 'b');
    readPage(r, pages[2]!.length);
    expect(() => readPage(r, pages[2]!.length)).toThrow(/holds a text where the input has an HTML page/);
    r.next('a text', new Analysis());
    expect(() => readPage(r, pages[2]!.length)).toThrow(/holds a page of \d+ code units of HTML where the input has \d+/);
  });
});

describe('a cache out of step with its input', () => {
  const dir = tmpdir('bs-side-');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // The built modules, as the CLI runs them (worker threads load dist/ files).
  const dist = (m: string): Promise<any> => import(path.join(ROOT, 'dist/src', m));

  it.each([1, 2])('stops pass 2 with a clear error when the input changed between the passes (--threads %i)', async (threads) => {
    const { resolveInputs } = await dist('io/input.js');
    const { learnSources, stripSources } = await dist('run.js');
    const { SideStore } = await dist('side.js');
    const lines = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 9, docs: 700 })].map((d) => JSON.stringify({ url: d.url, text: d.text }));
    const file = path.join(dir, `changing-${threads}.jsonl`);
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const sources = await resolveInputs([file]);
    const cache = new SideStore(dir);
    try {
      const model = await learnSources(sources, { threads }, undefined, cache);
      fs.writeFileSync(file, lines.reverse().join('\n') + '\n');
      const sink = { write() {}, writeBytes() {}, close: async () => {}, abort() {} };
      await expect(stripSources(model, sources, sink, { threads }, undefined, cache)).rejects.toThrow(/changed between the passes/);
    } finally {
      cache.dispose();
    }
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('boilerstrip-cache-'))).toEqual([]);
  });
  it('reads HTML pages back from the cache: a page whose HTML changed between the passes is refused', async () => {
    const { resolveInputs } = await dist('io/input.js');
    const { learnSources, stripSources } = await dist('run.js');
    const { SideStore } = await dist('side.js');
    const pages = [...simulateHtml(seedPool(path.join(ROOT, 'seeds')), { seed: 6, docs: 80 })];
    const file = path.join(dir, 'changing.html.jsonl');
    const write = (extra: string): void => fs.writeFileSync(file, pages.map((p, i) => JSON.stringify({ url: p.url, html: i === 40 ? p.html.replace('<body', `<body${extra}`) : p.html })).join('\n') + '\n');
    write('');
    const sources = await resolveInputs([file]);
    const cache = new SideStore(dir);
    try {
      const model = await learnSources(sources, { threads: 1 }, undefined, cache);
      // (Same blocks, same text: only the page's own record can tell.)
      write(' data-x="1"');
      const sink = { write() {}, writeBytes() {}, close: async () => {}, abort() {} };
      await expect(stripSources(model, sources, sink, { threads: 1 }, undefined, cache)).rejects.toThrow(/holds a page of \d+ code units of HTML where the input has \d+/);
    } finally {
      cache.dispose();
    }
  });
});

describe('a cache that cannot be written', () => {
  it('is given up, and pass 2 analyzes again with the same output (a full disk, a lost file)', async () => {
    const dir = tmpdir('bs-side-fail-');
    try {
      const { resolveInputs } = await import(path.join(ROOT, 'dist/src/io/input.js'));
      const { cleanSources, learnSources, stripSources, RunStats } = await import(path.join(ROOT, 'dist/src/run.js'));
      const side = await import(path.join(ROOT, 'dist/src/side.js'));
      const lines = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 4, docs: 400 })].map((d) => JSON.stringify({ url: d.url, text: d.text }));
      const file = path.join(dir, 'in.jsonl');
      fs.writeFileSync(file, lines.join('\n') + '\n');
      const sources = await resolveInputs([file]);
      const collect = (): { out: string[]; sink: unknown } => {
        const out: string[] = [];
        return { out, sink: { write: (s: string) => void out.push(s), writeBytes: (b: Buffer) => void out.push(b.toString('utf8')), close: async () => {}, abort() {} } };
      };
      const plain = collect();
      const stats = new RunStats();
      await cleanSources(sources, plain.sink, { threads: 1, cacheAnalysis: false }, stats);
      expect(stats.analysisCached).toBe(false);
      expect(stats.analysisCacheOff).toBe(null);
      // Every write to the cache fails, as on a full disk (the one-thread worker runs in this process).
      const cache = new side.SideStore(dir);
      const realAppend = side.SideFile.prototype.append;
      side.SideFile.prototype.append = () => {
        throw new Error('ENOSPC: no space left on device, write');
      };
      let model;
      try {
        model = await learnSources(sources, { threads: 1 }, undefined, cache);
      } finally {
        side.SideFile.prototype.append = realAppend;
      }
      expect(cache.failed).toMatch(/^cannot write .*\.side: ENOSPC/);
      const viaFailed = collect();
      await stripSources(model, sources, viaFailed.sink, { threads: 1 }, undefined, null);
      expect(viaFailed.out.join('')).toBe(plain.out.join(''));
      cache.dispose();
      // The cache directory gone before pass 1 (a temp cleaner): the files cannot be created, on the main
      // thread or in worker threads.
      for (const threads of [1, 2]) {
        const gone = new side.SideStore(dir);
        fs.rmSync(gone.dir, { recursive: true });
        const m = await learnSources(sources, { threads }, undefined, gone);
        expect(gone.failed, `--threads ${threads}`).toMatch(/^cannot create .*\.side: /);
        const again = collect();
        await stripSources(m, sources, again.sink, { threads }, undefined, null);
        expect(again.out.join('')).toBe(plain.out.join(''));
        gone.dispose();
      }
      // No room: clean says why it ran without the cache.
      const huge = [{ ...sources[0], bytes: 1e18 }];
      const s2 = new RunStats();
      const noRoom = collect();
      await cleanSources(huge, noRoom.sink, { threads: 1, tmpDir: dir }, s2);
      expect(s2.analysisCached).toBe(false);
      expect(s2.analysisCacheOff).toMatch(/MB free, the cache wants/);
      expect(noRoom.out.join('')).toBe(plain.out.join(''));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
