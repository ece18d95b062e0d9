// gc() for the benchmarks' heap-per-packet figures, in its own module: bench cases import it while
// bench/run.ts (which imports the cases) is still evaluating.
import v8 from 'node:v8';
import vm from 'node:vm';

/** gc(), turned on in-process when node was not started with --expose-gc; null when unavailable. */
export function getGc(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    const fn = vm.runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    return null;
  }
}
