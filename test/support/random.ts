/**
 * A seeded pseudo-random generator (mulberry32) for tests and benchmarks: the same seed gives the
 * same sequence on every machine, so chunkings, fuzz inputs and generated content repeat exactly.
 */

/** Returns a function giving numbers in [0, 1) from a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
