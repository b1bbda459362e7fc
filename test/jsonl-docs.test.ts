import { describe, expect, it } from 'vitest';
import { KERNEL } from '../src/analyze.js';
import { docOf, isDoc, pageDocOf } from '../src/doc.js';
import { htmlDoc } from '../src/html/page.js';
import { eachJsonlBytes, isBad, type ReadItem } from '../src/io/input.js';
import { JsonlInPlace } from '../src/jsonl-docs.js';
import { compactJson, fieldJson, resolveFields, type FieldOptions } from '../src/record.js';
import { rng } from './helpers/rng.js';

// Pass 1 reads JSONL records in place (asm/json.ts, src/jsonl-docs.ts) instead of JSON.parse. Two things must
// hold: the scanner takes a line exactly when JSON.parse gives an object (so no record changes route), with
// the same member values; and the documents read in place are the documents docOf gives for the same lines.

/** A random JSON value as text (valid), with the string shapes that matter: escapes, astral, lone surrogates. */
function jsonValue(r: () => number, depth: number): string {
  const k = Math.floor(r() * (depth > 3 ? 5 : 8));
  if (k === 0) return jsonString(r);
  if (k === 1) return ['0', '-0', '12', '-3.25', '1e5', '2E-3', '0.5e+2', '123456789012345678901234567890'][Math.floor(r() * 8)]!;
  if (k === 2) return ['true', 'false', 'null'][Math.floor(r() * 3)]!;
  if (k === 3 || k === 4) return jsonString(r);
  const n = Math.floor(r() * 4);
  const items: string[] = [];
  for (let i = 0; i < n; i++) items.push(k === 5 ? jsonValue(r, depth + 1) : `${jsonString(r)}${ws(r)}:${ws(r)}${jsonValue(r, depth + 1)}`);
  return k === 5 ? `[${ws(r)}${items.join(`${ws(r)},${ws(r)}`)}${ws(r)}]` : `{${ws(r)}${items.join(`${ws(r)},${ws(r)}`)}${ws(r)}}`;
}

function ws(r: () => number): string {
  return r() < 0.7 ? '' : [' ', '\t', '\r', '  '][Math.floor(r() * 4)]!;
}

const PIECES = ['a', 'text', 'url', 'نشر في', 'يوم 12 - 03 - 2016', '\u00a0\u00a0', '😀', 'é', '\\n', '\\"', '\\\\', '\\/', '\\b', '\\f', '\\r', '\\t', '\\u0041', '\\u00e9', '\\uD83D\\uDE00', '\\ud800', '\\uDFFF', '\\u2028', ' ', 'x'.repeat(9)];

function jsonString(r: () => number): string {
  const n = Math.floor(r() * 6);
  let s = '"';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)];
  return `${s}"`;
}

/** A record line: members text, url and others in random order, sometimes duplicated. */
function recordLine(r: () => number): string {
  const members: string[] = [];
  const n = 1 + Math.floor(r() * 5);
  for (let i = 0; i < n; i++) {
    const key = ['"text"', '"url"', '"id"', '"meta"', '"t\\u0065xt"', '""', '"نص"'][Math.floor(r() * 7)]!;
    const value = key === '"text"' && r() < 0.8 ? jsonString(r) : jsonValue(r, 1);
    members.push(`${ws(r)}${key}${ws(r)}:${ws(r)}${value}${ws(r)}`);
  }
  return `${ws(r)}{${members.join(',')}}${ws(r)}`;
}

/** A line broken the ways hand-edited and truncated dumps are. */
function mutate(r: () => number, line: string): string {
  const i = Math.floor(r() * (line.length + 1));
  const k = Math.floor(r() * 6);
  const junk = [',', '"', '\\', '}', ']', '{', ':', '0', '-', '.', 'e', 'u', '\u0001', ' ', 'tru', 'nul'][Math.floor(r() * 16)]!;
  if (k === 0) return line.slice(0, i);
  if (k === 1) return line.slice(0, i) + line.slice(i + 1);
  if (k === 2) return line.slice(0, i) + junk + line.slice(i);
  if (k === 3) return line.slice(0, i) + junk + line.slice(i + 1);
  if (k === 4) return `[${line}]`;
  return line.replace(/(\d)/, '0$1');
}

/** scanLine over one line: the member count, with the kernel's copy of it. */
function scan(line: string): number {
  const units = Buffer.from(line, 'utf16le');
  expect(KERNEL.loadBlock(units)).toBe(true);
  return KERNEL.scanLine(0, units.length);
}

