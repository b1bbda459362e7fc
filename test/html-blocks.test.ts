import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import {
  AD,
  ASIDE,
  blocksToText,
  COMMENT,
  COOKIE,
  decodeHtml,
  FOOTER,
  HEADER,
  hintNames,
  htmlToBlocks,
  MAIN,
  NAV,
  NEWSLETTER,
  RELATED,
  SHARE,
  TAGS,
  type Block,
} from '../src/html/blocks.js';

/** The fields a test compares, in one line per block. */
const brief = (bs: Block[]): string[] => bs.map((b) => `${b.kind}|${b.path}|${b.text}`);
const texts = (html: string): string[] => htmlToBlocks(html).blocks.map((b) => b.text);

describe('htmlToBlocks: blocks in reading order', () => {
  const page = `<!DOCTYPE html>
<html lang="ar"><head><title> Site  title </title>
<meta charset="windows-1256"><link rel="canonical" href=" https://ex.com/a/1 ">
<style>p { color: red }</style><script>document.write("<p>no</p>")</script></head>
<body>
<header id="top"><nav class="mainNav"><ul><li><a href="/">Home</a></li><li><a href="/news">World  news</a></li></ul></nav></header>
<div id="content-12" class="post-body entry3 x y">
  <h1>Big   &amp; bold</h1>
  <p>First <b>bold</b> sentence,<br>second line&nbsp;&nbsp;with NBSP.</p>
  <p>See <a href="/x">the link</a> here</p>
  <blockquote><p>Quoted</p></blockquote>
  <table><tr><td>c1</td><td>c2</td></tr></table>
  <figure><img src="a.jpg" alt="not text"><figcaption>A caption</figcaption></figure>
</div>
<aside class="related-posts"><ul><li><a href="/r">Related one</a></li></ul></aside>
<footer><p>© 2024</p></footer>
</body></html>`;

  it('gives the exact blocks, kinds and paths', () => {
    const p = htmlToBlocks(page);
    expect(brief(p.blocks)).toEqual([
      'title|title|Site title',
      'item|header#top>nav.mainNav>ul>li|Home',
      'item|header#top>nav.mainNav>ul>li|World news',
      'heading|div#content-0.post-body.entry0.x>h1|Big & bold',
      'paragraph|div#content-0.post-body.entry0.x>p|First bold sentence,',
      'paragraph|div#content-0.post-body.entry0.x>p|second line\u00a0\u00a0with NBSP.',
      'paragraph|div#content-0.post-body.entry0.x>p|See the link here',
      'paragraph|div#content-0.post-body.entry0.x>blockquote>p|Quoted',
      'cell|div#content-0.post-body.entry0.x>table>tbody>tr>td|c1',
      'cell|div#content-0.post-body.entry0.x>table>tbody>tr>td|c2',
      'caption|div#content-0.post-body.entry0.x>figure>figcaption|A caption',
      'item|aside.related-posts>ul>li|Related one',
      'paragraph|footer>p|© 2024',
    ].map((s) => s.replace('>tbody', '')));
    expect(p.title).toBe('Site title');
    expect(p.lang).toBe('ar');
    expect(p.canonical).toBe('https://ex.com/a/1');
    expect(p.charset).toBe('windows-1256');
    expect(p.truncated).toBeUndefined();
    expect(p.blocks.map((b) => b.index)).toEqual(p.blocks.map((_, i) => i));
  });

  it('counts link characters, characters and depth', () => {
    const bs = htmlToBlocks(page).blocks;
    const see = bs.find((b) => b.text.startsWith('See'))!;
    expect([see.chars, see.linkChars, see.depth]).toEqual([17, 8, 4]); // html>body>div>p
    const world = bs.find((b) => b.text === 'World news')!;
    expect([world.chars, world.linkChars]).toEqual([10, 10]);
    expect(bs[0]!.linkChars).toBe(0);
  });

  it('sets hint flags from tags, class and id words', () => {
    const bs = htmlToBlocks(page).blocks;
    const h = (t: string): string => hintNames(bs.find((b) => b.text === t)!.hints);
    expect(h('Home')).toBe('nav|header');
    expect(h('Big & bold')).toBe('main');
    expect(h('Related one')).toBe('aside|related');
    expect(h('© 2024')).toBe('footer');
    expect(h('Site title')).toBe('');
  });

  it('reads hints from role, itemprop, camelCase and compounds', () => {
    const cases: [string, number][] = [
      ['<div role="navigation">x</div>', NAV],
      ['<div role="contentinfo">x</div>', FOOTER],
      ['<div role="banner">x</div>', HEADER],
      ['<div class="sidebarWidget">x</div>', ASIDE],
      ['<div class="most-read">x</div>', RELATED],
      ['<div id="comments">x</div>', COMMENT],
      ['<div class="social-share-bar">x</div>', SHARE],
      ['<div class="post-tags">x</div>', TAGS | MAIN],
      ['<div class="ad-slot">x</div>', AD],
      ['<div id="cookieConsentBanner">x</div>', COOKIE],
      ['<div class="newsletter_signup">x</div>', NEWSLETTER],
      ['<div itemprop="articleBody">x</div>', MAIN],
      ['<div id="main">x</div>', MAIN],
      ['<div id="main-nav">x</div>', NAV],
      ['<div class="history">x</div>', 0],
      ['<div class="address">x</div>', 0],
      ['<div class="Breadcrumbs">x</div>', NAV],
    ];
    for (const [html, bits] of cases) expect([html, hintNames(htmlToBlocks(html).blocks[0]!.hints)]).toEqual([html, hintNames(bits)]);
  });

  it('takes no hints from <html> and <body> classes (they describe the page, not the block)', () => {
    const b = htmlToBlocks('<html class="nav"><body class="single comments-open has-sidebar"><div class="footer"><p>x</p></div></body></html>').blocks[0]!;
    expect(hintNames(b.hints)).toBe('footer');
  });

  it('lists the ancestors’ class and id words with tokens: true', () => {
    const b = htmlToBlocks('<div id="storyBody" class="art-text x2"><p class="lead">Hi</p></div>', { tokens: true }).blocks[0]!;
    expect(b.tokens).toEqual(['story', 'body', 'art', 'text', 'x', 'lead']);
    expect(htmlToBlocks('<p>Hi</p>').blocks[0]!.tokens).toBeUndefined();
  });

  it('writes one block a line', () => {
    expect(blocksToText(htmlToBlocks('<title>T</title><h2>Head</h2><ul><li>a</li><li>b <i>c</i></li></ul>tail'))).toBe('T\nHead\na\nb c\ntail');
  });
});

