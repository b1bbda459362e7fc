/** Field paths: a dotted name reads (and writes) through nested objects, as Dolma keeps `metadata.url`. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findFieldValue, getField, setField, withoutField } from '../src/record.js';
import { run, tmpdir } from './helpers/cli.js';

const dir = tmpdir('bs-fields-');
const WORDS = 'river stone harbour lantern orchard meadow violin copper window garden engine valley'.split(' ');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('field paths', () => {
  it('getField and setField: an exact member wins, else the dotted path; nested objects are copied', () => {
    const r = { 'a.b': 1, a: { b: 2, c: { d: 'x' } } };
    expect(getField(r, 'a.b')).toBe(1);
    expect(getField(r, 'a.c.d')).toBe('x');
    expect(getField(r, 'a.c.e')).toBeUndefined();
    expect(getField({ a: [1] }, 'a.0')).toBeUndefined();
    const s = setField(r, 'a.c.d', 'y');
    expect(getField(s, 'a.c.d')).toBe('y');
    expect(r.a.c.d).toBe('x');
    // withoutField: the exact member, else the path's last member (its object stays, copied); no such field: unchanged.
    expect(withoutField(r, 'a.b')).toEqual({ a: { b: 2, c: { d: 'x' } } });
    expect(withoutField({ a: { b: 2, c: { d: 'x' } } }, 'a.c.d')).toEqual({ a: { b: 2, c: {} } });
    expect(withoutField(r, 'a.c.e')).toBe(r);
    expect(withoutField({ a: 'x' }, 'a.b')).toEqual({ a: 'x' });
    expect(getField(r, 'a.c.d')).toBe('x');
    const raw = '{"id":1,"meta":{"url":"u","doc":{"text":"t \\" q"}},"n":1.0}';
    const [a, b] = findFieldValue(raw, 'meta.doc.text')!;
    expect(raw.slice(a, b)).toBe('"t \\" q"');
  });

  it('--url-field metadata.url and --text-field doc.body on Dolma-style records: sites found, the text replaced in place', () => {
    const lines: string[] = [];
    for (let i = 0; i < 12; i++) {
      const site = i % 2 === 0 ? 'a.example.org' : 'b.example.org';
      const w = WORDS.slice(i).concat(WORDS.slice(0, i)).join(' ');
      const body = `Story of ${w}.\nSubscribe to our newsletter for ${site} updates\n© ${site} all rights reserved`;
      lines.push(JSON.stringify({ id: `d${i}`, source: 'cc', metadata: { url: `${site}/p/${i}`, lang: 'en' }, doc: { body, n: 1 } }).replace('"n":1', '"n":1.0'));
    }
    const f = path.join(dir, 'dolma.jsonl');
    fs.writeFileSync(f, lines.join('\n') + '\n');
    const rep = path.join(dir, 'r.json');
    const r = run(['clean', f, '--url-field', 'metadata.url', '--text-field', 'doc.body', '--min-docs', '3', '--quiet', '--report', rep]);
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout.trim().split('\n');
    expect(out[0]).toMatch(/^\{"id":"d0","source":"cc","metadata":\{"url":"a\.example\.org\/p\/0","lang":"en"\},"doc":\{"body":"Story of river stone/);
    expect(out[0]).toContain('"n":1.0}');
    for (const l of out) expect((JSON.parse(l) as { doc: { body: string } }).doc.body).toMatch(/^Story of [a-z ]+\.$/);
    const report = JSON.parse(fs.readFileSync(rep, 'utf8')) as { sites: { site: string }[] };
    expect(report.sites.map((s) => s.site).sort()).toEqual(['a.example.org', 'b.example.org']);
  });
});
