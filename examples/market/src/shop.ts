/**
 * The shop: it sells its wares from the mint for gold (paid to the sink), at a price that rises
 * with demand (each unit bought adds one) and falls back (one unit of demand every
 * `decayTicks`). Integer arithmetic only (`priceAt`).
 */
import type { Eid, World } from "@ledgerquest/engine";
import { BUILDINGS, costOf, goodAt, goodIndex, priceAt } from "./catalog.js";
import type { MarketCommandData, Outcome } from "./commands.js";
import { Market, Ware } from "./components.js";
import { type Actor, type MarketContext, marketOf } from "./context.js";
import { account, move, outcomeOf } from "./ledger.js";

/** The ware entity of a good, or -1. */
export function wareOf(world: World, good: number): Eid {
  const ids = world.query([Ware]).ids();
  const w = world.store(Ware);
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    if (w.good[e] === good) return e;
  }
  return -1;
}

/** The shop's price of one unit of each ware now, by good id. */
export function prices(world: World): Record<string, number> {
  const out: Record<string, number> = {};
  const ids = world.query([Ware]).ids();
  const w = world.store(Ware);
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    out[goodAt(w.good[e] as number)] = priceAt(w.base[e] as number, w.demand[e] as number);
  }
  return out;
}

export function buy(ctx: MarketContext, actor: Actor, data: MarketCommandData<"buy">): Outcome {
  const { world, economy } = ctx;
  const e = wareOf(world, goodIndex(data.good));
  if (e < 0) return "invalid";
  const w = world.store(Ware);
  const demand = w.demand[e] as number;
  const total = costOf(w.base[e] as number, demand, data.amount);
  const base = `shop:${actor.name}:${world.tick}:${actor.index}`;
  const moved = move(economy, base, "shop.buy", world.tick, [
    {
      id: "pay",
      from: account.wallet(actor.name, "gold"),
      to: account.sink("gold"),
      good: "gold",
      amount: total,
    },
    {
      id: "goods",
      from: account.mint(data.good),
      to: account.wallet(actor.name, data.good),
      good: data.good,
      amount: data.amount,
    },
  ]);
  if (!moved.ok) return outcomeOf(moved);
  w.demand[e] = demand + data.amount;
  ctx.quests.queueFact(world, {
    kind: "interacted",
    player: actor.name,
    target: BUILDINGS.shop.name,
  });
  return "ok";
}

/** Every `decayTicks`, each ware's demand falls by one (never below zero). */
export function decayPrices(world: World): void {
  const every = world.store(Market).decayTicks[marketOf(world)] as number;
  if (every === 0 || world.tick % every !== 0) return;
  const ids = world.query([Ware]).ids();
  const w = world.store(Ware);
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    if ((w.demand[e] as number) > 0) w.demand[e] = (w.demand[e] as number) - 1;
  }
}
