// ARP for Ethernet/IPv4 (RFC 826), enough to classify a frame: opcode and the four addresses.

import { ARP } from './constants.ts';
import { WireError } from './error.ts';
import { formatIpv4, formatMac, parseIpv4, readIpv4, writeIpv4, writeMac } from './address.ts';
import { HeaderView, captured } from './view.ts';

export class ArpView extends HeaderView {
  /** Rejects a packet shorter than 28 bytes and address lengths other than 6 (hardware) and 4 (protocol). */
  static checked(buf: Uint8Array, off = 0, len = buf.length - off): ArpView | WireError {
    const have = captured(buf, off, len);
    if (have < ARP.PLEN_FIELD + 1)
      return new WireError('arp', 'header', off, `truncated: ${have} bytes, need ${ARP.HLEN}`);
    if (buf[off + ARP.HLEN_FIELD] !== 6)
      return new WireError(
        'arp',
        'hlen',
        off + ARP.HLEN_FIELD,
        `${buf[off + ARP.HLEN_FIELD]}, only 6 (Ethernet) is supported`,
      );
    if (buf[off + ARP.PLEN_FIELD] !== 4)
      return new WireError(
        'arp',
        'plen',
        off + ARP.PLEN_FIELD,
        `${buf[off + ARP.PLEN_FIELD]}, only 4 (IPv4) is supported`,
      );
    if (have < ARP.HLEN) return new WireError('arp', 'header', off, `truncated: ${have} bytes, need ${ARP.HLEN}`);
    return new ArpView(buf, off);
  }
  get htype(): number {
    return this.dv.getUint16(this.off + ARP.HTYPE);
  }
  set htype(v: number) {
    this.dv.setUint16(this.off + ARP.HTYPE, v);
  }
  get ptype(): number {
    return this.dv.getUint16(this.off + ARP.PTYPE);
  }
  set ptype(v: number) {
    this.dv.setUint16(this.off + ARP.PTYPE, v);
  }
  get op(): number {
    return this.dv.getUint16(this.off + ARP.OPER);
  }
  set op(v: number) {
    this.dv.setUint16(this.off + ARP.OPER, v);
  }
  get senderMac(): string {
    return formatMac(this.buf, this.off + ARP.SHA);
  }
  get senderIp(): number {
    return this.dv.getUint32(this.off + ARP.SPA);
  }
  get targetMac(): string {
    return formatMac(this.buf, this.off + ARP.THA);
  }
  get targetIp(): number {
    return this.dv.getUint32(this.off + ARP.TPA);
  }
}

export interface ArpRepr {
  htype: number;
  ptype: number;
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export function parseArp(buf: Uint8Array, off = 0, len = buf.length - off): ArpRepr | WireError {
  const v = ArpView.checked(buf, off, len);
  if (v instanceof WireError) return v;
  return {
    htype: v.htype,
    ptype: v.ptype,
    op: v.op,
    senderMac: v.senderMac,
    senderIp: formatIpv4(readIpv4(buf, off + ARP.SPA)),
    targetMac: v.targetMac,
    targetIp: formatIpv4(readIpv4(buf, off + ARP.TPA)),
  };
}

/** Writes the 28-byte packet (hlen 6, plen 4); returns 28. */
export function emitArp(r: ArpRepr, buf: Uint8Array, off = 0): number {
  const v = new ArpView(buf, off);
  v.htype = r.htype;
  v.ptype = r.ptype;
  v.op = r.op;
  buf[off + ARP.HLEN_FIELD] = 6;
  buf[off + ARP.PLEN_FIELD] = 4;
  writeMac(buf, off + ARP.SHA, r.senderMac);
  writeIpv4(buf, off + ARP.SPA, parseIpv4(r.senderIp));
  writeMac(buf, off + ARP.THA, r.targetMac);
  writeIpv4(buf, off + ARP.TPA, parseIpv4(r.targetIp));
  return ARP.HLEN;
}
