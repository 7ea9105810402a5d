/**
 * The infrastructure package's errors. Every one says what to change: a bad context value names
 * the key and what it takes; a failed bundle names the handler.
 *
 * Alike: the other packages' error classes (local/src/usage.ts's UsageFileError is one; see
 * engine/src/errors.ts for why each package keeps its own).
 */

/** The base of every error this package throws. */
export class InfraError extends Error {
  override readonly name: string = "InfraError";
}

/** A setting (CDK context or construct prop) that cannot be deployed. */
export class InfraConfigError extends InfraError {
  override readonly name = "InfraConfigError";

  constructor(
    readonly setting: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${setting}: ${message}`, options);
  }
}

/** The handlers could not be bundled with esbuild. */
export class BundleError extends InfraError {
  override readonly name = "BundleError";
}
