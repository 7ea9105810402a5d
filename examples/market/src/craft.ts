/**
 * Crafting: a recipe's inputs go from the player's wallets to the sink and its output comes from
 * the mint, as one linked chain: with too few of any input, nothing moves.
 */
import { RECIPES, unitOf } from "./catalog.js";
import type { MarketCommandData, Outcome } from "./commands.js";
import type { Actor, MarketContext } from "./context.js";
import { account, type Leg, move, outcomeOf } from "./ledger.js";

export function craft(ctx: MarketContext, actor: Actor, data: MarketCommandData<"craft">): Outcome {
  const { world, economy } = ctx;
  const recipe = RECIPES.find((r) => r.id === data.recipe);
  if (recipe === undefined) return "invalid";
  const legs: Leg[] = recipe.inputs.map((input, k) => ({
    id: `in${k}`,
    from: account.wallet(actor.name, input.good),
    to: account.sink(input.good),
    good: input.good,
    amount: input.amount,
  }));
  legs.push({
    id: "out",
    from: account.mint(recipe.output),
    to: account.wallet(actor.name, recipe.output),
    good: recipe.output,
    amount: 1,
  });
  const base = `craft:${actor.name}:${world.tick}:${actor.index}`;
  const moved = move(economy, base, "craft", world.tick, legs);
  if (moved.ok) {
    ctx.quests.queueFact(world, {
      kind: "collected",
      player: actor.name,
      unit: unitOf(recipe.output),
      amount: 1,
    });
  }
  return outcomeOf(moved);
}
