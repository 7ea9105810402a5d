/**
 * The WebSocket `query` route: read-only questions about the connection's world (its state with
 * the game's description, the latest journal entries, a verification of the ledger; for
 * operators, a replay check and the list of worlds). See docs/reference/client-protocol.md.
 *
 * Its own function, apart from `command`, so that it can be granted reads only, and so that a
 * slow question (a verification reads the whole journal) never holds up the commands' function.
 * The answer is the route response, as for commands: `{type: "result", id, query, data}` or a
 * typed error frame, always with status 200.
 */
import type {
  ClientErrorFrame,
  GameModule,
  QueryResultFrame,
  RuntimeDeps,
} from "@ledgerquest/runtime";
import { answerQuery } from "@ledgerquest/runtime";
import { type LambdaHandler, logger, withObservability } from "../observability.js";
import { lazyRuntimeDeps } from "../wiring.js";
// Alike: command.ts's import of what the WebSocket routes share.
import {
  authorizedOperator,
  authorizedPlayerId,
  bodyText,
  jsonResponse,
  noPlayerIdentity,
  type WebSocketEvent,
  type WebSocketResponse,
} from "./websocket.js";

/** Answers a query frame. */
export async function handleQueryFrame(
  deps: RuntimeDeps,
  event: WebSocketEvent,
): Promise<QueryResultFrame | ClientErrorFrame> {
  const playerId = authorizedPlayerId(event);
  if (playerId === undefined) return noPlayerIdentity("a query");
  const answer = await answerQuery(deps, {
    connectionId: event.requestContext.connectionId,
    playerId,
    operator: authorizedOperator(event),
    body: bodyText(event),
  });
  if (answer.type === "error") {
    logger.info("query refused", { playerId, code: answer.code });
  } else {
    logger.debug("query answered", { playerId, query: answer.query, id: answer.id });
  }
  return answer;
}

export async function handleQuery(
  deps: RuntimeDeps,
  event: WebSocketEvent,
): Promise<WebSocketResponse> {
  return jsonResponse(200, await handleQueryFrame(deps, event));
}

export function createQueryHandler(
  load: () => RuntimeDeps,
): LambdaHandler<WebSocketEvent, WebSocketResponse> {
  return async (event) => await handleQuery(load(), event);
}

/**
 * The Lambda entry point for `game`, configured from the environment (see `runtimeConfigSchema`):
 * a project's bundle calls this with the game its `ledgerquest.config.ts` names.
 */
export function lambdaHandler(game: GameModule): LambdaHandler<WebSocketEvent, WebSocketResponse> {
  return withObservability(createQueryHandler(lazyRuntimeDeps(game)));
}
