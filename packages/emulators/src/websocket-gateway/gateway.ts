/**
 * The gateway itself: one HTTP server on a loopback port whose upgrades are the WebSocket API
 * (the handshake of `handshake.ts`, then each connection's life: frames, messages, `$disconnect`)
 * and whose plain requests are `@connections` (`management.ts`); and stopping it all.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import {
  API_GATEWAY_INTEGRATION_TIMEOUT_MS,
  ROUTE_SELECTION_EXPRESSION,
} from "@ledgerquest/runtime";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { WebSocketGatewayError } from "../errors.js";
import { LOCAL_ACCOUNT, LOCAL_REGION, type ServiceTap } from "../protocol.js";
import type { WebSocketUsage } from "../usage.js";
import { InvocationSlots } from "./concurrency.js";
import { type AdmittedConnection, type Connection, Connections } from "./connections.js";
import { ApiSite } from "./events.js";
import {
  API_GATEWAY_MAX_FRAME_BYTES,
  API_GATEWAY_MAX_MESSAGE_BYTES,
  describeClose,
  FrameSizeGuard,
  rawDataBuffer,
} from "./frames.js";
import { Admissions, checkUpgrade, readHandshake, refuseHandshake } from "./handshake.js";
import { randomApiId } from "./ids.js";
import { Invoker } from "./lambda.js";
import { deleteConnection, postToConnection, serveConnectionsApi } from "./management.js";
import { MessageRouter } from "./messages.js";
import {
  DEFAULT_MESSAGE_CONCURRENCY_MAX,
  DEFAULT_MESSAGE_QUEUE_MAX,
  DEFAULT_MESSAGE_QUEUE_WAIT_MS_MAX,
  DEFAULT_STAGE,
  type WebSocketGatewayOptions,
} from "./options.js";
import { RouteSelection, selectionPath } from "./routing.js";
import type {
  WebSocketConnectionInfo,
  WebSocketGateway,
  WebSocketGatewayErrorSite,
  WebSocketGatewayHandlers,
} from "./types.js";

/** How long a closing socket may take to answer the close handshake when the gateway stops. */
const STOP_CLOSE_GRACE_MS = 1_000;

class Gateway implements WebSocketGateway {
  readonly url: string;
  readonly managementEndpoint: string;
  readonly port: number;
  readonly stage: string;
  readonly apiId: string;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #handlers: WebSocketGatewayHandlers;
  readonly #site: ApiSite;
  readonly #invoker: Invoker;
  readonly #admissions: Admissions;
  readonly #messages: MessageRouter;
  readonly #onError: (error: unknown, site: WebSocketGatewayErrorSite) => void;
  readonly #usage: WebSocketUsage | undefined;
  readonly #tap: ServiceTap | undefined;
  readonly #connections: Connections;
  /** The subprotocol `$connect` chose, per handshake, for `handleProtocols`. */
  readonly #protocols = new WeakMap<IncomingMessage, string>();
  #stopping: Promise<void> | undefined;

