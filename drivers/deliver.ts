// How a driver hands a finished skb on, given the VLAN tag the NIC extracted (-1: none): to the kernel when no
// engine takes it (the four 2.6.24 entry points, also chosen by whether the driver is NAPI), or to an engine.
import type { RxSink } from '../stack/rx-sink.ts';
import type { SkBuff } from '../stack/skb.ts';
import type { GroEngine, LroManager } from '../lro/index.ts';

/** lro_vlan_hwaccel_receive_skb with an extracted tag, else lro_receive_skb. */
export function lroReceive<P>(lro: LroManager<P>, skb: SkBuff, vlanTag: number, priv: P): void {
  if (vlanTag >= 0) lro.vlanHwaccelReceiveSkb(skb, vlanTag, priv);
  else lro.receiveSkb(skb, priv);
}

/** napi_gro_receive; an extracted tag goes on the skb first (__vlan_hwaccel_put_tag). */
export function groReceive(gro: GroEngine, skb: SkBuff, vlanTag: number): void {
  if (vlanTag >= 0) { skb.vlanPresent = true; skb.vlanTci = vlanTag; }
  gro.groReceive(skb);
}

export function deliverToStack(sink: RxSink, skb: SkBuff, vlanTag: number, napi: boolean): void {
  if (vlanTag >= 0) {
    if (napi) sink.vlanHwaccelReceiveSkb(skb, vlanTag); else sink.vlanHwaccelRx(skb, vlanTag);
  } else if (napi) sink.netifReceiveSkb(skb);
  else sink.netifRx(skb);
}
