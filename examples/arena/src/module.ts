/**
 * The arena as a runtime game module: what the serverless runtime (and the local stack) needs to
 * run it as a persistent world: its rules bound to the world's ledger, how a new world is filled,
 * the commands players may send, who may command what, and what clients see.
 */
import {
  Body,
  BodyKind,
  Collider,
  Economy,
  type JsonValue,
  type Ledger,
  Position,
  QUEST_COMMAND,
  Sensor,
  ShapeKind,
  type Simulation,
} from "@ledgerquest/engine";
import { type CommandsOf, defineGame, type EntityView, type GameRules } from "@ledgerquest/runtime";
import * as z from "zod/mini";
import {
  ARENA,
  arenaRules,
  Bot,
  Coin,
  ECONOMY,
  Player,
  populate,
  QUEST_DEFINITIONS,
} from "./game.js";

/** Arena settings a world may be created with (all optional). */
/** A whole number from 0 to `max`. */
const count = (max: number) => z.number().check(z.int(), z.minimum(0), z.maximum(max));

const settingsSchema = z.optional(
  z.strictObject({
    bodies: z.optional(count(30_000)),
    bots: z.optional(count(1000)),
    coins: z.optional(count(5000)),
  }),
);

const questId = z.strictObject({ quest: z.string().check(z.regex(/^[a-z][a-z0-9_]{0,63}$/)) });

export const ARENA_COMMANDS = {
  // A direction; the game clamps it to unit length. `entity`, if given, must be the player's own.
  move: z.strictObject({
    dx: z.number().check(z.minimum(-1), z.maximum(1)),
    dy: z.number().check(z.minimum(-1), z.maximum(1)),
    entity: z.optional(z.string().check(z.maxLength(128))),
  }),
  [QUEST_COMMAND.accept]: questId,
  [QUEST_COMMAND.abandon]: questId,
  [QUEST_COMMAND.claim]: questId,
};

/** Gold each player starts with (the deployment guide's `player_0001` has 100). */
export const STARTING_GOLD = 100;

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export const arenaModule = defineGame({
  name: "arena@2",
  commands: ARENA_COMMANDS,
  settings: settingsSchema,
  rules(ledger: Ledger, worldId: string): GameRules {
    const r = arenaRules(new Economy(ECONOMY, ledger, { scope: worldId }));
    return { definition: r.definition, economy: r.economy, quests: r.quests };
  },
  populate(sim, rules, options) {
    const settings = options.settings ?? {};
    populate(
      sim.world,
      {
        bodies: settings.bodies ?? 200,
        ...(settings.bots === undefined ? {} : { bots: settings.bots }),
        ...(settings.coins === undefined ? {} : { coins: settings.coins }),
        players: options.players,
      },
      // The arena's populate needs only the economy and quests of the rules.
      {
        definition: rules.definition,
        economy: rules.economy,
        quests: rules.quests ?? neverQuests(),
      },
    );
    // Players (not bots) start with a purse, paid through the ledger like everything else.
    for (const player of options.players) {
      rules.economy.grant(player, "gold", STARTING_GOLD, { tick: 0, reason: "starting_gold" });
    }
  },
  authorize(player, command): boolean {
    // A player steers only its own body (named after the player).
    if (command.type !== "move") return true;
    return command.data.entity === undefined || command.data.entity === player;
  },
  view(sim: Simulation): readonly EntityView[] {
    const w = sim.world;
    const p = w.store(Position);
    const body = w.store(Body);
    const collider = w.store(Collider);
    const ids = w.query([Position]).ids();
    const out: EntityView[] = [];
    for (let i = 0; i < ids.length; i++) {
      const e = ids[i] as number;
      const kind = w.hasComponent(e, Player)
        ? "player"
        : w.hasComponent(e, Bot)
          ? "bot"
          : w.hasComponent(e, Coin)
            ? "coin"
            : w.hasComponent(e, Sensor)
              ? "zone"
              : body.kind[e] === BodyKind.Static
                ? "wall"
                : "body";
      const name = w.nameOfEntity(e);
      // Walls and zones differ one from another; every other kind looks as `describe` says.
      const own =
        (kind === "wall" || kind === "zone") && w.hasComponent(e, Collider)
          ? {
              shape: (collider.shape[e] === ShapeKind.Circle ? "circle" : "box") as
                | "circle"
                | "box",
              hw: round2(collider.hw[e] as number),
              hh: round2(collider.hh[e] as number),
            }
          : {};
      out.push({
        id: w.handle(e),
        kind,
        ...(name === undefined ? {} : { name }),
        x: round2(p.x[e] as number),
        y: round2(p.y[e] as number),
        ...own,
      });
    }
    return out;
  },
  // Each player is sent the 64 entities nearest its own (the default) and, wherever it is, the
  // walls and the shrine: they never move, so they cost a frame's bytes only when a player's
  // client takes the world whole, and a player needs them to find its way to the shrine quest.
  push: { always: (e) => e.kind === "wall" || e.kind === "zone" },
  description: {
    bounds: { minX: 0, minY: 0, maxX: ARENA.width, maxY: ARENA.height },
    tickMs: 1000 / 60,
    kinds: {
      player: { shape: "circle", hw: 0.7, hh: 0.7, label: "a player" },
      bot: { shape: "circle", hw: 0.7, hh: 0.7, label: "a bot collecting coins" },
      coin: { shape: "circle", hw: 0.6, hh: 0.6, label: "a coin: 1 to 4 gold" },
      body: { shape: "circle", hw: 0.5, hh: 0.5, label: "a puck or crate" },
      wall: { shape: "box", hw: 2, hh: 6, label: "a wall" },
      zone: { shape: "box", hw: 3, hh: 3, label: "the shrine" },
    },
    quests: JSON.parse(JSON.stringify(QUEST_DEFINITIONS)) as JsonValue[],
  },
});

/** The arena's commands, by type, with the data each takes (for typed clients). */
export type ArenaCommands = CommandsOf<typeof arenaModule>;

function neverQuests(): never {
  throw new Error("the arena's rules always have quests");
}
