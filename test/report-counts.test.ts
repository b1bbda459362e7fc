/**
 * The report's counts against what the run did: documents all chrome under each --on-empty, the records
 * chart, and removed units judged by corpus-wide counts (listed per site, their df over what it counts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docsOutcomes, reportHtml } from '../src/report/html.js';
import { seedPool } from '../src/sim/articles.js';
import { simRecord, simulate } from '../src/sim/generate.js';
import type { RunReport, UnitFigures } from '../src/stats.js';
import { ROOT, run, tmpdir } from './helpers/cli.js';
import { body } from './helpers/words.js';

const dir = tmpdir('bs-report-counts-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * A line no site repeats in its own pages, twice on one page of each of 12 small sites: chrome by the
 * corpus-wide counts only. (Short: near-copies are not taken out of its counts.)
 */
const SHARED = 'Read more regional news from our partners';
const SMALL_SITES = 12;

let crawl = '';
beforeAll(() => {
  const lines = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 5, docs: 60 })].map(simRecord);
  // A site whose pages are all chrome (6 of them, every line on every page).
  for (let i = 0; i < 6; i++) lines.push(JSON.stringify({ id: `chrome-${i}`, url: `https://chrome.example/${i}`, text: 'القائمة الرئيسية\nجميع الحقوق محفوظة للموقع' }));
  for (let s = 0; s < SMALL_SITES; s++) {
    for (let i = 0; i < 3; i++) {
      const text = `${body(100 * s + 2 * i)}\n${body(100 * s + 2 * i + 1)}`;
      lines.push(JSON.stringify({ id: `small-${s}-${i}`, url: `https://small${s}.example/p${i}`, text: i === 0 ? `${SHARED}\n${text}\n${SHARED}` : text }));
    }
  }
  crawl = path.join(dir, 'crawl.jsonl');
  fs.writeFileSync(crawl, lines.join('\n') + '\n');
});

function report(args: string[], env: NodeJS.ProcessEnv = {}): RunReport {
  const rep = path.join(dir, `r-${Math.random().toString(36).slice(2)}.json`);
  const r = run([...args, '--report', rep, '--quiet'], { env });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(fs.readFileSync(rep, 'utf8')) as RunReport;
}

describe('--report under each --on-empty', () => {
  it('counts the documents all chrome alike: characters in, per-site figures and units do not depend on --on-empty', () => {
    const reps = Object.fromEntries((['keep', 'empty', 'drop'] as const).map((m) => [m, report(['clean', crawl, '-o', path.join(dir, `out-${m}.jsonl`), '--on-empty', m])])) as Record<'keep' | 'empty' | 'drop', RunReport>;
    const { keep, empty, drop } = reps;
    expect(keep.docs.emptied).toBeGreaterThanOrEqual(6);
    expect(drop.records.dropped).toBe(keep.docs.emptied);
    for (const r of [keep, empty, drop]) {
      expect(r.chars.in).toBe(keep.chars.in);
      // Per site: every document cleaned, every one all chrome.
      expect(r.sites.reduce((a, s) => a + s.docs, 0)).toBe(r.docs.cleaned);
      expect(r.sites.reduce((a, s) => a + s.emptied, 0)).toBe(r.docs.emptied);
      expect(r.sites.map(({ site, docs, emptied, charsIn }) => ({ site, docs, emptied, charsIn }))).toEqual(keep.sites.map(({ site, docs, emptied, charsIn }) => ({ site, docs, emptied, charsIn })));
      expect(r.removedUnits).toEqual(keep.removedUnits);
    }
    // A dropped document's characters are all removed (none are written), as an emptied one's.
    expect(drop.chars.out).toBe(empty.chars.out);
    expect(drop.sites).toEqual(empty.sites.map((s) => ({ ...s, changed: s.changed - s.emptied })));
    for (const r of [empty, drop]) expect(Object.values(r.chars.removedByReason!).reduce((a, b) => a + b, 0)).toBe(r.chars.in - r.chars.out);
    // The output is what it was: the dropped documents are not in it.
    const out = (m: string): string[] => fs.readFileSync(path.join(dir, `out-${m}.jsonl`), 'utf8').trim().split('\n');
    expect(out('drop')).toEqual(out('keep').filter((l) => !l.includes('"chrome-')));
  });

  it("the records chart agrees with the JSON's counts under keep, empty and drop, and sums to the records in", () => {
    const outcome = (m: string): Record<string, number> => {
      const r = report(['clean', crawl, '-o', path.join(dir, `chart-${m}.jsonl`), '--on-empty', m]);
      const segs = docsOutcomes(r);
      expect(segs.reduce((a, s) => a + s.n, 0)).toBe(r.records.in);
      const by = Object.fromEntries(segs.map((s) => [s.label.replace(/^all chrome.*/, 'all chrome'), s.n]));
      expect(by['all chrome']).toBe(r.docs.emptied);
      expect(by.changed! + by['all chrome']! + by.unchanged!).toBe(r.docs.cleaned);
      // Under keep and drop, docs.changed leaves the documents all chrome out; under empty they are in it.
      expect(by.changed).toBe(m === 'empty' ? r.docs.changed - r.docs.emptied : r.docs.changed);
      const html = reportHtml(r);
      const chart = html.slice(html.indexOf('id="docs-chart"'), html.indexOf('</svg>', html.indexOf('id="docs-chart"')));
      for (const [label, n] of Object.entries(by)) if (n > 0 && label !== 'all chrome') expect(chart).toContain(`>${label} ${n.toLocaleString('en-US')} (`);
      return by;
    };
    const keep = outcome('keep');
    expect(keep['all chrome']).toBeGreaterThanOrEqual(6);
    expect(keep.changed).toBeGreaterThan(0);
    expect(outcome('empty')).toEqual(keep);
    expect(outcome('drop')).toEqual(keep);
  });
});

