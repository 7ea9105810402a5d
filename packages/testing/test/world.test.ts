import { mintAccount, sinkAccount } from "@ledgerquest/engine";
import { describe, expect, it } from "vitest";
import { createTestWorld, SnapshotError, TestWorldOptionsError } from "../src/index.js";
import { coinGame, POTION_PRICE, STARTING_GOLD } from "./support/coin-game.js";

describe("createTestWorld", () => {
  it("applies a scripted move at the next tick, not before", async () => {
    const world = await createTestWorld(coinGame, { players: ["alice", "bob"] });
    expect(world.tickNumber).toBe(0);
    expect(world.entity("alice")).toMatchObject({ kind: "player", x: 0, y: 0 });
    expect(world.entity("bob")).toMatchObject({ kind: "player", x: 1, y: 0 });
    const r = await world.command("alice", "move", { dx: 1, dy: 1 });
    expect(r).toEqual({ ok: true, id: "c0", result: "accepted" });
    expect(world.entity("alice")).toMatchObject({ x: 0, y: 0 });
    const summary = await world.tick();
    expect(summary).toMatchObject({ tick: 1, commandsApplied: 1 });
    expect(world.tickNumber).toBe(1);
    expect(world.entity("alice")).toMatchObject({ x: 1, y: 1 });
    const alice = world.entity("alice");
    expect(alice !== undefined && world.entity(alice.id)).toEqual(alice);
    expect(world.entities().filter((e) => e.kind === "coin")).toHaveLength(3);
  });

  it("answers refusals as values: invalid data with a path, unknown command, forbidden, not a member, duplicate", async () => {
    const world = await createTestWorld(coinGame);
    expect(await world.command("alice", "move", { dx: 2, dy: 0 })).toMatchObject({
      ok: false,
      code: "invalid_data",
      path: "data.dx",
    });
    expect(await world.command("alice", "fly", {})).toMatchObject({
      ok: false,
      code: "unknown_command",
    });
    expect(await world.command("alice", "move", { dx: 1, dy: 0, entity: "bob" })).toMatchObject({
      ok: false,
      code: "forbidden",
    });
    expect(await world.command("mallory", "move", { dx: 1, dy: 0 })).toMatchObject({
      ok: false,
      code: "not_a_member",
    });
    expect(await world.command("alice", "move", { dx: 1, dy: 0 }, { id: "m1" })).toMatchObject({
      ok: true,
      result: "accepted",
    });
    expect(await world.command("alice", "move", { dx: 1, dy: 0 }, { id: "m1" })).toMatchObject({
      ok: true,
      result: "duplicate",
    });
    await world.tick();
    // Only the one accepted command was applied, once.
    expect(world.entity("alice")).toMatchObject({ x: 1, y: 0 });
    expect(world.entity("bob")).toMatchObject({ x: 1, y: 0 });
    expect(await world.appliedCommands()).toEqual(new Map([["alice/m1", 1]]));
  });

  it("moves balances only through the ledger, and verifies and replays", async () => {
    const world = await createTestWorld(coinGame);
    expect(world.balance("alice", "gold")).toBe(STARTING_GOLD);
    const before = world.journal().length;
    await world.command("alice", "move", { dx: 1, dy: 1 }); // onto the first coin (value 2)
    await world.tick();
    expect(world.balance("alice", "gold")).toBe(STARTING_GOLD + 2);
    expect(world.balance("alice", "xp")).toBe(1);
    // The first xp is level 2: the runtime's domain event, at the tick the pickup ran.
    expect(world.events()).toEqual([
      expect.objectContaining({
        tick: 0,
        type: "Level Up",
        data: expect.objectContaining({ playerId: "alice", level: 2, xp: 1 }),
      }),
    ]);
    await world.command("alice", "buy", { quantity: 1 });
    await world.tick(3);
    expect(world.tickNumber).toBe(4);
    expect(world.balance("alice", "gold")).toBe(STARTING_GOLD + 2 - POTION_PRICE);
    expect(world.balance("alice", "item.potion")).toBe(1);
    // Every change of a balance is a transfer in the journal, from a mint or into a sink.
    const transfers = world.journal().slice(before);
    expect(transfers.every((e) => e.kind === "transfer")).toBe(true);
    expect(transfers.map((e) => (e.kind === "transfer" ? [e.debit, e.credit] : []))).toEqual([
      [mintAccount("gold"), "alice:gold"],
      [mintAccount("xp"), "alice:xp"],
      ["alice:gold", sinkAccount("gold")],
      [mintAccount("item.potion"), "alice:item.potion"],
    ]);
    expect(world.supply().gold).toEqual({
      minted: 2 * STARTING_GOLD + 2,
      sunk: POTION_PRICE,
      held: 2 * STARTING_GOLD + 2 - POTION_PRICE,
    });
    const report = await world.verify();
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.units.find((u) => u.unit === "gold")).toMatchObject(world.supply().gold ?? {});
    expect((await world.replay()).ok).toBe(true);
  });

  it("keeps a state hash per tick and pushes state frames to connected players", async () => {
    const world = await createTestWorld(coinGame);
    await world.command("bob", "move", { dx: 0, dy: 1 });
    await world.tick(5);
    expect(world.stateHashes()).toHaveLength(6);
    expect(world.stateHashes()[5]).toBe(world.hash());
    const frames = world.received("bob");
    expect(frames).toHaveLength(1);
    expect(frames[0]).toMatchObject({ type: "state", tick: 5, stateHash: world.hash() });
  });

  it("restores a snapshot into a new world that goes on as the original does", async () => {
    const world = await createTestWorld(coinGame, { seed: 7 });
    await world.command("alice", "move", { dx: 1, dy: 1 });
    await world.tick(2);
    await world.command("bob", "move", { dx: 1, dy: 1 }); // pending: it travels in the snapshot
    const copy = await createTestWorld(coinGame, { from: world.snapshot() });
    expect(copy.tickNumber).toBe(2);
    expect(copy.hash()).toBe(world.hash());
    expect(copy.balance("alice", "gold")).toBe(world.balance("alice", "gold"));
    await world.tick(3);
    await copy.tick(3);
    expect(copy.stateHashes()).toEqual(world.stateHashes());
    expect(copy.entity("bob")).toEqual(world.entity("bob"));
    expect((await copy.verify()).ok).toBe(true);
    expect((await copy.replay()).ok).toBe(true);
    // The new world's own commands do not collide with the ids the snapshot carries.
    expect(await copy.command("alice", "move", { dx: 1, dy: 0 })).toMatchObject({
      result: "accepted",
    });
  });

  it("refuses options it cannot work with, as typed errors", async () => {
    await expect(createTestWorld(coinGame, { worldId: "no spaces" })).rejects.toBeInstanceOf(
      TestWorldOptionsError,
    );
    await expect(createTestWorld(coinGame, { settings: { coins: -1 } })).rejects.toBeInstanceOf(
      TestWorldOptionsError,
    );
    await expect(
      createTestWorld(coinGame, { from: new TextEncoder().encode("{}") }),
    ).rejects.toBeInstanceOf(SnapshotError);
    const world = await createTestWorld(coinGame, { snapshots: false });
    expect(() => world.snapshot()).toThrow(SnapshotError);
    await expect(world.tick(0)).rejects.toBeInstanceOf(TestWorldOptionsError);
  });
});
