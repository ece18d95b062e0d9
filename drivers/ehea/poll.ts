// The eHEA NAPI poll (ehea_poll + ehea_proc_rwqes, spec §3.1) on one screen: read completions of all
// three receive queues from the CQ, build an skb each, hand it to inet_lro (or GRO, or the stack),
// flush LRO at the end of the batch, refill RQ1/RQ2/RQ3, and re-arm the interrupt when the CQ is drained.
import type { NapiStruct } from '../../stack/napi.ts';
import type { EheaRxQueue } from './driver.ts';

export function eheaPoll(pr: EheaRxQueue, napi: NapiStruct, budget: number): number {
  const cqe = pr.cqe, lro = pr.lro;
  pr.stack.occupancy.record(pr.q, pr.stack.cpu.now, pr.pending);
  let done = 0;
  while (done < budget && pr.nextCompletion()) {                  // CQE valid bit == our phase: consume it
    done++;
    if (!cqe.acceptable) { pr.dropError(); continue; }            // error CQEs never reach LRO; buffer recycled
    const skb = pr.buildSkb();                                     // RQ1: copy from the CQE; RQ2/3: the posted buffer
    if (lro !== null) {
      if (cqe.vlanExtracted) lro.vlanHwaccelReceiveSkb(skb, cqe.vlanTag, cqe);   // lro_vlan_hwaccel_receive_skb
      else lro.receiveSkb(skb, cqe);                                               // lro_receive_skb
    } else if (pr.gro !== null) pr.toGro(skb);                     // napi_gro_receive (modern eHEA)
    else pr.deliver(skb);                                          // vlan_hwaccel_receive_skb / netif_receive_skb
  }
  if (lro !== null) lro.flushAll();                                // lro_flush_all: nothing stays held past the batch
  pr.endBatch();                                                   // CQ doorbell, refill RQ1/RQ2/RQ3
  if (done < budget) {                                             // drained: leave the poll list, re-arm the IRQ
    if (pr.stack.napiComplete(napi, done))                         // GRO flushes here (napi.attachGro); false:
      pr.nic.unmaskIrq(pr.q);                                      // napi_defer_hard_irqs keeps the IRQ masked
  }
  return done;
}
