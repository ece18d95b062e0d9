// How a driver hands a finished skb to the kernel when no engine takes it: the four 2.6.24 entry
// points, chosen by whether the NIC reported a VLAN tag (-1: none) and whether the driver is NAPI.
import type { RxSink } from '../stack/rx-sink.ts';
import type { SkBuff } from '../stack/skb.ts';

export function deliverToStack(sink: RxSink, skb: SkBuff, vlanTag: number, napi: boolean): void {
  if (vlanTag >= 0) {
    if (napi) sink.vlanHwaccelReceiveSkb(skb, vlanTag); else sink.vlanHwaccelRx(skb, vlanTag);
  } else if (napi) sink.netifReceiveSkb(skb);
  else sink.netifRx(skb);
}
