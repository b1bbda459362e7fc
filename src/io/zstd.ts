/**
 * Zstandard, which Node 20's zlib lacks. Decompression streams through the zstd library (1.5) compiled to
 * WebAssembly that the `zstddec` package ships (its module carries the .wasm as base64, MIT/BSD); this
 * module drives ZSTD_decompressStream itself, because zstddec's own streaming generator takes a sync
 * iterable, ignores error codes (a corrupt frame loops) and cannot be fed as bytes arrive. Compression is
 * `@bokuweb/zstd-wasm` (zstd 1.5 in WebAssembly too): one frame per 4 MB of output, a valid multi-frame
 * stream. Both are plain npm packages with no install script and no native binary: `npm ci` needs the
 * registry only, on any platform Node runs.
 *
 * Chosen by measurement (2026-12-01, this shared 2-core VM, Node 20.20.2, one process per figure; a 151.6 MB
 * simulated crawl, `zstd -3` 25.6 MB in one frame; MB/s of decompressed output; best of 3 on a quiet
 * machine, the first figure from an earlier busier run where there is one):
 *
 * | decompression, fed 1 MB pieces                       | MB/s      | peak RSS | notes                                 |
 * |------------------------------------------------------|----------:|---------:|---------------------------------------|
 * | **zstddec's wasm driven here (ZSTD_decompressStream)** | **646** (525) | 120 MB | streaming, 1 MB out buffer, errors checked |
 * | zstddec `decodeStreaming` (its own generator)        | 540 (258) |   124 MB | sync iterable only; error codes ignored |
 * | fzstd 0.1.1 `Decompress` (pure JS)                   | 205 (138) |   111 MB | streaming                             |
 * | `zstd -dc` child process, read through a pipe        | 743 (353) |   105 MB | needs the binary on PATH              |
 * | @toondepauw/node-zstd 2.0 `decodeSync` (napi-rs)     |     (234) |   287 MB | one-shot only: whole file in memory   |
 * | @bokuweb/zstd-wasm 0.0.27 `decompress`               |      (94) |   393 MB | one-shot only                         |
 * | zstd-napi 0.0.13, @mongodb-js/zstd 7.0 (native)      |         – |        – | binary from prebuild-install (GitHub) at install, which npm 11 does not even run unapproved: not installable offline |
 * | (zlib gunzip of the same crawl at gzip -6, for scale) |     (407) |   111 MB |                                      |
 *
 * The whole path (this module from a file stream, Node start included): 0.54 s for 151.6 MB, 94 MB RSS.
 *
 * | compression, 4 MB pieces (input MB/s)  | MB/s          | ratio |
 * |----------------------------------------|--------------:|------:|
 * | **@bokuweb/zstd-wasm -3, one frame each** | **135–153** | **5.84** |
 * | @bokuweb/zstd-wasm -1                  | 159           | 5.12  |
 * | @toondepauw/node-zstd -3 (native)      | 332           | 5.81  |
 * | `zstd -3` CLI, one frame               | ~300          | 5.92  |
 * | zlib gzip -1 / -4 / -6                 | 106–136 / 84 / 27 | 3.50 / 4.42 / 4.83 |
 *
 * Decompression is 10x what `clean` consumes per core (30–60 MB/s), so it never limits a run, and no
 * `zstd` binary is needed for speed; compression at ~140 MB/s is above `clean`'s output rate on two
 * threads. On this VM, `clean --threads 2` over the crawl took 4.7–7.4 s whether the input was plain or
 * .zst and the output plain, .zst or .gz: the differences were inside the machine's noise. (The simulated
 * crawl is repetitive, 5.9:1; real crawls are nearer 4:1, where a zstd decoder's output MB/s is similar.)
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';

/** Little-endian frame magic: 28 B5 2F FD. Skippable frames: 5? 2A 4D 18. */
export function isZstd(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return true;
  return (b[0]! & 0xf0) === 0x50 && b[1] === 0x2a && b[2] === 0x4d && b[3] === 0x18;
}

/** A zstd stream that cannot be decompressed: cut short, or corrupt (the message says how). */
export class ZstdError extends Error {
  constructor(
    message: string,
    readonly truncated: boolean,
  ) {
    super(message);
    this.name = 'ZstdError';
  }
}

interface Exports {
  memory: WebAssembly.Memory;
  malloc(n: number): number;
  free(p: number): void;
  ZSTD_createDCtx(): number;
  ZSTD_freeDCtx(p: number): number;
  ZSTD_decompressStream(dctx: number, out: number, inp: number): number;
  ZSTD_decompress(dst: number, dstCapacity: number, src: number, srcSize: number): number;
}

let loading: Promise<Exports> | null = null;

/** The decoder's WebAssembly instance (one per thread, shared by every stream: each has its own context). */
function decoder(): Promise<Exports> {
  loading ??= (async () => {
    const file = createRequire(import.meta.url).resolve('zstddec/stream');
    const m = /const wasm = "([A-Za-z0-9+/=]+)"/.exec(fs.readFileSync(file, 'utf8'));
    if (!m) throw new Error(`zstd: no WebAssembly found in ${file} (zstddec is pinned to the version this was written for)`);
    const { instance } = await WebAssembly.instantiate(Buffer.from(m[1]!, 'base64'), { env: { emscripten_notify_memory_growth: () => {} } });
    return instance.exports as unknown as Exports;
  })();
  return loading;
}

