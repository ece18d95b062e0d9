// One interrupt line per receive queue: a packet-count threshold, a delay timer restarted by every
// completion (e1000 RDTR), an absolute timer started by the first completion (RADV), and a one-shot
// mask: the line masks itself when it fires and stays quiet until the driver unmasks it.
import type { Timer, VirtualClock } from '../sim/clock.ts';

export interface Moderation {
  /** Fire when this many completions are pending (0: no threshold). */
  packets: number;
  /** Fire this long after the latest completion (restarted by each; 0: off). */
  delayNs: number;
  /** Fire this long after the first pending completion (not restarted; 0: off). */
  absoluteNs: number;
}

export const NO_MODERATION: Moderation = { packets: 0, delayNs: 0, absoluteNs: 0 };

export type IrqHandler = (queue: number) => void;

export interface IrqCounters {
  /** Times the handler ran. */
  irqs: number;
  /** Firings caused by the packet threshold (or immediate mode), the delay timer, the absolute timer, an unmask with work pending. */
  irq_by_count: number;
  irq_by_delay: number;
  irq_by_absolute: number;
  irq_by_unmask: number;
}

export class IrqLine {
  handler: IrqHandler | null = null;
  masked = false;
  /** Completions published since the line last fired. */
  pending = 0;
  /** A cause is latched but the line is masked (it fires on unmask). */
  asserted = false;
  readonly counters: IrqCounters = { irqs: 0, irq_by_count: 0, irq_by_delay: 0, irq_by_absolute: 0, irq_by_unmask: 0 };
  private delayTimer: Timer | null = null;
  private absTimer: Timer | null = null;
  private unmaskTimer: Timer | null = null;
  /** Time of the latest completion: the delay timer is re-armed lazily from it (one timer per quiet period, not per packet). */
  private lastEventAt = 0;
  private readonly onDelay = (): void => {
    this.delayTimer = null;
    const due = this.lastEventAt + this.moderation.delayNs;
    if (this.clock.now < due) this.delayTimer = this.clock.at(due, this.onDelay);
    else this.cause('delay');
  };
  private readonly onAbs = (): void => {
    this.absTimer = null;
    this.cause('absolute');
  };
  private readonly onUnmask = (): void => {
    this.unmaskTimer = null;
    if (!this.masked && this.asserted) this.fire('unmask');
  };

  constructor(
    private readonly clock: VirtualClock,
    readonly queue: number,
    public moderation: Moderation = NO_MODERATION,
  ) {}

  /** The device published one completion. */
  event(): void {
    this.pending++;
    const m = this.moderation;
    if ((m.packets > 0 && this.pending >= m.packets) || (m.packets === 0 && m.delayNs === 0 && m.absoluteNs === 0)) {
      this.cause('count');
      return;
    }
    if (m.delayNs > 0) {
      this.lastEventAt = this.clock.now;
      if (this.delayTimer === null) this.delayTimer = this.clock.after(m.delayNs, this.onDelay);
    }
    if (m.absoluteNs > 0 && this.absTimer === null) this.absTimer = this.clock.after(m.absoluteNs, this.onAbs);
  }

  mask(): void {
    this.masked = true;
  }

  /** Re-arms the line; a cause latched while masked fires at the current virtual time (not inside this call). */
  unmask(): void {
    this.masked = false;
    if (this.asserted && this.unmaskTimer === null) this.unmaskTimer = this.clock.after(0, this.onUnmask);
  }

  private cause(kind: 'count' | 'delay' | 'absolute'): void {
    if (this.masked) {
      this.asserted = true;
      return;
    }
    this.fire(kind);
  }

  private fire(kind: 'count' | 'delay' | 'absolute' | 'unmask'): void {
    this.delayTimer?.cancel();
    this.delayTimer = null;
    this.absTimer?.cancel();
    this.absTimer = null;
    this.pending = 0;
    this.asserted = false;
    this.masked = true; // one-shot: the driver unmasks after its poll
    this.counters.irqs++;
    if (kind === 'count') this.counters.irq_by_count++;
    else if (kind === 'delay') this.counters.irq_by_delay++;
    else if (kind === 'absolute') this.counters.irq_by_absolute++;
    else this.counters.irq_by_unmask++;
    this.handler?.(this.queue);
  }
}
