/**
 * Errors of the testing kit. Everything the kit throws is a `TestingKitError`; each subclass names
 * one kind of failure. What a game does wrong in play (a refused command, a mismatched hash, a
 * unit that does not conserve) comes back as a value, never as one of these: they are for misuse
 * of the kit (bad options, a snapshot that is not one) and for the `expect…` helpers, whose job is
 * to throw. A lower-level error that caused one travels as its standard `cause`.
 *
 * Alike: engine/src/errors.ts and runtime/src/errors.ts; see the engine's for why not shared.
 */
export class TestingKitError extends Error {
  override readonly name: string = "TestingKitError";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** `createTestWorld` or a world method was given options it cannot work with. */
export class TestWorldOptionsError extends TestingKitError {
  override readonly name = "TestWorldOptionsError";
}

/** A snapshot could not be taken, or could not be restored into a new world. */
export class SnapshotError extends TestingKitError {
  override readonly name = "SnapshotError";
}

/** `expectDeterministic`: two runs of the same script gave different state hashes. */
export class NondeterminismError extends TestingKitError {
  override readonly name = "NondeterminismError";
}

/** `conservesMoney` / `expectConservation`: a world's ledger does not conserve value. */
export class ConservationError extends TestingKitError {
  override readonly name = "ConservationError";
}
