/**
 * The game the runtime's own tests run their worlds under: small, deterministic, made only of the
 * engine's and the runtime's public parts. It stands in for a real game so that the runtime's
 * tests depend on no example (the examples depend on the runtime, not the other way round).
 *
 * What it has, each for something the tests assert:
 * - players (entities named by their ids, starting at `START`) steer with `move` {dx, dy}: a
 *   command changes the state, so a lost or extra command changes the hashes. `entity`, if given,
 *   must be the player's own (`authorize`), and the schema bounds dx and dy to [-1, 1];
 * - runners (bots `runner_01`...) chase the nearest coin and collect it: its gold and a point of xp
 *   are paid through the ledger (reason `pickup`, by transfer ids fixed by the tick), so the world
 *   earns without commands, and the coin reappears elsewhere (from the world's rng);
 * - quests over the gold collected: `first_coins` pays xp by itself (so `Quest Completed` events
 *   are published), `bounty` waits for a `quest.claim`;
 * - every player starts with `STARTING_GOLD` gold, paid through the ledger at creation;
 * - a wall that never moves and is drawn with its own shape (a view's per-entity shape);
 * - settings `{ runners, coins }`, both optional.
 *
 * Alike: create-ledgerquest/template/src/game.ts (a game made the same way, for a new project) and
 * the engine's quest tests' books (engine/test/quests.test.ts, quests-claim.test.ts).
 */
import {
  createQuestSystem,
  defineComponent,
  defineEconomy,
  defineQuests,
  Economy,
  type JsonValue,
  QUEST_COMMAND,
  type World,
} from "@ledgerquest/engine";
import * as z from "zod/mini";
import { defineGame, type EntityView, type GameRules } from "../../src/index.js";

export const BOARD = { width: 60, height: 40 } as const;
/** Where every player's entity starts: the board's centre. */
export const START = { x: BOARD.width / 2, y: BOARD.height / 2 } as const;
/** The wall's place and half extents. */
export const WALL = { x: 10, y: 10, hw: 4, hh: 1 } as const;
export const STARTING_GOLD = 100;
/** World units a tick. */
const PLAYER_SPEED = 0.25;
const RUNNER_SPEED = 0.5;
const COIN_COLLECTED = 1;

const Spot = defineComponent("Spot", { x: "f64", y: "f64" });
/** A player's heading, as its last `move` set it. */
const Player = defineComponent("Player", { dx: "f64", dy: "f64" });
const Runner = defineComponent("Runner");
const Coin = defineComponent("Coin", { value: "i32" });
const Wall = defineComponent("Wall");

const ECONOMY_DEFINITION = {
  units: [{ id: "gold" }, { id: "xp" }],
  levels: { thresholds: [0, 10, 25, 50] },
};
export const QUEST_DEFINITIONS: readonly JsonValue[] = [
  {
    id: "first_coins",
    title: "Collect 5 gold",
    objectives: [{ kind: "collect", unit: "gold", count: 5 }],
    rewards: [{ unit: "xp", amount: 5 }],
    autoAccept: true,
  },
  {
    id: "bounty",
    title: "Collect 20 gold, then claim 10 more",
    objectives: [{ kind: "collect", unit: "gold", count: 20 }],
    rewards: [{ unit: "gold", amount: 10 }],
    claim: "manual",
    autoAccept: true,
  },
];
const ECONOMY = defineEconomy(ECONOMY_DEFINITION);
const QUESTS = defineQuests(QUEST_DEFINITIONS, ECONOMY);

const unit = z.number().check(z.minimum(-1), z.maximum(1));
const questId = z.strictObject({ quest: z.string().check(z.regex(/^[a-z][a-z0-9_]{0,63}$/)) });
const count = (max: number) => z.number().check(z.int(), z.minimum(0), z.maximum(max));

function randomSpot(world: World): { x: number; y: number } {
  return { x: world.rng.range(1, BOARD.width - 1), y: world.rng.range(1, BOARD.height - 1) };
}

function spawn(world: World, at: { x: number; y: number }, name?: string): number {
  const e = world.createEntity();
  world.addComponent(e, Spot);
  const spot = world.store(Spot);
  spot.x[e] = at.x;
  spot.y[e] = at.y;
  if (name !== undefined) world.setName(e, name);
  return e;
}

/** `move` sets the player's heading; players walk it, kept on the board. */
function walkPlayers(world: World): void {
  const player = world.store(Player);
  for (const command of world.inputs) {
    const e = command.type === "move" ? world.byName(command.actor ?? "") : undefined;
    if (e === undefined || !world.hasComponent(e, Player)) continue;
    const data = command.data as { dx: number; dy: number };
    player.dx[e] = data.dx;
    player.dy[e] = data.dy;
  }
  const spot = world.store(Spot);
  for (const e of world.query([Player, Spot]).ids()) {
    const x = (spot.x[e] as number) + (player.dx[e] as number) * PLAYER_SPEED;
    const y = (spot.y[e] as number) + (player.dy[e] as number) * PLAYER_SPEED;
    spot.x[e] = Math.min(Math.max(x, 0), BOARD.width);
    spot.y[e] = Math.min(Math.max(y, 0), BOARD.height);
  }
}

