// A scapy-like frame builder for tests and tools: frame().vlan(100).tcp({...}).payload(1448).build().
// Lengths and checksums are filled in unless a field is given, so tests can also craft bad frames.

import { ETH, VLAN, IPV4, IPV4_FRAG, IPV6, TCP, UDP, ARP, ARPOP, TCP_FLAG, IPPROTO, ETHERTYPE } from './constants.ts';
import { writeMac, writeIpv4, writeIpv6 } from './address.ts';
import { sumBytes, finish, pseudoHeaderSum, ipv6PseudoHeaderSum } from './checksum.ts';
import { type TcpOption, tcpOptionsLength, emitTcpOptions } from './tcp-options.ts';

export interface EthSpec {
  dst?: string;
  src?: string;
  type?: number;
}
export interface VlanSpec {
  vid: number;
  pcp?: number;
  dei?: boolean;
  tpid?: number;
}
export interface Ipv4Spec {
  src?: string;
  dst?: string;
  id?: number;
  ttl?: number;
  tos?: number;
  df?: boolean;
  mf?: boolean;
  /** In 8-byte units, as in the header field. */
  fragOffset?: number;
  protocol?: number;
  options?: Uint8Array;
  ihl?: number;
  totalLength?: number;
  checksum?: number;
  version?: number;
}
/**
 * One IPv6 extension header. `length` is its size in bytes (a multiple of 8, at least 8; AH: a multiple of 4); the
 * option bytes are PadN-filled zeros unless `options` gives them (length − 2 bytes, written as they are). A fragment header takes `offset` (bytes, a multiple of 8), `more` and `id`.
 * `next` overrides the next-header byte (by default the header or protocol that follows).
 */
export type Ipv6ExtSpec =
  | { kind: 'hopByHop' | 'routing' | 'destination' | 'ah'; length?: number; next?: number; options?: Uint8Array }
  | { kind: 'fragment'; offset?: number; more?: boolean; id?: number; next?: number };
export interface Ipv6Spec {
  src?: string;
  dst?: string;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  /** Extension headers in order, after the fixed header. */
  ext?: Ipv6ExtSpec[];
  nextHeader?: number;
  payloadLength?: number;
  version?: number;
}
const EXT_TYPE = {
  hopByHop: IPPROTO.HOPOPTS,
  routing: IPPROTO.ROUTING,
  destination: IPPROTO.DSTOPTS,
  ah: IPPROTO.AH,
  fragment: IPPROTO.FRAGMENT,
} as const;
function extLength(e: Ipv6ExtSpec): number {
  return e.kind === 'fragment' ? 8 : (e.length ?? 8);
}

export interface TcpSpec {
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  flags?: string | number;
  window?: number;
  urgent?: number;
  ts?: [number, number];
  options?: TcpOption[] | Uint8Array;
  dataOffset?: number;
  checksum?: number;
}
export interface UdpSpec {
  sport?: number;
  dport?: number;
  length?: number;
  checksum?: number;
}
export interface ArpSpec {
  op?: number;
  senderMac?: string;
  senderIp?: string;
  targetMac?: string;
  targetIp?: string;
}

/** EtherType used when a frame carries neither IPv4 nor ARP and none is given: IEEE local experimental 1. */
export const ETHERTYPE_EXPERIMENTAL = 0x88b5;
/** IP protocol used when an IPv4 packet carries neither TCP nor UDP and none is given (RFC 3692 experimentation). */
export const IPPROTO_EXPERIMENTAL = 253;

const FLAG_LETTERS: Record<string, number> = {
  F: TCP_FLAG.FIN,
  S: TCP_FLAG.SYN,
  R: TCP_FLAG.RST,
  P: TCP_FLAG.PSH,
  A: TCP_FLAG.ACK,
  '.': TCP_FLAG.ACK,
  U: TCP_FLAG.URG,
  E: TCP_FLAG.ECE,
  W: TCP_FLAG.CWR,
};

/** "SA" → SYN|ACK. Letters F S R P A (or .) U E(ECE) W(CWR); throws on any other character. */
export function parseTcpFlags(flags: string | number): number {
  if (typeof flags === 'number') return flags & 0xff;
  let v = 0;
  for (const c of flags) {
    const bit = FLAG_LETTERS[c.toUpperCase()];
    if (bit === undefined) throw new Error(`unknown TCP flag letter "${c}" in "${flags}" (use F S R P A U E W)`);
    v |= bit;
  }
  return v;
}

export class FrameBuilder {
  private ethSpec: EthSpec = {};
  private readonly vlans: VlanSpec[] = [];
  private ipSpec: Ipv4Spec | undefined;
  private ip6Spec: Ipv6Spec | undefined;
  private tcpSpec: TcpSpec | undefined;
  private udpSpec: UdpSpec | undefined;
  private arpSpec: ArpSpec | undefined;
  private payloadBytes: Uint8Array = new Uint8Array(0);
  private padTo = 0;

