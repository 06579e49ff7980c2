/**
 * Small seeded PRNG (mulberry32) and helpers. The simulator never uses
 * Math.random: every random choice comes from a stream derived from the
 * scenario seed and a label, so runs are reproducible byte for byte.
 */

export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (both included). */
  int(lo: number, hi: number): number;
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number;
  /** Approximately normal with mean 0 and standard deviation 1 (Irwin-Hall of 4 uniforms). */
  normal(): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** FNV-1a 32-bit hash of a string: turns labels into seeds. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function createPrng(seed: number): Prng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    range: (lo, hi) => lo + next() * (hi - lo),
    // Sum of 4 uniforms has variance 4/12; scale to unit variance.
    normal: () => (next() + next() + next() + next() - 2) * Math.sqrt(3),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

/** An independent stream for one purpose: derived from the run seed and a label such as 'rig:S19J-1'. */
export function streamFor(seed: number, label: string): Prng {
  return createPrng((hash32(label) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
}
