import { RuntimeError } from "@ledgerquest/runtime";

/**
 * Errors of the AWS adapters and handlers. Every error this package throws is an
 * `AwsAdapterError`, itself a `RuntimeError`, so a caller can tell the AWS side's failures from
 * the runtime's without losing the common base. A lower-level error that caused one (an SDK error,
 * a zod error, a JWT library error) travels as its standard `cause`.
 */
export class AwsAdapterError extends RuntimeError {
  override readonly name: string = "AwsAdapterError";
}

/** One environment variable that is missing or does not hold what it should. */
export interface ConfigProblem {
  /** The variable's name, e.g. `LQ_ENTITY_TABLE`. */
  readonly variable: string;
  /** What is wrong and what the variable should hold. */
  readonly message: string;
}

/**
 * The configuration read at cold start is not usable. `problems` lists every bad or missing
 * variable at once, so a deployment is fixed in one round rather than one variable per cold start.
 */
export class ConfigError extends AwsAdapterError {
  override readonly name = "ConfigError";

  constructor(
    readonly problems: readonly ConfigProblem[],
    options?: { cause?: unknown },
  ) {
    super(
      `invalid configuration (${problems.length} ${problems.length === 1 ? "problem" : "problems"}):\n${problems
        .map((problem) => `  ${problem.variable}: ${problem.message}`)
        .join("\n")}`,
      options,
    );
  }
}

/**
 * A WebSocket `$connect` carried no credentials, or credentials that do not authenticate anyone.
 *
 * The message is exactly `Unauthorized` because that string is what API Gateway matches to answer
 * 401 instead of 500; the specific `reason` is for logs, never for the client.
 */
export class UnauthorizedError extends AwsAdapterError {
  override readonly name = "UnauthorizedError";

  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super("Unauthorized", options);
  }
}
