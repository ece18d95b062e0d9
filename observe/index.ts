// observe/: what a run lets you watch and measure: the trace every layer reports its decisions to
// (Tracer, TraceLog, LabEvents) and the latency and ring-occupancy recorders the run report reads.
export * from './trace.ts';
export * from './recorders.ts';
