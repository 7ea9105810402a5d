/**
 * Seeded pseudo-random numbers for simulation code: xoshiro128** (Blackman and Vigna, 2018),
 * seeded through SplitMix32. Its 128-bit state lives in the world's snapshot, so a restored
 * world draws exactly the numbers the original would have drawn.
 *
 * Why this generator: it passes BigCrush, needs only 32-bit integer operations (`Math.imul`,
 * shifts, xor), which every JavaScript engine computes identically, and its state is four words.
 * It is not for cryptography.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number | string = 0) {
    let x = typeof seed === "string" ? hashString(seed) : seed >>> 0;
    // SplitMix32 spreads any seed, even 0, over a non-zero state.
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniformly distributed double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniformly distributed integer in [min, max] (inclusive), without modulo bias. */
  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new RangeError(`rng.int(${min}, ${max}): bounds must be safe integers with min <= max`);
    }
    const span = max - min + 1;
    if (span > 0x100000000) return min + Math.floor(this.nextFloat() * span);
    if (span === 0x100000000) return min + this.nextU32();
    // Rejection sampling: draw from the largest multiple of span below 2^32.
    const limit = 0x100000000 - (0x100000000 % span);
    let r = this.nextU32();
    while (r >= limit) r = this.nextU32();
    return min + (r % span);
  }

  /** A uniformly distributed double in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.nextFloat();
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.nextFloat() < p;
  }

  /** The generator's state, four unsigned 32-bit words (stored in snapshots). */
  getState(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  setState(state: readonly [number, number, number, number]): void {
    if ((state[0] | state[1] | state[2] | state[3]) === 0) {
      throw new RangeError("rng state must not be all zero (xoshiro128** would only yield zeros)");
    }
    this.s0 = state[0] | 0;
    this.s1 = state[1] | 0;
    this.s2 = state[2] | 0;
    this.s3 = state[3] | 0;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** FNV-1a over UTF-16 code units: turns a textual seed (a world id) into 32 bits. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
