// fuzz/: the robustness fuzzer as a library — hostile frame generators, the case runner with its
// invariant checks, and the impairment matrix. `cli/fuzz.ts` is the command line (`npm run fuzz`).
export {
  HOSTILE_KINDS,
  hostileFrame,
  ipv6Frame,
  touchesValidFlow,
  validFlows,
  VALID_SRC,
  VALID_DST,
  VALID_DPORT,
  VALID_SPORT0,
} from './frames.ts';
export type { HostileKind, ValidFlow } from './frames.ts';
export { allCombos, comboName, buildCase, runCase, fuzz, POISON_KINDS } from './engine.ts';
export type { PoisonKind, Combo, CaseSpec, CaseResult, FuzzOptions, FuzzSummary } from './engine.ts';
export { impairmentMatrix, matrixCell, IMPAIRMENTS, RATES, TRAFFIC } from './matrix.ts';
export type { Impairment, MatrixRow, MatrixSummary } from './matrix.ts';
export { manyFlows, manyFlowRecords } from './exhaust.ts';
export type { ManyFlowsResult } from './exhaust.ts';
