/** A seeded PRNG for tests (mulberry32): floats in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Signed 32-bit integers from the same generator. */
export function rngInt(seed: number): () => number {
  const r = rng(seed);
  return () => (r() * 4294967296) | 0;
}
