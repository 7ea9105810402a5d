// The shop's moving prices (integer arithmetic, rising with each unit bought and decaying over
// ticks) and the market's quests (each paid once; one claimed by hand).
import { describe, expect, it } from "vitest";
import { costOf, priceAt, prices, QUESTS } from "../src/index.js";
import { act, demand, market } from "./helpers.js";

describe("the shop", () => {
  it("prices in whole gold: base × (10 + demand) / 10, rounded down", () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((d) => priceAt(6, d))).toEqual([6, 6, 7, 7, 8, 9, 12]);
    expect(costOf(6, 0, 5)).toBe(6 + 6 + 7 + 7 + 8);
    expect(costOf(3, 0, 1)).toBe(3);
  });

  it("raises a ware's price with each unit bought, and lets it fall back one unit of demand per decayTicks", async () => {
    const world = await market({ decayTicks: 10 });
    // Demand falls at the start of ticks 0, 10, 20, ..., before that tick's purchases.
    expect(await act(world, "alice", "buy", { good: "ore", amount: 5 })).toBe("ok");
    expect(world.balance("alice", "gold")).toBe(50 - 34);
    expect(world.balance("alice", "item.ore")).toBe(5);
    expect(demand(world)).toEqual({ wood: 0, stone: 0, ore: 5 });
    expect(prices(world.simulation().world)).toEqual({ wood: 3, stone: 4, ore: 9 });
    // bob pays the higher price.
    expect(await act(world, "bob", "buy", { good: "ore", amount: 1 })).toBe("ok");
    expect(world.balance("bob", "gold")).toBe(50 - 9);
    expect(demand(world).ore).toBe(6);
    // Ticks 10, 20, ...: one unit of demand less each.
    await world.tick(10 - world.tickNumber);
    expect(demand(world).ore).toBe(6);
    await world.tick(1);
    expect(demand(world).ore).toBe(5);
    expect(prices(world.simulation().world).ore).toBe(9);
    await world.tick(50);
    expect(demand(world).ore).toBe(0);
    expect(prices(world.simulation().world).ore).toBe(6);
  });

  it("refuses a purchase the buyer cannot pay, moving nothing and leaving the price", async () => {
    const world = await market({ startingGold: 10 });
    expect(await act(world, "carol", "buy", { good: "ore", amount: 2 })).toBe("insufficient_funds");
    expect(world.balance("carol", "gold")).toBe(10);
    expect(world.balance("carol", "item.ore")).toBe(0);
    expect(demand(world).ore).toBe(0);
    expect(await world.command("carol", "buy", { good: "crown", amount: 1 })).toMatchObject({
      ok: false,
      code: "invalid_data",
    });
  });

  it("moves prices the same way in two worlds given the same purchases", async () => {
    const run = async () => {
      const world = await market({ decayTicks: 7 });
      const seen: Record<string, number>[] = [];
      for (let i = 0; i < 6; i++) {
        await world.command("alice", "buy", {
          good: i % 2 === 0 ? "ore" : "stone",
          amount: 1 + (i % 3),
        });
        await world.tick(3);
        seen.push(prices(world.simulation().world));
      }
      return { seen, hash: world.hash() };
    };
    const [a, b] = [await run(), await run()];
    expect(a).toEqual(b);
    expect(new Set(a.seen.map((p) => p.ore)).size).toBeGreaterThan(1);
  });
});

describe("quests", () => {
  it("pays a claimed quest once, only when claimed", async () => {
    const world = await market();
    expect(QUESTS.quests.map((q) => q.id)).toEqual([
      "woodcutter",
      "first_tool",
      "dealmaker",
      "collector",
      "regular",
    ]);
    for (let i = 0; i < 3; i++) await act(world, "bob", "buy", { good: "wood", amount: 1 });
    const gold = world.balance("bob", "gold");
    await world.tick(2);
    // "regular" is complete but manual: nothing until bob claims it.
    expect(world.balance("bob", "gold")).toBe(gold);
    expect(await world.command("bob", "quest.claim", { quest: "regular" })).toMatchObject({
      ok: true,
    });
    await world.tick(1);
    expect(world.balance("bob", "gold")).toBe(gold + 8);
    await world.command("bob", "quest.claim", { quest: "regular" });
    await world.tick(2);
    expect(world.balance("bob", "gold")).toBe(gold + 8);
    const paid = world
      .journal()
      .filter((e) => e.kind === "transfer" && e.id.includes("quest:regular:bob"));
    expect(paid).toHaveLength(1);
    expect(
      world.events().filter((e) => e.type === "Quest Completed" && e.data.playerId === "bob"),
    ).toHaveLength(1);
  });
});
