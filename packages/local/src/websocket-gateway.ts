/**
 * The local stack's WebSocket API: API Gateway's WebSocket API on one loopback port, running the
 * project's own Lambda handlers in process, with the `@connections` management endpoint on the
 * same port so that `@aws-sdk/client-apigatewaymanagementapi` posts to it unchanged.
 *
 * What it does as API Gateway does (the AWS documentation for WebSocket APIs, its quotas page and
 * its REQUEST authorizer and Lambda proxy event formats):
 *
 * - Clients connect to `ws://127.0.0.1:<port>/<stage>`; another path is refused with 403.
 * - `$connect`: the REQUEST authorizer runs first (query string, headers, `methodArn`). It throws an
 *   error whose message is exactly `Unauthorized`: 401. It returns a policy that does not allow
 *   `execute-api:Invoke` on the method ARN (or denies it): 403. It throws anything else, returns a
 *   malformed policy, a context value that is not a string, number or boolean, or a result over
 *   8 KB: 500. On Allow, the `$connect` route runs with `requestContext.authorizer` = the policy's
 *   context plus `principalId` and `integrationLatency`, and a fresh connection id; an answer with a
 *   non-2xx `statusCode` refuses the handshake with that status and the answer's body. The socket
 *   opens only when `$connect` has succeeded, so nothing can reach the connection earlier.
 * - Messages: route selection evaluates the one-source `ROUTE_SELECTION_EXPRESSION`
 *   (`$request.body.action`) on the JSON body; a string value equal to a configured route key (one
 *   of `COMMAND_ROUTES`) picks that route, anything else (no such route, not JSON, no `action`)
 *   goes to `$default`. Every route's event carries the authorizer context of the connection.
 * - Route responses: the handler's `body` is sent back on the socket, as API Gateway does for a
 *   route with a route response (which `command.ts` expects the infra stack to configure). A
 *   handler that throws gets API Gateway's `{"message": "Internal server error", connectionId,
 *   requestId}` frame; one that takes longer than the integration timeout (29 s) gets `{"message":
 *   "Endpoint request timed out", ...}`; a message with no route and no `$default` gets
 *   `{"message": "Forbidden", ...}`.
 * - Limits: a frame over 32 KB, or a message (a frame and its continuations) over 128 KB, closes
 *   the connection with 1009 "Message too big", before any handler runs. The quotas page says
 *   exactly that ("if a larger message (or larger frame size) is received, the connection is
 *   closed with code 1009"), so the frame limit is enforced per frame, by reading each frame's
 *   header as it arrives, not per reassembled message: a 40 KB message sent as two 20 KB frames
 *   passes, as it does on AWS. A binary frame closes the connection with 1003 (AWS does not
 *   support binary frames in incoming messages). Compression (permessage-deflate) is not offered.
 * - `$disconnect` runs once per connection when it closes, whoever closes it, with
 *   `disconnectStatusCode` and `disconnectReason`. Its answer is ignored.
 * - Handlers of one connection run concurrently, as separate Lambda invocations do: API Gateway
 *   does not wait for one message's integration before invoking the next.
 * - `@connections`: `POST /{stage}/@connections/{id}` sends the body to the socket (text if it is
 *   UTF-8, else binary), `GET` answers `connectedAt`, `identity` and `lastActiveAt`, `DELETE`
 *   closes the socket (204). An unknown or closed connection is 410 `GoneException`, a body over
 *   128 KB 413 `PayloadTooLargeException`, another path or stage, or an unsigned request, 403
 *   `ForbiddenException`: the error type travels in `x-amzn-errortype`, where the SDK reads it.
 *
 * What it does not do: verify SigV4 signatures (it only requires one, the local credentials are
 * dummies), TLS, throttling, the 2-hour connection limit and 10-minute idle timeout, authorizer
 * result caching, identity sources (API Gateway answers 401 without calling the authorizer when a
 * configured identity source is missing; here the authorizer always runs and decides), API keys,
 * request validation and mapping templates (only Lambda proxy integrations exist here).
 */
import { randomBytes, randomUUID } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { LambdaHandler } from "@ledgerquest/aws";
import { LOCAL_ACCOUNT, LOCAL_REGION } from "@ledgerquest/emulators/protocol";
import {
  API_GATEWAY_INTEGRATION_TIMEOUT_MS,
  COMMAND_ROUTES,
  QUERY_ROUTE,
  ROUTE_SELECTION_EXPRESSION,
} from "@ledgerquest/runtime";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import type { UsageMeter } from "./usage.js";

export class WebSocketGatewayError extends Error {
  override readonly name = "WebSocketGatewayError";
}

/** API Gateway's WebSocket frame size quota (not adjustable). */
export const API_GATEWAY_MAX_FRAME_BYTES = 32 * 1024;
/** API Gateway's message payload size quota, for incoming messages and `@connections` posts. */
export const API_GATEWAY_MAX_MESSAGE_BYTES = 128 * 1024;
/** API Gateway's limit on a Lambda authorizer's result. */
export const API_GATEWAY_MAX_AUTHORIZER_RESULT_BYTES = 8 * 1024;

export const DEFAULT_STAGE = "local";

/** The Lambda context handlers receive. */
export type LambdaContext = Parameters<LambdaHandler<unknown, unknown>>[1];

/** A custom route of the API: one per action, from the one-source definitions. */
export type CommandRouteKey = (typeof COMMAND_ROUTES)[number] | typeof QUERY_ROUTE;

/** Every custom route, as the ApiStack deploys them. */
const CUSTOM_ROUTES: readonly CommandRouteKey[] = [...COMMAND_ROUTES, QUERY_ROUTE];

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

export type WebSocketRouteHandler = LambdaHandler<
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

export type WebSocketAuthorizerHandler = LambdaHandler<
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

