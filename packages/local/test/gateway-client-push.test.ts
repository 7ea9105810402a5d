// The in-process ClientPush of the local stack, through the one ClientPush contract suite, against
// the real emulated gateway and real WebSocket clients: what a client receives is what travelled.
import { startWebSocketGateway } from "@ledgerquest/emulators";
import {
  clientPushHarness,
  connectClients,
  type GatewayClient,
} from "@ledgerquest/emulators/testing";
import { describeClientPushContract } from "@ledgerquest/runtime/testing";
import { describe, expect, it } from "vitest";
import { GatewayClientPush } from "../src/gateway-client-push.js";
import { UsageMeter } from "../src/usage.js";

describeClientPushContract("GatewayClientPush into the local gateway", async () => {
  // No authorizer and no routes: clients connect, and only pushes reach them.
  const gateway = await startWebSocketGateway({ handlers: {} });
  return await clientPushHarness(gateway, new GatewayClientPush(gateway));
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
    const gateway = await startWebSocketGateway({ handlers: {}, usage });
    const clients = await connectClients(gateway, 1);
    try {
      const [id, client] = [...clients][0] as [string, GatewayClient];
      const push = new GatewayClientPush(gateway);
      expect(await push.post(id, "x".repeat(40 * 1024))).toBe("sent");
      await client.receivedCount(1);
      expect(client.received[0]?.length).toBe(40 * 1024);
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
