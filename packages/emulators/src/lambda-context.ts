/**
 * The Lambda context a handler run on this machine is given: by the WebSocket gateway's
 * integrations, the local stack's routes and stream poller (`@ledgerquest/local`), and the CLI's
 * `invoke`. Handlers here are async: the callback style of the Node.js 0.10 runtime throws.
 */
import { randomUUID } from "node:crypto";
import { EmulatorError } from "./errors.js";
import { LOCAL_ACCOUNT, LOCAL_REGION } from "./protocol.js";
import type { LambdaContext } from "./websocket-gateway/types.js";

export interface LambdaContextOptions {
  /** Default `LOCAL_REGION`. */
  readonly region?: string;
  /** Default `LOCAL_ACCOUNT`. */
  readonly accountId?: string;
  /** The function's memory, as Lambda reports it; default 128 (Lambda's own default). */
  readonly memoryLimitInMB?: number;
}

/** A context for one invocation of `functionName`, with `timeoutMs` to run from now. */
export function lambdaContext(
  functionName: string,
  timeoutMs: number,
  options: LambdaContextOptions = {},
): LambdaContext {
  const region = options.region ?? LOCAL_REGION;
  const accountId = options.accountId ?? LOCAL_ACCOUNT;
  const deadlineMs = Date.now() + timeoutMs;
  const callbackStyle = (name: string) => (): never => {
    throw new EmulatorError(
      `context.${name}() is not supported locally: return or throw from an async handler`,
    );
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 128),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    done: callbackStyle("done"),
    fail: callbackStyle("fail"),
    succeed: callbackStyle("succeed"),
  };
}
