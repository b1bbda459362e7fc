/**
 * Site keys: documents are counted per site, so chrome is learned from the pages that share a template.
 * Site = the explicit site field, else the URL's host (lower-cased, `www.` dropped), else one shared site ''.
 */

const BARE_HOST = /^[a-z0-9-]+(\.[a-z0-9-]+)+(?=[:/?#]|$)/i;

/** The host of a URL, lower-cased and without `www.`; '' when the string has none. No URL object on the hot path. */
export function hostOf(url: string): string {
  let i = url.indexOf('://');
  if (i < 0) {
    if (!url.startsWith('//')) {
      // No scheme: "example.com/a/b" (Common Crawl's url in Dolma's metadata) is still a host.
      const m = BARE_HOST.exec(url);
      return m ? hostOf(`//${m[0]}`) : '';
    }
    i = 0;
  }
  let s = i + (i === 0 ? 2 : 3);
  let e = s;
  const n = url.length;
  while (e < n) {
    const c = url.charCodeAt(e);
    if (c === 47 || c === 63 || c === 35 || c === 92) break; // / ? # \
    e++;
  }
  let host = url.slice(s, e);
  const at = host.lastIndexOf('@');
  if (at >= 0) host = host.slice(at + 1);
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    host = close > 0 ? host.slice(0, close + 1) : host;
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  host = host.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.startsWith('www.')) host = host.slice(4);
  return host;
}

/** The site a record belongs to. */
export function siteOf(explicit: unknown, url: unknown): string {
  if (typeof explicit === 'string' && explicit.length > 0) return explicit.toLowerCase();
  if (typeof url === 'string' && url.length > 0) return hostOf(url);
  return '';
}
