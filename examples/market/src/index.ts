/**
 * The market: a grid world where players gather resources, craft items, trade with each other
 * through escrow, bid in auctions and buy from a shop whose prices move; every change of gold or
 * items is a ledger transfer. `marketGame` is the runtime module; the rest is for tools and tests.
 */
export { heldInAuctions, minimumBid } from "./auction.js";
export * from "./bot.js";
export * from "./catalog.js";
export {
  BUY_MAX,
  COMMAND_TYPES,
  MARKET_COMMANDS,
  type MarketAction,
  OPEN_MAX,
  OUTCOMES,
  type Outcome,
} from "./commands.js";
export * from "./components.js";
export { MARKET_EVENT } from "./context.js";
export {
  DEFAULT_SETTINGS,
  MARKET_RULES,
  type MarketRules,
  type MarketSettings,
  marketRules,
  populate,
} from "./game.js";
export { type MarketCommands, marketGame } from "./module.js";
export { prices } from "./shop.js";
export { heldInOffers } from "./trade.js";
