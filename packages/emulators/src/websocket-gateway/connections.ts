/**
 * The open connections: what the gateway keeps of each, the registry by connection id that the
 * routes and `@connections` reach them through, and sending to them (metered as API Gateway bills
 * messages).
 */
import type { WebSocket } from "ws";
import type { WebSocketUsage } from "../usage.js";
import type { WebSocketIdentity } from "./types.js";

export interface Connection {
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

/** What `$connect` established, before the socket exists: what `$disconnect` needs. */
export type AdmittedConnection = Omit<
  Connection,
  "socket" | "lastActiveAtMs" | "refused" | "closed"
>;

export class Connections {
  readonly #connections = new Map<string, Connection>();
  readonly #usage: WebSocketUsage | undefined;

  constructor(usage: WebSocketUsage | undefined) {
    this.#usage = usage;
  }

  add(connection: Connection): void {
    this.#connections.set(connection.id, connection);
    this.#usage?.connectionOpened(connection.id);
  }

  remove(connection: Connection): void {
    this.#connections.delete(connection.id);
    this.#usage?.connectionClosed(connection.id);
  }

  values(): IterableIterator<Connection> {
    return this.#connections.values();
  }

  /** The connection, if it is open: what `@connections` may reach. */
  open(connectionId: string): Connection | undefined {
    const connection = this.#connections.get(connectionId);
    return connection === undefined ||
      connection.refused ||
      connection.socket.readyState !== connection.socket.OPEN
      ? undefined
      : connection;
  }

  /** Sends a route's answer (`reply`) or an `@connections` post (`push`). */
  send(connection: Connection, data: string | Buffer, kind: "reply" | "push" = "reply"): void {
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    this.#usage?.webSocketMessage(
      kind,
      typeof data === "string" ? Buffer.byteLength(data, "utf8") : data.length,
    );
    connection.socket.send(data);
  }
}