  /** Ethernet addresses and type. `type` is the EtherType of what follows the VLAN tags (automatic by default). */
  eth(spec: EthSpec = {}): this {
    this.ethSpec = { ...this.ethSpec, ...spec };
    return this;
  }

  /** Adds a tag; the first call is the outermost. TPID 0x8100 unless given (0x88a8 for 802.1ad). */
  vlan(tag: number | VlanSpec): this {
    this.vlans.push(typeof tag === 'number' ? { vid: tag } : tag);
    return this;
  }

  ipv4(spec: Ipv4Spec = {}): this {
    if (this.ip6Spec !== undefined) throw new Error('frame(): ipv4() cannot be combined with ipv6()');
    this.ipSpec = { ...this.ipSpec, ...spec };
    return this;
  }

  /** An IPv6 header (defaults fd00::1 > fd00::2, hop limit 64) and its extension headers. */
  ipv6(spec: Ipv6Spec = {}): this {
    if (this.ipSpec !== undefined || this.arpSpec !== undefined)
      throw new Error('frame(): ipv6() cannot be combined with ipv4() or arp()');
    this.ip6Spec = { ...this.ip6Spec, ...spec };
    return this;
  }

  /** A TCP header (adds a default IPv4 header if no IP header was given). */
  tcp(spec: TcpSpec = {}): this {
    if (this.udpSpec !== undefined || this.arpSpec !== undefined)
      throw new Error('frame(): tcp() cannot follow udp() or arp()');
    this.tcpSpec = { ...this.tcpSpec, ...spec };
    if (this.ip6Spec === undefined) this.ipSpec ??= {};
    return this;
  }

  /** A UDP header (adds a default IPv4 header if no IP header was given). */
  udp(spec: UdpSpec = {}): this {
    if (this.tcpSpec !== undefined || this.arpSpec !== undefined)
      throw new Error('frame(): udp() cannot follow tcp() or arp()');
    this.udpSpec = { ...this.udpSpec, ...spec };
    if (this.ip6Spec === undefined) this.ipSpec ??= {};
    return this;
  }

  /** An Ethernet/IPv4 ARP packet instead of IPv4; defaults: request, sender = eth src / 10.0.0.1, target 00:00:00:00:00:00 / 10.0.0.2 (set eth dst ff:ff:ff:ff:ff:ff for a broadcast). */
  arp(spec: ArpSpec = {}): this {
    if (this.ipSpec !== undefined || this.ip6Spec !== undefined)
      throw new Error('frame(): arp() cannot be combined with ipv4()/ipv6()/tcp()/udp()');
    this.arpSpec = { ...this.arpSpec, ...spec };
    return this;
  }

  /** Payload bytes; a number n gives n bytes of the pattern (i & 0xff). */
  payload(p: number | Uint8Array): this {
    this.payloadBytes = typeof p === 'number' ? Uint8Array.from({ length: p }, (_, i) => i & 0xff) : p.slice();
    return this;
  }

  /** Pads the frame with zero bytes after the packet up to `frameLength` bytes (no effect on a longer frame). */
  pad(frameLength: number): this {
    this.padTo = frameLength;
    return this;
  }

