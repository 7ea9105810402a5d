/**
 * The WebSocket `$disconnect` route: forgets the connection. API Gateway calls it at most once and
 * on a best-effort basis (it may never come for a dropped connection), so the connection item also
 * expires by TTL, and a tick batch that finds a connection gone removes it too. Forgetting a
 * connection that is not there is a no-op, so a redelivery is harmless.
 */
import type { GameModule } from "@ledgerquest/runtime";
import { disconnect, type RuntimeDeps } from "@ledgerquest/runtime";
import { type LambdaHandler, logger, withObservability } from "../observability.js";
import { lazyRuntimeDeps } from "../wiring.js";
import type { WebSocketEvent, WebSocketResponse } from "./websocket.js";

export async function handleDisconnect(
  deps: RuntimeDeps,
  event: WebSocketEvent,
): Promise<WebSocketResponse> {
  await disconnect(deps, event.requestContext.connectionId);
  logger.info("connection closed");
  // API Gateway ignores a $disconnect's answer: the socket is already closed.
  return { statusCode: 200 };
}

// Alike: connect.ts's and query.ts's (each route's handler and entry point, named for it).
export function createDisconnectHandler(
  load: () => RuntimeDeps,
): LambdaHandler<WebSocketEvent, WebSocketResponse> {
  return async (event) => await handleDisconnect(load(), event);
}

/**
 * The Lambda entry point for `game`, configured from the environment (see `runtimeConfigSchema`):
 * a project's bundle calls this with the game its `ledgerquest.config.ts` names.
 */
export function lambdaHandler(game: GameModule): LambdaHandler<WebSocketEvent, WebSocketResponse> {
  return withObservability(createDisconnectHandler(lazyRuntimeDeps(game)));
}
