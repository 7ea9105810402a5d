/**
 * Trades between players through the trading post's escrow:
 * - `offer`: the offered goods move from the offerer into escrow now (or the offer is refused);
 * - `accept` (by the player the offer is to): its payment goes to the offerer and the goods in
 *   escrow to it, as one linked chain: both legs or neither (short of payment, nothing moves and
 *   the goods stay in escrow, the offer open);
 * - `cancel` (by the offerer), or the offer's expiry: the goods come back from escrow.
 */
import type { Eid, World } from "@ledgerquest/engine";
import { BUILDINGS, GOODS, goodAt, goodIndex } from "./catalog.js";
import { type MarketCommandData, OPEN_MAX, type Outcome } from "./commands.js";
import { Market, Offer } from "./components.js";
import {
  type Actor,
  MARKET_EVENT,
  type MarketContext,
  marketOf,
  nameOfHandle,
  traderNamed,
} from "./context.js";
import { account, move, mustMove, outcomeOf } from "./ledger.js";

/** The open offer with this number, or -1. */
export function openOffer(world: World, number: number): Eid {
  const ids = world.query([Offer]).ids();
  const o = world.store(Offer);
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    if (o.number[e] === number && o.open[e] === 1) return e;
  }
  return -1;
}

function openOffersFrom(world: World, handle: number): number {
  const ids = world.query([Offer]).ids();
  const o = world.store(Offer);
  let n = 0;
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    if (o.open[e] === 1 && o.from[e] === handle) n++;
  }
  return n;
}

export function offer(ctx: MarketContext, actor: Actor, data: MarketCommandData<"offer">): Outcome {
  const { world, economy } = ctx;
  if (data.to === actor.name) return "self_trade";
  const to = traderNamed(world, data.to);
  if (to === undefined) return "unknown_player";
  const me = world.handle(actor.eid);
  if (openOffersFrom(world, me) >= OPEN_MAX) return "too_many_open";
  const m = world.store(Market);
  const market = marketOf(world);
  const number = m.nextOffer[market] as number;
  const moved = move(economy, `offer:${number}`, "trade.offer", world.tick, [
    {
      id: "hold",
      from: account.wallet(actor.name, data.give.good),
      to: account.tradeEscrow(data.give.good),
      good: data.give.good,
      amount: data.give.amount,
    },
  ]);
  if (!moved.ok) return outcomeOf(moved);
  m.nextOffer[market] = number + 1;
  const e = world.createEntity();
  world.addComponent(e, Offer);
  const o = world.store(Offer);
  o.number[e] = number;
  o.open[e] = 1;
  o.from[e] = me;
  o.to[e] = world.handle(to);
  o.give[e] = goodIndex(data.give.good);
  o.giveAmount[e] = data.give.amount;
  o.ask[e] = goodIndex(data.ask.good);
  o.askAmount[e] = data.ask.amount;
  o.expiresAt[e] = world.tick + (m.offerTicks[market] as number);
  return "ok";
}

export function accept(
  ctx: MarketContext,
  actor: Actor,
  data: MarketCommandData<"accept">,
): Outcome {
  const { world, economy } = ctx;
  const e = openOffer(world, data.offer);
  if (e < 0) return "unknown_offer";
  const o = world.store(Offer);
  if (o.to[e] !== world.handle(actor.eid)) return "not_yours";
  const from = nameOfHandle(world, o.from[e] as number);
  if (from === undefined) return "unknown_player";
  const give = goodAt(o.give[e] as number);
  const ask = goodAt(o.ask[e] as number);
  const moved = move(economy, `offer:${data.offer}`, "trade.settle", world.tick, [
    {
      id: "pay",
      from: account.wallet(actor.name, ask),
      to: account.wallet(from, ask),
      good: ask,
      amount: o.askAmount[e] as number,
    },
    {
      id: "deliver",
      from: account.tradeEscrow(give),
      to: account.wallet(actor.name, give),
      good: give,
      amount: o.giveAmount[e] as number,
    },
  ]);
  if (!moved.ok) return outcomeOf(moved);
  close(world, e);
  world.emit(
    "custom",
    world.handle(actor.eid),
    o.from[e] as number,
    MARKET_EVENT.tradeSettled,
    data.offer,
  );
  for (const player of [from, actor.name]) {
    ctx.quests.queueFact(world, {
      kind: "interacted",
      player,
      target: BUILDINGS.tradingPost.name,
    });
  }
  return "ok";
}

export function cancel(
  ctx: MarketContext,
  actor: Actor,
  data: MarketCommandData<"cancel">,
): Outcome {
  const e = openOffer(ctx.world, data.offer);
  if (e < 0) return "unknown_offer";
  if (ctx.world.store(Offer).from[e] !== ctx.world.handle(actor.eid)) return "not_yours";
  refund(ctx, e, actor.name, "trade.cancel");
  return "ok";
}

/** Offers past their expiry tick go back to their offerers. */
export function expireOffers(ctx: MarketContext): void {
  const { world } = ctx;
  const ids = world.query([Offer]).ids();
  const o = world.store(Offer);
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    if (o.open[e] !== 1 || (o.expiresAt[e] as number) > world.tick) continue;
    const from = nameOfHandle(world, o.from[e] as number);
    if (from === undefined) throw new Error(`offer ${o.number[e]} has no offerer`);
    refund(ctx, e, from, "trade.expire");
  }
}

/** The goods in escrow go back to the offerer; the offer closes. */
function refund(ctx: MarketContext, e: Eid, offerer: string, reason: string): void {
  const o = ctx.world.store(Offer);
  const give = goodAt(o.give[e] as number);
  mustMove(ctx.economy, `offer:${o.number[e]}`, reason, ctx.world.tick, [
    {
      id: "refund",
      from: account.tradeEscrow(give),
      to: account.wallet(offerer, give),
      good: give,
      amount: o.giveAmount[e] as number,
    },
  ]);
  close(ctx.world, e);
}

function close(world: World, e: Eid): void {
  world.store(Offer).open[e] = 0;
  world.destroyEntity(e);
}

/** What the trade escrow should hold, by good index: the goods of every open offer. */
export function heldInOffers(world: World): number[] {
  const held = GOODS.map(() => 0);
  const ids = world.query([Offer]).ids();
  const o = world.store(Offer);
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    if (o.open[e] !== 1) continue;
    const g = o.give[e] as number;
    held[g] = (held[g] as number) + (o.giveAmount[e] as number);
  }
  return held;
}
