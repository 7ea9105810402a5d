// Trades through the trading post's escrow: the offered goods are held at once; acceptance
// settles both legs or neither; cancel and expiry refund.
import { describe, expect, it } from "vitest";
import { marketGame } from "../src/index.js";
import { act, balances, market, nextOffer } from "./helpers.js";

describe("trades through escrow", () => {
  it("holds the offered goods in escrow, and settles both legs when accepted", async () => {
    const world = await market();
    await act(world, "alice", "buy", { good: "ore", amount: 3 });
    const number = nextOffer(world);
    const offer = {
      to: "bob",
      give: { good: "ore", amount: 3 },
      ask: { good: "gold", amount: 25 },
    };
    expect(await act(world, "alice", "offer", offer)).toBe("ok");
    expect(world.balance("alice", "item.ore")).toBe(0);
    expect(balances(world)["escrow.trades:item.ore"]).toBe(3);

    const aliceGold = world.balance("alice", "gold");
    const bobGold = world.balance("bob", "gold");
    expect(await act(world, "bob", "accept", { offer: number })).toBe("ok");
    await world.tick(1); // the "dealmaker" quest pays at the start of the next tick
    expect(world.balance("bob", "item.ore")).toBe(3);
    expect(world.balance("bob", "gold")).toBe(bobGold - 25 + 10); // + the "dealmaker" quest
    expect(world.balance("alice", "gold")).toBe(aliceGold + 25 + 10);
    expect(balances(world)["escrow.trades:item.ore"]).toBe(0);
    // Both legs are one linked chain.
    const legs = world
      .journal()
      .filter((e) => e.kind === "transfer" && e.reason === "trade.settle");
    expect(legs.map((e) => (e.kind === "transfer" ? [e.debit, e.credit, e.linked] : []))).toEqual([
      ["bob:gold", "alice:gold", true],
      ["escrow.trades:item.ore", "bob:item.ore", false],
    ]);
    // Settled offers are gone: accepting again is refused.
    expect(await act(world, "bob", "accept", { offer: number })).toBe("unknown_offer");
    // The quest paid once each.
    await world.tick(3);
    expect(world.balance("alice", "gold")).toBe(aliceGold + 35);
    expect((await world.verify()).ok).toBe(true);
  });

  it("moves nothing when the counterparty is short of payment; the goods stay in escrow", async () => {
    const world = await market({ startingGold: 20 });
    await act(world, "alice", "buy", { good: "wood", amount: 2 });
    const number = nextOffer(world);
    const ask = { good: "gold", amount: 30 };
    expect(
      await act(world, "alice", "offer", { to: "bob", give: { good: "wood", amount: 2 }, ask }),
    ).toBe("ok");
    const before = balances(world);
    const entries = world.journal().length;
    expect(await act(world, "bob", "accept", { offer: number })).toBe("insufficient_funds");
    expect(balances(world)).toEqual(before);
    expect(world.journal().length).toBe(entries);
    expect(before["escrow.trades:item.wood"]).toBe(2);
    // The offer is still open: alice cancels it and gets her wood back.
    expect(await act(world, "alice", "cancel", { offer: number })).toBe("ok");
    expect(world.balance("alice", "item.wood")).toBe(2);
    expect(balances(world)["escrow.trades:item.wood"]).toBe(0);
    expect(await act(world, "alice", "cancel", { offer: number })).toBe("unknown_offer");
  });

  it("lets only the counterparty accept and only the offerer cancel", async () => {
    const world = await market();
    await act(world, "alice", "buy", { good: "stone", amount: 1 });
    const number = nextOffer(world);
    const give = { good: "stone", amount: 1 };
    await act(world, "alice", "offer", { to: "bob", give, ask: { good: "gold", amount: 1 } });
    // The rules refuse them when they apply (the runtime passes no world to `authorize` when a
    // command arrives, so who an offer belongs to is checked in the tick)...
    expect(await act(world, "carol", "accept", { offer: number })).toBe("not_yours");
    expect(await act(world, "bob", "cancel", { offer: number })).toBe("not_yours");
    // ...and `authorize` refuses them too when given the world, as it is for an offer to oneself.
    const sim = world.simulation();
    expect(marketGame.authorize("carol", "accept", { offer: number }, sim)).toBe(false);
    expect(marketGame.authorize("bob", "cancel", { offer: number }, sim)).toBe(false);
    expect(marketGame.authorize("bob", "accept", { offer: number }, sim)).toBe(true);
    expect(marketGame.authorize("alice", "cancel", { offer: number }, sim)).toBe(true);
    expect(await world.command("alice", "offer", { to: "alice", give, ask: give })).toMatchObject({
      ok: false,
      code: "forbidden",
    });
    // ...and an offer to a stranger, or of goods one lacks, is refused by the rules.
    expect(await act(world, "alice", "offer", { to: "mallory", give, ask: give })).toBe(
      "unknown_player",
    );
    expect(await act(world, "alice", "offer", { to: "bob", give, ask: give })).toBe(
      "insufficient_funds",
    );
    expect(world.balance("alice", "item.stone")).toBe(0);
    expect(balances(world)["escrow.trades:item.stone"]).toBe(1);
  });

  it("refunds an offer nobody accepted when it expires", async () => {
    const world = await market({ offerTicks: 10 });
    await act(world, "carol", "buy", { good: "wood", amount: 1 });
    await act(world, "carol", "offer", {
      to: "alice",
      give: { good: "wood", amount: 1 },
      ask: { good: "gold", amount: 2 },
    });
    expect(world.balance("carol", "item.wood")).toBe(0);
    await world.tick(10);
    expect(world.balance("carol", "item.wood")).toBe(1);
    expect(balances(world)["escrow.trades:item.wood"]).toBe(0);
    const refunds = world
      .journal()
      .filter((e) => e.kind === "transfer" && e.reason === "trade.expire");
    expect(refunds).toHaveLength(1);
  });
});
