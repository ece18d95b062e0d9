// The e1000 NAPI poll (e1000_clean + e1000_clean_rx_irq): clean complete frames from next_to_clean, verify
// checksums in software when asked, hand each frame to LRO, GRO or the stack, flush LRO, refill, and
// re-enable the interrupt only when the ring is drained (a poll that used its whole budget stays scheduled).
import { CSUM_BAD, CSUM_GOOD } from '../rx-queue.ts';
import type { E1000Queue } from './driver.ts';

export function poll(q: E1000Queue, budget: number): number {
  q.ring.noteArrivals();                                     // descriptors filled while the IRQ was masked
  q.sampleOccupancy(q.ring.waiting);
  let done = 0;
  for (let n = q.nextCompletion(); n > 0 && done < budget; n = q.nextCompletion()) {
    done++;                                                  // one frame = one unit of budget, however many buffers
    const skb = q.buildSkb(n);                               // buffers → skb (linear + page frags); null = counted drop
    if (skb === null) continue;
    const csum = q.rxChecksum(skb);                          // softwareChecksum only: csum_byte per byte
    if (q.lro !== null && csum === CSUM_GOOD) q.lroReceiveSkb(skb, q.frameVlan, null);   // verified TCP frames only
    else if (q.gro !== null && csum !== CSUM_BAD) q.napiGroReceive(skb, q.frameVlan);    // GRO checks CHECKSUM_NONE itself
    else q.receiveSkb(skb, q.frameVlan);                     // off, not verifiable, or failed: alone
  }
  q.lro?.flushAll();                                         // lro_flush_all: every aggregate leaves before the poll ends
  q.allocRxBuffers();                                        // new buffers in every slot we emptied, one RDT write
  q.napiCompleteDone(done, budget);                          // drained: napi_complete_done, IMS re-enables the interrupt
  return done;
}
