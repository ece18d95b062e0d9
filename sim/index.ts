// sim/: the virtual clock and event queue, the seeded PRNG and the CPU cost model.
// (Flow keys are wire/flow.ts; the trace and the recorders are in observe/, the run report in lab/, the
// byte-stream fingerprint in wire/.)
export * from './clock.ts';
export * from './prng.ts';
export * from './cost.ts';
