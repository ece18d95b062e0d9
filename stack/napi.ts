// NAPI as Linux does it: an interrupt handler calls napiSchedule, which puts the context on the
// poll list and raises NET_RX_SOFTIRQ; net_rx_action polls each listed context with its weight
// until the list is empty or the softirq's budget (netdev_budget) or time limit runs out, in which
// case it re-raises itself (ksoftirqd-like: it runs again later on the virtual clock).

/** A driver's poll function: process at most `budget` packets, return how many were processed. */
export type NapiPollFn = (napi: NapiStruct, budget: number) => number;

/** NAPI weight every 2.6.24 driver used (and process_backlog's weight_p). */
export const NAPI_WEIGHT = 64;

/** struct napi_struct. Create with `Stack.napiAdd`. */
export class NapiStruct {
  /** NAPI_STATE_SCHED: on the poll list (or being polled) and owned by the softirq. */
  scheduled = false;
  /** Calls of `poll`, work they reported, completions. */
  polls = 0;
  work = 0;
  completions = 0;
  /** Runs at napiComplete before the context leaves the poll list (napi_gro_flush): GRO engines register here. */
  private readonly completeHooks: Array<() => void> = [];

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
  onComplete(fn: () => void): void {
    this.completeHooks.push(fn);
  }

  /** Internal: run the completion hooks. */
  runCompleteHooks(): void {
    for (const h of this.completeHooks) h();
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
    this.onComplete(() => gro.flush());
    this.onRepoll(() => gro.flush());
  }
}

/** What attachGro needs of a GRO engine (lro/gro.ts GroEngine). */
export interface GroFlushable {
  flush(): void;
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
