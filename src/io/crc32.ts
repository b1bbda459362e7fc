/**
 * zlib's crc32, except that an empty buffer leaves the value as it is: Node 20's gives 0 for an empty view of
 * an empty ArrayBuffer (what Buffer.allocUnsafe(0) is, or a buffer deflateRawSync has seen), which made the
 * model of an empty input unreadable and a gzip output's trailer wrong.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';

export function crc32(b: Uint8Array, crc: number): number {
  return b.length === 0 ? crc : zlibCrc32(b, crc);
}
