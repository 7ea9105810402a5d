/**
 * The WebSocket `$connect` route: joins the authenticated player to the world named by the `world`
 * query parameter (`wss://.../{stage}?world=w1&token=...`).
 *
 * The player comes from the `$connect` authorizer's context, never from the request. The answers
 * (a non-2xx status refuses the WebSocket handshake with that HTTP status):
 *
 * - 200: the connection is recorded in the world;
 * - 400: no `world` parameter, two different ones, or ids that are not valid;
 * - 401: the connection carries no player identity (the route was deployed without the
 *   authorizer): refusing is safer than guessing who it is;
 * - 404: there is no such world;
 * - 429: the player has as many connections to the world as the game allows
 *   (`connectionsPerPlayer`): close one first.
 *
 * The body is a JSON object (`{type: "connected", ...}` or `{type: "error", code, message}`) for
 * logs and for clients that can read a refused handshake's body.
 */
import type { GameModule } from "@ledgerquest/runtime";
import { connect, type RuntimeDeps } from "@ledgerquest/runtime";
import { type LambdaHandler, logger, withObservability } from "../observability.js";
import { lazyRuntimeDeps } from "../wiring.js";
import {
  authorizedPlayerId,
  jsonResponse,
  type WebSocketEvent,
  type WebSocketResponse,
} from "./websocket.js";

/** The query-string parameter naming the world to join. */
export const WORLD_QUERY_PARAMETER = "world";

function requestedWorld(event: WebSocketEvent): string | undefined | { readonly ambiguous: true } {
  const values = new Set(
    [
      ...(event.multiValueQueryStringParameters?.[WORLD_QUERY_PARAMETER] ?? []),
      event.queryStringParameters?.[WORLD_QUERY_PARAMETER],
    ].filter((value): value is string => value !== undefined && value !== ""),
  );
  if (values.size > 1) return { ambiguous: true };
  return values.values().next().value;
}

function refuse(statusCode: number, code: string, message: string): WebSocketResponse {
  return jsonResponse(statusCode, { type: "error", code, message });
}

/** Decides a `$connect`. */
export async function handleConnect(
  deps: RuntimeDeps,
  event: WebSocketEvent,
): Promise<WebSocketResponse> {
  const { connectionId } = event.requestContext;
  const playerId = authorizedPlayerId(event);
  if (playerId === undefined) {
    // The authorizer is the only source of identity; without it every $connect is anonymous.
    logger.error("$connect without a player identity: is the authorizer attached to the route?");
    return refuse(401, "unauthorized", "this connection carries no player identity");
  }
  const worldId = requestedWorld(event);
  if (worldId === undefined) {
    return refuse(
      400,
      "invalid_request",
      `name the world to join in the "${WORLD_QUERY_PARAMETER}" query parameter`,
    );
  }
  if (typeof worldId !== "string") {
    return refuse(
      400,
      "invalid_request",
      `the "${WORLD_QUERY_PARAMETER}" query parameter is given twice with different values`,
    );
  }
  const result = await connect(deps, { connectionId, playerId, worldId });
  if (!result.ok) {
    logger.info("connection refused", { playerId, worldId, code: result.code });
    const status =
      result.code === "unknown_world" ? 404 : result.code === "too_many_connections" ? 429 : 400;
    return refuse(status, result.code, result.message);
  }
  logger.info("player connected", {
    playerId,
    worldId,
    version: result.version,
    member: result.member,
  });
  return jsonResponse(200, {
    type: "connected",
    worldId: result.worldId,
    tick: result.tick,
    version: result.version,
    member: result.member,
  });
}

/**
 * The Lambda handler around `handleConnect`, with dependencies from `load` (kept per process).
 * Alike: disconnect.ts's and query.ts's (each route's handler and entry point, named for it).
 */
export function createConnectHandler(
  load: () => RuntimeDeps,
): LambdaHandler<WebSocketEvent, WebSocketResponse> {
  return async (event) => await handleConnect(load(), event);
}

/**
 * The Lambda entry point for `game`, configured from the environment (see `runtimeConfigSchema`):
 * a project's bundle calls this with the game its `ledgerquest.config.ts` names.
 */
export function lambdaHandler(game: GameModule): LambdaHandler<WebSocketEvent, WebSocketResponse> {
  return withObservability(createConnectHandler(lazyRuntimeDeps(game)));
}
