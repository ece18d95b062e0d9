// The one error type of wire/: what could not be read, in which header, at which byte.

/** A header that cannot be what it claims. `offset` is the byte offset of the offending field in the buffer given. */
export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly layer: string,
    readonly field: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`${layer} ${field} at byte ${offset}: ${detail}`);
  }
}

/** Narrowing helper: `if (isWireError(r)) ...`. */
export function isWireError(x: unknown): x is WireError {
  return x instanceof WireError;
}
