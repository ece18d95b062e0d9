// What a NIC computes over a received frame's bytes, given the frame's layout (wire/layout.ts): the IPv4
// header checksum, the TCP/UDP checksum over IPv4 or IPv6, and the Ethernet FCS, alone or in one pass with the sum.
import { UDP } from '../wire/constants.ts';
import { fold, sumBytes } from '../wire/checksum.ts';
import { l4PseudoHeaderSum } from '../wire/l4checksum.ts';
import { r16 } from '../wire/bytes.ts';
import type { FrameLayout } from '../wire/layout.ts';
import { bytesSum, CRC16_T, DIGEST_PASS_MAX_BYTES, bytePassesFor, type BytePasses } from '../wire/byte-passes.ts';
import { crc32Update, type KnownRun } from '../wire/known-bytes.ts';

/** The tags a modelled NIC's parser reads (an outer and an inner one); a frame with more is not IP to it. */
export const NIC_MAX_TAGS = 2;

/** The IPv4 header checksum verifies (the header sums to 0xffff). `l3Off` is relative to `off`. */
export function ipv4HeaderOk(b: Uint8Array, off: number, l3Off: number, ihl: number): boolean {
  return fold(sumBytes(b, off + l3Off, ihl)) === 0xffff;
}

/**
 * The TCP/UDP checksum verifies over IPv4 or IPv6 (`p` lays out the frame; `l3Off`/`l4Off` say where its IP and L4 headers
 * are in `b` from `off`, which differs from `p` when the image had its tag stripped). An IPv4 UDP checksum 0 means "none"
 * and passes; over IPv6 it is an error (RFC 8200 §8.1). Pass the DMA image when there is one: its sum then runs as
 * WebAssembly (bytesSum).
 */
export function l4ChecksumOk(b: Uint8Array, off: number, p: FrameLayout, l3Off: number, l4Off: number): boolean {
  const l4Len = p.ipEnd - p.l4;
  if (p.isUdp && r16(b, off + l4Off + UDP.CSUM) === 0) return p.ipVersion === 4;
  return fold(bytesSum(b, off + l4Off, l4Len) + l4PseudoHeaderSum(b, off + l3Off, p, l4Len)) === 0xffff;
}

/** The Ethernet FCS (CRC-32, IEEE 802.3) of `len` bytes; on the wire it is sent least significant byte first. */
export function crc32(b: Uint8Array, off: number, len: number): number {
  return ~crc32Update(-1, b, off, len) >>> 0;
}

/** Headers up to this long go through the WebAssembly pass in computeKnown: its sums stay far below 2^31, where sumBytes
 *  would begin to fold, so both paths give the same integer. */
const KNOWN_HEADER_PASS_MAX = 4096;

/** This module's own copy of the tables: read through the import binding, digestGroups' loop ran a fifth slower. */
const T16 = CRC16_T.slice();

/**
 * The JavaScript pass over the 16-byte groups of [at, at + groups) of `dv`: CRC-32 register from -1 (slicing-by-16)
 * and the byte sums at even and odd offsets from `at`, into out[0..2]. What wire/byte-passes.ts's digest does over the
 * groups, for memories that are not WebAssembly-backed.
 */
function digestGroups(dv: DataView, at: number, groups: number, out: Int32Array): void {
  const t = T16,
    end16 = at + groups;
  let c = -1,
    even = 0,
    odd = 0;
  while (at < end16) {
    // 32 groups of 16 bytes per block: each 16-bit half of `e` and `o` stays below 2^15 (see wire/checksum.ts sumBytes)
    const blockEnd = end16 - at > 512 ? at + 512 : end16;
    let e = 0,
      o = 0;
    for (; at < blockEnd; at += 16) {
      const w0 = dv.getInt32(at, true),
        w1 = dv.getInt32(at + 4, true),
        w2 = dv.getInt32(at + 8, true),
        w3 = dv.getInt32(at + 12, true);
      e += (w0 & 0xff00ff) + (w1 & 0xff00ff) + (w2 & 0xff00ff) + (w3 & 0xff00ff);
      o += ((w0 >>> 8) & 0xff00ff) + ((w1 >>> 8) & 0xff00ff) + ((w2 >>> 8) & 0xff00ff) + ((w3 >>> 8) & 0xff00ff);
      c ^= w0;
      c =
        t[3840 + (c & 0xff)]! ^
        t[3584 + ((c >>> 8) & 0xff)]! ^
        t[3328 + ((c >>> 16) & 0xff)]! ^
        t[3072 + (c >>> 24)]! ^
        t[2816 + (w1 & 0xff)]! ^
        t[2560 + ((w1 >>> 8) & 0xff)]! ^
        t[2304 + ((w1 >>> 16) & 0xff)]! ^
        t[2048 + (w1 >>> 24)]! ^
        t[1792 + (w2 & 0xff)]! ^
        t[1536 + ((w2 >>> 8) & 0xff)]! ^
        t[1280 + ((w2 >>> 16) & 0xff)]! ^
        t[1024 + (w2 >>> 24)]! ^
        t[768 + (w3 & 0xff)]! ^
        t[512 + ((w3 >>> 8) & 0xff)]! ^
        t[256 + ((w3 >>> 16) & 0xff)]! ^
        t[w3 >>> 24]!;
    }
    even += (e & 0xffff) + (e >>> 16);
    odd += (o & 0xffff) + (o >>> 16);
  }
  out[0] = c;
  out[1] = even;
  out[2] = odd;
}

