/**
 * Seeded pseudo-random numbers so that sampling is reproducible (CapFilt runs must be repeatable).
 * mulberry32: tiny, fast and good enough for drawing one token per row per step; the seed is
 * scrambled with splitmix32 first so that nearby seeds give unrelated streams.
 */
export type RandomSource = () => number;

function splitmix32(seed: number): number {
  let z = (seed + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Returns a generator of uniform numbers in [0, 1). */
export function createRandomSource(seed: number): RandomSource {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  let state = splitmix32(Math.trunc(seed) >>> 0);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
