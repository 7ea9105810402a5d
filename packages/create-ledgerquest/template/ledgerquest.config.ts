/**
 * The project's configuration, which every `ledgerquest` command reads: the game, the world
 * `ledgerquest dev` (`npm start`) creates when it is missing, and how `ledgerquest bots` plays.
 */
import { type BotFactory, defineConfig } from "@ledgerquest/runtime";
import { game } from "./src/game.js";

/** Each bot steps towards the nearest gem it knows of, and wanders when it knows none. */
const bot: BotFactory = () => (view, random) => {
  const me = view.entities.find((e) => e.kind === "player" && e.name === view.player);
  if (me === undefined) return undefined;
  let best: { dx: number; dy: number } | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const e of view.entities) {
    if (e.kind !== "gem") continue;
    const distance = Math.abs(e.x - me.x) + Math.abs(e.y - me.y);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = { dx: Math.sign(e.x - me.x), dy: Math.sign(e.y - me.y) };
    }
  }
  const wander = () => Math.floor(random() * 3) - 1;
  return { type: "move", data: best ?? { dx: wander(), dy: wander() } };
};

export default defineConfig({
  game,
  worlds: [{ id: "demo", players: ["player_0001", "player_0002", "player_0003"] }],
  bot,
});
