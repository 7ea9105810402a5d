/**
 * The WebSocket `command` route and `$default` (frames whose `action` names no route, or that are
 * not JSON at all): validates the frame and queues the command for the world's next tick batch.
 *
 * The acting player is the one the `$connect` authorizer authenticated, taken from the request
 * context. The frame's envelope is strict, so a `playerId` or `actor` field in it is refused, and
 * the game checks that the data names only the player's own entities: a client can never act for
 * another player.
 *
 * The answer to the client, always with status 200 (a refused frame is a normal answer):
 * `{type: "ack", id, result: "accepted" | "duplicate"}`, or the typed error frame
 * (`{type: "error", code, id?, path?, message}`).
 *
 * How the answer reaches the client: it is this function's return value, which API Gateway sends
 * back on the socket as the route response. That needs the routes configured for two-way
 * communication (a route response with key `$default`; with a Lambda proxy integration API
 * Gateway then passes the returned `body` through as the message). The alternative, posting the
 * frame through the Management API's PostToConnection, costs an extra HTTPS request per command
 * (latency, a request charge, and `execute-api:ManageConnections` for this function) and gains
 * nothing, since the answer is ready when the function returns. So the infra stack must add the
 * route responses, and the local gateway must send the returned body back to the socket.
 *
 * A failure of the store (after the SDK's retries) is thrown: API Gateway answers the client with
 * its own "Internal server error" message, and resending the same command id is safe.
 */
import type { CommandErrorFrame, GameModule, RuntimeDeps } from "@ledgerquest/runtime";
import { submitCommand } from "@ledgerquest/runtime";
import { LogMessage } from "../log-queries.js";
// Alike: authorizer.ts's and audit-stream.ts's imports of the observability every handler uses.
import {
  type LambdaHandler,
  logger,
  MetricName,
  recordMetric,
  withObservability,
} from "../observability.js";
import { lazyRuntimeDeps } from "../wiring.js";
import {
  authorizedPlayerId,
  bodyText,
  jsonResponse,
  noPlayerIdentity,
  type WebSocketEvent,
  type WebSocketResponse,
} from "./websocket.js";

/** The frame that answers an accepted (or already accepted) command. */
export interface CommandAckFrame {
  readonly type: "ack";
  readonly id: string;
  /** `duplicate`: this command id was used before; the first command stands. */
  readonly result: "accepted" | "duplicate";
}

export type CommandReplyFrame = CommandAckFrame | CommandErrorFrame;

/**
 * Time kept back from the invocation's deadline: no write of the command is started after it, so
 * that every command the inbox takes is answered before Lambda (or the gateway) gives up on the
 * invocation. It covers the longest one SDK call can take: 3 attempts of at most 3 s each
 * (adapters/sdk-clients.ts) and the backoff between them.
 */
export const COMMAND_DEADLINE_MARGIN_MS = 10_000;

/**
 * Submits a frame and returns the frame that answers it. `remainingMs`: the invocation's time
 * left (`context.getRemainingTimeInMillis()`), when known.
 */
export async function handleCommandFrame(
  deps: RuntimeDeps,
  event: WebSocketEvent,
  remainingMs?: number,
): Promise<CommandReplyFrame> {
  const { connectionId } = event.requestContext;
  const playerId = authorizedPlayerId(event);
  if (playerId === undefined) {
    recordMetric(MetricName.CommandsRejected, 1);
    return noPlayerIdentity("a frame");
  }
  const result = await submitCommand(deps, {
    connectionId,
    playerId,
    body: bodyText(event),
    ...(remainingMs === undefined
      ? {}
      : { deadlineMs: deps.clock.nowMs() + remainingMs - COMMAND_DEADLINE_MARGIN_MS }),
  });
  if (result.ok) {
    logger.debug("command queued", { playerId, id: result.id, result: result.result });
    return { type: "ack", id: result.id, result: result.result };
  }
  recordMetric(MetricName.CommandsRejected, 1);
  logger.info(LogMessage.CommandRejected, {
    playerId,
    code: result.error.code,
    ...(result.error.id === undefined ? {} : { id: result.error.id }),
  });
  return result.error;
}

export async function handleCommand(
  deps: RuntimeDeps,
  event: WebSocketEvent,
  remainingMs?: number,
): Promise<WebSocketResponse> {
  return jsonResponse(200, await handleCommandFrame(deps, event, remainingMs));
}

export function createCommandHandler(
  load: () => RuntimeDeps,
): LambdaHandler<WebSocketEvent, WebSocketResponse> {
  return async (event, context) =>
    await handleCommand(load(), event, context?.getRemainingTimeInMillis());
}

/**
 * The Lambda entry point for `game`, configured from the environment (see `runtimeConfigSchema`):
 * a project's bundle calls this with the game its `ledgerquest.config.ts` names.
 */
export function lambdaHandler(game: GameModule): LambdaHandler<WebSocketEvent, WebSocketResponse> {
  return withObservability(createCommandHandler(lazyRuntimeDeps(game)));
}
