// ICMP errors that quote a TCP packet (RFC 792: the IP header and the first 8 bytes of what it carried),
// as a sender reads them: "fragmentation needed and DF set" (type 3 code 4) with the next hop's MTU in
// the low half of the second word (RFC 1191), and ICMPv6 "packet too big" (type 2) with a 32-bit MTU
// (RFC 8201). Fields come out; nothing allocates.
import { r16, r32 } from './bytes.ts';
import { ICMP, IPPROTO, IPV4, IPV6, TCP } from './constants.ts';
import type { FrameLayout } from './layout.ts';

export const ICMP_DEST_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;
export const ICMPV6_PKT_TOOBIG = 2;

/** What a "too big" error says about the packet it quotes. */
export class QuotedTooBig {
  /** The next hop's MTU. */
  mtu = 0;
  /** The quoted packet's TCP ports and sequence number (the sender's own: sport is its port). */
  sport = 0;
  dport = 0;
  seq = 0;
  /** Where the quoted packet's source address starts in the frame, and its length (4 or 16). */
  srcOff = 0;
  addrLen = 0;
}

/**
 * A laid-out frame that is ICMP "fragmentation needed" or ICMPv6 "packet too big" quoting a TCP packet: fills `q` and
 * returns true; false for anything else (another ICMP message, a quote too short to hold the TCP ports and sequence).
 */
export function readTooBig(b: Uint8Array, L: FrameLayout, q: QuotedTooBig): boolean {
  const ic = L.l4;
  if (ic < 0 || L.fragment || L.ipEnd < ic + ICMP.HLEN) return false;
  let quoted: number, tcp: number;
  if (L.ipVersion === 4) {
    if (L.l4Proto !== IPPROTO.ICMP || b[ic + ICMP.TYPE] !== ICMP_DEST_UNREACH || b[ic + ICMP.CODE] !== ICMP_FRAG_NEEDED)
      return false;
    q.mtu = r16(b, ic + ICMP.SEQ);
    quoted = ic + ICMP.HLEN;
    if (L.ipEnd < quoted + IPV4.HLEN || b[quoted + IPV4.PROTO] !== IPPROTO.TCP) return false;
    tcp = quoted + ((b[quoted]! & 0x0f) << 2);
    q.srcOff = quoted + IPV4.SRC;
    q.addrLen = 4;
  } else if (L.ipVersion === 6) {
    if (L.l4Proto !== IPPROTO.ICMPV6 || b[ic + ICMP.TYPE] !== ICMPV6_PKT_TOOBIG) return false;
    q.mtu = r32(b, ic + ICMP.ID);
    quoted = ic + ICMP.HLEN;
    if (L.ipEnd < quoted + IPV6.HLEN || b[quoted + IPV6.NEXT_HDR] !== IPPROTO.TCP) return false;
    tcp = quoted + IPV6.HLEN;
    q.srcOff = quoted + IPV6.SRC;
    q.addrLen = 16;
  } else return false;
  if (L.ipEnd < tcp + TCP.SEQ + 4) return false;
  q.sport = r16(b, tcp + TCP.SPORT);
  q.dport = r16(b, tcp + TCP.DPORT);
  q.seq = r32(b, tcp + TCP.SEQ);
  return true;
}
