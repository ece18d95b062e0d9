// A get_skb_header callback shared by drivers whose NIC hands over plain frames (e1000, mq): the frame is read
// through wire/layout.ts, the one place bytes become header fields.
import { ETHERTYPE } from '../wire/constants.ts';
import { FrameLayout, layoutFrame } from '../wire/layout.ts';
import type { SkBuff } from '../stack/skb.ts';
import { LRO_IPV4, LRO_TCP, type LroHeader } from '../lro/index.ts';

const layout = new FrameLayout();

/**
 * get_skb_header for NICs that parse nothing for the driver: lays the frame out from its MAC header (after
 * eth_type_trans skb.data is at the network header, or at an in-band 802.1Q tag) and takes an unfragmented
 * IPv4/TCP packet, untagged or under one 802.1Q tag, whose headers lie in the skb's linear part; anything
 * else goes up unaggregated.
 */
export function linearTcpSkbHeader(skb: SkBuff, out: LroHeader): boolean {
  const b = skb.buf, mac = skb.macHeader;
  if (mac < 0) return false;
  const L = layoutFrame(b, mac, skb.data - mac + skb.len, layout);
  if (!L.isIpv4 || !L.isTcp || L.vlanCount > 1 || (L.vlanCount === 1 && L.outerTpid !== ETHERTYPE.VLAN)) return false;
  if (mac + L.l4 + L.l4HdrLen > skb.tail) return false;                 // headers must be in the linear part
  out.buf = b; out.iphOff = mac + L.l3; out.tcphOff = mac + L.l4; out.flags = LRO_IPV4 | LRO_TCP;
  return true;
}
