/** The local stack's base error: every failure of an emulator or of the stack itself. */
export class LocalStackError extends Error {
  override readonly name: string = "LocalStackError";
}