/**
 * One pass over a received frame image for what a NIC computes from every byte: the Ethernet FCS (`crc32`'s value) of
 * the whole image, and the RFC 1071 sum of its bytes from `sumFrom` on (the IP header onwards: a CHECKSUM_COMPLETE-style
 * value). Reading each word once for both is cheaper than a CRC pass followed by a checksum pass.
 */
export class FrameDigest {
  /** crc32(b, off, len). */
  fcs = 0;
  /** The exact (unfolded, never partly folded) sum of the big-endian 16-bit words of b[off + sumFrom, off + len), an odd last byte padded with zero; 0 when sumFrom ≥ len. */
  sum = 0;
  private bytes: Uint8Array | null = null;
  private buffer: ArrayBufferLike | null = null;
  private view: DataView | null = null;
  private passes: BytePasses | null = null;
  /** digestGroups' results: CRC register, even sum, odd sum. */
  private readonly groups = new Int32Array(3);
  /** Digests taken from a sender's claim (computeKnown) instead of a pass over the bytes. */
  fromKnown = 0;

  /**
   * `compute`'s values, taking the bytes the sender's claim `known` covers (frame offsets, the image at `off` being the
   * frame unchanged) from its source: the image is read only before the claimed run. Without a claim that covers the
   * frame's tail from an even distance past `sumFrom`, a full pass.
   */
  computeKnown(b: Uint8Array, off: number, len: number, sumFrom: number, known: KnownRun | null): void {
    const src = known?.source ?? null;
    if (
      src === null ||
      known!.at + known!.length !== len ||
      known!.at < sumFrom ||
      ((known!.at - sumFrom) & 1) !== 0 ||
      !(off >= 0 && off + len <= b.length && Number.isInteger(off))
    ) {
      this.compute(b, off, len, sumFrom);
      return;
    }
    const at = known!.at,
      start = known!.start,
      length = known!.length;
    // the bytes before the claimed run (the headers): one WebAssembly pass for the CRC register and the sum when the
    // image is in a DMA memory, as `compute` makes over a whole frame
    const passes = at <= KNOWN_HEADER_PASS_MAX ? this.passesFor(b) : null;
    let reg: number, headerSum: number;
    if (passes !== null) {
      reg = ~passes.digest(b.byteOffset + off, at, sumFrom, passes.tables);
      headerSum = passes.results.getInt32(0, true) * 256 + passes.results.getInt32(4, true);
    } else {
      reg = crc32Update(-1, b, off, at);
      headerSum = sumBytes(b, off + sumFrom, at - sumFrom);
    }
    this.fcs = ~src.crcThrough(reg, start, length) >>> 0;
    this.sum = headerSum + src.sum(start, length);
    this.fromKnown++;
  }

  /** The WebAssembly passes over `b`'s memory, or null (cached for the last array and buffer seen: reading a
   *  WebAssembly-backed array's `buffer` costs about as much as the header pass itself, so a NIC's own DMA array,
   *  passed every time, is recognised by identity). */
  private passesFor(b: Uint8Array): BytePasses | null {
    if (b === this.bytes) return this.passes;
    this.bytes = b;
    if (b.buffer !== this.buffer) {
      this.buffer = b.buffer;
      this.view = new DataView(b.buffer);
      this.passes = bytePassesFor(b.buffer) ?? null;
    }
    return this.passes;
  }

  /** `sumFrom` (relative to `off`) must be even: the sum's 16-bit words start there. */
  compute(b: Uint8Array, off: number, len: number, sumFrom: number): void {
    if (
      !(
        Number.isInteger(off) &&
        Number.isInteger(len) &&
        off >= 0 &&
        len >= 0 &&
        off + len <= b.length &&
        Number.isInteger(sumFrom) &&
        sumFrom >= 0 &&
        (sumFrom & 1) === 0
      )
    ) {
      throw new RangeError(
        `FrameDigest: bytes ${off}..${off + len} (sum from an even offset, got +${sumFrom}) are not inside a buffer of ${b.length}`,
      );
    }
    const passes = this.passesFor(b);
    if (passes !== null && len <= DIGEST_PASS_MAX_BYTES) {
      // a memory with the WebAssembly byte passes (a DMA memory): the same pass, about twice as fast
      this.fcs = passes.digest(b.byteOffset + off, len, sumFrom, passes.tables) >>> 0;
      this.sum = passes.results.getInt32(0, true) * 256 + passes.results.getInt32(4, true);
      return;
    }
    const t = T16,
      groups = len & ~15;
    digestGroups(this.view!, b.byteOffset + off, groups, this.groups);
    let c = this.groups[0]!,
      even = this.groups[1]!,
      odd = this.groups[2]!;
    // the last 0-15 bytes one at a time (byte k of the image is a high byte of its word when k is even)
    for (let k = len & ~15; k < len; k++) {
      const x = b[off + k]!;
      c = t[(c ^ x) & 0xff]! ^ (c >>> 8);
      if ((k & 1) === 0) even += x;
      else odd += x;
    }
    // the bytes before sumFrom are not part of the sum
    for (let k = 0; k < sumFrom && k < len; k++) {
      if ((k & 1) === 0) even -= b[off + k]!;
      else odd -= b[off + k]!;
    }
    this.fcs = ~c >>> 0;
    this.sum = even * 256 + odd;
  }
}
