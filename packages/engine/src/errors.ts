/**
 * Errors of the engine. Every error the engine throws is an `EngineError`; each subclass names
 * one kind of failure and carries the context a caller needs to act on it.
 *
 * The engine throws only for misuse (a stale handle, a full world, a corrupt snapshot). Expected
 * simulation outcomes, such as a body whose state would become non-finite, are events, not errors.
 *
 * Alike: the classes below, one small class per failure; and so the error classes of runtime,
 * testing, cli, infra and local (`src/errors.ts`), kept per package so that each root catches
 * exactly its package's errors.
 */
export class EngineError extends Error {
  override readonly name: string = "EngineError";
}

/** A handle names an entity that has been destroyed (its slot may since have been reused). */
export class StaleEntityError extends EngineError {
  override readonly name = "StaleEntityError";
  constructor(readonly entity: number) {
    super(
      `entity ${entity} is not alive: it was destroyed (or never created); keep handles only while the entity lives, or check world.isAlive(handle) first`,
    );
  }
}

/** The world has no free entity slot left. */
export class EntityCapacityError extends EngineError {
  override readonly name = "EntityCapacityError";
  constructor(readonly capacity: number) {
    super(
      `the world is full: all ${capacity} entity slots are in use; create the world with a larger maxEntities`,
    );
  }
}

/** A component was used with a world that was not created with it. */
export class UnknownComponentError extends EngineError {
  override readonly name = "UnknownComponentError";
  constructor(readonly component: string) {
    super(
      `component "${component}" is not registered in this world; list it in createWorld({ components: [...] })`,
    );
  }
}

/** A definition (component, system order, world options, physics options) is invalid. */
export class DefinitionError extends EngineError {
  override readonly name = "DefinitionError";
}

/** A value handed to the engine is out of its documented range (a negative radius, a NaN mass). */
export class InvalidArgumentError extends EngineError {
  override readonly name = "InvalidArgumentError";
}

/** A snapshot could not be decoded: its bytes are damaged, truncated or not a snapshot at all. */
export class SnapshotCorruptError extends EngineError {
  override readonly name = "SnapshotCorruptError";
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`snapshot is corrupt: ${reason}`, options);
  }
}

/** A snapshot was written by a format version this engine does not read. */
export class SnapshotVersionError extends EngineError {
  override readonly name = "SnapshotVersionError";
  constructor(
    readonly found: number,
    readonly supported: readonly number[],
  ) {
    super(
      `snapshot format version ${found} is not supported (this engine reads ${supported.join(", ")}); upgrade the engine or re-export the snapshot`,
    );
  }
}

/** A snapshot's components do not match the components of the world it is loaded into. */
export class SnapshotSchemaError extends EngineError {
  override readonly name = "SnapshotSchemaError";
}

/** A replay was given a command log that cannot apply to its snapshot. */
export class ReplayError extends EngineError {
  override readonly name = "ReplayError";
}

/** A journal that cannot be replayed: entry `seq` does not re-apply to its recorded hash. */
export class LedgerReplayError extends EngineError {
  override readonly name = "LedgerReplayError";
  constructor(
    readonly seq: number,
    readonly reason: string,
  ) {
    super(
      `journal entry ${seq} cannot be replayed: ${reason}; the journal was altered or is incomplete`,
    );
  }
}

/** A ledger checkpoint is malformed or inconsistent (see `Ledger.fromCheckpoint`). */
export class LedgerCheckpointError extends EngineError {
  override readonly name = "LedgerCheckpointError";

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`ledger checkpoint rejected: ${reason}`, options);
  }
}
