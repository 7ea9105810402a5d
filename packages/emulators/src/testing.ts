/**
 * Real WebSocket clients of the emulated gateway, for tests: what a client receives is what
 * travelled, as bytes, in order. One copy for the emulators' tests, the local stack's and the
 * adapters' (which post through the SDK to `@connections` and read here what arrived). Exported as
 * `@ledgerquest/emulators/testing`, apart from the emulators, so that running a gateway does not
 * load a test client.
 */
import type { ClientPush } from "@ledgerquest/runtime";
import type { ClientPushHarness } from "@ledgerquest/runtime/testing/client-push";
import WebSocket from "ws";
import { GatewayClientError } from "./errors.js";
import { rawDataBuffer } from "./websocket-gateway/frames.js";
import type { WebSocketGateway } from "./websocket-gateway/index.js";

/** How long a client waits for frames before the wait fails: a liveness bound, not a speed check. */
export const FRAME_WAIT_MS = 5_000;

/** A handshake the gateway refused: its HTTP status and body. */
export interface HandshakeRefusal {
  readonly status: number;
  readonly body: string;
}

/** How a client's socket closed. */
export interface ClientClose {
  readonly code: number;
  readonly reason: string;
}

/** A client connected to the gateway, keeping every frame it receives. */
export class GatewayClient {
  /** Every frame received, as the bytes that travelled, in order; reading does not remove them. */
  readonly received: Uint8Array[] = [];
  /** Settles when the socket has closed. */
  readonly closed: Promise<ClientClose>;
  readonly #arrivals = new Set<() => void>();
  #read = 0;

