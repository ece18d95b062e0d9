// formatFrame: one tcpdump-style line per frame (addresses, tags, then the L3/L4 summary tcpdump
// prints with -e -S -n). A malformed frame is described, never thrown.

import { ETHERTYPE, IPPROTO, TCP_FLAG, ARPOP, ETH } from './constants.ts';
import { WireError } from './error.ts';
import { formatMac } from './address.ts';
import { parseL2 } from './ethernet.ts';
import { parseIpv4Header } from './ipv4.ts';
import { parseIpv6Header } from './ipv6.ts';
import { parseTcpHeader } from './tcp.ts';
import type { TcpOption } from './tcp-options.ts';
import { parseUdpHeader } from './udp.ts';
import { parseArp } from './arp.ts';

// tcpdump's order and letters; ACK is "."
const FLAG_CHARS: [number, string][] = [
  [TCP_FLAG.FIN, 'F'],
  [TCP_FLAG.SYN, 'S'],
  [TCP_FLAG.RST, 'R'],
  [TCP_FLAG.PSH, 'P'],
  [TCP_FLAG.ACK, '.'],
  [TCP_FLAG.URG, 'U'],
  [TCP_FLAG.ECE, 'E'],
  [TCP_FLAG.CWR, 'W'],
];

/** TCP flags as tcpdump prints them inside `Flags [...]`: "S.", "P.", "none" for no flag. */
export function formatTcpFlags(flags: number): string {
  let s = '';
  for (const [bit, c] of FLAG_CHARS) if (flags & bit) s += c;
  return s === '' ? 'none' : s;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** One option as tcpdump prints it. */
export function formatTcpOption(o: TcpOption): string {
  switch (o.kind) {
    case 'eol':
      return 'eol';
    case 'nop':
      return 'nop';
    case 'mss':
      return `mss ${o.value}`;
    case 'wscale':
      return `wscale ${o.shift}`;
    case 'sackPermitted':
      return 'sackOK';
    case 'sack':
      return `sack ${o.blocks.length} ${o.blocks.map(([l, r]) => `{${l}:${r}}`).join('')}`;
    case 'timestamp':
      return `TS val ${o.tsval} ecr ${o.tsecr}`;
    case 'unknown':
      return o.data.length === 0 ? `unknown-${o.type}` : `unknown-${o.type} 0x${hex(o.data)}`;
  }
}

function malformed(e: WireError): string {
  return `[malformed: ${e.message}]`;
}

/** One line describing a frame of `len` bytes (as decodeFrame: frame.length by default; larger for a snapped capture), e.g.
 * `02:00:00:00:00:01 > 02:00:00:00:00:02, vlan 100, 10.0.0.1.40000 > 10.0.0.2.5001: Flags [P.], seq 1000:2448, ack 1, win 65535, options [nop,nop,TS val 1 ecr 2], length 1448` */
export function formatFrame(frame: Uint8Array, frameLen = frame.length): string {
  const len = Math.max(0, frameLen); // may exceed frame.length for a capture cut at a snap length
  const l2 = parseL2(frame, 0, len);
  if (l2 instanceof WireError) {
    if (Math.min(len, frame.length) < ETH.SRC + 6) return malformed(l2);
    return `${formatMac(frame, ETH.SRC)} > ${formatMac(frame, ETH.DST)}, ${malformed(l2)}`;
  }
  const parts = [`${l2.eth.src} > ${l2.eth.dst}`];
  for (const t of l2.vlans) {
    parts.push(
      `vlan ${t.vid}${t.pcp !== 0 ? ` p ${t.pcp}` : ''}${t.dei ? ' DEI' : ''}${t.tpid === ETHERTYPE.QINQ ? ' (802.1ad)' : ''}`,
    );
  }
  const l3 = 14 + 4 * l2.vlans.length;
  parts.push(describeL3(frame, l3, len, l2.innerType));
  return parts.join(', ');
}

function describeL3(frame: Uint8Array, l3: number, len: number, type: number): string {
  if (type === ETHERTYPE.ARP) {
    const a = parseArp(frame, l3, len - l3);
    if (a instanceof WireError) return `ARP, ${malformed(a)}`;
    if (a.op === ARPOP.REQUEST) return `ARP, Request who-has ${a.targetIp} tell ${a.senderIp}, length 28`;
    if (a.op === ARPOP.REPLY) return `ARP, Reply ${a.senderIp} is-at ${a.senderMac}, length 28`;
    return `ARP, op ${a.op}, length 28`;
  }
  if (type === ETHERTYPE.IPV6) return describeIpv6(frame, l3, len);
  if (type !== ETHERTYPE.IPV4) return `ethertype 0x${type.toString(16).padStart(4, '0')}, length ${len - l3}`;
  const ip = parseIpv4Header(frame, l3, len - l3);
  if (ip instanceof WireError) return malformed(ip);
  const l4 = l3 + ip.ihl * 4;
  const l4Len = ip.totalLength - ip.ihl * 4;
  if (ip.fragOffset !== 0) {
    return `${ip.src} > ${ip.dst}: frag (id ${ip.id}, offset ${ip.fragOffset * 8}${ip.mf ? ', more' : ''}, proto ${ip.protocol}), length ${l4Len}`;
  }
  if (ip.protocol === IPPROTO.ICMP) return `${ip.src} > ${ip.dst}: ICMP, length ${l4Len}`;
  return describeL4(frame, l4, l4Len, ip.protocol, ip.src, ip.dst);
}

/** IPv6 as tcpdump -n prints it: the upper layer behind the extension headers, or the fragment; ICMPv6 as ICMP6. */
function describeIpv6(frame: Uint8Array, l3: number, len: number): string {
  const ip = parseIpv6Header(frame, l3, len - l3);
  if (ip instanceof WireError) return malformed(ip);
  const l4 = l3 + ip.upperOffset;
  const l4Len = 40 + ip.payloadLength - ip.upperOffset;
  const f = ip.fragment;
  if (f !== null && f.offset !== 0) {
    return `${ip.src} > ${ip.dst}: frag (offset ${f.offset}${f.more ? ', more' : ''}, id ${f.id}, proto ${ip.upperProtocol}), length ${l4Len}`;
  }
  if (ip.upperProtocol === IPPROTO.ICMPV6) return `${ip.src} > ${ip.dst}: ICMP6, length ${l4Len}`;
  if (ip.upperProtocol === IPPROTO.NONE) return `${ip.src} > ${ip.dst}: no next header, length ${l4Len}`;
  return describeL4(frame, l4, l4Len, ip.upperProtocol, ip.src, ip.dst);
}

/** TCP, UDP or another protocol over IPv4 or IPv6 (addresses as text). */
function describeL4(frame: Uint8Array, l4: number, l4Len: number, protocol: number, src: string, dst: string): string {
  const ip = { src, dst, protocol };
  if (ip.protocol === IPPROTO.TCP) {
    const t = parseTcpHeader(frame, l4, l4Len);
    if (t instanceof WireError) return `${ip.src} > ${ip.dst}: ${malformed(t)}`;
    const dataLen = l4Len - t.dataOffset * 4;
    let s = `${ip.src}.${t.sport} > ${ip.dst}.${t.dport}: Flags [${formatTcpFlags(t.flags)}]`;
    if (dataLen > 0) s += `, seq ${t.seq}:${(t.seq + dataLen) >>> 0}`;
    else if (t.flags & (TCP_FLAG.SYN | TCP_FLAG.FIN | TCP_FLAG.RST)) s += `, seq ${t.seq}`;
    if (t.flags & TCP_FLAG.ACK) s += `, ack ${t.ack}`;
    s += `, win ${t.window}`;
    if (t.flags & TCP_FLAG.URG) s += `, urg ${t.urgent}`;
    if (t.options.length > 0) s += `, options [${t.options.map(formatTcpOption).join(',')}]`;
    return `${s}, length ${dataLen}`;
  }
  if (ip.protocol === IPPROTO.UDP) {
    const u = parseUdpHeader(frame, l4, l4Len);
    if (u instanceof WireError) return `${ip.src} > ${ip.dst}: ${malformed(u)}`;
    return `${ip.src}.${u.sport} > ${ip.dst}.${u.dport}: UDP, length ${u.length - 8}`;
  }
  return `${ip.src} > ${ip.dst}: ip-proto-${ip.protocol} ${l4Len}`;
}
