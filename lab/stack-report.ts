// The stack's share of a run report: what reached it, what it dropped and why, ACKs, flows and
// their verification, CPU, latency and ring occupancy (the sampler drivers record into).
import type { RunReportBuilder } from './run-report.ts';
import type { FlowExpectation } from '../wire/flow.ts';
import type { Stack, VerifyResult } from '../stack/stack.ts';
import { ethtoolStats } from '../stack/netdev.ts';

/**
 * Adds the stack's figures to `b` and returns the verification result. The pipeline adds the rest:
 * `framesIn`, NIC/driver/LRO drops, `addLro`/`addGro`, `peakDmaBytes`, `duration`.
 * `budgetHz` is the CPU budget for `cpu.sustainableGbps` (default: one core of the cost profile).
 * `receiver` is the stack whose sockets get the streams (a forwarding host's far side; default `stack`).
 */
export function fillStackReport(
  b: RunReportBuilder,
  stack: Stack,
  expectations: readonly FlowExpectation[],
  budgetHz?: number,
  receiver: Stack = stack,
): VerifyResult {
  const st = stack.stats;
  const v = receiver.verify(expectations);
  b.framesToStack(st.skbsIn, st.wireFramesIn)
    .addDrops(st.drops)
    .acksSent(st.acksSent)
    .flows(v.flows, v.missingFlows, v.unexpectedFlows)
    .bytesDelivered(receiver.stats.bytesDelivered)
    .cpu(stack.cpu, budgetHz)
    .latency(stack.latency)
    .ringOccupancy(stack.occupancy)
    .counters('stack', {
      skbsIn: st.skbsIn,
      wireFramesIn: st.wireFramesIn,
      ipIn: st.ipIn,
      ipv6In: st.ipv6In,
      tcpIn: st.tcpIn,
      tcpInOrder: st.tcpInOrder,
      tcpOutOfOrder: st.tcpOutOfOrder,
      tcpPartialOverlap: st.tcpPartialOverlap,
      tcpDataDelivered: st.tcpDataDelivered,
      tcpPureAcks: st.tcpPureAcks,
      tcpSyn: st.tcpSyn,
      tcpFin: st.tcpFin,
      udpDelivered: st.udpDelivered,
      icmpDelivered: st.icmpDelivered,
      otherProto: st.otherProto,
      otherL3: st.otherL3,
      vlanHwaccel: st.vlanHwaccel,
      vlanUntagged: st.vlanUntagged,
      ipPaddingTrimmed: st.ipPaddingTrimmed,
      ipBigTcp: st.ipBigTcp,
      csumCompleteDowngraded: st.csumCompleteDowngraded,
      swCsumSkbs: st.swCsumSkbs,
      swCsumBytes: st.swCsumBytes,
      acksSent: st.acksSent,
      dupAcksSent: st.dupAcksSent,
      delayedAcksSent: st.delayedAcksSent,
      quickAcksSent: st.quickAcksSent,
      interrupts: st.interrupts,
      softirqRuns: st.softirqRuns,
      timeSqueeze: st.timeSqueeze,
      napiPolls: st.napiPolls,
      napiWork: st.napiWork,
      napiCompletions: st.napiCompletions,
      napiCompleteAtWeight: st.napiCompleteAtWeight,
      napiWorkOverWeight: st.napiWorkOverWeight,
      groTimerArmed: st.groTimerArmed,
      groTimerFired: st.groTimerFired,
      irqDeferred: st.irqDeferred,
      groHeldAcrossPoll: st.groHeldAcrossPoll,
      held: stack.held,
    });
  for (const d of stack.devices) b.counters(`ethtool:${d.name}`, ethtoolStats(d));
  return v;
}
