// LroManager counters: the three of struct net_lro_stats plus one per bypass and flush reason.
// One manager per queue; the device total is a plain sum (V24's ethtool OR-ed them: not copied).

export interface LroStats {
  /** Packets absorbed, including the packet that opens a session (= held + appended). */
  aggregated: number;
  /** Sessions delivered, of any size (= sum of flush_* reasons). */
  flushed: number;
  /** Lookups that found neither the flow nor a free descriptor (also from flushPkt). */
  no_desc: number;
  /** Packets that opened a session. */
  held: number;
  /** Packets appended to an open session. */
  appended: number;
  /** Packets delivered on their own (= sum of bypass_* reasons). */
  bypassed: number;
  bypass_not_lro: number;
  bypass_not_tcp: number;
  bypass_no_desc: number;
  bypass_length_mismatch: number;
  bypass_no_payload: number;
  bypass_ip_options: number;
  bypass_tcp_flags: number;
  bypass_ecn_ce: number;
  bypass_tcp_options: number;
  bypass_tsval_backwards: number;
  bypass_tsecr_zero: number;
  bypass_out_of_order: number;
  flush_out_of_order: number;
  flush_ineligible: number;
  flush_max_aggr: number;
  flush_64k: number;
  flush_all: number;
  flush_pkt: number;
  /** Frags mode: the next frame's fragments would not fit MAX_SKB_FRAGS (the original overran the array). */
  flush_frags_full: number;
  /** quirks.lossyMerge = false: ack/window/timestamps/TTL/TOS/IP ID changed. */
  flush_header_changed: number;
  /** quirks.lossyMerge = false: a PSH segment ends the session. */
  flush_psh: number;
  /** Q4: flushPkt found no descriptor (the original dereferenced NULL). */
  flush_pkt_no_desc: number;
  /** Frags mode: fragments past the end of the frame, released (the original leaked them). */
  frags_released_unused: number;
}

export function newLroStats(): LroStats {
  return {
    aggregated: 0,
    flushed: 0,
    no_desc: 0,
    held: 0,
    appended: 0,
    bypassed: 0,
    bypass_not_lro: 0,
    bypass_not_tcp: 0,
    bypass_no_desc: 0,
    bypass_length_mismatch: 0,
    bypass_no_payload: 0,
    bypass_ip_options: 0,
    bypass_tcp_flags: 0,
    bypass_ecn_ce: 0,
    bypass_tcp_options: 0,
    bypass_tsval_backwards: 0,
    bypass_tsecr_zero: 0,
    bypass_out_of_order: 0,
    flush_out_of_order: 0,
    flush_ineligible: 0,
    flush_max_aggr: 0,
    flush_64k: 0,
    flush_all: 0,
    flush_pkt: 0,
    flush_frags_full: 0,
    flush_header_changed: 0,
    flush_psh: 0,
    flush_pkt_no_desc: 0,
    frags_released_unused: 0,
  };
}

/** Adds the counters of several managers (one per queue). */
export function sumLroStats(all: readonly LroStats[]): LroStats {
  const total = newLroStats();
  for (const s of all) for (const k of Object.keys(total) as (keyof LroStats)[]) total[k] += s[k];
  return total;
}
