// Where the headers of a frame start, read at fixed offsets without allocating: what the
// impairments, the ACK parser and the replay filter need to know about a frame.

import { ETH, VLAN, IPV4, TCP, ETHERTYPE, IPPROTO, isVlanTpid } from '../wire/index.ts';

/** Offsets of one frame's headers; -1 where a header is absent or does not fit in the frame. */
export class FrameLayout {
  /** EtherType after any VLAN tags. */
  etherType = 0;
  l3Offset = -1;
  /** IPv4 protocol, or -1. */
  protocol = -1;
  /** Offset of the L4 header (IPv4 frames), or -1. */
  l4Offset = -1;
  /** Bytes of IP packet the IPv4 total length claims. */
  ipTotalLength = 0;
  /** Offset of the L4 payload (TCP/UDP/ICMP after its header), or -1. */
  payloadOffset = -1;
  /** End of the IP packet in the frame (l3Offset + total length, clipped to the frame). */
  ipEnd = -1;
  vlanCount = 0;

  /** Parses `frame[0, len)`; returns false when there is not even an Ethernet header. */
  parse(frame: Uint8Array, len: number): boolean {
    this.etherType = 0; this.l3Offset = -1; this.protocol = -1; this.l4Offset = -1;
    this.ipTotalLength = 0; this.payloadOffset = -1; this.ipEnd = -1; this.vlanCount = 0;
    if (len < ETH.HLEN) return false;
    let off = ETH.TYPE;
    let type = (frame[off]! << 8) | frame[off + 1]!;
    while (isVlanTpid(type) && off + VLAN.HLEN + 2 <= len) {
      off += VLAN.HLEN;
      type = (frame[off]! << 8) | frame[off + 1]!;
      this.vlanCount++;
    }
    this.etherType = type;
    this.l3Offset = off + 2;
    if (type !== ETHERTYPE.IPV4) return true;
    const l3 = this.l3Offset;
    if (l3 + IPV4.HLEN > len) return true;
    const ihl = (frame[l3 + IPV4.VER_IHL]! & 0x0f) * 4;
    this.protocol = frame[l3 + IPV4.PROTO]!;
    this.ipTotalLength = (frame[l3 + IPV4.TOT_LEN]! << 8) | frame[l3 + IPV4.TOT_LEN + 1]!;
    this.ipEnd = Math.min(len, l3 + Math.max(this.ipTotalLength, ihl));
    if (ihl < IPV4.HLEN || l3 + ihl > len) return true;
    this.l4Offset = l3 + ihl;
    const l4 = this.l4Offset;
    if (this.protocol === IPPROTO.TCP) {
      if (l4 + TCP.HLEN > len) return true;
      const doff = (frame[l4 + TCP.DOFF]! >> 4) * 4;
      if (doff >= TCP.HLEN && l4 + doff <= len) this.payloadOffset = l4 + doff;
    } else if (this.protocol === IPPROTO.UDP) {
      if (l4 + 8 <= len) this.payloadOffset = l4 + 8;
    } else if (this.protocol === IPPROTO.ICMP) {
      if (l4 + 8 <= len) this.payloadOffset = l4 + 8;
    }
    return true;
  }

  /** True when the frame carries a TCP header that fits. */
  get isTcp(): boolean { return this.protocol === IPPROTO.TCP && this.payloadOffset >= 0; }
}

/** Copies `len` bytes without creating a subarray view (per-frame paths). */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
  if (srcOff === 0 && len === src.length) { dst.set(src, dstOff); return; }
  for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
}

export function read16(b: Uint8Array, off: number): number { return (b[off]! << 8) | b[off + 1]!; }
export function read32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}
export function write16(b: Uint8Array, off: number, v: number): void { b[off] = (v >>> 8) & 0xff; b[off + 1] = v & 0xff; }
export function write32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff; b[off + 1] = (v >>> 16) & 0xff; b[off + 2] = (v >>> 8) & 0xff; b[off + 3] = v & 0xff;
}

/** Finds the TCP timestamp option in the header at `l4`; returns its offset (kind byte) or -1. */
export function findTimestampOption(b: Uint8Array, l4: number, payloadOffset: number): number {
  let i = l4 + TCP.HLEN;
  while (i < payloadOffset) {
    const kind = b[i]!;
    if (kind === 0) return -1;
    if (kind === 1) { i++; continue; }
    if (i + 1 >= payloadOffset) return -1;
    const olen = b[i + 1]!;
    if (olen < 2 || i + olen > payloadOffset) return -1;
    if (kind === 8 && olen === 10) return i;
    i += olen;
  }
  return -1;
}