  constructor(server: Server, options: WebSocketGatewayOptions, stage: string, port: number) {
    this.#server = server;
    this.#handlers = options.handlers;
    const routes = new RouteSelection(options.handlers);
    const region = options.region ?? LOCAL_REGION;
    const accountId = options.accountId ?? LOCAL_ACCOUNT;
    const timeoutMs = options.integrationTimeoutMs ?? API_GATEWAY_INTEGRATION_TIMEOUT_MS;
    const slots = new InvocationSlots(
      options.messageConcurrencyMax ?? DEFAULT_MESSAGE_CONCURRENCY_MAX,
      options.messageQueueMax ?? DEFAULT_MESSAGE_QUEUE_MAX,
      options.messageQueueWaitMsMax ?? DEFAULT_MESSAGE_QUEUE_WAIT_MS_MAX,
    );
    this.#usage = options.usage;
    this.#tap = options.tap;
    this.#connections = new Connections(options.usage);
    this.#onError =
      options.onError ??
      ((error, site) => console.error(`[websocket-gateway] ${site} failed:`, error));
    this.stage = stage;
    this.port = port;
    this.apiId = options.apiId ?? randomApiId();
    this.url = `ws://127.0.0.1:${port}/${stage}`;
    this.managementEndpoint = `http://127.0.0.1:${port}/${stage}`;
    this.#site = new ApiSite(stage, this.apiId, port, region, accountId);
    this.#invoker = new Invoker(timeoutMs, region, accountId);
    const parts = {
      handlers: this.#handlers,
      site: this.#site,
      invoker: this.#invoker,
      onError: this.#onError,
    };
    this.#admissions = new Admissions(parts);
    this.#messages = new MessageRouter({ ...parts, routes, slots, connections: this.#connections });
    this.#wss = new WebSocketServer({
      noServer: true,
      // The guard enforces the limits first, with API Gateway's close reason; this is a backstop
      // that also keeps ws from buffering a huge message.
      maxPayload: API_GATEWAY_MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      // API Gateway answers a requested subprotocol only when `$connect` returned one.
      handleProtocols: (_offered, request) => this.#protocols.get(request) ?? false,
    });
    this.#listen(server);
  }

  #listen(server: Server): void {
    server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#upgrade(request, socket, head).catch((error: unknown) => {
        this.#onError(error, "gateway");
        socket.destroy();
      });
    });
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      serveConnectionsApi(request, response, this.stage, this.#connections, this.#tap);
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

  postToConnection(connectionId: string, message: string): "sent" | "gone" {
    return postToConnection(this.#connections, connectionId, message);
  }

  deleteConnection(connectionId: string): boolean {
    return deleteConnection(this.#connections, connectionId);
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
    await this.#invoker.settled();
    this.#wss.close();
    await new Promise<void>((resolve, reject) => {
      this.#server.close((error) => (error ? reject(error) : resolve()));
      this.#server.closeAllConnections();
    });
  }

  // -------------------------------------------------------------------------------------------
  // $connect

  async #upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // Until ws takes the socket over, a client that vanishes must not crash the process.
    socket.on("error", () => {});
    const checked = checkUpgrade(request, this.stage, this.#stopping !== undefined);
    if (!(checked instanceof URL)) {
      refuseHandshake(socket, checked.status, checked.body);
      return;
    }
    const handshake = readHandshake(request, checked, this.port);
    const admission = await this.#admissions.admit(handshake);
    if (!admission.admitted) {
      refuseHandshake(socket, admission.status, admission.body);
      return;
    }
    const connection: AdmittedConnection = {
      id: handshake.connectionId,
      connectedAtMs: handshake.connectedAtMs,
      identity: handshake.identity,
      headers: handshake.headers.single,
      multiValueHeaders: handshake.headers.multi,
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

  #open(ws: WebSocket, socket: Duplex, base: AdmittedConnection): void {
    const connection: Connection = {
      ...base,
      socket: ws,
      lastActiveAtMs: base.connectedAtMs,
      refused: false,
      closed: new Promise<void>((resolve) => ws.once("close", () => resolve())),
    };
    this.#connections.add(connection);

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
      this.#messages
        .route(connection, bytes.toString("utf8"))
        .catch((error: unknown) => this.#onError(error, "gateway"));
    });
    // Protocol errors (bad UTF-8, a message over ws's limit) are the client's; ws closes the
    // connection itself with the right code, and the close handler below runs `$disconnect`.
    ws.on("error", () => {});
    ws.on("close", (code: number, reason: Buffer) => {
      this.#connections.remove(connection);
      this.#disconnect(connection, code, reason.toString("utf8") || describeClose(code)).catch(
        (error: unknown) => this.#onError(error, "gateway"),
      );
    });
  }

  #refuse(connection: Connection, code: number, reason: string): void {
    connection.refused = true;
    connection.socket.close(code, reason);
  }

  async #disconnect(connection: AdmittedConnection, code: number, reason: string): Promise<void> {
    const handler = this.#handlers.$disconnect;
    if (handler === undefined) return;
    const invocation = await this.#invoker.invoke("$disconnect", handler, {
      requestContext: {
        ...this.#site.baseContext(connection.id, connection.connectedAtMs, connection.identity),
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