export interface WebSocketGatewayOptions {
  readonly handlers: WebSocketGatewayHandlers;
  /** Port on 127.0.0.1; default: a free one. */
  readonly port?: number;
  /** The stage: the first path segment of the socket URL and of `@connections`. Default `local`. */
  readonly stage?: string;
  readonly region?: string;
  readonly accountId?: string;
  /** The API id in events and ARNs; default: 10 random characters, as AWS's. */
  readonly apiId?: string;
  /** Default 29 s, API Gateway's. */
  readonly integrationTimeoutMs?: number;
  /**
   * Called with what API Gateway would write to its logs or CloudWatch: a handler that threw or
   * timed out, a malformed answer. Default: `console.error`.
   */
  readonly onError?: (error: unknown, site: WebSocketGatewayErrorSite) => void;
  /** Counts messages (32 KB units) and connection time, as API Gateway bills them (`usage.ts`). */
  readonly usage?: UsageMeter;
  /**
   * Message-route invocations in flight at most, as a Lambda function's concurrency limit.
   * Messages beyond it wait their turn, up to `messageQueueMax` of them and `messageQueueWaitMsMax`
   * each; a message that cannot wait is throttled, and its sender gets API Gateway's
   * `Internal server error` frame (clients send it again later). Without a bound an overloaded
   * machine queues every message until every one times out. Default 64.
   */
  readonly messageConcurrencyMax?: number;
  /** Messages waiting for an invocation at most. Default 4,096. */
  readonly messageQueueMax?: number;
  /** How long a message may wait for an invocation. Default 2,000 ms. */
  readonly messageQueueWaitMsMax?: number;
}

/** See `WebSocketGatewayOptions.messageConcurrencyMax`. */
export const DEFAULT_MESSAGE_CONCURRENCY_MAX = 64;
const DEFAULT_MESSAGE_QUEUE_MAX = 4096;
const DEFAULT_MESSAGE_QUEUE_WAIT_MS_MAX = 2000;

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

// ---------------------------------------------------------------------------------------------
// Ids, times and events

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * An id of the form API Gateway gives connections and requests (`L0SM9cOFvHcCIhw=`): 15
 * characters and a trailing `=`, which makes callers percent-encode it in URLs, as they must on
 * AWS. Letters and digits only, the characters of AWS's documented examples.
 */
function awsStyleId(): string {
  return `${Array.from(randomBytes(15), (byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join("")}=`;
}

/** This process's prefix for request and message ids (see `requestStyleId`). */
const REQUEST_ID_PREFIX = Array.from(
  randomBytes(7),
  (byte) => ID_ALPHABET[byte % ID_ALPHABET.length],
).join("");
let requestIdsIssued = 0;

/**
 * A request or message id of `awsStyleId`'s form that needs only to be unique, not unguessable:
 * this process's random prefix and a counter. A connection id stays random (it is what lets a
 * caller post to the connection); two calls of `randomBytes` per frame were 5% of the gateway's
 * CPU under load.
 */
function requestStyleId(): string {
  requestIdsIssued++;
  let n = requestIdsIssued;
  let digits = "";
  for (let i = 0; i < 8; i++) {
    digits = ID_ALPHABET[n % ID_ALPHABET.length] + digits;
    n = Math.floor(n / ID_ALPHABET.length);
  }
  return `${REQUEST_ID_PREFIX}${digits}=`;
}

function randomApiId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(10), (byte) => alphabet[byte % alphabet.length]).join("");
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `requestTime`'s format, the Common Log Format's. */
function commonLogTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

interface ParameterMaps {
  readonly single: Record<string, string>;
  readonly multi: Record<string, string[]>;
}

function parameterMaps(pairs: Iterable<readonly [string, string]>): ParameterMaps {
  // Names are the client's: a Map, then own properties, so `constructor` or `__proto__` is a name
  // like any other rather than a prototype's member.
  const single = new Map<string, string>();
  const multi = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    // The single-value map holds the last value, as API Gateway's does.
    single.set(name, value);
    const values = multi.get(name);
    if (values === undefined) multi.set(name, [value]);
    else values.push(value);
  }
  return { single: Object.fromEntries(single), multi: Object.fromEntries(multi) };
}

function headerPairs(rawHeaders: readonly string[]): Array<readonly [string, string]> {
  const pairs: Array<readonly [string, string]> = [];
  // rawHeaders keeps the client's spelling of names, which API Gateway passes on unchanged.
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    pairs.push([rawHeaders[i] as string, rawHeaders[i + 1] as string]);
  }
  return pairs;
}

function lambdaContext(
  functionName: string,
  timeoutMs: number,
  region: string,
  accountId: string,
): LambdaContext {
  const deadlineMs = Date.now() + timeoutMs;
  const callbackStyle = (name: string) => (): never => {
    throw new WebSocketGatewayError(
      `context.${name}() is not supported by the local gateway: return or throw from an async handler`,
    );
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: "128",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    done: callbackStyle("done"),
    fail: callbackStyle("fail"),
    succeed: callbackStyle("succeed"),
  };
}

// ---------------------------------------------------------------------------------------------
// Route selection

/** The JSON path that `$request.body.<path>` names. */
function selectionPath(expression: string): readonly string[] {
  const match = /^\$request\.body\.([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)$/.exec(expression);
  if (match?.[1] === undefined) {
    throw new WebSocketGatewayError(
      `the local gateway supports route selection expressions of the form $request.body.<field>, got ${JSON.stringify(expression)}`,
    );
  }
  return match[1].split(".");
}

/** The value the selection expression yields on `body`, if it is a string. */
function selectedValue(path: readonly string[], body: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  for (const key of path) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === "string" ? value : undefined;
}

// ---------------------------------------------------------------------------------------------
// Authorizer policies

type PolicyDecision =
  | {
      readonly effect: "allow" | "deny";
      readonly principalId: string;
      readonly context: Readonly<Record<string, string | number | boolean>>;
    }
  | { readonly problem: string };

function globMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/-]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

