/**
 * A full garbage collection now, where a large block of memory was just dropped and the next phase would
 * otherwise run with it still mapped. V8 frees an ArrayBuffer's memory soon after it is dropped (its size
 * counts as external memory, which brings a collection), but not a WebAssembly memory: a count table's
 * CountCore (count-wasm.ts) of 64 MB dropped at the end of pass 1 stayed mapped through pass 2 (clean of
 * 3 GB on two threads peaked at 477 MB instead of 403 MB with a collection at the pass change).
 *
 * V8's `gc` function is reached as the `expose-gc` package does it: the flag set at run time, and `gc` read
 * from a new context (the flag only adds it to contexts made after it is set), then the flag unset again.
 * Node keeps V8's flags writable after start for `v8.setFlagsFromString` (an embedder that freezes them,
 * as nw.js does, would stop on it; Node does not). When it fails, nothing is collected early and nothing
 * else changes.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null | undefined;

export function collectGarbage(): void {
  if (gc === undefined) {
    gc = (globalThis as { gc?: () => void }).gc ?? null;
    if (gc === null) {
      try {
        v8.setFlagsFromString('--expose-gc');
        const f: unknown = vm.runInNewContext('gc');
        v8.setFlagsFromString('--no-expose-gc'); // (contexts made later, a library user's, get no `gc`)
        gc = typeof f === 'function' ? (f as () => void) : null;
      } catch {
        gc = null;
      }
    }
  }
  gc?.();
}
