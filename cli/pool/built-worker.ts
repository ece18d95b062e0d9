// The variable that points the pool's threads at the compiled task module while the CLI runs from its sources.
// Its own file, free of imports, so the tests' global setup (test/built-bin.ts) names it without loading the lab.

/**
 * Names the compiled task module (dist/cli/pool/task.js) that pool threads may start from while the CLI itself runs
 * from its sources: set by whoever has just rebuilt dist/ (the tests' global setup), since a thread that loads the
 * lab through tsx costs about twice the CPU of one that loads the compiled lab.
 */
export const BUILT_WORKER_ENV = 'VNIC_POOL_BUILT_WORKER';
