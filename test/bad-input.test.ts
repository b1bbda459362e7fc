import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, run, tmpdir } from './helpers/cli.js';
import { body } from './helpers/words.js';

const dir = tmpdir('bs-bad-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const corpus = (n: number): string => Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, text: `قائمة\n${body(i)}` })).join('\n') + '\n';
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function report(file: string): { records: { in: number; out: number; rejected: number; dropped: number; balanced: boolean; rejectedBy: Record<string, number>; invalidUtf8Lines: number } } {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** JSON text pretty-printed from its tokens (each number and string kept as written): members on lines of their own, nested objects indented. */
function pretty(json: string): string {
  let out = '';
  let ind = '\n';
  for (const t of json.match(/"(?:[^"\\]|\\.)*"|[^"]/g)!) {
    if (t === '{' || t === '[') out += t + (ind += '  ');
    else if (t === '}' || t === ']') out += (ind = ind.slice(0, -2)) + t;
    else if (t === ',') out += ',' + ind;
    else if (t === ':') out += ' : ';
    else out += t;
  }
  return out;
}

describe('a JSON array element is written back as read, as the same object on a JSONL line is', () => {
  // A site whose pages share a first and a last line (the run cleans them), in records holding what
  // JSON.parse and JSON.stringify would change: a 25-digit id, numbers spelled 1.10, 1e400, -0, -1.5E-7,
  // escapes, duplicate and escaped keys, __proto__, an escaped text, member order, nested objects.
  const text = (i: number): string => `قائمة الأخبار\n${body(i)}\nحقوق النشر محفوظة`;
  const id = (i: number): string => `12345678901234567890123${String(i).padStart(2, '0')}`;
  const numbers = '"n":1.10,"big":1e400,"z":-0,"e":-1.5E-7,"meta":{"score":0.50,"tags":["a\\u00e9\\/",1.0,{"deep":[-0.0]}]}';
  const url = (i: number): string => `"https://news.example/${i}"`;
  const record = (i: number): string => {
    const t = JSON.stringify(text(i));
    switch (i % 6) {
      case 1:
        return `{"text":${t},${numbers},"url":${url(i)},"id":${id(i)}}`;
      case 2:
        return `{"id":${id(i)},"text":"the first of two","url":${url(i)},${numbers},"text":${t}}`;
      case 3:
        return `{"id":${id(i)},"t\\u0065xt":${t},"url":${url(i)},${numbers}}`;
      case 4:
        return `{"id":${id(i)},"text":${t.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)},"url":${url(i)},${numbers}}`;
      case 5:
        return `{"__proto__":{"x":1.0},"id":${id(i)},"text":${t},"url":${url(i)},${numbers}}`;
      default:
        return `{"id":${id(i)},${numbers},"text":${t},"url":${url(i)}}`;
    }
  };
  const objects = [
    ...Array.from({ length: 18 }, (_, i) => record(i)),
    `{"id":${id(90)},"text":12.50,${numbers}}`,
    `{"id":${id(91)},"text":"",${numbers}}`,
    `{"id":${id(92)},"text":${JSON.stringify('قائمة الأخبار\nحقوق النشر محفوظة')},"url":${url(92)},${numbers}}`,
    `{"id":${id(93)},"url":${url(93)},"html":"<html><body><nav>Home<\\/nav><p>A page \\u00e9</p></body></html>",${numbers}}`,
    '{}',
  ];
  // The same objects on JSONL lines, in a JSON array on one line, one a line, and pretty-printed.
  const files = (name: string, objs: string[]): string[] => {
    const out = [`${name}.jsonl`, `${name}-compact.json`, `${name}-lines.json`, `${name}-pretty.json`].map((f) => path.join(dir, f));
    fs.writeFileSync(out[0]!, objs.join('\n') + '\n');
    fs.writeFileSync(out[1]!, `[${objs.join(',')}]`);
    fs.writeFileSync(out[2]!, `[\n${objs.join(',\n')}\n]\n`);
    fs.writeFileSync(out[3]!, pretty(`[${objs.join(',')}]`) + '\n');
    return out;
  };

  it('numbers, escapes and member order pass through; a pretty-printed element is one line, its tokens as written', () => {
    const [jsonl, , , prettyJson] = files('spelled', objects);
    expect(fs.readFileSync(prettyJson!, 'utf8')).toContain('\n      "score" : 0.50,\n');
    for (const f of [jsonl!, prettyJson!]) {
      const r = run(['clean', f, '--quiet']);
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines).toHaveLength(objects.length + 1);
      // The first record: cleaned, every other member as in the input.
      expect(lines[0]).toBe(objects[0]!.replace(JSON.stringify(text(0)), JSON.stringify(body(0))));
      expect(lines[0]).toContain(`{"id":1234567890123456789012300,"n":1.10,"big":1e400,"z":-0,"e":-1.5E-7,"meta":{"score":0.50,"tags":["a\\u00e9\\/",1.0,{"deep":[-0.0]}]},"text":`);
      // Records with nothing cleaned (a text that is not a string, an empty one, an empty object) as read.
      expect(lines.slice(18, 20)).toEqual(objects.slice(18, 20));
      expect(lines[22]).toBe('{}');
    }
  });

  it('a JSON array (compact, one element a line, pretty-printed) and the JSONL file of the same objects give the same bytes: clean, --annotate, --on-empty drop, --attributes, a dotted --text-field, --rejects, strip', () => {
    const [jsonl, ...arrays] = files('same', objects);
    for (const opts of [[], ['--annotate'], ['--on-empty', 'drop']]) {
      const want = run(['clean', jsonl!, '--quiet', ...opts]);
      expect(want.status, want.stderr).toBe(0);
      expect(want.stdout).toContain('1234567890123456789012300');
      for (const f of opts.length === 0 ? arrays : arrays.slice(2)) expect(run(['clean', f, '--quiet', ...opts]).stdout, `${f} ${opts}`).toBe(want.stdout);
    }
    // --attributes: each input's file (named as the input), the same lines.
    const attrs = path.join(dir, 'same-attrs');
    for (const f of [jsonl!, arrays[2]!]) expect(run(['clean', f, '--quiet', '--attributes', attrs]).status).toBe(0);
    const attrOf = (f: string): string => fs.readFileSync(path.join(attrs, path.basename(f)), 'utf8');
    expect(attrOf(arrays[2]!)).toBe(attrOf(jsonl!));
    expect(attrOf(jsonl!).split('\n')).toHaveLength(objects.length + 1);
    // A dotted --text-field: the text in a nested object (or a member named with the dot, which wins).
    const dotted = Array.from({ length: 12 }, (_, i) =>
      i % 4 === 3 ? `{"id":${id(i)},"body.text":${JSON.stringify(text(i))},"body":{"text":"not this"},"url":${url(i)}}` : `{"id":${id(i)},"body":{"n":1.10,"text":${JSON.stringify(text(i))},"z":-0},"url":${url(i)},"text":"not the text field"}`,
    );
    const [djsonl, ...darrays] = files('dotted', dotted);
    const dwant = run(['clean', djsonl!, '--text-field', 'body.text', '--quiet']);
    expect(dwant.status, dwant.stderr).toBe(0);
    expect(dwant.stdout).not.toContain('قائمة الأخبار');
    expect(run(['clean', darrays[2]!, '--text-field', 'body.text', '--quiet']).stdout).toBe(dwant.stdout);
    // A broken element and a broken line: the same records out; each rejection as --rejects writes it.
    const broken = [...objects.slice(0, 6), '{"text": nope}', ...objects.slice(6)];
    const [bjsonl, , , bpretty] = files('broken', broken);
    const outs = [bjsonl!, bpretty!].map((f) => {
      const rj = `${f}.rejects`;
      const r = run(['clean', f, '--on-error', 'skip', '--rejects', rj, '--quiet']);
      expect(r.status, r.stderr).toBe(0);
      return [r.stdout, fs.readFileSync(rj, 'utf8')];
    });
    expect(outs[1]![0]).toBe(outs[0]![0]);
    expect(outs[0]![1]).toBe('{"text": nope}\n');
    expect(JSON.parse(outs[1]![1]!)).toMatchObject({ boilerstrip_rejected: { file: bpretty, code: 'E_JSON' } });
    // strip with a model learned from the JSONL file: pass 2 alone.
    const m = path.join(dir, 'same.model');
    expect(run(['learn', jsonl!, '-m', m, '--quiet']).status).toBe(0);
    const swant = run(['strip', '-m', m, jsonl!, '--quiet']);
    expect(swant.status, swant.stderr).toBe(0);
    expect(swant.stdout).toContain('1234567890123456789012300');
    expect(run(['strip', '-m', m, arrays[2]!, '--quiet']).stdout).toBe(swant.stdout);
  });
});

