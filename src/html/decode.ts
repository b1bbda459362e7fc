/**
 * HTML bytes to a string. Which charset: a byte order mark, else the HTTP Content-Type charset, else a
 * <meta charset> or <meta http-equiv="Content-Type" content="…; charset=…"> in the first 4 KB, else UTF-8
 * (the WHATWG order, without its locale-dependent guess).
 *
 * One correction on top: a page declared in a legacy charset (windows-1256, iso-8859-1, gbk, …) whose
 * bytes are valid UTF-8 and not plain ASCII is decoded as UTF-8. Scraped pages often keep an old <meta>
 * after the site moved to UTF-8, and legacy text of any length is almost never valid UTF-8 by chance
 * (Arabic windows-1256 letters are 0xC1-0xFE, which UTF-8 allows only as lead bytes).
 *
 * Decoding uses TextDecoder (Node ships full ICU), except UTF-8, which uses Buffer#utf8Slice: markup is
 * mostly ASCII and that decoder is the fastest on it.
 */
import { isAscii, isUtf8 } from 'node:buffer';

export interface Decoded {
  html: string;
  /** The charset used, as TextDecoder names it ('utf-8', 'windows-1256', 'windows-1252' for iso-8859-1, …). */
  charset: string;
  /** U+FFFD characters the decoder produced for bytes invalid in that charset (those in the input are not counted). */
  invalidBytes: number;
}

const CHARSET_RE = /charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)/i;
const META_RE = /<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)/i;

/** The canonical name of a charset label, or null when TextDecoder does not know it. */
export function charsetName(label: string): string | null {
  try {
    return new TextDecoder(label.trim().toLowerCase()).encoding;
  } catch {
    return null;
  }
}

/** The charset a <meta> in the first 4 KB declares, or null. */
export function sniffMetaCharset(bytes: Buffer): string | null {
  const head = bytes.toString('latin1', 0, Math.min(bytes.length, 4096)).replace(/<!--[\s\S]*?-->/g, '');
  const m = META_RE.exec(head);
  return m ? m[1]! : null;
}

function countFffd(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\ufffd'); i >= 0; i = s.indexOf('\ufffd', i + 1)) n++;
  return n;
}

function countUtf8Fffd(b: Buffer): number {
  let n = 0;
  const seq = Buffer.from([0xef, 0xbf, 0xbd]);
  for (let i = b.indexOf(seq); i >= 0; i = b.indexOf(seq, i + 3)) n++;
  return n;
}

const isUtf16 = (cs: string): boolean => cs === 'utf-16le' || cs === 'utf-16be';

export function decodeHtml(bytes: Buffer, httpContentType?: string): Decoded {
  let charset: string | null = null;
  let bom = 0;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    charset = 'utf-8';
    bom = 3;
  } else if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    charset = 'utf-16le';
    bom = 2;
  } else if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    charset = 'utf-16be';
    bom = 2;
  }
  let declared = false;
  if (charset === null && httpContentType) {
    const m = CHARSET_RE.exec(httpContentType);
    if (m) charset = charsetName(m[1]!);
    declared = charset !== null;
  }
  if (charset === null) {
    const meta = sniffMetaCharset(bytes);
    if (meta !== null) {
      charset = charsetName(meta);
      // A <meta> cannot declare UTF-16: the bytes it was read from are ASCII-compatible (WHATWG).
      if (charset !== null && isUtf16(charset)) charset = 'utf-8';
    }
    declared = charset !== null;
  }
  if (charset === null) charset = 'utf-8';
  if (declared && charset !== 'utf-8' && !isUtf16(charset) && !isAscii(bytes) && isUtf8(bytes)) charset = 'utf-8';

  const body = bom ? bytes.subarray(bom) : bytes;
  if (charset === 'utf-8') {
    const html = body.toString('utf8');
    const bad = html.indexOf('\ufffd') < 0 ? 0 : countFffd(html) - countUtf8Fffd(body);
    return { html, charset, invalidBytes: bad };
  }
  const decoder = new TextDecoder(charset, { ignoreBOM: true });
  const html = decoder.encoding === 'windows-1252' ? windows1252(body) : decoder.decode(body);
  let bad = html.indexOf('\ufffd') < 0 ? 0 : countFffd(html);
  if (bad > 0 && isUtf16(charset)) {
    // U+FFFD written in the input itself is not an invalid byte.
    const be = charset === 'utf-16be';
    for (let i = 0; i + 1 < body.length; i += 2) if (body[i] === (be ? 0xff : 0xfd) && body[i + 1] === (be ? 0xfd : 0xff)) bad--;
  }
  return { html, charset, invalidBytes: bad };
}

/** windows-1252's bytes 0x80–0x9F (the Encoding Standard's table; 0x81, 0x8D, 0x8F, 0x90, 0x9D stay C1). */
const CP1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * windows-1252 (what iso-8859-1, latin1 and us-ascii mean on the web), decoded here: Node 20.18.3+'s
 * TextDecoder gives bytes 0x80–0x9F as C1 controls (nodejs/node#60888), so "Editors’ note" came out with
 * U+0092 in it.
 */
function windows1252(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return /[\x80-\x9f]/.test(s) ? s.replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!) : s;
}
