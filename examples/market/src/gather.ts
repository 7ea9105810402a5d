/**
 * Gathering: a player next to a resource tile takes from it (one unit, two of stone or ore with
 * a pickaxe), minted into its wallet; tiles regrow one unit every `regrowTicks`.
 */
import type { World } from "@ledgerquest/engine";
import { goodAt, TILE_CAPACITY, unitOf } from "./catalog.js";
import type { MarketCommandData, Outcome } from "./commands.js";
import { Cell, Market, Resource } from "./components.js";
import { type Actor, adjacent, type MarketContext, marketOf } from "./context.js";

/** How much one `gather` takes from a tile of this good, for a player with or without a pickaxe. */
function yieldOf(good: string, hasPickaxe: boolean): number {
  return hasPickaxe && (good === "stone" || good === "ore") ? 2 : 1;
}

/** The resource tile at a cell, or -1. */
function tileAt(world: World, x: number, y: number): number {
  const ids = world.query([Resource, Cell]).ids();
  const cell = world.store(Cell);
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    if (cell.x[e] === x && cell.y[e] === y) return e;
  }
  return -1;
}

export function gather(
  ctx: MarketContext,
  actor: Actor,
  data: MarketCommandData<"gather">,
): Outcome {
  const { world, economy } = ctx;
  const cell = world.store(Cell);
  const tile = tileAt(world, data.x, data.y);
  if (tile < 0) return "depleted";
  if (!adjacent(cell.x[actor.eid] as number, cell.y[actor.eid] as number, data.x, data.y)) {
    return "not_adjacent";
  }
  const r = world.store(Resource);
  const stock = r.stock[tile] as number;
  if (stock === 0) return "depleted";
  const good = goodAt(r.good[tile] as number);
  const amount = Math.min(stock, yieldOf(good, economy.balance(actor.name, unitOf("pickaxe")) > 0));
  const granted = economy.grant(actor.name, unitOf(good), amount, {
    tick: world.tick,
    index: actor.index,
    reason: "gather",
    world,
  });
  if (granted.result !== "created" && granted.result !== "exists") return "refused";
  r.stock[tile] = stock - amount;
  ctx.quests.queueFact(world, {
    kind: "collected",
    player: actor.name,
    unit: unitOf(good),
    amount,
  });
  return "ok";
}

/** Every `regrowTicks`, each tile short of its capacity regrows one unit. */
export function regrow(world: World): void {
  const every = world.store(Market).regrowTicks[marketOf(world)] as number;
  if (every === 0 || world.tick % every !== 0) return;
  const ids = world.query([Resource]).ids();
  const r = world.store(Resource);
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    if ((r.stock[e] as number) < TILE_CAPACITY) r.stock[e] = (r.stock[e] as number) + 1;
  }
}
