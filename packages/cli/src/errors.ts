/**
 * The CLI's errors: each says what went wrong and what to do, in one line a terminal shows as it
 * is (the command prints `message`, never a stack).
 */
export class CliError extends Error {
  override readonly name: string = "CliError";
}
