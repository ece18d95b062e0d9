// NAPI as Linux does it: an interrupt handler calls napiSchedule, which puts the context on the
// poll list and raises NET_RX_SOFTIRQ; net_rx_action polls each listed context with its weight
// until the list is empty or the softirq's budget (netdev_budget) or time limit runs out, in which
// case it re-raises itself (ksoftirqd-like: it runs again later on the virtual clock).

/** A driver's poll function: process at most `budget` packets, return how many were processed. */
export type NapiPollFn = (napi: NapiStruct, budget: number) => number;

/** NAPI weight every 2.6.24 driver used (and process_backlog's weight_p). */
export const NAPI_WEIGHT = 64;

/**
 * One jiffy at HZ=250, the kernel the shared captures and kernel-check ran on: GRO's "older than a jiffy" flush
 * (napi_complete_done with a gro_flush_timeout) counts in these. At HZ < 1000 a poll that used its whole weight
 * flushes every held packet (onRepoll), as the lab does.
 */
export const JIFFY_NS = 4_000_000;

/** struct napi_struct. Create with `Stack.napiAdd`. */
export class NapiStruct {
  /** NAPI_STATE_SCHED: on the poll list (or being polled) and owned by the softirq. */
  scheduled = false;
  /** Calls of `poll`, work they reported, completions. */
  polls = 0;
  work = 0;
  completions = 0;
  /** Runs at napiComplete before the context leaves the poll list (napi_gro_flush): GRO engines register here. */
  private readonly completeHooks: Array<(olderThanNs?: number) => void> = [];
  /** The GRO engine attachGro gave it (how many packets it holds across a completion), null without one. */
  gro: GroFlushable | null = null;
  /** napi_defer_hard_irqs_count: completions left that keep the interrupt masked (the gro_flush_timeout timer re-polls). */
  deferHardIrqsCount = 0;
  /** The last napiComplete left the interrupt masked (it returned false). */
  irqDeferred = false;
  /** Packets the last napiComplete left held in GRO (gro_flush_timeout set: only packets older than a jiffy went up). */
  heldAcrossComplete = 0;
  /** The hrtimer's arming, so a re-armed timer's earlier expiry does nothing (0: never armed). */
  timerGeneration = 0;

  constructor(
    readonly name: string,
    readonly poll: NapiPollFn,
    readonly weight: number = NAPI_WEIGHT,
    /** The receive queue it serves (for traces and occupancy sampling). */
    readonly queue = 0,
  ) {
    if (!Number.isInteger(weight) || weight < 1)
      throw new RangeError(`napi ${name}: weight must be a positive integer (got ${weight})`);
  }

  /**
   * Registers a hook run at every napiComplete, before the context is taken off the poll list — the
   * GRO flush (`attachGro` registers it). The stack never imports lro/: this is the seam.
   */
  onComplete(fn: (olderThanNs?: number) => void): void {
    this.completeHooks.push(fn);
  }

  /** Internal: run the completion hooks; with `olderThanNs` a GRO engine flushes only packets held since before it. */
  runCompleteHooks(olderThanNs?: number): void {
    for (const h of this.completeHooks) h(olderThanNs);
  }

  private readonly repollHooks: Array<() => void> = [];
  /**
   * Registers a hook run when a poll used its whole weight and the context stays on the poll list —
   * where modern net_rx_action calls napi_gro_flush (all held packets when HZ < 1000, only old ones
   * at HZ ≥ 1000; which one is the GRO engine's choice).
   */
  onRepoll(fn: () => void): void {
    this.repollHooks.push(fn);
  }

  /** Internal: run the re-poll hooks. */
  runRepollHooks(): void {
    for (const h of this.repollHooks) h();
  }

  /**
   * Gives this context a GRO engine, as netif_napi_add gives a napi_struct its gro_list: the engine is flushed at
   * every napiComplete (napi_gro_flush) and after every poll that used its whole weight (onRepoll).
   */
  attachGro(gro: GroFlushable): void {
    this.gro = gro;
    this.onComplete((olderThanNs) => gro.flush(olderThanNs));
    this.onRepoll(() => gro.flush());
  }
}

/** What attachGro needs of a GRO engine (lro/gro.ts GroEngine). */
export interface GroFlushable {
  /** napi_gro_flush: every held packet, or with `olderThanNs` those held since before it. */
  flush(olderThanNs?: number): void;
  readonly heldPackets: number;
}

/**
 * Told of every driver poll and completion (lab/driver-rules.ts checks the NAPI contract with it). The
 * stack calls it only when one is set: the hot path pays one test per poll.
 */
export interface NapiWatch {
  /** Before `napi.poll(napi, weight)` runs. */
  beforePoll(napi: NapiStruct, weight: number): void;
  /** After it returned `work`. */
  afterPoll(napi: NapiStruct, weight: number, work: number): void;
  /** In napi_complete, after the completion hooks (GRO flush) ran, before the context leaves the poll list. */
  completing(napi: NapiStruct): void;
}
