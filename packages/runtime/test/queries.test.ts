import { beforeEach, describe, expect, it } from "vitest";
import {
  answerQuery,
  type ClientErrorFrame,
  connect,
  createMemoryDeps,
  createWorld,
  type ManualClock,
  type MemoryDeps,
  type QueryResultFrame,
  type QueryResults,
  REPLAY_QUERY_TICKS_MAX,
  runTickBatch,
  type StatePushFrame,
} from "../src/index.js";
import { fixtureGame } from "./support/fixture-game.js";

// Alike: players.test.ts's world (each file its own, with the players and settings it needs).
let deps: MemoryDeps & { readonly clock: ManualClock };

beforeEach(async () => {
  deps = createMemoryDeps(fixtureGame);
  await createWorld(deps, {
    worldId: "q-1",
    players: ["player_0001"],
    settings: { runners: 3, coins: 30 },
  });
  await connect(deps, { connectionId: "c1", playerId: "player_0001", worldId: "q-1" });
  deps.push.open("c1");
  for (let i = 0; i < 3; i++) {
    deps.clock.advance(1000);
    await runTickBatch(deps, { worldId: "q-1", token: `t${i}`, maxTicks: 60 });
  }
});

const ask = (type: string, data?: unknown, operator = false, playerId = "player_0001") =>
  answerQuery(deps, {
    connectionId: "c1",
    playerId,
    operator,
    body: JSON.stringify({ action: "query", id: `q-${type}`, type, data }),
  });

function result<T extends keyof QueryResults>(
  frame: QueryResultFrame | ClientErrorFrame,
  query: T,
): QueryResults[T] {
  if (frame.type !== "result" || frame.query !== query)
    throw new Error(`expected a ${query} result, got ${JSON.stringify(frame)}`);
  return frame.data as QueryResults[T];
}

describe("answerQuery", () => {
  it("state: the committed world, every entity, the player's profile, the supply and the game", async () => {
    const state = result(await ask("state"), "state");
    expect(state).toMatchObject({ worldId: "q-1", version: 3, tick: 180 });
    expect(state.player).toMatchObject({ playerId: "player_0001", balances: { gold: 100 } });
    expect(state.entities.filter((e) => e.kind === "player").map((e) => e.name)).toEqual([
      "player_0001",
    ]);
    // The wall carries its own shape; the rest look as their kind does.
    expect(state.entities.find((e) => e.kind === "wall")).toMatchObject({
      shape: "box",
      hw: 4,
      hh: 1,
    });
    expect(state.entities.find((e) => e.kind === "coin")?.shape).toBeUndefined();
    expect(state.game?.bounds).toEqual({ minX: 0, minY: 0, maxX: 60, maxY: 40 });
    expect(state.game?.quests.map((q) => (q as { id: string }).id)).toContain("bounty");
    expect(state.game?.commands).toContain("quest.claim");
    // The supply is what players and runners hold: the player's 100 plus whatever runners collected.
    expect(state.supply.gold).toBeGreaterThanOrEqual(100);
  });

  it("ledger: the newest entries first, bounded by the limit", async () => {
    const ledger = result(await ask("ledger", { limit: 5 }), "ledger");
    const world = await deps.store.getWorld("q-1");
    expect(ledger.count).toBe(world?.ledger.count);
    expect(ledger.head).toBe(world?.ledger.head);
    expect(ledger.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5].map((k) => ledger.count - k));
    const all = result(await ask("ledger"), "ledger");
    expect(all.entries.length).toBe(Math.min(50, ledger.count));
  });

  it("verify: the chain, sums and projections pass", async () => {
    const report = result(await ask("verify"), "verify");
    expect(report.ok, JSON.stringify(report.problems)).toBe(true);
    expect(report.entries).toBeGreaterThan(0);
  });

  it("replay and worlds are for operators, and answer them", async () => {
    expect(await ask("replay")).toMatchObject({ type: "error", code: "forbidden", id: "q-replay" });
    expect(await ask("worlds")).toMatchObject({ type: "error", code: "forbidden" });
    const replay = result(await ask("replay", { fromTick: 60, toTick: 119 }, true), "replay");
    expect(replay).toMatchObject({ ok: true, fromTick: 60, toTick: 119, ticksChecked: 60 });
    const worlds = result(await ask("worlds", undefined, true), "worlds");
    expect(worlds.worlds).toEqual([
      expect.objectContaining({ worldId: "q-1", version: 3, tick: 180, connections: 1 }),
    ]);
  });

  it("refuses bad frames with typed errors", async () => {
    const raw = (body: string) =>
      answerQuery(deps, { connectionId: "c1", playerId: "player_0001", operator: true, body });
    expect(await raw("{")).toMatchObject({ code: "not_json" });
    expect(await ask("gossip")).toMatchObject({ code: "unknown_query", path: "type" });
    expect(await ask("ledger", { limit: 0 })).toMatchObject({
      code: "invalid_data",
      path: "data.limit",
    });
    expect(await ask("ledger", { limit: 10, extra: 1 })).toMatchObject({ code: "invalid_data" });
    expect(
      await ask("replay", { fromTick: 0, toTick: REPLAY_QUERY_TICKS_MAX + 5 }, true),
    ).toMatchObject({ code: "invalid_data", message: expect.stringMatching(/at most 3600/) });
    expect(await ask("replay", { fromTick: 100, toTick: 90_000 }, true)).toMatchObject({
      code: "invalid_data",
    });
    // A player asking over someone else's connection.
    expect(await ask("state", undefined, false, "player_0002")).toMatchObject({
      code: "not_in_world",
    });
  });
});

describe("state pushes", () => {
  it("carry the batch's figures and the supply", async () => {
    const pushes = deps.push.received("c1").map((m) => JSON.parse(m) as StatePushFrame);
    expect(pushes.length).toBe(3);
    const last = pushes[pushes.length - 1] as StatePushFrame;
    expect(last.batch).toMatchObject({ ticks: 60 });
    expect(last.batch?.durationMs).toBeGreaterThanOrEqual(0);
    const state = result(await ask("state"), "state");
    expect(last.supply).toEqual(state.supply);
  });
});
