// The myri10ge NAPI poll (myri10ge_poll + myri10ge_clean_rx_done, spec §3.2) on one screen: read rx_done
// slots, turn each frame's page chunks into a fragment list, hand it to lro_receive_frags (or build an
// skb for GRO / the stack), flush LRO before refilling the rings, re-arm the interrupt when drained.
import type { MyriSlice } from './driver.ts';

export function poll(ss: MyriSlice, budget: number): number {
  const lro = ss.lro !== null && ss.csumOn ? ss.lro : null;       // LRO needs the NIC's partial sum to verify with
  ss.sampleOccupancy(ss.rxDone.waiting);
  let done = 0;
  while (done < budget && ss.nextCompletion()) {                   // LENGTH != 0: frags = chunks, pad stripped
    done++;
    if (ss.dropRunt()) continue;                                    // cannot hold an Ethernet header: chunks back
    ss.countRx();
    if (lro !== null) { ss.lroReceiveFrags(); continue; }           // lro_receive_frags(frags, len, len, csum, csum)
    const skb = ss.buildSkb();                                      // 64-byte header copy + page frags, CHECKSUM_COMPLETE
    if (ss.gro !== null) ss.napiGroReceive(skb, -1);                // napi_gro_receive (later myri10ge); tags stay in-band
    else ss.receiveSkb(skb, -1);                                    // netif_receive_skb
  }
  lro?.flushAll();                                                  // lro_flush_all, before refilling
  ss.allocRxBuffers();                                              // carve pages into chunks, post, doorbell
  ss.napiCompleteDone(done, budget);                                // drained: napi_complete_done, re-arm the IRQ
  return done;
}
