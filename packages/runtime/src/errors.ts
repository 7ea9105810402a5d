/**
 * Errors of the runtime. Every error the runtime throws is a `RuntimeError`; each subclass names
 * one kind of failure and carries the context a caller needs to act on it. A lower-level error that
 * caused one (an SDK error, a parse error) travels as its standard `cause`.
 *
 * Errors are for bad input at the boundary (a definition, a frame, a config) and for failures of the
 * outside world; expected outcomes of a use case are results, not errors.
 */
export class RuntimeError extends Error {
  override readonly name: string = "RuntimeError";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * An EventBridge event pattern is not valid: the local bus refuses it where AWS's `PutRule` would
 * answer `InvalidEventPatternException`. `path` names the offending place in the pattern (for
 * example `detail.state[0].numeric`, or `<pattern>` for the whole pattern) and `reason` says what
 * is wrong with it.
 */
export class InvalidEventPatternError extends RuntimeError {
  override readonly name = "InvalidEventPatternError";

  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid event pattern: ${path}: ${reason}`, options);
  }
}
