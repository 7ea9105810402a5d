/**
 * The commands system: applies the tick's market commands in their order, each checked against
 * its schema again (a command from a log is held to the same shape as one from a client), and
 * records each outcome on its player.
 */
import type { JsonValue } from "@ledgerquest/engine";
import type * as z from "zod/mini";
import { bid, openAuction } from "./auction.js";
import { COMMAND_TYPES, MARKET_COMMANDS, type MarketAction, type Outcome } from "./commands.js";
import { type Actor, type MarketContext, report, traderNamed } from "./context.js";
import { craft } from "./craft.js";
import { gather } from "./gather.js";
import { buy } from "./shop.js";
import { accept, cancel, offer } from "./trade.js";
import { walk } from "./walk.js";

function isAction(type: string): type is MarketAction {
  return (COMMAND_TYPES as readonly string[]).includes(type);
}

function parsed<T>(
  schema: z.ZodMiniType<T>,
  data: JsonValue | undefined,
  then: (data: T) => Outcome,
): Outcome {
  const result = schema.safeParse(data);
  return result.success ? then(result.data) : "invalid";
}

function apply(
  ctx: MarketContext,
  actor: Actor,
  type: MarketAction,
  data: JsonValue | undefined,
): Outcome {
  const c = MARKET_COMMANDS;
  switch (type) {
    case "walk":
      return parsed(c.walk, data, (d) => walk(ctx, actor, d));
    case "gather":
      return parsed(c.gather, data, (d) => gather(ctx, actor, d));
    case "craft":
      return parsed(c.craft, data, (d) => craft(ctx, actor, d));
    case "offer":
      return parsed(c.offer, data, (d) => offer(ctx, actor, d));
    case "accept":
      return parsed(c.accept, data, (d) => accept(ctx, actor, d));
    case "cancel":
      return parsed(c.cancel, data, (d) => cancel(ctx, actor, d));
    case "auction":
      return parsed(c.auction, data, (d) => openAuction(ctx, actor, d));
    case "bid":
      return parsed(c.bid, data, (d) => bid(ctx, actor, d));
    case "buy":
      return parsed(c.buy, data, (d) => buy(ctx, actor, d));
  }
}

export function applyCommands(ctx: MarketContext): void {
  const { world } = ctx;
  const inputs = world.inputs;
  for (let i = 0; i < inputs.length; i++) {
    const command = inputs[i];
    if (command === undefined || command.actor === undefined || !isAction(command.type)) continue;
    const eid = traderNamed(world, command.actor);
    if (eid === undefined) continue;
    const actor: Actor = { eid, name: command.actor, index: i };
    report(world, actor, command.type, apply(ctx, actor, command.type, command.data));
  }
}
