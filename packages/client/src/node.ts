/**
 * @ledgerquest/client/node: the client with the `ws` package's WebSocket, for Node versions
 * without a global one (Node 20). `ws` is an optional peer dependency: install it to use this.
 */
import WebSocket from "ws";
import {
  type Client,
  type ClientOptions,
  connect as connectWith,
  createClient as createClientWith,
} from "./client.js";
import type { CommandMap } from "./protocol.js";
import type { WebSocketConstructor } from "./socket.js";

export * from "./index.js";

const NodeWebSocket: WebSocketConstructor = WebSocket;

/** `createClient` with `ws`'s WebSocket unless `options.WebSocket` names another. */
export function createClient<C extends CommandMap = CommandMap>(options: ClientOptions): Client<C> {
  return createClientWith<C>({ ...options, WebSocket: options.WebSocket ?? NodeWebSocket });
}

/** `connect` with `ws`'s WebSocket unless `options.WebSocket` names another. */
export function connect<C extends CommandMap = CommandMap>(
  options: ClientOptions & { readonly readyTimeoutMs?: number },
): Promise<Client<C>> {
  return connectWith<C>({ ...options, WebSocket: options.WebSocket ?? NodeWebSocket });
}
