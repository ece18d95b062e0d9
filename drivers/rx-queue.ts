// One receive queue's software side, the same in every sample driver: its skb pool, its engine (inet_lro,
// GRO or neither), its NAPI context and interrupt, and the three ways a finished skb leaves the driver under
// their Linux names — lroReceiveSkb (lro_receive_skb, lro_vlan_hwaccel_receive_skb with a stripped tag),
// napiGroReceive (napi_gro_receive), receiveSkb (netif_receive_skb / netif_rx, or vlan_hwaccel_receive_skb /
// vlan_hwaccel_rx with a stripped tag, as e1000_receive_skb chooses) — and the end of every poll,
// napiCompleteDone. Each driver's queue extends it with its rings (drivers/rx-ring.ts) and its poll.
import type { NicModel } from '../hw-models/model.ts';
import type { Stack } from '../stack/stack.ts';
import type { NapiStruct } from '../stack/napi.ts';
import { ethtoolStats, type NetDevice } from '../stack/netdev.ts';
import { SkbPool, type SkBuff } from '../stack/skb.ts';
import { GroEngine, LroManager, sumGroStats, sumLroStats, type GroStats, type LroConfig, type LroStats } from '../lro/index.ts';
import type { Tracer } from '../observe/trace.ts';
import { groLimits, type DriverEnv, type Engine, type ResolvedDriverOptions } from './driver.ts';

/** inet_lro's defaults in every sample driver: max_aggr (module parameter lro_max_aggr) and max_desc (sessions per queue). */
export const LRO_MAX_AGGR = 64;
export const LRO_MAX_DESC = 8;

/** What a driver adds to the LroConfig the queue builds: its get_skb_header/get_frag_header, checksum marks, VLAN mode (or a function of the queue, for callbacks that are its methods). */
export type DriverLroConfig<P> = Omit<LroConfig<P>, 'maxDesc' | 'maxAggr' | 'mtu' | 'sink' | 'skbPool' | 'tracer' | 'cpu' | 'queue' | 'quirks' | 'features'> & {
  /** LRO_F_EXTRACT_VLAN_ID: the NIC took the tag out of the frame but left 0x8100 in the EtherType. */
  extractVlanId: boolean;
  /** An upper bound on max_aggr (frags mode: MAX_SKB_FRAGS fragments per aggregate). */
  maxAggrCap?: number;
};

/** A receive checksum verdict (e1000_rx_checksum's outcome): nothing to say (the stack checks), verified good, or bad. */
export const CSUM_NONE = 0;
export const CSUM_GOOD = 1;
export const CSUM_BAD = 2;
export type CsumVerdict = typeof CSUM_NONE | typeof CSUM_GOOD | typeof CSUM_BAD;

export class RxQueue<P> {
  readonly pool = new SkbPool(64);
  readonly lro: LroManager<P> | null = null;
  readonly gro: GroEngine | null = null;
  napi: NapiStruct | null = null;
  /** NAPI delivery (netif_receive_skb) unless the options ask for netif_rx (LRO_F_NAPI clear). */
  readonly napiMode: boolean;

  constructor(readonly q: number, readonly nic: NicModel, readonly stack: Stack, readonly tracer: Tracer, readonly dev: NetDevice,
    options: ResolvedDriverOptions, lro: DriverLroConfig<P> | ((queue: RxQueue<P>) => DriverLroConfig<P>)) {
    this.napiMode = options.nonNapi !== true;
    if (options.engine === 'lro') {
      const { extractVlanId, maxAggrCap, ...callbacks } = typeof lro === 'function' ? lro(this) : lro;
      const maxAggr = options.maxAggr ?? LRO_MAX_AGGR;
      this.lro = new LroManager<P>({
        ...callbacks, maxDesc: options.maxDesc ?? LRO_MAX_DESC, maxAggr: maxAggrCap !== undefined ? Math.min(maxAggr, maxAggrCap) : maxAggr,
        mtu: nic.mtu, features: { napi: this.napiMode, extractVlanId }, sink: stack, skbPool: this.pool, tracer, cpu: stack.cpu, queue: q,
        ...(options.lroQuirks !== undefined ? { quirks: options.lroQuirks } : {}),
      });
    } else if (options.engine === 'gro') this.gro = new GroEngine({ sink: stack, tracer, queue: q, cpu: stack.cpu, ...groLimits(options) });
  }

  /** netif_napi_add + request_irq: the queue's NAPI context (its GRO flushed at completion, as napi_struct's gro list) and interrupt. */
  registerNapi(name: string, weight: number, poll: (budget: number) => number, onIrq: () => void): void {
    const napi = this.stack.napiAdd(name, (_napi, budget) => poll(budget), weight, this.q);
    this.napi = napi;
    if (this.gro !== null) napi.attachGro(this.gro);
    this.nic.onInterrupt(this.q, this.stack.requestIrq(name, () => { onIrq(); this.stack.napiSchedule(napi); }));
  }

