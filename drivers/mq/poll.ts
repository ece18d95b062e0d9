// The mq NAPI poll, one per queue (igb_poll + igb_clean_rx_irq): clean complete frames from next_to_clean,
// map the descriptor's checksum bits, hand each frame to LRO, GRO or the stack, flush LRO, refill, and
// re-enable this queue's interrupt only when its ring is drained.
import { CSUM_GOOD } from '../rx-queue.ts';
import type { MqQueue } from './driver.ts';

export function poll(q: MqQueue, budget: number): number {
  q.ring.noteArrivals();                                     // descriptors written while the IRQ was masked
  q.sampleOccupancy(q.ring.waiting);
  let done = 0;
  for (let n = q.nextCompletion(); n > 0 && done < budget; n = q.nextCompletion()) {
    done++;                                                  // one frame = one unit of budget
    const skb = q.buildSkb(n);                               // header buffer (SPH) or first buffer linear, the rest frags
    if (skb === null) continue;                              // counted drop
    if (q.rxChecksum(skb) === CSUM_GOOD && q.lro !== null) q.lroReceiveSkb(skb, q.frameVlan, null);   // L4CS+IPCS, no errors
    else if (q.gro !== null) q.napiGroReceive(skb, q.frameVlan);   // GRO re-checks CHECKSUM_NONE frames itself
    else q.receiveSkb(skb, q.frameVlan);                     // off, unverified or bad checksum: alone
  }
  q.lro?.flushAll();                                         // lro_flush_all: every aggregate leaves before the poll ends
  q.allocRxBuffers();
  q.napiCompleteDone(done, budget);                          // drained: napi_complete_done, re-enable this queue's IRQ
  return done;
}
