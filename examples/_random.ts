// A small seeded random number generator (mulberry32) for the examples that use Python's
// `random`: a fixed seed makes their output reproducible, so their tests can check it line by
// line. Not part of verdant.

/** Random integers from a fixed seed. */
export interface SeededRandom {
  /** An integer in [lo, hi], both included (Python's `random.randint(lo, hi)`). */
  randint(lo: number, hi: number): number;
}

/** A generator whose sequence depends only on `seed`. */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    randint: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
  };
}
