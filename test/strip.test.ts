import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Model } from '../src/model.js';
import { Stripper, type Span } from '../src/strip.js';
import { body, tag } from './helpers/words.js';

function apply(text: string, spans: Span[]): string {
  let out = '';
  let pos = 0;
  for (const [s, e] of spans) {
    out += text.slice(pos, s);
    pos = e;
  }
  return out + text.slice(pos);
}

function site(n: number, make: (i: number) => string): { model: Model; docs: string[] } {
  const docs = Array.from({ length: n }, (_, i) => make(i));
  const model = new Model();
  for (const d of docs) model.learnDoc(d, 'news.example');
  return { model, docs };
}


describe('strip, one document after another', () => {
  it("judges a document alone: a tail of blank and symbol-only lines stays whatever the Stripper cleaned before", () => {
    // A page whose last kept line is followed by lines with no letters (a script's "});"); the Stripper's
    // line columns are reused from document to document, and what lay past this page's lines was another's.
    const { model, docs } = site(30, (i) => `شكرا على الإبلاغ!\nعنوان المقال ${tag(i * 13)}\n${body(i)}\n});\n  \n});`);
    const long = Array.from({ length: 400 }, (_, k) => `${body(k + 5000)}`).join('\n');
    const alone = new Stripper(model).strip(docs[3]!, 'news.example');
    expect(alone.text.endsWith('});\n  \n});')).toBe(true);
    expect(apply(docs[3]!, alone.spans)).toBe(alone.text);
    const s = new Stripper(model);
    s.strip(long, 'news.example');
    const after = s.strip(docs[3]!, 'news.example');
    expect(after.text).toBe(alone.text);
    expect(after.spans).toEqual(alone.spans);
  });
});

