// The eHEA NAPI poll (ehea_poll + ehea_proc_rwqes, spec §3.1) on one screen: read completions of all
// three receive queues from the CQ, build an skb each, hand it to inet_lro (or GRO, or the stack),
// flush LRO at the end of the batch, refill RQ1/RQ2/RQ3, and re-arm the interrupt when the CQ is drained.
import type { EheaRxQueue } from './driver.ts';

export function poll(pr: EheaRxQueue, budget: number): number {
  const cqe = pr.cqe;
  pr.sampleOccupancy(pr.cq.waiting);
  let done = 0;
  while (done < budget && pr.nextCompletion()) {                  // CQE valid bit == our phase: consume it
    done++;
    if (!cqe.acceptable) { pr.dropError(); continue; }            // error CQEs never reach LRO; buffer recycled
    const skb = pr.buildSkb();                                     // RQ1: copy from the CQE; RQ2/3: the posted buffer
    if (pr.lro !== null) pr.lroReceiveSkb(skb, pr.vlanTag, cqe);  // lro_(vlan_hwaccel_)receive_skb, priv = the CQE
    else if (pr.gro !== null) pr.napiGroReceive(skb, pr.vlanTag);  // napi_gro_receive (modern eHEA)
    else pr.receiveSkb(skb, pr.vlanTag);                           // vlan_hwaccel_receive_skb / netif_receive_skb
  }
  pr.lro?.flushAll();                                              // lro_flush_all: nothing stays held past the batch
  pr.cq.doorbell();                                                // how far we read: the device may reuse those CQEs
  pr.allocRxBuffers();                                             // ehea_refill_rq1/2/3
  pr.napiCompleteDone(done, budget);                               // drained: napi_complete_done, re-arm the IRQ
  return done;
}
