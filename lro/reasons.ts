// Why inet_lro and GRO did what they did: each family of reasons is one `as const` list, and the list yields the
// reason type, the counters (and so the stats objects and the run report's `reasons`), the short names traces carry
// and the trace texts; `why`, where given, is what `vnic trace` explains the first time the reason shows up.
// A new reason is one entry here, plus the code that detects it.

/** One reason: its short name (the counter is `<prefix><name>`), the trace text, and an optional one-time explanation. */
export interface Reason {
  readonly name: string;
  readonly text: string;
  readonly why?: string;
}

/** inet_lro: why a packet went up on its own (`bypass_<name>`); the order of the counters in LroStats. */
export const LRO_BYPASS_REASONS = [
  {
    name: 'not_lro',
    text: 'driver callback said not for LRO',
    why: 'the driver’s get_skb_header callback said this frame is not for LRO (not TCP, or the NIC found no L4 header)',
  },
  { name: 'not_tcp', text: 'not IPv4/TCP', why: 'only IPv4/TCP is aggregated; everything else goes up alone' },
  {
    name: 'no_desc',
    text: 'no free descriptor',
    why: 'all max_desc descriptors are busy with other flows: this flow cannot aggregate now',
  },
  { name: 'length_mismatch', text: 'IP total length differs from the received length (padded or truncated)' },
  { name: 'no_payload', text: 'no TCP payload', why: 'a pure ACK carries nothing to merge' },
  { name: 'ip_options', text: 'IP options present' },
  {
    name: 'tcp_flags',
    text: 'TCP flags other than ACK/PSH (or ACK clear)',
    why: 'only plain ACK (and PSH) segments are merged; SYN/FIN/RST/URG/ECE/CWR go up alone',
  },
  { name: 'ecn_ce', text: 'IP ECN field is CE' },
  {
    name: 'tcp_options',
    text: 'TCP options other than NOP,NOP,TIMESTAMP',
    why: 'only the timestamp option (NOP,NOP,TS) is allowed in a merged segment',
  },
  { name: 'tsval_backwards', text: "TSval older than the session's first" },
  {
    name: 'tsecr_zero',
    text: 'TSecr is zero',
    why: 'inet_lro refuses segments whose timestamp echo (TSecr) is 0 (§2.2 rule 9): a sender that has not yet seen a timestamp from this host echoes 0, so such segments go up alone',
  },
  { name: 'out_of_order', text: 'out of order' },
] as const satisfies readonly Reason[];

/** inet_lro: why a session was delivered (`flush_<name>`). */
export const LRO_FLUSH_REASONS = [
  {
    name: 'out_of_order',
    text: 'out of order',
    why: 'the segment does not start where the session ends: the session is flushed and a new one may open',
  },
  {
    name: 'ineligible',
    text: 'packet not eligible',
    why: 'a packet of this flow that LRO may not merge ends the flow’s session first, keeping the byte order',
  },
  { name: 'max_aggr', text: 'max_aggr reached', why: 'the session reached max_aggr packets and is flushed' },
  {
    name: '64k',
    text: 'length above 65535 - MTU',
    why: 'one more segment would make the aggregate longer than an IP datagram may be',
  },
  {
    name: 'all',
    text: 'flush_all',
    why: 'the driver calls lro_flush_all at the end of every NAPI poll: whatever was aggregated goes up now',
  },
  { name: 'pkt', text: 'flush_pkt' },
  /** Frags mode: the next frame's fragments would not fit MAX_SKB_FRAGS (the original overran the array). */
  { name: 'frags_full', text: 'no room for more fragments' },
  /** quirks.lossyMerge = false: ack/window/timestamps/TTL/TOS/IP ID changed. */
  { name: 'header_changed', text: 'header changed' },
  /** quirks.lossyMerge = false: a PSH segment ends the session. */
  {
    name: 'psh',
    text: 'PSH ends the session',
    why: 'PSH marks the end of what the sender wrote: the session goes up',
  },
] as const satisfies readonly Reason[];

/** GRO: why a segment was not even looked at for merging (`not_eligible_<name>`). */
export const GRO_NOT_ELIGIBLE_REASONS = [
  /** Neither IPv4 nor IPv6 (after any in-band tags). */
  { name: 'not_ip', text: 'not_ip' },
  /** An in-band tag cut short. */
  { name: 'vlan', text: 'vlan' },
  { name: 'ihl', text: 'ihl' },
  { name: 'fragment', text: 'fragment' },
  { name: 'length', text: 'length' },
  { name: 'not_tcp', text: 'not_tcp' },
  { name: 'bad_doff', text: 'bad_doff' },
  { name: 'bad_csum', text: 'bad_csum' },
] as const satisfies readonly Reason[];

