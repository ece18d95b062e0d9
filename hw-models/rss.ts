// Receive-side scaling: the Toeplitz hash (Microsoft RSS) over the IPv4 or IPv6 2-tuple or 4-tuple, and a
// queue pick through an indirection table. Input bytes are in network order, as the NIC sees them.
import type { FrameLayout } from '../wire/layout.ts';
import { r32 } from '../wire/bytes.ts';

/** Microsoft's default 40-byte RSS key (the one in "Verifying the RSS Hash Calculation"). */
export const DEFAULT_RSS_KEY: readonly number[] = [
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b,
  0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac,
  0x01, 0xfa,
];

/** A Toeplitz hasher with a fixed key (at least 12 bytes for the IPv4 4-tuple). */
export class Toeplitz {
  private readonly key: Uint8Array;
  constructor(key: ArrayLike<number>) {
    if (key.length < 12)
      throw new RangeError(`RSS key has ${key.length} bytes; at least 12 are needed for the IPv4 4-tuple`);
    this.key = Uint8Array.from(key);
  }

  private result = 0;
  private win = 0;
  private bitPos = 0;

  /** Hash of the input bytes src ip, dst ip[, sport, dport] (network order). */
  hashIpv4(saddr: number, daddr: number, sport: number, dport: number, withPorts: boolean): number {
    const k = this.key;
    this.result = 0;
    this.win = r32(k, 0); // key bits i..i+31
    this.bitPos = 32;
    this.feed(saddr >>> 0, 32);
    this.feed(daddr >>> 0, 32);
    if (withPorts) {
      this.feed(sport, 16);
      this.feed(dport, 16);
    }
    return this.result;
  }

  /** Hash of src ip, dst ip (16 bytes each, from `b` at `srcOff` and `dstOff`)[, sport, dport]: Microsoft's IPv6 and TCP/IPv6 hash types. */
  hashIpv6(b: Uint8Array, srcOff: number, dstOff: number, sport: number, dport: number, withPorts: boolean): number {
    const k = this.key;
    this.result = 0;
    this.win = r32(k, 0);
    this.bitPos = 32;
    for (let i = 0; i < 16; i += 4) this.feed(r32(b, srcOff + i), 32);
    for (let i = 0; i < 16; i += 4) this.feed(r32(b, dstOff + i), 32);
    if (withPorts) {
      this.feed(sport, 16);
      this.feed(dport, 16);
    }
    return this.result;
  }

  private feed(value: number, bits: number): void {
    const k = this.key;
    for (let i = bits - 1; i >= 0; i--) {
      if ((value >>> i) & 1) this.result = (this.result ^ this.win) >>> 0;
      const byte = k[this.bitPos >> 3] ?? 0;
      this.win = ((this.win << 1) | ((byte >> (7 - (this.bitPos & 7))) & 1)) >>> 0;
      this.bitPos++;
    }
  }

  /**
   * The RSS hash a NIC computes for a laid-out frame `b`: the TCP 4-tuple, else the 2-tuple of the addresses (IPv4 or
   * IPv6, the fixed header's addresses whatever extension headers follow), else 0.
   */
  hashFrame(b: Uint8Array, p: FrameLayout, tcpOnly4Tuple = true): number {
    const ports = p.isTcp || (!tcpOnly4Tuple && p.isUdp);
    if (p.ipVersion === 4) return this.hashIpv4(p.saddr, p.daddr, p.sport, p.dport, ports);
    if (p.ipVersion === 6) return this.hashIpv6(b, p.srcOff, p.srcOff + 16, p.sport, p.dport, ports);
    return 0;
  }
}
