// The in-process ClientPush of the local stack, through the one ClientPush contract suite, against
// the real local gateway and real WebSocket clients: what a client receives is what travelled.
import { describeClientPushContract } from "@ledgerquest/runtime/testing";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { GatewayClientPush } from "../src/gateway-client-push.js";
import { UsageMeter } from "../src/usage.js";
import { startWebSocketGateway, type WebSocketGateway } from "../src/websocket-gateway/index.js";

interface Client {
  readonly socket: WebSocket;
  readonly received: Uint8Array[];
  wanted: { readonly count: number; readonly resolve: () => void } | undefined;
}

/** A gateway with `count` clients already connected (no authorizer, no routes), and its ids. */
async function connected(
  count: number,
  usage?: UsageMeter,
): Promise<{ gateway: WebSocketGateway; clients: Map<string, Client> }> {
  const gateway = await startWebSocketGateway({
    handlers: {},
    ...(usage === undefined ? {} : { usage }),
  });
  const clients = new Map<string, Client>();
  for (let i = 0; i < count; i++) {
    const before = new Set(gateway.connections().map((c) => c.connectionId));
    const socket = new WebSocket(gateway.url);
    const client: Client = { socket, received: [], wanted: undefined };
    socket.on("message", (data: Buffer) => {
      client.received.push(new Uint8Array(data));
      if (client.wanted !== undefined && client.received.length >= client.wanted.count) {
        client.wanted.resolve();
        client.wanted = undefined;
      }
    });
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    for (let tries = 0; tries < 100; tries++) {
      const id = gateway.connections().find((c) => !before.has(c.connectionId))?.connectionId;
      if (id !== undefined) {
        clients.set(id, client);
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return { gateway, clients };
}

describeClientPushContract("GatewayClientPush into the local gateway", async () => {
  const { gateway, clients } = await connected(8);
  const adapter = new GatewayClientPush(gateway);
  // The suite names its connections; each name takes one of the clients already connected.
  const free = [...clients.keys()];
  const named = new Map<string, string>();
  const real = (name: string) => named.get(name) ?? name;
  return {
    push: {
      async post(name, message) {
        const id = real(name);
        const result = await adapter.post(id, message);
        const client = clients.get(id);
        if (result === "sent" && client !== undefined) {
          // Delivered means the client has it: wait for it to arrive.
          const count = client.received.length + 1;
          await new Promise<void>((resolve) => {
            client.wanted = { count, resolve };
            if (client.received.length >= count) resolve();
          });
        }
        return result;
      },
    },
    connections: {
      open(name) {
        const id = free.shift();
        if (id === undefined) throw new Error("the harness ran out of connected clients");
        named.set(name, id);
      },
      close(name) {
        gateway.deleteConnection(real(name));
      },
    },
    received: (name) => clients.get(real(name))?.received ?? [],
    cleanup: async () => {
      for (const c of clients.values()) c.socket.terminate();
      await gateway.stop();
    },
  };
});

describe("GatewayClientPush", () => {
  it("is metered as API Gateway bills a post (32 KB units), and a deleted connection is gone", async () => {
    const usage = new UsageMeter({
      settings: {
        game: "g@1",
        tickMs: 1000 / 60,
        ticksPerLap: 15,
        waitSeconds: 0,
        pace: "realtime",
        supervisorEverySeconds: 10,
      },
    });
    const { gateway, clients } = await connected(1, usage);
    try {
      const [id] = [...clients.keys()] as [string];
      const push = new GatewayClientPush(gateway);
      expect(await push.post(id, "x".repeat(40 * 1024))).toBe("sent");
      expect(usage.snapshot().webSocket.pushes).toEqual({
        messages: 1,
        units: 2,
        bytes: 40 * 1024,
      });
      expect(gateway.deleteConnection(id)).toBe(true);
      expect(gateway.deleteConnection(id)).toBe(false);
      expect(await push.post(id, "after")).toBe("gone");
      expect(usage.snapshot().webSocket.pushes.messages).toBe(1);
    } finally {
      for (const c of clients.values()) c.socket.terminate();
      await gateway.stop();
    }
  });
});
