// Our bugs are exceptions; user errors are values (STYLE.md "User errors are values").
// An `InvariantError` means the model or the code is wrong, never the user's input.

export class InvariantError extends Error {
  override name = 'InvariantError';
}

/** Assert an invariant. `what` says what was expected; put what was seen in it too. */
export function assert(condition: boolean, what: string | (() => string)): asserts condition {
  if (!condition) {
    throw new InvariantError(typeof what === 'string' ? what : what());
  }
}

/** Exhaustive `switch` helper: a case the type system says cannot happen. */
export function unreachable(x: never): never {
  throw new InvariantError(`unreachable: ${JSON.stringify(x)}`);
}
