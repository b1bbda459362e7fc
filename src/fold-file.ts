/**
 * The fold table (normalize.ts) saved by the build next to the compiled code, so a process or a worker
 * thread reads 250 KB instead of normalizing ~65,000 code points at start-up (70-100 ms each). The file
 * carries the stamp of what the table depends on (the compiled normalize.js, the runtime's Unicode and
 * ICU versions); under any other stamp, or when the file is missing or malformed, the table is built.
 *
 * Layout: "boilerstrip-fold 1\n", the stamp and "\n", 65,536 little-endian u16 (the fold of each code
 * unit), a u32 count of expansions, then per expansion its code unit (u16), length (u16) and units (u16 each).
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The folding of every UTF-16 code unit (see normalize.ts FOLD and EXPANSIONS). */
export interface FoldTable {
  fold: Uint16Array;
  expansions: Map<number, Uint16Array>;
}

const MAGIC = 'boilerstrip-fold 1\n';

/** Where the build writes the table: beside this module. */
export const FOLD_FILE = fileURLToPath(new URL('./fold-table.bin', import.meta.url));

/** The table's bytes, under `stamp`. */
export function foldTableBytes(t: FoldTable, stamp: string): Buffer {
  const head = Buffer.from(`${MAGIC}${stamp}\n`, 'utf8');
  let units = 0;
  for (const e of t.expansions.values()) units += 2 + e.length;
  const body = new Uint16Array(65536 + 2 + units);
  body.set(t.fold, 0);
  const n = t.expansions.size;
  body[65536] = n & 0xffff;
  body[65537] = n >>> 16;
  let o = 65538;
  for (const [c, e] of t.expansions) {
    body[o++] = c;
    body[o++] = e.length;
    body.set(e, o);
    o += e.length;
  }
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // (Little-endian on disk whatever the machine.)
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) b.swap16();
  return Buffer.concat([head, b]);
}

/** The table in `bytes` if they hold one saved under `stamp`, else null. */
export function parseFoldTable(bytes: Buffer, stamp: string): FoldTable | null {
  const head = `${MAGIC}${stamp}\n`;
  const hl = Buffer.byteLength(head, 'utf8');
  if (bytes.length < hl + 2 * 65538 || bytes.toString('utf8', 0, hl) !== head || (bytes.length - hl) % 2 !== 0) return null;
  const b = Buffer.from(bytes.subarray(hl)); // (a copy: aligned, and swappable)
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) b.swap16();
  const u = new Uint16Array(b.buffer, b.byteOffset, b.length / 2);
  const fold = u.slice(0, 65536);
  const n = u[65536]! | (u[65537]! << 16);
  const expansions = new Map<number, Uint16Array>();
  let o = 65538;
  for (let k = 0; k < n; k++) {
    if (o + 2 > u.length) return null;
    const c = u[o]!;
    const len = u[o + 1]!;
    o += 2;
    if (o + len > u.length) return null;
    expansions.set(c, u.slice(o, o + len));
    o += len;
  }
  return o === u.length ? { fold, expansions } : null;
}

/** The table the build saved, if it was saved under `stamp`; null otherwise (the caller builds it). */
export function loadFoldTable(stamp: string): FoldTable | null {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(FOLD_FILE);
  } catch {
    return null;
  }
  return parseFoldTable(bytes, stamp);
}
