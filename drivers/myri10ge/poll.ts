// The myri10ge NAPI poll (myri10ge_poll + myri10ge_clean_rx_done, spec §3.2) on one screen: read rx_done
// slots, turn each frame's page chunks into a fragment list, hand it to lro_receive_frags (or build an
// skb for GRO / the stack), flush LRO before restocking the rings, re-arm the interrupt when drained.
import type { NapiStruct } from '../../stack/napi.ts';
import type { MyriSlice } from './driver.ts';

export function myri10gePoll(ss: MyriSlice, napi: NapiStruct, budget: number): number {
  const lro = ss.lro !== null && ss.csumOn ? ss.lro : null;       // LRO needs the NIC's partial sum to verify with
  ss.stack.occupancy.record(ss.q, ss.stack.cpu.now, ss.pending);
  let done = 0;
  while (done < budget && ss.nextCompletion()) {                   // LENGTH != 0: frags = chunks, pad stripped
    done++;
    if (ss.dropRunt()) continue;                                    // cannot hold an Ethernet header: chunks back
    ss.countRx();
    if (lro !== null) { ss.lroReceive(); continue; }                // lro_receive_frags(frags, len, len, csum, csum)
    const skb = ss.buildSkb();                                      // 64-byte header copy + page frags, CHECKSUM_COMPLETE
    if (ss.gro !== null) ss.groReceive(skb);                        // napi_gro_receive (later myri10ge)
    else ss.deliver(skb);                                           // netif_receive_skb
  }
  if (lro !== null) lro.flushAll();                                 // lro_flush_all, before restocking
  ss.restock();                                                     // carve pages into chunks, post, doorbell
  if (done < budget) {                                              // drained: leave the poll list, re-arm the IRQ
    if (ss.stack.napiComplete(napi, done))                          // GRO flushes here (napi.attachGro); false:
      ss.nic.unmaskIrq(ss.q);                                       // napi_defer_hard_irqs keeps the IRQ masked
  }
  return done;
}
