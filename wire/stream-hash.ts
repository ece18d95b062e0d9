// The byte-stream fingerprint sender and socket both compute: order-sensitive, cheap, 128 bits plus the length.
// The sender hashes what it sent, the socket what it received in order; equal digests mean the stream arrived intact.
//
// Algorithm: the stream is cut into 32-bit little-endian words at stream offsets 0, 4, 8, …; word j goes to lane
// j mod 4, and a lane absorbs a word w as  v = imul(v ^ w, 0x9e3779b1); v ^= v >>> 15.  Each step is a bijection of
// the lane for a fixed word and of the word for a fixed lane, so changing any one byte always changes the digest;
// the multiply and the shift carry every bit into the others, so swapped bytes or blocks and shifted streams change
// it with probability 1 − 2^-32 or better. The 0–3 bytes of an unfinished word are kept between calls, so how the
// stream is split into update() calls does not matter. digest() pads the unfinished word with zeros (the length in
// the digest tells the padding apart), then chains the lanes twice round, v[i] = fmix32(v[i] + v[i-1]) for
// i = 0, 1, 2, 3, 0, 1, 2, 3 (v[-1] = v[3]; fmix32 is murmur3's finaliser, a bijection, so the whole step is one too
// and any change still shows, now in all 32 digits), and prints the four lanes in hex, then `:length`.
// Speed: whole groups of four words are read with DataView.getInt32(…, true) into four independent multiply chains
// the CPU overlaps (in WebAssembly when the bytes are in a WebAssembly memory, wire/byte-passes.ts); the words at the edges
// of an update() are read byte by byte.
import { cachedDataView } from './checksum.ts';
import { HASH_PRIME, bytePassesFor, RESULT_LANES } from './byte-passes.ts';

const P = HASH_PRIME;
/** Lane seeds: the first hex digits of pi, so an empty lane does not start at zero. */
const SEEDS = [0x243f6a88, 0x85a308d3 | 0, 0x13198a2e, 0x03707344] as const;
// DataViews come from wire/checksum.ts's small cache (no allocation while callers take turns between a few buffers).

function absorb(v: number, w: number): number {
  v = Math.imul(v ^ w, P);
  return v ^ (v >>> 15);
}

/** murmur3's fmix32: spreads the last changes of a lane over all its bits (unsigned result). */
function finalise(v: number): number {
  v = Math.imul(v ^ (v >>> 16), 0x85ebca6b);
  v = Math.imul(v ^ (v >>> 13), 0xc2b2ae35);
  return (v ^ (v >>> 16)) >>> 0;
}

function wordAt(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/**
 * Absorbs `groups` × 16 bytes from `b[i]` into lanes 0–3 of `s` (the stream is at a lane-0 word boundary): in
 * WebAssembly when `b` is a WebAssembly memory (wire/byte-passes.ts hash16: the same steps), else here.
 */
function absorbGroups(s: Int32Array, b: Uint8Array, i: number, groups: number): void {
  const k = bytePassesFor(b.buffer);
  if (k !== undefined) {
    const at = b.byteOffset + i;
    k.hash16(at, at + groups * 16, s[0]!, s[1]!, s[2]!, s[3]!, k.tables);
    const r = k.results;
    s[0] = r.getInt32(RESULT_LANES, true);
    s[1] = r.getInt32(RESULT_LANES + 4, true);
    s[2] = r.getInt32(RESULT_LANES + 8, true);
    s[3] = r.getInt32(RESULT_LANES + 12, true);
    return;
  }
  const dv = cachedDataView(b.buffer);
  let v0 = s[0]!,
    v1 = s[1]!,
    v2 = s[2]!,
    v3 = s[3]!;
  // four independent multiply chains, so the CPU overlaps them
  for (let at = b.byteOffset + i, end = at + groups * 16; at < end; at += 16) {
    v0 = Math.imul(v0 ^ dv.getInt32(at, true), P);
    v0 ^= v0 >>> 15;
    v1 = Math.imul(v1 ^ dv.getInt32(at + 4, true), P);
    v1 ^= v1 >>> 15;
    v2 = Math.imul(v2 ^ dv.getInt32(at + 8, true), P);
    v2 ^= v2 >>> 15;
    v3 = Math.imul(v3 ^ dv.getInt32(at + 12, true), P);
    v3 ^= v3 >>> 15;
  }
  s[0] = v0;
  s[1] = v1;
  s[2] = v2;
  s[3] = v3;
}

export class StreamHash {
  /** Lanes 0–3, then the bytes of the unfinished word (little-endian, low bits first). Typed, so updates never allocate. */
  private readonly s = Int32Array.of(SEEDS[0], SEEDS[1], SEEDS[2], SEEDS[3], 0);
  /** The length, kept in a typed array so that a stream past 2^31 bytes does not box a double on every update. */
  private readonly n = new Float64Array(1);

  /** Bytes hashed so far. */
  get length(): number {
    return this.n[0]!;
  }

  update(buf: Uint8Array, off: number, len: number): void {
    const end = off + len;
    if (!(Number.isInteger(off) && Number.isInteger(len) && off >= 0 && len >= 0 && end <= buf.length)) {
      throw new RangeError(`StreamHash.update: bytes ${off}..${end} are not inside a buffer of ${buf.length}`);
    }
    const s = this.s;
    let pos = this.n[0]!,
      i = off;
    this.n[0] = pos + len;
    // finish the word an earlier call began (pos & 3 and pos >>> 2 & 3 stay right past 2^32: 2^32 is a multiple of 16)
    while ((pos & 3) !== 0 && i < end) {
      s[4] = s[4]! | (buf[i]! << ((pos & 3) * 8));
      i++;
      pos++;
      if ((pos & 3) === 0) {
        const lane = ((pos >>> 2) + 3) & 3;
        s[lane] = absorb(s[lane]!, s[4]!);
        s[4] = 0;
      }
    }
    // whole words one by one up to a lane-0 boundary, then four lanes at a time, then the last whole words
    while (end - i >= 4 && (pos & 15) !== 0) {
      const lane = (pos >>> 2) & 3;
      s[lane] = absorb(s[lane]!, wordAt(buf, i));
      i += 4;
      pos += 4;
    }
    const groups = (end - i) >>> 4;
    if (groups > 0) {
      absorbGroups(s, buf, i, groups);
      i += groups * 16;
      pos += groups * 16;
    }
    while (end - i >= 4) {
      const lane = (pos >>> 2) & 3;
      s[lane] = absorb(s[lane]!, wordAt(buf, i));
      i += 4;
      pos += 4;
    }
    // the last 0–3 bytes begin the next word
    for (let shift = 0; i < end; i++, shift += 8) s[4] = s[4]! | (buf[i]! << shift);
  }

  /** The fingerprint: the four lanes in hex (32 digits), then `:` and the stream length in bytes. */
  digest(): string {
    const s = this.s;
    const v = [s[0]!, s[1]!, s[2]!, s[3]!];
    const length = this.n[0]!;
    if ((length & 3) !== 0) {
      const lane = (length >>> 2) & 3;
      v[lane] = absorb(v[lane]!, s[4]!);
    }
    for (let r = 0; r < 8; r++) v[r & 3] = finalise(v[r & 3]! + v[(r + 3) & 3]!);
    return `${v.map((x) => x.toString(16).padStart(8, '0')).join('')}:${length}`;
  }
}
