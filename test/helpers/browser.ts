/**
 * A page opened in headless Chromium (Debian's `chromium`), driven over the DevTools protocol on a pipe
 * (--remote-debugging-pipe: JSON messages separated by NUL bytes on fds 3 and 4; no WebSocket, no
 * library). Collects console errors, uncaught exceptions and browser log errors (a blocked or failed load,
 * a CSP violation) while the page loads, then evaluates an expression in it.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The chromium binary, or null when none is installed. */
export function findChromium(): string | null {
  for (const name of [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome']) {
    if (!name) continue;
    const r = spawnSync('sh', ['-c', `command -v "${name}"`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

export interface PageCheck<T> {
  /** Console errors, exceptions and browser log entries of level error, as text. */
  errors: string[];
  /** The value of the expression evaluated once the page has loaded (JSON-able). */
  value: T;
  /** PNG of the viewport (or of `clip`), when a screenshot was asked for. */
  screenshot?: Buffer;
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** Load `file` in headless Chromium, wait for its load event, evaluate `expression`. */
export async function checkPage<T>(
  chromium: string,
  file: string,
  expression: string,
  opts: { width?: number; height?: number; screenshot?: boolean; clip?: { x: number; y: number; width: number; height: number }; timeoutMs?: number } = {},
): Promise<PageCheck<T>> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-chromium-'));
  const child = spawn(
    chromium,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check', '--hide-scrollbars', `--user-data-dir=${profile}`, '--remote-debugging-pipe', 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    if (stderr.length < 20_000) stderr += b.toString();
  });
  const waiting = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Message) => void)[] = [];
  let nextId = 1;
  let buf = Buffer.alloc(0);
  let dead: Error | null = null;
  fromBrowser.on('data', (b: Buffer) => {
    buf = Buffer.concat([buf, b]);
    for (let z = buf.indexOf(0); z >= 0; z = buf.indexOf(0)) {
      const m = JSON.parse(buf.subarray(0, z).toString('utf8')) as Message;
      buf = buf.subarray(z + 1);
      if (m.id !== undefined && waiting.has(m.id)) {
        const w = waiting.get(m.id)!;
        waiting.delete(m.id);
        if (m.error) w.reject(new Error(`chromium: ${m.error.message}`));
        else w.resolve(m);
      } else for (const l of listeners) l(m);
    }
  });
  const fail = (e: Error): void => {
    dead ??= e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  child.on('error', (e) => fail(e));
  child.on('exit', (code) => fail(new Error(`chromium exited (${code}): ${stderr.slice(-2000)}`)));
  toBrowser.on('error', (e) => fail(e));
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Message> => {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  };
  const timeout = opts.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const run = async (): Promise<PageCheck<T>> => {
    const errors: string[] = [];
    const target = await send('Target.createTarget', { url: 'about:blank' });
    const attached = await send('Target.attachToTarget', { targetId: target.result!.targetId, flatten: true });
    const session = attached.result!.sessionId as string;
    let loaded: () => void = () => {};
    const load = new Promise<void>((r) => (loaded = r));
    listeners.push((m) => {
      if (m.sessionId !== session) return;
      const p = m.params ?? {};
      if (m.method === 'Page.loadEventFired') loaded();
      else if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert')) {
        errors.push(`console.${String(p.type)}: ${((p.args as { value?: unknown; description?: string }[]) ?? []).map((a) => String(a.value ?? a.description ?? '')).join(' ')}`);
      } else if (m.method === 'Runtime.exceptionThrown') {
        const d = p.exceptionDetails as { text?: string; exception?: { description?: string } };
        errors.push(`exception: ${d.exception?.description ?? d.text ?? 'unknown'}`);
      } else if (m.method === 'Log.entryAdded') {
        const e = p.entry as { level: string; source: string; text: string; url?: string };
        if (e.level === 'error') errors.push(`log (${e.source}): ${e.text}${e.url ? ` ${e.url}` : ''}`);
      }
    });
    await send('Page.enable', {}, session);
    await send('Runtime.enable', {}, session);
    await send('Log.enable', {}, session);
    await send('Emulation.setDeviceMetricsOverride', { width: opts.width ?? 1200, height: opts.height ?? 1600, deviceScaleFactor: 1, mobile: false }, session);
    const nav = await send('Page.navigate', { url: `file://${path.resolve(file)}` }, session);
    if (nav.result?.errorText) throw new Error(`chromium could not open ${file}: ${String(nav.result.errorText)}`);
    await load;
    // Let late console messages and log entries arrive.
    await new Promise((r) => setTimeout(r, 300));
    const ev = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, session);
    if (ev.result?.exceptionDetails) throw new Error(`evaluation failed: ${JSON.stringify(ev.result.exceptionDetails)}`);
    const value = (ev.result!.result as { value: T }).value;
    let screenshot: Buffer | undefined;
    if (opts.screenshot || opts.clip) {
      const shot = await send('Page.captureScreenshot', { format: 'png', ...(opts.clip ? { clip: { ...opts.clip, scale: 1 }, captureBeyondViewport: true } : {}) }, session);
      screenshot = Buffer.from(shot.result!.data as string, 'base64');
    }
    const exited = new Promise((r) => child.once('exit', r));
    await send('Browser.close').catch(() => undefined);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    return { errors, value, screenshot };
  };
  try {
    return await Promise.race([
      run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`chromium did not finish in ${timeout} ms: ${stderr.slice(-2000)}`)), timeout);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(profile, { recursive: true, force: true });
  }
}
