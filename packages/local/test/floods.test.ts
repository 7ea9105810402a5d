// Floods against the whole local stack, with real WebSocket clients: one client sending commands
// as fast as it can, one identity opening hundreds of sockets, a burst of thousands of frames.
// The world keeps its pace, the other players keep being answered, every frame gets an answer,
// and what is stored is exactly what was acknowledged.
import { createWorld, DEFAULT_LIMITS, type RuntimeDeps } from "@ledgerquest/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type LocalStack, startLocalStack } from "../src/dev.js";
import { until } from "./support/wait.js";

const WORLD = "flood";
const PLAYERS = ["player_0001", "player_0002", "player_0003", "player_0004"];
let stack: LocalStack;
let deps: RuntimeDeps;

beforeAll(async () => {
  stack = await startLocalStack({
    inMemory: true,
    ticksPerBatch: 15,
    waitSeconds: 0,
    pace: true,
    log: () => undefined,
  });
  const { runtimeDepsFromEnvironment } = await import("@ledgerquest/aws");
  deps = runtimeDepsFromEnvironment();
  const { world } = await createWorld(deps, {
    worldId: WORLD,
    players: PLAYERS,
    settings: { bodies: 20, bots: 2, coins: 20 },
  });
  await stack.activate(WORLD, world.version);
  await until("the loop", async () => ((await version()) >= 2 ? true : undefined));
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const version = async () => (await deps.store.getWorld(WORLD))?.version ?? -1;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Client {
  readonly ws: WebSocket;
  /** Every frame but state pushes, in arrival order. */
  readonly answers: { type: string; id?: string; code?: string; result?: string }[];
}

async function player(playerId: string): Promise<Client> {
  const token = await stack.token(playerId);
  return await new Promise((resolve, reject) => {
    const ws = new WebSocket(`${stack.endpoints.websocket}?world=${WORLD}&token=${token}`);
    const answers: Client["answers"] = [];
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as Client["answers"][number];
      if (frame.type !== "state") answers.push(frame);
    });
    ws.once("open", () => resolve({ ws, answers }));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

const move = (id: string) =>
  JSON.stringify({ action: "command", id, type: "move", data: { dx: 1, dy: 0 } });

/** Versions the world committed per second over `ms`. */
async function pace(ms: number): Promise<number> {
  const from = await version();
  const startMs = Date.now();
  await sleep(ms);
  return ((await version()) - from) / ((Date.now() - startMs) / 1000);
}

async function storedOf(playerId: string): Promise<number> {
  const world = await deps.store.getWorld(WORLD);
  let n = 0;
  for (let shard = 0; shard < (world?.cursors.length ?? 0); shard++) {
    const all = await deps.inbox.read(WORLD, shard, 0, Number.MAX_SAFE_INTEGER);
    n += all.filter((c) => c.playerId === playerId).length;
  }
  return n;
}

describe("floods on the local stack", () => {
  it("one client sending 1,000 commands at once: every one answered, only the admitted stored, the world and another player at their pace", async () => {
    const flooder = await player("player_0001");
    const other = await player("player_0002");
    // Two rounds of an unflooded window and a flooded one: a round whose windows another test's
    // load happened to hit unevenly is told apart from a flood that slows the world (which slows
    // it in both rounds).
    const rounds: { unflooded: number; flooded: number; floodMs: number; accepted: number }[] = [];
    for (let round = 0; round < 2; round++) {
      const before = flooder.answers.length;
      const unflooded = await pace(4000);
      const floodStartMs = Date.now();
      for (let i = 0; i < 1000; i++) flooder.ws.send(move(`f${round}-${i}`));
      // Meanwhile another player sends at a person's pace.
      const paced = (async () => {
        for (let i = 0; i < 8; i++) {
          other.ws.send(move(`o${round}-${i}`));
          await sleep(250);
        }
      })();
      const flooded = await pace(4000);
      await paced;
      await until("an answer to every flooded frame", () =>
        flooder.answers.length >= before + 1000 ? true : undefined,
      );
      const answers = flooder.answers.slice(before);
      const accepted = answers.filter((a) => a.type === "ack" && a.result === "accepted").length;
      const limited = answers.filter((a) => a.type === "error" && a.code === "rate_limited").length;
      const floodMs = Date.now() - floodStartMs;
      console.log(
        `flood ${round + 1}: ${accepted} accepted, ${limited} rate_limited of 1,000 in ${floodMs} ms; world ${unflooded.toFixed(2)} versions/s unflooded, ${flooded.toFixed(2)} while flooded (${((flooded / unflooded) * 100).toFixed(0)}%)`,
      );
      // Every frame answered, none by the gateway's timeout, and only these two answers.
      expect(answers).toHaveLength(1000);
      expect(accepted + limited).toBe(1000);
      rounds.push({ unflooded, flooded, floodMs, accepted });
    }
    await until("the other player's answers", () =>
      other.answers.length >= 16 ? true : undefined,
    );
    const { burst, perSecond } = DEFAULT_LIMITS.commands;
    const accepted = rounds.reduce((n, r) => n + r.accepted, 0);
    // The first flood gets the burst; the second, what refilled since (a bucket holds a burst).
    expect(rounds[0]?.accepted).toBeGreaterThanOrEqual(burst);
    for (const r of rounds)
      expect(r.accepted).toBeLessThanOrEqual(burst + Math.ceil((perSecond * r.floodMs) / 1000));
    // Stored is exactly what was acknowledged: nothing stored and left unanswered.
    expect(await storedOf("player_0001")).toBe(accepted);
    // The other player was answered every time, and accepted.
    expect(other.answers.map((a) => a.result)).toEqual(Array(16).fill("accepted"));
    // The world kept its pace: within 20% of the unflooded windows, in at least one round.
    expect(Math.max(...rounds.map((r) => r.flooded / r.unflooded))).toBeGreaterThanOrEqual(0.8);
    flooder.ws.close();
    other.ws.close();
  });

  it("one identity opening 200 sockets: the game's cap is open, the rest refused with 429", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () => player("player_0003")),
    );
    const open = results.filter((r) => r.status === "fulfilled");
    const refused = results.filter(
      (r) => r.status === "rejected" && String(r.reason).includes("HTTP 429"),
    );
    expect(open).toHaveLength(DEFAULT_LIMITS.connectionsPerPlayer);
    expect(refused).toHaveLength(200 - DEFAULT_LIMITS.connectionsPerPlayer);
    for (const r of open) if (r.status === "fulfilled") r.value.ws.close();
  });

  it("a burst of 3,000 frames from one socket: every frame answered, and nobody else is shut out", async () => {
    const noisy = await player("player_0004");
    const frames = [
      (i: number) => move(`b${i}`),
      (i: number) => JSON.stringify({ action: "query", id: `q${i}`, type: "verify" }),
      () => "not json at all",
      (i: number) => JSON.stringify({ action: "command", id: `x${i}`, type: "constructor" }),
    ];
    for (let i = 0; i < 3000; i++)
      noisy.ws.send((frames[i % frames.length] as (i: number) => string)(i));
    // Straight after: a new connection, and a command and a query on it.
    const newcomer = await player("player_0002");
    newcomer.ws.send(move("late-1"));
    newcomer.ws.send(
      JSON.stringify({ action: "query", id: "late-q", type: "ledger", data: { limit: 1 } }),
    );
    await until("the newcomer's answers", () => (newcomer.answers.length >= 2 ? true : undefined));
    expect(newcomer.answers).toContainEqual({ type: "ack", id: "late-1", result: "accepted" });
    expect(newcomer.answers).toContainEqual(
      expect.objectContaining({ type: "result", id: "late-q" }),
    );
    await until("an answer to every frame of the burst", () =>
      noisy.answers.length >= 3000 ? true : undefined,
    );
    // No gateway timeouts or internal errors: each frame got the protocol's own answer.
    expect(
      noisy.answers.filter((a) => a.type !== "ack" && a.type !== "error" && a.type !== "result"),
    ).toEqual([]);
    noisy.ws.close();
    newcomer.ws.close();
  });
});
