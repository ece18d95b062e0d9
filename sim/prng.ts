// The seeded PRNG every random decision in the core draws from (xoshiro128**, seeded by splitmix32).
// Same seed ⇒ same sequence on every machine.

export class Prng {
  // State words kept as int32 bit patterns; only results are converted to unsigned.
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) | 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const a = this.a,
      b = this.b;
    const x = Math.imul(b, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0; // rotl(b * 5, 7) * 9
    const c = this.c ^ a,
      d = this.d ^ b;
    this.b = b ^ c;
    this.a = a ^ d;
    this.c = c ^ (b << 9);
    this.d = (d << 11) | (d >>> 21); // rotl(d, 11)
    return result;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 0x100000000;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** An independent generator derived from this one (for per-flow or per-queue streams). */
  fork(): Prng {
    return new Prng(this.nextU32());
  }
}
