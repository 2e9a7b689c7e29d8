/** Seeded PRNG (SplitMix64 on bigint) so failures are reproducible. */
export class Rng {
  #state: bigint;

  constructor(seed: bigint) {
    this.#state = BigInt.asUintN(64, seed);
  }

  /** Next 64 random bits. */
  next64(): bigint {
    this.#state = BigInt.asUintN(64, this.#state + 0x9e3779b97f4a7c15n);
    let z = this.#state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  }

  /** Uniform-ish integer in [0, 2^bits). */
  bits(bits: number): bigint {
    let out = 0n;
    for (let have = 0; have < bits; have += 64) {
      out = (out << 64n) | this.next64();
    }
    return BigInt.asUintN(bits, out);
  }

  /** Integer in [0, n) for a small JS number n. */
  int(n: number): number {
    return Number(this.next64() % BigInt(n));
  }

  /** Integer in [lo, hi] (bigint). */
  range(lo: bigint, hi: bigint): bigint {
    const span = hi - lo + 1n;
    return lo + (this.bits(span.toString(2).length + 64) % span);
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    return Number(this.next64() >> 11n) / 2 ** 53;
  }
}