describe('htmlToBlocks: what is dropped and how text is joined', () => {
  it('drops scripts, styles, forms controls, embedded content and hidden elements', () => {
    const html = `<p>a<script>x()</script><style>.x{}</style><noscript>enable js</noscript>b</p>
      <template><p>tpl</p></template><svg><text>svg text</text><title>svg title</title></svg><math><mi>x</mi></math>
      <iframe>frame</iframe><object><param name="movie" value="v.swf"><embed src="v.swf"></object><canvas>cv</canvas><select><option>opt</option></select>
      <button>Click</button><input value="in"><textarea>ta</textarea>
      <div hidden>h1</div><div aria-hidden="true">h2</div><div aria-hidden="false">shown</div>
      <div style="color:red; DISPLAY : none">h3</div><span style="visibility:hidden">h4</span>
      <p>c<span hidden>h5</span>d</p>`;
    expect(texts(html)).toEqual(['ab', 'shown', 'cd']);
  });

  it("keeps an <object>'s fallback content: browsers show it now that plugins are gone", () => {
    expect(texts('<object data="v.swf"><param name="a" value="b"><div><p class="caption">A video caption</p></div></object>')).toEqual(['A video caption']);
  });

  it('joins inline elements and splits at block elements and <br>', () => {
    expect(texts('<div>one <span>two</span><a href="#">three</a> <em> four </em><div>five</div>six<br/>seven<hr>eight</div>')).toEqual([
      'one twothree four',
      'five',
      'six',
      'seven',
      'eight',
    ]);
  });

  it('collapses ordinary whitespace, keeps NBSP, decodes entities', () => {
    expect(texts('<p>\n\t a  \r\n b\f</p><p>x&nbsp;&nbsp;&nbsp;y &#1575;&#x644; &lt;tag&gt; &quot;q&quot; &amp;amp &copy</p>')).toEqual([
      'a b',
      'x\u00a0\u00a0\u00a0y ال <tag> "q" &amp ©',
    ]);
  });

  it('gives <pre> one block a line', () => {
    const p = htmlToBlocks('<pre>line  one\r\n   indented\n\nlast</pre>after');
    expect(brief(p.blocks)).toEqual(['pre|pre|line one', 'pre|pre|indented', 'pre|pre|last', 'paragraph||after']);
  });

  it('handles CRLF line ends like LF', () => {
    const crlf = '<html>\r\n<body>\r\n<p>one\r\ntwo</p>\r\n<ul>\r\n<li>a</li>\r\n</ul>\r\n</body>\r\n</html>\r\n';
    expect(texts(crlf)).toEqual(['one two', 'a']);
    expect(texts(crlf)).toEqual(texts(crlf.replace(/\r\n/g, '\n')));
  });

  it('gives no blocks for a page without text', () => {
    expect(htmlToBlocks('').blocks).toEqual([]);
    expect(htmlToBlocks('   \n ').blocks).toEqual([]);
    const p = htmlToBlocks('<html><head><meta charset="utf-8"></head><body><div><img src="x.png"></div><script>1</script> &#32; </body></html>');
    expect(p.blocks).toEqual([]);
    expect(p.title).toBe('');
    expect(blocksToText(p)).toBe('');
  });

  it('does not keep the page string alive through block texts', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept: Block[] = [];
    for (let i = 0; i < 5; i++) {
      const html = `<p>a paragraph long enough to be sliced ${i}</p><script>${'x'.repeat(20e6)}</script><p>two <b>parts</b> here</p>`;
      kept.push(...htmlToBlocks(html).blocks);
    }
    gc();
    expect(kept.map((b) => b.text).slice(0, 2)).toEqual(['a paragraph long enough to be sliced 0', 'two parts here']);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(30e6); // 5 pages of 20 MB were read
  });

  it('stops at maxBlocks and says so', () => {
    const p = htmlToBlocks('<p>1</p><p>2</p><p>3</p><p>4</p>', { maxBlocks: 2 });
    expect(p.blocks.map((b) => b.text)).toEqual(['1', '2']);
    expect(p.truncated).toBe(true);
  });

  it('keeps the last 12 levels in paths', () => {
    const html = Array.from({ length: 20 }, (_, i) => `<div class="l${i}">`).join('') + 'deep';
    const b = htmlToBlocks(html).blocks[0]!;
    expect(b.path).toBe(Array.from({ length: 12 }, () => 'div.l0').join('>'));
    expect(b.depth).toBe(20);
  });
});