/** GRO: why an eligible segment went up alone (`pass_<name>`). */
export const GRO_PASS_REASONS = [
  { name: 'no_payload', text: 'no_payload' },
  { name: 'flags', text: 'flags' },
  { name: 'cwr', text: 'cwr' },
] as const satisfies readonly Reason[];

/** GRO: why a held packet was delivered (`flush_<name>`). */
export const GRO_FLUSH_REASONS = [
  { name: 'napi', text: 'napi' },
  { name: 'old', text: 'old' },
  { name: 'evict', text: 'evict' },
  { name: 'psh', text: 'psh' },
  { name: 'fin', text: 'fin' },
  { name: 'short', text: 'short' },
  /** The held packet plus the new payload would reach the device's gro_max_size (gro_ipv4_max_size for IPv4). */
  { name: 'max_size', text: 'max_size' },
  { name: 'seq', text: 'seq' },
  { name: 'ack', text: 'ack' },
  { name: 'tcp_word', text: 'tcp_word' },
  { name: 'options', text: 'options' },
  { name: 'ip_header', text: 'ip_header' },
  { name: 'ip_id', text: 'ip_id' },
  { name: 'larger', text: 'larger' },
  { name: 'cwr', text: 'cwr' },
  { name: 'no_payload', text: 'no_payload' },
  { name: 'flags', text: 'flags' },
  /** A padded segment of the flow (IP length shorter than the frame) flushed it. */
  { name: 'padded', text: 'padded' },
] as const satisfies readonly Reason[];

/** The reason names of a list. */
export type NameOf<L extends readonly Reason[]> = L[number]['name'];
export type LroBypassReason = NameOf<typeof LRO_BYPASS_REASONS>;
export type LroFlushReason = NameOf<typeof LRO_FLUSH_REASONS>;
export type GroNotEligibleReason = NameOf<typeof GRO_NOT_ELIGIBLE_REASONS>;
export type GroPassReason = NameOf<typeof GRO_PASS_REASONS>;
export type GroFlushReason = NameOf<typeof GRO_FLUSH_REASONS>;

/** One counter per reason of `list`, named `<prefix><name>`. */
export type ReasonCounters<L extends readonly Reason[], P extends string> = { [K in NameOf<L> as `${P}${K}`]: number };

/** The counter names of `list`, in its order. */
export function counterNames<L extends readonly Reason[], P extends string>(
  list: L,
  prefix: P,
): (keyof ReasonCounters<L, P>)[] {
  return list.map((r) => `${prefix}${r.name}`) as (keyof ReasonCounters<L, P>)[];
}

/** Each reason's counter name, by reason (built once, so a hot path looks the name up rather than concatenating it). */
export function counterKeys<L extends readonly Reason[], P extends string>(
  list: L,
  prefix: P,
): { readonly [K in NameOf<L>]: `${P}${K}` } {
  return Object.fromEntries(list.map((r) => [r.name, `${prefix}${r.name}`])) as { [K in NameOf<L>]: `${P}${K}` };
}

/** Each reason's trace text, by reason. */
export function reasonTexts<L extends readonly Reason[]>(list: L): { readonly [K in NameOf<L>]: string } {
  return Object.fromEntries(list.map((r) => [r.name, r.text])) as { [K in NameOf<L>]: string };
}

/** Adds a zero counter per reason of `list` to `into` (in the list's order), and returns it. */
export function addZeroCounters<T extends object, L extends readonly Reason[], P extends string>(
  into: T,
  list: L,
  prefix: P,
): T & ReasonCounters<L, P> {
  for (const r of list) (into as Record<string, number>)[`${prefix}${r.name}`] = 0;
  return into as T & ReasonCounters<L, P>;
}

/** The one-time explanations of every reason that has one, keyed `<layer>/<name>` as `vnic trace` looks them up. */
export function reasonExplanations(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const list of [LRO_BYPASS_REASONS, LRO_FLUSH_REASONS] as const)
    for (const r of list as readonly Reason[]) if (r.why !== undefined) out[`lro/${r.name}`] = r.why;
  for (const list of [GRO_NOT_ELIGIBLE_REASONS, GRO_PASS_REASONS, GRO_FLUSH_REASONS] as const)
    for (const r of list as readonly Reason[]) if (r.why !== undefined) out[`gro/${r.name}`] = r.why;
  return out;
}
