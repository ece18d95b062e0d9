// IPv4 (RFC 791): a view over the header bytes, a checked constructor that says which field is
// wrong, and a plain Repr with parse/emit. fragOffset is the raw field, in 8-byte units.

import { IPV4, IPV4_FRAG } from './constants.ts';
import { WireError } from './error.ts';
import { formatIpv4, parseIpv4, readIpv4, writeIpv4 } from './address.ts';
import { checksum, sumBytes, fold } from './checksum.ts';
import { HeaderView, captured } from './view.ts';
import { ipv4PacketLength } from './big-tcp.ts';

export class Ipv4View extends HeaderView {
  /**
   * The view, or a WireError naming the field: fewer than 20 bytes, version ≠ 4, IHL < 5 or past the
   * buffer, total length below the header or larger than the `len` bytes available, a malformed option.
   */
  static checked(buf: Uint8Array, off = 0, len = buf.length - off): Ipv4View | WireError {
    const have = captured(buf, off, len);
    if (have < IPV4.HLEN) return new WireError('ipv4', 'header', off, `truncated: ${have} bytes, need ${IPV4.HLEN}`);
    const v = new Ipv4View(buf, off);
    if (v.version !== 4) return new WireError('ipv4', 'version', off + IPV4.VER_IHL, `${v.version}, must be 4`);
    if (v.ihl < 5) return new WireError('ipv4', 'ihl', off + IPV4.VER_IHL, `${v.ihl} is below the minimum 5`);
    if (v.headerLength > have)
      return new WireError(
        'ipv4',
        'ihl',
        off + IPV4.VER_IHL,
        `${v.ihl} (${v.headerLength} bytes) runs past the ${have} bytes available`,
      );
    const tl = ipv4PacketLength(v.totalLength, len);
    if (tl < v.headerLength)
      return new WireError(
        'ipv4',
        'totalLength',
        off + IPV4.TOT_LEN,
        `${tl} is smaller than the ${v.headerLength}-byte header`,
      );
    if (tl > len)
      return new WireError(
        'ipv4',
        'totalLength',
        off + IPV4.TOT_LEN,
        `${tl} is larger than the ${len} bytes available`,
      );
    const bad = checkIpv4Options(buf, off + IPV4.HLEN, v.headerLength - IPV4.HLEN);
    return bad ?? v;
  }
  get version(): number {
    return this.buf[this.off + IPV4.VER_IHL]! >>> 4;
  }
  set version(v: number) {
    this.buf[this.off + IPV4.VER_IHL] = ((v & 0xf) << 4) | (this.buf[this.off + IPV4.VER_IHL]! & 0xf);
  }
  /** Header length in 32-bit words. */
  get ihl(): number {
    return this.buf[this.off + IPV4.VER_IHL]! & 0x0f;
  }
  set ihl(v: number) {
    this.buf[this.off + IPV4.VER_IHL] = (this.buf[this.off + IPV4.VER_IHL]! & 0xf0) | (v & 0xf);
  }
  get headerLength(): number {
    return this.ihl * 4;
  }
  get tos(): number {
    return this.buf[this.off + IPV4.TOS]!;
  }
  set tos(v: number) {
    this.buf[this.off + IPV4.TOS] = v;
  }
  /** The ECN bits (low two bits of TOS): 3 is CE. */
  get ecn(): number {
    return this.tos & 3;
  }
  get totalLength(): number {
    return this.dv.getUint16(this.off + IPV4.TOT_LEN);
  }
  set totalLength(v: number) {
    this.dv.setUint16(this.off + IPV4.TOT_LEN, v);
  }
  get id(): number {
    return this.dv.getUint16(this.off + IPV4.ID);
  }
  set id(v: number) {
    this.dv.setUint16(this.off + IPV4.ID, v);
  }
  get fragWord(): number {
    return this.dv.getUint16(this.off + IPV4.FRAG);
  }
  set fragWord(v: number) {
    this.dv.setUint16(this.off + IPV4.FRAG, v);
  }
  get df(): boolean {
    return (this.fragWord & IPV4_FRAG.DF) !== 0;
  }
  set df(v: boolean) {
    this.fragWord = v ? this.fragWord | IPV4_FRAG.DF : this.fragWord & ~IPV4_FRAG.DF;
  }
  get mf(): boolean {
    return (this.fragWord & IPV4_FRAG.MF) !== 0;
  }
  set mf(v: boolean) {
    this.fragWord = v ? this.fragWord | IPV4_FRAG.MF : this.fragWord & ~IPV4_FRAG.MF;
  }
  /** In 8-byte units. */
  get fragOffset(): number {
    return this.fragWord & IPV4_FRAG.OFFSET_MASK;
  }
  set fragOffset(v: number) {
    this.fragWord = (this.fragWord & ~IPV4_FRAG.OFFSET_MASK) | (v & IPV4_FRAG.OFFSET_MASK);
  }
  /** True for any fragment (MF set or a non-zero offset). */
  get isFragment(): boolean {
    return (this.fragWord & (IPV4_FRAG.MF | IPV4_FRAG.OFFSET_MASK)) !== 0;
  }
  get ttl(): number {
    return this.buf[this.off + IPV4.TTL]!;
  }
  set ttl(v: number) {
    this.buf[this.off + IPV4.TTL] = v;
  }
  get protocol(): number {
    return this.buf[this.off + IPV4.PROTO]!;
  }
  set protocol(v: number) {
    this.buf[this.off + IPV4.PROTO] = v;
  }
  get checksum(): number {
    return this.dv.getUint16(this.off + IPV4.CSUM);
  }
  set checksum(v: number) {
    this.dv.setUint16(this.off + IPV4.CSUM, v);
  }
  /** Source address as an unsigned 32-bit number. */
  get src(): number {
    return this.dv.getUint32(this.off + IPV4.SRC);
  }
  set src(v: number) {
    this.dv.setUint32(this.off + IPV4.SRC, v >>> 0);
  }
  get dst(): number {
    return this.dv.getUint32(this.off + IPV4.DST);
  }
  set dst(v: number) {
    this.dv.setUint32(this.off + IPV4.DST, v >>> 0);
  }
  /** Offset in `buf` of the first byte after the header. */
  get payloadOffset(): number {
    return this.off + this.headerLength;
  }
  get payloadLength(): number {
    return this.totalLength - this.headerLength;
  }
  /** True when the header checksum verifies. */
  verifyChecksum(): boolean {
    return fold(sumBytes(this.buf, this.off, this.headerLength)) === 0xffff;
  }
  /** Recomputes the header checksum. */
  fillChecksum(): void {
    this.checksum = 0;
    this.checksum = checksum(this.buf, this.off, this.headerLength);
  }
}

