// Ethernet II and 802.1Q/802.1ad tags: views over the bytes, Repr values, and the whole L2 header
// (addresses, any stack of tags, the inner EtherType) parsed and emitted in one go.

import { ETH, MAX_VLAN_TAGS, VLAN, isVlanTpid } from './constants.ts';
import { WireError } from './error.ts';
import { formatMac, writeMac } from './address.ts';
import { HeaderView, captured } from './view.ts';

export class EthernetView extends HeaderView {
  /** The view, or a WireError when fewer than 14 bytes are available from `off`. */
  static checked(buf: Uint8Array, off = 0, len = buf.length - off): EthernetView | WireError {
    const have = captured(buf, off, len);
    if (have < ETH.HLEN) return new WireError('ethernet', 'header', off, `truncated: ${have} bytes, need ${ETH.HLEN}`);
    return new EthernetView(buf, off);
  }
  get dst(): string {
    return formatMac(this.buf, this.off + ETH.DST);
  }
  set dst(v: string) {
    writeMac(this.buf, this.off + ETH.DST, v);
  }
  get src(): string {
    return formatMac(this.buf, this.off + ETH.SRC);
  }
  set src(v: string) {
    writeMac(this.buf, this.off + ETH.SRC, v);
  }
  /** The EtherType field at byte 12 (a TPID when the frame is tagged). */
  get etherType(): number {
    return this.dv.getUint16(this.off + ETH.TYPE);
  }
  set etherType(v: number) {
    this.dv.setUint16(this.off + ETH.TYPE, v);
  }
  get isTagged(): boolean {
    return isVlanTpid(this.etherType);
  }
}

/** One tag; `off` is the tag's TPID (byte 12 of the frame for the outermost tag). */
export class VlanView extends HeaderView {
  static checked(buf: Uint8Array, off: number = ETH.TYPE, len = buf.length - off): VlanView | WireError {
    const have = captured(buf, off, len);
    if (have < VLAN.HLEN + 2)
      return new WireError(
        'vlan',
        'header',
        off,
        `truncated: ${have} bytes, need ${VLAN.HLEN + 2} (tag and inner type)`,
      );
    const tpid = (buf[off]! << 8) | buf[off + 1]!;
    if (!isVlanTpid(tpid))
      return new WireError('vlan', 'tpid', off, `0x${tpid.toString(16).padStart(4, '0')} is not 0x8100 or 0x88a8`);
    return new VlanView(buf, off);
  }
  get tpid(): number {
    return this.dv.getUint16(this.off + VLAN.TPID);
  }
  set tpid(v: number) {
    this.dv.setUint16(this.off + VLAN.TPID, v);
  }
  get tci(): number {
    return this.dv.getUint16(this.off + VLAN.TCI);
  }
  set tci(v: number) {
    this.dv.setUint16(this.off + VLAN.TCI, v);
  }
  get vid(): number {
    return this.tci & 0x0fff;
  }
  set vid(v: number) {
    this.tci = (this.tci & 0xf000) | (v & 0x0fff);
  }
  get pcp(): number {
    return this.tci >>> 13;
  }
  set pcp(v: number) {
    this.tci = (this.tci & 0x1fff) | ((v & 7) << 13);
  }
  get dei(): boolean {
    return (this.tci & 0x1000) !== 0;
  }
  set dei(v: boolean) {
    this.tci = (this.tci & 0xefff) | (v ? 0x1000 : 0);
  }
  /** The EtherType after this tag (the next tag's TPID, or the payload's type). */
  get innerType(): number {
    return this.dv.getUint16(this.off + VLAN.TYPE);
  }
  set innerType(v: number) {
    this.dv.setUint16(this.off + VLAN.TYPE, v);
  }
}

export interface EthernetRepr {
  dst: string;
  src: string;
  type: number;
}
export interface VlanTagRepr {
  tpid: number;
  vid: number;
  pcp: number;
  dei: boolean;
}

/** The link-layer header as a whole: addresses, the tags outermost first, and the EtherType of the payload. */
export interface L2Repr {
  eth: EthernetRepr;
  vlans: VlanTagRepr[];
  innerType: number;
}

export function parseEthernetHeader(buf: Uint8Array, off = 0, len = buf.length - off): EthernetRepr | WireError {
  const v = EthernetView.checked(buf, off, len);
  if (v instanceof WireError) return v;
  return { dst: v.dst, src: v.src, type: v.etherType };
}

/** Writes 14 bytes; returns 14. */
export function emitEthernetHeader(r: EthernetRepr, buf: Uint8Array, off = 0): number {
  writeMac(buf, off + ETH.DST, r.dst);
  writeMac(buf, off + ETH.SRC, r.src);
  buf[off + ETH.TYPE] = (r.type >>> 8) & 0xff;
  buf[off + ETH.TYPE + 1] = r.type & 0xff;
  return ETH.HLEN;
}

/** Reads the tag (TPID and TCI) at `off`. */
export function parseVlanTag(buf: Uint8Array, off: number = ETH.TYPE, len = buf.length - off): VlanTagRepr | WireError {
  const v = VlanView.checked(buf, off, len);
  if (v instanceof WireError) return v;
  return { tpid: v.tpid, vid: v.vid, pcp: v.pcp, dei: v.dei };
}

/** Writes TPID and TCI (4 bytes) at `off`; returns 4. */
export function emitVlanTag(r: VlanTagRepr, buf: Uint8Array, off: number = ETH.TYPE): number {
  const tci = ((r.pcp & 7) << 13) | (r.dei ? 0x1000 : 0) | (r.vid & 0x0fff);
  buf[off] = (r.tpid >>> 8) & 0xff;
  buf[off + 1] = r.tpid & 0xff;
  buf[off + 2] = tci >>> 8;
  buf[off + 3] = tci & 0xff;
  return VLAN.HLEN;
}

/** Length of the L2 header a repr describes (14 + 4 per tag). */
export function l2HeaderLength(r: L2Repr): number {
  return ETH.HLEN + VLAN.HLEN * r.vlans.length;
}

/** Parses addresses, every tag (0x8100 or 0x88a8, stacked in any order, at most MAX_VLAN_TAGS) and the inner EtherType. */
export function parseL2(buf: Uint8Array, off = 0, len = buf.length - off): L2Repr | WireError {
  const eth = parseEthernetHeader(buf, off, len);
  if (eth instanceof WireError) return eth;
  const vlans: VlanTagRepr[] = [];
  let p = off + ETH.TYPE;
  let type = eth.type;
  while (isVlanTpid(type)) {
    const tag = parseVlanTag(buf, p, off + len - p);
    if (tag instanceof WireError) return tag;
    if (vlans.length === MAX_VLAN_TAGS)
      return new WireError('vlan', 'tags', p, `more than ${MAX_VLAN_TAGS} stacked tags`);
    vlans.push(tag);
    p += VLAN.HLEN;
    type = (buf[p]! << 8) | buf[p + 1]!;
  }
  return { eth, vlans, innerType: type };
}

/** Writes the L2 header; `eth.type` is ignored when there are tags (byte 12 is the first TPID). Returns its length. */
export function emitL2(r: L2Repr, buf: Uint8Array, off = 0): number {
  emitEthernetHeader({ ...r.eth, type: r.vlans[0]?.tpid ?? r.innerType }, buf, off);
  let p = off + ETH.TYPE;
  for (const tag of r.vlans) p += emitVlanTag(tag, buf, p);
  buf[p] = (r.innerType >>> 8) & 0xff;
  buf[p + 1] = r.innerType & 0xff;
  return p + 2 - off;
}