describe('strip', () => {
  it('removes lines repeated across the site and keeps the article; spans rebuild the output', () => {
    const { model, docs } = site(30, (i) => `شكرا على الإبلاغ!\n\n\nعنوان المقال ${tag(i * 13)}\n${body(i)}\n${body(i + 1000)}\n\nانقر هنا لقراءة الخبر من مصدره.`);
    const s = new Stripper(model);
    for (const d of docs) {
      const r = s.strip(d, 'news.example');
      expect(r.text).not.toContain('شكرا على الإبلاغ');
      expect(r.text).not.toContain('انقر هنا');
      expect(r.text.startsWith('عنوان المقال')).toBe(true);
      expect(apply(d, r.spans)).toBe(r.text);
      // Spans are ordered and disjoint.
      for (let k = 1; k < r.spans.length; k++) expect(r.spans[k]![0]).toBeGreaterThanOrEqual(r.spans[k - 1]![1]);
    }
  });

  it('leaves a corpus with no repeated units byte-identical', () => {
    const { model, docs } = site(25, (i) => `${body(i)}\n\n${body(i + 500)}\r\n${body(i + 900)}`);
    const s = new Stripper(model);
    for (const d of docs) {
      const r = s.strip(d, 'news.example');
      expect(r.text).toBe(d);
      expect(r.spans).toEqual([]);
    }
  });

  it('removes chrome items from a ticker and the whole ticker when most items are chrome', () => {
    const heads = Array.from({ length: 40 }, (_, i) => `خبر عاجل ${tag(i * 31)} عن حدث مهم`);
    const { model, docs } = site(30, (i) => `${heads.slice(i % 10, (i % 10) + 8).join('\u00a0\u00a0\u00a0\u00a0')}\n${body(i)}`);
    const s = new Stripper(model);
    const r = s.strip(docs[15]!, 'news.example');
    expect(r.text).toBe(body(15));
    expect(r.spans[0]![2]).toBe('chain');
  });

  it('keeps one blank line between kept paragraphs when chrome between them goes', () => {
    const { model, docs } = site(30, (i) => `${body(i)}\n\nاقرأ المزيد من الأخبار\n\n${body(i + 300)}`);
    const r = new Stripper(model).strip(docs[3]!, 'news.example');
    expect(r.text).toBe(`${body(3)}\n\n${body(303)}`);
  });

  it('ends the output the way the input ended (no dangling newline)', () => {
    const { model, docs } = site(30, (i) => `${body(i)}\nجميع الحقوق محفوظة`);
    const r = new Stripper(model).strip(docs[0]!, 'news.example');
    expect(r.text).toBe(body(0));
  });

  it('reports a document that is all chrome as emptied', () => {
    const { model } = site(30, (i) => `قائمة الموقع\nجميع الحقوق محفوظة\n${body(i)}`);
    const r = new Stripper(model).strip('قائمة الموقع\nجميع الحقوق محفوظة', 'news.example');
    expect(r.emptied).toBe(true);
    expect(r.text).toBe('');
  });

  it("keeps an article's own title that other pages list as related", () => {
    const titles = Array.from({ length: 40 }, (_, i) => `عنوان خبر مهم ${tag(i * 17)} في المدينة`);
    const { model, docs } = site(40, (i) => {
      const related = [1, 2, 3, 4, 5].map((k) => titles[(i + k) % 40]).join('\n');
      return `القائمة الرئيسية\n${titles[i]}\nبقلم: محرر الموقع\n${body(i)}\n${body(i + 77)}\nمقالات ذات صلة\n${related}\nجميع الحقوق محفوظة`;
    });
    const s = new Stripper(model);
    for (const i of [3, 20, 33]) {
      const r = s.strip(docs[i]!, 'news.example');
      expect(r.text.startsWith(`${titles[i]}\n`)).toBe(true);
      expect(r.text).not.toContain('مقالات ذات صلة');
      expect(r.text).not.toContain(titles[(i + 1) % 40]!);
    }
  });

  it('a line above the body on nearly every page of the site is no title to put back, though one page lacks it', () => {
    // 40 pages with a newsletter box above the article, and one page without it (a 404): the box is on 40 of
    // the site's 41 pages, not on every one, yet no article's title.
    for (const box of ['اشترك في نشرتنا البريدية اليومية الآن', 'Sign up for our daily newsletter']) {
      const { model, docs } = site(40, (i) => `${box}
${body(i)}
${body(i + 500)}
جميع الحقوق محفوظة`);
      model.learnDoc('الصفحة غير موجودة', 'news.example');
      const s = new Stripper(model);
      for (const d of docs) expect(s.strip(d, 'news.example').text).not.toContain(box);
    }
  });

  it('uses corpus-wide counts for a site with too few documents', () => {
    const model = new Model();
    for (let i = 0; i < 30; i++) model.learnDoc(`Share on Facebook\n${body(i)}`, `big${i % 3}.example`);
    for (let i = 0; i < 3; i++) model.learnDoc(`Share on Facebook\n${body(100 + i)}`, 'tiny.example');
    const r = new Stripper(model).strip(`Share on Facebook\n${body(100)}`, 'tiny.example');
    expect(r.fallback).toBe(true);
    expect(r.text).toBe(body(100));
  });

  it('counts duplicate documents once', () => {
    const model = new Model();
    const dup = `${body(1)}\n${body(2)}`;
    for (let i = 0; i < 10; i++) model.learnDoc(`ticker ${tag(i)}\n${dup}`, 'dup.example');
    const r = new Stripper(model, { minDocs: 2 }).strip(`ticker ${tag(0)}\n${dup}`, 'dup.example');
    expect(r.copies).toBe(10);
    expect(r.text).toContain(body(1));
    expect(r.text).toContain(body(2));
    // Without the fingerprints the copies' paragraphs are chrome by count.
    const plain = new Model({ dedup: false });
    for (let i = 0; i < 10; i++) plain.learnDoc(`ticker ${tag(i)}\n${dup}`, 'dup.example');
    const p = new Stripper(plain, { minDocs: 2 }).strip(`ticker ${tag(0)}\n${dup}`, 'dup.example');
    expect(p.copies).toBe(1);
    expect(p.text).not.toContain(body(1));
  });
});

