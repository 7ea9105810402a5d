import { Ledger, walletAccount } from "@ledgerquest/engine";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertConservesMoney,
  ConservationError,
  checkConservation,
  conservesMoney,
  createTestWorld,
  expectConservation,
  type GeneratedCommand,
  SnapshotError,
} from "../src/index.js";
import { coinGame, makeLeakyGame } from "./support/coin-game.js";

const step = fc.integer({ min: -1, max: 1 });
const player = fc.constantFrom("alice", "bob", "mallory");
/** Moves (some of them forbidden or out of range), purchases (some unaffordable), and junk. */
const commands: fc.Arbitrary<GeneratedCommand> = fc.oneof(
  fc.record({
    player,
    type: fc.constant("move"),
    data: fc.record({ dx: step, dy: step }),
  }),
  fc.record({
    player,
    type: fc.constant("buy"),
    data: fc.record({ quantity: fc.integer({ min: 0, max: 6 }) }),
  }),
  fc.record({
    player,
    type: fc.constant("move"),
    data: fc.record({ dx: step, dy: step, entity: fc.constantFrom("alice", "bob") }),
  }),
);
/** Walks alice onto coins: the leaky game's pickups happen in most sequences. */
const walks: fc.Arbitrary<GeneratedCommand> = fc.record({
  player: fc.constant("alice"),
  type: fc.constant("move"),
  data: fc.record({ dx: step, dy: step }),
});
const settings = { coins: 8 };

describe("conservation of value", () => {
  it("holds for the sound game under random command sequences", async () => {
    await fc.assert(conservesMoney(coinGame, { commands, settings, maxCommands: 15 }), {
      numRuns: 25,
      seed: 42,
    });
    await assertConservesMoney(coinGame, { commands, settings, numRuns: 5, maxCommands: 5 });
  });

  it("fails for a game that pays from a system account of its own, not the mint", async () => {
    const leaky = makeLeakyGame();
    const failure = await fc.check(
      conservesMoney(leaky, { commands: walks, settings, maxCommands: 15 }),
      { numRuns: 25, seed: 42 },
    );
    expect(failure.failed).toBe(true);
    expect(failure.errorInstance).toBeInstanceOf(ConservationError);
    expect(String(failure.errorInstance)).toMatch(/gold: accounts outside the system hold/);
    // Shrunk to a short walk onto a coin.
    expect(failure.counterexample?.[0].length).toBeLessThanOrEqual(3);
  });

  it("names the leak: supply_mismatch from verify", async () => {
    const world = await createTestWorld(makeLeakyGame());
    await world.command("alice", "move", { dx: 1, dy: 1 }); // onto the first coin (value 2)
    await world.tick();
    expect(world.balance("alice", "gold")).toBe(7);
    const report = await checkConservation(world);
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(
      expect.objectContaining({ kind: "supply_mismatch", unit: "gold", minted: 10, held: 12 }),
    );
    expect(world.supply().gold).toEqual({ minted: 10, sunk: 0, held: 12 });
    await expect(expectConservation(world)).rejects.toThrow(ConservationError);
    // The runtime refuses to export a world that does not conserve: no snapshot of it either.
    expect(() => world.snapshot()).toThrow(SnapshotError);
  });

  it("finds an account outside the system that pays below zero (verify alone cannot)", async () => {
    const world = await createTestWorld(makeLeakyGame("npc"));
    await world.command("alice", "move", { dx: 1, dy: 1 });
    await world.tick();
    expect(world.balance("alice", "gold")).toBe(7);
    // The npc's -2 counts as held: minted 10 - sunk 0 = held 10, so verify passes...
    expect((await world.verify()).ok).toBe(true);
    // ...but the kit names the account that paid out what it never had.
    const report = await checkConservation(world);
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: "negative_holding", account: "npc:gold", balance: -2 }),
    ]);
    expect((await checkConservation(world, { mayGoNegative: ["npc:gold"] })).ok).toBe(true);
  });

  it("cannot be broken by a one-sided credit: the ledger refuses it", () => {
    const ledger = new Ledger();
    ledger.declareUnit("gold");
    ledger.openWallet("alice", "gold");
    const credit = { id: "x", amount: 1, unit: "gold", reason: "gift", tick: 0 };
    const alice = walletAccount("alice", "gold");
    expect(ledger.transfer({ ...credit, debit: alice, credit: alice })).toBe(
      "accounts_must_be_different",
    );
    expect(ledger.transfer({ ...credit, debit: "nowhere:gold", credit: alice })).toBe(
      "debit_account_not_found",
    );
    expect(ledger.transfer({ ...credit, debit: alice, credit: "mint:gold" })).toBe(
      "insufficient_funds",
    );
    expect(ledger.balance(alice)?.balance).toBe(0);
  });
});
