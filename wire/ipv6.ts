// IPv6 (RFC 8200): a view over the fixed header, a checked constructor that walks the extension headers
// (hop-by-hop, routing, destination options, fragment, AH) to the upper-layer header and says which
// field is wrong, and a plain Repr with parse/emit. ESP and "no next header" end the walk as upper layers.

import { IPV6, IPV6_EXT, IPV6_FRAG, IPPROTO, MAX_IPV6_EXT_HEADERS } from './constants.ts';
import { WireError } from './error.ts';
import { formatIpv6, writeIpv6 } from './address.ts';
import { HeaderView, captured } from './view.ts';
import { ipv6PayloadLength } from './big-tcp.ts';

/** True for the next-header values that name an extension header the walk steps over. */
export function isIpv6ExtHeader(next: number): boolean {
  return (
    next === IPPROTO.HOPOPTS ||
    next === IPPROTO.ROUTING ||
    next === IPPROTO.DSTOPTS ||
    next === IPPROTO.FRAGMENT ||
    next === IPPROTO.AH
  );
}

/** One extension header as walked: its type (the next-header value that announced it), offset from the IPv6 header, and length in bytes. */
export interface Ipv6ExtRepr {
  type: number;
  offset: number;
  length: number;
}

/** What a fragment header says: offset in bytes, the M flag, the identification. */
export interface Ipv6FragmentRepr {
  offset: number;
  more: boolean;
  id: number;
}

export class Ipv6View extends HeaderView {
  /**
   * The view, or a WireError naming the field: fewer than 40 bytes, version ≠ 6, a payload length past the `len` bytes
   * available, an extension header that runs past the payload (or the bytes captured), hop-by-hop anywhere but first,
   * more than MAX_IPV6_EXT_HEADERS extension headers.
   */
  static checked(buf: Uint8Array, off = 0, len = buf.length - off): Ipv6View | WireError {
    const have = captured(buf, off, len);
    if (have < IPV6.HLEN) return new WireError('ipv6', 'header', off, `truncated: ${have} bytes, need ${IPV6.HLEN}`);
    const v = new Ipv6View(buf, off);
    if (v.version !== 6) return new WireError('ipv6', 'version', off + IPV6.VER_TC_FL, `${v.version}, must be 6`);
    const total = IPV6.HLEN + ipv6PayloadLength(v.payloadLength, len - IPV6.HLEN);
    if (total > len)
      return new WireError(
        'ipv6',
        'payloadLength',
        off + IPV6.PAYLOAD_LEN,
        `${v.payloadLength} (${total} bytes with the header) is larger than the ${len} bytes available`,
      );
    const walked = v.walk(null);
    return walked instanceof WireError ? walked : v;
  }
  get version(): number {
    return this.buf[this.off]! >>> 4;
  }
  get trafficClass(): number {
    return (this.dv.getUint16(this.off) >>> 4) & 0xff;
  }
  /** The ECN bits (low two bits of the traffic class): 3 is CE. */
  get ecn(): number {
    return this.trafficClass & 3;
  }
  get flowLabel(): number {
    return this.dv.getUint32(this.off) & 0xfffff;
  }
  get payloadLength(): number {
    return this.dv.getUint16(this.off + IPV6.PAYLOAD_LEN);
  }
  set payloadLength(v: number) {
    this.dv.setUint16(this.off + IPV6.PAYLOAD_LEN, v);
  }
  get nextHeader(): number {
    return this.buf[this.off + IPV6.NEXT_HDR]!;
  }
  set nextHeader(v: number) {
    this.buf[this.off + IPV6.NEXT_HDR] = v;
  }
  get hopLimit(): number {
    return this.buf[this.off + IPV6.HOP_LIMIT]!;
  }
  set hopLimit(v: number) {
    this.buf[this.off + IPV6.HOP_LIMIT] = v;
  }
  get src(): string {
    return formatIpv6(this.buf, this.off + IPV6.SRC);
  }
  get dst(): string {
    return formatIpv6(this.buf, this.off + IPV6.DST);
  }

