// Gathering and crafting: resources are minted into wallets from tiles next to the player, and a
// recipe's inputs and output move as one linked chain, or not at all.
import { describe, expect, it } from "vitest";
import { Resource, TILE_CAPACITY } from "../src/index.js";
import { act, balances, market, outcome } from "./helpers.js";

describe("gathering", () => {
  it("takes from a tile next to the player, not from afar, and pays the woodcutter quest once", async () => {
    const world = await market();
    // alice starts at (8, 7); the tree at (3, 6) is far.
    expect(await act(world, "alice", "gather", { x: 3, y: 6 })).toBe("not_adjacent");
    expect(await act(world, "alice", "gather", { x: 0, y: 0 })).toBe("depleted");
    expect(await act(world, "alice", "walk", { x: 4, y: 7 })).toBe("ok");
    await world.tick(4);
    expect(world.entity("alice")).toMatchObject({ x: 4.5, y: 7.5 });
    const gold = world.balance("alice", "gold");
    for (let i = 0; i < 4; i++)
      expect(await act(world, "alice", "gather", { x: 3, y: 6 })).toBe("ok");
    expect(world.balance("alice", "item.wood")).toBe(4);
    // Three wood finished "woodcutter" (the quests judge a tick's facts at the start of the
    // next): 5 gold, paid once although a fourth was gathered.
    await world.tick(1);
    expect(world.balance("alice", "gold")).toBe(gold + 5);
    const rewards = world
      .journal()
      .filter((e) => e.kind === "transfer" && e.id.includes("quest:woodcutter:alice"));
    expect(rewards.map((e) => (e.kind === "transfer" ? e.unit : ""))).toEqual(["gold", "xp"]);
    // The tile holds four fewer.
    const sim = world.simulation();
    const stock = sim.world
      .query([Resource])
      .ids()
      .map((e) => sim.world.store(Resource).stock[e]);
    expect(stock).toContain(TILE_CAPACITY - 4);
  });

  it("empties a tile, which then refuses, and regrows it one unit every regrowTicks", async () => {
    const world = await market({ regrowTicks: 20 });
    await act(world, "bob", "walk", { x: 4, y: 7 });
    await world.tick(5);
    for (let i = 0; i < TILE_CAPACITY; i++) await world.command("bob", "gather", { x: 3, y: 6 });
    await world.tick(1);
    expect(world.balance("bob", "item.wood")).toBe(TILE_CAPACITY);
    expect(await act(world, "bob", "gather", { x: 3, y: 6 })).toBe("depleted");
    await world.tick(20);
    expect(await act(world, "bob", "gather", { x: 3, y: 6 })).toBe("ok");
    expect(world.balance("bob", "item.wood")).toBe(TILE_CAPACITY + 1);
  });
});

describe("crafting", () => {
  it("consumes the inputs and grants the output in one chain; with too few inputs nothing moves", async () => {
    const world = await market();
    expect(await act(world, "alice", "buy", { good: "wood", amount: 2 })).toBe("ok");
    expect(await act(world, "alice", "craft", { recipe: "plank" })).toBe("ok");
    expect(world.balance("alice", "item.wood")).toBe(0);
    expect(world.balance("alice", "item.plank")).toBe(1);
    const chain = world.journal().filter((e) => e.kind === "transfer" && e.reason === "craft");
    expect(
      chain.map((e) => (e.kind === "transfer" ? [e.debit, e.credit, e.amount, e.linked] : [])),
    ).toEqual([
      ["alice:item.wood", "sink:item.wood", 2, true],
      ["mint:item.plank", "alice:item.plank", 1, false],
    ]);

    // A pickaxe needs a plank and two ore: alice has the plank, no ore. Nothing moves.
    const before = balances(world);
    const entries = world.journal().length;
    expect(await act(world, "alice", "craft", { recipe: "pickaxe" })).toBe("insufficient_funds");
    expect(balances(world)).toEqual(before);
    expect(world.journal().length).toBe(entries);

    // With the ore it works, and "first_tool" pays 15 gold and 10 xp, once.
    expect(await act(world, "alice", "buy", { good: "ore", amount: 2 })).toBe("ok");
    const gold = world.balance("alice", "gold");
    expect(await act(world, "alice", "craft", { recipe: "pickaxe" })).toBe("ok");
    expect(world.balance("alice", "item.pickaxe")).toBe(1);
    expect(world.balance("alice", "item.plank")).toBe(0);
    expect(world.balance("alice", "item.ore")).toBe(0);
    expect(world.balance("alice", "gold")).toBe(gold);
    await world.tick(1);
    expect(world.balance("alice", "gold")).toBe(gold + 15);
    expect(world.balance("alice", "xp")).toBe(10);
    await world.tick(5);
    expect(world.balance("alice", "gold")).toBe(gold + 15);
    expect((await world.verify()).ok).toBe(true);
  });

  it("refuses an unknown recipe at the boundary, and a pickaxe doubles what ore veins give", async () => {
    const world = await market();
    expect(await world.command("bob", "craft", { recipe: "sword" })).toMatchObject({
      ok: false,
      code: "invalid_data",
    });
    await act(world, "bob", "buy", { good: "wood", amount: 2 });
    await act(world, "bob", "buy", { good: "ore", amount: 2 });
    await act(world, "bob", "craft", { recipe: "plank" });
    await act(world, "bob", "craft", { recipe: "pickaxe" });
    expect(outcome(world, "bob")).toBe("ok");
    // bob starts at (9, 7); next to the vein at (18, 12) is (17, 11).
    await act(world, "bob", "walk", { x: 17, y: 11 });
    await world.tick(10);
    expect(world.entity("bob")).toMatchObject({ x: 17.5, y: 11.5 });
    expect(await act(world, "bob", "gather", { x: 18, y: 12 })).toBe("ok");
    expect(world.balance("bob", "item.ore")).toBe(2);
  });
});
