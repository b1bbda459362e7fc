/**
 * Parquet in and out, checked against an independent implementation: DuckDB writes the inputs (snappy,
 * zstd, gzip; several row groups; int64 past 2^53, double, list, struct, timestamp with microseconds,
 * DECIMAL(38,10), MAP with integer keys, JSON, null text) and reads what boilerstrip wrote.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPool } from '../src/sim/articles.js';
import { simRecord, simulate } from '../src/sim/generate.js';
import { run, tmpdir } from './helpers/cli.js';
import { body } from './helpers/words.js';

const dir = tmpdir('bs-parquet-');
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Rows: every 8th a simulated page, the others short one-paragraph notes (DuckDB cuts row groups at 2048 rows at least). */
const N = 4800;
const GROUP = 2048;
const GROUPS = Math.ceil(N / GROUP);
let db: DuckDBConnection;
let jsonl = '';
/** The JSONL route: the same records given as JSONL, cleaned; its text per row. */
let jsonlTexts: (string | null)[] = [];
const inputs: Record<string, string> = {};

async function q(sql: string): Promise<Record<string, unknown>[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/** The columns of a Parquet file in row order (file_row_number), as DuckDB reads them. */
async function rows(file: string, cols = '*'): Promise<Record<string, unknown>[]> {
  return q(`SELECT ${cols} FROM read_parquet('${file}', file_row_number = true) ORDER BY file_row_number`);
}

/** Rows in `a` not in `b` (multiset), over every column but the text. */
async function diffOthers(a: string, b: string): Promise<number> {
  const [r] = await q(`SELECT count(*)::INT AS n FROM (SELECT * EXCLUDE (text) FROM '${a}' EXCEPT ALL SELECT * EXCLUDE (text) FROM '${b}')`);
  return r!.n as number;
}

function report(file: string): { records: { in: number; out: number; rejected: number; dropped: number; balanced: boolean; rejectedBy: Record<string, number> } } {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

beforeAll(async () => {
  db = await (await DuckDBInstance.create()).connect();
  const docs = [...simulate(seedPool(path.join(process.cwd(), 'seeds')), { seed: 7, docs: N / 8 })];
  jsonl = path.join(dir, 'crawl.jsonl');
  const lines = Array.from({ length: N }, (_, i) => {
    const r =
      i % 8 === 0
        ? (JSON.parse(simRecord(docs[i / 8]!)) as { id: string; url: string; text: string | null })
        : { id: `note-${i}`, url: `https://notes${i % 7}.example/n/${i}`, text: `ملاحظات اليوم\n${body(i)}` };
    if (i % 50 === 7) r.text = null;
    return JSON.stringify({ i, ...r });
  });
  fs.writeFileSync(jsonl, lines.join('\n') + '\n');
  const r = run(['clean', jsonl, '--quiet']);
  expect(r.status, r.stderr).toBe(0);
  jsonlTexts = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { text: string | null }).text);
  expect(jsonlTexts.length).toBe(N);
  await db.run(`CREATE TABLE crawl AS SELECT i::BIGINT AS i, id, url, text,
      (9007199254740993 + i)::BIGINT AS big, i * 0.25 AS score, [i, i + 1]::BIGINT[] AS tags,
      {'lang': 'ar', 'depth': (i % 5)::INT} AS meta,
      TIMESTAMP '2024-05-01 12:00:00.123456' + to_seconds(i) AS fetched,
      (i * 1234567890123.0123456789)::DECIMAL(38,10) AS dec, MAP {i: 'v' || i} AS m, '{"a": [1, 2]}'::JSON AS j
    FROM read_json('${jsonl}', format = 'newline_delimited', columns = {i: 'BIGINT', id: 'VARCHAR', url: 'VARCHAR', text: 'VARCHAR'}) ORDER BY i`);
  for (const codec of ['snappy', 'zstd', 'gzip']) {
    inputs[codec] = path.join(dir, `crawl.${codec}.parquet`);
    await db.run(`COPY crawl TO '${inputs[codec]}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE ${GROUP})`);
  }
});

