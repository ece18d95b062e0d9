// Helpers the stack needs on top of skb.ts: a header accessor that reads headers even when they
// straddle the linear part and page fragments (copying into a preallocated scratch buffer only
// then), the checksum of a range of an skb's data, and pskb_trim.
import { r16, r32 } from '../wire/bytes.ts';
import { fold, csumBlockAdd } from '../wire/checksum.ts';
import { bytesSum } from '../wire/byte-passes.ts';
import { ARP } from '../wire/constants.ts';
import { ETH_P_8021Q, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, type SkBuff } from './skb.ts';

/**
 * A window onto `len` bytes at data offset `off` of an skb: `buf[base .. base+len)`. Points into the
 * linear part when the bytes are there (the usual case), else copies them into its own scratch.
 */
export class HeaderAccess {
  buf: Uint8Array;
  base = 0;
  private readonly scratch: Uint8Array;
  constructor(maxLen = 128) {
    this.scratch = new Uint8Array(maxLen);
    this.buf = this.scratch;
  }

  /** pskb_may_pull's read side: false when the skb has fewer than off+len bytes. */
  peek(skb: SkBuff, off: number, len: number): boolean {
    if (off + len > skb.len) return false;
    if (off + len <= skb.headLen) {
      this.buf = skb.buf;
      this.base = skb.data + off;
      return true;
    }
    if (len > this.scratch.length)
      throw new RangeError(`header of ${len} bytes exceeds accessor scratch (${this.scratch.length})`);
    skb.copyBits(off, this.scratch, 0, len);
    this.buf = this.scratch;
    this.base = 0;
    return true;
  }

  u8(i: number): number {
    return this.buf[this.base + i]!;
  }
  u16(i: number): number {
    return r16(this.buf, this.base + i);
  }
  u32(i: number): number {
    return r32(this.buf, this.base + i);
  }
}

let csumAcc = 0,
  csumPos = 0;
const csumChunk = (mem: Uint8Array, start: number, n: number): void => {
  csumAcc = csumBlockAdd(csumAcc, fold(bytesSum(mem, start, n)), csumPos); // WebAssembly in DMA memory
  csumPos += n;
};

/** Folded 1's-complement sum (not complemented) of `len` bytes of the skb's data from `off`, across linear part, frags and frag_list. */
export function skbChecksum(skb: SkBuff, off: number, len: number): number {
  csumAcc = 0;
  csumPos = 0;
  skb.forEachChunk(off, len, csumChunk);
  return csumAcc;
}

/**
 * pskb_trim: shortens the skb's data to `newLen` bytes, cutting linear data, fragments and chained
 * skbs from the end. Fragments cut away entirely are released to their owners now; chained skbs cut
 * away entirely are freed with `free`.
 */
export function skbTrim(skb: SkBuff, newLen: number, free: (s: SkBuff) => void): void {
  if (newLen >= skb.len) return;
  let keep = newLen;
  const hl = skb.headLen;
  if (keep <= hl) {
    skb.tail = skb.data + keep;
    keep = 0;
  } else keep -= hl;
  let k = 0;
  for (; k < skb.nrFrags; k++) {
    const f = skb.frags[k]!;
    if (keep === 0) break;
    if (keep < f.size) {
      f.size = keep;
      keep = 0;
      k++;
      break;
    }
    keep -= f.size;
  }
  for (let j = k; j < skb.nrFrags; j++) {
    const f = skb.frags[j]!;
    if (f.owner !== null) f.owner.release(f.mem, f.ownerAddr);
    f.owner = null;
    f.size = 0;
  }
  skb.nrFrags = Math.min(skb.nrFrags, k);
  // the chained skbs
  let prev: SkBuff | null = null;
  for (let s = skb.fragList; s !== null; ) {
    const nextS: SkBuff | null = s.next;
    if (keep === 0) {
      if (prev === null) skb.fragList = null;
      else prev.next = null;
      for (let d: SkBuff | null = s; d !== null; ) {
        const nx: SkBuff | null = d.next;
        d.next = null;
        free(d);
        d = nx;
      }
      break;
    }
    if (keep < s.len) {
      skbTrim(s, keep, free);
      keep = 0;
    } else keep -= s.len;
    prev = s;
    s = nextS;
  }
  skb.len = newLen;
  skb.dataLen = newLen - skb.headLen;
}

/**
 * A NIC that extracts the 802.1Q tag but leaves the EtherType reading 0x8100 (eHEA, the
 * LRO_F_EXTRACT_VLAN_ID case) has the IP header right after the Ethernet header: sets the protocol to
 * IPv4 when the first byte reads as IPv4 (version 4, IHL ≥ 5), to IPv6 when it reads version 6, to ARP when the bytes read as an
 * Ethernet/IPv4 ARP header (a tagged ARP must reach ARP, not IP input), and lets IP input judge the rest, so a
 * truncated or damaged header is counted there. The first byte cannot tell an IPv4 header from the
 * inner tag of a double-tagged frame whose TCI begins with 0x45–0x4f (PCP 2, VID ≥ 1280): such a frame
 * is read as IPv4 and dropped by IP input, counted. Returns true when it changed the protocol.
 */
export function restoreExtractedProtocol(skb: SkBuff): boolean {
  if (skb.protocol !== ETH_P_8021Q || skb.headLen < 1) return false;
  const b = skb.buf,
    at = skb.data;
  const first = b[at]!;
  if (first >> 4 === 4 && (first & 0x0f) >= 5) {
    skb.protocol = ETH_P_IP;
    return true;
  }
  // IPv6 the same way (version 6); an inner tag whose TCI begins 0x60–0x6f (PCP 3) is read as IPv6 and IP input judges it
  if (first >> 4 === 6) {
    skb.protocol = ETH_P_IPV6;
    return true;
  }
  // ARP for Ethernet/IPv4 (htype 1, ptype 0x0800, hlen 6, plen 4): no in-band tag starts this way,
  // since an inner tag's type 0x0800 would be followed by an IPv4 header, never by the bytes 06 04
  if (
    skb.headLen >= ARP.OPER &&
    r16(b, at + ARP.HTYPE) === 1 &&
    r16(b, at + ARP.PTYPE) === ETH_P_IP &&
    b[at + ARP.HLEN_FIELD] === 6 &&
    b[at + ARP.PLEN_FIELD] === 4
  ) {
    skb.protocol = ETH_P_ARP;
    return true;
  }
  return false;
}