function stringList(value: unknown): readonly string[] | undefined {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
  return undefined;
}

/** IAM's evaluation, for the one action and resource that matter: an explicit Deny wins. */
function evaluatePolicy(result: unknown, methodArn: string): PolicyDecision {
  if (typeof result !== "object" || result === null) {
    return { problem: "the authorizer returned no policy object" };
  }
  const { principalId, policyDocument, context } = result as Record<string, unknown>;
  if (typeof principalId !== "string" || principalId === "") {
    return { problem: "the authorizer's answer has no principalId" };
  }
  if (typeof policyDocument !== "object" || policyDocument === null) {
    return { problem: "the authorizer's answer has no policyDocument" };
  }
  const rawStatements = (policyDocument as Record<string, unknown>).Statement;
  const statements = Array.isArray(rawStatements) ? rawStatements : [rawStatements];
  let allowed = false;
  for (const statement of statements) {
    if (typeof statement !== "object" || statement === null) {
      return { problem: "a policy statement is not an object" };
    }
    const { Effect, Action, Resource } = statement as Record<string, unknown>;
    const actions = stringList(Action);
    const resources = stringList(Resource);
    if ((Effect !== "Allow" && Effect !== "Deny") || actions === undefined || !resources) {
      return { problem: "a policy statement lacks a valid Effect, Action or Resource" };
    }
    const applies =
      actions.some((action) => globMatches(action, "execute-api:Invoke", true)) &&
      resources.some((resource) => globMatches(resource, methodArn, false));
    if (applies && Effect === "Deny") return { effect: "deny", principalId, context: {} };
    if (applies) allowed = true;
  }
  const checked: Record<string, string | number | boolean> = {};
  if (context !== undefined && context !== null) {
    if (typeof context !== "object" || Array.isArray(context)) {
      return { problem: "the authorizer's context is not an object" };
    }
    for (const [key, value] of Object.entries(context)) {
      if (value === null || value === undefined) continue;
      if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
        // API Gateway refuses such a context with a 500 (AuthorizerConfigurationException).
        return { problem: `the authorizer's context.${key} is not a string, number or boolean` };
      }
      checked[key] = value;
    }
  }
  return { effect: allowed ? "allow" : "deny", principalId, context: checked };
}

// ---------------------------------------------------------------------------------------------
// Frame sizes

/**
 * Reads the header of every WebSocket frame a client sends, without keeping any payload, and
 * reports the first data frame over `maxFrameBytes` or the first message (a frame and its
 * continuations) over `maxMessageBytes`. `ws` knows only reassembled messages, and API Gateway's
 * 32 KB quota is per frame.
 */
class FrameSizeGuard {
  readonly #header = Buffer.alloc(14);
  #headerBytes = 0;
  #payloadRemaining = 0;
  #messageBytes = 0;
  #tripped = false;

  constructor(
    readonly maxFrameBytes: number,
    readonly maxMessageBytes: number,
    readonly onOversize: () => void,
  ) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && !this.#tripped) {
      if (this.#payloadRemaining > 0) {
        const skipped = Math.min(this.#payloadRemaining, chunk.length - offset);
        this.#payloadRemaining -= skipped;
        offset += skipped;
        continue;
      }
      this.#header[this.#headerBytes++] = chunk[offset++] as number;
      if (this.#headerBytes < 2) continue;
      const second = this.#header[1] as number;
      const lengthCode = second & 0x7f;
      const needed =
        2 + (lengthCode === 126 ? 2 : lengthCode === 127 ? 8 : 0) + (second & 0x80 ? 4 : 0);
      if (this.#headerBytes < needed) continue;
      this.#frame(
        lengthCode === 126
          ? this.#header.readUInt16BE(2)
          : lengthCode === 127
            ? Number(this.#header.readBigUInt64BE(2))
            : lengthCode,
      );
      this.#headerBytes = 0;
    }
  }

  #frame(payloadBytes: number): void {
    const first = this.#header[0] as number;
    const opcode = first & 0x0f;
    const final = (first & 0x80) !== 0;
    // Control frames (close, ping, pong) may sit between a message's frames and are tiny.
    if (opcode < 0x8) {
      this.#messageBytes += payloadBytes;
      if (payloadBytes > this.maxFrameBytes || this.#messageBytes > this.maxMessageBytes) {
        this.#tripped = true;
        this.onOversize();
        return;
      }
      if (final) this.#messageBytes = 0;
    }
    this.#payloadRemaining = payloadBytes;
  }
}

// ---------------------------------------------------------------------------------------------
// The gateway

interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly connectedAtMs: number;
  lastActiveAtMs: number;
  readonly identity: WebSocketIdentity;
  readonly authorizer?: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly multiValueHeaders: Readonly<Record<string, readonly string[]>>;
  /** Set once the connection broke a rule: its remaining frames are dropped. */
  refused: boolean;
  readonly closed: Promise<void>;
}

/** What `$connect` decided, before the socket exists. */
type Admission =
  | {
      readonly admitted: true;
      readonly authorizer?: Readonly<Record<string, unknown>>;
      readonly protocol?: string;
    }
  | {
      readonly admitted: false;
      readonly status: number;
      readonly body: string;
    };

/** What the handshake's checks see of the request. */
interface Handshake {
  readonly connectionId: string;
  readonly connectedAtMs: number;
  readonly identity: WebSocketIdentity;
  readonly headers: ParameterMaps;
  readonly query: ParameterMaps;
}

