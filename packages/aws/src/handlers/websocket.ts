/**
 * What the WebSocket handlers ($connect, $disconnect, command and $default) share: the parts of
 * API Gateway's WebSocket proxy event they read, the player identity the `$connect` authorizer put
 * on the connection, and the response shape.
 */
import type { CommandErrorFrame } from "@ledgerquest/runtime";
import { logger } from "../observability.js";

/**
 * The parts of an API Gateway WebSocket proxy event (`APIGatewayProxyWebsocketEventV2`) the
 * handlers read, with the Lambda authorizer's context that API Gateway adds to every event of an
 * authorized connection. The local gateway builds events of this shape too.
 */
export interface WebSocketEvent {
  readonly requestContext: {
    readonly connectionId: string;
    readonly routeKey?: string;
    readonly requestId?: string;
    /** The `$connect` authorizer's context (`playerId`), plus API Gateway's `principalId`. */
    readonly authorizer?: Readonly<Record<string, unknown>> | null;
  };
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly multiValueQueryStringParameters?: Readonly<
    Record<string, readonly string[] | undefined>
  > | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

/** A Lambda proxy integration's answer. */
export interface WebSocketResponse {
  readonly statusCode: number;
  readonly body?: string;
}

/**
 * The player the `$connect` authorizer authenticated, or undefined when the connection carries no
 * identity (a route deployed without the authorizer). Never read from a message: a client can
 * write anything into a frame, but only the authorizer writes the request context.
 */
export function authorizedPlayerId(event: WebSocketEvent): string | undefined {
  const playerId = event.requestContext.authorizer?.playerId;
  return typeof playerId === "string" && playerId !== "" ? playerId : undefined;
}

/**
 * The answer to `what` (a frame, a query) on a connection that carries no player identity, logged
 * as the deployment fault it is.
 */
export function noPlayerIdentity(what: string): CommandErrorFrame {
  logger.error(`${what} on a connection without a player identity: is the authorizer attached?`);
  return {
    type: "error",
    code: "not_in_world",
    message: "this connection carries no player identity: reconnect",
  };
}

/**
 * Whether the `$connect` authorizer found the player in the operators' group. API Gateway hands
 * context booleans to later routes as they were, or as the string "true" (seen in its proxy
 * events), so both count.
 */
export function authorizedOperator(event: WebSocketEvent): boolean {
  const operator = event.requestContext.authorizer?.operator;
  return operator === true || operator === "true";
}

/** The message's text; a body the event marks as base64 (the integration's binary handling) is decoded. */
export function bodyText(event: WebSocketEvent): string | undefined {
  const body = event.body ?? undefined;
  if (body === undefined || event.isBase64Encoded !== true) return body;
  return Buffer.from(body, "base64").toString("utf8");
}

/** A response whose body is `payload` as JSON. */
export function jsonResponse(statusCode: number, payload: unknown): WebSocketResponse {
  return { statusCode, body: JSON.stringify(payload) };
}
