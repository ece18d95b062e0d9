// Where drivers and LRO/GRO hand finished skbs: the four kernel entry points of a 2.6.24 receive path.
import type { SkBuff } from './skb.ts';

export interface RxSink {
  /** NAPI context delivery (LRO_F_NAPI set). */
  netifReceiveSkb(skb: SkBuff): void;
  /** Non-NAPI delivery through the backlog queue (LRO_F_NAPI clear). */
  netifRx(skb: SkBuff): void;
  /** VLAN hw-accel delivery in NAPI context: the tag came from the NIC, not from the frame. */
  vlanHwaccelReceiveSkb(skb: SkBuff, vlanTag: number): void;
  /** VLAN hw-accel delivery outside NAPI. */
  vlanHwaccelRx(skb: SkBuff, vlanTag: number): void;
}
