// Auctions: bids are held in escrow, the outbid bidder is refunded in the same chain, and at the
// end tick the winner gets the lot, the seller the top bid, and escrow is left holding nothing.
import { describe, expect, it } from "vitest";
import { HOUSE_LOTS, minimumBid } from "../src/index.js";
import { act, auctions, balances, market } from "./helpers.js";

describe("auctions", () => {
  it("refunds an outbid bidder at once, gives the winner the lot at the end tick, releases every hold", async () => {
    const world = await market({ auctionTicks: 30 });
    const house = auctions(world).get(1);
    expect(house).toEqual({ topBid: 0, endTick: 30, lot: HOUSE_LOTS[0].good });
    expect(minimumBid(20, 0)).toBe(20);
    expect(minimumBid(20, 20)).toBe(22);
    expect(minimumBid(20, 5)).toBe(6);

    expect(await act(world, "alice", "bid", { auction: 1, amount: 19 })).toBe("bid_too_low");
    expect(await act(world, "alice", "bid", { auction: 1, amount: 20 })).toBe("ok");
    expect(world.balance("alice", "gold")).toBe(30);
    expect(balances(world)["escrow.auctions:gold"]).toBe(20);
    expect(await act(world, "bob", "bid", { auction: 1, amount: 21 })).toBe("bid_too_low");
    expect(await act(world, "bob", "bid", { auction: 1, amount: 25 })).toBe("ok");
    // alice is refunded in the same chain that holds bob's bid.
    expect(world.balance("alice", "gold")).toBe(50);
    expect(world.balance("bob", "gold")).toBe(25);
    expect(balances(world)["escrow.auctions:gold"]).toBe(25);
    const chain = world
      .journal()
      .filter((e) => e.kind === "transfer" && e.id.endsWith("auction:1:bid1:refund"));
    expect(chain).toHaveLength(1);
    // alice outbids bob, then raises her own bid: only the difference is held.
    expect(await act(world, "alice", "bid", { auction: 1, amount: 30 })).toBe("ok");
    expect(world.balance("bob", "gold")).toBe(50);
    expect(await act(world, "alice", "bid", { auction: 1, amount: 40 })).toBe("ok");
    expect(world.balance("alice", "gold")).toBe(10);
    expect(balances(world)["escrow.auctions:gold"]).toBe(40);
    // bob cannot pay more than he has: refused, and alice's bid stands.
    expect(await act(world, "bob", "bid", { auction: 1, amount: 60 })).toBe("insufficient_funds");
    expect(auctions(world).get(1)?.topBid).toBe(40);

    await world.tick(30 - world.tickNumber);
    expect(world.tickNumber).toBe(30);
    await world.tick(2);
    // Settled at tick 30: the crown to alice, her 40 gold to the sink; the "collector" quest paid
    // at tick 31.
    expect(world.balance("alice", "item.crown")).toBe(1);
    expect(world.balance("alice", "gold")).toBe(10 + 5);
    expect(world.balance("alice", "xp")).toBe(20);
    expect(world.balance("bob", "gold")).toBe(50);
    const held = balances(world);
    for (const [account, balance] of Object.entries(held)) {
      if (account.startsWith("escrow.auctions:")) expect(balance, account).toBe(0);
    }
    expect(world.supply().gold?.sunk).toBe(40);
    // The house's next lot is up; bids on the settled auction are refused.
    expect(auctions(world).get(2)).toEqual({ topBid: 0, endTick: 60, lot: HOUSE_LOTS[1].good });
    expect(
      await world.command("bob", "auction", {
        lot: { good: "gold", amount: 5 },
        minBid: 1,
        ticks: 10,
      }),
    ).toMatchObject({
      ok: false,
      code: "invalid_data",
    });
    expect(await act(world, "bob", "bid", { auction: 1, amount: 50 })).toBe("unknown_auction");
    expect((await world.verify()).ok).toBe(true);
  });

  it("holds a player's lot in escrow, pays the seller the top bid, returns an unsold lot", async () => {
    const world = await market();
    await act(world, "carol", "buy", { good: "stone", amount: 3 });
    const lot = { good: "stone", amount: 2 };
    expect(await act(world, "carol", "auction", { lot, minBid: 5, ticks: 10 })).toBe("ok");
    expect(await act(world, "carol", "auction", { lot, minBid: 5, ticks: 12 })).toBe(
      "insufficient_funds",
    );
    expect(
      await act(world, "carol", "auction", {
        lot: { good: "stone", amount: 1 },
        minBid: 9,
        ticks: 10,
      }),
    ).toBe("ok");
    expect(world.balance("carol", "item.stone")).toBe(0);
    expect(balances(world)["escrow.auctions:item.stone"]).toBe(3);
    expect(await act(world, "carol", "bid", { auction: 1, amount: 5 })).toBe("own_auction");
    const carolGold = world.balance("carol", "gold");
    expect(await act(world, "bob", "bid", { auction: 1, amount: 7 })).toBe("ok");
    await world.tick(12);
    expect(world.balance("bob", "item.stone")).toBe(2);
    expect(world.balance("carol", "gold")).toBe(carolGold + 7);
    // Auction 2 had no bid: its stone went back to carol.
    expect(world.balance("carol", "item.stone")).toBe(1);
    expect(auctions(world).size).toBe(0);
    const held = balances(world);
    expect(held["escrow.auctions:item.stone"]).toBe(0);
    expect(held["escrow.auctions:gold"]).toBe(0);
  });
});