  build(): Uint8Array {
    const ip = this.ipSpec,
      ip6 = this.ip6Spec;
    const ipOpts = ip?.options ?? new Uint8Array(0);
    const extLen = (ip6?.ext ?? []).reduce((n, e) => n + extLength(e), 0);
    const ipHlen =
      ip !== undefined ? IPV4.HLEN + ((ipOpts.length + 3) & ~3) : ip6 !== undefined ? IPV6.HLEN + extLen : 0;
    const tcpOptBytes = this.tcpOptionBytes();
    const l4Hlen =
      this.tcpSpec !== undefined
        ? TCP.HLEN + tcpOptBytes.length
        : this.udpSpec !== undefined
          ? UDP.HLEN
          : this.arpSpec !== undefined
            ? ARP.HLEN
            : 0;
    const l3Off = ETH.HLEN + VLAN.HLEN * this.vlans.length;
    const l4Off = l3Off + ipHlen;
    const payOff = l4Off + l4Hlen;
    const packetEnd = payOff + this.payloadBytes.length;
    const out = new Uint8Array(Math.max(packetEnd, this.padTo));
    const dv = new DataView(out.buffer);

    // Ethernet and tags
    writeMac(out, ETH.DST, this.ethSpec.dst ?? '02:00:00:00:00:02');
    writeMac(out, ETH.SRC, this.ethSpec.src ?? '02:00:00:00:00:01');
    const l3Type =
      this.ethSpec.type ??
      (ip !== undefined
        ? ETHERTYPE.IPV4
        : ip6 !== undefined
          ? ETHERTYPE.IPV6
          : this.arpSpec !== undefined
            ? ETHERTYPE.ARP
            : ETHERTYPE_EXPERIMENTAL);
    let typeOff: number = ETH.TYPE;
    for (const tag of this.vlans) {
      dv.setUint16(typeOff, tag.tpid ?? ETHERTYPE.VLAN);
      dv.setUint16(typeOff + VLAN.TCI, ((tag.pcp ?? 0) << 13) | (tag.dei === true ? 0x1000 : 0) | (tag.vid & 0x0fff));
      typeOff += VLAN.HLEN;
    }
    dv.setUint16(typeOff, l3Type);

    out.set(this.payloadBytes, payOff);

    if (this.arpSpec !== undefined) {
      const a = this.arpSpec;
      dv.setUint16(l3Off + ARP.HTYPE, 1);
      dv.setUint16(l3Off + ARP.PTYPE, ETHERTYPE.IPV4);
      out[l3Off + ARP.HLEN_FIELD] = 6;
      out[l3Off + ARP.PLEN_FIELD] = 4;
      dv.setUint16(l3Off + ARP.OPER, a.op ?? ARPOP.REQUEST);
      writeMac(out, l3Off + ARP.SHA, a.senderMac ?? this.ethSpec.src ?? '02:00:00:00:00:01');
      writeIpv4(out, l3Off + ARP.SPA, a.senderIp ?? '10.0.0.1');
      writeMac(out, l3Off + ARP.THA, a.targetMac ?? '00:00:00:00:00:00');
      writeIpv4(out, l3Off + ARP.TPA, a.targetIp ?? '10.0.0.2');
    }

    if (ip !== undefined) {
      const o = l3Off;
      out[o + IPV4.VER_IHL] = ((ip.version ?? 4) << 4) | ((ip.ihl ?? ipHlen / 4) & 0x0f);
      out[o + IPV4.TOS] = ip.tos ?? 0;
      dv.setUint16(o + IPV4.TOT_LEN, ip.totalLength ?? packetEnd - l3Off);
      dv.setUint16(o + IPV4.ID, ip.id ?? 0);
      dv.setUint16(
        o + IPV4.FRAG,
        ((ip.df ?? true) ? IPV4_FRAG.DF : 0) |
          (ip.mf === true ? IPV4_FRAG.MF : 0) |
          ((ip.fragOffset ?? 0) & IPV4_FRAG.OFFSET_MASK),
      );
      out[o + IPV4.TTL] = ip.ttl ?? 64;
      const proto =
        ip.protocol ??
        (this.tcpSpec !== undefined ? IPPROTO.TCP : this.udpSpec !== undefined ? IPPROTO.UDP : IPPROTO_EXPERIMENTAL);
      out[o + IPV4.PROTO] = proto;
      writeIpv4(out, o + IPV4.SRC, ip.src ?? '10.0.0.1');
      writeIpv4(out, o + IPV4.DST, ip.dst ?? '10.0.0.2');
      out.set(ipOpts, o + IPV4.HLEN);
      const l4Len = packetEnd - l4Off;

      const pseudo = (pr: number): number => pseudoHeaderSum(out, o + IPV4.SRC, o + IPV4.DST, pr, l4Len);
      if (this.tcpSpec !== undefined) this.writeTcp(out, dv, l4Off, l4Hlen, tcpOptBytes, l4Len, pseudo(IPPROTO.TCP));
      else if (this.udpSpec !== undefined) this.writeUdp(out, dv, l4Off, l4Len, pseudo(IPPROTO.UDP));
      dv.setUint16(o + IPV4.CSUM, ip.checksum ?? finish(sumBytes(out, o, ipHlen)));
    }

    if (ip6 !== undefined) {
      const o = l3Off;
      const proto =
        this.tcpSpec !== undefined ? IPPROTO.TCP : this.udpSpec !== undefined ? IPPROTO.UDP : IPPROTO_EXPERIMENTAL;
      const ext = ip6.ext ?? [];
      const word =
        (((ip6.version ?? 6) & 0xf) << 28) |
        (((ip6.trafficClass ?? 0) & 0xff) << 20) |
        ((ip6.flowLabel ?? 0) & 0xfffff);
      dv.setUint32(o, word >>> 0);
      dv.setUint16(o + IPV6.PAYLOAD_LEN, ip6.payloadLength ?? packetEnd - l3Off - IPV6.HLEN);
      out[o + IPV6.NEXT_HDR] = ip6.nextHeader ?? (ext[0] !== undefined ? EXT_TYPE[ext[0].kind] : proto);
      out[o + IPV6.HOP_LIMIT] = ip6.hopLimit ?? 64;
      writeIpv6(out, o + IPV6.SRC, ip6.src ?? 'fd00::1');
      writeIpv6(out, o + IPV6.DST, ip6.dst ?? 'fd00::2');
      let p = o + IPV6.HLEN;
      ext.forEach((e, i) => {
        const n = extLength(e);
        const following = ext[i + 1];
        out[p] = e.next ?? (following !== undefined ? EXT_TYPE[following.kind] : proto);
        if (e.kind === 'fragment') {
          dv.setUint16(p + 2, ((e.offset ?? 0) & 0xfff8) | (e.more === true ? 1 : 0));
          dv.setUint32(p + 4, (e.id ?? 0) >>> 0);
        } else {
          out[p + 1] = e.kind === 'ah' ? n / 4 - 2 : n / 8 - 1;
          if (e.options !== undefined) {
            if (e.options.length !== n - 2)
              throw new Error(`frame(): ${e.kind} options are ${e.options.length} bytes, the header holds ${n - 2}`);
            out.set(e.options, p + 2);
          } else if (e.kind !== 'ah' && n > 2) {
            out[p + 2] = 1;
            out[p + 3] = n - 4;
          } // one PadN option fills the header
        }
        p += n;
      });
      const l4Len = packetEnd - l4Off;
      const pseudo = (pr: number): number => ipv6PseudoHeaderSum(out, o + IPV6.SRC, o + IPV6.DST, pr, l4Len);
      if (this.tcpSpec !== undefined) this.writeTcp(out, dv, l4Off, l4Hlen, tcpOptBytes, l4Len, pseudo(IPPROTO.TCP));
      else if (this.udpSpec !== undefined) this.writeUdp(out, dv, l4Off, l4Len, pseudo(IPPROTO.UDP));
    }
    return out;
  }

