/**
 * The market project's configuration: the game the CLI, the local stack and the handlers run,
 * and the world `ledgerquest dev` and `ledgerquest seed` create when it is missing.
 */
import { defineConfig } from "@ledgerquest/runtime";
import { marketBot, marketGame } from "./src/index.js";

export default defineConfig({
  game: marketGame,
  worlds: [
    {
      id: "market",
      players: ["player_0001", "player_0002", "player_0003", "player_0004"],
      settings: {
        // At 10 ticks a second: offers stay open a minute, each house auction runs 30 s, a
        // ware's demand falls by one every 5 s, and resource tiles regrow a unit every 10 s.
        offerTicks: 600,
        auctionTicks: 300,
        decayTicks: 50,
        regrowTicks: 100,
        startingGold: 50,
      },
    },
  ],
  // `ledgerquest bots`: players that gather, craft planks and now and then shop.
  bot: marketBot,
});
