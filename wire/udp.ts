// UDP (RFC 768): view, checked constructor, Repr with parse/emit.

import { UDP } from './constants.ts';
import { WireError } from './error.ts';
import { HeaderView, captured } from './view.ts';

export class UdpView extends HeaderView {
  /** `len` is the bytes of the datagram available (the IP payload). Rejects a truncated header and a length field below 8 or past `len`. */
  static checked(buf: Uint8Array, off = 0, len = buf.length - off): UdpView | WireError {
    const have = captured(buf, off, len);
    if (have < UDP.HLEN) return new WireError('udp', 'header', off, `truncated: ${have} bytes, need ${UDP.HLEN}`);
    const v = new UdpView(buf, off);
    if (v.length < UDP.HLEN) return new WireError('udp', 'length', off + UDP.LEN, `${v.length} is below the minimum 8`);
    if (v.length > len)
      return new WireError('udp', 'length', off + UDP.LEN, `${v.length} is larger than the ${len} bytes available`);
    return v;
  }
  get sport(): number {
    return this.dv.getUint16(this.off + UDP.SPORT);
  }
  set sport(v: number) {
    this.dv.setUint16(this.off + UDP.SPORT, v);
  }
  get dport(): number {
    return this.dv.getUint16(this.off + UDP.DPORT);
  }
  set dport(v: number) {
    this.dv.setUint16(this.off + UDP.DPORT, v);
  }
  get length(): number {
    return this.dv.getUint16(this.off + UDP.LEN);
  }
  set length(v: number) {
    this.dv.setUint16(this.off + UDP.LEN, v);
  }
  get checksum(): number {
    return this.dv.getUint16(this.off + UDP.CSUM);
  }
  set checksum(v: number) {
    this.dv.setUint16(this.off + UDP.CSUM, v);
  }
}

export interface UdpRepr {
  sport: number;
  dport: number;
  length: number;
  checksum: number;
}

export function parseUdpHeader(buf: Uint8Array, off = 0, len = buf.length - off): UdpRepr | WireError {
  const v = UdpView.checked(buf, off, len);
  if (v instanceof WireError) return v;
  return { sport: v.sport, dport: v.dport, length: v.length, checksum: v.checksum };
}

/** Writes the 8 bytes as given; returns 8. */
export function emitUdpHeader(r: UdpRepr, buf: Uint8Array, off = 0): number {
  const v = new UdpView(buf, off);
  v.sport = r.sport;
  v.dport = r.dport;
  v.length = r.length;
  v.checksum = r.checksum;
  return UDP.HLEN;
}
