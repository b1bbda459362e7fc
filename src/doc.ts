/**
 * Records to documents: the one place that decides what a record's document is. A text record's document
 * is its text field; an HTML record's (an html field, an HTML file, a WARC response) is its page's blocks,
 * one a line (html/page.ts), with the block paths for the structural evidence. Pass 1 (learnRecord) and
 * pass 2 (DocCleaner) both go through here, on the main thread, in worker threads and in the library.
 */
import { PARSE, type HtmlDoc, type PageSource } from './html/page.js';
import { PageStripper } from './html/strip-page.js';
import type { Model } from './model.js';
import { getField, htmlOf, siteOfRecord, textOf, type ResolvedFields, type TextProblem } from './record.js';
import { siteOf } from './site.js';
import type { StripResult, Stripper } from './strip.js';

export interface Doc {
  /** The text judged: the record's text, or the page's blocks one a line. */
  text: string;
  site: string;
  /** Set for an HTML page. */
  html: HtmlDoc | null;
}

/** Why a record has no document; `html` when it was an HTML page with no text in it. */
export interface NoDoc {
  problem: TextProblem;
  html: boolean;
}

export function isDoc(d: Doc | NoDoc): d is Doc {
  return (d as Doc).text !== undefined;
}

const EMPTY_PAGE: NoDoc = { problem: 'empty', html: true };


/** The document of a record, or why it has none. */
export function docOf(value: Record<string, unknown>, f: ResolvedFields, pages: PageSource = PARSE): Doc | NoDoc {
  const h = htmlOf(value, f);
  if (h !== null) return pageDocOf(pages.page(h), siteOfRecord(value, f), f);
  const t = textOf(value, f);
  if (typeof t !== 'string') return { problem: t.problem === 'missing' ? htmlProblem(value, f) : t.problem, html: false };
  return { text: t, site: siteOfRecord(value, f), html: null };
}

/** The document of an HTML record whose page is `doc` and whose site and URL fields give `site`. */
export function pageDocOf(doc: HtmlDoc, site: string, f: ResolvedFields): Doc | NoDoc {
  if (doc.page.blocks.length === 0) return EMPTY_PAGE;
  // A page with no URL field (an HTML file) is placed by its canonical link.
  if (site === '' && doc.page.canonical !== undefined && f.siteField === undefined) site = siteOf(undefined, doc.page.canonical);
  return { text: doc.text, site, html: doc };
}

/**
 * Why a record without a text field has no page either: its HTML field counted as a text field would be
 * (null, not a string), or missing when it has none.
 */
function htmlProblem(value: Record<string, unknown>, f: ResolvedFields): TextProblem {
  const h = getField(value, f.htmlField);
  return h === undefined ? 'missing' : h === null ? 'null' : typeof h !== 'string' ? 'not-string' : h.length === 0 ? 'empty' : 'missing';
}

/**
 * Pass 1 for one record: count its document. Returns the document's text length (0: none counted).
 * `pages` parses its page, if it is one (clean's pass 1: and keeps the parse for pass 2).
 */
export function learnRecord(model: Model, value: Record<string, unknown>, f: ResolvedFields, pages: PageSource = PARSE): number {
  return learnDocument(model, docOf(value, f, pages));
}

/** learnRecord's count of a document (0: none). */
export function learnDocument(model: Model, d: Doc | NoDoc): number {
  if (!isDoc(d)) return 0;
  model.learnDoc(d.text, d.site, d.html?.distinct);
  return d.text.length;
}

/** learnRecord for a JSONL record read in place (jsonl-docs.ts; never an empty text): its text is in the kernel's text area already. */
export function learnLoaded(model: Model, text: string, site: string): number {
  model.learnDoc(text, site, undefined, true);
  return text.length;
}

/** Pass 2 over documents: text by the text rules, HTML pages by the block decision over all evidence. */
export class DocCleaner {
  private pages: PageStripper | null = null;
  constructor(readonly stripper: Stripper) {}

  /** The block decision of the last HTML page cleaned (null before the first). */
  get pageStripper(): PageStripper | null {
    return this.pages;
  }

  clean(d: Doc): StripResult {
    if (d.html === null) return this.stripper.strip(d.text, d.site);
    this.pages ??= new PageStripper(this.stripper);
    return this.pages.strip(d.html, d.site);
  }
}
