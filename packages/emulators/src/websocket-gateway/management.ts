/**
 * The `@connections` management API, on the gateway's port: `POST /{stage}/@connections/{id}`
 * sends the body to the socket, `GET` describes the connection, `DELETE` closes it; errors in the
 * REST-JSON form the SDK reads. A `ServiceTap` records these requests and fails chosen ones, as
 * the other emulators' taps do. Also its in-process form (`postToConnection`,
 * `deleteConnection`), without the HTTP request, which no tap sees.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, type ServiceTap } from "../protocol.js";
import type { Connection, Connections } from "./connections.js";
import { API_GATEWAY_MAX_MESSAGE_BYTES, isUtf8 } from "./frames.js";

const MANAGEMENT_ROUTE = /^\/(?<stage>[^/]+)\/@connections\/(?<id>[^/]+)$/;
const SIGV4 = /^AWS4-HMAC-SHA256 /;

/** The operation each method is, as the SDK names it (and a `ServiceTap` records it). */
const OPERATIONS = {
  POST: "PostToConnection",
  GET: "GetConnection",
  DELETE: "DeleteConnection",
} as const;

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

function post(connections: Connections, connection: Connection, data: string | Buffer): void {
  connection.lastActiveAtMs = Date.now();
  connections.send(connection, data, "push");
}

/** What `POST @connections/{id}` does, without the HTTP request. */
export function postToConnection(
  connections: Connections,
  connectionId: string,
  message: string,
): "sent" | "gone" {
  const connection = connections.open(connectionId);
  if (connection === undefined) return "gone";
  post(connections, connection, message);
  return "sent";
}

/** What `DELETE @connections/{id}` does, without the HTTP request. */
export function deleteConnection(connections: Connections, connectionId: string): boolean {
  const connection = connections.open(connectionId);
  if (connection === undefined) return false;
  connection.socket.close(1000, "");
  return true;
}

/** Answers one HTTP request to the gateway's port: the `@connections` API, or its errors. */
export function serveConnectionsApi(
  request: IncomingMessage,
  response: ServerResponse,
  stage: string,
  connections: Connections,
  tap: ServiceTap | undefined,
): void {
  void manage(request, response, stage, connections, tap).catch((error: unknown) => {
    if (!response.headersSent) {
      sendRestJsonError(response, 500, "InternalServerErrorException", "Internal server error");
    } else {
      response.destroy(error instanceof Error ? error : undefined);
    }
  });
}

async function manage(
  request: IncomingMessage,
  response: ServerResponse,
  stage: string,
  connections: Connections,
  tap: ServiceTap | undefined,
): Promise<void> {
  // The raw path: connection ids arrive percent-encoded (`%3D` for their trailing `=`).
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  const route = MANAGEMENT_ROUTE.exec(path);
  const routeStage = route?.groups?.stage;
  const rawId = route?.groups?.id;
  if (routeStage !== stage || rawId === undefined) {
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
  if (method === "POST") body = await readBody(request, API_GATEWAY_MAX_MESSAGE_BYTES);
  else request.resume();
  const fault = tap?.take(OPERATIONS[method], { ConnectionId: connectionId, path });
  if (fault !== undefined) {
    sendRestJsonError(response, fault.status, fault.errorType, fault.message);
    return;
  }
  const connection = connections.open(connectionId);
  if (connection === undefined) {
    sendRestJsonError(response, 410, "GoneException", `Connection ${connectionId} is gone`);
    return;
  }
  answer(response, method, connections, connection, body);
}

/** The answer to a well-formed request for an open connection. */
function answer(
  response: ServerResponse,
  method: "POST" | "GET" | "DELETE",
  connections: Connections,
  connection: Connection,
  body: Buffer | undefined,
): void {
  switch (method) {
    case "POST": {
      if (body === undefined) {
        sendRestJsonError(response, 413, "PayloadTooLargeException", "Message too long");
        return;
      }
      post(connections, connection, isUtf8(body) ? body.toString("utf8") : body);
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
