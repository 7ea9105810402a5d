/**
 * How the market's bots play (`ledgerquest bots`): each walks to the resource tile nearest its
 * player, gathers there until the tile runs dry, crafts a plank when it holds two wood, and now
 * and then buys from the shop. A bot keeps no plan of its own: each call looks at the world anew.
 */
import type { BotCommand, BotFactory, EntityView } from "@ledgerquest/runtime";

const RESOURCE_KINDS = new Set(["tree", "rock", "vein"]);

function balancesOf(you: unknown): Readonly<Record<string, number>> {
  const balances = (you as { balances?: unknown } | undefined)?.balances;
  return typeof balances === "object" && balances !== null
    ? (balances as Record<string, number>)
    : {};
}

/** The resource tile nearest `me`, by grid steps. */
function nearestResource(me: EntityView, entities: readonly EntityView[]): EntityView | undefined {
  let best: EntityView | undefined;
  let bestSteps = Number.POSITIVE_INFINITY;
  for (const e of entities) {
    if (!RESOURCE_KINDS.has(e.kind)) continue;
    const steps = Math.abs(e.x - me.x) + Math.abs(e.y - me.y);
    if (steps < bestSteps) {
      bestSteps = steps;
      best = e;
    }
  }
  return best;
}

/** The market's bot (see the module's comment). */
export const marketBot: BotFactory =
  (player) =>
  (view, random): BotCommand | undefined => {
    const me = view.entities.find((e) => e.kind === "player" && e.name === player);
    if (me === undefined) return undefined;
    const held = balancesOf(view.you);
    if ((held["item.wood"] ?? 0) >= 2 && random() < 0.3) {
      return { type: "craft", data: { recipe: "plank" } };
    }
    if (random() < 0.05) return { type: "buy", data: { good: "wood", amount: 1 } };
    const found = nearestResource(me, view.entities);
    if (found === undefined) return undefined;
    // The view places an entity at its cell's centre; commands name the cell.
    const at = { x: Math.floor(me.x), y: Math.floor(me.y) };
    const tile = { x: Math.floor(found.x), y: Math.floor(found.y) };
    // Gathering takes a tile next to the player (its 8 neighbours); tiles themselves block.
    if (Math.max(Math.abs(tile.x - at.x), Math.abs(tile.y - at.y)) <= 1) {
      return { type: "gather", data: { x: tile.x, y: tile.y } };
    }
    const beside = (from: number, to: number) => to + Math.sign(from - to);
    return { type: "walk", data: { x: beside(at.x, tile.x), y: beside(at.y, tile.y) } };
  };
