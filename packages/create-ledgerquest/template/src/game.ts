/**
 * The game: gems on a grid. Each player walks one cell per `move`; a player who steps onto a gem
 * is paid its value in gold, and a point of xp, through the world's ledger (a double-entry
 * transfer from the mint, with an id fixed by the tick, so a retried tick never pays twice), and
 * the gem appears on another cell. A quest pays a bonus once a player has collected 10 gold.
 *
 * Everything that changes lives in components (so in every snapshot and state hash) or in the
 * ledger. Randomness comes from the world's seeded generator, never `Math.random`: the same
 * commands give the same world on every machine.
 */
import {
  createQuestSystem,
  defineComponent,
  defineEconomy,
  defineQuests,
  Economy,
  type JsonValue,
  type Ledger,
  type Simulation,
  type World,
} from "@ledgerquest/engine";
import { type CommandsOf, defineGame, type EntityView, type GameRules } from "@ledgerquest/runtime";
import * as z from "zod/mini";

/** The grid, in cells. */
export const GRID = { width: 16, height: 12 } as const;
/** Gold every player starts with. */
export const STARTING_GOLD = 10;
/** Gems in a new world unless its settings say otherwise. */
export const DEFAULT_GEMS = 8;

/** A drawable entity's cell. */
export const Cell = defineComponent("Cell", { x: "i16", y: "i16" });
/** A gem and the gold it pays. */
export const Gem = defineComponent("Gem", { value: "i32" });
/** A player's walker (named after the player). */
export const Walker = defineComponent("Walker");

export const ECONOMY_DEFINITION = {
  units: [{ id: "gold" }, { id: "xp" }],
  levels: { thresholds: [0, 5, 15, 30, 60] },
};

export const QUEST_DEFINITIONS = [
  {
    id: "prospector",
    title: "Collect 10 gold from gems",
    objectives: [{ kind: "collect", unit: "gold", count: 10 }],
    rewards: [
      { unit: "gold", amount: 5 },
      { unit: "xp", amount: 5 },
    ],
    autoAccept: true,
  },
];

const ECONOMY = defineEconomy(ECONOMY_DEFINITION);
const QUESTS = defineQuests(QUEST_DEFINITIONS, ECONOMY);

const step = z.int().check(z.minimum(-1), z.maximum(1));

/** The commands players send, each a schema of its data (checked before the game sees it). */
export const COMMANDS = {
  /** One cell in each direction at most: `{ dx: 1, dy: 0 }` is a step east. */
  move: z.strictObject({ dx: step, dy: step }),
};

const settingsSchema = z.optional(
  z.strictObject({ gems: z.optional(z.int().check(z.minimum(1), z.maximum(64))) }),
);

/** Where player `i` starts: along the middle row. */
export function spawnOf(i: number): { readonly x: number; readonly y: number } {
  return { x: 1 + ((i * 3) % (GRID.width - 2)), y: GRID.height / 2 };
}

function clamp(n: number, max: number): number {
  return Math.min(max - 1, Math.max(0, n));
}

/** The `move` commands of this tick: each walker steps one cell, never off the grid. */
function applyMoves(world: World): void {
  const cell = world.store(Cell);
  for (const command of world.inputs) {
    if (command.type !== "move" || command.actor === undefined) continue;
    const e = world.byName(command.actor);
    if (e === undefined || !world.hasComponent(e, Walker)) continue;
    // The runtime checked the data against COMMANDS.move; a command from a log is the same.
    const { dx, dy } = command.data as { readonly dx: number; readonly dy: number };
    cell.x[e] = clamp((cell.x[e] as number) + dx, GRID.width);
    cell.y[e] = clamp((cell.y[e] as number) + dy, GRID.height);
  }
}

/** Walkers standing on a gem are paid through the ledger, and the gem moves elsewhere. */
function collectGems(world: World, economy: Economy, quests: GameQuests): void {
  const cell = world.store(Cell);
  const gem = world.store(Gem);
  const gems = world.query([Gem, Cell]).ids();
  const walkers = world.query([Walker, Cell]).ids();
  for (let i = 0; i < walkers.length; i++) {
    const w = walkers[i] as number;
    const player = world.nameOfEntity(w);
    if (player === undefined) continue;
    for (let j = 0; j < gems.length; j++) {
      const g = gems[j] as number;
      if (cell.x[g] !== cell.x[w] || cell.y[g] !== cell.y[w]) continue;
      const value = gem.value[g] as number;
      // Gold and a point of xp, both or neither, under an id of the tick and the gem.
      const paid = economy.grantAll(
        player,
        [
          { unit: "gold", amount: value },
          { unit: "xp", amount: 1 },
        ],
        { tick: world.tick, index: g, reason: "gem", world },
      );
      if (paid.result === "created") {
        quests.queueFact(world, { kind: "collected", player, unit: "gold", amount: value });
      }
      cell.x[g] = world.rng.int(0, GRID.width - 1);
      cell.y[g] = world.rng.int(0, GRID.height - 1);
    }
  }
}