  /**
   * Walks the extension headers, pushing each into `out` (when given). Returns the upper-layer protocol, its offset from
   * the IPv6 header and the fragment header's values (when there is one), or the WireError that stops the walk. A
   * fragment with a non-zero offset ends the walk: what follows is the middle of a packet, not a header.
   */
  walk(out: Ipv6ExtRepr[] | null): { protocol: number; offset: number; fragment: Ipv6FragmentRepr | null } | WireError {
    const b = this.buf,
      start = this.off;
    const end = start + IPV6.HLEN + ipv6PayloadLength(this.payloadLength, b.length - start - IPV6.HLEN);
    const held = start + captured(b, start, end - start);
    let next = this.nextHeader,
      p = start + IPV6.HLEN,
      count = 0;
    let fragment: Ipv6FragmentRepr | null = null;
    while (isIpv6ExtHeader(next)) {
      if (next === IPPROTO.HOPOPTS && count > 0)
        return new WireError('ipv6', 'hop-by-hop header', p, 'only allowed directly after the IPv6 header');
      if (count === MAX_IPV6_EXT_HEADERS)
        return new WireError('ipv6', 'extension headers', p, `more than ${MAX_IPV6_EXT_HEADERS}`);
      if (p + IPV6_EXT.HLEN > end)
        return new WireError(
          'ipv6',
          'extension header',
          p,
          `truncated: ${end - p} bytes of payload left, need ${IPV6_EXT.HLEN}`,
        );
      if (p + IPV6_EXT.HLEN > held)
        return new WireError(
          'ipv6',
          'extension header',
          p,
          `truncated: ${held - p} bytes captured, need ${IPV6_EXT.HLEN}`,
        );
      const length =
        next === IPPROTO.FRAGMENT
          ? IPV6_FRAG.HLEN
          : next === IPPROTO.AH
            ? (b[p + IPV6_EXT.LEN]! + 2) * 4
            : (b[p + IPV6_EXT.LEN]! + 1) * 8;
      if (p + length > end)
        return new WireError(
          'ipv6',
          'extension header length',
          p + IPV6_EXT.LEN,
          `${length} bytes run past the end of the payload`,
        );
      if (p + length > held)
        return new WireError(
          'ipv6',
          'extension header length',
          p + IPV6_EXT.LEN,
          `${length} bytes run past the ${held - p} bytes captured`,
        );
      out?.push({ type: next, offset: p - start, length });
      const following = b[p + IPV6_EXT.NEXT_HDR]!;
      count++;
      if (next === IPPROTO.FRAGMENT) {
        const word = (b[p + IPV6_FRAG.FRAG]! << 8) | b[p + IPV6_FRAG.FRAG + 1]!;
        const id = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
        fragment = { offset: word & IPV6_FRAG.OFFSET_MASK, more: (word & IPV6_FRAG.MF) !== 0, id };
        if (fragment.offset !== 0) return { protocol: following, offset: p + length - start, fragment };
      }
      next = following;
      p += length;
    }
    return { protocol: next, offset: p - start, fragment };
  }
}

export interface Ipv6Repr {
  version: number;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: string;
  dst: string;
  /** The extension headers walked, in order. */
  extHeaders: Ipv6ExtRepr[];
  /** The upper-layer protocol (the last next-header value) and its offset from the start of the IPv6 header. */
  upperProtocol: number;
  upperOffset: number;
  /** The fragment header's values, when there is one (an atomic fragment has offset 0 and more false). */
  fragment: Ipv6FragmentRepr | null;
}

/** Parses a checked header at `off`; `len` is the bytes available for the packet. */
export function parseIpv6Header(buf: Uint8Array, off = 0, len = buf.length - off): Ipv6Repr | WireError {
  const v = Ipv6View.checked(buf, off, len);
  if (v instanceof WireError) return v;
  const extHeaders: Ipv6ExtRepr[] = [];
  const w = v.walk(extHeaders);
  if (w instanceof WireError) return w;
  return {
    version: v.version,
    trafficClass: v.trafficClass,
    flowLabel: v.flowLabel,
    payloadLength: v.payloadLength,
    nextHeader: v.nextHeader,
    hopLimit: v.hopLimit,
    src: v.src,
    dst: v.dst,
    extHeaders,
    upperProtocol: w.protocol,
    upperOffset: w.offset,
    fragment: w.fragment,
  };
}

/** Writes the 40-byte fixed header (extension headers are the caller's bytes); returns 40. */
export function emitIpv6Header(
  r: Pick<Ipv6Repr, 'trafficClass' | 'flowLabel' | 'payloadLength' | 'nextHeader' | 'hopLimit' | 'src' | 'dst'> & {
    version?: number;
  },
  buf: Uint8Array,
  off = 0,
): number {
  const word = (((r.version ?? 6) & 0xf) << 28) | ((r.trafficClass & 0xff) << 20) | (r.flowLabel & 0xfffff);
  buf[off] = word >>> 24;
  buf[off + 1] = word >>> 16;
  buf[off + 2] = word >>> 8;
  buf[off + 3] = word;
  buf[off + IPV6.PAYLOAD_LEN] = r.payloadLength >>> 8;
  buf[off + IPV6.PAYLOAD_LEN + 1] = r.payloadLength;
  buf[off + IPV6.NEXT_HDR] = r.nextHeader;
  buf[off + IPV6.HOP_LIMIT] = r.hopLimit;
  writeIpv6(buf, off + IPV6.SRC, r.src);
  writeIpv6(buf, off + IPV6.DST, r.dst);
  return IPV6.HLEN;
}
