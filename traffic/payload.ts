// The bytes TCP flows carry: one pattern of PATTERN_PERIOD bytes from the seeded PRNG, shared by a
// partner's flows, each flow reading it from its own salt. Byte `o` of a flow's stream is
// pattern[(o + salt) % PATTERN_PERIOD], so a retransmission carries the same bytes, a segment is one
// contiguous copy, and its Internet checksum sum and CRC-32 come from prefix sums and prefix CRC registers instead of a
// byte loop (the pattern is a KnownBytes: a NIC model takes a generated frame's FCS from it, wire/known-bytes.ts).

import { Prng } from '../sim/prng.ts';
import { StreamHash } from '../wire/stream-hash.ts';
import type { StreamReference } from '../wire/stream-check.ts';
import { wasmBytes } from '../wire/byte-passes.ts';
import { crc32Prefix, crc32Shift, type KnownBytes } from '../wire/known-bytes.ts';

/** A prime: a byte misplaced by any multiple of a segment size (< 65521 of them) lands on other bytes. */
export const PATTERN_PERIOD = 65521;

/** Layout of PayloadPattern's prefixes: four int32s per position (16 bytes, so a position never straddles a cache line). */
const PREFIX_STRIDE = 4,
  PREFIX_EVEN = 0,
  PREFIX_ODD = 1,
  PREFIX_CRC = 2;

export class PayloadPattern implements KnownBytes {
  /** PATTERN_PERIOD bytes, then the first `maxSegment` of them again: any segment is one run from `(o + salt) % PATTERN_PERIOD`. */
  readonly bytes: Uint8Array;
  /**
   * Per position i, four int32s side by side: the sum of bytes[k] for even k < i (PREFIX_EVEN), for odd k < i
   * (PREFIX_ODD; both below 2^31: 74521 × 255), and the CRC-32 register from 0 after bytes [0, i) (PREFIX_CRC). Side by
   * side, a run's sums and CRC need two cache lines (its start and its end), not six: the sender reads them to build a
   * segment and the NIC a little later to check it, and across the three separate arrays they were cache misses.
   */
  private readonly prefixes: Int32Array;
  /** Per salt, the stream hashed so far: the sender's expectation and the socket comparing with `reference` share it. */
  private readonly hashed = new Map<number, StreamHash>();
  private readonly references = new Map<number, StreamReference>();

  /**
   * Fills `into` (at least PATTERN_PERIOD + maxSegment bytes; a view lets the caller keep the pattern in
   * the same ArrayBuffer as its frame buffer, for `copyWithin`) from a PRNG seeded with `seed`.
   */
  constructor(
    seed: number,
    readonly maxSegment: number,
    into?: Uint8Array,
  ) {
    const len = PATTERN_PERIOD + maxSegment;
    if (into !== undefined && into.length < len)
      throw new Error(`payload pattern: buffer of ${into.length} bytes, need ${len}`);
    this.bytes = into === undefined ? wasmBytes(len) : into.subarray(0, len);
    const b = this.bytes;
    const rng = new Prng(seed);
    let i = 0;
    for (; i + 4 <= PATTERN_PERIOD; i += 4) {
      const w = rng.nextU32();
      b[i] = w & 0xff;
      b[i + 1] = (w >>> 8) & 0xff;
      b[i + 2] = (w >>> 16) & 0xff;
      b[i + 3] = w >>> 24;
    }
    for (let w = rng.nextU32(); i < PATTERN_PERIOD; i++, w >>>= 8) b[i] = w & 0xff;
    for (let k = 0; k < maxSegment; k++) b[PATTERN_PERIOD + k] = b[k % PATTERN_PERIOD]!;
    const prefixes = new Int32Array(PREFIX_STRIDE * (len + 1));
    const crc = crc32Prefix(b);
    let e = 0,
      o = 0;
    for (let k = 0; k <= len; k++) {
      prefixes[PREFIX_STRIDE * k + PREFIX_EVEN] = e;
      prefixes[PREFIX_STRIDE * k + PREFIX_ODD] = o;
      prefixes[PREFIX_STRIDE * k + PREFIX_CRC] = crc[k]!;
      if (k === len) break;
      if ((k & 1) === 0) e += b[k]!;
      else o += b[k]!;
    }
    this.prefixes = prefixes;
  }

  /** The CRC-32 register after feeding `bytes[start, start + length)` to `reg`, from two prefix registers. */
  crcThrough(reg: number, start: number, length: number): number {
    const p = this.prefixes;
    return (
      crc32Shift(reg ^ p[PREFIX_STRIDE * start + PREFIX_CRC]!, length) ^
      p[PREFIX_STRIDE * (start + length) + PREFIX_CRC]!
    );
  }

  /** Where byte `streamOffset` of a flow with `salt` sits in `bytes`. */
  static start(streamOffset: number, salt: number): number {
    const x = streamOffset + salt;
    return x <= 0x7fffffff ? (x | 0) % PATTERN_PERIOD : x % PATTERN_PERIOD; // an int32 remainder while the offset fits
  }

  /**
   * The unfolded 1's-complement sum (as `sumBytes` gives it) of `bytes[start, start + len)` placed at an
   * even offset of the checksummed data; an odd length counts its last byte as a high byte, zero-padded.
   */
  sum(start: number, len: number): number {
    const end = start + len;
    const p = this.prefixes,
      at = PREFIX_STRIDE * start,
      to = PREFIX_STRIDE * end;
    const e = p[to + PREFIX_EVEN]! - p[at + PREFIX_EVEN]!;
    const o = p[to + PREFIX_ODD]! - p[at + PREFIX_ODD]!;
    return (start & 1) === 0 ? e * 256 + o : o * 256 + e;
  }

  /** StreamHash's digest of the first `length` bytes of the stream of a flow with `salt`: each byte hashed once however often asked. */
  streamDigest(salt: number, length: number): string {
    let h = this.hashed.get(salt);
    if (h === undefined) this.hashed.set(salt, (h = new StreamHash()));
    if (length < h.length) {
      // a shorter prefix than one asked before (a socket that received less than was sent): on its own
      const prefix = new StreamHash();
      this.hashStream(prefix, salt, 0, length);
      return prefix.digest();
    }
    this.hashStream(h, salt, h.length, length);
    return h.digest();
  }

  /** The stream of a flow with `salt` as a reference a socket compares what it receives with (wire/stream-check.ts). */
  reference(salt: number): StreamReference {
    let r = this.references.get(salt);
    if (r === undefined) {
      // one object per salt: a socket's reference and the sender's expectation are then recognisably the same stream
      r = {
        bytes: this.bytes,
        position: (streamOffset) => PayloadPattern.start(streamOffset, salt),
        hashInto: (hash, from, to) => this.hashStream(hash, salt, from, to),
        digest: (length) => this.streamDigest(salt, length),
      };
      this.references.set(salt, r);
    }
    return r;
  }

  /** Feeds bytes [from, to) of the stream of a flow with `salt` to `hash`, in order. */
  hashStream(hash: StreamHash, salt: number, from: number, to: number): void {
    for (let done = from; done < to; ) {
      const a = PayloadPattern.start(done, salt);
      const n = Math.min(to - done, PATTERN_PERIOD - a);
      hash.update(this.bytes, a, n);
      done += n;
    }
  }
}
