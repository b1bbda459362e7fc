import { describe, expect, it } from 'vitest';
import { htmlPeers, markdownToText } from '../bench/html-peers.js';
import { fragmentToText, keptText, labelledText, scoreTexts, stripLabels } from '../bench/real-pages.js';

describe('markdownToText', () => {
  it('strips links, images, headings, bullets, emphasis and tables', () => {
    const md = [
      '# Title **bold**',
      '',
      'See [the report](https://x.eu/a_(b) "t") and ![chart](c.png) _now_, snake_case stays.',
      '[![logo](l.png)](/home)',
      '',
      '- one',
      '  * two',
      '3. three',
      '> quoted ~~old~~',
      '',
      '| a | b |',
      '| --- | :---: |',
      '| 1 \\| 2 | `x` |',
      '---',
      '```',
      'code | kept',
      '```',
      'Europ**äische**<h3>Head</h3>Body \\*not em\\*',
    ].join('\n');
    expect(markdownToText(md).split('\n')).toEqual([
      'Title bold',
      'See the report and now, snake_case stays.',
      'one',
      'two',
      'three',
      'quoted old',
      'a b',
      '1 | 2 x',
      'code | kept',
      'Europäische',
      'Head',
      'Body *not em*',
    ]);
  });
});

describe('fragmentToText', () => {
  it('joins words split by inline tags, breaks lines at block tags, decodes entities', () => {
    expect(fragmentToText('<H3>\n<P><B>Die Europ</B></I><I><B>äische &amp; Co&reg;</B></H3><P>Zwei<BR>Drei &#xfc;</P>')).toBe('Die Europäische & Co®\nZwei\nDrei ü');
  });
});

describe('scoreTexts', () => {
  it('scores texts against gold with the page text as the damage baseline', () => {
    const pages = [
      { text: 'Menu Home\nThe body text here', gold: 'The body text here' },
      { text: 'Menu Home\nAnother article body', gold: 'Another article body' },
    ];
    const r = scoreTexts('m', pages, ['The body text here', 'Menu Another']);
    expect(r.precision).toBeCloseTo(5 / 6);
    expect(r.recall).toBeCloseTo(5 / 7);
    expect(r.damaged).toBe(0.5);
    expect(keptText('abc\ndef', [[0, 4]])).toBe('def\n');
  });
});

describe('htmlPeers', () => {
  it('extracts an article; a page with no article gives an empty string', async () => {
    const para = 'The committee approved the new budget after a long debate about schools, roads and hospitals in the region. ';
    const html = `<html><head><title>News</title></head><body><nav><a href="/">Home</a> <a href="/about">About</a></nav><article><h1>Budget</h1><p>${para.repeat(4)}</p><p>${para.repeat(3)}</p></article><footer>Copyright</footer></body></html>`;
    const pages = [
      { html, url: 'https://example.org/a', site: 'example.org' },
      { html: '<html><body></body></html>', url: 'https://example.org/b', site: 'example.org' },
    ];
    const peers = htmlPeers();
    expect(peers.map((p) => p.name)).toEqual(['Mozilla Readability (jsdom)', 'mdream', 'mdream (main content)']);
    const [readability, mdream] = peers;
    const r = await readability!.run(pages);
    expect(r[0]).toContain('The committee approved');
    expect(r[0]).not.toContain('About');
    expect(r[1]).toBe('');
    expect(readability!.empty).toBe(1);
    expect(readability!.failures).toBe(0);
    const m = await mdream!.run(pages);
    expect(m[0]).toContain('Home About');
    expect(m[0]).toContain('Budget');
    expect(m[0]).not.toMatch(/[#*[\]]/);
  });
});

describe('Google-Trends-2017 gold', () => {
  const html = `<html><head><title>T</title></head><body><div class="nav"><a href="/">Home</a></div>
<h1 __label="title">Headline</h1><div __label='main'><p>First <b __label="main">bold</b> para.</p><script>var x = 1;</script><p>Second &amp; last.</p></div>
<p __label="main">Third.</p><div __label="comment">A comment</div></body></html>`;
  it('is the text of the __label="main" elements, nested ones once, one block a line', () => {
    expect(labelledText(html).split('\n')).toEqual(['First bold para.', 'Second & last.', 'Third.']);
  });
  it('the HTML the methods get has no labels left', () => {
    const s = stripLabels(html);
    expect(s).not.toMatch(/__label/);
    expect(s).toContain('<h1>Headline</h1>');
    expect(s).toContain('<b>bold</b>');
  });
});
