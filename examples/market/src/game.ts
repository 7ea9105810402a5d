/**
 * The market's rules (a `SimulationDefinition` whose systems pay through an economy) and how a
 * new market world is filled. No physics: players walk a grid, one cell per tick.
 */
import {
  createQuestSystem,
  Economy,
  type JsonValue,
  Ledger,
  type QuestSystem,
  type SimulationDefinition,
  type World,
} from "@ledgerquest/engine";
import { openHouseAuction, settleAuctions } from "./auction.js";
import {
  BUILDINGS,
  ECONOMY,
  ECONOMY_DEFINITION,
  GRID,
  goodIndex,
  HOUSE_LOTS,
  QUEST_DEFINITIONS,
  QUESTS,
  RECIPES,
  RESOURCE_TILES,
  spawnOf,
  TILE_CAPACITY,
  WARES,
} from "./catalog.js";
import {
  AuctionHouse,
  Cell,
  MARKET_COMPONENTS,
  Market,
  Resource,
  Shop,
  Trader,
  TradingPost,
  Ware,
} from "./components.js";
import type { MarketContext } from "./context.js";
import { applyCommands } from "./dispatch.js";
import { regrow } from "./gather.js";
import { openEscrows } from "./ledger.js";
import { decayPrices } from "./shop.js";
import { expireOffers } from "./trade.js";
import { walkSystem } from "./walk.js";

/** The rules' name and version: part of every market world's fingerprint. */
export const MARKET_RULES = "market@1";

/** A market world's settings: each has a default (`DEFAULT_SETTINGS`). */
export interface MarketSettings {
  /** Ticks an offer stays open before its goods go back. */
  readonly offerTicks: number;
  /** Ticks each of the house's auctions runs (0: the house auctions nothing). */
  readonly auctionTicks: number;
  /** Ticks between each fall of one unit of a ware's demand (0: prices never fall). */
  readonly decayTicks: number;
  /** Ticks between each regrowth of one unit on every resource tile (0: never). */
  readonly regrowTicks: number;
  /** Gold each player starts with. */
  readonly startingGold: number;
}

export const DEFAULT_SETTINGS: MarketSettings = {
  offerTicks: 600,
  auctionTicks: 300,
  decayTicks: 50,
  regrowTicks: 100,
  startingGold: 50,
};

/** The market's rules bound to an economy (whose ledger lives beside the world, not in it). */
export interface MarketRules {
  readonly definition: SimulationDefinition;
  readonly economy: Economy;
  readonly quests: QuestSystem;
}

/** The rules, paying through `economy` (a fresh ledger by default). */
export function marketRules(economy: Economy = new Economy(ECONOMY, new Ledger())): MarketRules {
  // Facts come from the market's rules (queued), not from sim events.
  const quests = createQuestSystem({ book: QUESTS, economy, events: false });
  const ctx = (world: World): MarketContext => ({ world, economy, quests });
  const definition: SimulationDefinition = {
    name: MARKET_RULES,
    components: MARKET_COMPONENTS,
    systems: [
      // Quests first: they accept, claim and judge the facts the rules stated in the previous
      // tick, so auto-accepted quests are active (from tick 0) before any command applies and
      // count a player's very first gather or purchase.
      quests,
      // Prices fall before the tick's purchases, so a purchase is never undone in its own tick.
      { name: "prices", run: decayPrices },
      { name: "commands", run: (world) => applyCommands(ctx(world)) },
      { name: "walk", run: walkSystem },
      { name: "auctions", run: (world) => settleAuctions(ctx(world)) },
      { name: "offers", run: (world) => expireOffers(ctx(world)) },
      { name: "regrow", run: regrow },
    ],
    maxEntities: 4096,
    tickRateHz: 10,
    config: asJson({
      grid: GRID,
      recipes: RECIPES,
      wares: WARES,
      houseLots: HOUSE_LOTS,
      tiles: RESOURCE_TILES,
      tileCapacity: TILE_CAPACITY,
      buildings: BUILDINGS,
      economy: ECONOMY_DEFINITION,
      quests: QUEST_DEFINITIONS,
    }),
  };
  return { definition, economy, quests };
}

function asJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

function place(world: World, x: number, y: number): number {
  const e = world.createEntity();
  world.addComponent(e, Cell);
  const c = world.store(Cell);
  c.x[e] = x;
  c.y[e] = y;
  return e;
}

/** The market's fixed furniture: settings and counters, buildings, wares and resource tiles. */
function furnish(world: World, settings: MarketSettings): void {
  const market = world.createEntity();
  world.addComponent(market, Market);
  const m = world.store(Market);
  m.nextOffer[market] = 1;
  m.nextAuction[market] = 1;
  m.offerTicks[market] = settings.offerTicks;
  m.auctionTicks[market] = settings.auctionTicks;
  m.decayTicks[market] = settings.decayTicks;
  m.regrowTicks[market] = settings.regrowTicks;
  for (const [building, tag] of [
    [BUILDINGS.shop, Shop],
    [BUILDINGS.auctionHouse, AuctionHouse],
    [BUILDINGS.tradingPost, TradingPost],
  ] as const) {
    const e = place(world, building.x, building.y);
    world.addComponent(e, tag);
    world.setName(e, building.name);
  }
  const w = world.store(Ware);
  for (const ware of WARES) {
    const e = world.createEntity();
    world.addComponent(e, Ware);
    w.good[e] = goodIndex(ware.good);
    w.base[e] = ware.base;
  }
  const r = world.store(Resource);
  for (const tile of RESOURCE_TILES) {
    const e = place(world, tile.x, tile.y);
    world.addComponent(e, Resource);
    r.good[e] = goodIndex(tile.good);
    r.stock[e] = TILE_CAPACITY;
  }
}

/**
 * Fills a new market at tick 0: the furniture, the escrow wallets, the players (on their spawn
 * cells, with their wallets, tracked by the quests, and their starting gold paid through the
 * ledger), and the house's first auction.
 */
export function populate(
  world: World,
  rules: MarketRules,
  players: readonly string[],
  settings: MarketSettings = DEFAULT_SETTINGS,
): void {
  furnish(world, settings);
  openEscrows(rules.economy);
  const tracker = rules.quests.tracker(world);
  const t = world.store(Trader);
  players.forEach((name, i) => {
    const spawn = spawnOf(i);
    const e = place(world, spawn.x, spawn.y);
    world.addComponent(e, Trader);
    t.goalX[e] = spawn.x;
    t.goalY[e] = spawn.y;
    world.setName(e, name);
    rules.economy.openPlayer(name);
    tracker.addPlayer(name);
    if (settings.startingGold > 0) {
      rules.economy.grant(name, "gold", settings.startingGold, {
        tick: 0,
        reason: "starting_gold",
      });
    }
  });
  openHouseAuction(world);
}
