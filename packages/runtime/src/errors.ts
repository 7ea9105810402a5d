/**
 * Errors of the runtime. Every error the runtime throws is a `RuntimeError`; each subclass names
 * one kind of failure and carries the context a caller needs to act on it. A lower-level error that
 * caused one (an SDK error, a parse error) travels as its standard `cause`.
 *
 * Errors are for bad input at the boundary (a definition, a frame, a config) and for failures of the
 * outside world; expected outcomes of a use case are results, not errors.
 *
 * Alike: engine/src/errors.ts and testing/src/errors.ts (one small class per failure under a
 * package's own root); see the engine's for why they are not shared.
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

/**
 * Another tick batch committed this world's next version first. Nothing of this batch was
 * committed; the world moved on under the other batch, so the caller reloads and runs again.
 * Step Functions retries it (see `RETRYABLE_TICK_ERRORS`).
 */
export class CommitConflictError extends RuntimeError {
  override readonly name = "CommitConflictError";

  constructor(
    readonly worldId: string,
    readonly version: number,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`commit conflict on world ${worldId} at version ${version}: ${detail}`, options);
  }
}

/**
 * The journal holds a different entry where this writer's belongs: the commit protocol was
 * broken (two writers of one version), which must never happen. Never retried.
 */
export class JournalConflictError extends RuntimeError {
  override readonly name = "JournalConflictError";

  constructor(
    readonly worldId: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(
      `journal conflict in world ${worldId} at ${key}: a different item is already there`,
      options,
    );
  }
}

/** Events that could not be published after retries; `failed` names them and why. */
export class PublishError extends RuntimeError {
  override readonly name = "PublishError";

  constructor(
    readonly failed: readonly { readonly eventId: string; readonly reason: string }[],
    options?: { cause?: unknown },
  ) {
    super(
      `${failed.length} event(s) could not be published: ${failed
        .slice(0, 3)
        .map((f) => `${f.eventId} (${f.reason})`)
        .join(", ")}${failed.length > 3 ? ", ..." : ""}`,
      options,
    );
  }
}

/**
 * A storage service failed (throttled, unavailable, timed out) after the SDK's own retries.
 * Transient: retrying the whole operation is safe, because every write is idempotent.
 */
export class StoreUnavailableError extends RuntimeError {
  override readonly name = "StoreUnavailableError";

  constructor(
    readonly service: string,
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`${service} ${operation} failed; retry later`, options);
  }
}

/** Something the use case needs is not there (a world, a player, a blob). */
export class NotFoundError extends RuntimeError {
  override readonly name = "NotFoundError";

  constructor(
    readonly what: string,
    readonly id: string,
    options?: { cause?: unknown },
  ) {
    super(`${what} ${id} not found`, options);
  }
}

/** A stored item does not decode to what it should be: corrupt, or written by other code. */
export class CorruptRecordError extends RuntimeError {
  override readonly name = "CorruptRecordError";

  constructor(
    readonly key: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`stored record ${key} is corrupt: ${reason}`, options);
  }
}

/**
 * A domain event is not valid: a producer built a detail the schema refuses, a consumer received
 * one, or its PutEvents entry would exceed EventBridge's size limit. `detailType` is the event's
 * detail-type as given, `path` names the offending place (for example `detail.rewards[0].amount`,
 * `detail-type`, `source`, or `<entry>` for the whole PutEvents entry) and `reason` says what is
 * wrong with it.
 */
export class InvalidEventError extends RuntimeError {
  override readonly name = "InvalidEventError";

  constructor(
    readonly detailType: string,
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid event ${JSON.stringify(detailType)}: ${path}: ${reason}`, options);
  }
}

/**
 * Re-running a recorded batch from the same state with the same inputs gave other state hashes:
 * the rules or the engine changed under a world without a new rules version, or a machine
 * computes differently. Never retried: a person must look.
 */
export class DeterminismError extends RuntimeError {
  override readonly name = "DeterminismError";
}

/**
 * A world was made under other rules (another fingerprint) than the code running it: a
 * deployment of the wrong version. Not retried: retrying cannot change the code.
 */
export class RulesMismatchError extends RuntimeError {
  override readonly name = "RulesMismatchError";

  constructor(
    readonly worldId: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `world ${worldId} runs under rules ${expected.slice(0, 12)}…, this code has ${actual.slice(0, 12)}…: deploy the version the world was made with, or migrate the world`,
    );
  }
}