/** Checks the option TLVs in an IPv4 header: EOL ends them, NOP is one byte, others need a length ≥ 2 that fits. */
function checkIpv4Options(buf: Uint8Array, off: number, len: number): WireError | undefined {
  let p = off;
  const end = off + len;
  while (p < end) {
    const kind = buf[p]!;
    if (kind === 0) return undefined;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end)
      return new WireError('ipv4', `option ${kind} length`, p + 1, 'missing: the options end after the type byte');
    const olen = buf[p + 1]!;
    if (olen < 2) return new WireError('ipv4', `option ${kind} length`, p + 1, `${olen} is below the minimum 2`);
    if (p + olen > end)
      return new WireError(
        'ipv4',
        `option ${kind} length`,
        p + 1,
        `${olen} runs ${p + olen - end} bytes past the header`,
      );
    p += olen;
  }
  return undefined;
}

export interface Ipv4Repr {
  version: number;
  ihl: number;
  tos: number;
  totalLength: number;
  id: number;
  df: boolean;
  mf: boolean;
  /** In 8-byte units, as in the header. */
  fragOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: string;
  dst: string;
  /** The option bytes including any padding (ihl*4 - 20 bytes). */
  options: Uint8Array;
}

/** Parses a checked header at `off` (`len` bytes available, by default to the end of `buf`). */
export function parseIpv4Header(buf: Uint8Array, off = 0, len = buf.length - off): Ipv4Repr | WireError {
  const v = Ipv4View.checked(buf, off, len);
  if (v instanceof WireError) return v;
  return {
    version: v.version,
    ihl: v.ihl,
    tos: v.tos,
    totalLength: v.totalLength,
    id: v.id,
    df: v.df,
    mf: v.mf,
    fragOffset: v.fragOffset,
    ttl: v.ttl,
    protocol: v.protocol,
    checksum: v.checksum,
    src: formatIpv4(readIpv4(buf, off + IPV4.SRC)),
    dst: formatIpv4(readIpv4(buf, off + IPV4.DST)),
    options: buf.slice(off + IPV4.HLEN, off + v.headerLength),
  };
}

/** Writes every field as given (checksum and lengths included); returns the bytes written (20 + options). */
export function emitIpv4Header(r: Ipv4Repr, buf: Uint8Array, off = 0): number {
  buf[off + IPV4.VER_IHL] = ((r.version & 0xf) << 4) | (r.ihl & 0xf);
  buf[off + IPV4.TOS] = r.tos;
  put16(buf, off + IPV4.TOT_LEN, r.totalLength);
  put16(buf, off + IPV4.ID, r.id);
  put16(
    buf,
    off + IPV4.FRAG,
    (r.df ? IPV4_FRAG.DF : 0) | (r.mf ? IPV4_FRAG.MF : 0) | (r.fragOffset & IPV4_FRAG.OFFSET_MASK),
  );
  buf[off + IPV4.TTL] = r.ttl;
  buf[off + IPV4.PROTO] = r.protocol;
  put16(buf, off + IPV4.CSUM, r.checksum);
  writeIpv4(buf, off + IPV4.SRC, parseIpv4(r.src));
  writeIpv4(buf, off + IPV4.DST, parseIpv4(r.dst));
  buf.set(r.options, off + IPV4.HLEN);
  return IPV4.HLEN + r.options.length;
}

function put16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 8) & 0xff;
  buf[off + 1] = v & 0xff;
}
