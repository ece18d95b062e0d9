// sim/: the virtual clock and event queue, the seeded PRNG, the CPU cost model, the run report,
// trace events and the byte-stream fingerprint (flow keys are wire/flow.ts).
export * from './clock.ts';
export * from './prng.ts';
export * from './hash.ts';
export * from './trace.ts';
export * from './cost.ts';
export * from './stats.ts';
export * from './report.ts';
