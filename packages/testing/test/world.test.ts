import { describe, expect, it } from "vitest";
import { createTestWorld } from "../src/index.js";
import { coinGame, POTION_PRICE, STARTING_GOLD } from "./support/coin-game.js";

describe("createTestWorld", () => {
  it("applies a scripted move at the next tick and pays a pickup through the ledger", async () => {
    const world = await createTestWorld(coinGame, { players: ["alice", "bob"] });
    expect(world.tickNumber).toBe(0);
    expect(world.entity("alice")).toMatchObject({ kind: "player", x: 0, y: 0 });
    expect(world.balance("alice", "gold")).toBe(STARTING_GOLD);
    const r = await world.command("alice", "move", { dx: 1, dy: 1 });
    expect(r).toEqual({ ok: true, id: "c0", result: "accepted" });
    expect(world.entity("alice")).toMatchObject({ x: 0, y: 0 });
    await world.tick();
    expect(world.tickNumber).toBe(1);
    expect(world.entity("alice")).toMatchObject({ x: 1, y: 1 });
    expect(world.balance("alice", "gold")).toBe(STARTING_GOLD + 2);
    expect(world.balance("alice", "xp")).toBe(1);
    await world.command("alice", "buy", { quantity: 1 });
    await world.tick(3);
    expect(world.tickNumber).toBe(4);
    expect(world.balance("alice", "gold")).toBe(STARTING_GOLD + 2 - POTION_PRICE);
    expect(world.balance("alice", "item.potion")).toBe(1);
    const report = await world.verify();
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    const replay = await world.replay();
    expect(replay.ok).toBe(true);
  });
});