describe('in-page evidence', () => {
  it('a label repeated before teasers is a list on a single page (seed 001 at defaults), body kept whole', () => {
    const dir = new URL('../seeds/', import.meta.url);
    const files = fs.readdirSync(dir).sort();
    const model = new Model();
    const texts = files.map((f) => fs.readFileSync(new URL(f, dir), 'utf8'));
    for (const t of texts) model.learnDoc(t, '');
    const t = texts[1]!;
    const r = new Stripper(model).strip(t, '');
    expect(t.split('\n').filter((l) => l === 'اخر الاخبار').length).toBeGreaterThanOrEqual(9);
    // The label stays once (above the title, no teaser after it); its eight repetitions before teasers go.
    expect(r.text.split('\n').filter((l) => l === 'اخر الاخبار').length).toBe(1);
    for (const line of r.text.split('\n')) expect(line.endsWith('...')).toBe(false);
    // Every body paragraph (long lines that are not teasers) is kept whole.
    for (const line of t.split('\n')) if (line.split(' ').length >= 25 && !line.endsWith('...')) expect(r.text).toContain(line);
  });
});

describe('single-page cues (page-cues.ts): chrome one page gives away', () => {
  const alone = (text: string): string => {
    const model = new Model();
    model.learnDoc(text, 'one.example');
    return new Stripper(model).strip(text, 'one.example').text;
  };
  const headline = (i: number): string => `${tag(i)} ${tag(i + 1)} يحرز هدفا في مباراة ${tag(i + 2)} الكبيرة`;
  const ticker = Array.from({ length: 12 }, (_, i) => headline(i * 7)).join('\u00a0\u00a0\u00a0\u00a0');

  it('removes a ticker of headlines joined by NBSP runs, and keeps the article', () => {
    const text = `${ticker}\n\n${body(1)}\n\n${body(2)}`;
    const out = alone(text);
    expect(out).not.toContain(headline(0));
    expect(out).toContain(body(1));
    expect(out).toContain(body(2));
  });

  it('keeps double-spaced prose, short table rows and short chains', () => {
    const sentences = Array.from({ length: 10 }, (_, i) => `${tag(i * 3)} ${tag(i * 3 + 1)} قال إن الوضع تحسن كثيرا اليوم.`).join('  ');
    const table = Array.from({ length: 12 }, (_, i) => `${tag(i)} ${i}`).join('    ');
    const short = Array.from({ length: 5 }, (_, i) => headline(i)).join('\u00a0\u00a0');
    for (const line of [sentences, table, short]) {
      const text = `${line}\n\n${body(3)}`;
      expect(alone(text)).toBe(text);
    }
  });

  it('removes publication stamps and keeps dated sentences and datelines', () => {
    const stamps = ['نشر في الأول يوم 30 - 11 - 2024', 'منشور الاثنين 2 ديسمبر 2024', 'Posted on May 5, 2013 by admin', 'آخر تحديث: 2024/11/30'];
    for (const s of stamps) {
      const out = alone(`${s}\n${body(4)}`);
      expect(out, s).toBe(body(4));
    }
    const keep = [
      'نشر التقرير في 12 - 3 - 2011 وأكد فيه الباحثون أن معدلات البطالة ارتفعت بشكل كبير خلال العام',
      'الرياض 30 - 11 - 2024',
      'Published works of 2013',
      'نشر في الأول',
    ];
    for (const k of keep) {
      const text = `${k}\n${body(5)}`;
      expect(alone(text), k).toBe(text);
    }
  });
});

