// The lab's events: every layer reports its decisions through one Tracer, so `vnic trace` can narrate a
// packet's path, the playground can animate it and tests can assert on it. Emitting is guarded by
// `tracer.enabled`, so a run nobody listens to builds no event objects.
import { EventEmitter } from 'eventemitter3';

export type TraceLayer = 'wire' | 'nic' | 'driver' | 'napi' | 'lro' | 'gro' | 'stack' | 'tcp' | 'traffic' | 'lab';

export interface TraceEvent {
  /** Virtual time, ns. */
  t: number;
  layer: TraceLayer;
  /** What happened, short and machine-readable: 'dma', 'appended', 'flushed', 'bypass', 'drop', 'deliver', … */
  what: string;
  /** The reason/counter name when the event is a decision ('out_of_order', 'max_aggr', 'rx_missed', …). */
  reason?: string;
  /** A sentence for a human, e.g. "appended to descriptor 3, 12/64 packets, 17376 bytes". */
  text: string;
  /** Receive queue, when it applies. */
  queue?: number;
  /** Index of the wire frame this concerns (order of arrival at the NIC), when known. */
  frame?: number;
  /** nic 'dma', nic 'doorbell', driver 'completion': the ring (as the model names it) and its entry. */
  ring?: string;
  /** The entry index: the first one written or read, or a doorbell's new value. */
  slot?: number;
  /** Entries the frame took (a frame spanning several buffers), when more than one. */
  slots?: number;
  /** lro/gro 'held', 'appended', 'merged', 'flushed': the descriptor (LRO) or bucket (GRO) index. */
  desc?: number;
  /** lro/gro: segments in the aggregate after this step. */
  segs?: number;
  /** lro/gro: bytes of the aggregate after this step (IP datagram, headers included); tcp 'deliver': bytes rcv_nxt moved (out-of-order data it drained included). */
  bytes?: number;
  /** napi 'poll': frames the poll took, and its budget (NAPI weight). */
  work?: number;
  budget?: number;
  /** CPU cycles the run had charged when this event was emitted (stamped on every event of a `runLab` run). */
  cycles?: number;
  /** tcp 'deliver': the latency samples this delivery recorded, as pairs [ns from NIC arrival to socket, segments]. */
  latency?: number[];
}

/** The producer side: what every layer holds and calls. */
export interface Tracer {
  readonly enabled: boolean;
  emit(e: TraceEvent): void;
}

/** The tracer of an untraced run. */
export const NO_TRACE: Tracer = { enabled: false, emit() {} };

/** Collects events in memory (tests). */
export class TraceLog implements Tracer {
  readonly enabled = true;
  readonly events: TraceEvent[] = [];
  emit(e: TraceEvent): void {
    this.events.push(e);
  }
}

/** Events by name: one per layer (carrying that layer's events) and `event` for all of them. */
export type LabEventMap = { [L in TraceLayer]: [TraceEvent & { layer: L }] } & { event: [TraceEvent] };

/**
 * The subscriber side, on eventemitter3: `events.on('lro', (e) => …)` or `events.on('event', …)`.
 * Pass it as a run's tracer (`runLab(cfg, { tracer: events })`). It reports itself enabled only while
 * someone listens, so the layers build no event for an emitter with no subscriber.
 */
export class LabEvents implements Tracer {
  private readonly bus = new EventEmitter<LabEventMap>();
  private listening = false;

  get enabled(): boolean {
    return this.listening;
  }

  on<K extends keyof LabEventMap>(name: K, fn: (...args: LabEventMap[K]) => void): this {
    this.bus.on(name, fn as never);
    this.listening = true;
    return this;
  }

  off<K extends keyof LabEventMap>(name: K, fn?: (...args: LabEventMap[K]) => void): this {
    this.bus.off(name, fn as never);
    this.listening = this.bus.eventNames().length > 0;
    return this;
  }

  emit(e: TraceEvent): void {
    this.bus.emit(e.layer, e as never);
    this.bus.emit('event', e);
  }
}