// zstd_errors.h codes (a size_t return above -120 is -code).
const ERRORS: Record<number, string> = {
  1: 'error',
  10: 'unknown frame descriptor',
  12: 'unsupported format version',
  14: 'unsupported frame parameter',
  16: 'frame needs a window over 128 MB (written with --long=28 or more?)',
  20: 'corrupted block detected',
  22: 'checksum mismatch',
  24: 'corrupted literals header',
  30: 'dictionary corrupted',
  32: 'needs a dictionary',
  44: 'corrupted block detected (table log too large)',
  46: 'corrupted block detected (symbol value too large)',
  48: 'corrupted block detected (symbol value too small)',
  64: 'out of memory',
  // (A Parquet page's data that makes more than its page header announces: corrupt data or header.)
  70: 'decompresses past the size announced: zstd error 70, destination too small',
  72: 'wrong source size',
};

const IN_BYTES = 1 << 20;
const OUT_BYTES = 1 << 20;

/**
 * Decompress a zstd stream (concatenated and skippable frames included) as its pieces arrive, in pieces of
 * at most 1 MB: memory stays bounded whatever the stream expands to (the window is at most 128 MB, zstd's
 * default limit; level 19 uses 8 MB). Throws ZstdError when the stream is corrupt or cut short.
 */
export async function* zstdDecompress(input: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Buffer> {
  const x = await decoder();
  const dctx = x.ZSTD_createDCtx();
  const inPtr = x.malloc(IN_BYTES);
  const outPtr = x.malloc(OUT_BYTES);
  const io = x.malloc(24); // ZSTD_inBuffer {src, size, pos} then ZSTD_outBuffer {dst, size, pos}
  if (!dctx || !inPtr || !outPtr || !io) throw new ZstdError('zstd: out of memory', false);
  const ob = io + 12;
  let hint = 0; // ZSTD_decompressStream's last return: 0 when a frame has just ended
  let any = false;
  try {
    for await (const piece of input) {
      for (let p = 0; p < piece.length; ) {
        const n = Math.min(IN_BYTES, piece.length - p);
        new Uint8Array(x.memory.buffer, inPtr, n).set(piece.subarray(p, p + n));
        p += n;
        any = true;
        let dv = new DataView(x.memory.buffer);
        dv.setUint32(io, inPtr, true);
        dv.setUint32(io + 4, n, true);
        dv.setUint32(io + 8, 0, true);
        for (;;) {
          dv = new DataView(x.memory.buffer);
          dv.setUint32(ob, outPtr, true);
          dv.setUint32(ob + 4, OUT_BYTES, true);
          dv.setUint32(ob + 8, 0, true);
          hint = x.ZSTD_decompressStream(dctx, ob, io) >>> 0;
          if (hint > 0xffffff88) {
            const code = 0x100000000 - hint;
            throw new ZstdError(ERRORS[code] ?? `zstd error ${code}`, false);
          }
          dv = new DataView(x.memory.buffer);
          const made = dv.getUint32(ob + 8, true);
          // Copied out: the wasm heap is reused by the next call.
          if (made > 0) yield Buffer.from(new Uint8Array(x.memory.buffer, outPtr, made));
          // Done with this input once it is consumed and the output did not fill (nothing left inside), or a
          // frame ended as it filled (0: decoded and flushed). Called again then, the context waits for the
          // next frame's header, and a stream ending there read as cut short (one of exactly 1 MB, a 10 GiB bomb).
          if (dv.getUint32(io + 8, true) >= n && (made < OUT_BYTES || hint === 0)) break;
        }
      }
    }
    if (any && hint !== 0) throw new ZstdError('truncated', true);
  } finally {
    x.ZSTD_freeDCtx(dctx);
    x.free(inPtr);
    x.free(outPtr);
    x.free(io);
  }
}

/**
 * A one-shot decoder for blocks whose decompressed size is known (Parquet pages): `decode(block, size)`
 * gives exactly `size` bytes or throws ZstdError (corrupt, truncated, or not the size announced).
 */
export async function zstdBlockDecoder(): Promise<(block: Uint8Array, size: number) => Uint8Array> {
  const x = await decoder();
  return (block, size) => {
    const src = x.malloc(Math.max(1, block.length));
    const dst = x.malloc(Math.max(1, size));
    try {
      if (!src || !dst) throw new ZstdError('zstd: out of memory', false);
      new Uint8Array(x.memory.buffer, src, block.length).set(block);
      const made = x.ZSTD_decompress(dst, size, src, block.length) >>> 0;
      if (made > 0xffffff88) {
        const code = 0x100000000 - made;
        throw new ZstdError(ERRORS[code] ?? `zstd error ${code}`, false);
      }
      if (made !== size) throw new ZstdError(`block gave ${made} bytes, ${size} announced`, false);
      // (Copied out: the heap is reused. allocUnsafe: no zero fill of what is overwritten at once.)
      const b = Buffer.allocUnsafe(size);
      const out = new Uint8Array(b.buffer, b.byteOffset, size);
      out.set(new Uint8Array(x.memory.buffer, dst, size));
      return out;
    } finally {
      if (src) x.free(src);
      if (dst) x.free(dst);
    }
  };
}

/** Up to `n` bytes of the start of a zstd stream (format sniffing): whatever decompresses before an error. */
export async function zstdHead(buf: Uint8Array, n = 512): Promise<Buffer> {
  const out: Buffer[] = [];
  let got = 0;
  try {
    for await (const b of zstdDecompress([buf])) {
      out.push(b);
      got += b.length;
      if (got >= n) break;
    }
  } catch {
    /* a head cut mid-frame, or corrupt: sniff what came out; reading the file reports the error */
  }
  return Buffer.concat(out).subarray(0, n);
}

/** A zstd compressor at `level`: each call gives one complete frame of its input. */
export async function zstdCompressor(level = 3): Promise<(b: Uint8Array) => Buffer> {
  const z = await import('@bokuweb/zstd-wasm');
  await z.init();
  return (b) => {
    const f = z.compress(b, level);
    return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
  };
}
