/** --attributes: Dolma attribute files whose spans, applied as Dolma's mixer applies them, give `clean`'s text. */
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { attributesPath, codePointSpans } from '../src/io/attributes.js';
import { seedPool } from '../src/sim/articles.js';
import { simRecord, simulate } from '../src/sim/generate.js';
import { ROOT, run, tmpdir } from './helpers/cli.js';
import { response } from './helpers/warc.js';

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
    // A Parquet input's attribute lines are JSON: named so, .jsonl for .parquet (added to a name without it).
    expect(attributesPath('/out', '/data/documents/part-1/x.parquet', true)).toBe(path.join('/out', 'part-1/x.jsonl'));
    expect(attributesPath('/out', 'X.PARQUET', true)).toBe(path.join('/out', 'X.jsonl'));
    expect(attributesPath('/out', 'crawl-data', true)).toBe(path.join('/out', 'crawl-data.jsonl'));
    // So are a WARC's, an HTML or text file's: their extension too, a compression suffix kept.
    expect(attributesPath('/out', '/data/documents/part-1/x.warc.gz', true)).toBe(path.join('/out', 'part-1/x.jsonl.gz'));
    expect(attributesPath('/out', 'page.HTM', true)).toBe(path.join('/out', 'page.jsonl'));
  });

  it('an HTML, text or WARC input\'s attribute file is named .jsonl, and holds JSON lines (it was named as the input)', () => {
    const d = path.join(dir, 'other-inputs');
    fs.mkdirSync(d);
    const page = '<html><body><nav>Home About</nav><p>A page of its own words.</p></body></html>';
    fs.writeFileSync(path.join(d, 'page.html'), page);
    fs.writeFileSync(path.join(d, 'notes.txt'), 'Some notes\nof a text file.\n');
    fs.writeFileSync(path.join(d, 'x.warc.gz'), gzipSync(response('https://w.example/a', page)));
    const attrDir = path.join(dir, 'attributes-other');
    const r = run(['clean', ...['page.html', 'notes.txt', 'x.warc.gz'].map((f) => path.join(d, f)), '--attributes', attrDir, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readdirSync(attrDir).sort()).toEqual(['notes.jsonl', 'page.jsonl', 'x.jsonl.gz']);
    expect(JSON.parse(gunzipSync(fs.readFileSync(path.join(attrDir, 'x.jsonl.gz'))).toString('utf8'))).toMatchObject({ attributes: { boilerstrip__chrome: [] } });
    expect((JSON.parse(fs.readFileSync(path.join(attrDir, 'page.jsonl'), 'utf8')) as { id: string }).id).toBe(path.join(d, 'page.html'));
    // Standard input stays stdin.jsonl whatever it holds (not stdin.jsonl.jsonl).
    const attrStdin = path.join(dir, 'attributes-stdin');
    const s = run(['clean', '-', '--attributes', attrStdin, '--quiet'], { input: page });
    expect(s.status, s.stderr).toBe(0);
    expect(fs.readdirSync(attrStdin)).toEqual(['stdin.jsonl']);
    // page.html and page.jsonl would now write the same file: refused, as two inputs of one name are.
    fs.writeFileSync(path.join(d, 'page.jsonl'), '{"id":"j","text":"x"}\n');
    const c = run(['clean', path.join(d, 'page.html'), path.join(d, 'page.jsonl'), '--attributes', path.join(dir, 'attributes-same'), '--quiet']);
    expect(c.status).toBe(2);
    expect(c.stderr).toContain('two inputs would write the same attribute file');
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

/**
 * The id of each line of an attribute file as its text: what follows `{"id":` up to the attributes member
 * (a parse would lose what the tests look for: digits, `1.10`, `-0`, escapes).
 */
function idTexts(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const m = /^\{"id":(.*),"attributes":\{"boilerstrip__chrome":\[[^"]*\]\}\}$/.exec(l);
      expect(m, l.slice(0, 200)).not.toBeNull();
      return m![1]!;
    });
}

/** Ids as written in a record (white space around and inside them) and as their attributes line must give them. */
const IDS: [written: string, expected: string][] = [
  ['12345678901234567890123', '12345678901234567890123'],
  ['1.10', '1.10'],
  ['-0', '-0'],
  ['1e400', '1e400'],
  ['"a\\u00e9\\/b"', '"a\\u00e9\\/b"'],
  ['{"b": 1.0, "a" : [1, "x y", -0.0]}', '{"b":1.0,"a":[1,"x y",-0.0]}'],
  ['[ 1E+2 ,\t"\\"q\\\\ r" ]', '[1E+2,"\\"q\\\\ r"]'],
  [' 9007199254740993 ', '9007199254740993'],
  ['null', 'null'],
  ['"\\ud83d\\ude00 \\n"', '"\\ud83d\\ude00 \\n"'],
];

describe('Dolma attributes: the id as written', () => {
  const docs = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 11, docs: 200 })];
  /** Record i's id as written (undefined: no id member) and as its attributes line gives it. */
  const idOf = (i: number): [string | undefined, string] => (i % 7 === 3 ? IDS[Math.floor(i / 7) % IDS.length]! : i % 23 === 5 ? [undefined, 'null'] : [JSON.stringify(`doc-${i}`), JSON.stringify(`doc-${i}`)]);
  const expected = docs.map((_, i) => idOf(i)[1]);
  /** A doc's url member and a comma (some simulated documents have no URL). */
  const urlOf = (d: (typeof docs)[number], sp = ''): string => (d.url !== undefined ? `"url":${sp}${JSON.stringify(d.url)},` : '');

  it('JSONL: a 25-digit id, 1.10, -0, 1e400, escapes, objects come out as written, read in place or parsed, at 1 and 2 threads', () => {
    const lines = docs.map((d, i) => {
      const id = idOf(i)[0];
      return `{${id !== undefined ? `"id": ${id} ,` : ''}${urlOf(d)}"text":${JSON.stringify(d.text)}}`;
    });
    const input = path.join(dir, 'ids.jsonl');
    fs.writeFileSync(input, lines.join('\n') + '\n');
    const outs: string[] = [];
    const files: string[] = [];
    for (const parseAll of ['0', '1']) {
      for (const threads of ['1', '2']) {
        const attrDir = path.join(dir, `ids-${parseAll}-${threads}`);
        const env: NodeJS.ProcessEnv = { BOILERSTRIP_CHUNK_BYTES: '32768', ...(parseAll === '1' ? { BOILERSTRIP_PARSE_ALL: '1' } : {}) };
        const r = run(['clean', input, '--quiet', '--attributes', attrDir, '--threads', threads], { env });
        expect(r.status, r.stderr).toBe(0);
        const file = path.join(attrDir, 'ids.jsonl');
        expect(idTexts(file), `parse all ${parseAll}, ${threads} threads`).toEqual(expected);
        outs.push(r.stdout);
        files.push(fs.readFileSync(file, 'utf8'));
      }
    }
    // The same output and attribute files every way; every line is JSON.
    for (const o of outs) expect(o).toBe(outs[0]);
    for (const f of files) expect(f).toBe(files[0]);
    const parsed = files[0]!.trim().split('\n').map((l) => JSON.parse(l) as { attributes: { boilerstrip__chrome: unknown[] } });
    expect(parsed.filter((a) => a.attributes.boilerstrip__chrome.length > 0).length).toBeGreaterThan(100);
  });

  it('a JSON array (pretty-printed) gives the same attribute lines as the same records on JSONL lines, ids as written', () => {
    // (The JSONL lines as the elements' own text is taken: no white space between tokens, in the ids too.)
    const jsonl = docs.map((d, i) => {
      const id = idOf(i)[0] !== undefined ? idOf(i)[1] : undefined;
      return `{${id !== undefined ? `"id":${id},` : ''}${urlOf(d)}"text":${JSON.stringify(d.text)}}`;
    });
    const elements = docs.map((d, i) => {
      const id = idOf(i)[0];
      return `  {\n${id !== undefined ? `    "id" : ${id},\n` : ''}    ${urlOf(d, ' ')}\n    "text": ${JSON.stringify(d.text)}\n  }`;
    });
    const input = path.join(dir, 'ids-array.json');
    fs.writeFileSync(input, `[\n${elements.join(',\n')}\n]\n`);
    const lines = path.join(dir, 'ids-array.jsonl');
    fs.writeFileSync(lines, jsonl.join('\n') + '\n');
    const ref = run(['clean', lines, '--quiet', '--attributes', path.join(dir, 'ids-array-ref')]);
    expect(ref.status, ref.stderr).toBe(0);
    const want = fs.readFileSync(path.join(dir, 'ids-array-ref', 'ids-array.jsonl'), 'utf8');
    for (const threads of ['1', '2']) {
      const attrDir = path.join(dir, `ids-array-${threads}`);
      const r = run(['clean', input, '--quiet', '--attributes', attrDir, '--threads', threads]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(ref.stdout);
      const file = path.join(attrDir, 'ids-array.json');
      expect(idTexts(file), `${threads} threads`).toEqual(expected);
      expect(fs.readFileSync(file, 'utf8')).toBe(want);
    }
  });

  it('a dotted --id-field gives the nested member as written; a member of the whole dotted name wins', () => {
    const lines = docs.map((d, i) => {
      const id = idOf(i)[0];
      const meta = `"meta": {"lang": "ar"${id !== undefined ? `, "id": ${id}` : ''}}`;
      // (Some with a member literally named "meta.id", which getField takes first.)
      return i % 11 === 4 ? `{"meta.id": 7.50, ${meta}, ${urlOf(d)} "text": ${JSON.stringify(d.text)}}` : `{${meta}, ${urlOf(d, ' ')}"text": ${JSON.stringify(d.text)}}`;
    });
    const input = path.join(dir, 'ids-dotted.jsonl');
    fs.writeFileSync(input, lines.join('\n') + '\n');
    const files: string[] = [];
    for (const parseAll of ['0', '1']) {
      for (const threads of ['1', '2']) {
        const attrDir = path.join(dir, `ids-dotted-${parseAll}-${threads}`);
        const env: NodeJS.ProcessEnv = { BOILERSTRIP_CHUNK_BYTES: '32768', ...(parseAll === '1' ? { BOILERSTRIP_PARSE_ALL: '1' } : {}) };
        const r = run(['clean', input, '--quiet', '--id-field', 'meta.id', '--attributes', attrDir, '--threads', threads], { env });
        expect(r.status, r.stderr).toBe(0);
        const file = path.join(attrDir, 'ids-dotted.jsonl');
        expect(idTexts(file), `parse all ${parseAll}, ${threads} threads`).toEqual(expected.map((e, i) => (i % 11 === 4 ? '7.50' : e)));
        files.push(fs.readFileSync(file, 'utf8'));
      }
    }
    for (const f of files) expect(f).toBe(files[0]);
  });

  it('an id nested 5,000 deep (read in place) or 40,000 deep (left to JSON.parse) is written as it is: no stack overflow', () => {
    const deep = (n: number): string => '['.repeat(n) + '1.0' + ']'.repeat(n);
    const lines = docs.slice(0, 60).map((d, i) => {
      const id = i === 10 ? deep(5000) : i === 20 ? `{"a": ${deep(5000)}}` : i === 30 ? deep(40000) : JSON.stringify(`doc-${i}`);
      return `{"id":${id},${urlOf(d)}"text":${JSON.stringify(d.text)}}`;
    });
    const input = path.join(dir, 'ids-deep.jsonl');
    fs.writeFileSync(input, lines.join('\n') + '\n');
    const want = docs.slice(0, 60).map((_, i) => (i === 10 ? deep(5000) : i === 20 ? `{"a":${deep(5000)}}` : i === 30 ? deep(40000) : JSON.stringify(`doc-${i}`)));
    for (const parseAll of ['0', '1']) {
      for (const threads of ['1', '2']) {
        const attrDir = path.join(dir, `ids-deep-${parseAll}-${threads}`);
        const env: NodeJS.ProcessEnv = { BOILERSTRIP_CHUNK_BYTES: '32768', ...(parseAll === '1' ? { BOILERSTRIP_PARSE_ALL: '1' } : {}) };
        const r = run(['clean', input, '--quiet', '--attributes', attrDir, '--threads', threads], { env });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.trim().split('\n').length).toBe(60);
        expect(idTexts(path.join(attrDir, 'ids-deep.jsonl')), `parse all ${parseAll}, ${threads} threads`).toEqual(want);
      }
    }
  });
});
