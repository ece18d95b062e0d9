// The seeded PRNG every random decision in the core draws from (xoshiro128**, seeded by splitmix32).
// Same seed ⇒ same sequence on every machine.

export class Prng {
  private a: number; private b: number; private c: number; private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next(); this.b = next(); this.c = next(); this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d;
    this.c = (this.c ^ t) >>> 0;
    this.d = rotl(this.d, 11);
    this.a >>>= 0; this.b >>>= 0;
    return result;
  }

  /** A uniform float in [0, 1). */
  next(): number { return this.nextU32() / 0x100000000; }

  /** A uniform integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }

  /** True with probability p. */
  chance(p: number): boolean { return p > 0 && this.next() < p; }

  /** An independent generator derived from this one (for per-flow or per-queue streams). */
  fork(): Prng { return new Prng(this.nextU32()); }
}

function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0; }
