/**
 * A local API Gateway Management API endpoint: the `@connections` routes of a WebSocket API's
 * stage, over REST-JSON, as `@aws-sdk/client-apigatewaymanagementapi` sends them.
 *
 * The client's `endpoint` is the stage URL (`https://{api}.execute-api.{region}.amazonaws.com/
 * {stage}`) and the SDK appends the route to its path, so a request arrives as
 * `POST /{stage}/@connections/{connectionId}` with the message as the raw body. Connection ids are
 * percent-encoded in the path (real ones end in `=`).
 *
 * - `POST`: delivers the body to the connection: 200, or 410 `GoneException` if it is not open,
 *   or 413 `PayloadTooLargeException` over the payload limit (128 KB).
 * - `GET`: the connection's `connectedAt`, `identity` and `lastActiveAt`, or 410.
 * - `DELETE`: closes the connection: 204, or 410.
 * - Any other path, or another stage than the one configured, is 403 `ForbiddenException`, as
 *   API Gateway answers a route it does not have.
 *
 * A connection either forwards what it receives to a `deliver` function (the local stack's
 * WebSocket gateway, later) or keeps it for `received` (tests).
 */
import {
  FaultQueue,
  type HttpRequest,
  type HttpResponse,
  isSigned,
  type ListeningEndpoint,
  type ListenOptions,
  listen,
  type ServiceFault,
} from "@ledgerquest/emulators/protocol";

export interface ApiGatewayManagementEndpointOptions {
  /** The stage whose `@connections` this serves (first path segment); default: any stage. */
  readonly stage?: string;
  /** Largest message accepted, in bytes. Default 128 KB. */
  readonly maxPayloadBytes?: number;
  readonly nowMs?: () => number;
}

export interface OpenConnectionOptions {
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** Receives each posted message; without it the endpoint keeps them for `received`. */
  readonly deliver?: (data: Uint8Array) => void;
}

/** One request to an `@connections` route, as it arrived. */
export interface ConnectionRequest {
  readonly method: string;
  /** The path as sent, percent-encoding included. */
  readonly path: string;
  /** Decoded. */
  readonly connectionId: string;
}

interface Connection {
  readonly connectedAtMs: number;
  lastActiveAtMs: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly deliver?: (data: Uint8Array) => void;
}

const ROUTE = /^(?<prefix>(?:\/[^/]+)*)\/@connections\/(?<id>[^/]+)$/;

export class ApiGatewayManagementEndpoint {
  readonly stage: string | undefined;
  readonly maxPayloadBytes: number;
  readonly #nowMs: () => number;
  readonly #open = new Map<string, Connection>();
  /** What reached each connection without a `deliver` function, closed ones included. */
  readonly #received = new Map<string, Uint8Array[]>();
  readonly #requests: ConnectionRequest[] = [];
  readonly #faults = new FaultQueue();

  constructor(options: ApiGatewayManagementEndpointOptions = {}) {
    this.stage = options.stage;
    this.maxPayloadBytes = options.maxPayloadBytes ?? 128 * 1024;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  listen(options?: ListenOptions): Promise<ListeningEndpoint> {
    return listen((request) => this.handle(request), options);
  }

  /** A client connects. Reopening an id starts a new connection under it. */
  open(connectionId: string, options: OpenConnectionOptions = {}): void {
    const now = this.#nowMs();
    this.#open.set(connectionId, {
      connectedAtMs: now,
      lastActiveAtMs: now,
      sourceIp: options.sourceIp ?? "127.0.0.1",
      userAgent: options.userAgent ?? "ledgerquest-test",
      ...(options.deliver === undefined ? {} : { deliver: options.deliver }),
    });
  }

  /** The client goes away; returns whether it was open. */
  close(connectionId: string): boolean {
    return this.#open.delete(connectionId);
  }

  isOpen(connectionId: string): boolean {
    return this.#open.has(connectionId);
  }

  /** The messages posted to the connection (those not handed to a `deliver` function), in order. */
  received(connectionId: string): readonly Uint8Array[] {
    return this.#received.get(connectionId) ?? [];
  }

  /** Every request to an `@connections` route, in order. */
  requests(): readonly ConnectionRequest[] {
    return this.#requests;
  }

  /**
   * The next `times` requests fail as a whole with `fault`, after `afterRequests` that pass
   * (and after the failures already queued).
   */
  failRequests(fault: ServiceFault, times = 1, afterRequests = 0): void {
    this.#faults.add(fault, times, afterRequests);
  }

  handle(request: HttpRequest): HttpResponse {
    if (!isSigned(request))
      return restJsonError({ status: 403, errorType: "ForbiddenException", message: "Forbidden" });
    const route = ROUTE.exec(request.path);
    const prefix = route?.groups?.prefix;
    const rawId = route?.groups?.id;
    const connectionId = rawId === undefined ? undefined : decode(rawId);
    if (
      connectionId === undefined ||
      (this.stage !== undefined && prefix !== `/${this.stage}`) ||
      !["POST", "GET", "DELETE"].includes(request.method)
    ) {
      return restJsonError({ status: 403, errorType: "ForbiddenException", message: "Forbidden" });
    }
    this.#requests.push({ method: request.method, path: request.path, connectionId });
    const fault = this.#faults.take();
    if (fault !== undefined) return restJsonError(fault);

    const connection = this.#open.get(connectionId);
    if (connection === undefined) {
      return restJsonError({
        status: 410,
        errorType: "GoneException",
        message: `Connection ${connectionId} is gone`,
      });
    }
    switch (request.method) {
      case "POST":
        return this.#post(connectionId, connection, request.body);
      case "GET":
        return {
          status: 200,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            connectedAt: new Date(connection.connectedAtMs).toISOString(),
            identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
            lastActiveAt: new Date(connection.lastActiveAtMs).toISOString(),
          }),
        };
      default:
        this.#open.delete(connectionId);
        return { status: 204 };
    }
  }

  #post(connectionId: string, connection: Connection, body: Buffer): HttpResponse {
    if (body.length > this.maxPayloadBytes) {
      return restJsonError({
        status: 413,
        errorType: "PayloadTooLargeException",
        message: "Message too long",
      });
    }
    connection.lastActiveAtMs = this.#nowMs();
    const data = new Uint8Array(body);
    if (connection.deliver !== undefined) {
      connection.deliver(data);
    } else {
      const messages = this.#received.get(connectionId) ?? [];
      messages.push(data);
      this.#received.set(connectionId, messages);
    }
    return { status: 200 };
  }
}

/** A REST-JSON error: the SDK reads its code from the `x-amzn-ErrorType` header. */
function restJsonError(fault: ServiceFault): HttpResponse {
  return {
    status: fault.status,
    headers: { "content-type": "application/json", "x-amzn-errortype": fault.errorType },
    body: JSON.stringify({ message: fault.message }),
  };
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
