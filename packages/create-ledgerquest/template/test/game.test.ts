// The game on the testing kit (@ledgerquest/testing): the runtime's own use cases over memory
// adapters and a manual clock, so these run in seconds with no stack, no network and no wall clock.
import { checkDeterminism, conservesMoney, createTestWorld } from "@ledgerquest/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import config from "../ledgerquest.config.js";
import { GRID, game, STARTING_GOLD, spawnOf } from "../src/game.js";

const PLAYERS = ["alice", "bob"];

describe("the gems game", () => {
  it("moves a player one cell per move, at the next tick, never off the grid", async () => {
    const world = await createTestWorld(game, { players: PLAYERS });
    const start = spawnOf(1);
    expect(world.entity("bob")).toMatchObject({ kind: "player", x: start.x + 0.5 });

    expect(await world.command("bob", "move", { dx: 0, dy: -1 })).toMatchObject({ ok: true });
    await world.tick();
    expect(world.entity("bob")).toMatchObject({ x: start.x + 0.5, y: start.y - 0.5 });

    // Refusals are values: data outside the schema changes nothing.
    expect(await world.command("bob", "move", { dx: 2, dy: 0 })).toMatchObject({
      ok: false,
      code: "invalid_data",
      path: "data.dx",
    });
    for (let i = 0; i < GRID.height; i++) {
      await world.command("bob", "move", { dx: 0, dy: -1 });
      await world.tick();
    }
    expect(world.entity("bob")).toMatchObject({ y: 0.5 });
  });

  it("pays a gem through the ledger, and the ledger verifies", async () => {
    const world = await createTestWorld(game, { players: PLAYERS });
    expect(world.balance("alice", "gold")).toBe(STARTING_GOLD);
    const before = world.journal().length;

    // The first gem (2 gold) lies one cell east of alice.
    await world.command("alice", "move", { dx: 1, dy: 0 });
    await world.tick();
    expect(world.balance("alice", "gold")).toBe(STARTING_GOLD + 2);
    expect(world.balance("alice", "xp")).toBe(1);

    // The reward is transfers from the mint, in the journal, not a number set somewhere.
    const transfers = world.journal().slice(before);
    expect(transfers).toContainEqual(
      expect.objectContaining({ kind: "transfer", unit: "gold", amount: 2, reason: "gem" }),
    );
    expect(world.supply().gold).toMatchObject({ minted: 2 * STARTING_GOLD + 2, sunk: 0 });

    const verified = await world.verify();
    expect(verified.ok).toBe(true);
    expect((await world.replay()).ok).toBe(true);
  });

  it("pays the quest's bonus once a player has collected 10 gold", async () => {
    const world = await createTestWorld(game, { players: PLAYERS });
    // Walk to the nearest gem, a step per tick, until gems have paid 10 gold (bounded).
    for (let i = 0; i < 400 && world.balance("alice", "gold") < STARTING_GOLD + 10; i++) {
      const me = world.entity("alice");
      const gems = world.entities().filter((e) => e.kind === "gem");
      if (me === undefined || gems.length === 0) break;
      const near = (e: { x: number; y: number }) => Math.abs(e.x - me.x) + Math.abs(e.y - me.y);
      const gem = gems.reduce((a, b) => (near(b) < near(a) ? b : a));
      await world.command("alice", "move", {
        dx: Math.sign(gem.x - me.x),
        dy: Math.sign(gem.y - me.y),
      });
      await world.tick();
    }
    await world.tick();
    const completed = world
      .events()
      .filter((e) => e.type === "Quest Completed" && e.data.playerId === "alice");
    expect(completed.map((e) => e.data.questId)).toEqual(["prospector"]);
    // Gems paid at least 10 gold, the quest 5 more, all of it minted through the ledger.
    const fromGems = world
      .journal()
      .filter((e) => e.kind === "transfer" && e.unit === "gold" && e.reason === "gem")
      .reduce((sum, e) => sum + (e.kind === "transfer" ? e.amount : 0), 0);
    expect(fromGems).toBeGreaterThanOrEqual(10);
    expect(world.balance("alice", "gold")).toBe(STARTING_GOLD + fromGems + 5);
    expect((await world.verify()).ok).toBe(true);
  });

  it("is deterministic: per tick, batched and restored from a snapshot", async () => {
    const report = await checkDeterminism(game, {
      players: PLAYERS,
      ticks: 30,
      script: [
        { tick: 0, player: "alice", type: "move", data: { dx: 1, dy: 0 } },
        { tick: 3, player: "bob", type: "move", data: { dx: -1, dy: 1 } },
        { tick: 9, player: "alice", type: "move", data: { dx: 1, dy: 1 } },
        { tick: 20, player: "bob", type: "move", data: { dx: 0, dy: -1 } },
      ],
    });
    expect(report.refused).toEqual([]);
    expect(report.firstMismatch).toBeUndefined();
    expect(report.ok).toBe(true);
  });

  it("conserves money whatever players send", async () => {
    const commands = fc.record({
      player: fc.constantFrom(...PLAYERS),
      type: fc.constant("move"),
      data: fc.record({ dx: fc.integer({ min: -1, max: 1 }), dy: fc.integer({ min: -1, max: 1 }) }),
    });
    await fc.assert(conservesMoney(game, { commands, players: PLAYERS }), { numRuns: 25 });
  });

  it("ledgerquest.config.ts runs this game, with a bot that plays it", async () => {
    expect(config.game).toBe(game);
    const spec = config.worlds?.[0];
    const world = await createTestWorld(config.game, {
      worldId: spec?.id ?? "demo",
      players: spec?.players ?? PLAYERS,
    });
    const player = spec?.players?.[0] ?? "alice";
    const policy = config.bot?.(player);
    const move = policy?.(
      { worldId: "demo", tick: 0, player, entities: world.entities(), nowMs: 0 },
      () => 0.5,
    );
    expect(move).toEqual({ type: "move", data: { dx: 1, dy: 0 } });
  });
});
