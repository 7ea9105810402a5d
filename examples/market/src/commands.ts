/**
 * The commands players send, each a zod schema of its `data` (checked at the boundary by the
 * runtime, and again by the rules, so a command from a replayed log is held to the same shape),
 * and the outcomes a market command can have.
 */
import { QUEST_COMMAND } from "@ledgerquest/engine";
import * as z from "zod/mini";
import { GOODS, GRID, ITEMS, RECIPES, WARES } from "./catalog.js";

const int = (min: number, max: number) => z.number().check(z.int(), z.minimum(min), z.maximum(max));
const good = z.enum(GOODS);
const amountOf = z.strictObject({ good, amount: int(1, 1000) });
/** A lot is goods, not gold: bids are gold, and the auction escrow's gold is the top bids. */
const lotOf = z.strictObject({ good: z.enum(ITEMS), amount: int(1, 1000) });
const questId = z.strictObject({ quest: z.string().check(z.regex(/^[a-z][a-z0-9_]{0,63}$/)) });
const playerId = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/));
const recipeIds = RECIPES.map((r) => r.id) as [RecipeIdOf<0>, ...RecipeIdOf<number>[]];
type RecipeIdOf<I extends number> = (typeof RECIPES)[I]["id"];
const wareGoods = WARES.map((w) => w.good) as [WareOf<0>, ...WareOf<number>[]];
type WareOf<I extends number> = (typeof WARES)[I]["good"];

/** Most units of one good bought in one command (each raises the price). */
export const BUY_MAX = 10;
/** Longest and shortest auction a player may open, in ticks. */
export const AUCTION_TICKS = { min: 10, max: 36_000 } as const;

export const MARKET_COMMANDS = {
  /** Walk to a cell, one cell per tick (around tiles and buildings). */
  walk: z.strictObject({ x: int(0, GRID.width - 1), y: int(0, GRID.height - 1) }),
  /** Gather from the resource tile at (x, y), which must be next to the player (8 neighbours). */
  gather: z.strictObject({ x: int(0, GRID.width - 1), y: int(0, GRID.height - 1) }),
  /** Craft a recipe once: its inputs leave the player's wallets and its output arrives, or nothing. */
  craft: z.strictObject({ recipe: z.enum(recipeIds) }),
  /** Offer `give` (moved into escrow now) to player `to` for `ask`. */
  offer: z.strictObject({ to: playerId, give: amountOf, ask: amountOf }),
  /** Accept an offer made to you: your payment goes to the offerer, the goods in escrow to you. */
  accept: z.strictObject({ offer: int(1, 2 ** 31) }),
  /** Cancel your offer: the goods in escrow come back. */
  cancel: z.strictObject({ offer: int(1, 2 ** 31) }),
  /** Put a lot up for auction (moved into escrow now) with a reserve, ending after `ticks`. */
  auction: z.strictObject({
    lot: lotOf,
    minBid: int(1, 1_000_000),
    ticks: int(AUCTION_TICKS.min, AUCTION_TICKS.max),
  }),
  /** Bid gold on an auction: held in escrow until outbid (refunded at once) or the end. */
  bid: z.strictObject({ auction: int(1, 2 ** 31), amount: int(1, 1_000_000) }),
  /** Buy from the shop at its current price, which rises with each unit bought. */
  buy: z.strictObject({ good: z.enum(wareGoods), amount: int(1, BUY_MAX) }),
  [QUEST_COMMAND.accept]: questId,
  [QUEST_COMMAND.abandon]: questId,
  [QUEST_COMMAND.claim]: questId,
};

export type MarketCommandType = keyof typeof MARKET_COMMANDS & string;
export type MarketCommandData<K extends MarketCommandType> = z.output<(typeof MARKET_COMMANDS)[K]>;

/** The market's own command types, by index (`Trader.command`). */
export const COMMAND_TYPES = [
  "walk",
  "gather",
  "craft",
  "offer",
  "accept",
  "cancel",
  "auction",
  "bid",
  "buy",
] as const satisfies readonly MarketCommandType[];
export type MarketAction = (typeof COMMAND_TYPES)[number];

/**
 * What a market command came to (`Trader.outcome`, and the value of a `MARKET_EVENT.outcome`
 * event). Expected refusals are outcomes, never exceptions; a refused command changes nothing.
 */
export const OUTCOMES = [
  "ok",
  /** The data does not match the command's schema (a command from outside the runtime). */
  "invalid",
  /** Not enough of a good in a wallet (the ledger's `insufficient_funds`). */
  "insufficient_funds",
  /** The resource tile is not next to the player. */
  "not_adjacent",
  /** There is no resource tile there, or it is empty for now. */
  "depleted",
  /** No open offer or running auction has that number. */
  "unknown_offer",
  "unknown_auction",
  /** The offer is not to you (accept) or not from you (cancel). */
  "not_yours",
  /** An offer to a player who is not in this world, or to yourself. */
  "unknown_player",
  "self_trade",
  /** Too many open offers or auctions of your own (`OPEN_MAX`). */
  "too_many_open",
  /** Bidding on your own auction. */
  "own_auction",
  /** Under the reserve, or under the top bid plus the increment. */
  "bid_too_low",
  /** The ledger refused for another reason (a bug if it happens: see the journal). */
  "refused",
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Open offers, and open auctions, a player may have at once. */
export const OPEN_MAX = 8;
