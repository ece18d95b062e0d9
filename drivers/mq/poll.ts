// The mq NAPI poll, one per queue: clean complete frames from next_to_clean, map the descriptor's
// checksum bits, hand each frame to LRO, GRO or the stack, flush LRO, refill, and re-enable this
// queue's interrupt only when its ring is drained.
import { CSUM_GOOD, type MqQueue } from './driver.ts';

export function poll(q: MqQueue, budget: number): number {
  q.noteArrivals();                                          // descriptors written while the IRQ was masked
  q.sampleOccupancy();
  let done = 0;
  for (let n = q.completedFrame(); n > 0 && done < budget; n = q.completedFrame()) {
    done++;                                                  // one frame = one unit of budget
    const skb = q.receive(n);                                // header buffer (SPH) or first buffer linear, the rest frags
    if (skb === null) continue;                              // counted drop
    if (q.lro !== null && q.frameCsum === CSUM_GOOD) q.toLro(skb);   // LRO only for L4CS+IPCS without errors
    else if (q.gro !== null) q.toGro(skb);                   // GRO re-checks CHECKSUM_NONE frames itself
    else q.toStack(skb);                                     // off, unverified or bad checksum: alone
  }
  q.lro?.flushAll();                                         // every aggregate leaves before the poll ends
  q.refill();
  if (done < budget) {
    if (q.stack.napiComplete(q.napi!, done))                 // GRO flushes here (napi.attachGro); false: the
      q.nic.unmaskIrq(q.q);                                  // IRQ stays masked (napi_defer_hard_irqs)
  }
  return done;
}