/** Each runner steps towards the nearest coin; reaching it, collects it (paid by the ledger). */
function runRunners(world: World, economy: Economy): void {
  const spot = world.store(Spot);
  const coin = world.store(Coin);
  const coins = world.query([Coin, Spot]).ids();
  for (const r of world.query([Runner, Spot]).ids()) {
    const x = spot.x[r] as number;
    const y = spot.y[r] as number;
    let nearest = -1;
    let best = Number.POSITIVE_INFINITY;
    for (const c of coins) {
      const dx = (spot.x[c] as number) - x;
      const dy = (spot.y[c] as number) - y;
      const d = Math.sqrt(dx * dx + dy * dy);
      if (d < best) [nearest, best] = [c, d];
    }
    if (nearest < 0) continue;
    const step = best <= RUNNER_SPEED ? 1 : RUNNER_SPEED / best;
    spot.x[r] = x + ((spot.x[nearest] as number) - x) * step;
    spot.y[r] = y + ((spot.y[nearest] as number) - y) * step;
    if (step < 1) continue;
    // Reached: gold and a point of xp, all or nothing, under ids fixed by the runner and the tick.
    const value = coin.value[nearest] as number;
    const pay = [
      { unit: "gold", amount: value },
      { unit: "xp", amount: 1 },
    ];
    economy.grantAll(world.nameOfEntity(r) as string, pay, {
      tick: world.tick,
      reason: "pickup",
      world,
    });
    world.emit("custom", world.handle(r), world.handle(nearest), COIN_COLLECTED, value);
    const next = randomSpot(world);
    spot.x[nearest] = next.x;
    spot.y[nearest] = next.y;
  }
}

function fixtureRules(economy: Economy): GameRules {
  const quests = createQuestSystem({
    book: QUESTS,
    economy,
    events: { custom: [{ code: COIN_COLLECTED, fact: "collected", unit: "gold" }] },
  });
  return {
    definition: {
      name: "fixture@1",
      components: [Spot, Player, Runner, Coin, Wall],
      systems: [
        { name: "players", run: walkPlayers },
        { name: "runners", run: (world) => runRunners(world, economy) },
        quests,
      ],
      config: {
        board: BOARD,
        speeds: [PLAYER_SPEED, RUNNER_SPEED],
        economy: ECONOMY_DEFINITION,
        quests: QUEST_DEFINITIONS,
      },
    },
    economy,
    quests,
  };
}

function kindOf(world: World, e: number): string {
  if (world.hasComponent(e, Player)) return "player";
  if (world.hasComponent(e, Runner)) return "runner";
  return world.hasComponent(e, Coin) ? "coin" : "wall";
}

export const fixtureGame = defineGame({
  name: "fixture@1",
  commands: {
    move: z.strictObject({ dx: unit, dy: unit, entity: z.optional(z.string()) }),
    [QUEST_COMMAND.accept]: questId,
    [QUEST_COMMAND.claim]: questId,
  },
  settings: z.optional(
    z.strictObject({ runners: z.optional(count(64)), coins: z.optional(count(1000)) }),
  ),
  rules: (ledger, worldId) => fixtureRules(new Economy(ECONOMY, ledger, { scope: worldId })),
  populate(sim, rules, options) {
    const world = sim.world;
    const join = (name: string) => {
      rules.economy.openPlayer(name);
      rules.quests?.tracker(world).addPlayer(name);
    };
    world.addComponent(spawn(world, WALL), Wall);
    const coin = world.store(Coin);
    for (let i = 0; i < (options.settings?.coins ?? 10); i++) {
      const e = spawn(world, randomSpot(world));
      world.addComponent(e, Coin);
      coin.value[e] = world.rng.int(1, 3);
    }
    for (let i = 1; i <= (options.settings?.runners ?? 2); i++) {
      const name = `runner_${String(i).padStart(2, "0")}`;
      world.addComponent(spawn(world, randomSpot(world), name), Runner);
      join(name);
    }
    for (const player of options.players) {
      world.addComponent(spawn(world, START, player), Player);
      join(player);
      rules.economy.grant(player, "gold", STARTING_GOLD, { tick: 0, reason: "starting_gold" });
    }
  },
  authorize: (player, command) =>
    command.type !== "move" || command.data.entity === undefined || command.data.entity === player,
  view(sim): readonly EntityView[] {
    const world = sim.world;
    const spot = world.store(Spot);
    return Array.from(world.query([Spot]).ids(), (e): EntityView => {
      const kind = kindOf(world, e);
      const name = world.nameOfEntity(e);
      return {
        id: world.handle(e),
        kind,
        ...(name === undefined ? {} : { name }),
        x: Math.round((spot.x[e] as number) * 100) / 100,
        y: Math.round((spot.y[e] as number) * 100) / 100,
        ...(kind === "wall" ? { shape: "box" as const, hw: WALL.hw, hh: WALL.hh } : {}),
      };
    });
  },
  description: {
    bounds: { minX: 0, minY: 0, maxX: BOARD.width, maxY: BOARD.height },
    tickMs: 1000 / 60,
    kinds: {
      player: { shape: "circle", hw: 0.5, hh: 0.5, label: "a player" },
      runner: { shape: "circle", hw: 0.5, hh: 0.5, label: "a bot collecting coins" },
      coin: { shape: "circle", hw: 0.3, hh: 0.3, label: "a coin: 1 to 3 gold" },
      wall: { shape: "box", hw: WALL.hw, hh: WALL.hh, label: "a wall" },
    },
    quests: QUEST_DEFINITIONS,
  },
});