afterAll(() => {
  db?.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('Parquet written by DuckDB, cleaned, read by DuckDB', () => {
  for (const [codec, outCodec] of [
    ['snappy', 'snappy'],
    ['zstd', 'zstd'],
    ['gzip', 'snappy'],
  ] as const) {
    it(`${codec} in, ${outCodec} out: the JSONL route's text row for row, every other column and type intact`, async () => {
      const out = path.join(dir, `out.${codec}.parquet`);
      const r = run(['clean', inputs[codec]!, '-o', out, '--compress', outCodec, '--quiet']);
      expect(r.status, r.stderr).toBe(0);
      const got = await rows(out, 'text');
      expect(got.map((x) => x.text)).toEqual(jsonlTexts);
      const original = fs.readFileSync(jsonl, 'utf8').split('\n');
      expect(jsonlTexts.filter((t, i) => t !== null && t !== (JSON.parse(original[i]!) as { text: string }).text).length).toBeGreaterThan(N / 2);
      expect(await diffOthers(inputs[codec]!, out)).toBe(0);
      expect(await diffOthers(out, inputs[codec]!)).toBe(0);
      expect(await q(`DESCRIBE SELECT * FROM '${out}'`)).toEqual(await q(`DESCRIBE SELECT * FROM '${inputs[codec]}'`));
      // Row groups follow the input's; the codec is the one asked for.
      const meta = await q(`SELECT DISTINCT row_group_id, compression FROM parquet_metadata('${out}') ORDER BY row_group_id`);
      expect(meta.map((m) => Number(m.row_group_id))).toEqual(Array.from({ length: GROUPS }, (_, g) => g));
      expect(new Set(meta.map((m) => m.compression))).toEqual(new Set([outCodec.toUpperCase()]));
    });
  }

  it('a URL, site or HTML column of binary without a UTF8 annotation is read as its UTF-8 text whatever the output: the same texts, its bytes written back', async () => {
    // (Read as stored for a Parquet output, such a URL or site was bytes, so no site: pass 2 cleaned every
    // row as one site's, with pass 1's counts per site; such an HTML column was no page.)
    const page = `'<html><body><nav>الرئيسية | أخبار</nav><p>' || replace(coalesce(text, ''), chr(10), '</p><p>') || '</p></body></html>'`;
    const f = path.join(dir, 'binary.parquet');
    await db.run(`COPY (SELECT i, id, encode(url) AS url, text, encode(regexp_extract(url, '://([^/]+)', 1)) AS site, encode(${page}) AS raw
      FROM crawl ORDER BY i) TO '${f}' (FORMAT parquet, ROW_GROUP_SIZE ${GROUP})`);
    expect((await q(`DESCRIBE SELECT url, site, raw FROM '${f}'`)).map((c) => c.column_type)).toEqual(['BLOB', 'BLOB', 'BLOB']);
    const out = path.join(dir, 'binary-out.parquet');
    const [jRep, pRep] = [path.join(dir, 'binary-j.json'), path.join(dir, 'binary-p.json')];
    const samples = (rep: string): { url: string | null }[] => (JSON.parse(fs.readFileSync(rep, 'utf8')) as { samples: { url: string | null }[] }).samples;
    for (const args of [[], ['--site-field', 'site'], ['--html-field', 'raw', '--keep-html']]) {
      const j = run(['clean', f, ...args, '--report', jRep, '--quiet']);
      expect(j.status, j.stderr).toBe(0);
      const want = j.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { text: string | null }).text);
      if (args.length === 0) expect(want).toEqual(jsonlTexts);
      const p = run(['clean', f, ...args, '-o', out, '--report', pRep, '--quiet']);
      expect(p.status, p.stderr).toBe(0);
      expect((await rows(out, 'text')).map((x) => x.text), args.join(' ')).toEqual(want);
      // The report's samples too: their URLs the JSONL route's text (with Parquet output they were null).
      expect(samples(jRep).filter((d) => d.url !== null).length).toBeGreaterThan(10);
      expect(samples(pRep), args.join(' ')).toEqual(samples(jRep));
      expect(await diffOthers(f, out)).toBe(0);
      expect(await diffOthers(out, f)).toBe(0);
    }
  });

  it('HTML pages to Parquet: the HTML column is left out as JSONL output leaves the HTML out, unless --keep-html; the text is the JSONL output\'s', async () => {
    // (The HTML column was kept.) A struct before it, so the column is cut from the middle of the schema.
    const page = `'<html><body><nav>الرئيسية | أخبار</nav><p>' || replace(coalesce(text, ''), chr(10), '</p><p>') || '</p></body></html>'`;
    const f = path.join(dir, 'pages.parquet');
    await db.run(`COPY (SELECT id, url, {'lang': 'ar', 'depth': (i % 5)::INT} AS meta, ${page} AS html, encode(${page}) AS raw, NULL::VARCHAR AS text, i
      FROM crawl WHERE i < 1600 ORDER BY i) TO '${f}' (FORMAT parquet, ROW_GROUP_SIZE 512)`);
    const all = ['id', 'url', 'meta', 'html', 'raw', 'text', 'i'];
    const out = path.join(dir, 'pages-out.parquet');
    for (const [field, keep] of [
      ['html', false],
      ['html', true],
      ['raw', false],
    ] as const) {
      const args = ['--html-field', field, ...(keep ? ['--keep-html'] : []), '--quiet'];
      const j = run(['clean', f, ...args]);
      expect(j.status, j.stderr).toBe(0);
      const lines = j.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const p = run(['clean', f, ...args, '-o', out]);
      expect(p.status, p.stderr).toBe(0);
      const columns = (await q(`DESCRIBE SELECT * FROM '${out}'`)).map((c) => c.column_name);
      expect(columns, args.join(' ')).toEqual(keep ? all : all.filter((c) => c !== field));
      expect(Object.keys(lines[0]!).sort()).toEqual([...columns].sort());
      const got = await rows(out, 'text');
      expect(got.filter((x) => typeof x.text === 'string' && x.text.length > 0).length).toBeGreaterThan(1500);
      expect(got.map((x) => x.text)).toEqual(lines.map((l) => l.text));
      const others = columns.filter((c) => c !== 'text').join(', ');
      const [d] = await q(`SELECT count(*)::INT AS n FROM (SELECT ${others} FROM '${f}' EXCEPT ALL SELECT ${others} FROM '${out}')`);
      expect(d!.n).toBe(0);
    }
  });

  it('keeps values JSON cannot: int64 past 2^53, microseconds, DECIMAL(38,10), MAP keys', async () => {
    const out = path.join(dir, 'exact.parquet');
    expect(run(['clean', inputs.zstd!, '-o', out, '--quiet']).status).toBe(0);
    const pick = (f: string): Promise<Record<string, unknown>[]> => q(`SELECT big::VARCHAR AS big, fetched::VARCHAR AS fetched, dec::VARCHAR AS dec, m::VARCHAR AS m FROM '${f}' WHERE i = 4799`);
    const [a] = await pick(out);
    expect(a).toEqual((await pick(inputs.zstd!))[0]);
    expect(a).toMatchObject({ big: '9007199254745792', fetched: '2024-05-01 13:19:59.123456', m: '{4799=v4799}' });
    expect(a!.dec).toMatch(/^\d{16}\.\d{10}$/);
  });

  it('is found by its magic bytes whatever its name, and many inputs make one output', async () => {
    const noExt = path.join(dir, 'crawl-data');
    fs.copyFileSync(inputs.snappy!, noExt);
    const out = path.join(dir, 'two.parquet');
    const r = run(['clean', noExt, inputs.zstd!, '-o', out, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const [c] = await q(`SELECT count(*)::INT AS n, count(DISTINCT i)::INT AS d FROM '${out}'`);
    expect(c).toEqual({ n: 2 * N, d: N });
  });

  it('Parquet to JSONL: the same text; int64 as exact JSON numbers, timestamps as ISO strings', async () => {
    const r = run(['clean', inputs.gzip!, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { text: string | null }).text)).toEqual(jsonlTexts);
    const last = lines[N - 1]!;
    const [dec] = await q(`SELECT dec::VARCHAR AS d FROM '${inputs.gzip}' WHERE i = 4799`);
    expect(last).toContain('"big":9007199254745792,');
    expect(last).toContain('"fetched":"2024-05-01T13:19:59.123456"');
    expect(last).toContain(`"dec":${dec!.d as string},`);
    expect(JSON.parse(last)).toMatchObject({ i: 4799, score: 1199.75, tags: [4799, 4800], meta: { lang: 'ar', depth: 4 }, m: { '4799': 'v4799' }, j: { a: [1, 2] } });
  });

  it('--attributes and the report\'s samples: an INT64 id column gives every digit (it was an internal error), a DECIMAL or TIMESTAMP one its value as the JSONL output writes it, whatever the output', async () => {
    const lines = run(['clean', inputs.snappy!, '--quiet']).stdout.trim().split('\n');
    expect(lines).toHaveLength(N);
    const urls = lines.map((l) => (JSON.parse(l) as { url: string | null }).url);
    for (const col of ['big', 'dec', 'fetched']) {
      const attrDir = path.join(dir, `attrs-${col}`);
      const out = path.join(dir, `attrs-${col}.parquet`);
      const rep = path.join(dir, `attrs-${col}.json`);
      // The id as the JSONL output's row carries it (that row's member, as written); for INT64 and DECIMAL,
      // the digits DuckDB reads.
      const want = lines.map((l) => new RegExp(`"${col}":(.*?),"`).exec(l)![1]);
      if (col !== 'fetched') expect(want).toEqual((await rows(inputs.snappy!, `${col}::VARCHAR AS v`)).map((w) => w.v));
      else expect(want[N - 1]).toBe('"2024-05-01T13:19:59.123456"');
      // A sample shows that text, a string id as the string (String() of the value lost a bigint and a DECIMAL).
      // (By URL: the ids of the rows with a sample's URL, which some copies share.)
      const byUrl = new Map<string | null, string[]>();
      urls.forEach((u, i) => byUrl.set(u, [...(byUrl.get(u) ?? []), want[i]!.startsWith('"') ? (JSON.parse(want[i]!) as string) : want[i]!]));
      const samplesShow = (what: string): void => {
        const samples = (JSON.parse(fs.readFileSync(rep, 'utf8')) as { samples: { id: string | null; url: string | null }[] }).samples.filter((d) => d.url !== null);
        expect(samples.length).toBeGreaterThan(10);
        for (const d of samples) expect(byUrl.get(d.url), `${what} ${d.url}`).toContain(d.id);
      };
      // (With Parquet output, whose rows are read as stored, a DECIMAL id was its unscaled value and a
      // TIMESTAMP one its microseconds.)
      for (const args of [[], ['-o', out]]) {
        fs.rmSync(attrDir, { recursive: true, force: true });
        const r = run(['clean', inputs.snappy!, '--id-field', col, '--attributes', attrDir, '--report', rep, '--quiet', ...args]);
        expect(r.status, r.stderr).toBe(0);
        // (Named for the input with .jsonl for .parquet: its lines are JSON. It was crawl.snappy.parquet.)
        expect(fs.readdirSync(attrDir)).toEqual(['crawl.snappy.jsonl']);
        const ids = fs.readFileSync(path.join(attrDir, 'crawl.snappy.jsonl'), 'utf8').trim().split('\n').map((l) => /^\{"id":(.*?),"attributes":/.exec(l)![1]);
        expect(ids, `${col} ${args.join(' ')}`).toEqual(want);
        samplesShow(`${col} ${args.join(' ')}`);
      }
      // (The report without --attributes, with Parquet output: its ids were the stored values.)
      const r = run(['clean', inputs.snappy!, '--id-field', col, '--report', rep, '--quiet', '-o', out]);
      expect(r.status, r.stderr).toBe(0);
      samplesShow(`${col} -o, no --attributes`);
    }
  });

  it('--annotate adds a JSON column of spans that turn the text into the cleaned text', async () => {
    const out = path.join(dir, 'annotated.parquet');
    const r = run(['clean', inputs.snappy!, '-o', out, '--annotate', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const got = await rows(out, 'text, boilerstrip_spans::VARCHAR AS spans');
    expect((await q(`DESCRIBE SELECT boilerstrip_spans FROM '${out}'`))[0]!.column_type).toBe('JSON');
    got.forEach((g, i) => {
      if (g.text === null) return;
      let t = g.text as string;
      for (const [s, e] of (JSON.parse(g.spans as string) as [number, number][]).reverse()) t = t.slice(0, s) + t.slice(e);
      expect(t).toBe(jsonlTexts[i]);
    });
  });

  it('learn then strip gives what clean gives', async () => {
    const model = path.join(dir, 'pq.model');
    expect(run(['learn', inputs.zstd!, '-m', model, '--quiet']).status).toBe(0);
    const out = path.join(dir, 'stripped.parquet');
    const r = run(['strip', '-m', model, inputs.zstd!, '-o', out, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect((await rows(out, 'text')).map((x) => x.text)).toEqual(jsonlTexts);
    // Piped in, learn and strip (streams) say to give the file; clean spools it and reads it.
    for (const args of [['strip', '-m', model], ['learn', '-m', path.join(dir, 'piped.model')]]) {
      const p = run([...args, '--quiet'], { input: fs.readFileSync(inputs.zstd!) });
      expect(p.status).toBe(2);
      expect(p.stderr).toMatch(/^boilerstrip: -: standard input is a Parquet file, which is read by byte range: give it as a file/);
    }
    expect(run(['clean', '--quiet'], { input: fs.readFileSync(inputs.zstd!) }).status).toBe(0);
  });
});

/**
 * A field option refused for Parquet file `f` before anything is read: each case by `clean` (or, `all`, by
 * clean, clean to Parquet, learn and strip), exit 2, `message` on stderr, nothing out, no output file.
 */
function expectRefused(f: string, stem: string, cases: readonly (readonly [option: string, field: string, what: string, all: boolean])[], message: (option: string, field: string, what: string) => string): void {
  const model = path.join(dir, `${stem}.model`);
  expect(run(['learn', inputs.zstd!, '-m', model, '--quiet']).status).toBe(0);
  const out = path.join(dir, `${stem}-out.parquet`);
  const commands = [['clean', f], ['clean', f, '-o', out], ['learn', f, '-m', path.join(dir, `${stem}-learned.model`)], ['strip', '-m', model, f]];
  for (const [option, field, what, all] of cases) {
    for (const args of all ? commands : commands.slice(0, 1)) {
      const r = run([...args, option, field, '--quiet']);
      expect(r.status, `${args.join(' ')} ${option} ${field}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toBe(`boilerstrip: ${f}: ${message(option, field, what)}\n`);
      expect(r.stdout).toBe('');
    }
  }
  expect(fs.existsSync(out)).toBe(false);
}

describe('dotted --url-field and --site-field on Parquet: struct fields, followed in both passes', () => {
  /** Cleaned texts of a JSONL output. */
  const texts = (stdout: string): (string | null)[] => stdout.trim().split('\n').map((l) => (JSON.parse(l) as { text: string | null }).text);
  const R = 1600;
  let pq = '';
  let js = '';
  /** The JSONL's texts cleaned with no site for any record (what pass 1 counted by, when it read no struct field). */
  let noSite: (string | null)[] = [];

  beforeAll(async () => {
    // The crawl's first R rows with the URL only in a struct (and in one inside it), the site beside it; the
    // same records as JSONL, written by DuckDB (structs as objects). Row groups of 512 rows.
    await db.run(`CREATE TABLE nested AS SELECT i, id, text, {'lang': 'ar', 'url': url, 'site': regexp_extract(url, '://([^/]+)', 1), 'page': {'status': 200, 'url': url}} AS meta, big
      FROM crawl WHERE i < ${R} ORDER BY i`);
    pq = path.join(dir, 'nested.parquet');
    js = path.join(dir, 'nested.jsonl');
    await db.run(`COPY nested TO '${pq}' (FORMAT parquet, ROW_GROUP_SIZE 512)`);
    await db.run(`COPY nested TO '${js}' (FORMAT json)`);
    const r = run(['clean', js, '--url-field', 'nowhere', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    noSite = texts(r.stdout);
  });

  for (const [option, field, threads] of [
    ['--url-field', 'meta.url', ['1', '2']],
    ['--site-field', 'meta.site', ['1', '2']],
    ['--url-field', 'meta.page.url', ['1']],
  ] as const) {
    it(`${option} ${field}: the cleaned texts of the same records as JSONL (threads ${threads.join(', ')}), as JSONL and as Parquet`, async () => {
      for (const t of threads) {
        const j = run(['clean', js, option, field, '--threads', t, '--quiet']);
        expect(j.status, j.stderr).toBe(0);
        const want = texts(j.stdout);
        expect(want).toHaveLength(R);
        // The site matters: with none, many texts clean otherwise.
        expect(want.filter((x, k) => x !== noSite[k]).length).toBeGreaterThan(100);
        const p = run(['clean', pq, option, field, '--threads', t, '--quiet']);
        expect(p.status, p.stderr).toBe(0);
        expect(texts(p.stdout)).toEqual(want);
        if (t !== '1') continue;
        const out = path.join(dir, 'nested-out.parquet');
        const o = run(['clean', pq, option, field, '-o', out, '--quiet']);
        expect(o.status, o.stderr).toBe(0);
        expect((await rows(out, 'text')).map((x) => x.text)).toEqual(want);
        expect(await diffOthers(pq, out)).toBe(0);
        if (field !== 'meta.url') continue;
        const model = path.join(dir, 'nested.model');
        expect(run(['learn', pq, option, field, '-m', model, '--quiet']).status).toBe(0);
        const s = run(['strip', '-m', model, pq, option, field, '--quiet']);
        expect(s.status, s.stderr).toBe(0);
        expect(texts(s.stdout)).toEqual(want);
      }
    });
  }

  it('a column whose name is the dotted string is read, not the struct field, in both passes: as JSONL with that member', async () => {
    // The struct holds one URL and site for every row: read, it would clean each text as noSite does.
    const f = path.join(dir, 'literal.parquet');
    const g = path.join(dir, 'literal.jsonl');
    const sql = `SELECT id, text, url AS "meta.url", regexp_extract(url, '://([^/]+)', 1) AS "meta.site", {'url': 'https://one.example/', 'site': 'one'} AS meta FROM crawl WHERE i < ${R} ORDER BY i`;
    await db.run(`COPY (${sql}) TO '${f}' (FORMAT parquet, ROW_GROUP_SIZE 512)`);
    await db.run(`COPY (${sql}) TO '${g}' (FORMAT json)`);
    const byUrl = texts(run(['clean', js, '--url-field', 'meta.url', '--quiet']).stdout);
    expect(byUrl.filter((x, k) => x !== noSite[k]).length).toBeGreaterThan(100);
    for (const [option, field] of [
      ['--url-field', 'meta.url'],
      ['--site-field', 'meta.site'],
    ] as const) {
      const j = run(['clean', g, option, field, '--quiet']);
      expect(j.status, j.stderr).toBe(0);
      expect(texts(j.stdout)).toEqual(byUrl);
      const p = run(['clean', f, option, field, '--quiet']);
      expect(p.status, p.stderr).toBe(0);
      expect(texts(p.stdout)).toEqual(byUrl);
      const out = path.join(dir, 'literal-out.parquet');
      expect(run(['clean', f, option, field, '-o', out, '--quiet']).status).toBe(0);
      expect((await rows(out, 'text')).map((x) => x.text)).toEqual(byUrl);
    }
  });

  it('a dotted --url-field, --site-field or --id-field through a map, a list, a JSON column or a string is refused before reading, naming the file, option and field', async () => {
    const f = path.join(dir, 'unfollowed.parquet');
    await db.run(`COPY (SELECT id, text, MAP {'url': url} AS m, [{'url': url}] AS l, json_object('url', url) AS j, url AS u, {'inner': MAP {'url': url}} AS s
      FROM crawl WHERE i < 300 ORDER BY i) TO '${f}' (FORMAT parquet)`);
    expectRefused(
      f,
      'unfollowed',
      [
        ['--url-field', 'm.url', 'column "m", a map', true],
        ['--site-field', 'm.url', 'column "m", a map', false],
        ['--id-field', 'm.url', 'column "m", a map', false],
        ['--url-field', 'l.url', 'column "l", a list', false],
        ['--url-field', 'j.url', 'column "j", of type JSON', true],
        ['--site-field', 'u.host', 'column "u", of type UTF8', false],
        ['--url-field', 's.inner.url', 'struct field "s.inner", a map', false],
      ],
      (option, field, what) => `${option} "${field}" goes through ${what}, not a struct: a dotted ${option} is followed through Parquet struct fields only; name a struct's field or a top-level column`,
    );
  });

  it('a --url-field, --site-field or --id-field naming no column or struct field is refused before reading, naming the file, option and field and listing the columns; no url column, not named, is one warning a file; no id column, not named, null ids', async () => {
    // (It was no field, as in a JSON record without it: every row of the file in one site, quietly.)
    const f = path.join(dir, 'link.parquet');
    const g = path.join(dir, 'link2.parquet');
    for (const x of [f, g]) await db.run(`COPY (SELECT id, url AS link, text, {'lang': 'ar'} AS meta FROM crawl WHERE i < 300 ORDER BY i) TO '${x}' (FORMAT parquet)`);
    expectRefused(
      f,
      'link',
      [
        ['--url-field', 'lnk', 'column', true],
        ['--url-field', 'url', 'column', false],
        ['--site-field', 'host', 'column', true],
        ['--url-field', 'meta.url', 'column or struct field', false],
        ['--site-field', 'x.site', 'column or struct field', false],
        // (An --id-field naming nothing gave every row a null id, quietly.)
        ['--id-field', 'idd', 'column', true],
        ['--id-field', 'meta.id', 'column or struct field', false],
      ],
      (option, field, what) => `${option} "${field}" names no ${what} of this file (columns: id, link, text, meta)`,
    );
    const model = path.join(dir, 'link.model');
    const out = path.join(dir, 'link-out.parquet');
    // Not named: a warning for each file, once (clean opens it in both passes), with --quiet too; the run goes on.
    const warning = (x: string): string => `boilerstrip: warning: ${x}: no column "url" (columns: id, link, text, meta): its rows have no URL to tell their sites apart; name the URL column with --url-field, or a site column with --site-field\n`;
    for (const args of [['clean', f, g], ['clean', f, g, '-o', out], ['learn', f, g, '-m', path.join(dir, 'link-learned.model')], ['strip', '-m', model, f, g]]) {
      const r = run([...args, '--quiet']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr, args.join(' ')).toBe(warning(f) + warning(g));
    }
    expect((await q(`SELECT count(*)::INT AS n FROM '${out}'`))[0]!.n).toBe(600);
    // Named, the column is read; with a site field the URL only stands in for a missing site: no warning.
    for (const args of [['--url-field', 'link'], ['--site-field', 'meta.lang']]) {
      const r = run(['clean', f, ...args, '--quiet']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
    }
    // The default id field missing is not refused: null ids, quietly; named, it is.
    const noId = path.join(dir, 'noid.parquet');
    await db.run(`COPY (SELECT url, text FROM crawl WHERE i < 300 ORDER BY i) TO '${noId}' (FORMAT parquet)`);
    const attrDir = path.join(dir, 'noid-attrs');
    const r = run(['clean', noId, '--attributes', attrDir, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(new Set(fs.readFileSync(path.join(attrDir, 'noid.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: unknown }).id))).toEqual(new Set([null]));
    const named = run(['clean', noId, '--id-field', 'id', '--quiet']);
    expect(named.status).toBe(2);
    expect(named.stderr).toBe(`boilerstrip: ${noId}: --id-field "id" names no column of this file (columns: url, text)\n`);
  });
});

describe('bad Parquet input', () => {
  it('no text column: a clear error naming the file and the columns', async () => {
    const f = path.join(dir, 'notext.parquet');
    await db.run(`COPY (SELECT id, url, text AS body FROM crawl) TO '${f}' (FORMAT parquet)`);
    const r = run(['clean', f, '-o', path.join(dir, 'x.parquet'), '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${esc(f)}: no column "text" to clean \\(columns: id, url, body\\); name the text column with --text-field`));
    expect(fs.existsSync(path.join(dir, 'x.parquet'))).toBe(false);
    expect(run(['clean', f, '--text-field', 'body', '--quiet']).status).toBe(0);
    const g = path.join(dir, 'inttext.parquet');
    await db.run(`COPY (SELECT i AS text FROM crawl) TO '${g}' (FORMAT parquet)`);
    expect(run(['clean', g, '--quiet']).stderr).toMatch(new RegExp(`${esc(g)}: column "text" is INT_64, not text`));
  });

  it('a dotted --html-field naming a struct field is refused, naming the option; a column of that very name is read, its rows written to JSONL with int64 exact', async () => {
    const page = `'<html><body><nav>Home</nav><p>' || coalesce(text, '') || '</p></body></html>'`;
    const f = path.join(dir, 'struct-html.parquet');
    await db.run(`COPY (SELECT id, url, NULL::VARCHAR AS text, {'status': 200, 'html': ${page}} AS page FROM crawl LIMIT 300) TO '${f}' (FORMAT parquet)`);
    const out = path.join(dir, 'struct-html-out.parquet');
    for (const args of [['clean', f, '-o', out], ['clean', f], ['learn', f, '-m', path.join(dir, 'struct-html.model')]]) {
      const r = run([...args, '--html-field', 'page.html', '--quiet']);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toBe(`boilerstrip: ${f}: no column "page.html" for --html-field (columns: id, url, text, page): a dotted --html-field is a path into JSON records; Parquet struct fields are not followed, name a top-level column\n`);
    }
    expect(fs.existsSync(out)).toBe(false);
    const g = path.join(dir, 'dotted-column.parquet');
    await db.run(`COPY (SELECT id, url, NULL::VARCHAR AS text, ${page} AS "page.html", i, (i + 9007199254740993)::BIGINT AS big FROM crawl LIMIT 300) TO '${g}' (FORMAT parquet)`);
    const r = run(['clean', g, '--html-field', 'page.html', '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(300);
    for (const l of lines) {
      const o = JSON.parse(l) as Record<string, unknown>;
      expect(Object.keys(o)).toEqual(['id', 'url', 'text', 'i', 'big']);
      // Pages' rows written as text rows are: int64 with every digit (it was an internal error: a bigint given to JSON.stringify).
      expect(l).toContain(`"big":${9007199254740993n + BigInt(o.i as number)}}`);
    }
  });

  it('a truncated file is refused before anything is read', () => {
    const f = path.join(dir, 'cut.parquet');
    const b = fs.readFileSync(inputs.zstd!);
    fs.writeFileSync(f, b.subarray(0, b.length - 200));
    const r = run(['clean', f, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${esc(f)}: Parquet file is truncated`));
    expect(r.stdout).toBe('');
    // On standard input (spooled by clean) the message names '-', not the spool; a file that is not Parquet too.
    const tmp = path.join(dir, 'cut-tmp');
    fs.mkdirSync(tmp, { recursive: true });
    const s = run(['clean', '--tmp-dir', tmp, '--quiet'], { input: b.subarray(0, 600) });
    expect(s.status).toBe(2);
    expect(s.stderr).toBe("boilerstrip: -: Parquet file is truncated: its 600 bytes do not end with the footer's PAR1\n");
    const t = run(['clean', '--tmp-dir', tmp, '--format', 'parquet', '--quiet'], { input: '{"text": "x"}\n' });
    expect(t.stderr).toBe('boilerstrip: -: not a Parquet file (it does not start with PAR1)\n');
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('a corrupt page: the row group and column are named; with skip its rows are counted as rejected', async () => {
    const f = path.join(dir, 'corrupt.parquet');
    const b = Buffer.from(fs.readFileSync(inputs.zstd!));
    const [m] = await q(`SELECT data_page_offset::BIGINT AS off, total_compressed_size::BIGINT AS size FROM parquet_metadata('${inputs.zstd}') WHERE row_group_id = 1 AND path_in_schema = 'text'`);
    const off = Number(m!.off);
    b.fill(0xa5, off + 40, off + Math.min(Number(m!.size), 400));
    fs.writeFileSync(f, b);
    const out = path.join(dir, 'corrupt.out.parquet');
    const r = run(['clean', f, '-o', out, '--quiet']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${esc(f)}:2049: row group 2 of 3 \\(rows 2049–4096\\), column "text": `));
    expect(fs.existsSync(out)).toBe(false);
    const rep = path.join(dir, 'corrupt.report.json');
    const s = run(['clean', f, '-o', out, '--on-error', 'skip', '--report', rep, '--quiet']);
    expect(s.status, s.stderr).toBe(0);
    expect(report(rep).records).toMatchObject({ in: N, out: N - GROUP, rejected: GROUP, balanced: true, rejectedBy: { E_PARQUET: GROUP } });
    const [c] = await q(`SELECT count(*)::INT AS n, min(i)::INT AS lo FROM '${out}' WHERE i BETWEEN 2048 AND 4095`);
    expect(c).toEqual({ n: 0, lo: null });
    expect((await q(`SELECT count(*)::INT AS n FROM '${out}'`))[0]!.n).toBe(N - GROUP);
  });

  it('dropped documents are counted, and the output has the rest', async () => {
    const out = path.join(dir, 'dropped.parquet');
    const rep = path.join(dir, 'dropped.report.json');
    const r = run(['clean', inputs.snappy!, '-o', out, '--on-empty', 'drop', '--min-docs', '2', '--report', rep, '--quiet']);
    expect(r.status, r.stderr).toBe(0);
    const rec = report(rep).records;
    expect(rec.balanced).toBe(true);
    expect((await q(`SELECT count(*)::INT AS n FROM '${out}'`))[0]!.n).toBe(rec.out);
  });

  it('JSONL to Parquet, and inputs of different schemas to one Parquet output, are refused', async () => {
    const a = run(['clean', jsonl, '-o', path.join(dir, 'j.parquet'), '--quiet']);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/a Parquet output takes its schema from Parquet inputs, and .*crawl\.jsonl is jsonl/);
    const other = path.join(dir, 'other.parquet');
    await db.run(`COPY (SELECT id, text FROM crawl) TO '${other}' (FORMAT parquet)`);
    const b = run(['clean', inputs.snappy!, other, '-o', path.join(dir, 'mixed.parquet'), '--quiet']);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(new RegExp(`${esc(other)}: its schema differs from ${esc(inputs.snappy!)}'s`));
    expect(fs.readdirSync(dir).filter((n) => n.includes('.partial'))).toEqual([]);
  });
});