describe('removed units judged by corpus-wide counts', () => {
  const shared = (r: RunReport): UnitFigures[] => (r.removedUnits as UnitFigures[]).filter((u) => u.text === SHARED);

  it('are listed under each site that removed them, with their removals there and the df over the corpus; the same for any thread count', () => {
    const env = { BOILERSTRIP_CHUNK_BYTES: String(16 * 1024) };
    const reps = ['1', '2', '3'].map((t) => report(['clean', crawl, '-o', path.join(dir, `u-${t}.jsonl`), '--threads', t], env));
    const r = reps[0]!;
    const units = shared(r);
    expect(units.map((u) => u.site).sort()).toEqual(Array.from({ length: SMALL_SITES }, (_, s) => `small${s}.example`).sort());
    for (const u of units) expect(u).toMatchObject({ scope: 'corpus', df: SMALL_SITES, of: r.model!.docs, removals: 2, reason: 'line' });
    for (const x of reps.slice(1)) expect(x.removedUnits).toEqual(r.removedUnits);
    // Every df is over what it counts: never more than all of it.
    for (const u of r.removedUnits as UnitFigures[]) {
      expect(u.df).toBeLessThanOrEqual(u.of);
      expect(u.of).toBe(u.scope === 'corpus' ? r.model!.docs : (r.sites.find((s) => s.site === u.site)?.docs ?? -1));
    }
    for (const m of reportHtml(r).matchAll(/<td>[\d,]+ <span class="muted">\((\d+)%/g)) expect(Number(m[1])).toBeLessThanOrEqual(100);
    // The page lists it under each site, its share over all documents.
    const html = reportHtml({ ...r, removedUnits: units });
    expect(html.match(/<div class="site-units">/g)).toHaveLength(SMALL_SITES);
    expect(html.split(`>${SHARED}</td>`)).toHaveLength(SMALL_SITES + 1);
    expect(html.split(`<td>${SMALL_SITES} <span class="muted">(${Math.round((100 * SMALL_SITES) / r.model!.docs)}% of all)</span></td><td>2</td>`)).toHaveLength(SMALL_SITES + 1);
  });

  it("strip: the df's share is over the model's documents, not this input's", () => {
    const model = path.join(dir, 'all.model');
    expect(run(['learn', crawl, '-m', model, '--quiet']).status).toBe(0);
    // Strip a few pages only: the model's site has many more.
    const few = path.join(dir, 'few.jsonl');
    const lines = fs.readFileSync(crawl, 'utf8').trim().split('\n');
    fs.writeFileSync(few, [...lines.slice(0, 8), ...lines.filter((l) => l.includes('"small'))].join('\n') + '\n');
    const full = report(['clean', crawl, '-o', path.join(dir, 'full.jsonl')]);
    const r = report(['strip', '-m', model, few, '-o', path.join(dir, 'few.out.jsonl')]);
    const modelDocs = new Map(full.sites.map((s) => [s.site, s.docs]));
    let bigger = 0;
    for (const u of r.removedUnits as UnitFigures[]) {
      expect(u.df).toBeLessThanOrEqual(u.of);
      expect(u.of).toBe(u.scope === 'corpus' ? full.model!.docs : modelDocs.get(u.site));
      if (u.of > r.sites.find((s) => s.site === u.site)!.docs) bigger++;
    }
    expect(bigger).toBeGreaterThan(0);
    expect(shared(r)).toHaveLength(SMALL_SITES);
    const html = reportHtml(r);
    for (const m of html.matchAll(/<td>[\d,]+ <span class="muted">\((\d+)%/g)) expect(Number(m[1])).toBeLessThanOrEqual(100);
  });

  it('a report of an older build (removals named docs, no denominator) still draws, without a share', () => {
    const r = report(['clean', crawl, '-o', path.join(dir, 'old.jsonl')]);
    const old = { ...r, removedUnits: (r.removedUnits as UnitFigures[]).map(({ site, reason, df, removals, text }) => ({ site, reason, df, docs: removals, text })) } as RunReport;
    const html = reportHtml(old);
    expect(html).toContain('<table class="units">');
    expect(html).not.toMatch(/<td>[\d,]+ <span class="muted">\(\d+%/);
    const first = old.removedUnits[0]!;
    expect(html).toContain(`<td>${first.df.toLocaleString('en-US')}</td><td>${(first as { docs: number }).docs.toLocaleString('en-US')}</td>`);
  });
});