  /** Listens at once, so that no frame sent right after the handshake is missed. */
  constructor(readonly socket: WebSocket) {
    socket.on("message", (data: WebSocket.RawData) => {
      this.received.push(new Uint8Array(rawDataBuffer(data)));
      for (const arrival of [...this.#arrivals]) arrival();
    });
    this.closed = new Promise((resolve) =>
      socket.once("close", (code: number, reason: Buffer) =>
        resolve({ code, reason: reason.toString("utf8") }),
      ),
    );
  }

  /** The frames received, as text. */
  texts(): string[] {
    return this.received.map((frame) => new TextDecoder().decode(frame));
  }

  /** Waits until `done` holds of the frames received; fails after `timeoutMs`, saying `what`. */
  until(
    what: string,
    done: (received: readonly Uint8Array[]) => boolean,
    timeoutMs = FRAME_WAIT_MS,
  ): Promise<void> {
    if (done(this.received)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const stop = () => {
        clearTimeout(timer);
        this.#arrivals.delete(arrival);
      };
      const arrival = () => {
        if (!done(this.received)) return;
        stop();
        resolve();
      };
      const timer = setTimeout(() => {
        stop();
        reject(
          new GatewayClientError(
            `${what} did not arrive within ${timeoutMs} ms (${this.received.length} frames did)`,
          ),
        );
      }, timeoutMs);
      this.#arrivals.add(arrival);
    });
  }

  /** Waits until `count` frames in all have arrived. */
  receivedCount(count: number, timeoutMs = FRAME_WAIT_MS): Promise<void> {
    return this.until(`frame ${count}`, (received) => received.length >= count, timeoutMs);
  }

  /** The next frame not read yet by `next`, as text, once it has arrived. */
  async next(timeoutMs = FRAME_WAIT_MS): Promise<string> {
    await this.receivedCount(this.#read + 1, timeoutMs);
    const frame = this.received[this.#read] as Uint8Array;
    this.#read += 1;
    return new TextDecoder().decode(frame);
  }

  /** The next frame, parsed as a JSON object. */
  async nextJson(timeoutMs = FRAME_WAIT_MS): Promise<Record<string, unknown>> {
    return JSON.parse(await this.next(timeoutMs)) as Record<string, unknown>;
  }
}

/** Opens a socket: the connected client, or the refused handshake's status and body. */
export function dial(
  url: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<GatewayClient | HandshakeRefusal> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const client = new GatewayClient(socket);
    socket.once("open", () => resolve(client));
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => {
        // The handshake is over; dropping the half-made socket raises an error nobody needs.
        socket.on("error", () => {});
        socket.terminate();
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    socket.once("error", reject);
  });
}

/** A connected client; a refused handshake fails with its status and body. */
export async function connectClient(
  url: string,
  headers?: Readonly<Record<string, string>>,
): Promise<GatewayClient> {
  const result = await dial(url, headers);
  if (result instanceof GatewayClient) return result;
  throw new GatewayClientError(`the handshake was refused with ${result.status}: ${result.body}`);
}

/** The refusal of a handshake; one that is accepted fails (and its socket is closed). */
export async function refusedHandshake(
  url: string,
  headers?: Readonly<Record<string, string>>,
): Promise<HandshakeRefusal> {
  const result = await dial(url, headers);
  if (!(result instanceof GatewayClient)) return result;
  result.socket.close();
  throw new GatewayClientError(`the handshake at ${url} was accepted`);
}

/** The handshake's HTTP status: 101 when the socket opened (it is closed again at once). */
export async function handshakeStatus(
  url: string,
  headers?: Readonly<Record<string, string>>,
): Promise<number> {
  const result = await dial(url, headers);
  if (!(result instanceof GatewayClient)) return result.status;
  result.socket.close();
  return 101;
}

/** What a harness needs of the gateway: to connect, to find connections, to close one. */
export type HarnessGateway = Pick<
  WebSocketGateway,
  "url" | "connections" | "deleteConnection" | "stop"
>;

/**
 * Connects `count` clients to `gateway`, one at a time (each one's connection is the one the
 * gateway did not have before), by connection id.
 */
export async function connectClients(
  gateway: HarnessGateway,
  count: number,
): Promise<Map<string, GatewayClient>> {
  const clients = new Map<string, GatewayClient>();
  for (let i = 0; i < count; i++) {
    const before = new Set(gateway.connections().map((c) => c.connectionId));
    const client = await connectClient(gateway.url);
    // The gateway records a connection as it answers the handshake; a few turns are a margin.
    for (let tries = 0; ; tries++) {
      const id = gateway.connections().find((c) => !before.has(c.connectionId))?.connectionId;
      if (id !== undefined) {
        clients.set(id, client);
        break;
      }
      if (tries === 100) throw new GatewayClientError("a connected client has no connection");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  return clients;
}

/**
 * The `ClientPush` contract suite's harness over real clients of `gateway`: the suite names its
 * connections, and each name takes one of `clientCount` clients already connected; a client
 * "goes away" as `DeleteConnection` closes it; a post that answers `sent` returns once the client
 * has the message, so `received` shows what travelled. `cleanup` closes the clients and stops
 * the gateway.
 */
export async function clientPushHarness(
  gateway: HarnessGateway,
  push: ClientPush,
  clientCount = 8,
): Promise<ClientPushHarness> {
  const clients = await connectClients(gateway, clientCount);
  const free = [...clients.keys()];
  const named = new Map<string, string>();
  const real = (name: string) => named.get(name) ?? name;
  return {
    push: {
      async post(name, message) {
        const client = clients.get(real(name));
        const count = (client?.received.length ?? 0) + 1;
        const result = await push.post(real(name), message);
        if (result === "sent" && client !== undefined) await client.receivedCount(count);
        return result;
      },
    },
    connections: {
      open(name) {
        const id = free.shift();
        if (id === undefined) throw new GatewayClientError("the harness ran out of clients");
        named.set(name, id);
      },
      close(name) {
        gateway.deleteConnection(real(name));
      },
    },
    received: (name) => clients.get(real(name))?.received ?? [],
    cleanup: async () => {
      for (const client of clients.values()) client.socket.terminate();
      await gateway.stop();
    },
  };
}