type GameQuests = ReturnType<typeof createQuestSystem>;

function rules(economy: Economy): GameRules {
  // Facts come from the gems system (queued), not from sim events.
  const quests = createQuestSystem({ book: QUESTS, economy, events: false });
  return {
    definition: {
      name: "gems@1",
      components: [Cell, Gem, Walker],
      systems: [
        // Quests first: they judge the facts the gems system queued in the tick before.
        quests,
        { name: "moves", run: applyMoves },
        { name: "gems", run: (world) => collectGems(world, economy, quests) },
      ],
      tickRateHz: 60,
      maxEntities: 256,
      config: JSON.parse(
        JSON.stringify({ grid: GRID, economy: ECONOMY_DEFINITION, quests: QUEST_DEFINITIONS }),
      ) as JsonValue,
    },
    economy,
    quests,
  };
}

function place(world: World, x: number, y: number): number {
  const e = world.createEntity();
  world.addComponent(e, Cell);
  world.store(Cell).x[e] = x;
  world.store(Cell).y[e] = y;
  return e;
}

export const game = defineGame({
  name: "gems@1",
  commands: COMMANDS,
  settings: settingsSchema,
  rules(ledger: Ledger, worldId: string): GameRules {
    return rules(new Economy(ECONOMY, ledger, { scope: worldId }));
  },
  populate(sim: Simulation, gameRules, options) {
    const world = sim.world;
    const tracker = gameRules.quests?.tracker(world);
    for (const [i, player] of options.players.entries()) {
      const at = spawnOf(i);
      const e = place(world, at.x, at.y);
      world.addComponent(e, Walker);
      world.setName(e, player);
      gameRules.economy.openPlayer(player);
      tracker?.addPlayer(player);
      gameRules.economy.grant(player, "gold", STARTING_GOLD, { tick: 0, reason: "starting_gold" });
    }
    const gems = options.settings?.gems ?? DEFAULT_GEMS;
    for (let i = 0; i < gems; i++) {
      // The first gem lies one cell east of the first player, so a new player finds one at once.
      const first = spawnOf(0);
      const e =
        i === 0
          ? place(world, first.x + 1, first.y)
          : place(world, world.rng.int(0, GRID.width - 1), world.rng.int(0, GRID.height - 1));
      world.addComponent(e, Gem);
      world.store(Gem).value[e] = i === 0 ? 2 : world.rng.int(1, 3);
    }
  },
  view(sim: Simulation): readonly EntityView[] {
    const world = sim.world;
    const cell = world.store(Cell);
    const ids = world.query([Cell]).ids();
    const out: EntityView[] = [];
    for (let i = 0; i < ids.length; i++) {
      const e = ids[i] as number;
      const name = world.nameOfEntity(e);
      out.push({
        id: world.handle(e),
        kind: world.hasComponent(e, Gem) ? "gem" : "player",
        ...(name === undefined ? {} : { name }),
        // The centre of the entity's cell.
        x: (cell.x[e] as number) + 0.5,
        y: (cell.y[e] as number) + 0.5,
      });
    }
    return out;
  },
  description: {
    bounds: { minX: 0, minY: 0, maxX: GRID.width, maxY: GRID.height },
    tickMs: 1000 / 60,
    kinds: {
      player: { shape: "circle", hw: 0.4, hh: 0.4, label: "a player: arrow keys or WASD move it" },
      gem: { shape: "box", hw: 0.3, hh: 0.3, label: "a gem: 1 to 3 gold and 1 xp" },
    },
    quests: JSON.parse(JSON.stringify(QUEST_DEFINITIONS)) as JsonValue[],
  },
});

/** The commands, by type, with the data each takes: what a typed client sends. */
export type Commands = CommandsOf<typeof game>;
