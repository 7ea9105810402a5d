// The market as a whole: what a generic client is told and shown, determinism (two runs, batched
// and snapshot-restored, give the same hashes), conservation of every good over random command
// sequences, and the escrows holding exactly what open offers and top bids say.
import type { JsonValue } from "@ledgerquest/engine";
import {
  checkConservation,
  checkDeterminism,
  conservesMoney,
  createTestWorld,
  type GeneratedCommand,
  type ScriptedCommand,
} from "@ledgerquest/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  GOODS,
  type Good,
  GRID,
  heldInAuctions,
  heldInOffers,
  MARKET_COMMANDS,
  marketGame,
  RECIPES,
  unitOf,
  WARES,
} from "../src/index.js";
import { balances, PLAYERS } from "./helpers.js";

const SETTINGS = { auctionTicks: 8, offerTicks: 12, decayTicks: 3, regrowTicks: 5 };
/** Richer players for random sequences, so more of their commands can be paid for. */
const RANDOM_SETTINGS = { ...SETTINGS, offerTicks: 40, startingGold: 120 };
/** Two players, so that most offers are to the one who may accept them. */
const RANDOM_PLAYERS = ["alice", "bob"] as const;

describe("what clients are told and shown", () => {
  it("describes the grid, every kind the view emits, the quests and the commands", async () => {
    const description = marketGame.describe?.();
    expect(description).toBeDefined();
    if (description === undefined) return;
    expect(description.bounds).toEqual({ minX: 0, minY: 0, maxX: GRID.width, maxY: GRID.height });
    expect([...description.commands].sort()).toEqual(Object.keys(MARKET_COMMANDS).sort());
    expect(description.quests.map((q) => (q as { id: string }).id)).toContain("first_tool");
    const world = await createTestWorld(marketGame, { players: PLAYERS, settings: SETTINGS });
    const view = world.entities();
    const kinds = new Set(view.map((e) => e.kind));
    expect([...kinds].sort()).toEqual(Object.keys(description.kinds).sort());
    for (const e of view) {
      expect(e.x).toBeGreaterThan(description.bounds.minX);
      expect(e.x).toBeLessThan(description.bounds.maxX);
      expect(e.y).toBeGreaterThan(description.bounds.minY);
      expect(e.y).toBeLessThan(description.bounds.maxY);
    }
    expect(view.filter((e) => e.kind === "player").map((e) => e.name)).toEqual([...PLAYERS]);
    for (const name of ["shop", "auction_house", "trading_post"])
      expect(world.entity(name)).toBeDefined();
    // Auto-accepted quests are active from genesis, and clients are told so.
    await world.tick(1);
    const accepted = world
      .events()
      .filter((e) => e.type === "Quest Accepted" && e.data.playerId === "alice");
    expect(accepted.map((e) => e.data.questId)).toContain("woodcutter");
  });
});

/** A script that exercises every command: gathering, crafting, a trade, auctions, purchases. */
function script(): ScriptedCommand[] {
  const at = (tick: number, player: string, type: string, data: JsonValue): ScriptedCommand => ({
    tick,
    player,
    type,
    data,
  });
  return [
    at(0, "alice", "walk", { x: 4, y: 7 }),
    at(0, "bob", "buy", { good: "ore", amount: 3 }),
    at(1, "bob", "bid", { auction: 1, amount: 20 }),
    at(2, "carol", "bid", { auction: 1, amount: 24 }),
    at(3, "bob", "offer", {
      to: "carol",
      give: { good: "ore", amount: 2 },
      ask: { good: "gold", amount: 9 },
    }),
    at(5, "alice", "gather", { x: 3, y: 6 }),
    at(6, "alice", "gather", { x: 3, y: 6 }),
    at(7, "alice", "craft", { recipe: "plank" }),
    at(9, "carol", "accept", { offer: 1 }),
    at(10, "carol", "auction", { lot: { good: "ore", amount: 1 }, minBid: 3, ticks: 10 }),
    at(11, "alice", "bid", { auction: 3, amount: 4 }),
    at(12, "bob", "buy", { good: "wood", amount: 2 }),
    at(14, "alice", "walk", { x: 10, y: 10 }),
    at(15, "bob", "craft", { recipe: "plank" }),
  ];
}

