/**
 * `ledgerquest invoke`: one handler, one event, as `sam local invoke` runs a function. The handler
 * is the deployed one (`lambdaHandler` of `@ledgerquest/aws/handlers/<name>`, built for the
 * project's game, configured from its environment), run in this process against the running local
 * stack's services (its environment, from `ledgerquest dev`'s endpoints file), or against a stack
 * started for the one invocation (`--in-process`, the project's worlds seeded). The response goes
 * to stdout as JSON (pipe it), the handler's log lines and a Lambda-style REPORT line to stderr.
 */
import { readFileSync } from "node:fs";
import type { LambdaHandler } from "@ledgerquest/aws";
import { lambdaContext } from "@ledgerquest/local";
import type { GameModule, RuntimeDeps } from "@ledgerquest/runtime";
import { InvokeError } from "../errors.js";
import type { LocalTarget } from "../target.js";
import { INVOKABLE_HANDLERS, type InvokableHandler, type SampleContext } from "./samples.js";

export { InvokeError };

/** The Lambda context the handlers take. */
type Context = Parameters<LambdaHandler<unknown, unknown>>[1];
type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface InvokeOutput {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
}

/** The handler name, checked. */
export function invokableHandler(name: string): InvokableHandler {
  if ((INVOKABLE_HANDLERS as readonly string[]).includes(name)) return name as InvokableHandler;
  throw new InvokeError(`no handler "${name}": the handlers are ${INVOKABLE_HANDLERS.join(", ")}`);
}

/** The event of `--event <file>` (`-`: standard input), parsed. */
export function readEvent(
  file: string,
  stdin: () => string = () => readFileSync(0, "utf8"),
): unknown {
  let text: string;
  try {
    text = file === "-" ? stdin() : readFileSync(file, "utf8");
  } catch (error) {
    throw new InvokeError(
      `cannot read the event file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): print a ready one with --sample`,
      { cause: error },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvokeError(`the event in ${file} is not JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** The deployed handler for `name`, built for `game` from this process's environment. */
export async function loadHandler(name: InvokableHandler, game: GameModule): Promise<Handler> {
  switch (name) {
    case "authorizer":
      return (await import("@ledgerquest/aws/handlers/authorizer")).lambdaHandler() as Handler;
    case "connect":
      return (await import("@ledgerquest/aws/handlers/connect")).lambdaHandler(game) as Handler;
    case "disconnect":
      return (await import("@ledgerquest/aws/handlers/disconnect")).lambdaHandler(game) as Handler;
    case "command":
      return (await import("@ledgerquest/aws/handlers/command")).lambdaHandler(game) as Handler;
    case "query":
      return (await import("@ledgerquest/aws/handlers/query")).lambdaHandler(game) as Handler;
    case "tick":
      return (await import("@ledgerquest/aws/handlers/tick")).lambdaHandler(game) as Handler;
    case "audit-stream":
      return (await import("@ledgerquest/aws/handlers/audit-stream")).lambdaHandler() as Handler;
    case "supervisor":
      return (await import("@ledgerquest/aws/handlers/supervisor")).lambdaHandler() as Handler;
  }
}

export interface InvocationResult {
  readonly ok: boolean;
  /** What the handler returned, or Lambda's error document when it threw. */
  readonly response: unknown;
  readonly durationMs: number;
  readonly requestId: string;
}

/**
 * Runs `handler` once on `event`. What the handler writes to stdout (its log lines) goes to
 * `output.err` meanwhile, so stdout carries the response only.
 */
export async function invokeOnce(
  name: InvokableHandler,
  handler: Handler,
  event: unknown,
  options: { readonly timeoutMs: number; readonly output: InvokeOutput },
): Promise<InvocationResult> {
  const context = lambdaContext(`ledgerquest-local-${name}`, options.timeoutMs, {
    memoryLimitInMB: 512,
  });
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    options.output.err.write(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString());
    return true;
  }) as typeof process.stdout.write;
  const startedMs = performance.now();
  try {
    const response = await handler(event, context);
    return result(true, response, startedMs, context);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    // As Lambda reports an invocation that threw.
    return result(false, { errorType: e.name, errorMessage: e.message }, startedMs, context);
  } finally {
    process.stdout.write = write;
  }
}

function result(
  ok: boolean,
  response: unknown,
  startedMs: number,
  context: Context,
): InvocationResult {
  return {
    ok,
    response: response === undefined ? null : response,
    durationMs: performance.now() - startedMs,
    requestId: context.awsRequestId,
  };
}

/** Lambda's REPORT line, for the terminal. */
export function reportLine(result: InvocationResult): string {
  const memoryMb = Math.round(process.memoryUsage().rss / (1024 * 1024));
  return `REPORT RequestId: ${result.requestId}\tDuration: ${result.durationMs.toFixed(2)} ms\tMax Memory Used: ${memoryMb} MB\tStatus: ${result.ok ? "ok" : "error"}`;
}

/** What only a running stack gives a sample: a token, the world's last journal entry. */
export async function stackSampleContext(
  target: LocalTarget | undefined,
  deps: (() => RuntimeDeps) | undefined,
  base: Omit<SampleContext, "token" | "journalImage">,
): Promise<SampleContext> {
  if (target === undefined) return base;
  const { fetchDevToken } = await import("../bots/dev-token.js");
  const token = (await fetchDevToken(target.idp, base.playerId)).token;
  const journalImage =
    deps === undefined ? undefined : await lastJournalImage(deps(), target, base.worldId);
  return { ...base, token, ...(journalImage === undefined ? {} : { journalImage }) };
}

/** The world's last journal entry as its item's attribute values, or undefined without one. */
async function lastJournalImage(
  deps: RuntimeDeps,
  target: LocalTarget,
  worldId: string,
): Promise<Record<string, unknown> | undefined> {
  const world = await deps.store.getWorld(worldId);
  const count = world?.ledger.count ?? 0;
  if (count === 0) return undefined;
  const [{ DynamoDBClient, GetItemCommand }, { marshall }, { auditKeys }] = await Promise.all([
    import("@aws-sdk/client-dynamodb"),
    import("@aws-sdk/util-dynamodb"),
    import("@ledgerquest/runtime"),
  ]);
  const client = new DynamoDBClient({
    endpoint: target.env.AWS_ENDPOINT_URL_DYNAMODB,
    region: target.env.AWS_REGION ?? "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    const item = await client.send(
      new GetItemCommand({
        TableName: target.env.LQ_AUDIT_TABLE ?? "AuditLog",
        Key: marshall(auditKeys.journal(worldId, count - 1)),
      }),
    );
    return item.Item;
  } finally {
    client.destroy();
  }
}
