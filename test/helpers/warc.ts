/** WARC records for tests: built byte by byte, so lengths and framing can be made to lie. */

let serial = 0;
/** One WARC record; `length` overrides the true Content-Length (a lie), `version` the version line. */
export function warc(type: string, block: Buffer | string, extra: Record<string, string> = {}, o: { length?: number | string; version?: string } = {}): Buffer {
  const b = typeof block === 'string' ? Buffer.from(block) : block;
  const id = `<urn:uuid:00000000-0000-4000-8000-${String(++serial).padStart(12, '0')}>`;
  const h: Record<string, string> = { 'WARC-Type': type, 'WARC-Record-ID': id, 'WARC-Date': '2024-05-01T10:00:00Z', ...extra, 'Content-Length': String(o.length ?? b.length) };
  const head = `${o.version ?? 'WARC/1.0'}\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head), b, Buffer.from('\r\n\r\n')]);
}

/** An HTTP response message: status line, headers, blank line, body. */
export function http(body: Buffer | string, headers: Record<string, string> = { 'Content-Type': 'text/html; charset=UTF-8' }, status = '200 OK'): Buffer {
  const head = `HTTP/1.1 ${status}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head), typeof body === 'string' ? Buffer.from(body) : body]);
}

export function response(uri: string, body: Buffer | string, headers?: Record<string, string>, status?: string): Buffer {
  return warc('response', http(body, headers, status), { 'WARC-Target-URI': uri, 'Content-Type': 'application/http;msgtype=response' });
}

