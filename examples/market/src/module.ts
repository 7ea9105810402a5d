/**
 * The market as a runtime game module, written with `defineGame` and the packages' public
 * exports only: its rules bound to the world's ledger, how a new world is filled, the commands
 * players may send, who may command what, and what clients see and are told.
 */
import { Economy, type JsonValue, type Simulation } from "@ledgerquest/engine";
import { type CommandsOf, defineGame, type EntityView, type GameRules } from "@ledgerquest/runtime";
import * as z from "zod/mini";
import { runningAuction } from "./auction.js";
import { ECONOMY, GRID, goodAt, QUEST_DEFINITIONS, WARES } from "./catalog.js";
import { MARKET_COMMANDS } from "./commands.js";
import { Auction, AuctionHouse, Cell, Offer, Resource, Shop, Trader } from "./components.js";
import { traderNamed } from "./context.js";
import { DEFAULT_SETTINGS, MARKET_RULES, type MarketRules, marketRules, populate } from "./game.js";
import { openOffer } from "./trade.js";

const ticks = (max: number) => z.number().check(z.int(), z.minimum(0), z.maximum(max));

/** A market world's settings (all optional; see `DEFAULT_SETTINGS`). */
const settingsSchema = z.optional(
  z.strictObject({
    offerTicks: z.optional(ticks(1_000_000).check(z.minimum(1))),
    auctionTicks: z.optional(ticks(1_000_000)),
    decayTicks: z.optional(ticks(1_000_000)),
    regrowTicks: z.optional(ticks(1_000_000)),
    startingGold: z.optional(ticks(1_000_000)),
  }),
);

/** The kind of a resource tile, by its good. */
const TILE_KIND: Readonly<Record<string, string>> = { wood: "tree", stone: "rock", ore: "vein" };

function kindOf(sim: Simulation, e: number): string {
  const w = sim.world;
  if (w.hasComponent(e, Trader)) return "player";
  if (w.hasComponent(e, Resource))
    return TILE_KIND[goodAt(w.store(Resource).good[e] as number)] ?? "tree";
  if (w.hasComponent(e, Shop)) return "shop";
  if (w.hasComponent(e, AuctionHouse)) return "auction_house";
  return "trading_post";
}

function asRules(rules: GameRules): MarketRules {
  if (rules.quests === undefined) throw new Error("the market's rules always have quests");
  return { definition: rules.definition, economy: rules.economy, quests: rules.quests };
}

export const marketGame = defineGame({
  name: MARKET_RULES,
  commands: MARKET_COMMANDS,
  settings: settingsSchema,
  rules(ledger, worldId): GameRules {
    return marketRules(new Economy(ECONOMY, ledger, { scope: worldId }));
  },
  populate(sim, rules, options) {
    populate(sim.world, asRules(rules), options.players, {
      ...DEFAULT_SETTINGS,
      ...options.settings,
    });
  },
  authorize(player, command, sim): boolean {
    // The actor is the authenticated player; a player acts for itself only: it offers to
    // others, accepts offers made to it, cancels its own, and bids on others' auctions.
    if (command.type === "offer") return command.data.to !== player;
    if (sim === undefined) return true;
    const w = sim.world;
    const me = traderNamed(w, player);
    if (me === undefined) return false;
    if (command.type === "accept" || command.type === "cancel") {
      const e = openOffer(w, command.data.offer);
      // An unknown offer is the rules' to answer (`unknown_offer`): it may open in this tick.
      if (e < 0) return true;
      const o = w.store(Offer);
      return (command.type === "accept" ? o.to[e] : o.from[e]) === w.handle(me);
    }
    if (command.type === "bid") {
      const e = runningAuction(w, command.data.auction);
      return e < 0 || w.store(Auction).seller[e] !== w.handle(me);
    }
    return true;
  },
  view(sim: Simulation): readonly EntityView[] {
    const w = sim.world;
    const c = w.store(Cell);
    const ids = w.query([Cell]).ids();
    const out: EntityView[] = [];
    for (let i = 0; i < ids.length; i++) {
      const e = ids[i] as number;
      const name = w.nameOfEntity(e);
      out.push({
        id: w.handle(e),
        kind: kindOf(sim, e),
        ...(name === undefined ? {} : { name }),
        // The centre of the entity's cell.
        x: (c.x[e] as number) + 0.5,
        y: (c.y[e] as number) + 0.5,
      });
    }
    return out;
  },
  description: {
    bounds: { minX: 0, minY: 0, maxX: GRID.width, maxY: GRID.height },
    tickMs: 100,
    kinds: {
      player: { shape: "circle", hw: 0.4, hh: 0.4, label: "a player (walks one cell per tick)" },
      tree: { shape: "circle", hw: 0.45, hh: 0.45, label: "a tree: gather wood next to it" },
      rock: { shape: "box", hw: 0.45, hh: 0.45, label: "a rock: gather stone (2 with a pickaxe)" },
      vein: {
        shape: "box",
        hw: 0.35,
        hh: 0.35,
        label: "an ore vein: gather ore (2 with a pickaxe)",
      },
      shop: {
        shape: "box",
        hw: 0.5,
        hh: 0.5,
        label: `the shop: ${WARES.map((w) => w.good).join(", ")}; prices rise with each sale and fall back`,
      },
      auction_house: {
        shape: "box",
        hw: 0.5,
        hh: 0.5,
        label: "the auction house: bids held in escrow, the outbid refunded at once",
      },
      trading_post: {
        shape: "box",
        hw: 0.5,
        hh: 0.5,
        label:
          "the trading post: offered goods wait in its escrow until accepted, cancelled or expired",
      },
    },
    quests: JSON.parse(JSON.stringify(QUEST_DEFINITIONS)) as JsonValue[],
  },
});

/** The market's commands, by type, with the data each takes (for typed clients). */
export type MarketCommands = CommandsOf<typeof marketGame>;
