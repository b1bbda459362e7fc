import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { learn, strip, type Rec } from '../src/index.js';
import { seedPool } from '../src/sim/articles.js';
import { simulate } from '../src/sim/generate.js';
import { ROOT, tmpdir } from './helpers/cli.js';

const dir = tmpdir('bs-readme-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The README's library example: the ts code block of its "Library" section. */
function libraryExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Library\n'));
  const m = /```ts\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 1)));
  if (m === null) throw new Error('README.md has no ts block in its Library section');
  return m[1]!;
}

describe("README's Library example", () => {
  it('compiles in strict mode against the package as users install it, and runs on a crawl made from seeds/', { timeout: 120_000 }, async () => {
    // A project of its own: the package (a link to this repository, resolved through its exports to dist/)
    // and Node's types.
    const proj = path.join(dir, 'user');
    fs.mkdirSync(path.join(proj, 'node_modules', '@types'), { recursive: true });
    fs.symlinkSync(ROOT, path.join(proj, 'node_modules', 'boilerstrip'));
    fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(proj, 'node_modules', '@types', 'node'));
    fs.writeFileSync(path.join(proj, 'package.json'), '{"type":"module","private":true}');
    fs.writeFileSync(
      path.join(proj, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true, types: ['node'], outDir: 'out', skipLibCheck: false },
        files: ['example.ts'],
      }),
    );
    const example = libraryExample();
    expect(example).not.toContain('…');
    fs.writeFileSync(path.join(proj, 'example.ts'), example);
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', proj], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);

    // Run it on a crawl simulated from seeds/: what it prints (learn + strip) and what its stream pipeline
    // writes are the library's learn + strip of those records.
    const recs: Rec[] = [...simulate(seedPool(path.join(ROOT, 'seeds')), { seed: 3, docs: 400 })].map((d) => ({ id: d.id, url: d.url, text: d.text }));
    const crawl = path.join(proj, 'crawl.jsonl');
    fs.writeFileSync(crawl, recs.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const r = spawnSync(process.execPath, ['out/example.js', crawl, path.join(proj, 'clean.jsonl')], { cwd: proj, encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.status, r.stderr).toBe(0);
    const want: string[] = [];
    for await (const rec of strip(recs, await learn(recs))) want.push(JSON.stringify(rec));
    expect(want.join('\n')).not.toBe(recs.map((x) => JSON.stringify(x)).join('\n'));
    expect(r.stdout).toBe(`${want.join('\n')}\n`);
    expect(fs.readFileSync(path.join(proj, 'clean.jsonl'), 'utf8')).toBe(`${want.join('\n')}\n`);
    const kept = want.reduce((n, line) => n + ((JSON.parse(line) as Rec).text as string).length, 0);
    expect(r.stderr).toBe(`clean kept ${kept} characters of text\n`);
  });
});
