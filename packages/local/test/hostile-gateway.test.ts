import { arenaModule } from "@ledgerquest/example-arena";
// Names every plain object inherits (`constructor`, `__proto__`, `toString`, ...) sent where the
// local stack looks a client's value up, end to end over real sockets: as a route (`action`), a
// command type, a query type, a query-string parameter and a header of the handshake. Each gets the
// typed answer an unknown name gets, the connection stays usable, and the world is unchanged. Before
// the lookups asked for own properties, a command of type `constructor` made the command handler
// throw ("Internal server error") and a `?constructor=` parameter broke the handshake.
import { createWorld, getState, type RuntimeDeps } from "@ledgerquest/runtime";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { type LocalStack, startLocalStack } from "../src/dev.js";
import { until } from "./support/wait.js";

const WORLD = "hostile";
const PLAYER = "player_0001";

const PROTOTYPE_NAMES = [
  "constructor",
  "__proto__",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "isPrototypeOf",
  "__defineGetter__",
] as const;

let stack: LocalStack;
let deps: RuntimeDeps;
/** What the stack reported as failures (the gateway's and the handlers' logs go to console.error). */
let failures: unknown[][];

beforeAll(async () => {
  stack = await startLocalStack({ game: arenaModule, inMemory: true, log: () => undefined });
  deps = stack.runtimeDeps();
  await createWorld(deps, {
    worldId: WORLD,
    players: [PLAYER, "player_0002"],
    settings: { bodies: 4, bots: 1, coins: 4 },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => {
  failures = [];
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    failures.push(args);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

interface Client {
  readonly ws: WebSocket;
  readonly replies: unknown[];
}

// Alike: dev-bad-input.test.ts's attempt (the same reply capture; it also answers a refused
// handshake's status and the close code, where this one sends headers and rejects a refusal).
function open(url: string, headers: Record<string, string> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const replies: unknown[] = [];
    ws.on("message", (data) => {
      const text = String(data);
      try {
        replies.push(JSON.parse(text));
      } catch {
        replies.push(text);
      }
    });
    ws.once("open", () => resolve({ ws, replies }));
    ws.once("unexpected-response", (_request, response) =>
      reject(new Error(`the handshake was refused with ${response.statusCode}`)),
    );
    ws.once("error", reject);
  });
}

/** Sends `frame` and resolves to the one reply it gets. */
async function ask(client: Client, frame: string): Promise<Record<string, unknown>> {
  const n = client.replies.length;
  client.ws.send(frame);
  return (await until("a reply", () =>
    client.replies.length > n ? client.replies[n] : undefined,
  )) as Record<string, unknown>;
}

async function snapshot() {
  const world = await getState(deps, { worldId: WORLD, playerId: PLAYER });
  const inbox = [];
  for (let shard = 0; shard < 4; shard++)
    inbox.push(...(await deps.inbox.read(WORLD, shard, 0, Number.MAX_SAFE_INTEGER)));
  const journal = await deps.journal.readEntries(WORLD, 0, (world?.ledger.count ?? 0) + 10);
  const connections = (await deps.store.listConnections(WORLD)).map((c) => c.connectionId).sort();
  return { world, inbox, journal, connections };
}

async function playerUrl(extra: Record<string, string> = {}): Promise<string> {
  const query = new URLSearchParams({ world: WORLD, token: await stack.token(PLAYER), ...extra });
  return `${stack.endpoints.websocket}?${query}`;
}

describe("a prototype name from a client", () => {
  it("as a command type, a route or a query type gets a typed error frame and changes nothing", async () => {
    const client = await open(await playerUrl());
    const before = await snapshot();
    for (const name of PROTOTYPE_NAMES) {
      const command = JSON.stringify({ action: "command", id: "c-1", type: name, data: {} });
      const lowercaseName = /^[a-z][a-z0-9_.]{0,31}$/.test(name);
      expect(await ask(client, command), command).toMatchObject({
        type: "error",
        code: lowercaseName ? "unknown_command" : "invalid_frame",
        id: "c-1",
        path: "type",
      });

      const query = JSON.stringify({ action: "query", id: "q-1", type: name });
      expect(await ask(client, query), query).toMatchObject({
        type: "error",
        code: "unknown_query",
        id: "q-1",
        path: "type",
      });

      // An action no route has goes to $default (the command handler), which names the field.
      const route = JSON.stringify({ action: name, id: "r-1", type: "move" });
      expect(await ask(client, route), route).toMatchObject({
        type: "error",
        code: "invalid_frame",
        id: "r-1",
        path: "action",
      });
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toEqual(before);

    // The connection is still the player's: a real command is accepted on it.
    expect(
      await ask(
        client,
        JSON.stringify({ action: "command", id: "after", type: "move", data: { dx: 1, dy: 0 } }),
      ),
    ).toMatchObject({ type: "ack", id: "after", result: "accepted" });
    client.ws.close();
  });

  it("as a query-string parameter or a header of the handshake is passed on as any other name", async () => {
    const before = await snapshot();
    const hostile = Object.fromEntries(PROTOTYPE_NAMES.map((name) => [name, "x"]));
    const client = await open(await playerUrl(hostile), hostile);
    expect(
      await ask(client, JSON.stringify({ action: "query", id: "q-2", type: "state" })),
    ).toMatchObject({ type: "result", id: "q-2", query: "state" });
    expect(failures).toEqual([]);
    const after = await snapshot();
    expect(after.connections).toHaveLength(before.connections.length + 1);
    client.ws.close();
  });
});
