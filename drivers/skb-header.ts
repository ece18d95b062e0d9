// A get_skb_header callback shared by drivers whose NIC hands over plain frames.
import { IPV4, IPPROTO, TCP, VLAN } from '../wire/constants.ts';
import { r16 } from '../wire/bytes.ts';
import { ETH_P_8021Q, ETH_P_IP, type SkBuff } from '../stack/skb.ts';
import { LRO_IPV4, LRO_TCP, type LroHeader } from '../lro/index.ts';

/**
 * get_skb_header for NICs that parse nothing for the driver: finds the IPv4/TCP headers in the skb's
 * linear part (skb.data at the network header, or at an in-band 802.1Q tag) and refuses what is not
 * IPv4/TCP or does not fit. Used by the e1000 and mq drivers.
 */
export function linearTcpSkbHeader(skb: SkBuff, out: LroHeader): boolean {
  const b = skb.buf;
  let iph = skb.data;
  if (skb.protocol === ETH_P_8021Q) {
    if (skb.headLen < VLAN.HLEN + IPV4.HLEN || r16(b, iph + VLAN.TYPE - VLAN.TCI) !== ETH_P_IP) return false;
    iph += VLAN.HLEN;
  } else if (skb.protocol !== ETH_P_IP) return false;
  if (skb.tail - iph < IPV4.HLEN || b[iph]! >> 4 !== 4 || b[iph + IPV4.PROTO] !== IPPROTO.TCP) return false;
  const tcph = iph + (b[iph]! & 0x0f) * 4;
  if (skb.tail < tcph + TCP.HLEN) return false;
  const doff = (b[tcph + TCP.DOFF]! >> 4) * 4;
  const totLen = r16(b, iph + IPV4.TOT_LEN);
  if (skb.tail < tcph + doff || totLen < tcph - iph + doff) return false;
  out.buf = b; out.iphOff = iph; out.tcphOff = tcph; out.flags = LRO_IPV4 | LRO_TCP;
  return true;
}
