/**
 * The market's state, all of it in components (typed arrays, so in every snapshot and state
 * hash) or in the ledger. Goods are stored as their index in `GOODS`; players and sellers as
 * entity handles (`NO_ENTITY` for the house).
 */
import { defineComponent } from "@ledgerquest/engine";

/** A drawable entity's cell on the grid. */
export const Cell = defineComponent("Cell", { x: "i16", y: "i16" });

/**
 * A player: where it walks to, and the outcome of its last market command (an index in
 * `OUTCOMES`, the command's index in `COMMAND_TYPES`, and the tick), so a client can read why a
 * command did nothing.
 */
export const Trader = defineComponent("Trader", {
  goalX: "i16",
  goalY: "i16",
  outcome: "u8",
  command: "u8",
  outcomeTick: "u32",
});

/** A resource tile: the good it gives, and what it holds now (regrows to TILE_CAPACITY). */
export const Resource = defineComponent("Resource", { good: "u8", stock: "u16" });

/** The buildings (tags; each is one named entity with a Cell). */
export const Shop = defineComponent("Shop");
export const AuctionHouse = defineComponent("AuctionHouse");
export const TradingPost = defineComponent("TradingPost");

/** One good the shop sells: its base price and current demand (each unit bought adds one). */
export const Ware = defineComponent("Ware", { good: "u8", base: "i32", demand: "i32" });

/**
 * The world's market settings and counters (one entity): the numbers of the next offer and
 * auction, the house's next lot, and the settings the world was created with.
 */
export const Market = defineComponent("Market", {
  nextOffer: "u32",
  nextAuction: "u32",
  houseLot: "u32",
  offerTicks: "u32",
  auctionTicks: "u32",
  decayTicks: "u32",
  regrowTicks: "u32",
});

/**
 * An open offer: `from` gave `giveAmount` of `give` into the trading post's escrow and asks
 * `askAmount` of `ask` from `to`. `open` is cleared at once when it settles, is cancelled or
 * expires (the entity itself goes at the end of the system).
 */
export const Offer = defineComponent("Offer", {
  number: "u32",
  open: "u8",
  from: "entity",
  to: "entity",
  give: "u8",
  giveAmount: "i32",
  ask: "u8",
  askAmount: "i32",
  expiresAt: "u32",
});

/**
 * A running auction: the lot (held in escrow for a player's lot; minted at the end for the
 * house's), the reserve, the end tick, and the top bid, whose gold is held in escrow.
 */
export const Auction = defineComponent("Auction", {
  number: "u32",
  seller: "entity",
  lot: "u8",
  lotAmount: "i32",
  minBid: "i32",
  endTick: "u32",
  topBidder: "entity",
  topBid: "i32",
  bids: "u32",
});

export const MARKET_COMPONENTS = [
  Cell,
  Trader,
  Resource,
  Shop,
  AuctionHouse,
  TradingPost,
  Ware,
  Market,
  Offer,
  Auction,
] as const;
