// The CLI's error kinds, each with its exit code: 2 for a usage or input mistake, 1 for a check
// that failed. The top level prints one line for either, never a stack trace.

/** A bad flag, value, file or config: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command ran but what it checks did not hold (a byte stream mismatch, say): exit 1. */
export class CheckFailed extends Error {
  override name = 'CheckFailed';
  /** Lines that say what failed in detail (one per failing flow, say), printed under the message. */
  constructor(
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Parses a whole non-negative integer flag value, naming the flag when it is not one. */
export function intFlag(flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => {
    if (!/^\d+$/.test(v)) throw new UsageError(`${flag} takes a whole number, not '${v}'`);
    const n = Number(v);
    if (n < min || n > max) throw new UsageError(`${flag} must be between ${min} and ${max}, not ${n}`);
    return n;
  };
}

/** Parses a flag whose value must be one of `choices`. */
export function choiceFlag<T extends string>(flag: string, choices: readonly T[]): (v: string) => T {
  return (v: string) => {
    if (!(choices as readonly string[]).includes(v))
      throw new UsageError(`${flag} must be one of ${choices.join(', ')}, not '${v}'`);
    return v as T;
  };
}
