/**
 * Auctions at the auction house. The house sells its lots (`HOUSE_LOTS`, one at a time, each
 * running `auctionTicks`); players put up their own (the lot moves into escrow at once). A bid's
 * gold is held in escrow; the bidder it outbids is refunded in the same linked chain, so at any
 * time escrow holds exactly the top bids. At the end tick the winner gets the lot and the seller
 * the top bid (the house's goes to the sink); an unsold player's lot goes back.
 */
import { type Eid, NO_ENTITY, type World } from "@ledgerquest/engine";
import { BUILDINGS, GOODS, type Good, goodAt, goodIndex, HOUSE_LOTS } from "./catalog.js";
import { type MarketCommandData, OPEN_MAX, type Outcome } from "./commands.js";
import { Auction, AuctionHouse, Market } from "./components.js";
import { type Actor, MARKET_EVENT, type MarketContext, marketOf, nameOfHandle } from "./context.js";
import { account, type Leg, move, mustMove, outcomeOf } from "./ledger.js";

/** The least a bid must be: the reserve, then the top bid plus a tenth of it (at least 1). */
export function minimumBid(minBid: number, topBid: number): number {
  if (topBid === 0) return minBid;
  const step = (topBid - (topBid % 10)) / 10;
  return topBid + Math.max(step, 1);
}

/** The auction with this number still taking bids (its end tick not reached), or -1. */
export function runningAuction(world: World, number: number): Eid {
  const ids = world.query([Auction]).ids();
  const a = world.store(Auction);
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    if (a.number[e] === number && (a.endTick[e] as number) > world.tick) return e;
  }
  return -1;
}

/** Creates an auction; the caller has already moved a player's lot into escrow. */
function createAuction(
  world: World,
  seller: number,
  lot: { readonly good: Good; readonly amount: number; readonly minBid: number },
  endTick: number,
): number {
  const m = world.store(Market);
  const market = marketOf(world);
  const number = m.nextAuction[market] as number;
  m.nextAuction[market] = number + 1;
  const e = world.createEntity();
  world.addComponent(e, Auction);
  const a = world.store(Auction);
  a.number[e] = number;
  a.seller[e] = seller;
  a.lot[e] = goodIndex(lot.good);
  a.lotAmount[e] = lot.amount;
  a.minBid[e] = lot.minBid;
  a.endTick[e] = endTick;
  return number;
}

/** The house puts its next lot up, if it auctions at all (`auctionTicks` > 0). */
export function openHouseAuction(world: World): void {
  const m = world.store(Market);
  const market = marketOf(world);
  const ticks = m.auctionTicks[market] as number;
  if (ticks === 0) return;
  const turn = m.houseLot[market] as number;
  m.houseLot[market] = turn + 1;
  const lot = HOUSE_LOTS[turn % HOUSE_LOTS.length] as (typeof HOUSE_LOTS)[number];
  createAuction(world, NO_ENTITY, lot, world.tick + ticks);
}

export function openAuction(
  ctx: MarketContext,
  actor: Actor,
  data: MarketCommandData<"auction">,
): Outcome {
  const { world, economy } = ctx;
  const me = world.handle(actor.eid);
  const ids = world.query([Auction]).ids();
  const a = world.store(Auction);
  let mine = 0;
  for (let i = 0; i < ids.length; i++) if (a.seller[ids[i] as number] === me) mine++;
  if (mine >= OPEN_MAX) return "too_many_open";
  const number = world.store(Market).nextAuction[marketOf(world)] as number;
  const moved = move(economy, `auction:${number}`, "auction.lot", world.tick, [
    {
      id: "lot",
      from: account.wallet(actor.name, data.lot.good),
      to: account.auctionEscrow(data.lot.good),
      good: data.lot.good,
      amount: data.lot.amount,
    },
  ]);
  if (!moved.ok) return outcomeOf(moved);
  createAuction(world, me, { ...data.lot, minBid: data.minBid }, world.tick + data.ticks);
  return "ok";
}

