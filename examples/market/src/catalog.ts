/**
 * What the market is made of, as data: the goods, the recipes, the shop's wares, the map, the
 * economy and the quests. Everything here is a constant; the rules (`game.ts`) and the module
 * (`module.ts`) read it, and its JSON goes into the simulation's fingerprint.
 */
import { defineEconomy, defineQuests, itemUnit } from "@ledgerquest/engine";

/** The goods other than gold: the economy's items (ledger units `item.<id>`). */
export const ITEMS = ["wood", "stone", "ore", "plank", "pickaxe", "lantern", "crown"] as const;
/** Every good the market counts, by index (components store the index). Gold is index 0. */
export const GOODS = ["gold", ...ITEMS] as const;
export type Good = (typeof GOODS)[number];

/** The ledger unit of a good: `gold`, or `item.<id>`. */
export function unitOf(good: Good): string {
  return good === "gold" ? "gold" : itemUnit(good);
}

/** The index of a good in `GOODS`. */
export function goodIndex(good: Good): number {
  return GOODS.indexOf(good);
}

/** The good at an index (a component's field); `gold` for an index out of range. */
export function goodAt(index: number): Good {
  return GOODS[index] ?? "gold";
}

/** A recipe: inputs consumed and one output granted, in one linked chain of transfers. */
export interface Recipe {
  readonly id: string;
  readonly inputs: readonly { readonly good: Good; readonly amount: number }[];
  readonly output: Good;
}

export const RECIPES = [
  { id: "plank", inputs: [{ good: "wood", amount: 2 }], output: "plank" },
  {
    id: "pickaxe",
    inputs: [
      { good: "plank", amount: 1 },
      { good: "ore", amount: 2 },
    ],
    output: "pickaxe",
  },
  {
    id: "lantern",
    inputs: [
      { good: "plank", amount: 1 },
      { good: "ore", amount: 1 },
      { good: "stone", amount: 1 },
    ],
    output: "lantern",
  },
] as const satisfies readonly Recipe[];
export type RecipeId = (typeof RECIPES)[number]["id"];

/** The goods the shop sells, each at `base` gold plus a tenth of `base` per unit of demand. */
export const WARES = [
  { good: "wood", base: 3 },
  { good: "stone", base: 4 },
  { good: "ore", base: 6 },
] as const satisfies readonly { readonly good: Good; readonly base: number }[];
export type WareGood = (typeof WARES)[number]["good"];

/**
 * The price of one unit at a demand: `base × (10 + demand) / 10`, rounded down, in integer
 * arithmetic (every operand is a small integer, so each step is exact).
 */
export function priceAt(base: number, demand: number): number {
  const scaled = base * (10 + demand);
  return (scaled - (scaled % 10)) / 10;
}

/** What `amount` units cost bought one after another, each raising the demand by one. */
export function costOf(base: number, demand: number, amount: number): number {
  let total = 0;
  for (let i = 0; i < amount; i++) total += priceAt(base, demand + i);
  return total;
}

/** The lots the house auctions, in turn, one at a time. */
export const HOUSE_LOTS = [
  { good: "crown", amount: 1, minBid: 20 },
  { good: "lantern", amount: 2, minBid: 12 },
  { good: "pickaxe", amount: 1, minBid: 8 },
] as const satisfies readonly {
  readonly good: Good;
  readonly amount: number;
  readonly minBid: number;
}[];

/** The grid: cells are one world unit; x from 0 to WIDTH - 1, y from 0 to HEIGHT - 1. */
export const GRID = { width: 24, height: 16 } as const;

/** Resource tiles: where they stand, what they give and how much they hold when full. */
export const RESOURCE_TILES = [
  { x: 3, y: 3, good: "wood" },
  { x: 3, y: 6, good: "wood" },
  { x: 4, y: 9, good: "wood" },
  { x: 5, y: 12, good: "wood" },
  { x: 19, y: 4, good: "stone" },
  { x: 20, y: 8, good: "stone" },
  { x: 18, y: 12, good: "ore" },
  { x: 21, y: 12, good: "ore" },
] as const satisfies readonly { readonly x: number; readonly y: number; readonly good: Good }[];
/** How many units a full resource tile holds; it regrows one unit every `regrowTicks`. */
export const TILE_CAPACITY = 8;

/** The market's buildings: one cell each, named (quests and clients refer to them by name). */
export const BUILDINGS = {
  shop: { x: 9, y: 2, name: "shop" },
  auctionHouse: { x: 12, y: 2, name: "auction_house" },
  tradingPost: { x: 15, y: 2, name: "trading_post" },
} as const;

/** Where player `i` (in the world's player order) starts: rows of eight below the square. */
export function spawnOf(i: number): { readonly x: number; readonly y: number } {
  return { x: 8 + (i % 8), y: 7 + (((i - (i % 8)) / 8) % 8) };
}

/** The economy, as a game designer would write it (validated at load). */
export const ECONOMY_DEFINITION = {
  units: [{ id: "gold" }, { id: "xp" }],
  items: ITEMS.map((id) => ({ id })),
  levels: { thresholds: [0, 10, 30, 60, 100, 200] },
};

/** The market's quests (validated at load against the economy). */
export const QUEST_DEFINITIONS = [
  {
    id: "woodcutter",
    title: "Gather 3 wood",
    description: "Stand next to a tree and gather.",
    objectives: [{ kind: "collect", item: "wood", count: 3 }],
    rewards: [
      { unit: "gold", amount: 5 },
      { unit: "xp", amount: 5 },
    ],
    autoAccept: true,
  },
  {
    id: "first_tool",
    title: "Craft your first tool",
    description: "Craft a pickaxe: one plank and two ore.",
    objectives: [{ kind: "collect", item: "pickaxe", count: 1 }],
    rewards: [
      { unit: "gold", amount: 15 },
      { unit: "xp", amount: 10 },
    ],
    autoAccept: true,
  },
  {
    id: "dealmaker",
    title: "Complete a trade",
    description: "Make or accept an offer that settles through the trading post's escrow.",
    objectives: [{ kind: "interact", target: BUILDINGS.tradingPost.name }],
    rewards: [
      { unit: "gold", amount: 10 },
      { unit: "xp", amount: 10 },
    ],
    autoAccept: true,
  },
  {
    id: "collector",
    title: "Win an auction",
    objectives: [{ kind: "interact", target: BUILDINGS.auctionHouse.name }],
    rewards: [
      { unit: "gold", amount: 5 },
      { unit: "xp", amount: 20 },
    ],
    autoAccept: true,
  },
  {
    id: "regular",
    title: "Buy from the shop 3 times, then claim a bonus",
    objectives: [{ kind: "interact", target: BUILDINGS.shop.name, count: 3 }],
    rewards: [{ unit: "gold", amount: 8 }],
    claim: "manual",
    autoAccept: true,
  },
];

export const ECONOMY = defineEconomy(ECONOMY_DEFINITION);
export const QUESTS = defineQuests(QUEST_DEFINITIONS, ECONOMY);

/**
 * Owners of the escrow wallets: the trading post holds offered goods, the auction house holds
 * lots and bids. Never a player's id (those have no dot); not `system`, so what they hold counts
 * as held in the ledger's conservation check (held = minted - sunk).
 */
export const ESCROW = { trades: "escrow.trades", auctions: "escrow.auctions" } as const;