  /** The ring occupancy at poll time (completions waiting), for the lab's occupancy plot. */
  sampleOccupancy(waiting: number): void { this.stack.occupancy.record(this.q, this.stack.cpu.now, waiting); }

  /** lro_vlan_hwaccel_receive_skb with a stripped tag (≥ 0), else lro_receive_skb. */
  lroReceiveSkb(skb: SkBuff, vlanTag: number, priv: P): void {
    if (vlanTag >= 0) this.lro!.vlanHwaccelReceiveSkb(skb, vlanTag, priv);
    else this.lro!.receiveSkb(skb, priv);
  }

  /** napi_gro_receive; a stripped tag goes on the skb first (__vlan_hwaccel_put_tag). */
  napiGroReceive(skb: SkBuff, vlanTag: number): void {
    if (vlanTag >= 0) { skb.vlanPresent = true; skb.vlanTci = vlanTag; }
    this.gro!.groReceive(skb);
  }

  /** The skb alone to the stack: one of the four 2.6.24 entry points, by stripped tag and NAPI mode. */
  receiveSkb(skb: SkBuff, vlanTag: number): void { receiveSkb(this.stack, skb, vlanTag, this.napiMode); }

  /** napi_complete_done: a drained poll (done < budget) leaves the poll list, then the queue's interrupt is re-enabled; a full one stays scheduled, masked. */
  napiCompleteDone(done: number, budget: number): void {
    if (done >= budget) return;
    // GRO flushes here (napi.attachGro), or waits for the NAPI timer (gro_flush_timeout); false: the IRQ stays
    // masked (napi_defer_hard_irqs). Unmasked, a cause latched meanwhile fires at once
    if (this.stack.napiComplete(this.napi!, done)) this.nic.unmaskIrq(this.q);
  }

  /** Packets LRO or GRO still hold (0 after every poll, unless gro_flush_timeout holds GRO's for the NAPI timer). */
  get held(): number { return (this.lro?.activeSessions ?? 0) + (this.gro?.heldPackets ?? 0); }
}

/** e1000_receive_skb: vlan_hwaccel_receive_skb / vlan_hwaccel_rx with a stripped tag (≥ 0), else netif_receive_skb / netif_rx. */
export function receiveSkb(stack: Stack, skb: SkBuff, vlanTag: number, napi: boolean): void {
  if (vlanTag >= 0) {
    if (napi) stack.vlanHwaccelReceiveSkb(skb, vlanTag); else stack.vlanHwaccelRx(skb, vlanTag);
  } else if (napi) stack.netifReceiveSkb(skb);
  else stack.netifRx(skb);
}

/**
 * The part of a Driver every sample driver answers from its queues the same way: the queues themselves (one
 * per hardware queue, made by `makeQueue`), opening them, the LRO/GRO counters and held packets summed over them.
 */
export abstract class RxDriver<Q extends RxQueue<never> & { open(weight: number): void }> {
  readonly queues: Q[] = [];
  readonly engine: Engine;

  constructor(protected readonly env: DriverEnv, readonly dev: NetDevice, makeQueue: (q: number) => Q) {
    this.engine = env.options.engine;
    for (let q = 0; q < env.model.queueCount; q++) this.queues.push(makeQueue(q));
  }

  /** probe + open: every queue's NAPI context, interrupt and posted buffers. */
  open(): void { for (const q of this.queues) q.open(this.env.options.pollBudget); }

  lroStats(): LroStats | null {
    const q0 = this.queues[0];
    return q0 !== undefined && q0.lro !== null ? sumLroStats(this.queues.map((q) => q.lro!.stats)) : null;
  }

  groStats(): GroStats | null {
    const q0 = this.queues[0];
    return q0 !== undefined && q0.gro !== null ? sumGroStats(this.queues.map((q) => q.gro!.stats)) : null;
  }

  /** Packets LRO or GRO hold across the queues (0 after every poll). */
  get held(): number { return this.sum((q) => q.held); }

  ethtoolStats(): Record<string, number> { return ethtoolStats(this.dev); }

  /** A counter summed over the queues. */
  protected sum(count: (q: Q) => number): number {
    let n = 0;
    for (const q of this.queues) n += count(q);
    return n;
  }
}

/** ethtool -S lines of per-queue counters: `${prefix}${queue} ${name}` for every counter of each queue. */
export function perQueueStats<S extends object>(out: Record<string, number>, prefix: string, queues: readonly { q: number; stats: S }[]): Record<string, number> {
  for (const pr of queues) for (const [k, n] of Object.entries(pr.stats)) out[`${prefix}${pr.q} ${k}`] = n as number;
  return out;
}
