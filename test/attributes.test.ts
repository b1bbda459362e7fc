/** --attributes: Dolma attribute files whose spans, applied as Dolma's mixer applies them, give `clean`'s text. */
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { attributesPath, codePointSpans } from '../src/io/attributes.js';
import { seedPool } from '../src/sim/articles.js';
import { simRecord, simulate } from '../src/sim/generate.js';
import { ROOT, run, tmpdir } from './helpers/cli.js';

const dir = tmpdir('bs-attr-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What Dolma's mixer does with [start, end) code point spans: drop those characters. */
function applyCodePointSpans(text: string, spans: [number, number, number][]): string {
  const cps = Array.from(text);
  const keep = new Uint8Array(cps.length).fill(1);
  for (const [s, e] of spans) keep.fill(0, s, e);
  return cps.filter((_, i) => keep[i]).join('');
}

describe('Dolma attributes', () => {
  it('code point offsets count a surrogate pair once', () => {
    const t = 'a😀b\nchrome\nc';
    expect(codePointSpans(t, [[5, 12, 'line']])).toEqual([[4, 11, 1]]);
    expect(applyCodePointSpans(t, [[4, 11, 1]])).toBe('a😀b\nc');
    expect(attributesPath('/out', '/data/cc/documents/part-1/x.json.gz')).toBe(path.join('/out', 'part-1/x.json.gz'));
    expect(attributesPath('/out', 'shard.jsonl')).toBe(path.join('/out', 'shard.jsonl'));
    // Relative paths keep their folder below documents/ too (Dolma pairs the files by it).
    for (const rel of ['documents/sub/b.jsonl.gz', './documents/sub/b.jsonl.gz', 'x/documents/sub/b.jsonl.gz']) {
      expect(attributesPath('/out', rel)).toBe(path.join('/out', 'sub/b.jsonl.gz'));
    }
  });

  it('one line per record, in order, ids aligned; the spans give the cleaned text', () => {
    const docs = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 7, docs: 300 })];
    // Emoji in some texts, so UTF-16 and code point offsets differ.
    const lines = docs.map((d, i) => (i % 3 === 0 ? simRecord({ ...d, text: `😀 ${d.text}`, gold: d.gold.map(([s, e, l]) => [s + 3, e + 3, l]) }) : simRecord(d)));
    lines.splice(5, 0, '{"id":"no-text","url":"https://x.org/"}');
    const docDir = path.join(dir, 'documents');
    fs.mkdirSync(docDir);
    const input = path.join(docDir, 'part-0.json.gz');
    fs.writeFileSync(input, gzipSync(lines.join('\n') + '\n'));
    const attrDir = path.join(dir, 'attributes', 'boilerstrip');
    const r = run(['clean', input, '--quiet', '--attributes', attrDir]);
    expect(r.status, r.stderr).toBe(0);
    const cleaned = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; text?: string });
    const attrs = gunzipSync(fs.readFileSync(path.join(attrDir, 'part-0.json.gz')))
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; attributes: { boilerstrip__chrome: [number, number, number][] } });
    expect(attrs.map((a) => a.id)).toEqual(lines.map((l) => (JSON.parse(l) as { id: string }).id));
    expect(attrs[5]!.attributes.boilerstrip__chrome).toEqual([]);
    let changed = 0;
    attrs.forEach((a, i) => {
      const orig = JSON.parse(lines[i]!) as { text?: string };
      if (orig.text === undefined) return;
      const spans = a.attributes.boilerstrip__chrome;
      if (spans.length > 0) changed++;
      expect(applyCodePointSpans(orig.text, spans), `record ${i}`).toBe(cleaned[i]!.text);
    });
    expect(changed).toBeGreaterThan(200);
    // The same attribute file from two threads with small chunks.
    const attr2 = path.join(dir, 'attributes2');
    const r2 = run(['clean', input, '--quiet', '--attributes', attr2, '--threads', '2'], { env: { BOILERSTRIP_CHUNK_BYTES: '65536' } });
    expect(r2.status, r2.stderr).toBe(0);
    expect(r2.stdout).toBe(r.stdout);
    expect(gunzipSync(fs.readFileSync(path.join(attr2, 'part-0.json.gz')))).toEqual(gunzipSync(fs.readFileSync(path.join(attrDir, 'part-0.json.gz'))));
  });
});