export function bid(ctx: MarketContext, actor: Actor, data: MarketCommandData<"bid">): Outcome {
  const { world, economy } = ctx;
  const e = runningAuction(world, data.auction);
  if (e < 0) return "unknown_auction";
  const a = world.store(Auction);
  const me = world.handle(actor.eid);
  if (a.seller[e] === me) return "own_auction";
  const top = a.topBid[e] as number;
  if (data.amount < minimumBid(a.minBid[e] as number, top)) return "bid_too_low";
  const k = a.bids[e] as number;
  const topBidder = a.topBidder[e] as number;
  const legs: Leg[] = [];
  // Raising one's own bid holds only the difference; outbidding another refunds it at once.
  legs.push({
    id: `bid${k}`,
    from: account.wallet(actor.name, "gold"),
    to: account.auctionEscrow("gold"),
    good: "gold",
    amount: topBidder === me ? data.amount - top : data.amount,
  });
  if (topBidder !== NO_ENTITY && topBidder !== me) {
    const previous = nameOfHandle(world, topBidder);
    if (previous === undefined) throw new Error(`auction ${data.auction}: top bidder is gone`);
    legs.push({
      id: `bid${k}:refund`,
      from: account.auctionEscrow("gold"),
      to: account.wallet(previous, "gold"),
      good: "gold",
      amount: top,
    });
  }
  const moved = move(economy, `auction:${data.auction}`, "auction.bid", world.tick, legs);
  if (!moved.ok) return outcomeOf(moved);
  a.topBidder[e] = me;
  a.topBid[e] = data.amount;
  a.bids[e] = k + 1;
  return "ok";
}

/** Auctions whose end tick has come are settled; the house puts up its next lot. */
export function settleAuctions(ctx: MarketContext): void {
  const { world } = ctx;
  const ids = world.query([Auction]).ids();
  const a = world.store(Auction);
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    if ((a.endTick[e] as number) > world.tick) continue;
    settle(ctx, e);
    world.destroyEntity(e);
    if (a.seller[e] === NO_ENTITY) openHouseAuction(world);
  }
}

function settle(ctx: MarketContext, e: Eid): void {
  const { world, economy } = ctx;
  const a = world.store(Auction);
  const number = a.number[e] as number;
  const lot = goodAt(a.lot[e] as number);
  const amount = a.lotAmount[e] as number;
  const house = a.seller[e] === NO_ENTITY;
  const seller = house ? undefined : nameOfHandle(world, a.seller[e] as number);
  if (!house && seller === undefined) throw new Error(`auction ${number}: the seller is gone`);
  const winner =
    a.topBidder[e] === NO_ENTITY ? undefined : nameOfHandle(world, a.topBidder[e] as number);
  const base = `auction:${number}`;
  if (winner === undefined) {
    if (seller !== undefined) {
      mustMove(economy, base, "auction.unsold", world.tick, [
        {
          id: "return",
          from: account.auctionEscrow(lot),
          to: account.wallet(seller, lot),
          good: lot,
          amount,
        },
      ]);
    }
  } else {
    mustMove(economy, base, "auction.settle", world.tick, [
      {
        id: "pay",
        from: account.auctionEscrow("gold"),
        to: seller === undefined ? account.sink("gold") : account.wallet(seller, "gold"),
        good: "gold",
        amount: a.topBid[e] as number,
      },
      {
        id: "win",
        from: house ? account.mint(lot) : account.auctionEscrow(lot),
        to: account.wallet(winner, lot),
        good: lot,
        amount,
      },
    ]);
    ctx.quests.queueFact(world, {
      kind: "interacted",
      player: winner,
      target: BUILDINGS.auctionHouse.name,
    });
  }
  const hall = world.query([AuctionHouse]).ids()[0];
  world.emit(
    "custom",
    winner === undefined ? NO_ENTITY : (a.topBidder[e] as number),
    hall === undefined ? NO_ENTITY : world.handle(hall),
    MARKET_EVENT.auctionSettled,
    number,
  );
}

/**
 * What the auction escrow should hold, by good index: the top bids of running auctions (gold)
 * and the lots of players' running auctions (the house's lots are minted when won).
 */
export function heldInAuctions(world: World): number[] {
  const held = GOODS.map(() => 0);
  const ids = world.query([Auction]).ids();
  const a = world.store(Auction);
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    held[0] = (held[0] as number) + (a.topBid[e] as number);
    if (a.seller[e] === NO_ENTITY) continue;
    const g = a.lot[e] as number;
    held[g] = (held[g] as number) + (a.lotAmount[e] as number);
  }
  return held;
}