  private writeTcp(
    out: Uint8Array,
    dv: DataView,
    l4Off: number,
    l4Hlen: number,
    tcpOptBytes: Uint8Array,
    l4Len: number,
    pseudo: number,
  ): void {
    const t = this.tcpSpec!;
    dv.setUint16(l4Off + TCP.SPORT, t.sport ?? 40000);
    dv.setUint16(l4Off + TCP.DPORT, t.dport ?? 5001);
    dv.setUint32(l4Off + TCP.SEQ, (t.seq ?? 0) >>> 0);
    dv.setUint32(l4Off + TCP.ACK, (t.ack ?? 0) >>> 0);
    out[l4Off + TCP.DOFF] = ((t.dataOffset ?? l4Hlen / 4) & 0x0f) << 4;
    out[l4Off + TCP.FLAGS] = parseTcpFlags(t.flags ?? 'A');
    dv.setUint16(l4Off + TCP.WINDOW, t.window ?? 65535);
    dv.setUint16(l4Off + TCP.URP, t.urgent ?? 0);
    out.set(tcpOptBytes, l4Off + TCP.HLEN);
    dv.setUint16(l4Off + TCP.CSUM, t.checksum ?? finish(sumBytes(out, l4Off, l4Len, pseudo)));
  }

  private writeUdp(out: Uint8Array, dv: DataView, l4Off: number, l4Len: number, pseudo: number): void {
    const u = this.udpSpec!;
    dv.setUint16(l4Off + UDP.SPORT, u.sport ?? 40000);
    dv.setUint16(l4Off + UDP.DPORT, u.dport ?? 5001);
    dv.setUint16(l4Off + UDP.LEN, u.length ?? l4Len);
    const sum = finish(sumBytes(out, l4Off, l4Len, pseudo));
    dv.setUint16(l4Off + UDP.CSUM, u.checksum ?? (sum === 0 ? 0xffff : sum)); // 0 means "no checksum" in UDP
  }

  private tcpOptionBytes(): Uint8Array {
    const t = this.tcpSpec;
    if (t === undefined) return new Uint8Array(0);
    let raw: Uint8Array;
    const ts: TcpOption[] =
      t.ts === undefined
        ? []
        : [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval: t.ts[0], tsecr: t.ts[1] }];
    if (t.options instanceof Uint8Array) {
      raw = new Uint8Array(t.options.length + tcpOptionsLength(ts));
      raw.set(t.options);
      emitTcpOptions(ts, raw, t.options.length);
    } else {
      const list = [...(t.options ?? []), ...ts];
      raw = new Uint8Array(tcpOptionsLength(list));
      emitTcpOptions(list, raw, 0);
    }
    const padded = new Uint8Array((raw.length + 3) & ~3); // padding is EOL (zero) bytes
    padded.set(raw);
    return padded;
  }
}

/** Starts a frame: `frame().eth().vlan(100).ipv4().tcp({ flags: 'PA' }).payload(1448).build()`. */
export function frame(): FrameBuilder {
  return new FrameBuilder();
}
