// Where drivers and LRO/GRO hand finished skbs: the four kernel entry points of a 2.6.24 receive path.
import type { SkBuff, SkbFrag } from './skb.ts';

/** One frame as page fragments (lro/frag-list.ts's LroFragList), the first starting at the MAC header. */
export interface FragFrame {
  readonly frags: readonly SkbFrag[];
  readonly count: number;
  readonly queue: number;
  readonly arrivalNs: number;
}

/** Told of every frame an aggregation engine accepts into a session (lab/driver-rules.ts: was it verified?). */
export interface EngineWatch {
  /** inet_lro skb mode: `skb` (data at the network header) joins or opens a session; its ip_summed is still the driver's. */
  lroAccept(skb: SkBuff): void;
  /** inet_lro frags mode: the `len`-byte frame in `frame` joins or opens a session (get_frag_header said it was verified). */
  lroAcceptFrags(frame: FragFrame, len: number): void;
}

export interface RxSink {
  /** NAPI context delivery (LRO_F_NAPI set). */
  netifReceiveSkb(skb: SkBuff): void;
  /** Non-NAPI delivery through the backlog queue (LRO_F_NAPI clear). */
  netifRx(skb: SkBuff): void;
  /** VLAN hw-accel delivery in NAPI context: the tag came from the NIC, not from the frame. */
  vlanHwaccelReceiveSkb(skb: SkBuff, vlanTag: number): void;
  /** VLAN hw-accel delivery outside NAPI. */
  vlanHwaccelRx(skb: SkBuff, vlanTag: number): void;
  /** A watcher of what engines accept (absent or null: nobody watches). */
  readonly engineWatch?: EngineWatch | null;
}
