/**
 * The `$connect` handshake, before any socket exists: the checks on the upgrade request, then, in
 * API Gateway's order, the REQUEST authorizer and its policy (`policy.ts`), then the `$connect`
 * route and its answer. Each ends in an admission or a refusal with API Gateway's status and body.
 */
import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketGatewayError } from "../errors.js";
import { type ApiSite, headerPairs, type ParameterMaps, parameterMaps } from "./events.js";
import { awsStyleId } from "./ids.js";
import { type Invoker, isRecord } from "./lambda.js";
import { decideAuthorizerResult, type PolicyDecision } from "./policy.js";
import type {
  WebSocketAuthorizerResult,
  WebSocketGatewayErrorSite,
  WebSocketGatewayHandlers,
  WebSocketIdentity,
} from "./types.js";

/** What `$connect` decided, before the socket exists. */
export type Admission =
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

export type Refusal = Extract<Admission, { readonly admitted: false }>;

/** What the handshake's checks see of the request. */
export interface Handshake {
  readonly connectionId: string;
  readonly connectedAtMs: number;
  readonly identity: WebSocketIdentity;
  readonly headers: ParameterMaps;
  readonly query: ParameterMaps;
}

/** A handshake refused with API Gateway's `{"message": ...}` body. */
function refusal(status: number, message: string | null): Refusal {
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

const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;

/** Refuses a WebSocket handshake with a plain HTTP answer, as API Gateway does. */
export function refuseHandshake(socket: Duplex, status: number, body: string): void {
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

/**
 * The checks before any integration runs: the gateway is not stopping, the path is the stage's,
 * the request is a well-formed WebSocket upgrade. A refusal, or the request's URL.
 */
export function checkUpgrade(
  request: IncomingMessage,
  stage: string,
  stopping: boolean,
): Refusal | URL {
  if (stopping) return refusal(503, "Service Unavailable");
  const url = new URL(request.url ?? "/", "http://localhost");
  if (url.pathname !== `/${stage}` && url.pathname !== `/${stage}/`) {
    return refusal(403, "Forbidden");
  }
  // ws checks these too, but only after the handlers ran: check first so that a broken
  // handshake never reaches the authorizer or `$connect`.
  if (
    request.headers.upgrade?.toLowerCase() !== "websocket" ||
    request.headers["sec-websocket-version"] !== "13" ||
    !WEBSOCKET_KEY.test(request.headers["sec-websocket-key"] ?? "")
  ) {
    return refusal(400, "Bad Request");
  }
  return url;
}

/** The handshake of an upgrade request that passed `checkUpgrade`, with a fresh connection id. */
export function readHandshake(request: IncomingMessage, url: URL, port: number): Handshake {
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
    ["X-Forwarded-Port", String(port)],
    ["X-Forwarded-Proto", "http"],
  ]);
  const query = parameterMaps(url.searchParams);
  return { connectionId, connectedAtMs, identity, headers, query };
}

/** What the handshake's checks work with: the gateway's parts. */
export interface AdmissionParts {
  readonly handlers: WebSocketGatewayHandlers;
  readonly site: ApiSite;
  readonly invoker: Invoker;
  readonly onError: (error: unknown, site: WebSocketGatewayErrorSite) => void;
}

export class Admissions {
  readonly #parts: AdmissionParts;

  constructor(parts: AdmissionParts) {
    this.#parts = parts;
  }

  /** The handshake's checks, in API Gateway's order: the authorizer and its policy, `$connect`. */
  async admit(handshake: Handshake): Promise<Admission> {
    const authorized = await this.#authorize(handshake);
    if (!authorized.admitted) return authorized;
    return await this.#connect(handshake, authorized.authorizer);
  }

  /**
   * The REQUEST authorizer, when there is one: a refusal, or an admission that carries what every
   * route will see as `requestContext.authorizer`.
   */
  async #authorize(handshake: Handshake): Promise<Admission> {
    const { handlers, site, invoker, onError } = this.#parts;
    const handler = handlers.authorizer;
    if (handler === undefined) return { admitted: true };
    const startedMs = Date.now();
    const methodArn = site.methodArn("$connect");
    const invocation = await invoker.invoke("authorizer", handler, {
      type: "REQUEST",
      methodArn,
      headers: handshake.headers.single,
      multiValueHeaders: handshake.headers.multi,
      queryStringParameters: handshake.query.single,
      multiValueQueryStringParameters: handshake.query.multi,
      stageVariables: {},
      requestContext: {
        ...site.baseContext(handshake.connectionId, handshake.connectedAtMs, handshake.identity),
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
      onError(invocation.error, "authorizer");
      return refusal(500, null);
    }
    if (invocation.kind === "timed-out") {
      onError(new WebSocketGatewayError("the authorizer timed out"), "authorizer");
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
    const decision: PolicyDecision = decideAuthorizerResult(result, methodArn);
    if ("problem" in decision) {
      this.#parts.onError(new WebSocketGatewayError(decision.problem), "authorizer");
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
    const { handlers, site, invoker, onError } = this.#parts;
    const handler = handlers.$connect;
    if (handler === undefined) return admission(authorizer);
    const { headers, query } = handshake;
    const hasQuery = Object.keys(query.single).length > 0;
    const invocation = await invoker.invoke("$connect", handler, {
      requestContext: {
        ...site.baseContext(handshake.connectionId, handshake.connectedAtMs, handshake.identity),
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
      onError(invocation.error, "$connect");
      return refusal(500, "Internal server error");
    }
    if (invocation.kind === "timed-out") {
      onError(new WebSocketGatewayError("$connect timed out"), "$connect");
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
      this.#parts.onError(
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
}
