/**
 * Messages: each one to its route (`routing.ts`), the route's integration run within the
 * concurrency limit (`concurrency.ts`), and its answer sent back as API Gateway does: the route
 * response, or API Gateway's `{"message": ..., connectionId, requestId}` error frames.
 */

import { WebSocketGatewayError } from "../errors.js";
import type { InvocationSlots } from "./concurrency.js";
import type { Connection, Connections } from "./connections.js";
import type { ApiSite } from "./events.js";
import { requestStyleId } from "./ids.js";
import { type Invoker, isRecord } from "./lambda.js";
import type { CommandRouteKey, RouteSelection } from "./routing.js";
import type {
  WebSocketGatewayErrorSite,
  WebSocketGatewayHandlers,
  WebSocketRequestContext,
} from "./types.js";

/** What the message routes work with: the gateway's parts. */
export interface MessageRouterParts {
  readonly handlers: WebSocketGatewayHandlers;
  readonly routes: RouteSelection;
  readonly site: ApiSite;
  readonly invoker: Invoker;
  readonly slots: InvocationSlots;
  readonly connections: Connections;
  readonly onError: (error: unknown, site: WebSocketGatewayErrorSite) => void;
}

// Alike: handshake.ts's Admissions, in shape only (a class over the gateway's parts it is given).
export class MessageRouter {
  readonly #parts: MessageRouterParts;

  constructor(parts: MessageRouterParts) {
    this.#parts = parts;
  }

  /** Handles one message of `connection`: its route's integration, then the answer. */
  async route(connection: Connection, body: string): Promise<void> {
    const { handlers, routes, site, invoker, slots, connections, onError } = this.#parts;
    const routeKey = routes.select(body);
    const handler = handlers[routeKey];
    const requestContext: WebSocketRequestContext = {
      ...site.baseContext(connection.id, connection.connectedAtMs, connection.identity),
      routeKey,
      eventType: "MESSAGE",
      messageId: requestStyleId(),
      ...(connection.authorizer === undefined ? {} : { authorizer: connection.authorizer }),
    };
    const gatewayError = (message: string) =>
      JSON.stringify({
        message,
        connectionId: connection.id,
        requestId: requestContext.requestId,
      });
    if (handler === undefined) {
      connections.send(connection, gatewayError("Forbidden"));
      return;
    }
    if (!(await slots.take())) {
      // Lambda throttles the invocation; API Gateway answers the integration's failure. Said
      // once a second at most (with the count since): under a flood, a line per message would
      // itself be the load.
      const report = slots.throttle(routeKey);
      if (report !== undefined) onError(report, routeKey);
      connections.send(connection, gatewayError("Internal server error"));
      return;
    }
    const invocation = await invoker
      .invoke(routeKey, handler, { requestContext, body, isBase64Encoded: false })
      .finally(() => slots.release());
    if (invocation.kind === "threw") {
      onError(invocation.error, routeKey);
      connections.send(connection, gatewayError("Internal server error"));
      return;
    }
    if (invocation.kind === "timed-out") {
      onError(new WebSocketGatewayError(`${routeKey} timed out`), routeKey);
      connections.send(connection, gatewayError("Endpoint request timed out"));
      return;
    }
    this.#answer(connection, routeKey, invocation.value, gatewayError);
  }

  /** Sends what the route's Lambda proxy answer says: its body as the route response, if any. */
  #answer(
    connection: Connection,
    routeKey: "$default" | CommandRouteKey,
    result: unknown,
    gatewayError: (message: string) => string,
  ): void {
    const { connections, onError } = this.#parts;
    if (result === undefined || result === null) return;
    const responseBody = isRecord(result) ? result.body : undefined;
    if (!isRecord(result) || (responseBody !== undefined && typeof responseBody !== "string")) {
      onError(
        new WebSocketGatewayError(
          `${routeKey} returned a malformed Lambda proxy answer (want {statusCode?: number, body?: string})`,
        ),
        routeKey,
      );
      connections.send(connection, gatewayError("Internal server error"));
      return;
    }
    if (typeof responseBody !== "string") return;
    // The route response: what API Gateway sends back for a route with two-way communication.
    connections.send(
      connection,
      result.isBase64Encoded === true ? Buffer.from(responseBody, "base64") : responseBody,
    );
  }
}