describe('htmlToBlocks: broken HTML', () => {
  it('survives unclosed tags, stray end tags and <p> inside <p>', () => {
    expect(texts('<div><p>one<p>two</span></div></div></p>three<li>four<li>five</ul>six')).toEqual(['one', 'two', 'three', 'four', 'fivesix']); // a stray </ul> is ignored, as browsers do
    expect(texts('<ul><li>four<li>five</ul>six')).toEqual(['four', 'five', 'six']);
    expect(brief(htmlToBlocks('<p>a<p>b').blocks)).toEqual(['paragraph|p|a', 'paragraph|p|b']);
    expect(texts('</p></div></body>text<b>bold<i>both</b>italic')).toEqual(['textboldbothitalic']);
  });

  it('survives truncation anywhere', () => {
    const html = '<html><body><div class="a"><p>Hello <a href="/x">wor&amp;ld</a> end</p><p>second</p></div></body></html>';
    for (let n = 0; n <= html.length; n++) {
      const p = htmlToBlocks(html.slice(0, n));
      for (const b of p.blocks) expect(b.text).not.toMatch(/^\s|\s$|\n/);
    }
    expect(texts('<div class="x"><p>abc <b>de')).toEqual(['abc de']);
    expect(texts('<p>abc</p><div class="unfinished')).toEqual(['abc']);
    expect(texts('<p>abc <!-- comment never closed <p>x')).toEqual(['abc']);
  });

  it('handles 100,000 nested elements in linear time and bounded depth, without recursion', () => {
    const N = 100_000;
    const cases = [
      '<div>'.repeat(N) + 'x' + '</div>'.repeat(N) + '<p>after</p>',
      '<div>'.repeat(N) + 'x' + '</span>'.repeat(N) + '<p>after</p>',
      '<span>'.repeat(N) + 'x<p>after</p>',
      '<b><i>'.repeat(N / 2) + 'x<p>after</p>',
      '<div><script>'.repeat(N / 2) + 'x<p>after</p>',
    ];
    for (const html of cases) {
      const t = performance.now();
      const p = htmlToBlocks(html);
      const ms = performance.now() - t;
      expect(ms).toBeLessThan(3000);
      expect(p.blocks.length).toBeLessThanOrEqual(2);
      for (const b of p.blocks) expect(b.depth).toBeLessThanOrEqual(258);
    }
    const bs = htmlToBlocks(cases[0]!).blocks;
    expect(bs.map((b) => b.text)).toEqual(['x', 'after']);
    expect(bs[0]!.path.split('>').length).toBe(12);
    expect(htmlToBlocks(cases[4]!).blocks).toEqual([]); // the first script swallows the rest (raw text, unclosed)
    expect(htmlToBlocks('<div>'.repeat(1000) + 'x', { maxDepth: 10 }).blocks[0]!.depth).toBeLessThanOrEqual(11);
  });

  it('reads a 50 MB page in time linear in its size', () => {
    const unit =
      '<div class="item-7"><h2><a href="/a/123">Headline number one</a></h2><p>Body text with <b>bold</b> and &amp; an entity, ' +
      'enough words to be a paragraph.</p><ul class="menu"><li><a href="/1">One</a></li><li><a href="/2">Two</a></li></ul>' +
      '<script>var a = "<p>";</script></div>\n';
    const page = (bytes: number): string => '<html><body>' + unit.repeat(Math.ceil(bytes / unit.length)) + '</body></html>';
    const small = page(5e6);
    const big = page(50e6);
    htmlToBlocks(small); // warm-up
    const t0 = performance.now();
    const a = htmlToBlocks(small);
    const t1 = performance.now();
    const b = htmlToBlocks(big);
    const t2 = performance.now();
    expect(b.blocks.length).toBe(a.blocks.length * (Math.ceil(50e6 / unit.length) / Math.ceil(5e6 / unit.length)));
    expect(b.blocks[4]!.text).toBe('Headline number one');
    // 10x the input: linear is ~10x; allow noise on a shared machine, but not quadratic growth.
    expect((t2 - t1) / (t1 - t0)).toBeLessThan(25);
    expect(t2 - t1).toBeLessThan(30_000);
  });
});