describe('bad input', () => {
  it('a JSON array with a broken element: FILE:LINE error naming the element; with skip, that element is one rejection and the rest are read', () => {
    const f = path.join(dir, 'arr.json');
    fs.writeFileSync(f, `[\n${JSON.stringify({ text: 'a' })},\n${JSON.stringify({ text: 'b' })},\n{"text": nope}\n]\n`);
    const r = run(['clean', f, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${esc(f)}:4: invalid JSON in array element 3: `));
    const rep = path.join(dir, 'arr.report.json');
    const rj = path.join(dir, 'arr.rejects');
    const s = run(['clean', f, '--on-error', 'skip', '--report', rep, '--rejects', rj, '--quiet']);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout.trim().split('\n')).toEqual(['{"text":"a"}', '{"text":"b"}']);
    // The rejection has no line of its own: one JSON line names it.
    const rejected = fs.readFileSync(rj, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejected).toEqual([{ boilerstrip_rejected: { file: f, line: 4, code: 'E_JSON', error: expect.stringMatching(/^invalid JSON in array element 3/) } }]);
    expect(report(rep).records).toMatchObject({ in: 3, out: 2, rejected: 1, balanced: true });
    // A broken element among many on one line: every other element comes out.
    for (const before of [2, 2000]) {
      const g = path.join(dir, `arr-${before}.json`);
      const good = Array.from({ length: before }, (_, i) => JSON.stringify({ id: i, text: `عنصر ${i}` }));
      fs.writeFileSync(g, `[${good.join(',')},{"text": nope},${JSON.stringify({ id: -1, text: 'بعد' })}]`);
      const t = run(['clean', g, '--on-error', 'skip', '--report', rep, '--quiet']);
      expect(t.status, t.stderr).toBe(0);
      expect(t.stdout.trim().split('\n').map((l) => JSON.parse(l).id)).toEqual([...good.map((_, i) => i), -1]);
      expect(report(rep).records).toMatchObject({ in: before + 2, out: before + 1, rejected: 1, balanced: true });
    }
    // Truncated: the elements before the cut come out, the cut one is the rejection.
    const cut = path.join(dir, 'arr-cut.json');
    fs.writeFileSync(cut, `[\n{"text":"a"},\n{"text":"b`);
    const c = run(['clean', cut, '--on-error', 'skip', '--report', rep, '--quiet']);
    expect(c.stdout.trim().split('\n')).toEqual(['{"text":"a"}']);
    expect(report(rep).records).toMatchObject({ in: 2, out: 1, rejected: 1, balanced: true });
    expect(run(['clean', cut, '--quiet']).stderr).toMatch(new RegExp(`${esc(cut)}:3: invalid JSON: the file ends inside array element 2`));
  });

  it('JSON array elements: a non-object names its own line and 1-based number, and goes to --rejects wrapped; --max-doc-bytes holds per element; deep nesting is one rejection', () => {
    const n = path.join(dir, 'n.json');
    fs.writeFileSync(n, '[\n{"text":"a"},\n42,\n{"text":"b"}\n]\n');
    expect(run(['clean', n, '--quiet']).stderr).toBe(`boilerstrip: ${n}:3: array element 2 is a number, not a JSON object\n`);
    const rj = path.join(dir, 'n.rejects');
    const s = run(['clean', n, '--on-error', 'skip', '--rejects', rj, '--quiet']);
    expect(s.stdout).toBe('{"text":"a"}\n{"text":"b"}\n');
    expect(JSON.parse(fs.readFileSync(rj, 'utf8'))).toEqual({ boilerstrip_rejected: { file: n, line: 3, code: 'E_RECORD', error: 'array element 2 is a number, not a JSON object' } });
    // --max-doc-bytes: each element over it is rejected (never held), the small one is cleaned.
    const a = path.join(dir, 'big-elems.json');
    fs.writeFileSync(a, JSON.stringify([{ text: 'x'.repeat(300) }, { text: 'small' }, { text: 'y'.repeat(300) }]));
    const rep = path.join(dir, 'big-elems.report.json');
    const big = run(['clean', a, '--max-doc-bytes', '100', '--on-error', 'skip', '--report', rep, '--quiet']);
    expect(big.stdout).toBe('{"text":"small"}\n');
    expect(report(rep).records).toMatchObject({ in: 3, out: 1, rejected: 2, rejectedBy: { E_DOC_TOO_LARGE: 2 }, balanced: true });
    expect(run(['clean', a, '--max-doc-bytes', '100', '--quiet']).stderr).toMatch(/:1: array element 1 is 311 bytes, over --max-doc-bytes 100/);
    // Nesting 5,000 deep: that element is rejected (no stack overflow), the next is read.
    const d = path.join(dir, 'deep.json');
    fs.writeFileSync(d, `[{"text":"a","m":${'['.repeat(5000)}${']'.repeat(5000)}},\n{"text":"b"}]`);
    const dr = run(['clean', d, '--on-error', 'skip', '--report', rep, '--quiet']);
    expect(dr.status, dr.stderr).toBe(0);
    expect(dr.stdout).toBe('{"text":"b"}\n');
    expect(report(rep).records).toMatchObject({ in: 2, out: 1, rejected: 1, rejectedBy: { E_RECORD: 1 }, balanced: true });
    expect(run(['clean', d, '--quiet']).stderr).toMatch(/deep\.json:1: array element 1 is nested 5001 levels deep, over 1000/);
  });

  it('a .json file that is empty, white space, or one pretty-printed object', () => {
    const e = path.join(dir, 'empty.json');
    fs.writeFileSync(e, '');
    const w = path.join(dir, 'space.json');
    fs.writeFileSync(w, '  \n\n');
    const r = run(['clean', e, w, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const p = path.join(dir, 'pretty.json');
    fs.writeFileSync(p, '{\n  "id": 1,\n  "text": "hello"\n}\n');
    const q = run(['clean', p, '--quiet']);
    expect(q.status, q.stderr).toBe(0);
    expect(q.stdout).toBe('{"id":1,"text":"hello"}\n');
    // A .json file of JSONL lines is still JSONL.
    const l = path.join(dir, 'lines.json');
    fs.writeFileSync(l, '{"text":"a"}\n{"text":"b"}\n');
    expect(run(['clean', l, '--quiet']).stdout).toBe('{"text":"a"}\n{"text":"b"}\n');
  });

  it('JSONL without a .jsonl name whose first line is broken is JSONL (plain, gzip), not one text document', () => {
    const six = Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: `r${i}`, text: `Menu | Home\nbody ${i}` })).join('\n') + '\n';
    const f = path.join(dir, 'part-00000');
    fs.writeFileSync(f, 'oops\n' + six);
    const g = path.join(dir, 'x.gz');
    fs.writeFileSync(g, gzipSync(Buffer.from('oops\n' + six)));
    for (const file of [f, g]) {
      expect(run(['clean', file, '--quiet']).stderr).toMatch(new RegExp(`${esc(file)}:1: invalid JSON`));
      const rep = path.join(dir, 'part.report.json');
      const s = run(['clean', file, '--on-error', 'skip', '--report', rep, '--quiet']);
      expect(s.stdout.trim().split('\n')).toHaveLength(6);
      expect(report(rep).records).toMatchObject({ in: 7, out: 6, rejected: 1, balanced: true });
    }
    // Text that is not JSONL stays one document.
    const t = path.join(dir, 'notes');
    fs.writeFileSync(t, 'a note\n{"one": "object"}\nmore text\nand more\n');
    expect(run(['clean', t, '--quiet']).stdout.trim().split('\n')).toHaveLength(1);
  });

  it('lines ending in CR alone are lines (one thread and two); a UTF-16 JSONL file is refused, named; a UTF-16 text file is decoded', () => {
    const six = Array.from({ length: 6 }, (_, i) => JSON.stringify({ id: `r${i}`, text: `Menu | Home\nbody ${i}` }));
    const lf = path.join(dir, 'lf.jsonl');
    fs.writeFileSync(lf, six.join('\n') + '\n');
    const cr = path.join(dir, 'cr.jsonl');
    fs.writeFileSync(cr, six.join('\r') + '\r');
    const want = run(['clean', lf, '--quiet']).stdout;
    for (const t of ['1', '2']) expect(run(['clean', cr, '--threads', t, '--quiet']).stdout).toBe(want);
    const crBad = path.join(dir, 'crbad');
    fs.writeFileSync(crBad, ['oops', ...six].join('\r') + '\r');
    expect(run(['clean', crBad, '--quiet']).stderr).toMatch(/crbad:1: invalid JSON/);
    const u16 = path.join(dir, 'u16.jsonl');
    fs.writeFileSync(u16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(six.join('\n') + '\n', 'utf16le')]));
    const r = run(['clean', u16, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/u16\.jsonl: the file is UTF-16LE .*convert it/);
    const txt = path.join(dir, 'u16.txt');
    fs.writeFileSync(txt, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('h\u00e9llo', 'utf16le').swap16()]));
    expect(JSON.parse(run(['clean', txt, '--quiet']).stdout).text).toBe('h\u00e9llo');
  });

  it('--rejects names the file line of a record longer than a chunk (one thread and two)', () => {
    const f = path.join(dir, 'long.jsonl');
    fs.writeFileSync(f, corpus(6) + `{"text":"${'b'.repeat(5 << 20)}"}\n` + corpus(2));
    const rj = path.join(dir, 'long.rejects');
    for (const t of ['1', '2']) {
      const r = run(['clean', f, '--on-error', 'skip', '--max-doc-bytes', '1MB', '--rejects', rj, '--threads', t, '--quiet']);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(fs.readFileSync(rj, 'utf8')).boilerstrip_rejected).toMatchObject({ file: f, line: 7, code: 'E_DOC_TOO_LARGE' });
    }
  });

  it('learn counts its rejects and writes --rejects; learn and strip sniff standard input', () => {
    const f = path.join(dir, 'learn-bad.jsonl');
    fs.writeFileSync(f, '{bad\n' + corpus(6));
    const m = path.join(dir, 'learn-bad.model');
    const rj = path.join(dir, 'learn-bad.rejects');
    const r = run(['learn', f, '-m', m, '--on-error', 'skip', '--rejects', rj]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/learned 6 documents of 1 sites; 1 record rejected/);
    expect(fs.readFileSync(rj, 'utf8')).toBe('{bad\n');
    // A JSON array on standard input: read as one by learn and strip, as by clean.
    const arr = JSON.stringify(corpus(6).trim().split('\n').map((l) => JSON.parse(l)));
    const l = run(['learn', '-m', m], { input: arr });
    expect(l.status, l.stderr).toBe(0);
    const s = run(['strip', '-m', m, '--quiet'], { input: arr });
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toBe(run(['clean', '--quiet'], { input: arr }).stdout);
  });

  it('control characters of the input are escaped in messages', () => {
    const f = path.join(dir, 'esc.jsonl');
    fs.writeFileSync(f, '\x1b]0;pwned\x07\x1b[2J{oops\n');
    const r = run(['clean', f, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    expect(r.stderr).toContain('\\u001b]0;pwned\\u0007');
  });

  it('an HTML field that is null, a number or an object is counted as a text field would be', () => {
    const f = path.join(dir, 'html-null.jsonl');
    fs.writeFileSync(f, '{"html":null}\n{"html":3}\n{"html":{"a":1}}\n{"page":null}\n{"other":1}\n');
    const rep = path.join(dir, 'html-null.report.json');
    expect(run(['clean', f, '--report', rep, '--quiet']).status).toBe(0);
    const pt = (JSON.parse(fs.readFileSync(rep, 'utf8')) as { records: { passedThrough: Record<string, number> } }).records.passedThrough;
    expect(pt).toMatchObject({ null: 1, 'not-string': 2, missing: 2 });
    expect(run(['clean', f, '--html-field', 'page', '--report', rep, '--quiet']).status).toBe(0);
    expect((JSON.parse(fs.readFileSync(rep, 'utf8')) as { records: { passedThrough: Record<string, number> } }).records.passedThrough).toMatchObject({ null: 1, missing: 4 });
  });

  it('a raw NUL byte inside a JSONL line is invalid JSON (an escaped \\u0000 is text)', () => {
    const f = path.join(dir, 'nul.jsonl');
    fs.writeFileSync(f, Buffer.from('{"text":"a\u0000b"}\n'));
    const r = run(['clean', f, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nul\.jsonl:1: invalid JSON: Bad control character/);
  });

  it('invalid UTF-8, NUL bytes, CR line ends and a last line without newline', () => {
    const f = path.join(dir, 'mixed.jsonl');
    fs.writeFileSync(f, Buffer.concat([Buffer.from('{"text":"a\\u0000b"}\r\n{"text":"bad '), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(' utf8"}\r\n{"text":"last"}')]));
    const rep = path.join(dir, 'mixed.report.json');
    const r = run(['clean', f, '--report', rep, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l).text);
    expect(out).toEqual(['a\u0000b', 'bad \ufffd(\ufffd utf8', 'last']);
    expect(report(rep).records).toMatchObject({ in: 3, out: 3, balanced: true, invalidUtf8Lines: 1 });
  });

  it('an empty input gives empty output and balanced counts', () => {
    const f = path.join(dir, 'empty.jsonl');
    fs.writeFileSync(f, '');
    const rep = path.join(dir, 'empty.report.json');
    const r = run(['clean', f, '--report', rep, '--quiet']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(report(rep).records).toMatchObject({ in: 0, out: 0, balanced: true });
  });

  it('a record over --max-doc-bytes: a clear message, or a counted rejection with skip', () => {
    const f = path.join(dir, 'big.jsonl');
    fs.writeFileSync(f, `${JSON.stringify({ text: 'small' })}\n${JSON.stringify({ text: 'x'.repeat(3_000_000) })}\n${JSON.stringify({ text: 'after' })}\n`);
    const r = run(['clean', f, '--max-doc-bytes', '1MB', '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${esc(f)}:2: record is \\d+ bytes, over --max-doc-bytes 1000000`));
    const rep = path.join(dir, 'big.report.json');
    const s = run(['clean', f, '--max-doc-bytes', '1MB', '--on-error', 'skip', '--report', rep, '--quiet']);
    expect(s.stdout.trim().split('\n').map((l) => JSON.parse(l).text)).toEqual(['small', 'after']);
    expect(report(rep).records).toMatchObject({ in: 3, out: 2, rejected: 1, balanced: true, rejectedBy: { E_DOC_TOO_LARGE: 1 } });
  });

  it('a line longer than a chunk and over --max-doc-bytes in a plain file is read past, on 1 and 2 threads', () => {
    const f = path.join(dir, 'long-line.jsonl');
    fs.writeFileSync(f, `${JSON.stringify({ text: 'small' })}\n${JSON.stringify({ text: 'y'.repeat(50_000) })}\n${JSON.stringify({ text: 'after' })}\n`);
    // Chunks of 4 KB: the planner cuts the file around the line and hands it over as its length only.
    const env = { BOILERSTRIP_CHUNK_BYTES: '4096' };
    for (const threads of ['1', '2']) {
      const r = run(['clean', f, '--max-doc-bytes', '10KB', '--threads', threads, '--quiet'], { env });
      expect(r.status, threads).toBe(2);
      expect(r.stderr).toContain(`${f}:2: record is 50011 bytes, over --max-doc-bytes 10000`);
      const s = run(['clean', f, '--max-doc-bytes', '10KB', '--threads', threads, '--on-error', 'skip', '--quiet'], { env });
      expect(s.status, s.stderr).toBe(0);
      expect(s.stdout.trim().split('\n').map((l) => JSON.parse(l).text)).toEqual(['small', 'after']);
    }
  });

  it('a truncated gzip stream is named', () => {
    const f = path.join(dir, 'cut.jsonl.gz');
    const gz = gzipSync(corpus(200));
    fs.writeFileSync(f, gz.subarray(0, gz.length - 30));
    const r = run(['clean', f, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${esc(f)}: gzip stream is (truncated|corrupt)`));
  });

  it('a directory with an unreadable entry is refused before anything is read', () => {
    const d = path.join(dir, 'tree');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'a.txt'), 'text');
    fs.symlinkSync(path.join(d, 'missing-target'), path.join(d, 'b.txt'));
    const r = run(['clean', d, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/b\.txt: cannot read/);
  });

  it('merging models learned with other settings is refused, saying which', () => {
    const f = path.join(dir, 'c.jsonl');
    fs.writeFileSync(f, corpus(20));
    expect(run(['learn', f, '-m', path.join(dir, 'a.model'), '--quiet']).status).toBe(0);
    expect(run(['learn', f, '-m', path.join(dir, 'b.model'), '--no-templates', '--quiet']).status).toBe(0);
    const r = run(['merge', path.join(dir, 'a.model'), path.join(dir, 'b.model'), '-o', path.join(dir, 'ab.model')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/template keys on vs off/);
    expect(fs.existsSync(path.join(dir, 'ab.model'))).toBe(false);
  });
});

describe('faults', () => {
  it('a full disk on stdout: a clear error and a non-zero exit', () => {
    const f = path.join(dir, 'c2.jsonl');
    fs.writeFileSync(f, corpus(3000));
    const r = spawnSync('bash', ['-c', `node ${BIN} clean ${f} > /dev/full`], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/cannot write output/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a --tmp-dir that is missing or not a directory: exit 2 before anything is read, with stdin too', () => {
    const f = path.join(dir, 'tmp-dir.jsonl');
    fs.writeFileSync(f, corpus(5));
    for (const [tmp, why] of [[path.join(dir, 'no-such-dir'), 'does not exist'], [f, 'is not a directory']] as const) {
      for (const input of [[f], []]) {
        const r = run(['clean', ...input, '--tmp-dir', tmp, '--quiet'], { input: corpus(5) });
        expect(r.status).toBe(2);
        expect(r.stderr).toBe(`boilerstrip: --tmp-dir ${tmp} ${why}\n`);
        expect(r.stdout).toBe('');
      }
    }
  });

  it('SIGTERM while reading stdin removes the spool file', async () => {
    const tmp = path.join(dir, 'spool');
    fs.mkdirSync(tmp);
    const child = spawn(process.execPath, [BIN, 'clean', '--tmp-dir', tmp, '--quiet'], { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stdin.write(corpus(500));
    // Wait until the spool exists, then stop the run.
    for (let i = 0; i < 100 && fs.readdirSync(tmp).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(fs.readdirSync(tmp).length).toBe(1);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const code = await exited;
    expect(code).toBe(143);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('SIGKILL leaves a spool and a partial output; the next run in the same directories removes them (only those of exited processes of this host)', async () => {
    const tmp = path.join(dir, 'killed-tmp');
    const outDir = path.join(dir, 'killed-out');
    fs.mkdirSync(tmp);
    fs.mkdirSync(outDir);
    const outFile = path.join(outDir, 'clean.jsonl');
    const killWhen = async (args: string[], where: string, shows: (n: string) => boolean): Promise<number> => {
      const child = spawn(process.execPath, [BIN, ...args, '--quiet'], { stdio: ['pipe', 'ignore', 'ignore'] });
      child.stdin.write(corpus(500)); // stdin stays open: the run waits with its file on disk
      for (let i = 0; i < 100 && !fs.readdirSync(where).some(shows); i++) await new Promise((r) => setTimeout(r, 50));
      const exited = new Promise<unknown>((r) => child.on('exit', r));
      child.kill('SIGKILL');
      await exited;
      return child.pid!;
    };
    const model = path.join(dir, 'killed.model');
    fs.writeFileSync(path.join(dir, 'killed.jsonl'), corpus(50));
    expect(run(['learn', path.join(dir, 'killed.jsonl'), '-m', model, '--quiet']).status).toBe(0);
    const spooler = await killWhen(['clean', '--tmp-dir', tmp], tmp, (n) => n.includes('stdin'));
    const writer = await killWhen(['strip', '-m', model, '-o', outFile], outDir, (n) => n.endsWith('.partial'));
    const left = [...fs.readdirSync(tmp), ...fs.readdirSync(outDir)];
    expect(left.filter((n) => n.includes(`~${spooler}-`) && n.endsWith('.spool')).length, left.join(' ')).toBe(1);
    expect(left.filter((n) => n.includes(`~${writer}-`) && n.endsWith('.partial')).length, left.join(' ')).toBe(1);
    // A cache of a live process (this one) and one of another host stay.
    const host = left.find((n) => n.endsWith('.spool'))!.slice('boilerstrip-stdin-'.length).split('~')[0]!;
    const live = `boilerstrip-cache-${host}~${process.pid}-live`;
    const foreign = `boilerstrip-cache-${host}x~${spooler}-other`;
    fs.mkdirSync(path.join(tmp, live));
    fs.mkdirSync(path.join(tmp, foreign));
    const f = path.join(dir, 'after-kill.jsonl');
    fs.writeFileSync(f, corpus(30));
    const r = run(['clean', f, '--tmp-dir', tmp, '-o', outFile, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readdirSync(tmp).sort()).toEqual([foreign, live].sort());
    expect(fs.readdirSync(outDir)).toEqual(['clean.jsonl']);
  });

  it('zero padding between gzip members loses no record (a file, --threads 2, stdin); zeros then junk is a corrupt stream naming the byte', () => {
    const lines = corpus(6).split('\n');
    const a = gzipSync(lines.slice(0, 3).join('\n') + '\n');
    const padded = Buffer.concat([a, Buffer.alloc(1), gzipSync(lines.slice(3).join('\n')), Buffer.alloc(1000)]);
    const f = path.join(dir, 'padded.jsonl.gz');
    fs.writeFileSync(f, padded);
    const rep = path.join(dir, 'padded.report.json');
    for (const [args, input] of [[[f], undefined], [[f, '--threads', '2'], undefined], [['-'], padded]] as const) {
      const r = run(['clean', ...args, '--report', rep, '--quiet'], input === undefined ? {} : { input });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(6);
      expect(report(rep).records).toMatchObject({ in: 6, out: 6, balanced: true });
    }
    fs.writeFileSync(f, Buffer.concat([a, Buffer.alloc(7), Buffer.from('junk')]));
    const r = run(['clean', f, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`boilerstrip: ${f}: gzip stream is corrupt: 7 zero bytes at byte ${a.length} are followed by bytes that do not start a gzip member (byte ${a.length + 7})\n`);
  });

  it('an empty .gz or .zst is an empty input (no record); one cut inside its magic number is a truncated stream, not a text record', () => {
    const rep = path.join(dir, 'tiny.report.json');
    const zst = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
    const empties = ['e.gz', 'e.jsonl.gz', 'e.ZST', 'e.txt.zst'].map((n) => path.join(dir, n));
    for (const f of empties) fs.writeFileSync(f, '');
    for (const extra of [[], ['--format', 'text'], ['--threads', '2']]) {
      const r = run(['clean', ...empties, ...extra, '--report', rep, '--quiet']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('');
      expect(report(rep).records).toMatchObject({ in: 0, out: 0 });
    }
    for (const [name, bytes, kind] of [['o.gz', Buffer.from([0x1f]), 'gzip'], ['o.jsonl.gz', Buffer.from([0x1f]), 'gzip'], ...[1, 2, 3].map((n) => [`o${n}.zst`, zst.subarray(0, n), 'zstd'] as const)] as const) {
      const f = path.join(dir, name);
      fs.writeFileSync(f, bytes);
      const r = run(['clean', f, '--quiet']);
      expect(r.status, name).toBe(2);
      expect(r.stderr).toBe(`boilerstrip: ${f}: ${kind} stream is truncated: the file is ${bytes.length} byte${bytes.length === 1 ? '' : 's'}, cut inside the magic number\n`);
      expect(r.stdout).toBe('');
    }
  });

  it('a named pipe or <(cmd) is read by clean (two passes), learn and strip, as a file would be; its copy is removed', () => {
    const f = path.join(dir, 'piped.jsonl');
    fs.writeFileSync(f, corpus(40));
    const gz = path.join(dir, 'piped.jsonl.gz');
    fs.writeFileSync(gz, gzipSync(corpus(40)));
    const tmp = path.join(dir, 'pipe-tmp');
    fs.mkdirSync(tmp);
    const model = path.join(dir, 'piped.model');
    const sh = (cmd: string): ReturnType<typeof spawnSync> => spawnSync('bash', ['-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const bs = `"${process.execPath}" "${BIN}"`;
    const want = run(['clean', f, '--quiet']);
    expect(want.status).toBe(0);
    for (const threads of ['1', '2']) {
      for (const src of [`<(cat "${f}")`, `<(cat "${gz}")`]) {
        const r = sh(`${bs} clean ${src} --threads ${threads} --tmp-dir "${tmp}" --quiet`);
        expect(r.status, String(r.stderr)).toBe(0);
        expect(r.stdout).toBe(want.stdout);
      }
    }
    expect(sh(`${bs} learn <(cat "${f}") -m "${model}" --quiet`).status).toBe(0);
    expect(sh(`${bs} strip -m "${model}" <(cat "${f}") --quiet`).stdout).toBe(want.stdout);
    // A named pipe (mkfifo), and a message names it, not its copy.
    const fifo = path.join(dir, 'fifo.jsonl');
    expect(sh(`mkfifo "${fifo}"`).status).toBe(0);
    const r = sh(`(cat "${f}"; echo '{bad') > "${fifo}" & ${bs} clean "${fifo}" --tmp-dir "${tmp}" --quiet`);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^boilerstrip: ${esc(fifo)}:41: invalid JSON: `));
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129], // a closed terminal, timeout -s HUP
  ] as const)('%s during a run removes the partial output and the stdin spool', async (signal, code) => {
    const f = path.join(dir, `${signal}.jsonl`);
    fs.writeFileSync(f, corpus(50));
    const model = path.join(dir, `${signal}.model`);
    expect(run(['learn', f, '-m', model, '--quiet']).status).toBe(0);
    const out = path.join(dir, `${signal}-out`);
    const tmp = path.join(dir, `${signal}-tmp`);
    fs.mkdirSync(out);
    fs.mkdirSync(tmp);
    for (const [args, where] of [[['strip', '-m', model, '-o', path.join(out, 'clean.jsonl')], out], [['clean', '--tmp-dir', tmp, '-o', path.join(out, 'clean.jsonl')], tmp]] as const) {
      // stdin stays open: the run is caught with its file on disk.
      const child = spawn(process.execPath, [BIN, ...args, '--quiet'], { stdio: ['pipe', 'ignore', 'ignore'] });
      // (Killed before it has read all of it, the child closes the pipe under the write: EPIPE, expected.)
      child.stdin.on('error', () => {});
      child.stdin.write(corpus(2000));
      for (let i = 0; i < 100 && fs.readdirSync(where).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(fs.readdirSync(where)[0]).toMatch(/partial$|spool$/);
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      child.kill(signal);
      expect(await exited).toBe(code);
      expect(fs.readdirSync(out)).toEqual([]);
      expect(fs.readdirSync(tmp)).toEqual([]);
    }
  });
});
