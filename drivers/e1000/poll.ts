// The e1000 NAPI poll: clean complete frames from next_to_clean, verify checksums in software when
// asked, hand each frame to LRO, GRO or the stack, flush LRO, refill, and re-enable the interrupt
// only when the ring is drained (a poll that used its whole budget stays scheduled, interrupt masked).
import type { E1000Queue } from './driver.ts';
import { CSUM_BAD, CSUM_GOOD } from './sw-checksum.ts';

export function poll(q: E1000Queue, budget: number): number {
  q.noteArrivals();                                          // descriptors filled while the IRQ was masked
  q.sampleOccupancy();
  let done = 0;
  for (let n = q.completedFrame(); n > 0 && done < budget; n = q.completedFrame()) {
    done++;                                                  // one frame = one unit of budget, however many buffers
    const skb = q.receive(n);                                // buffers → skb (linear + page frags); null = counted drop
    if (skb === null) continue;
    const csum = q.verifyChecksum(skb);                      // softwareChecksum only: csum_byte per byte
    if (q.lro !== null && csum === CSUM_GOOD) q.toLro(skb);  // LRO sees verified TCP frames only
    else if (q.gro !== null && csum !== CSUM_BAD) q.toGro(skb);   // GRO checks CHECKSUM_NONE frames itself
    else q.toStack(skb);                                     // off, not verifiable, or failed: alone
  }
  q.lro?.flushAll();                                         // every aggregate leaves before the poll ends
  q.refill();                                                // new buffers in every slot we emptied, one RDT write
  if (done < budget) {
    if (q.stack.napiComplete(q.napi!, done))                 // GRO flushes here (napi.attachGro); false: the
      q.nic.unmaskIrq(0);                                    // IRQ stays masked (napi_defer_hard_irqs). IMS: a cause latched meanwhile fires at once
  }
  return done;
}
