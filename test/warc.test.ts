import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync, deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BoilerstripError } from '../src/errors.js';
import { resolveInputs, sourceBytes } from '../src/io/input.js';
import { httpCharset, isHtmlRecord, newWarcStats, readWarc, sniffWarc, WarcError, type WarcReadOptions, type WarcRecord } from '../src/io/warc.js';
import { http, response, warc } from './helpers/warc.js';

const dir = mkdtempSync(path.join(tmpdir(), 'warc-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let p = 0; p < buf.length; p += size) yield buf.subarray(p, p + size);
}

async function readAll(buf: Buffer, opts: WarcReadOptions = {}, size = buf.length || 1): Promise<WarcRecord[]> {
  const out: WarcRecord[] = [];
  for await (const r of readWarc(chunked(buf, size), 'test.warc', opts)) out.push(r);
  return out;
}

async function failure(buf: Buffer, opts: WarcReadOptions = {}, size?: number): Promise<WarcError> {
  try {
    await readAll(buf, opts, size);
  } catch (e) {
    expect(e).toBeInstanceOf(WarcError);
    expect((e as WarcError).code).toBe('E_WARC');
    return e as WarcError;
  }
  throw new Error('no error');
}

const PAGE = '<!DOCTYPE html><html><head><title>t</title></head><body><p>Article text é</p></body></html>';

function sample(): Buffer[] {
  return [
    warc('warcinfo', 'software: test\r\nformat: WARC File Format 1.0\r\n', { 'Content-Type': 'application/warc-fields' }),
    warc('request', 'GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n', { 'WARC-Target-URI': 'https://example.com/a', 'Content-Type': 'application/http;msgtype=request' }),
    response('https://example.com/a', PAGE),
    response('https://example.com/data.json', '{"a":1}', { 'Content-Type': 'application/json' }),
    warc('metadata', 'fetchTimeMs: 12\r\n', { 'WARC-Target-URI': 'https://example.com/a', 'Content-Type': 'application/warc-fields' }),
    response('https://example.com/b', `\ufeff  ${PAGE}`, {}),
  ];
}

describe('reading WARC records', () => {
  it('gives every record with its headers, HTTP status and headers, payload, offset and number', async () => {
    const parts = sample();
    const buf = Buffer.concat(parts);
    const recs = await readAll(buf);
    expect(recs.map((r) => r.type)).toEqual(['warcinfo', 'request', 'response', 'response', 'metadata', 'response']);
    expect(recs.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6]);
    let off = 0;
    for (const [i, r] of recs.entries()) {
      expect(r.offset).toBe(off);
      off += parts[i]!.length;
    }
    const page = recs[2]!;
    expect(page.recordId).toMatch(/^<urn:uuid:/);
    expect(page.targetUri).toBe('https://example.com/a');
    expect(page.date).toBe('2024-05-01T10:00:00Z');
    expect(page.headers['warc-type']).toBe('response');
    expect(page.contentType).toBe('application/http;msgtype=response');
    expect(page.httpStatus).toBe(200);
    expect(page.httpHeaders).toEqual({ 'content-type': 'text/html; charset=UTF-8' });
    expect(httpCharset(page)).toBe('utf-8');
    expect(page.body.toString()).toBe(PAGE);
    expect(recs[1]!.httpHeaders).toEqual({ host: 'example.com' });
    expect(recs[1]!.httpStatus).toBeUndefined();
    expect(recs[0]!.body.toString()).toContain('software: test');
    expect(sniffWarc(buf)).toBe(true);
    expect(sniffWarc(Buffer.from('{"a":1}\n'))).toBe(false);
  });

  it('gives the same records whatever the read block size', async () => {
    const buf = Buffer.concat(sample());
    const whole = await readAll(buf);
    for (const size of [1, 2, 3, 7, 13, 64, 333]) expect(await readAll(buf, {}, size), `blocks of ${size}`).toEqual(whole);
  });

  it('tells HTML responses from the rest: HTTP Content-Type first, the body sniffed when there is none', async () => {
    const recs = await readAll(
      Buffer.concat([
        ...sample(),
        response('https://example.com/x', '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>', { 'Content-Type': 'application/xhtml+xml' }),
        response('https://example.com/img', Buffer.from([0x89, 0x50, 0x4e, 0x47]), { 'Content-Type': 'image/png' }),
        response('https://example.com/c', 'plain words', {}),
        response('https://example.com/404', PAGE, { 'Content-Type': 'text/html' }, '404 Not Found'),
      ]),
    );
    expect(recs.map((r) => [r.type, isHtmlRecord(r)])).toEqual([
      ['warcinfo', false],
      ['request', false],
      ['response', true],
      ['response', false],
      ['metadata', false],
      ['response', true],
      ['response', true],
      ['response', false],
      ['response', false],
      ['response', true],
    ]);
    expect(recs[9]!.httpStatus).toBe(404);
  });

  it('reads a WET file: conversion records with their text as the body', async () => {
    const text = 'Title\nFirst paragraph – é ü.\nSecond paragraph.\n';
    const buf = Buffer.concat([
      warc('warcinfo', 'isPartOf: test\r\n', { 'Content-Type': 'application/warc-fields' }, { version: 'WARC/1.1' }),
      warc('conversion', text, { 'WARC-Target-URI': 'https://example.com/a', 'WARC-Refers-To': '<urn:uuid:x>', 'Content-Type': 'text/plain' }, { version: 'WARC/1.1' }),
      warc('conversion', '', { 'WARC-Target-URI': 'https://example.com/empty', 'Content-Type': 'text/plain' }, { version: 'WARC/1.1' }),
    ]);
    const recs = await readAll(buf, {}, 5);
    expect(recs.map((r) => r.type)).toEqual(['warcinfo', 'conversion', 'conversion']);
    expect(recs[1]!.body.toString('utf8')).toBe(text);
    expect(recs[1]!.contentType).toBe('text/plain');
    expect(recs[1]!.httpHeaders).toBeUndefined();
    expect(isHtmlRecord(recs[1]!)).toBe(false);
    expect(recs[2]!.body.length).toBe(0);
  });

  it('undoes chunked transfer-encoding and gzip, deflate (zlib and raw) and br content-encoding', async () => {
    const chunkedBody = `5\r\n${PAGE.slice(0, 5)}\r\n${Buffer.byteLength(PAGE.slice(5)).toString(16)};ext=1\r\n${PAGE.slice(5)}\r\n0\r\nX-Trailer: y\r\n\r\n`;
    const gz = gzipSync(PAGE);
    const gzChunked = Buffer.concat([Buffer.from(`${gz.length.toString(16)}\r\n`), gz, Buffer.from('\r\n0\r\n\r\n')]);
    const recs = await readAll(
      Buffer.concat([
        response('u1', chunkedBody, { 'Content-Type': 'text/html', 'Transfer-Encoding': 'chunked' }),
        response('u2', gz, { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' }),
        response('u3', deflateSync(PAGE), { 'Content-Type': 'text/html', 'Content-Encoding': 'deflate' }),
        response('u4', deflateSync(PAGE).subarray(2), { 'Content-Type': 'text/html', 'Content-Encoding': 'deflate' }),
        response('u5', brotliCompressSync(PAGE), { 'Content-Type': 'text/html', 'Content-Encoding': 'br' }),
        response('u6', gzChunked, { 'Content-Type': 'text/html', 'Transfer-Encoding': 'chunked', 'Content-Encoding': 'gzip' }),
        response('u7', PAGE, { 'Content-Type': 'text/html', 'Content-Encoding': 'identity' }),
      ]),
    );
    for (const r of recs) expect(r.body.toString(), r.targetUri).toBe(PAGE);
  });

  it('keeps what a truncated record (WARC-Truncated) has of a chunked or gzipped body', async () => {
    const gz = gzipSync(PAGE.repeat(50));
    const block = http(gz.subarray(0, gz.length >> 1), { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' });
    const recs = await readAll(warc('response', block, { 'Content-Type': 'application/http; msgtype=response', 'WARC-Truncated': 'length' }));
    expect(recs[0]!.body.length).toBeGreaterThan(0);
    expect(PAGE.repeat(50).startsWith(recs[0]!.body.toString('latin1'))).toBe(true);
  });
});

describe('.warc and .warc.gz', () => {
  it('reads one gzip member per record (zlib decodes concatenated members) to the same records as the plain file', async () => {
    const parts = [...sample(), ...sample()];
    const plain = path.join(dir, 'a.warc');
    const gz = path.join(dir, 'a.warc.gz');
    writeFileSync(plain, Buffer.concat(parts));
    writeFileSync(gz, Buffer.concat(parts.map((p) => gzipSync(p))));
    const [s1, s2] = await resolveInputs([plain, gz]);
    expect(s2!.gzip).toBe(true);
    const read = async (src: typeof s1): Promise<WarcRecord[]> => {
      const out: WarcRecord[] = [];
      for await (const r of readWarc(sourceBytes(src!), src!.name)) out.push(r);
      return out;
    };
    const a = await read(s1);
    const b = await read(s2);
    expect(a).toHaveLength(12);
    expect(b).toEqual(a);
    expect(sniffWarc(gunzipSync(gzipSync(parts[0]!)))).toBe(true);
  });

  it('reads a .warc.gz with zero bytes between or after its members (block padding) to every record', async () => {
    const parts = [...sample(), ...sample()];
    const gz = path.join(dir, 'padded.warc.gz');
    writeFileSync(gz, Buffer.concat(parts.flatMap((p, i) => [gzipSync(p), Buffer.alloc(i % 3 === 0 ? 1 : 512)])));
    const [src] = await resolveInputs([gz]);
    const out: WarcRecord[] = [];
    for await (const r of readWarc(sourceBytes(src!), src!.name)) out.push(r);
    expect(out.map((r) => r.index)).toEqual(parts.map((_, i) => i + 1));
  });

  it('reports a truncated .warc.gz as a gzip error naming the file', async () => {
    const gzBuf = Buffer.concat(sample().map((p) => gzipSync(p)));
    const file = path.join(dir, 'cut.warc.gz');
    writeFileSync(file, gzBuf.subarray(0, gzBuf.length - 20));
    const [src] = await resolveInputs([file]);
    const got: WarcRecord[] = [];
    const err = await (async () => {
      try {
        for await (const r of readWarc(sourceBytes(src!), file)) got.push(r);
      } catch (e) {
        return e as BoilerstripError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(BoilerstripError);
    expect(err!.code).toBe('E_GZIP');
    expect(err!.message).toBe(`${file}: gzip stream is truncated`);
    expect(got.length).toBeGreaterThanOrEqual(4); // the whole members before the cut were read
  });
});

describe('bad WARC input', () => {
  const ok = (): Buffer[] => [response('u1', PAGE), response('u2', PAGE)];

  it('a missing or garbled version line is E_WARC with the record number', async () => {
    const e1 = await failure(Buffer.from('<html>not a warc</html>\n'));
    expect(e1.message).toBe('test.warc: record 1: no WARC/1.0 or WARC/1.1 version line at byte 0: found "<html>not a warc</html>\\n"');
    const bad = warc('response', http(PAGE), { 'Content-Type': 'application/http;msgtype=response' }, { version: 'WARC/0.9' });
    const e2 = await failure(Buffer.concat([...ok(), bad]));
    expect(e2.record).toBe(3);
    expect(e2.problem).toBe('version');
    expect(e2.message).toContain('record 3: no WARC/1.0 or WARC/1.1 version line');
    const parts = [...ok(), warc('resource', 'x', {}, { version: 'WARX/1.0' })];
    const e3 = await failure(Buffer.concat(parts), {}, 4);
    const at = parts[0]!.length + parts[1]!.length;
    expect(e3.message).toBe(`test.warc: record 3: no WARC/1.0 or WARC/1.1 version line at byte ${at}: found "WARX/1.0\\r\\nWARC-Type: res" (or record 2's Content-Length is too short)`);
  });

  it('a non-numeric or missing Content-Length is E_WARC naming the field', async () => {
    const e = await failure(Buffer.concat([ok()[0]!, warc('resource', 'abc', {}, { length: '12a' })]));
    expect(e.message).toBe('test.warc: record 2: Content-Length "12a" is not a number');
    expect(e.problem).toBe('length');
    const noLen = Buffer.from('WARC/1.0\r\nWARC-Type: resource\r\n\r\nabc\r\n\r\n');
    expect((await failure(noLen)).message).toBe('test.warc: record 1: no Content-Length header');
    // Digits, but more than any record: said to be too large, not "not a number".
    const huge = await failure(Buffer.concat([ok()[0]!, warc('resource', 'abc', {}, { length: '1000000000000000' })]));
    expect(huge.message).toBe('test.warc: record 2: Content-Length 1000000000000000 is too large (over 15 digits)');
    expect(huge.problem).toBe('length');
  });

  it('a Content-Length that runs past the end of the file', async () => {
    const last = warc('response', http(PAGE), { 'Content-Type': 'application/http;msgtype=response' }, { length: 5000 });
    const e = await failure(Buffer.concat([...ok(), last]), {}, 17);
    expect(e.message).toBe('test.warc: record 3: Content-Length 5000 runs past the end of the file');
    expect(e.record).toBe(3);
  });

  it('a Content-Length too long in mid-file runs into the next record', async () => {
    const parts = [...ok(), warc('resource', 'short', {}, { length: 200 }), ...ok()];
    const e = await failure(Buffer.concat(parts));
    expect(e.message).toMatch(/^test\.warc: record 3: Content-Length 200 runs into the next record \(a WARC\/1\. line at byte \d+\): the length is too long$/);
  });

  it('a Content-Length too short: the block is not followed by CRLF CRLF and the next record', async () => {
    const parts = [...ok(), warc('resource', 'a longer block', {}, { length: 6 }), ...ok()];
    const e = await failure(Buffer.concat(parts), {}, 5);
    expect(e.message).toBe('test.warc: record 3: Content-Length 6 ends inside the record: the block is followed by "er block\\r\\n\\r\\nWARC/1.0\\r\\nWA", not CRLF CRLF');
  });

  it('with resync, a lying record is dropped and counted and reading goes on at the next record', async () => {
    const parts = [...ok(), warc('resource', 'short', {}, { length: 200 }), warc('resource', 'a longer block', {}, { length: 6 }), ...ok()];
    const buf = Buffer.concat(parts);
    for (const size of [3, 64, buf.length]) {
      const stats = newWarcStats();
      const skipped: string[] = [];
      const recs = await readAll(buf, { resync: true, stats, onSkip: (e) => skipped.push(e.message) }, size);
      expect(recs.map((r) => [r.index, r.targetUri])).toEqual([
        [1, 'u1'],
        [2, 'u2'],
        [5, 'u1'],
        [6, 'u2'],
      ]);
      expect(stats).toMatchObject({ records: 4, skipped: 2, skippedBy: { length: 2 }, resyncs: 2, bytes: buf.length });
      expect(skipped[0]).toContain('record 3: Content-Length 200');
    }
    // A lie at the end: the rest of the file is dropped, counted.
    const stats = newWarcStats();
    const end = Buffer.concat([...ok(), warc('resource', 'x', {}, { length: 9000 })]);
    expect(await readAll(end, { resync: true, stats }, 10)).toHaveLength(2);
    expect(stats.resyncs).toBe(1);
    // Garbage before the first record.
    const junk = Buffer.concat([Buffer.from('junk\r\n\r\n'), ...ok()]);
    expect((await readAll(junk, { resync: true })).map((r) => r.index)).toEqual([2, 3]);
  });

  it('a record over maxRecordBytes is an error, or with onError skip is read past (not kept) and counted', async () => {
    const big = response('big', 'x'.repeat(5000));
    const buf = Buffer.concat([...ok(), big, ...ok()]);
    const e = await failure(buf, { maxRecordBytes: 1000 });
    expect(e.message).toMatch(/^test\.warc: record 3: Content-Length \d+ is over --max-doc-bytes 1000$/);
    expect(e.problem).toBe('oversize');
    for (const size of [7, 100, buf.length]) {
      const stats = newWarcStats();
      const recs = await readAll(buf, { maxRecordBytes: 1000, onError: 'skip', stats }, size);
      expect(recs.map((r) => r.index)).toEqual([1, 2, 4, 5]);
      expect(stats).toMatchObject({ records: 4, skipped: 1, skippedBy: { oversize: 1 } });
    }
  });

  it('a gzip body that inflates past maxInflateRatio or maxRecordBytes stops inflating: a decompression bomb', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024)); // ~50 kB that inflate 1000×
    const buf = Buffer.concat([...ok(), response('bomb', bomb, { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' })]);
    const e = await failure(buf);
    expect(e.problem).toBe('bomb');
    expect(e.message).toBe(`test.warc: record 3: HTTP content-encoding gzip inflates ${bomb.length} bytes past 100× (maxInflateRatio): a decompression bomb`);
    const big = gzipSync(Buffer.from(PAGE.repeat(2000)));
    const e2 = await failure(Buffer.concat([response('big', big, { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' })]), { maxRecordBytes: 100_000 });
    expect(e2.problem).toBe('oversize');
    expect(e2.message).toBe(`test.warc: record 1: HTTP content-encoding gzip inflates ${big.length} bytes past --max-doc-bytes 100000`);
    const stats = newWarcStats();
    expect((await readAll(Buffer.concat([buf, ...ok()]), { onError: 'skip', stats })).map((r) => r.index)).toEqual([1, 2, 4, 5]);
    expect(stats.skippedBy).toEqual({ bomb: 1 });
  });

  it('broken chunked transfer-encoding and corrupt content-encoding are E_WARC (or skipped and counted)', async () => {
    const notHex = response('c1', `zz\r\n${PAGE}\r\n0\r\n\r\n`, { 'Content-Type': 'text/html', 'Transfer-Encoding': 'chunked' });
    const e = await failure(Buffer.concat([...ok(), notHex]));
    expect(e.problem).toBe('chunked');
    expect(e.message).toBe('test.warc: record 3: HTTP chunked transfer-encoding is broken: chunk size line at body byte 0 is not hexadecimal: "zz\\r\\n<!DOCTYPE html><html"');
    const tooLong = response('c2', `ff\r\n${PAGE}\r\n0\r\n\r\n`, { 'Content-Type': 'text/html', 'Transfer-Encoding': 'chunked' });
    expect((await failure(tooLong)).message).toContain('chunk of 255 bytes at body byte 4 runs past the end of the body');
    const corrupt = response('g', 'not gzip at all', { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' });
    const e3 = await failure(corrupt);
    expect(e3.problem).toBe('encoding');
    expect(e3.message).toMatch(/^test\.warc: record 1: HTTP content-encoding gzip cannot be decoded: /);
    const zstd = response('z', 'whatever', { 'Content-Type': 'text/html', 'Content-Encoding': 'zstd' });
    expect((await failure(zstd)).message).toContain('unsupported content-encoding "zstd"');
    const stats = newWarcStats();
    const recs = await readAll(Buffer.concat([notHex, ...ok(), tooLong, corrupt, zstd]), { onError: 'skip', stats });
    expect(recs.map((r) => r.targetUri)).toEqual(['u1', 'u2']);
    expect(stats.skippedBy).toEqual({ chunked: 2, encoding: 2 });
  });

  it('a gzip, deflate or br body cut short (and no WARC-Truncated) is E_WARC, not the part it gives', async () => {
    const long = PAGE.repeat(20);
    const html = { 'Content-Type': 'text/html' };
    const cut: [string, Buffer][] = [
      ['gzip', gzipSync(long)],
      ['deflate', deflateSync(long)],
      ['deflate', deflateSync(long).subarray(2, -4)], // raw deflate under this name (no zlib header or checksum)
      ['br', brotliCompressSync(long)],
    ];
    for (const [enc, full] of cut) {
      for (const keep of [full.length >> 1, full.length - 1, 12]) {
        const e = await failure(Buffer.concat([...ok(), response('cut', full.subarray(0, keep), { ...html, 'Content-Encoding': enc })]));
        expect(e.problem, `${enc} ${keep}`).toBe('encoding');
        expect(e.message, `${enc} ${keep}`).toMatch(new RegExp(`^test\\.warc: record 3: HTTP content-encoding ${enc} cannot be decoded: `));
      }
      // Whole, it is read; with skip, the cut record alone is dropped and counted.
      expect((await readAll(response('whole', full, { ...html, 'Content-Encoding': enc })))[0]!.body.toString()).toBe(long);
      const stats = newWarcStats();
      const recs = await readAll(Buffer.concat([response('cut', full.subarray(0, full.length >> 1), { ...html, 'Content-Encoding': enc }), ...ok()]), { onError: 'skip', stats });
      expect(recs.map((r) => r.targetUri)).toEqual(['u1', 'u2']);
      expect(stats.skippedBy).toEqual({ encoding: 1 });
    }
    // A zlib stream cut short is said to be cut, not a bad raw deflate header.
    expect((await failure(response('cut', deflateSync(long).subarray(0, 40), { ...html, 'Content-Encoding': 'deflate' }))).message).toContain('unexpected end of file');
  });

  it('a header block that never ends or a header line without a colon', async () => {
    expect((await failure(Buffer.from('WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 3\r\n'))).message).toBe(
      'test.warc: record 1: the WARC header block runs past the end of the file',
    );
    expect((await failure(Buffer.from('WARC/1.0\r\nWARC-Type response\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n'))).message).toBe(
      `test.warc: record 1: WARC header line without ':': "WARC-Type response"`,
    );
  });

  it('non-HTML responses are records, not errors: isHtmlRecord is false and the caller counts them', async () => {
    const recs = await readAll(Buffer.concat([response('j', '{}', { 'Content-Type': 'application/json' }), response('p', '%PDF-1.4', { 'Content-Type': 'application/pdf' })]));
    expect(recs.map(isHtmlRecord)).toEqual([false, false]);
  });

  it('tolerates stray CRLFs between records and a file that ends without the last CRLF CRLF', async () => {
    const [a, b] = ok();
    const buf = Buffer.concat([a!, Buffer.from('\r\n\r\n'), b!.subarray(0, b!.length - 4)]);
    expect((await readAll(buf, {}, 3)).map((r) => r.targetUri)).toEqual(['u1', 'u2']);
  });
});
