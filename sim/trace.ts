// Trace events: every layer reports its decisions here so `vnic trace` can narrate a packet's path.
// Emitting is guarded by `tracer.enabled`, so an untraced run builds no event objects.

export type TraceLayer = 'wire' | 'nic' | 'driver' | 'napi' | 'lro' | 'gro' | 'stack' | 'tcp' | 'traffic';

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
}

export interface Tracer {
  readonly enabled: boolean;
  emit(e: TraceEvent): void;
}

/** The tracer of an untraced run. */
export const NO_TRACE: Tracer = { enabled: false, emit() {} };

/** Collects events in memory (tests, `vnic trace`). */
export class TraceLog implements Tracer {
  readonly enabled = true;
  readonly events: TraceEvent[] = [];
  emit(e: TraceEvent): void { this.events.push(e); }
}