/** A handshake refused with API Gateway's `{"message": ...}` body. */
function refusal(status: number, message: string | null): Admission {
  return { admitted: false, status, body: JSON.stringify({ message }) };
}

/** A handshake admitted, with the authorizer's context and `$connect`'s subprotocol if any. */
function admission(
  authorizer: Readonly<Record<string, unknown>> | undefined,
  protocol?: string,
): Admission {
  return {
    admitted: true,
    ...(authorizer === undefined ? {} : { authorizer }),
    ...(protocol === undefined ? {} : { protocol }),
  };
}

type Invocation<T> =
  | { readonly kind: "returned"; readonly value: T }
  | { readonly kind: "threw"; readonly error: unknown }
  | { readonly kind: "timed-out" };

const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;
const MANAGEMENT_ROUTE = /^\/(?<stage>[^/]+)\/@connections\/(?<id>[^/]+)$/;
const SIGV4 = /^AWS4-HMAC-SHA256 /;
/** How long a closing socket may take to answer the close handshake when the gateway stops. */
const STOP_CLOSE_GRACE_MS = 1_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function rawDataBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function describeClose(code: number): string {
  switch (code) {
    case 1000:
      return "Connection closed normally";
    case 1001:
      return "Going away";
    case 1005:
      return "Client-side close frame status not set";
    case 1006:
      return "Connection closed abnormally";
    default:
      return `Connection closed with code ${code}`;
  }
}

