import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decode, encode, textBlocks } from '../src/io/blocks.js';
import { readSources, isBad, eachJsonlBytes, parseJsonlBlock, type InputSource, type ReadItem } from '../src/io/input.js';
import { findTopLevelValue, spliceRecord } from '../src/record.js';
import type { Span } from '../src/strip.js';

function chunked(buf: Buffer, sizes: number[]): Readable {
  const parts: Buffer[] = [];
  let p = 0;
  let k = 0;
  while (p < buf.length) {
    const n = sizes[k++ % sizes.length]!;
    parts.push(buf.subarray(p, p + n));
    p += n;
  }
  return Readable.from(parts, { objectMode: false });
}

async function readAll(buf: Buffer, sizes: number[], maxDocBytes?: number): Promise<ReadItem[]> {
  const src: InputSource = { name: '-', gzip: false, format: 'jsonl', bytes: -1 };
  const out: ReadItem[] = [];
  for await (const b of readSources([src], { stdin: chunked(buf, sizes), maxDocBytes })) out.push(...b);
  return out;
}

const LINES = ['{"id":1,"text":"شكرا على الإبلاغ! 🙂 ٣"}', '{"id":2,"text":"ünïcödé\\nline two"}', '{"id":3,"text":"ﻻ إله"}'];

describe('reading JSONL', () => {
  it('gives the same records whatever the chunk sizes, even cut inside multi-byte characters', async () => {
    const buf = Buffer.from(LINES.join('\n') + '\n', 'utf8');
    const expected = await readAll(buf, [buf.length]);
    expect(expected.map((r) => (r as { value: unknown }).value)).toEqual(LINES.map((l) => JSON.parse(l)));
    for (let cut = 1; cut < buf.length; cut++) {
      const got = await readAll(buf, [cut, buf.length]);
      expect(got, `cut at byte ${cut}`).toEqual(expected);
    }
    for (const size of [1, 2, 3, 5, 7]) expect(await readAll(buf, [size])).toEqual(expected);
  });

  it('handles CRLF, a BOM, blank lines, a last line without newline, and an empty input', async () => {
    const buf = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${LINES[0]}\r\n\r\n${LINES[1]}\r\n${LINES[2]}`)]);
    const got = await readAll(buf, [4]);
    expect(got.map((r) => (r as { line: number }).line)).toEqual([1, 3, 4]);
    expect(got.every((r) => !isBad(r))).toBe(true);
    expect(await readAll(Buffer.alloc(0), [1])).toEqual([]);
  });

  it('reports bad lines with their source line numbers, after skipped ones too', async () => {
    const buf = Buffer.from(`${LINES[0]}\n{"broken": \n[1,2]\n\n${LINES[1]}\n"just a string"\n`);
    const got = await readAll(buf, [3]);
    const bad = got.filter(isBad);
    expect(bad.map((b) => [b.line, b.code])).toEqual([
      [2, 'E_JSON'],
      [3, 'E_RECORD'],
      [6, 'E_RECORD'],
    ]);
    expect(got.filter((r) => !isBad(r)).map((r) => r.line)).toEqual([1, 5]);
  });

  it('turns invalid UTF-8 into U+FFFD without losing the record', async () => {
    const buf = Buffer.concat([Buffer.from('{"text":"ab'), Buffer.from([0xff, 0xfe, 0xd8]), Buffer.from('cd شكرا"}\n')]);
    const got = await readAll(buf, [2]);
    expect(got).toHaveLength(1);
    expect((got[0] as { value: { text: string } }).value.text).toContain('\ufffd');
  });

  it('rejects a record over --max-doc-bytes without buffering it, then goes on', async () => {
    const big = `{"text":"${'x'.repeat(10_000)}"}`;
    const buf = Buffer.from(`${LINES[0]}\n${big}\n${LINES[1]}\n`);
    const got = await readAll(buf, [1000], 2000);
    expect(got.map((r) => (isBad(r) ? `bad:${r.line}:${r.code}` : `ok:${r.line}`))).toEqual(['ok:1', 'bad:2:E_DOC_TOO_LARGE', 'ok:3']);
  });

  it('reads gzip (multi-member) and numbers lines across members', async () => {
    const gz = Buffer.concat([gzipSync(`${LINES[0]}\n`), gzipSync(`${LINES[1]}\n{bad\n`)]);
    const got = await readAll(gz, [5]);
    expect(got.map((r) => (isBad(r) ? `bad:${r.line}` : `ok:${r.line}`))).toEqual(['ok:1', 'ok:2', 'bad:3']);
  });

  it('reads on past zero padding between gzip members; zeros to the end are padding; zeros then other bytes are a corrupt stream', async () => {
    const a = gzipSync(`${LINES[0]}\n`);
    const b = gzipSync(`${LINES[1]}\n${LINES[2]}\n`);
    const z = (n: number): Buffer => Buffer.alloc(n);
    const lines = (items: ReadItem[]): string[] => items.map((r) => (isBad(r) ? `bad:${r.line}` : `ok:${r.line}`));
    // (Cut in every way: zeros at a chunk's start or end, the magic split between chunks.)
    for (const sizes of [[1], [2], [5], [7, 1000], [a.length], [a.length + 1], [1 << 20]]) {
      const three = ['ok:1', 'ok:2', 'ok:3'];
      for (const [padded, want] of [[Buffer.concat([a, z(1), b]), three], [Buffer.concat([a, z(1000), b, z(3), a]), [...three, 'ok:4']], [Buffer.concat([a, b, z(4096)]), three]] as const) {
        expect(lines(await readAll(padded, sizes)), `${sizes}`).toEqual(want);
      }
      await expect(readAll(Buffer.concat([a, z(10), Buffer.from('junk\n')]), sizes)).rejects.toThrow(
        `-: gzip stream is corrupt: 10 zero bytes at byte ${a.length} are followed by bytes that do not start a gzip member (byte ${a.length + 10})`,
      );
      await expect(readAll(Buffer.concat([a, z(10), b.subarray(0, 1)]), sizes)).rejects.toThrow('-: gzip stream is truncated');
      await expect(readAll(Buffer.concat([a, z(10), b.subarray(0, 20)]), sizes)).rejects.toThrow('-: gzip stream is truncated');
    }
  });

  it('textBlocks keeps line numbers across blocks', async () => {
    const text = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const blocks = [];
    for await (const b of textBlocks(Readable.from([Buffer.from(text)]), { file: 'x', blockBytes: 100 })) blocks.push(b);
    let line = 1;
    for (const b of blocks) {
      if (b.kind !== 'text') throw new Error('unexpected');
      expect(b.firstLine).toBe(line);
      line += b.text.split('\n').length - 1;
    }
    expect(line).toBe(1001);
  });
});

describe('a chunk decoded line by line (eachJsonlBytes)', () => {
  const arabic = 'قال الجيش السوري يوم السبت إن العشرات من جنوده قتلوا في هجوم كبير';
  const lines = [
    JSON.stringify({ text: arabic }),
    '',
    '   ',
    // U+0A30 U+0100 is 30 0A 00 01 in UTF-16LE: "0A 00" at an odd offset is no newline.
    JSON.stringify({ text: `${arabic} \u0a30\u0100 \u0a0a\u0a00` }),
    `${JSON.stringify({ text: arabic })}\r`,
    '{"text": broken',
    '[1, 2]',
    JSON.stringify({ text: 'a\u2028b\u0000c', n: 1 }),
    JSON.stringify({ text: arabic.repeat(40) }),
  ];
  const calls = (f: (onBad: (file: string, line: number) => void) => ReadItem[]): { items: ReadItem[]; invalid: number[] } => {
    const invalid: number[] = [];
    return { items: f((_f, l) => void invalid.push(l)), invalid };
  };
  it.each([
    ['mostly Arabic (transcoded once, a string per line)', (l: string[]) => l.join('\n')],
    ['mostly ASCII (V8 decoder per line)', (l: string[]) => ['{"text":"' + 'x'.repeat(5000) + '"}', ...l].join('\n')],
    ['with a final newline', (l: string[]) => l.join('\n') + '\n'],
    ['invalid UTF-8 (decoded whole, as before)', (l: string[]) => l.join('\n').replace('broken', '\udc80broken')],
  ])('gives what decoding the whole chunk gives: %s', (_name, make) => {
    let bytes = Buffer.from(make(lines), 'utf8');
    if (_name.startsWith('invalid')) bytes = Buffer.concat([bytes, Buffer.from([0x0a, 0xff, 0xfe, 0x0a])]);
    const d = decode(bytes);
    const whole = calls((onInvalidUtf8) => parseJsonlBlock(d.text, 'f', 1, d.invalid, { onInvalidUtf8 }));
    const byLine = calls((onInvalidUtf8) => {
      const items: ReadItem[] = [];
      eachJsonlBytes(bytes, 'f', 1, { onInvalidUtf8 }, (r) => void items.push(r));
      return items;
    });
    expect(byLine).toEqual(whole);
    expect(whole.items.filter((r) => !isBad(r)).length).toBeGreaterThanOrEqual(4);
    expect(whole.items.filter((r) => isBad(r)).map((r) => r.line)).toContain(_name.startsWith('mostly ASCII') ? 7 : 6);
  });
});

describe('splicing cleaned text into JSON lines', () => {
  it('replaces only the top-level text value; other fields pass byte for byte', () => {
    const raw = '{"id": 1.0, "meta": {"text": "nested"}, "text" : "old \\"q\\" text", "n": 1e3, "u":"\\u00e9"}';
    const out = spliceRecord(raw, 'text', 'new', null);
    expect(out).toBe('{"id": 1.0, "meta": {"text": "nested"}, "text" : "new", "n": 1e3, "u":"\\u00e9"}');
    expect(JSON.parse(out).meta.text).toBe('nested');
  });

  it('copies the kept ranges from the line as JSON.stringify would write them, else escapes the text anew', () => {
    const cases = [
      '{"id":1,"text":"a\\nb \\"q\\" \\\\ c\\td\\ne","x":"\\/"}',
      '{"text":"\\u00e9t\\u00e9\\nline two\\nthree","id":2}',
      '{"text":"one\\/two\\nthree\\nfour"}',
      '{"text":"\\u0001 ctl\\nkept\\ngone"}',
      '{"text":"\\"\\\\\\"\\n\\b\\f\\r"}',
    ];
    for (const raw of cases) {
      const text = (JSON.parse(raw) as { text: string }).text;
      for (let s = 0; s <= text.length; s++) {
        for (let e = s; e <= text.length; e++) {
          for (const spans of [[[s, e, 'line']], [[0, s, 'line'], [e, text.length, 'gap']], [[s, e, 'line'], [e, text.length, 'gap']]] as Span[][]) {
            const cut = spans.filter((sp) => sp[1] > sp[0]);
            let kept = '';
            let x = 0;
            for (const [a, b] of cut) {
              kept += text.slice(x, a);
              x = b;
            }
            kept += text.slice(x);
            expect(spliceRecord(raw, 'text', kept, null, { text, spans: cut })).toBe(spliceRecord(raw, 'text', kept, null));
          }
        }
      }
    }
  });

  it('escapes the text anew when the line does not hold that text (never copies past the value)', () => {
    // A text field shorter or longer than the text the spans are over: the copy would run past the value.
    const text = 'first line\nsecond line\nthird';
    const kept = 'first line\n';
    const spans: Span[] = [[11, text.length, 'line']];
    for (const raw of ['{"text":"short","id":"x\\ny"}', `{"text":${JSON.stringify(text + ' and more')}}`, '{"text":"a","text":"first line\\nsecond line"}']) {
      expect(spliceRecord(raw, 'text', kept, null, { text, spans })).toBe(spliceRecord(raw, 'text', kept, null));
    }
  });

  it('takes the last of duplicate keys, like JSON.parse', () => {
    const raw = '{"text":"a","text":"b"}';
    const r = findTopLevelValue(raw, 'text')!;
    expect(raw.slice(r[0], r[1])).toBe('"b"');
  });

  it('appends an annotation field', () => {
    expect(spliceRecord('{"text":"x"}', 'text', null, { field: 'spans', json: '[[0,1,"line"]]' })).toBe('{"text":"x","spans":[[0,1,"line"]]}');
    expect(JSON.parse(spliceRecord('{ }', 'text', null, { field: 'spans', json: '[]' }))).toEqual({ spans: [] });
  });
});

describe('encoding output', () => {
  it('gives the bytes Buffer.from gives, on every kind of string (lone surrogates included)', () => {
    let seed = 7;
    const rnd = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const alphabet = ['a', ' ', '\n', 'é', 'ش', 'كرا', '\u00a0', '😀', '\ud800', '\udc00', '"', '\u0000'];
    for (let k = 0; k < 60; k++) {
      const n = [10, 5000, 20000][k % 3]!;
      let s = '';
      // Some strings are all ASCII, some Arabic, some mixed; a few carry a lone surrogate.
      const pool = k % 4 === 0 ? alphabet.slice(0, 3) : k % 4 === 1 ? alphabet.slice(0, 8) : alphabet;
      while (s.length < n) s += pool[rnd(pool.length)];
      expect(encode(s).equals(Buffer.from(s, 'utf8'))).toBe(true);
    }
  });
});

describe('reading a JSON array (stream-json)', () => {
  const readJson = async (buf: Buffer, sizes: number[], maxDocBytes?: number, invalid?: number[]): Promise<string[]> => {
    const src: InputSource = { name: '-', gzip: false, format: 'json', bytes: -1 };
    const out: string[] = [];
    const onInvalidUtf8 = (_f: string, line: number): void => void invalid?.push(line);
    for await (const b of readSources([src], { stdin: chunked(buf, sizes), maxDocBytes, onInvalidUtf8 })) {
      for (const it of b) {
        // A record's raw text is its value's (pass 2 writes it back: see 'keeps the text of each object element').
        if (!isBad(it)) expect(JSON.stringify(JSON.parse(it.raw!))).toBe(JSON.stringify(it.value));
        out.push(isBad(it) ? `${it.line} ${it.code} ${it.message}` : `${it.line} ${JSON.stringify(it.value)}`);
      }
    }
    return out;
  };
  /** Each item as its raw text (a record) or its code and message. */
  const readRaw = async (text: string, sizes: number[], maxDocBytes?: number): Promise<string[]> => {
    const src: InputSource = { name: '-', gzip: false, format: 'json', bytes: -1 };
    const out: string[] = [];
    for await (const b of readSources([src], { stdin: chunked(Buffer.from(text), sizes), maxDocBytes })) {
      for (const it of b) out.push(isBad(it) ? `${it.code} ${it.message.slice(0, 60)}` : `${it.line} ${it.raw}`);
    }
    return out;
  };
  /** JSON text with the white space between its tokens left out (strings kept as they are). */
  const minify = (s: string): string => s.replace(/"(?:[^"\\]|\\.)*"|[ \t\r\n]+/g, (m) => (m.startsWith('"') ? m : ''));
  const values = [
    { id: 1, text: 'شكرا على الإبلاغ! 🙂 ٣', n: [1.5, -0, 1e21, true, null], o: { 'ключ': 'q"uo\\te\n' } },
    { id: 2, text: '\ud800 lone, \u2028, \u0000', __proto__x: {} },
    JSON.parse('{"__proto__": {"a": 1}, "text": "own key", "dup": 1, "dup": 2}') as Record<string, unknown>,
    { id: 4, text: 'x'.repeat(70_000) },
  ];

  it('gives the values JSON.parse gives and the line each element starts on, whatever the chunk sizes', async () => {
    for (const indent of [0, 2]) {
      const text = JSON.stringify(values, null, indent);
      const want: string[] = [];
      let line = 1;
      for (const v of values) {
        if (indent > 0) line = text.slice(0, text.indexOf(JSON.stringify(v, null, indent).split('\n').join('\n  '))).split('\n').length;
        want.push(`${line} ${JSON.stringify(v)}`);
      }
      for (const sizes of [[1], [7, 3], [65_537], [1 << 20]]) expect(await readJson(Buffer.from(text), sizes)).toEqual(want);
    }
    expect(JSON.parse((await readJson(Buffer.from(JSON.stringify(values)), [5]))[2]!.replace(/^\d+ /, ''))).toEqual(values[2]);
  });

  it('keeps the text of each object element as written, white space between tokens left out, whatever the chunk sizes (a break, a dropped element)', async () => {
    const objects = [
      '{"id": 12345678901234567890123, "n": 1.10, "big": 1e400, "z": -0, "e": -1.5E-7, "zero": 0.0}',
      '{\n\t"text" : "a \\"quoted\\" {[ text ]},\\t \\\\", \r\n "u": "\\u00e9\\/\\ud83d\\ude42 \u00e9 ",\n  "o": {"k\\u0065y": [1 , 2.50 , {"deep": "x  y"}], "empty": { }, "arr": [ ]}\n}',
      '{"t\\u0065xt": "escaped key", "dup": 1, "dup": 2.0, "__proto__": {"a": 1.0}}',
      `{"text": "${'z'.repeat(70_000)}", "id": 1E2}`,
      `{"text": "${'\\\\'.repeat(5)}\\" ] } ", "x": 0.10, "y": [ 1.0, -0.0 ]}`,
      '{}',
    ];
    const others = ['42', '"a string {"', '[{"inner": 1}]', 'null'];
    const rejects = ['E_RECORD array element 2 is a number, not a JSON object', 'E_RECORD array element 4 is a string, not a JSON object', 'E_RECORD array element 6 is an array, not a JSON object', 'E_RECORD array element 8 is null, not a JSON object'];
    const elems = objects.flatMap((o, i) => (i < others.length ? [o, others[i]!] : [o]));
    const want = (text: string): string[] => elems.map((e) => (objects.includes(e) ? `${text.slice(0, text.indexOf(e)).split('\n').length} ${minify(e)}` : rejects[others.indexOf(e)]!));
    for (const [i, text] of [`[${elems.join(',')}]`, `[\n  ${elems.join(',\n  ')}\n]\n`, `\ufeff [ ${elems.join(' ,\r\n\t')} ] `].entries()) {
      for (const sizes of [...(i === 2 ? [[1]] : []), [7, 3], [65_537], [1 << 20]]) expect(await readRaw(text, sizes), `${sizes}`).toEqual(want(text));
    }
    // The same elements read by the byte scan after a break (each tokenized again), whatever the chunk sizes.
    const text = `[{"text": nope},\n${elems.join(',\n')}]`;
    for (const sizes of [[1], [7, 3], [1 << 20]]) {
      expect(await readRaw(text, sizes), `${sizes}`).toEqual(['E_JSON invalid JSON in array element 1: Parser cannot parse input: ', ...want(text).map((l) => l.replace(/array element (\d+)/, (_, k: string) => `array element ${Number(k) + 1}`))]);
    }
    // One object: the file's record.
    expect(await readRaw(objects[1]!, [3])).toEqual([`1 ${minify(objects[1]!)}`]);
    // An element over --max-doc-bytes is dropped, the others keep their own text (before and after a break).
    const small = ['{"text": "a",\n "n": 1.50}', '{"text":"b", "n": 2.50}'];
    for (const broken of ['', '{"text": nope},']) {
      const t = `[${broken}${small[0]}, {"text": "${'x'.repeat(100)}"}, ${small[1]}]`;
      const got = (await readRaw(t, [5], 40)).filter((l) => !l.startsWith('E_JSON'));
      expect(got).toEqual([`1 ${minify(small[0]!)}`, expect.stringMatching(/^E_DOC_TOO_LARGE array element \d is 111 bytes/), `2 ${minify(small[1]!)}`]);
    }
  });

  it('a broken element is parsed by stream-json and rejected alone, whatever the chunk sizes', async () => {
    const text = `[\n{"text":"a"},\n{"text": nope},\n"str" , {"text":"b"},\n{"text":"c"}\n]\n`;
    const want = [
      '2 {"text":"a"}',
      '3 E_JSON invalid JSON in array element 2: Parser cannot parse input: expected a value',
      '4 E_RECORD array element 3 is a string, not a JSON object',
      '4 {"text":"b"}',
      '5 {"text":"c"}',
    ];
    for (const sizes of [[1], [2, 5], [1 << 20]]) expect(await readJson(Buffer.from(text), sizes)).toEqual(want);
  });

  it('an element past the bytes kept to read again, then a broken one on the same line: each alone', async () => {
    const big = 'y'.repeat(5 << 20);
    const text = `[{"text":"a"},{"text":"${big}"},{"text": nul},{"text":"b"}]`;
    const out = await readJson(Buffer.from(text), [1 << 20]);
    expect(out.map((l) => l.slice(0, 60))).toEqual([
      '1 {"text":"a"}',
      `1 {"text":"${'y'.repeat(49)}`,
      '1 E_JSON invalid JSON in array element 3: Parser cannot pars',
      '1 {"text":"b"}',
    ]);
    expect(out[1]).toBe(`1 {"text":"${big}"}`);
  });

  it('counts an element by its tokens for --max-doc-bytes, and names invalid UTF-8 by the element it is in', async () => {
    expect(await readJson(Buffer.from('[{"text":"abcdefghij"},{"text":"abcdefghijk"}]'), [3], 21)).toEqual([
      '1 {"text":"abcdefghij"}',
      '1 E_DOC_TOO_LARGE array element 2 is 22 bytes, over --max-doc-bytes 21',
    ]);
    const invalid: number[] = [];
    const buf = Buffer.concat([Buffer.from('[\n{"text":"a"},\n{"text":"b'), Buffer.from([0xff]), Buffer.from('"},\n{"text":"\ufffd"}]')]);
    expect(await readJson(buf, [4], undefined, invalid)).toEqual(['2 {"text":"a"}', '3 {"text":"b\ufffd"}', '4 {"text":"\ufffd"}']);
    expect(invalid).toEqual([3]);
  });
});