describe('decodeHtml', () => {
  // مرحبا بكم in windows-1256
  const arabic1256 = [0xe3, 0xd1, 0xcd, 0xc8, 0xc7, 0x20, 0xc8, 0xdf, 0xe3];
  const arabicText = 'مرحبا بكم';
  const withMeta = (meta: string, body: number[]): Buffer =>
    Buffer.concat([Buffer.from(`<html><head>${meta}<title>t</title></head><body><p>`), Buffer.from(body), Buffer.from('</p></body></html>')]);

  it('decodes a windows-1256 Arabic page by its <meta charset>', () => {
    const d = decodeHtml(withMeta('<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">', arabic1256));
    expect(d.charset).toBe('windows-1256');
    expect(d.invalidBytes).toBe(0);
    expect(htmlToBlocks(d.html).blocks.map((b) => b.text)).toEqual(['t', arabicText]);
    expect(decodeHtml(withMeta('<meta charset=cp1256>', arabic1256)).html).toContain(arabicText);
  });

  it('prefers BOM over the HTTP header over <meta>', () => {
    const utf8 = Buffer.from(arabicText);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), withMeta('<meta charset="windows-1256">', [...utf8])]);
    const d = decodeHtml(bom, 'text/html; charset=iso-8859-1');
    expect([d.charset, d.html.charCodeAt(0)]).toEqual(['utf-8', '<'.charCodeAt(0)]);
    expect(d.html).toContain(arabicText);
    const h = decodeHtml(withMeta('<meta charset="utf-8">', arabic1256), 'text/html; Charset="Windows-1256"');
    expect(h.charset).toBe('windows-1256');
    expect(h.html).toContain(arabicText);
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<p>سلام</p>', 'utf16le')]);
    expect(decodeHtml(le)).toEqual({ html: '<p>سلام</p>', charset: 'utf-16le', invalidBytes: 0 });
  });

  it('reads a page declared in a legacy charset whose bytes are UTF-8 as UTF-8', () => {
    const d = decodeHtml(withMeta('<meta charset="iso-8859-1">', [...Buffer.from('Café ' + arabicText)]));
    expect(d.charset).toBe('utf-8');
    expect(d.html).toContain('Café ' + arabicText);
    // ASCII-only pages keep the declared charset; so do bytes that are not UTF-8.
    expect(decodeHtml(withMeta('<meta charset="iso-8859-1">', [0x61])).charset).toBe('windows-1252');
    expect(decodeHtml(withMeta('<meta charset="iso-8859-1">', [0x43, 0x61, 0x66, 0xe9])).html).toContain('Café');
  });

  it('reads windows-1252 (and iso-8859-1, which means it) bytes 0x80-0x9F as the web does: ’ – € ™, not C1 controls', () => {
    const bytes = [0x45, 0x64, 0x92, 0x20, 0x96, 0x20, 0x80, 0x99, 0x20, 0x81];
    for (const meta of ['<meta charset="windows-1252">', '<meta charset="iso-8859-1">']) {
      const d = decodeHtml(withMeta(meta, bytes));
      expect(d.charset).toBe('windows-1252');
      expect(d.html).toContain('Ed’ – €™ \u0081');
      expect(d.html).not.toMatch(/[\x92\x96\x80\x99]/);
    }
    expect(decodeHtml(withMeta('', bytes), 'text/html; charset=ISO-8859-1').html).toContain('Ed’ – €™');
  });

  it('counts invalid bytes, not U+FFFD that was in the input', () => {
    const bytes = Buffer.concat([Buffer.from('<p>a'), Buffer.from([0xff, 0xfe]), Buffer.from('b \ufffd c</p>')]);
    const d = decodeHtml(bytes);
    expect(d.charset).toBe('utf-8');
    expect(d.invalidBytes).toBe(2);
    expect(decodeHtml(Buffer.from('<p>\ufffd</p>')).invalidBytes).toBe(0);
  });

  it('falls back to UTF-8 for unknown or UTF-16 labels in <meta>, and ignores commented-out ones', () => {
    expect(decodeHtml(withMeta('<meta charset="no-such-charset">', [...Buffer.from('é')])).charset).toBe('utf-8');
    expect(decodeHtml(withMeta('<meta charset="utf-16">', [0x61])).charset).toBe('utf-8');
    expect(decodeHtml(withMeta('<!-- <meta charset="windows-1256"> -->', [0x61])).charset).toBe('utf-8');
    expect(decodeHtml(Buffer.alloc(0))).toEqual({ html: '', charset: 'utf-8', invalidBytes: 0 });
  });
});
