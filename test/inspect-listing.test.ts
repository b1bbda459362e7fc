/** What `inspect` lists and says it leaves out; its help and its cut columns; merge's help. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tmpdir } from './helpers/cli.js';
import { body } from './helpers/words.js';

const dir = tmpdir('bs-inspect-listing-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const LONG_SITE = 'news.a-rather-long-site-name.example';
/** On one page of each shard only: in 2 documents of the whole, in 1 of either shard. */
const SPLIT = 'تابعونا على الراديو كل مساء';
const LONG_LINE = `${'هذا سطر طويل جدا يتكرر في كل صفحة من صفحات الموقع '.repeat(3)}نهاية`;

let shardA = '';
let shardB = '';
beforeAll(() => {
  const rec = (i: number, extra: string[]): string => JSON.stringify({ id: i, url: `https://${LONG_SITE}/p${i}`, text: [body(2 * i), ...extra, body(2 * i + 1), LONG_LINE].join('\n') });
  shardA = path.join(dir, 'a.jsonl');
  shardB = path.join(dir, 'b.jsonl');
  fs.writeFileSync(shardA, [rec(0, [SPLIT]), rec(1, []), rec(2, [])].join('\n') + '\n');
  fs.writeFileSync(shardB, [rec(3, [SPLIT]), rec(4, []), rec(5, [])].join('\n') + '\n');
  expect(run(['learn', shardA, shardB, '-m', path.join(dir, 'all.model'), '--threads', '1', '--quiet']).status).toBe(0);
});

interface Listing {
  chrome: { site: string; text: string; df: number }[];
  notListed: { keys: number; atLeastDocs: number; textStoreFull: boolean; why: string };
}

function inspect(model: string, ...args: string[]): Listing {
  const r = run(['inspect', model, '--min-docs', '2', '--top', '100000', '--group', '0', '--json', ...args]);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Listing;
}

describe('inspect: chrome units without a stored text', () => {
  it('says how many it cannot list and why (JSON and table), an upper bound on what a merge of shards leaves out', () => {
    const [a, b, ab, all] = ['a', 'b', 'ab', 'all'].map((n) => path.join(dir, `${n}.model`)) as [string, string, string, string];
    for (const [m, input] of [[a, shardA], [b, shardB]] as const) expect(run(['learn', input, '-m', m, '--threads', '1', '--quiet']).status).toBe(0);
    expect(run(['merge', a, b, '-o', ab, '--quiet']).status).toBe(0);
    const whole = inspect(all);
    const merged = inspect(ab);
    // The line is chrome in both models (2 documents of 6); only the one learned whole has its text.
    expect(whole.chrome.map((u) => u.text)).toContain(SPLIT);
    expect(merged.chrome.map((u) => u.text)).not.toContain(SPLIT);
    expect(merged.notListed.keys).toBeGreaterThanOrEqual(whole.chrome.length - merged.chrome.length);
    expect(merged.notListed.keys).toBeGreaterThan(whole.notListed.keys);
    expect(merged.notListed).toMatchObject({ atLeastDocs: 2, textStoreFull: false });
    expect(merged.notListed.why).toMatch(/merged shards/);
    const table = run(['inspect', ab, '--min-docs', '2']);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toContain(`not listed: chrome units with no stored sample text, at most ${merged.notListed.keys} `);
  });
});

describe('inspect and merge: help and columns', () => {
  it('inspect has no --chain-ratio (it changes nothing inspect lists): not in its help, refused when given', () => {
    const help = run(['inspect', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).not.toContain('--chain-ratio');
    const r = run(['inspect', path.join(dir, 'all.model'), '--chain-ratio', '0.5']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--chain-ratio has no effect on inspect/);
  });

  it('cuts long site names and unit texts with … (--json and --site have them whole)', () => {
    const m = path.join(dir, 'all.model');
    const r = run(['inspect', m, '--min-docs', '2', '--site', LONG_SITE]);
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.includes('news.a-rather'));
    expect(rows.length).toBeGreaterThan(0);
    for (const l of rows) expect(l).toContain(`${LONG_SITE.slice(0, 19)}…  `);
    const long = rows.find((l) => l.includes(LONG_LINE.slice(0, 40)))!;
    expect(long).toContain(`${LONG_LINE.slice(0, 89)}…`);
    // Short ones are not marked.
    expect(rows.find((l) => l.endsWith(SPLIT))).toBeDefined();
    expect(inspect(m, '--site', LONG_SITE).chrome.map((u) => u.site)).toContain(LONG_SITE);
  });

  it("merge's help says --prune-below takes 1 or 2", () => {
    const help = run(['merge', '--help']).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--prune-below Drop units in fewer documents: 1 \(keep every unit\) or 2 .*no other value/);
    const bad = run(['merge', path.join(dir, 'a.model'), '-o', path.join(dir, 'x.model'), '--prune-below', '3']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--prune-below must be a whole number from 1 to 2');
  });
});
