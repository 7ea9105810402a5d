/**
 * The local stack's base error: the failures of the stack itself. The emulators it serves fail
 * with `EmulatorError`s of `@ledgerquest/emulators`.
 */
export class LocalStackError extends Error {
  override readonly name: string = "LocalStackError";
}
