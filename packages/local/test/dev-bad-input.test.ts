import { arenaModule } from "@ledgerquest/example-arena";
// Bad input at the local WebSocket API, end to end: every kind gets a clear error frame or a
// refused connection, and changes nothing (the inbox, the journal and the balances are compared
// before and after). The game loop is not started, so nothing else changes them meanwhile.
import { createWorld, getState, type RuntimeDeps } from "@ledgerquest/runtime";
import { decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type LocalStack, startLocalStack } from "../src/dev.js";
import { until } from "./support/wait.js";

let stack: LocalStack;
let deps: RuntimeDeps;

beforeAll(async () => {
  stack = await startLocalStack({ game: arenaModule, inMemory: true, log: () => undefined });
  deps = stack.runtimeDeps();
  await createWorld(deps, {
    worldId: "gate",
    players: ["player_0001", "player_0002"],
    settings: { bodies: 10, bots: 2, coins: 10 },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

function attempt(
  url: string,
): Promise<{ ws: WebSocket; replies: unknown[]; closed: Promise<number> } | { status: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const replies: unknown[] = [];
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    ws.on("message", (data) => {
      const text = String(data);
      try {
        replies.push(JSON.parse(text));
      } catch {
        replies.push(text);
      }
    });
    ws.once("open", () => resolve({ ws, replies, closed }));
    ws.once("unexpected-response", (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once("error", reject);
  });
}

async function snapshot() {
  const world = await getState(deps, { worldId: "gate", playerId: "player_0001" });
  const inbox = [];
  for (let shard = 0; shard < 4; shard++)
    inbox.push(...(await deps.inbox.read("gate", shard, 0, Number.MAX_SAFE_INTEGER)));
  const journal = await deps.journal.readEntries("gate", 0, (world?.ledger.count ?? 0) + 10);
  return {
    world,
    inbox,
    journal,
    gold1: (await deps.store.getAccount("gate", "player_0001:gold"))?.balance,
    gold2: (await deps.store.getAccount("gate", "player_0002:gold"))?.balance,
  };
}

describe("bad input at the gateway changes nothing", () => {
  it("refuses connections without a valid token", async () => {
    const before = await snapshot();
    const url = `${stack.endpoints.websocket}?world=gate`;
    expect(await attempt(url)).toEqual({ status: 401 });
    const real = await stack.token("player_0001");
    const { kid } = decodeProtectedHeader(real);
    const { privateKey } = await generateKeyPair("RS256");
    const sign = (exp: string | number) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "RS256", ...(kid === undefined ? {} : { kid }) })
        .setSubject("player_0001")
        .setIssuer(stack.env.LQ_JWT_ISSUER ?? "")
        .setAudience(stack.env.LQ_JWT_AUDIENCE ?? "")
        .setIssuedAt()
        .setExpirationTime(exp)
        .sign(privateKey);
    expect(await attempt(`${url}&token=${await sign("5m")}`)).toEqual({ status: 401 }); // forged
    expect(await attempt(`${url}&token=${real.slice(0, -4)}AAAA`)).toEqual({ status: 401 }); // tampered
    expect(await attempt(`${url}&token=not.a.jwt`)).toEqual({ status: 401 });
    // A real token for a world that does not exist: refused by $connect.
    expect(await attempt(`${stack.endpoints.websocket}?world=nowhere&token=${real}`)).toEqual({
      status: 404,
    });
    expect(await snapshot()).toEqual(before);
  });

  it("answers each bad frame with a typed error, stores a replayed command once, and closes on an oversize frame", async () => {
    const before = await snapshot();
    const token = await stack.token("player_0001");
    const c = await attempt(`${stack.endpoints.websocket}?world=gate&token=${token}`);
    if (!("ws" in c)) throw new Error(`refused: ${c.status}`);
    const frames: [string, string][] = [
      ["{not json", "not_json"],
      ['{"action":"command","id":"n1","type":"move","data":{"dx":NaN,"dy":0}}', "not_json"],
      [JSON.stringify({ action: "teleport", id: "t1" }), "invalid_frame"],
      [
        JSON.stringify({ action: "command", id: "w1", type: "move", data: { dx: "1", dy: 0 } }),
        "invalid_data",
      ],
      ['{"action":"command","id":"h1","type":"move","data":{"dx":1e400,"dy":0}}', "invalid_data"],
      [JSON.stringify({ action: "command", id: "u1", type: "fly", data: {} }), "unknown_command"],
      [
        JSON.stringify({
          action: "command",
          id: "o1",
          type: "move",
          data: { dx: 1, dy: 0, entity: "player_0002" },
        }),
        "forbidden",
      ],
      [
        JSON.stringify({
          action: "command",
          id: "p1",
          type: "move",
          data: { dx: 1, dy: 0 },
          actor: "player_0002",
        }),
        "invalid_frame",
      ],
    ];
    for (const [frame, code] of frames) {
      const n = c.replies.length;
      c.ws.send(frame);
      const reply = (await until("the reply to a bad frame", () =>
        c.replies.length > n ? c.replies[n] : undefined,
      )) as {
        type: string;
        code?: string;
      };
      expect(reply, frame).toMatchObject({ type: "error", code });
    }
    expect(await snapshot()).toEqual(before);

    // The same command id twice: stored once.
    const move = JSON.stringify({
      action: "command",
      id: "once",
      type: "move",
      data: { dx: 1, dy: 0 },
    });
    c.ws.send(move);
    c.ws.send(move);
    const acks = await until("two acks", () => {
      const a = c.replies.filter((r) => (r as { type: string }).type === "ack");
      return a.length >= 2 ? a : undefined;
    });
    expect(acks.map((a) => (a as { result: string }).result).sort()).toEqual([
      "accepted",
      "duplicate",
    ]);
    const after = await snapshot();
    expect(after.inbox.map((i) => i.commandId)).toEqual(["once"]);
    expect({ ...after, inbox: [] }).toEqual({ ...before, inbox: [] });

    // A frame over 32 KB closes the connection, as API Gateway does (1009), storing nothing.
    c.ws.send(
      JSON.stringify({
        action: "command",
        id: "big",
        type: "move",
        data: { dx: 1, dy: 0, pad: "x".repeat(40_000) },
      }),
    );
    expect(await c.closed).toBe(1009);
    expect((await snapshot()).inbox.map((i) => i.commandId)).toEqual(["once"]);
  });
});
