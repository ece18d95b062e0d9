// sim/: the virtual clock and event queue, the seeded PRNG, the CPU cost model, and flow keys.
// (The trace and the recorders are in observe/, the run report in lab/, the byte-stream fingerprint in wire/.)
export * from './clock.ts';
export * from './prng.ts';
export * from './flows.ts';
export * from './cost.ts';
