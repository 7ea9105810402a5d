/**
 * The arena as a LedgerQuest project: the game its handlers run, and the world `ledgerquest dev`
 * and `ledgerquest seed` create (four players, a thousand pucks and crates, twenty of the game's
 * own bots, two hundred coins), and how `ledgerquest bots` plays it.
 */
import { defineConfig } from "@ledgerquest/runtime";
import { arenaBot, arenaModule } from "./src/index.js";

export default defineConfig({
  game: arenaModule,
  worlds: [
    {
      id: "demo",
      players: ["player_0001", "player_0002", "player_0003", "player_0004"],
      settings: { bodies: 1000, bots: 20, coins: 200 },
    },
  ],
  // `ledgerquest bots`: players that chase coins.
  bot: arenaBot,
});
