/**
 * The gateway's public contract: the events and context the integrations receive (API Gateway's
 * WebSocket Lambda proxy and REQUEST authorizer formats), what they answer, and the running
 * gateway's interface. Types only.
 */
import type { CommandRouteKey } from "./routing.js";

/**
 * The Lambda context handlers receive: the members Lambda's Node.js runtime always sets (those of
 * `Context` in `@types/aws-lambda` that are not optional), so that a handler written against that
 * type takes it. Defined here, not imported, because the emulators sit below the packages whose
 * handlers they run.
 */
export interface LambdaContext {
  readonly callbackWaitsForEmptyEventLoop: boolean;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  getRemainingTimeInMillis(): number;
  /** The callback style of the Node.js 0.10 runtime: the gateway runs async handlers only. */
  done(error?: Error, result?: unknown): void;
  fail(error: Error | string): void;
  succeed(messageOrObject: unknown, object?: unknown): void;
}

/**
 * An integration as Lambda runs it: an async handler of the event and the context. The project's
 * handlers (`@ledgerquest/aws`'s `LambdaHandler`) are of this shape.
 */
export type WebSocketLambdaHandler<TEvent, TResult> = (
  event: TEvent,
  context: LambdaContext,
) => Promise<TResult>;

export interface WebSocketIdentity {
  readonly sourceIp: string;
  readonly userAgent?: string;
}

/** `requestContext` of a route event, as API Gateway's WebSocket Lambda proxy integration sends it. */
export interface WebSocketRequestContext {
  readonly routeKey: string;
  readonly eventType: "CONNECT" | "MESSAGE" | "DISCONNECT";
  /** Present on MESSAGE events only. */
  readonly messageId?: string;
  readonly extendedRequestId: string;
  /** Common Log Format, e.g. `24/Nov/2026:10:00:00 +0000`. */
  readonly requestTime: string;
  readonly messageDirection: "IN";
  readonly stage: string;
  /** When the connection opened, ms since the epoch. */
  readonly connectedAt: number;
  readonly requestTimeEpoch: number;
  readonly identity: WebSocketIdentity;
  readonly requestId: string;
  readonly domainName: string;
  readonly connectionId: string;
  readonly apiId: string;
  /** The authorizer's context plus `principalId` and `integrationLatency`, on every route. */
  readonly authorizer?: Readonly<Record<string, unknown>>;
  /** DISCONNECT only: the close code. */
  readonly disconnectStatusCode?: number;
  /** DISCONNECT only. */
  readonly disconnectReason?: string;
}

export interface WebSocketRouteEvent {
  readonly requestContext: WebSocketRequestContext;
  /** CONNECT (and DISCONNECT, which repeats the handshake's). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[]>>;
  /** CONNECT, when the URL has a query string. */
  readonly queryStringParameters?: Readonly<Record<string, string>>;
  readonly multiValueQueryStringParameters?: Readonly<Record<string, readonly string[]>>;
  /** MESSAGE: the frame's text. */
  readonly body?: string;
  readonly isBase64Encoded: boolean;
}

/** What a route's Lambda proxy integration returns. */
export interface WebSocketRouteResult {
  readonly statusCode?: number;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string | number | boolean>>;
  readonly isBase64Encoded?: boolean;
}

export type WebSocketRouteHandler = WebSocketLambdaHandler<
  WebSocketRouteEvent,
  WebSocketRouteResult | undefined
>;

/** The REQUEST authorizer event of a WebSocket API's `$connect`. */
export interface WebSocketAuthorizerEvent {
  readonly type: "REQUEST";
  readonly methodArn: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly multiValueHeaders: Readonly<Record<string, readonly string[]>>;
  readonly queryStringParameters: Readonly<Record<string, string>>;
  readonly multiValueQueryStringParameters: Readonly<Record<string, readonly string[]>>;
  readonly stageVariables: Readonly<Record<string, string>>;
  readonly requestContext: WebSocketRequestContext;
}

/** A Lambda authorizer's answer (`APIGatewayAuthorizerResult` fits it); checked when it arrives. */
export interface WebSocketAuthorizerResult {
  readonly principalId: string;
  readonly policyDocument: { readonly Statement: readonly unknown[] };
  readonly context?: Readonly<Record<string, unknown>> | null;
}

export type WebSocketAuthorizerHandler = WebSocketLambdaHandler<
  WebSocketAuthorizerEvent,
  WebSocketAuthorizerResult
>;

/**
 * The integrations, by route key. A route without a handler does not exist, as in an API where it
 * was never created: no authorizer means anyone may connect; no `$default` means unrouted
 * messages are answered `Forbidden`.
 */
export type WebSocketGatewayHandlers = {
  readonly authorizer?: WebSocketAuthorizerHandler;
  readonly $connect?: WebSocketRouteHandler;
  readonly $disconnect?: WebSocketRouteHandler;
  readonly $default?: WebSocketRouteHandler;
} & { readonly [K in CommandRouteKey]?: WebSocketRouteHandler };

/** Where a failure reported to `onError` happened: an integration, or the gateway itself. */
export type WebSocketGatewayErrorSite =
  | "gateway"
  | "authorizer"
  | "$connect"
  | "$disconnect"
  | "$default"
  | CommandRouteKey;

export interface WebSocketConnectionInfo {
  readonly connectionId: string;
  readonly connectedAtMs: number;
  readonly lastActiveAtMs: number;
  readonly identity: WebSocketIdentity;
  readonly authorizer?: Readonly<Record<string, unknown>>;
}

export interface WebSocketGateway {
  /** The socket URL clients connect to: `ws://127.0.0.1:<port>/<stage>`. */
  readonly url: string;
  /** The `endpoint` for `ApiGatewayManagementApiClient`: `http://127.0.0.1:<port>/<stage>`. */
  readonly managementEndpoint: string;
  readonly port: number;
  readonly stage: string;
  readonly apiId: string;
  /** The open connections. */
  connections(): readonly WebSocketConnectionInfo[];
  /**
   * What `POST @connections/{id}` does, without the HTTP request: sends `message` to the
   * connection, or answers `gone` when it is not open. The local stack's game loop posts its
   * pushes this way (`GatewayClientPush`): through the SDK each post costs 0.4 to 0.7 ms of CPU
   * (signing, serializing, HTTP on both ends), and 200 players at 20 pushes a second would take
   * more than the whole machine. Messages over API Gateway's 128 KB limit are the caller's to
   * refuse (the HTTP route answers them 413).
   */
  postToConnection(connectionId: string, message: string): "sent" | "gone";
  /** What `DELETE @connections/{id}` does: closes the connection; `false` when it was not open. */
  deleteConnection(connectionId: string): boolean;
  /** Closes every socket (1001 "Going away"), runs their `$disconnect`s, and closes the server. */
  stop(): Promise<void>;
}