describe('near-copies (shingle fingerprints)', () => {
  // A paragraph of 18-30 distinct words, stable for a seed.
  const para = (seed: number): string => Array.from({ length: 18 + (seed % 13) }, (_, k) => tag(seed * 131 + k * 7 + 1)).join(' ');

  it('an edited wire story on several sites counts once; its paragraphs stay', () => {
    const model = new Model();
    const pages: [string, string][] = [];
    const story = [para(1), para(2)];
    for (let s = 0; s < 6; s++) {
      for (let i = 0; i < 12; i++) {
        const chrome = `شارك هذا المقال\nجميع الحقوق محفوظة للموقع ${tag(s)}`;
        let text = `عنوان ${tag(s * 100 + i)} ${tag(i)}\n${para(1000 + s * 100 + i)}\n${para(5000 + s * 100 + i)}\n${chrome}`;
        // Every site runs the story once, each copy edited: a dateline before the first paragraph, a word after the second.
        if (i === 0) text = `عنوان آخر ${tag(s + 900)}\n${tag(s + 50)} - واس: ${story[0]}\n${story[1]} ${tag(s + 70)}\n${chrome}`;
        pages.push([text, `site${s}.example`]);
        model.learnDoc(text, `site${s}.example`);
      }
    }
    const st = new Stripper(model);
    for (const [text, site] of pages) {
      const r = st.strip(text, site);
      if (text.includes(story[0]!)) {
        // Whole-line fingerprints see six different documents; the shingle bands see one story.
        expect(r.copies).toBeGreaterThanOrEqual(4);
        expect(r.text).toContain(story[0]);
      } else expect(r.copies).toBe(1);
    }
  });

  it('long blurbs that many pages of a site carry are no copies', () => {
    // Every page has its own article and two of five long sidebar blurbs; the blurbs are on 8 pages each.
    const blurbs = [0, 1, 2, 3, 4].map((b) => para(7000 + b));
    const { model, docs } = site(20, (i) => `${para(100 + i)}\n${para(300 + i)}\n${blurbs[i % 5]}\n${blurbs[(i + 1) % 5]}\n${para(500 + i)}`);
    const s = new Stripper(model);
    for (const d of docs) expect(s.strip(d, 'news.example').copies).toBe(1);
  });

  it('on a small site whose pages all list each other, each page keeps its own title and the lists go', () => {
    const title = (i: number): string => `عنوان الخبر ${tag(i * 17 + 2)} يتصدر المشهد في ${tag(i * 5 + 1)}`;
    const { model, docs } = site(4, (i) =>
      [
        'الرئيسية | أخبار | رياضة | اقتصاد',
        title(i),
        'الرياض - واس',
        'الثلاثاء 2 يناير 2024',
        `${body(i)} ${body(i + 500)}`,
        `${body(i + 100)} ${body(i + 600)}`,
        'الأكثر قراءة',
        ...[0, 1, 2, 3].filter((k) => k !== i).map(title),
        'جميع الحقوق محفوظة',
      ].join('\n'),
    );
    const s = new Stripper(model);
    docs.forEach((d, i) => {
      const r = s.strip(d, 'news.example');
      // Every page lists the other three titles, so each title is on all four pages.
      expect(r.text.split('\n').filter((l) => l.startsWith('عنوان الخبر'))).toEqual([title(i)]);
      expect(r.text).toContain(body(i + 100));
      expect(r.text).not.toContain('الأكثر قراءة');
      expect(r.text).not.toContain('الثلاثاء 2 يناير 2024');
    });
  });
  it('a dateline before a one-line story loses the dateline only; unknown teasers in a list of known ones go', () => {
    // (Each opens with its own word: body() paragraphs share their first words, which makes them teasers of one another.)
    const teaser = (k: number): string => `${tag(k)} ${body(k)} وتابع المصدر أن...`;
    const { model, docs } = site(30, (i) =>
      [
        `القاهرة، الإمارات العربية المتحدة (CNN) --\u00a0\u00a0خبر قصير عن ${tag(i * 3 + 7)} اليوم`,
        `${body(i)} ${body(i + 700)}`,
        'مقالات ذات صلة',
        teaser(9000),
        teaser(9001),
        teaser(20000 + i),
        teaser(30000 + i),
        // An opinion column whose paragraphs end in "..": no teaser the counts know among them.
        `${tag(i + 40000)} ${body(i + 40000)}..`,
        `${tag(i + 41000)} ${body(i + 41000)}..`,
        `${tag(i + 42000)} ${body(i + 42000)}..`,
      ].join('\n'),
    );
    const s = new Stripper(model);
    docs.forEach((d, i) => {
      const r = s.strip(d, 'news.example');
      expect(r.text).toContain(`خبر قصير عن ${tag(i * 3 + 7)} اليوم`);
      expect(r.text).not.toContain('(CNN)');
      expect(r.text).not.toContain(teaser(9000));
      expect(r.text).not.toContain(teaser(20000 + i));
      expect(r.text).not.toContain(teaser(30000 + i));
      for (const k of [40000, 41000, 42000]) expect(r.text).toContain(`${tag(i + k)} ${body(i + k)}..`);
    });
  });
  it('a kept headline with a stamp under it is the title: the banner above it is not put back as one', () => {
    const banners = ['We use cookies to improve your experience on our website. By continuing to browse, you agree.', 'Hi, what are you looking for today on our website and in our archive?'];
    const { model, docs } = site(30, (i) =>
      [banners[i % 2], 'الرئيسية | أخبار | رياضة | اقتصاد', `عنوان فريد ${tag(i * 11 + 4)} في المدينة`, `نشر في الموقع يوم ${10 + (i % 18)} - 01 - 2024`, `${body(i)} ${body(i + 800)}`].join('\n'),
    );
    const s = new Stripper(model);
    docs.forEach((d, i) => {
      const r = s.strip(d, 'news.example');
      expect(r.text.startsWith(`عنوان فريد ${tag(i * 11 + 4)} في المدينة`), r.text.slice(0, 80)).toBe(true);
      expect(r.text).toContain(body(i + 800));
    });
  });
  it('a label that mostly opens titles goes even before a full stop; a speech verb before a quote stays', () => {
    // "اقرأ أيضا: <another article's title>" on every page, its title ending in a full stop on a few;
    // "وقال: «...»." on every page: the second label opens prose on the site, the first does not.
    const { model, docs } = site(30, (i) =>
      [
        `عنوان ${tag(i * 7 + 1)} اليوم`,
        `${body(i)} ${body(i + 900)}`,
        `اقرأ أيضا: خبر ${tag(i * 3 + 2)} عن المدينة${i % 5 === 0 ? '.' : ''}`,
        `وقال: «الوضع ${tag(i * 5 + 3)} مستقر تماما».`,
        `${body(i + 1900)}`,
      ].join('\n'),
    );
    const s = new Stripper(model);
    docs.forEach((d, i) => {
      const r = s.strip(d, 'news.example');
      expect(r.text).not.toContain('اقرأ أيضا');
      expect(r.text).toContain(`وقال: «الوضع ${tag(i * 5 + 3)} مستقر تماما».`);
    });
  });
  it('teasers no other page gave away go when they sit under a list label; short paragraphs under a caption stay', () => {
    const { model, docs } = site(30, (i) =>
      [
        `${body(i)} ${body(i + 500)}`,
        'صورة أرشيفية',
        `${tag(i + 7000)} قال المسؤول إن العمل مستمر.`,
        `${tag(i + 8000)} وأضاف أن النتائج جيدة...`,
        'مقالات ذات صلة',
        `${tag(i + 9000)} ${body(i + 9000)} وتابع المصدر أن...`,
        `${tag(i + 9500)} ${body(i + 9500)} وأوضح البيان أن…`,
        'جميع الحقوق محفوظة',
      ].join('\n'),
    );
    const s = new Stripper(model);
    docs.forEach((d, i) => {
      const r = s.strip(d, 'news.example');
      expect(r.text).not.toContain(tag(i + 9000));
      expect(r.text).not.toContain(tag(i + 9500));
      expect(r.text).toContain(`${tag(i + 7000)} قال المسؤول إن العمل مستمر.`);
      expect(r.text).toContain(`${tag(i + 8000)} وأضاف أن النتائج جيدة...`);
    });
  });
});