describe("determinism", () => {
  it("gives the same hash at every tick: one tick per batch, batched, and restored from a snapshot", async () => {
    const report = await checkDeterminism(marketGame, {
      players: PLAYERS,
      settings: SETTINGS,
      seed: 7,
      ticks: 40,
      script: script(),
      snapshotAt: 11,
    });
    expect(report.refused).toEqual([]);
    expect(report.firstMismatch).toBeUndefined();
    expect(report.ok).toBe(true);
  });

  it("replays its history to the same hashes and journal, and a snapshot restores the same world", async () => {
    const world = await createTestWorld(marketGame, { players: PLAYERS, settings: SETTINGS });
    for (const c of script()) {
      if (world.tickNumber < c.tick) await world.tick(c.tick - world.tickNumber);
      await world.command(c.player, c.type, c.data ?? null);
    }
    await world.tick(20);
    // Something happened: a trade settled, the house auction was won.
    expect(world.balance("carol", "item.crown")).toBe(1);
    expect(world.balance("carol", "item.ore")).toBe(2 - 1 + 0);
    const replay = await world.replay();
    expect(replay.ok).toBe(true);
    const copy = await world.restore(world.snapshot());
    expect(copy.hash()).toBe(world.hash());
    await Promise.all([copy.tick(15), world.tick(15)]);
    expect(copy.hash()).toBe(world.hash());
    expect(copy.journal().map((e) => e.hash)).toEqual(world.journal().map((e) => e.hash));
  });
});

/**
 * Random market commands of the players: mostly goods they can have (gold and the shop's wares),
 * offer and auction numbers that exist, bids around the house's reserves; some refused.
 */
function commands(): fc.Arbitrary<GeneratedCommand> {
  const player = fc.constantFrom(...RANDOM_PLAYERS);
  const ware = fc.constantFrom(...WARES.map((w) => w.good));
  const good = fc.constantFrom<Good>("gold", "gold", "gold", ...WARES.map((w) => w.good), "plank");
  // Lots are items (a gold lot is refused at the boundary): mostly what the shop sells.
  const lot = fc.constantFrom<Good>(...WARES.map((w) => w.good), "plank", "gold");
  const small = fc.integer({ min: 1, max: 4 });
  const number = fc.integer({ min: 1, max: 3 });
  const amount = fc.record({ good, amount: small });
  const cell = fc.record({
    x: fc.integer({ min: 0, max: GRID.width - 1 }),
    y: fc.integer({ min: 0, max: GRID.height - 1 }),
  });
  const typed = (type: string, data: fc.Arbitrary<JsonValue>) =>
    fc.record({ type: fc.constant(type), data });
  const command = fc.oneof(
    { weight: 3, arbitrary: typed("buy", fc.record({ good: ware, amount: small })) },
    {
      weight: 2,
      arbitrary: typed(
        "craft",
        fc.record({ recipe: fc.constantFrom(...RECIPES.map((r) => r.id)) }),
      ),
    },
    { weight: 3, arbitrary: typed("offer", fc.record({ to: player, give: amount, ask: amount })) },
    { weight: 3, arbitrary: typed("accept", fc.record({ offer: number })) },
    { weight: 1, arbitrary: typed("cancel", fc.record({ offer: number })) },
    {
      weight: 3,
      arbitrary: typed(
        "bid",
        fc.record({ auction: number, amount: fc.integer({ min: 1, max: 80 }) }),
      ),
    },
    {
      weight: 2,
      arbitrary: typed(
        "auction",
        fc.record({
          lot: fc.record({ good: lot, amount: small }),
          minBid: small,
          ticks: fc.integer({ min: 10, max: 20 }),
        }),
      ),
    },
    { weight: 1, arbitrary: typed("walk", cell) },
    { weight: 1, arbitrary: typed("gather", cell) },
  );
  // Offers go to the other player, but one in eight to oneself (refused by `authorize`).
  return fc.tuple(player, command, fc.nat(7)).map(([p, c, n]) => {
    const other = p === "alice" ? "bob" : "alice";
    const data = c.type === "offer" && n > 0 ? { ...(c.data as object), to: other } : c.data;
    return { player: p, type: c.type, data: data as JsonValue };
  });
}

describe("conservation", () => {
  it("conserves every good and verifies its ledger over random command sequences", async () => {
    await fc.assert(
      conservesMoney(marketGame, {
        players: RANDOM_PLAYERS,
        settings: RANDOM_SETTINGS,
        commands: commands(),
        maxCommands: 25,
        ticks: 25,
      }),
      { numRuns: 60 },
    );
  });

  it("keeps in escrow exactly the goods of open offers and the top bids of running auctions", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commands(), { minLength: 5, maxLength: 30 }), async (list) => {
        const world = await createTestWorld(marketGame, {
          players: RANDOM_PLAYERS,
          settings: RANDOM_SETTINGS,
          snapshots: false,
        });
        for (const c of list) {
          await world.command(c.player, c.type, c.data);
          await world.tick(1);
          const sim = world.simulation();
          const held = balances(world);
          const offers = heldInOffers(sim.world);
          GOODS.forEach((g, i) => {
            expect(held[`escrow.trades:${unitOf(g)}`], `trade escrow of ${g}`).toBe(offers[i]);
          });
          const auctions = heldInAuctions(sim.world);
          GOODS.forEach((g, i) => {
            expect(held[`escrow.auctions:${unitOf(g)}`], `auction escrow of ${g}`).toBe(
              auctions[i],
            );
          });
        }
        expect((await checkConservation(world)).ok).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
