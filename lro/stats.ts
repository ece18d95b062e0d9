// LroManager counters: the three of struct net_lro_stats plus one per bypass and flush reason.
// One manager per queue; the device total is a plain sum (V24's ethtool OR-ed them: not copied).

import { LRO_BYPASS_REASONS, LRO_FLUSH_REASONS, addZeroCounters, type ReasonCounters } from './reasons.ts';

/** One counter per bypass reason (`bypass_<name>`) and per flush reason (`flush_<name>`), from lro/reasons.ts. */
export type LroReasonCounters = ReasonCounters<typeof LRO_BYPASS_REASONS, 'bypass_'> &
  ReasonCounters<typeof LRO_FLUSH_REASONS, 'flush_'>;

export interface LroStats extends LroReasonCounters {
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
  /** Q4: flushPkt found no descriptor (the original dereferenced NULL). */
  flush_pkt_no_desc: number;
  /** Frags mode: fragments past the end of the frame, released (the original leaked them). */
  frags_released_unused: number;
}

export function newLroStats(): LroStats {
  const fixed = { aggregated: 0, flushed: 0, no_desc: 0, held: 0, appended: 0, bypassed: 0 };
  const reasons = addZeroCounters(addZeroCounters(fixed, LRO_BYPASS_REASONS, 'bypass_'), LRO_FLUSH_REASONS, 'flush_');
  // the copy has fast properties: the counters added by computed name leave `reasons` a dictionary, whose every
  // increment on the hot path would be a hash lookup
  return { ...reasons, flush_pkt_no_desc: 0, frags_released_unused: 0 };
}

/** Adds the counters of several managers (one per queue). */
export function sumLroStats(all: readonly LroStats[]): LroStats {
  const total = newLroStats();
  for (const s of all) for (const k of Object.keys(total) as (keyof LroStats)[]) total[k] += s[k];
  return total;
}