/** The scanned members as [key, value] (string values decoded by the kernel; others parsed from their text). */
function members(line: string, n: number): [string, unknown][] {
  const base = KERNEL.blockAddress;
  const out: [string, unknown][] = [];
  for (let i = 0; i < n; i++) {
    const o = KERNEL.membersIx + 5 * i;
    const [ks, ke, vs, ve, flags] = [0, 1, 2, 3, 4].map((j) => KERNEL.i32[o + j]!);
    const key = KERNEL.loadedText(KERNEL.decodeString(ks!, ke!));
    const value = (flags! & 15) === 1 ? KERNEL.loadedText(KERNEL.decodeString(vs!, ve!)) : JSON.parse(line.slice((vs! - base) / 2, (ve! - base) / 2));
    out.push([key, value]);
  }
  return out;
}

function parsed(line: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(line) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

describe('the JSON scanner (asm/json.ts)', () => {
  it('takes a line exactly when JSON.parse gives an object, with the same members (fuzz: valid and broken lines)', () => {
    const r = rng(20261201);
    let valid = 0;
    let broken = 0;
    for (let t = 0; t < 6000; t++) {
      const good = recordLine(r);
      const line = t % 2 === 0 ? good : mutate(r, good);
      const n = scan(line);
      const obj = parsed(line);
      if (obj === null) {
        expect(n, line).toBe(-1);
        broken++;
        continue;
      }
      expect(n, line).toBeGreaterThanOrEqual(0);
      valid++;
      const got = members(line, n);
      // JSON.parse keeps the last of duplicate keys, in the place of the first.
      const last = new Map<string, unknown>();
      for (const [k, v] of got) last.set(k, v);
      expect(Object.keys(obj).length, line).toBe(last.size);
      for (const [k, v] of last) expect(v, `${line} [${k}]`).toEqual(obj[k]);
    }
    expect(valid).toBeGreaterThan(3000);
    expect(broken).toBeGreaterThan(1500);
  });

  it('refuses what JSON.parse refuses, case by case', () => {
    const bad = ['{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":1e}', '{"a":+1}', '{"a":-}', '{"a":tru}', '{"a":nulll}', '{"a":True}', '{"a":"\\x"}', '{"a":"\\u12G4"}', '{"a":"\t"}', '{"a":1,}', '{,"a":1}', '{"a" 1}', "{'a':1}", '{"a":[1,]}', '{"a":[1 2]}', '{"a":{"b"}}', '{"a":1}}', '{"a":1} x', '\ufeff{"a":1}', '{"a":1\u00a0}', '{"a":NaN}', '{"a":[}', '{"a":"b}'];
    for (const line of bad) {
      expect(parsed(line), line).toBeNull();
      expect(scan(line), line).toBe(-1);
    }
    expect(scan('[1]')).toBe(-1);
    expect(scan('"text"')).toBe(-1);
    expect(scan(' {} ')).toBe(0);
    expect(scan('{"a":[[[{"b":[]}]]],"c":-0.5E+10}')).toBe(2);
  });

  it('leaves lines nested deeper than its stack, or with too many members, to JSON.parse', () => {
    const deep = `{"a":${'['.repeat(40000)}${']'.repeat(40000)}}`;
    expect(scan(deep)).toBe(-3);
    const wide = `{${Array.from({ length: 300 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    expect(scan(wide)).toBe(-2);
  });
});

/** The documents of a block as docOf gives them, and as read in place (with how many lines it took). */
function documents(block: string, fo: FieldOptions, inPlace: boolean, maxDocBytes = 4000): { docs: string[]; taken: number } {
  const f = resolveFields(fo);
  const docs: string[] = [];
  const sink = (item: ReadItem): boolean => {
    if (isBad(item)) docs.push(`bad ${item.line} ${item.code} ${item.message}`);
    else {
      const d = docOf(item.value as Record<string, unknown>, f);
      docs.push(isDoc(d) ? `doc ${d.html ? 'html' : 'text'} ${JSON.stringify(d.site)} ${JSON.stringify(d.text)}` : `none ${d.problem}`);
    }
    return true;
  };
  const reader: JsonlInPlace = new JsonlInPlace(
    f,
    (text, site) => {
      // The text is in the kernel's text area too (analyzeLoaded reads it there).
      expect(KERNEL.loadedText(text.length)).toBe(text);
      expect(text.length).toBeGreaterThan(0);
      docs.push(`doc text ${JSON.stringify(site)} ${JSON.stringify(text)}`);
    },
    (length, site) => {
      const html = reader.html();
      expect(html.length).toBe(length);
      const d = pageDocOf(htmlDoc(html), site, f);
      docs.push(isDoc(d) ? `doc ${d.html ? 'html' : 'text'} ${JSON.stringify(d.site)} ${JSON.stringify(d.text)}` : `none ${d.problem}`);
    },
  );
  eachJsonlBytes(Buffer.from(block, 'utf8'), 'f.jsonl', 1, { maxDocBytes }, sink, inPlace ? reader : undefined);
  return { docs, taken: reader.taken };
}

describe('records read in place (jsonl-docs.ts)', () => {
  const lines = [
    '{"id":1,"url":"https://www.Example.com/a","text":"نشر في الرياض يوم 12 - 03 - 2016\\nالخبر"}',
    '{"text":"second\\r\\nline \\ud83d\\ude00 \\u00e9","url":"http://news.example.org:8080/x?y"}',
    '{"url":"https://a.example/1","text":""}',
    '{"url":"https://a.example/2","text":null}',
    '{"url":"https://a.example/3","text":42}',
    '{"url":"https://a.example/4"}',
    '{"url":"https://a.example/5","text":"a","text":"the last text"}',
    '{"url":"https://a.example/6","html":"<p>an HTML page</p>"}',
    '{"url":"https://a.example/7","html":"<p>page</p>","text":"both fields"}',
    '{"url":"https://a.example/8","t\\u0065xt":"an escaped key"}',
    '{"url":"https:\\/\\/b.example\\/9","text":"an escaped URL"}',
    '{"url":7,"text":"a URL that is a number"}',
    '{"meta":{"url":"https://nested.example/"},"text":"nested URL"}',
    '{"url":"https://a.example/10","text":"crlf line"}\r',
    '   ',
    '{"url":"https://a.example/11","text":"bad" ',
    '["an","array"]',
    '\ufeff{"text":"a BOM"}',
    `{"text":"${'long '.repeat(1000)}"}`,
    '{"site":"Given.Site","url":"https://a.example/12","text":"site field"}',
    '{"body":"another text field","url":"https://a.example/13"}',
    '{"meta.url":"https://dotted.example/","text":"a member named with a dot"}',
  ];
  const block = `${lines.join('\n')}\n\n`;

  for (const [name, fo] of [
    ['default fields', {}],
    ['a site field and another text field', { siteField: 'site', textField: 'body' }],
    ['a URL on a path', { urlField: 'meta.url' }],
    ['an HTML field named', { htmlField: 'html' }],
  ] as [string, FieldOptions][]) {
    it(`gives the documents docOf gives (${name})`, () => {
      const want = documents(block, fo, false);
      const got = documents(block, fo, true);
      expect(got.docs).toEqual(want.docs);
      expect(got.taken).toBeGreaterThan(0);
    });
  }

  it('reads the common record in place, and leaves the odd ones to JSON.parse', () => {
    const got = documents(block, {}, true);
    // Taken: lines 1, 2, 7 (duplicate key), 11 (escaped URL), 13, 20 and 22 (members not asked for), 14 (CRLF), 8 (an HTML page).
    // Left: an empty, null, number or no text, a text beside HTML, an escaped key, a numeric URL, bad JSON, an array, a BOM; too long goes to the parser unread.
    expect(got.taken).toBe(9);
  });

  it('follows a dotted field name into nested objects as getField does (Dolma: metadata.url)', () => {
    const dolma = [
      '{"id":"a","text":"one","metadata":{"url":"https://www.dolma.example/1","lang":"ar"}}',
      '{"id":"b","text":"two","metadata":{"url":"https://first.example/"},"metadata":{"url":"https://last.example/"}}',
      '{"id":"c","text":"three","metadata":{"lang":"ar"}}',
      '{"id":"d","text":"four","metadata":null}',
      '{"id":"e","text":"five","metadata":["https://array.example/"]}',
      '{"id":"f","text":"six","metadata":"https://string.example/"}',
      '{"id":"g","text":"seven"}',
      '{"id":"h","text":"eight","metadata":{"url":42}}',
      '{"id":"i","text":"nine","metadata":{"u\\u0072l":"https://escaped.example/"}}',
      '{"id":"j","text":"ten","metadata.url":"https://whole.example/","metadata":{"url":"https://path.example/"}}',
      '{"id":"k","text":"eleven","metadata":{"url":"https:\\/\\/escaped-value.example\\/"}}',
      '{"id":"l","text":"twelve","metadata":{"src":{"url":"https://deep.example/"}}}',
    ];
    const block = `${dolma.join('\n')}\n`;
    for (const fo of [{ urlField: 'metadata.url' }, { urlField: 'metadata.src.url' }, { siteField: 'metadata.lang', urlField: 'metadata.url' }] as FieldOptions[]) {
      const got = documents(block, fo, true);
      expect(got.docs, JSON.stringify(fo)).toEqual(documents(block, fo, false).docs);
      // Left to JSON.parse: a URL that is a number (h), an escaped key on the path (i).
      expect(got.taken, JSON.stringify(fo)).toBe(fo.urlField === 'metadata.src.url' ? 11 : 10);
    }
  });

  it("gives the id member's text as written, white space between tokens left out, as fieldJson finds it in the line (fuzz)", () => {
    const r = rng(20260611);
    // White space outside strings removed another way than compactJson's.
    const minified = (s: string): string => s.replace(/"(?:[^"\\]|\\.)*"|[ \t\n\r]+/g, (m) => (m.startsWith('"') ? m : ''));
    const lines: string[] = [];
    for (let t = 0; t < 3000; t++) {
      const members = [`"text":${ws(r)}"t ${t}"`];
      const ids = t % 10 === 0 ? 0 : t % 10 === 1 ? 2 : 1;
      for (let k = 0; k < ids; k++) members.push(`${ws(r)}"id"${ws(r)}:${ws(r)}${jsonValue(r, 1)}${ws(r)}`);
      if (r() < 0.5) members.push(`"url":"https://a.example/${t}"`);
      if (r() < 0.5) members.push(`"meta":${jsonValue(r, 1)}`);
      lines.push(`{${members.sort(() => r() - 0.5).join(',')}}`);
    }
    const got: [line: number, id: string][] = [];
    const reader: JsonlInPlace = new JsonlInPlace(resolveFields({}), () => {
      const id = reader.idJson();
      expect(id).not.toBeNull();
      got.push([reader.lineNo, id!]);
    });
    eachJsonlBytes(Buffer.from(lines.join('\n') + '\n', 'utf8'), 'f.jsonl', 1, {}, (item) => {
      expect(isBad(item)).toBe(false);
      return true;
    }, reader);
    expect(got.length).toBeGreaterThan(2900);
    for (const [n, id] of got) {
      const line = lines[n - 1]!;
      expect(id, line).toBe(fieldJson(line, 'id') ?? 'null');
      expect(id, line).toBe(minified(id));
      if (n % 10 !== 1) expect(minified(line), line).toContain(id); // (line n is record n - 1: n % 10 === 1 has no id)
      expect(JSON.parse(id), line).toEqual((JSON.parse(line) as { id?: unknown }).id ?? null);
    }
    // A string's own white space stays (escaped quotes and backslashes included).
    expect(compactJson('[ "a b" , {"c\\" d" :\t1 } ]')).toBe('["a b",{"c\\" d":1}]');
    expect(compactJson('"  x  "')).toBe('"  x  "');
  });

  it('leaves lines nested 200,000 deep (balanced or not) and very wide ones to JSON.parse, with the same documents', () => {
    const block = [
      `{"text":"deep","url":"https://a.example/1","x":${'['.repeat(200000)}${']'.repeat(200000)}}`,
      `{"text":"unbalanced","url":"https://a.example/2","x":${'['.repeat(200000)}}`,
      `{"text":"wide","url":"https://a.example/3",${Array.from({ length: 1000 }, (_, i) => `"k${i}":${i}`).join(',')}}`,
      '{"text":"plain","url":"https://a.example/4"}',
    ].join('\n');
    const got = documents(block, {}, true, 1e7);
    expect(got.docs).toEqual(documents(block, {}, false, 1e7).docs);
    expect(got.docs.filter((d) => d.startsWith('bad'))).toEqual([expect.stringMatching(/^bad 2 E_JSON/)]);
    expect(got.taken).toBe(1);
  });

  it('reads the same documents from every chunk of a random dump, line numbers and errors included', () => {
    const r = rng(7);
    const out: string[] = [];
    for (let i = 0; i < 400; i++) {
      if (i % 7 === 3) out.push(mutate(r, recordLine(r)));
      else if (i % 3 === 0) out.push(recordLine(r));
      else out.push(`{"id":${i},"url":"https://s${i % 5}.example/${i}","text":${jsonString(r)}}`);
    }
    const dump = out.join('\n');
    const got = documents(dump, {}, true);
    expect(got.docs).toEqual(documents(dump, {}, false).docs);
    expect(got.taken).toBeGreaterThan(200);
  });
});
