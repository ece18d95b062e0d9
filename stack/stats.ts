// The stack's counters: one named counter per drop reason (every skb the stack frees without
// delivering it lands in exactly one), plus the counters of what was delivered where.

/** Why the stack dropped an skb. Each is a counter in `StackStats.drops`. */
export const STACK_DROP_REASONS = [
  'backlog_drop', // netif_rx: backlog queue longer than netdev_max_backlog
  'vlan_hdr_short', // in-band 802.1Q tag but fewer than 4 bytes after the Ethernet header
  'ip_hdr_short', // fewer than 20 bytes, or fewer than ihl·4
  'ip_bad_version', // version nibble not the one the EtherType names (4 for IPv4, 6 for IPv6)
  'ip_bad_ihl', // ihl < 5
  'ip_bad_tot_len', // tot_len < ihl·4
  'ip_truncated', // skb shorter than tot_len
  'ip_csum_errors', // header checksum wrong (checked unless ip_summed is CHECKSUM_UNNECESSARY/PARTIAL)
  'ipv6_ext_hdr_bad', // an IPv6 extension header past the packet, hop-by-hop options not first, or more than 8 in a chain
  'ip_frag_dropped', // IPv4 MF or offset, an IPv6 fragment header with M or an offset: the lab does not reassemble (deliberate)
  'tcp_hdr_short', // fewer than 20 bytes of TCP header, or fewer than doff·4
  'tcp_bad_doff', // doff < 5
  'tcp_csum_errors', // TCP checksum wrong (per ip_summed)
  'tcp_rst', // RST segments are counted and discarded (no connection teardown in the lab)
  'tcp_duplicate', // every payload byte already received (retransmission / duplicate)
  'tcp_ofo_duplicate', // out-of-order segment whose bytes are already in the out-of-order queue
  'tcp_ofo_superseded', // queued out-of-order segment whose bytes were all delivered by later arrivals
  'tcp_ofo_overflow', // out-of-order queue full (maxOfoSkbs)
  'tcp_flow_table_full', // a segment of a new 4-tuple while the flow table holds maxFlows flows (memory stays bounded)
  'tcp_ofo_pruned', // out-of-order queues purged under memory pressure (tcp_prune_ofo_queue): the receive buffers ran out
] as const;
export type StackDropReason = (typeof STACK_DROP_REASONS)[number];

export class StackStats {
  /** Skbs handed to the stack (netif_receive_skb, netif_rx, the VLAN variants). */
  skbsIn = 0;
  /** Wire frames those skbs carried (sum of wireFrames). */
  wireFramesIn = 0;
  /** Per entry point. */
  netifReceiveSkb = 0;
  netifRx = 0;
  vlanHwaccel = 0;
  /** hw-accel skbs whose EtherType still read 0x8100 with the tag already out of the frame (LRO_F_EXTRACT_VLAN_ID NICs). */
  vlanExtractedInPlace = 0;
  /** In-band 802.1Q tags removed in software. */
  vlanUntagged = 0;
  /** Skbs that reached ip_rcv or ipv6_rcv, of them IPv6, and those that reached tcp_v4_rcv / tcp_v6_rcv. */
  ipIn = 0;
  ipv6In = 0;
  tcpIn = 0;
  /** Ethernet padding trimmed (pskb_trim_rcsum), and CHECKSUM_COMPLETE skbs downgraded to NONE by the trim (2.6.24 behaviour). */
  ipPaddingTrimmed = 0;
  csumCompleteDowngraded = 0;
  /** BIG TCP packets: GSO TCP packets past 64 KB whose IPv4 total length says 0, their length taken from the skb (iph_totlen). */
  ipBigTcp = 0;
  /** Software checksum work: skbs and bytes summed. */
  swCsumSkbs = 0;
  swCsumBytes = 0;
  /** Consumed without error: non-IP frames, non-TCP IP packets, pure ACKs, SYNs seen, FINs seen. */
  otherL3 = 0;
  udpDelivered = 0;
  icmpDelivered = 0;
  otherProto = 0;
  tcpPureAcks = 0;
  tcpSyn = 0;
  tcpFin = 0;
  /** Data skbs: delivered in order at once, queued out of order, partially overlapping old data. */
  tcpInOrder = 0;
  tcpOutOfOrder = 0;
  tcpPartialOverlap = 0;
  /** Skbs whose payload reached a socket (in order at once or later from the out-of-order queue). */
  tcpDataDelivered = 0;
  bytesDelivered = 0;
  acksSent = 0;
  /** Of acksSent: immediate ACKs for out-of-order / duplicate data. */
  dupAcksSent = 0;
  /** Of acksSent: sent by the delayed-ACK timer. */
  delayedAcksSent = 0;
  /** ACKs sent at once in quick-ack mode (a flow's start, after out-of-order data). */
  quickAcksSent = 0;
  /** NAPI and softirq. */
  softirqRuns = 0;
  /** net_rx_action ran out of budget or time and re-raised itself (softnet_stat time_squeeze). */
  timeSqueeze = 0;
  napiPolls = 0;
  napiWork = 0;
  napiCompletions = 0;
  /** Driver bugs the softirq noticed: napiComplete called but the poll returned its whole weight, or more than its weight. */
  napiCompleteAtWeight = 0;
  napiWorkOverWeight = 0;

  /** gro_flush_timeout / napi_defer_hard_irqs (NapiTimers): completions that armed the hrtimer, its expiries that re-polled, completions that left the interrupt masked, and packets GRO held across a completion. */
  groTimerArmed = 0;
  groTimerFired = 0;
  irqDeferred = 0;
  groHeldAcrossPoll = 0;
  interrupts = 0;
  readonly drops: Record<StackDropReason, number> = Object.fromEntries(STACK_DROP_REASONS.map((r) => [r, 0])) as Record<
    StackDropReason,
    number
  >;

  /** Skbs the stack finished with without a drop: socket deliveries, pure ACKs, and the null handlers. */
  get consumed(): number {
    return (
      this.tcpDataDelivered + this.tcpPureAcks + this.otherL3 + this.udpDelivered + this.icmpDelivered + this.otherProto
    );
  }

  get dropped(): number {
    let n = 0;
    for (const r of STACK_DROP_REASONS) n += this.drops[r];
    return n;
  }
}
