// Floods against the whole local stack, with real WebSocket clients: one client sending commands
// as fast as it can, one identity opening hundreds of sockets, a burst of thousands of frames.
// The other players keep being answered, every frame gets an answer, and what is stored is exactly
// what was acknowledged (the world's pace meanwhile is a benchmark: `--only floods`).
import { DEFAULT_LIMITS, type RuntimeDeps } from "@ledgerquest/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../src/dev.js";
import {
  type FloodClient,
  floodClient,
  formatFloodRound,
  measureFlood,
} from "../src/faults/index.js";
import { startArena, startWorld } from "./support/stack.js";
import { until } from "./support/wait.js";

const WORLD = "flood";
const PLAYERS = ["player_0001", "player_0002", "player_0003", "player_0004"];
let stack: LocalStack;
let deps: RuntimeDeps;

beforeAll(async () => {
  stack = await startArena({ ticksPerBatch: 15, pace: true });
  deps = await startWorld(stack, {
    worldId: WORLD,
    players: PLAYERS,
    settings: { bodies: 20, bots: 2, coins: 20 },
  });
  await until("the loop", async () => ((await version()) >= 2 ? true : undefined));
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

const version = async () => (await deps.store.getWorld(WORLD))?.version ?? -1;

async function player(playerId: string): Promise<FloodClient> {
  const token = await stack.token(playerId);
  return await floodClient(`${stack.endpoints.websocket}?world=${WORLD}&token=${token}`);
}

const move = (id: string) =>
  JSON.stringify({ action: "command", id, type: "move", data: { dx: 1, dy: 0 } });

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
    const rounds = await measureFlood({ deps, worldId: WORLD, flooder, other, rounds: 2 });
    for (const [i, r] of rounds.entries()) console.log(formatFloodRound(r, i + 1));
    await until("the other player's answers", () =>
      other.answers.length >= 16 ? true : undefined,
    );
    const { burst, perSecond } = DEFAULT_LIMITS.commands;
    for (const r of rounds) {
      // Every frame answered, none by the gateway's timeout: accepted, rate limited, or (only
      // when the machine's cores are shared, as on CI) throttled by the gateway after waiting
      // its bounded time for an invocation slot. A throttled frame stored nothing (below).
      expect(r.answers).toHaveLength(1000);
      expect(r.accepted + r.rateLimited + r.throttled).toBe(1000);
      expect(r.accepted).toBeLessThanOrEqual(burst + Math.ceil((perSecond * r.floodMs) / 1000));
    }
    // The first flood gets about the burst: each frame's bucket check is made at its own handler's
    // "now", and frames of one burst are milliseconds apart in flight, so a late-stamped one can
    // find the bucket a token or two fuller than at its own instant (the contract suite checks the
    // exact burst at one instant).
    expect(rounds[0]?.accepted).toBeGreaterThan(burst / 2);
    // Stored is exactly what was acknowledged: nothing stored and left unanswered.
    expect(await storedOf("player_0001")).toBe(rounds.reduce((n, r) => n + r.accepted, 0));
    // The other player was answered every time, and accepted.
    expect(other.answers.map((a) => a.result)).toEqual(Array(16).fill("accepted"));
    // The world's pace while flooded (within 20% of unflooded) is a speed figure: it is printed
    // above and measured on a quiet machine by `npm run bench -- --only floods`; CI shares its 2
    // cores. What keeps the pace is checked here: the flood beyond the burst never reached the
    // store (stored = acknowledged, above), and the other player was answered every time.
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