/** Refuses a WebSocket handshake with a plain HTTP answer, as API Gateway does. */
function refuseHandshake(socket: Duplex, status: number, body: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\n` +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
  );
}

function sendRestJsonError(
  response: ServerResponse,
  status: number,
  errorType: string,
  message: string,
): void {
  const body = JSON.stringify({ message });
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    // The SDK's REST-JSON protocol takes the error's name from this header.
    "x-amzn-errortype": errorType,
  });
  response.end(body);
}

class Gateway implements WebSocketGateway {
  readonly url: string;
  readonly managementEndpoint: string;
  readonly port: number;
  readonly stage: string;
  readonly apiId: string;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #handlers: WebSocketGatewayHandlers;
  readonly #routes: ReadonlySet<string>;
  readonly #selectionPath: readonly string[];
  readonly #region: string;
  readonly #accountId: string;
  readonly #timeoutMs: number;
  readonly #messageConcurrencyMax: number;
  #messagesInFlight = 0;
  #throttled = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #messageQueueMax: number;
  readonly #messageQueueWaitMsMax: number;
  #throttleReportedMs = Number.NEGATIVE_INFINITY;
  readonly #onError: (error: unknown, site: WebSocketGatewayErrorSite) => void;
  readonly #usage: UsageMeter | undefined;
  readonly #connections = new Map<string, Connection>();
  /** Handler invocations under way, so that `stop` lets them finish. */
  readonly #inflight = new Set<Promise<unknown>>();
  /** The subprotocol `$connect` chose, per handshake, for `handleProtocols`. */
  readonly #protocols = new WeakMap<IncomingMessage, string>();
  #stopping: Promise<void> | undefined;

  constructor(server: Server, options: WebSocketGatewayOptions, stage: string, port: number) {
    this.#server = server;
    this.#handlers = options.handlers;
    this.#routes = new Set(CUSTOM_ROUTES.filter((route) => options.handlers[route] !== undefined));
    this.#selectionPath = selectionPath(ROUTE_SELECTION_EXPRESSION);
    this.#region = options.region ?? LOCAL_REGION;
    this.#accountId = options.accountId ?? LOCAL_ACCOUNT;
    this.#timeoutMs = options.integrationTimeoutMs ?? API_GATEWAY_INTEGRATION_TIMEOUT_MS;
    this.#messageConcurrencyMax = options.messageConcurrencyMax ?? DEFAULT_MESSAGE_CONCURRENCY_MAX;
    this.#messageQueueMax = options.messageQueueMax ?? DEFAULT_MESSAGE_QUEUE_MAX;
    this.#messageQueueWaitMsMax =
      options.messageQueueWaitMsMax ?? DEFAULT_MESSAGE_QUEUE_WAIT_MS_MAX;
    this.#usage = options.usage;
    this.#onError =
      options.onError ??
      ((error, site) => console.error(`[websocket-gateway] ${site} failed:`, error));
    this.stage = stage;
    this.port = port;
    this.apiId = options.apiId ?? randomApiId();
    this.url = `ws://127.0.0.1:${port}/${stage}`;
    this.managementEndpoint = `http://127.0.0.1:${port}/${stage}`;
    this.#wss = new WebSocketServer({
      noServer: true,
      // The guard enforces the limits first, with API Gateway's close reason; this is a backstop
      // that also keeps ws from buffering a huge message.
      maxPayload: API_GATEWAY_MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      // API Gateway answers a requested subprotocol only when `$connect` returned one.
      handleProtocols: (_offered, request) => this.#protocols.get(request) ?? false,
    });
    server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#upgrade(request, socket, head).catch((error: unknown) => {
        this.#onError(error, "gateway");
        socket.destroy();
      });
    });
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      void this.#manage(request, response).catch((error: unknown) => {
        if (!response.headersSent) {
          sendRestJsonError(response, 500, "InternalServerErrorException", "Internal server error");
        } else {
          response.destroy(error instanceof Error ? error : undefined);
        }
      });
    });
  }

  connections(): readonly WebSocketConnectionInfo[] {
    return [...this.#connections.values()].map((c) => ({
      connectionId: c.id,
      connectedAtMs: c.connectedAtMs,
      lastActiveAtMs: c.lastActiveAtMs,
      identity: c.identity,
      ...(c.authorizer === undefined ? {} : { authorizer: c.authorizer }),
    }));
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const closing = [...this.#connections.values()].map((connection) => {
      connection.socket.close(1001, "Going away");
      // A client that never answers the close handshake must not hold the shutdown.
      const timer = setTimeout(() => connection.socket.terminate(), STOP_CLOSE_GRACE_MS);
      return connection.closed.finally(() => clearTimeout(timer));
    });
    await Promise.all(closing);
    // Each close queued its `$disconnect`; wait for them and for messages still being handled.
    await Promise.allSettled([...this.#inflight]);
    this.#wss.close();
    await new Promise<void>((resolve, reject) => {
      this.#server.close((error) => (error ? reject(error) : resolve()));
      this.#server.closeAllConnections();
    });
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inflight.add(promise);
    void promise.finally(() => this.#inflight.delete(promise)).catch(() => {});
    return promise;
  }

  /** Runs a handler as Lambda would: with a context, a timeout, and its failure captured. */
  async #invoke<E, R>(
    site: WebSocketGatewayErrorSite,
    handler: LambdaHandler<E, R>,
    event: E,
  ): Promise<Invocation<R>> {
    const functionName = `ledgerquest-local-${site.replace("$", "")}`;
    const context = lambdaContext(functionName, this.#timeoutMs, this.#region, this.#accountId);
    const run = this.#track(
      (async (): Promise<Invocation<R>> => {
        try {
          return { kind: "returned", value: await handler(event, context) };
        } catch (error) {
          return { kind: "threw", error };
        }
      })(),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Invocation<R>>((resolve) => {
      timer = setTimeout(() => resolve({ kind: "timed-out" }), this.#timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #methodArn(routeKey: string): string {
    return `arn:aws:execute-api:${this.#region}:${this.#accountId}:${this.apiId}/${this.stage}/${routeKey}`;
  }

  #domainName(): string {
    // Where this API answers, as API Gateway's domainName is where it does; with the port, so that
    // `http://${domainName}/${stage}` reaches the @connections endpoint.
    return `127.0.0.1:${this.port}`;
  }

  #baseContext(
    connectionId: string,
    connectedAtMs: number,
    identity: WebSocketIdentity,
  ): Omit<WebSocketRequestContext, "routeKey" | "eventType"> {
    const nowMs = Date.now();
    const requestId = requestStyleId();
    return {
      extendedRequestId: requestId,
      requestTime: commonLogTime(nowMs),
      messageDirection: "IN",
      stage: this.stage,
      connectedAt: connectedAtMs,
      requestTimeEpoch: nowMs,
      identity,
      requestId,
      domainName: this.#domainName(),
      connectionId,
      apiId: this.apiId,
    };
  }

  // -------------------------------------------------------------------------------------------
  // $connect

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // Until ws takes the socket over, a client that vanishes must not crash the process.
    socket.on("error", () => {});
    if (this.#stopping !== undefined) {
      refuseHandshake(socket, 503, JSON.stringify({ message: "Service Unavailable" }));
      return;
    }
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== `/${this.stage}` && url.pathname !== `/${this.stage}/`) {
      refuseHandshake(socket, 403, JSON.stringify({ message: "Forbidden" }));
      return;
    }
    // ws checks these too, but only after the handlers ran: check first so that a broken
    // handshake never reaches the authorizer or `$connect`.
    if (
      request.headers.upgrade?.toLowerCase() !== "websocket" ||
      request.headers["sec-websocket-version"] !== "13" ||
      !WEBSOCKET_KEY.test(request.headers["sec-websocket-key"] ?? "")
    ) {
      refuseHandshake(socket, 400, JSON.stringify({ message: "Bad Request" }));
      return;
    }

    const connectionId = awsStyleId();
    const connectedAtMs = Date.now();
    const sourceIp = request.socket.remoteAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1";
    const userAgent = request.headers["user-agent"];
    const identity: WebSocketIdentity = {
      sourceIp,
      ...(userAgent === undefined ? {} : { userAgent }),
    };
    const headers = parameterMaps([
      ...headerPairs(request.rawHeaders),
      // API Gateway adds these for the integration; values from the client are not trusted.
      ["X-Forwarded-For", sourceIp],
      ["X-Forwarded-Port", String(this.port)],
      ["X-Forwarded-Proto", "http"],
    ]);
    const query = parameterMaps(url.searchParams);
    const admission = await this.#admit(connectionId, connectedAtMs, identity, headers, query);
    if (!admission.admitted) {
      refuseHandshake(socket, admission.status, admission.body);
      return;
    }
    const connection = {
      id: connectionId,
      connectedAtMs,
      identity,
      headers: headers.single,
      multiValueHeaders: headers.multi,
      ...(admission.authorizer === undefined ? {} : { authorizer: admission.authorizer }),
    };
    if (admission.protocol !== undefined) this.#protocols.set(request, admission.protocol);
    let opened = false;
    if (socket.writable && !socket.destroyed && this.#stopping === undefined) {
      this.#wss.handleUpgrade(request, socket, head, (ws) => {
        opened = true;
        this.#open(ws, socket, connection);
      });
    }
    if (!opened) {
      socket.destroy();
      // `$connect` recorded the connection, and only `$disconnect` will forget it.
      this.#disconnect(connection, 1006, "Client went away during the handshake").catch(
        (error: unknown) => this.#onError(error, "gateway"),
      );
    }
  }

  /** The handshake's checks, in API Gateway's order: the authorizer and its policy, `$connect`. */
  async #admit(
    connectionId: string,
    connectedAtMs: number,
    identity: WebSocketIdentity,
    headers: ParameterMaps,
    query: ParameterMaps,
  ): Promise<Admission> {
    const handshake: Handshake = { connectionId, connectedAtMs, identity, headers, query };
    const authorized = await this.#authorize(handshake);
    if (!authorized.admitted) return authorized;
    return await this.#connect(handshake, authorized.authorizer);
  }

  /**
   * The REQUEST authorizer, when there is one: a refusal, or an admission that carries what every
   * route will see as `requestContext.authorizer`.
   */
  async #authorize(handshake: Handshake): Promise<Admission> {
    const handler = this.#handlers.authorizer;
    if (handler === undefined) return { admitted: true };
    const startedMs = Date.now();
    const methodArn = this.#methodArn("$connect");
    const invocation = await this.#invoke("authorizer", handler, {
      type: "REQUEST",
      methodArn,
      headers: handshake.headers.single,
      multiValueHeaders: handshake.headers.multi,
      queryStringParameters: handshake.query.single,
      multiValueQueryStringParameters: handshake.query.multi,
      stageVariables: {},
      requestContext: {
        ...this.#baseContext(handshake.connectionId, handshake.connectedAtMs, handshake.identity),
        routeKey: "$connect",
        eventType: "CONNECT",
      },
    });
    const integrationLatency = Date.now() - startedMs;
    if (invocation.kind === "threw") {
      // The one error API Gateway turns into a 401; the Lambda error message is all it sees.
      if (invocation.error instanceof Error && invocation.error.message === "Unauthorized") {
        return refusal(401, "Unauthorized");
      }
      this.#onError(invocation.error, "authorizer");
      return refusal(500, null);
    }
    if (invocation.kind === "timed-out") {
      this.#onError(new WebSocketGatewayError("the authorizer timed out"), "authorizer");
      return refusal(500, null);
    }
    return this.#applyPolicy(invocation.value, methodArn, integrationLatency);
  }

  /** IAM's evaluation of the authorizer's answer, once it is within API Gateway's size limit. */
  #applyPolicy(
    result: WebSocketAuthorizerResult,
    methodArn: string,
    integrationLatency: number,
  ): Admission {
    const resultBytes = Buffer.byteLength(JSON.stringify(result) ?? "");
    const decision: PolicyDecision =
      resultBytes > API_GATEWAY_MAX_AUTHORIZER_RESULT_BYTES
        ? {
            problem: `the authorizer's answer is ${resultBytes} bytes, over API Gateway's ${API_GATEWAY_MAX_AUTHORIZER_RESULT_BYTES}`,
          }
        : evaluatePolicy(result, methodArn);
    if ("problem" in decision) {
      this.#onError(new WebSocketGatewayError(decision.problem), "authorizer");
      return refusal(500, null);
    }
    if (decision.effect === "deny") return refusal(403, "Forbidden");
    return {
      admitted: true,
      authorizer: { ...decision.context, principalId: decision.principalId, integrationLatency },
    };
  }

  /** `$connect`, when there is one: a refusal, or the admission with its chosen subprotocol. */
  async #connect(
    handshake: Handshake,
    authorizer: Readonly<Record<string, unknown>> | undefined,
  ): Promise<Admission> {
    const handler = this.#handlers.$connect;
    if (handler === undefined) return admission(authorizer);
    const { headers, query } = handshake;
    const hasQuery = Object.keys(query.single).length > 0;
    const invocation = await this.#invoke("$connect", handler, {
      requestContext: {
        ...this.#baseContext(handshake.connectionId, handshake.connectedAtMs, handshake.identity),
        routeKey: "$connect",
        eventType: "CONNECT",
        ...(authorizer === undefined ? {} : { authorizer }),
      },
      headers: headers.single,
      multiValueHeaders: headers.multi,
      ...(hasQuery
        ? {
            queryStringParameters: query.single,
            multiValueQueryStringParameters: query.multi,
          }
        : {}),
      isBase64Encoded: false,
    });
    if (invocation.kind === "threw") {
      this.#onError(invocation.error, "$connect");
      return refusal(500, "Internal server error");
    }
    if (invocation.kind === "timed-out") {
      this.#onError(new WebSocketGatewayError("$connect timed out"), "$connect");
      return refusal(504, "Endpoint request timed out");
    }
    return this.#connectAnswer(invocation.value, authorizer);
  }

  /** What `$connect`'s Lambda proxy answer decides: its status, its body, its subprotocol. */
  #connectAnswer(
    result: unknown,
    authorizer: Readonly<Record<string, unknown>> | undefined,
  ): Admission {
    // No answer at all counts as success, as a Lambda proxy integration without a status does.
    if (result === undefined || result === null) return admission(authorizer);
    const answer = isRecord(result) ? result : {};
    const statusCode = answer.statusCode ?? 200;
    const body = answer.body ?? "";
    if (
      !isRecord(result) ||
      typeof statusCode !== "number" ||
      !Number.isInteger(statusCode) ||
      statusCode < 100 ||
      statusCode > 599 ||
      typeof body !== "string"
    ) {
      this.#onError(
        new WebSocketGatewayError(
          "$connect returned a malformed Lambda proxy answer (want {statusCode?: number, body?: string})",
        ),
        "$connect",
      );
      return refusal(502, "Internal server error");
    }
    if (statusCode < 200 || statusCode > 299) {
      return { admitted: false, status: statusCode, body };
    }
    const headersOut = isRecord(answer.headers) ? answer.headers : {};
    const protocolHeader = Object.entries(headersOut).find(
      ([name]) => name.toLowerCase() === "sec-websocket-protocol",
    )?.[1];
    return admission(authorizer, protocolHeader === undefined ? undefined : String(protocolHeader));
  }

  #open(
    ws: WebSocket,
    socket: Duplex,
    base: Omit<Connection, "socket" | "lastActiveAtMs" | "refused" | "closed">,
  ): void {
    const connection: Connection = {
      ...base,
      socket: ws,
      lastActiveAtMs: base.connectedAtMs,
      refused: false,
      closed: new Promise<void>((resolve) => ws.once("close", () => resolve())),
    };
    this.#connections.set(connection.id, connection);
    this.#usage?.connectionOpened(connection.id);

    const guard = new FrameSizeGuard(
      API_GATEWAY_MAX_FRAME_BYTES,
      API_GATEWAY_MAX_MESSAGE_BYTES,
      () => this.#refuse(connection, 1009, "Message too big"),
    );
    // Before ws's own listener, so that an oversized frame is refused before ws can deliver it.
    socket.prependListener("data", (chunk: Buffer) => guard.push(chunk));

    ws.on("message", (data: RawData, isBinary: boolean) => {
      if (connection.refused) return;
      if (isBinary) {
        this.#refuse(connection, 1003, "Binary frames are not supported");
        return;
      }
      connection.lastActiveAtMs = Date.now();
      const bytes = rawDataBuffer(data);
      this.#usage?.webSocketMessage("in", bytes.length);
      this.#message(connection, bytes.toString("utf8")).catch((error: unknown) =>
        this.#onError(error, "gateway"),
      );
    });
    // Protocol errors (bad UTF-8, a message over ws's limit) are the client's; ws closes the
    // connection itself with the right code, and the close handler below runs `$disconnect`.
    ws.on("error", () => {});
    ws.on("close", (code: number, reason: Buffer) => {
      this.#connections.delete(connection.id);
      this.#usage?.connectionClosed(connection.id);
      this.#disconnect(connection, code, reason.toString("utf8") || describeClose(code)).catch(
        (error: unknown) => this.#onError(error, "gateway"),
      );
    });
  }

  #refuse(connection: Connection, code: number, reason: string): void {
    connection.refused = true;
    connection.socket.close(code, reason);
  }

  // -------------------------------------------------------------------------------------------
  // Messages

  /** Sends a route's answer (`reply`) or an `@connections` post (`push`). */
  #send(connection: Connection, data: string | Buffer, kind: "reply" | "push" = "reply"): void {
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    this.#usage?.webSocketMessage(
      kind,
      typeof data === "string" ? Buffer.byteLength(data, "utf8") : data.length,
    );
    connection.socket.send(data);
  }

  async #message(connection: Connection, body: string): Promise<void> {
    const selected = selectedValue(this.#selectionPath, body);
    const routeKey: "$default" | CommandRouteKey =
      selected !== undefined && this.#routes.has(selected)
        ? (selected as CommandRouteKey)
        : "$default";
    const handler = this.#handlers[routeKey];
    const requestContext: WebSocketRequestContext = {
      ...this.#baseContext(connection.id, connection.connectedAtMs, connection.identity),
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
      this.#send(connection, gatewayError("Forbidden"));
      return;
    }
    if (!(await this.#invocationSlot())) {
      // Lambda throttles the invocation; API Gateway answers the integration's failure. Said
      // once a second at most (with the count since): under a flood, a line per message would
      // itself be the load.
      this.#throttled++;
      const nowMs = Date.now();
      if (nowMs - this.#throttleReportedMs >= 1000) {
        this.#throttleReportedMs = nowMs;
        this.#onError(
          new WebSocketGatewayError(
            `${routeKey} throttled: ${this.#messagesInFlight} invocations in flight (${this.#throttled} throttled so far)`,
          ),
          routeKey,
        );
      }
      this.#send(connection, gatewayError("Internal server error"));
      return;
    }
    const invocation = await this.#invoke(routeKey, handler, {
      requestContext,
      body,
      isBase64Encoded: false,
    }).finally(() => this.#releaseSlot());
    if (invocation.kind === "threw") {
      this.#onError(invocation.error, routeKey);
      this.#send(connection, gatewayError("Internal server error"));
      return;
    }
    if (invocation.kind === "timed-out") {
      this.#onError(new WebSocketGatewayError(`${routeKey} timed out`), routeKey);
      this.#send(connection, gatewayError("Endpoint request timed out"));
      return;
    }
    const result: unknown = invocation.value;
    if (result === undefined || result === null) return;
    const responseBody = isRecord(result) ? result.body : undefined;
    if (!isRecord(result) || (responseBody !== undefined && typeof responseBody !== "string")) {
      this.#onError(
        new WebSocketGatewayError(
          `${routeKey} returned a malformed Lambda proxy answer (want {statusCode?: number, body?: string})`,
        ),
        routeKey,
      );
      this.#send(connection, gatewayError("Internal server error"));
      return;
    }
    if (typeof responseBody !== "string") return;
    // The route response: what API Gateway sends back for a route with two-way communication.
    this.#send(
      connection,
      result.isBase64Encoded === true ? Buffer.from(responseBody, "base64") : responseBody,
    );
  }

  /**
   * Takes an invocation slot, waiting in line if all are taken; false when the line is full or
   * the wait outlasts `messageQueueWaitMsMax` (the message is then throttled).
   */
  async #invocationSlot(): Promise<boolean> {
    if (this.#messagesInFlight < this.#messageConcurrencyMax && this.#waiting.length === 0) {
      this.#messagesInFlight++;
      return true;
    }
    if (this.#waiting.length >= this.#messageQueueMax) return false;
    // The slot is handed over by `#releaseSlot`; a message still waiting when its time is up
    // leaves the line and is throttled rather than run for a client that has likely given up.
    return await new Promise<boolean>((resolve) => {
      const turn = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const at = this.#waiting.indexOf(turn);
        if (at >= 0) this.#waiting.splice(at, 1);
        resolve(false);
      }, this.#messageQueueWaitMsMax);
      this.#waiting.push(turn);
    });
  }

  #releaseSlot(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#messagesInFlight--;
  }

  async #disconnect(
    connection: Omit<Connection, "socket" | "lastActiveAtMs" | "refused" | "closed">,
    code: number,
    reason: string,
  ): Promise<void> {
    const handler = this.#handlers.$disconnect;
    if (handler === undefined) return;
    const invocation = await this.#invoke("$disconnect", handler, {
      requestContext: {
        ...this.#baseContext(connection.id, connection.connectedAtMs, connection.identity),
        routeKey: "$disconnect",
        eventType: "DISCONNECT",
        disconnectStatusCode: code,
        disconnectReason: reason,
        ...(connection.authorizer === undefined ? {} : { authorizer: connection.authorizer }),
      },
      headers: connection.headers,
      multiValueHeaders: connection.multiValueHeaders,
      isBase64Encoded: false,
    });
    // API Gateway ignores `$disconnect`'s answer; a failure is only worth a log line.
    if (invocation.kind === "threw") this.#onError(invocation.error, "$disconnect");
    if (invocation.kind === "timed-out") {
      this.#onError(new WebSocketGatewayError("$disconnect timed out"), "$disconnect");
    }
  }

  // -------------------------------------------------------------------------------------------
  // @connections in process

  postToConnection(connectionId: string, message: string): "sent" | "gone" {
    const connection = this.#openConnection(connectionId);
    if (connection === undefined) return "gone";
    this.#post(connection, message);
    return "sent";
  }

  deleteConnection(connectionId: string): boolean {
    const connection = this.#openConnection(connectionId);
    if (connection === undefined) return false;
    connection.socket.close(1000, "");
    return true;
  }

  /** The connection, if it is open: what `@connections` may reach. */
  #openConnection(connectionId: string): Connection | undefined {
    const connection = this.#connections.get(connectionId);
    return connection === undefined ||
      connection.refused ||
      connection.socket.readyState !== connection.socket.OPEN
      ? undefined
      : connection;
  }

  #post(connection: Connection, data: string | Buffer): void {
    connection.lastActiveAtMs = Date.now();
    this.#send(connection, data, "push");
  }

  // @connections

  async #manage(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // The raw path: connection ids arrive percent-encoded (`%3D` for their trailing `=`).
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const route = MANAGEMENT_ROUTE.exec(path);
    const stage = route?.groups?.stage;
    const rawId = route?.groups?.id;
    if (stage !== this.stage || rawId === undefined) {
      request.resume();
      sendRestJsonError(response, 403, "ForbiddenException", "Forbidden");
      return;
    }
    if (!SIGV4.test(request.headers.authorization ?? "")) {
      request.resume();
      sendRestJsonError(response, 403, "ForbiddenException", "Missing Authentication Token");
      return;
    }
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(rawId);
    } catch {
      request.resume();
      sendRestJsonError(response, 403, "ForbiddenException", "Forbidden");
      return;
    }
    const method = request.method ?? "GET";
    if (method !== "POST" && method !== "GET" && method !== "DELETE") {
      request.resume();
      sendRestJsonError(response, 403, "ForbiddenException", "Forbidden");
      return;
    }
    let body: Buffer | undefined;
    if (method === "POST") body = await readBody(request);
    else request.resume();
    const connection = this.#openConnection(connectionId);
    if (connection === undefined) {
      sendRestJsonError(response, 410, "GoneException", `Connection ${connectionId} is gone`);
      return;
    }
    switch (method) {
      case "POST": {
        if (body === undefined) {
          sendRestJsonError(response, 413, "PayloadTooLargeException", "Message too long");
          return;
        }
        this.#post(connection, isUtf8(body) ? body.toString("utf8") : body);
        response.writeHead(200, { "content-type": "application/json", "content-length": 0 });
        response.end();
        return;
      }
      case "GET": {
        const payload = JSON.stringify({
          connectedAt: new Date(connection.connectedAtMs).toISOString(),
          identity: connection.identity,
          lastActiveAt: new Date(connection.lastActiveAtMs).toISOString(),
        });
        response.writeHead(200, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
        });
        response.end(payload);
        return;
      }
      default: {
        connection.socket.close(1000, "");
        response.writeHead(204);
        response.end();
      }
    }
  }
}

