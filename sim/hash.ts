// The byte-stream fingerprint sender and socket both compute: order-sensitive, cheap, 2×32 bits.
// The sender hashes what it sent, the socket what it received in order; equal hashes and lengths
// mean the stream arrived intact.

export class StreamHash {
  private h1 = 0x811c9dc5; // FNV-1a
  private s1 = 1; private s2 = 0; // Adler-style position-sensitive sums
  length = 0;

  update(buf: Uint8Array, off: number, len: number): void {
    let h = this.h1, a = this.s1, b = this.s2;
    for (let i = off, end = off + len; i < end; i++) {
      const x = buf[i]!;
      h = Math.imul(h ^ x, 0x01000193);
      a = (a + x) % 65521;
      b = (b + a) % 65521;
    }
    this.h1 = h >>> 0; this.s1 = a; this.s2 = b;
    this.length += len;
  }

  /** The fingerprint as a hex string: FNV-1a and Adler-32 of the stream, and its length. */
  digest(): string {
    const adler = ((this.s2 << 16) | this.s1) >>> 0;
    return `${this.h1.toString(16).padStart(8, '0')}${adler.toString(16).padStart(8, '0')}:${this.length}`;
  }
}
