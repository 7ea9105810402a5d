/**
 * The CLI's errors: each says what went wrong and what to do, in one line a terminal shows as it
 * is (the command prints `message`, never a stack).
 */
export class CliError extends Error {
  override readonly name: string = "CliError";
}

/** `ledgerquest invoke`: the event or the handler name was not usable; says what to give instead. */
export class InvokeError extends CliError {
  override readonly name = "InvokeError";
}