/** The request body, or `undefined` when it is over API Gateway's payload limit. */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    bytes += buffer.length;
    // Keep reading past the limit (and drop it) so the client gets the 413, not a reset.
    if (bytes <= API_GATEWAY_MAX_MESSAGE_BYTES) chunks.push(buffer);
  }
  return bytes > API_GATEWAY_MAX_MESSAGE_BYTES ? undefined : Buffer.concat(chunks);
}

function isUtf8(data: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

const STAGE_NAME = /^[A-Za-z0-9_-]{1,128}$/;

/** Starts the local WebSocket API on 127.0.0.1. */
export async function startWebSocketGateway(
  options: WebSocketGatewayOptions,
): Promise<WebSocketGateway> {
  const stage = options.stage ?? DEFAULT_STAGE;
  if (!STAGE_NAME.test(stage)) {
    throw new WebSocketGatewayError(
      `stage must be 1-128 of A-Z a-z 0-9 _ - (API Gateway's stage names), got ${JSON.stringify(stage)}`,
    );
  }
  const timeoutMs = options.integrationTimeoutMs;
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
    throw new WebSocketGatewayError(
      `integrationTimeoutMs must be a positive whole number, got ${timeoutMs}`,
    );
  }
  // Fail at start, not at the first message, if the one-source expression is not one this
  // gateway can evaluate.
  selectionPath(ROUTE_SELECTION_EXPRESSION);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new WebSocketGatewayError(
          `the WebSocket gateway could not listen on 127.0.0.1:${options.port ?? 0}: ${error.code ?? error.message}`,
          { cause: error },
        ),
      ),
    );
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return new Gateway(server, options, stage, port);
}
