import {
  BodyKind,
  type Command,
  createPhysics,
  createQuestSystem,
  defineComponent,
  defineEconomy,
  defineQuests,
  Economy,
  type Eid,
  type JsonValue,
  Ledger,
  Position,
  physicsComponents,
  QUEST_COMMAND,
  type QuestSystem,
  Simulation,
  type SimulationDefinition,
  Velocity,
  type World,
} from "@ledgerquest/engine";

/**
 * The demo world: a top-down arena of pucks and crates, bots that chase coins, and players who
 * steer with `move` commands. Coins are sensors; a bot or player that touches one collects it
 * (a `custom` event with code COIN_COLLECTED and the coin's value) and the coin reappears
 * elsewhere, and the collector's gold and xp are paid through the ledger. Three quests run on
 * top: collect gold, visit the shrine (a sensor zone), and hoard (repeatable).
 */
export const Coin = defineComponent("Coin", { value: "i32" });
export const Bot = defineComponent("Bot", { targetX: "f64", targetY: "f64", speed: "f64" });
export const Player = defineComponent("Player");
/** Ground friction of a top-down world: velocity decays by `perSecond` each second. */
export const Drag = defineComponent("Drag", { perSecond: "f64" });

export const COIN_COLLECTED = 1;

export const ARENA = { width: 200, height: 120 } as const;

/** Where the shrine (a sensor zone named "shrine") stands. */
export const SHRINE = { x: 60, y: 60, halfWidth: 3, halfHeight: 3 } as const;

/** The arena's economy, as a game designer would write it (validated at load). */
export const ECONOMY_DEFINITION = {
  units: [{ id: "gold" }, { id: "gems" }, { id: "xp" }],
  items: [{ id: "potion", currency: "gold", price: 10, sellPrice: 4 }],
  levels: { thresholds: [0, 10, 25, 50, 100, 200] },
};

/** The arena's quests (validated at load against the economy). */
export const QUEST_DEFINITIONS = [
  {
    id: "first_coins",
    title: "Pick up 10 gold",
    objectives: [{ kind: "collect", unit: "gold", count: 10 }],
    rewards: [{ unit: "xp", amount: 5 }],
    autoAccept: true,
  },
  {
    id: "pilgrim",
    title: "Visit the shrine",
    prerequisites: { quests: ["first_coins"] },
    objectives: [{ kind: "enter", zone: "shrine" }],
    rewards: [
      { unit: "gems", amount: 1 },
      { unit: "gold", amount: 5 },
    ],
    autoAccept: true,
  },
  {
    id: "bounty",
    title: "Earn 15 gold, claim the bounty",
    prerequisites: { quests: ["first_coins"] },
    objectives: [{ kind: "collect", unit: "gold", count: 15 }],
    rewards: [{ unit: "gold", amount: 20 }],
    // Paid when the player sends `quest.claim`, not by itself.
    claim: "manual",
    autoAccept: true,
  },
  {
    id: "hoarder",
    title: "Collect 20 gold, again and again",
    objectives: [{ kind: "collect", unit: "gold", count: 20 }],
    rewards: [{ unit: "gems", amount: 1 }],
    repeatable: true,
    autoAccept: true,
  },
];

export const ECONOMY = defineEconomy(ECONOMY_DEFINITION);
export const QUESTS = defineQuests(QUEST_DEFINITIONS, ECONOMY);

export const physics = createPhysics({
  gravity: { x: 0, y: 0 },
  bounds: { minX: 0, minY: 0, maxX: ARENA.width, maxY: ARENA.height },
  cellSize: 2,
  materials: [
    { restitution: 0.9, friction: 0.1 }, // pucks and crates
    { restitution: 0.2, friction: 0.5 }, // bots and players
  ],
});

function randomFreeSpot(world: World): { x: number; y: number } {
  return { x: world.rng.range(4, ARENA.width - 4), y: world.rng.range(4, ARENA.height - 4) };
}

/** Applies players' `move` commands: data {dx, dy} is a direction, clamped to unit length. */
function applyCommands(world: World): void {
  const v = world.store(Velocity);
  for (const command of world.inputs) {
    if (command.type !== "move" || command.actor === undefined) continue;
    const e = world.byName(command.actor);
    if (e === undefined || !world.hasComponent(e, Player)) continue;
    const data = command.data as { dx?: unknown; dy?: unknown } | null | undefined;
    const dx = typeof data?.dx === "number" && Number.isFinite(data.dx) ? data.dx : 0;
    const dy = typeof data?.dy === "number" && Number.isFinite(data.dy) ? data.dy : 0;
    const len = Math.sqrt(dx * dx + dy * dy);
    const scale = len > 1 ? 1 / len : 1;
    v.x[e] = dx * scale * 8;
    v.y[e] = dy * scale * 8;
  }
}

/** Bots steer towards a target and pick a new random one when they reach it. */
function steerBots(world: World): void {
  const bots = world.query([Bot, Position, Velocity]).ids();
  const b = world.store(Bot);
  const p = world.store(Position);
  const v = world.store(Velocity);
  for (let i = 0; i < bots.length; i++) {
    const e = bots[i] as number;
    const dx = (b.targetX[e] as number) - (p.x[e] as number);
    const dy = (b.targetY[e] as number) - (p.y[e] as number);
    const dist = Math.sqrt(dx * dx + dy * dy);
    if (dist < 1.5) {
      const spot = randomFreeSpot(world);
      b.targetX[e] = spot.x;
      b.targetY[e] = spot.y;
      continue;
    }
    const speed = b.speed[e] as number;
    // Blend towards the desired velocity: responsive, yet pushed around by what it hits.
    v.x[e] = (v.x[e] as number) * 0.9 + (dx / dist) * speed * 0.1;
    v.y[e] = (v.y[e] as number) * 0.9 + (dy / dist) * speed * 0.1;
  }
}

function applyDrag(world: World): void {
  const ids = world.query([Drag, Velocity]).ids();
  const d = world.store(Drag);
  const v = world.store(Velocity);
  const dt = world.dt;
  for (let i = 0; i < ids.length; i++) {
    const e = ids[i] as number;
    const keep = 1 - (d.perSecond[e] as number) * dt;
    v.x[e] = (v.x[e] as number) * keep;
    v.y[e] = (v.y[e] as number) * keep;
  }
}

/** Coins touched this tick by a bot or player are collected, paid out and reappear elsewhere. */
function collectCoins(world: World, economy: Economy): void {
  const coin = world.store(Coin);
  const p = world.store(Position);
  const events = world.events;
  for (let i = 0; i < events.length; i++) {
    const ev = events[i];
    if (ev === undefined || ev.kind !== "sensor_enter" || ev.tick !== world.tick) continue;
    const c = world.tryResolve(ev.a);
    const who = world.tryResolve(ev.b);
    if (c < 0 || who < 0 || !world.hasComponent(c, Coin)) continue;
    if (!world.hasComponent(who, Bot) && !world.hasComponent(who, Player)) continue;
    const collector = world.nameOfEntity(who);
    if (collector === undefined) continue;
    const value = coin.value[c] as number;
    // Gold and a point of xp, all or nothing, under an id fixed by the tick and the event's
    // position: a retried or replayed tick pays nothing twice.
    economy.grantAll(
      collector,
      [
        { unit: "gold", amount: value },
        { unit: "xp", amount: 1 },
      ],
      { tick: world.tick, index: i, reason: "pickup", world },
    );
    world.emit("custom", ev.b, ev.a, COIN_COLLECTED, value);
    const spot = randomFreeSpot(world);
    p.x[c] = spot.x;
    p.y[c] = spot.y;
  }
}

function asJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

/** The arena's rules bound to an economy (whose ledger lives beside the world, not in it). */
export interface ArenaRules {
  readonly definition: SimulationDefinition;
  readonly economy: Economy;
  readonly quests: QuestSystem;
}

/** The rules of the arena, paying through `economy` (a fresh ledger by default). */
export function arenaRules(economy: Economy = new Economy(ECONOMY, new Ledger())): ArenaRules {
  const quests = createQuestSystem({
    book: QUESTS,
    economy,
    events: { custom: [{ code: COIN_COLLECTED, fact: "collected", unit: "gold" }] },
  });
  const definition: SimulationDefinition = {
    name: "arena@2",
    components: [...physicsComponents, Coin, Bot, Player, Drag],
    systems: [
      { name: "commands", run: applyCommands },
      { name: "bots", run: steerBots },
      { name: "drag", run: applyDrag },
      physics.system,
      { name: "coins", run: (world) => collectCoins(world, economy) },
      quests,
    ],
    maxEntities: 1 << 15,
    tickRateHz: 60,
    config: {
      physics: asJson(physics.config),
      economy: asJson(ECONOMY_DEFINITION),
      quests: asJson(QUEST_DEFINITIONS),
    },
  };
  return { definition, economy, quests };
}

export interface PopulateOptions {
  readonly bodies: number;
  readonly bots?: number;
  readonly coins?: number;
  readonly players?: readonly string[];
}

/** Fills a new arena: pillars, the shrine, pucks and crates, coins, bots and named players. */
export function populate(world: World, options: PopulateOptions, rules: ArenaRules): void {
  const bots = options.bots ?? 40;
  const coins = options.coins ?? 200;
  for (let i = 0; i < 8; i++) {
    physics.spawnBox(world, {
      x: 25 + (i % 4) * 50,
      y: i < 4 ? 35 : 85,
      halfWidth: 2,
      halfHeight: 6,
      kind: BodyKind.Static,
    });
  }
  const shrine = physics.spawnBox(world, { ...SHRINE, kind: BodyKind.Static, sensor: true });
  world.setName(shrine, "shrine");
  const tracker = rules.quests.tracker(world);
  const join = (name: string) => {
    rules.economy.openPlayer(name);
    tracker.addPlayer(name);
  };
  const drag = world.store(Drag);
  for (let i = 0; i < options.bodies; i++) {
    const { x, y } = randomFreeSpot(world);
    const spec = {
      x,
      y,
      vx: world.rng.range(-4, 4),
      vy: world.rng.range(-4, 4),
      mass: i % 2 === 0 ? 1 : 2,
    };
    const e: Eid =
      i % 2 === 0
        ? physics.spawnCircle(world, { ...spec, radius: 0.5 })
        : physics.spawnBox(world, { ...spec, halfWidth: 0.5, halfHeight: 0.5 });
    world.addComponent(e, Drag);
    drag.perSecond[e] = 0.05;
  }
  const coin = world.store(Coin);
  for (let i = 0; i < coins; i++) {
    const e = physics.spawnCircle(world, {
      ...randomFreeSpot(world),
      radius: 0.6,
      kind: BodyKind.Static,
      sensor: true,
    });
    world.addComponent(e, Coin);
    coin.value[e] = 1 + world.rng.int(0, 4);
  }
  const bot = world.store(Bot);
  for (let i = 0; i < bots; i++) {
    const e = physics.spawnCircle(world, {
      ...randomFreeSpot(world),
      radius: 0.7,
      mass: 4,
      material: 1,
    });
    world.addComponent(e, Bot);
    const target = randomFreeSpot(world);
    bot.targetX[e] = target.x;
    bot.targetY[e] = target.y;
    bot.speed[e] = world.rng.range(4, 9);
    const name = `bot_${String(i + 1).padStart(3, "0")}`;
    world.setName(e, name);
    join(name);
  }
  for (const name of options.players ?? ["player_0001"]) {
    const e = physics.spawnCircle(world, {
      x: ARENA.width / 2,
      y: ARENA.height / 2,
      radius: 0.7,
      mass: 4,
      material: 1,
    });
    world.addComponent(e, Player);
    world.setName(e, name);
    join(name);
  }
}

/** A new demo world and the rules it runs under. */
export function createArena(
  seed: string,
  options: PopulateOptions,
  // The seed doubles as the world's id: it scopes every transfer id in the (shareable) ledger.
  rules: ArenaRules = arenaRules(new Economy(ECONOMY, new Ledger(), { scope: seed })),
): { readonly sim: Simulation; readonly rules: ArenaRules } {
  const sim = Simulation.create(rules.definition, seed);
  populate(sim.world, options, rules);
  return { sim, rules };
}

/** A scripted player: circles the arena, so headless runs have commands to replay. */
export function scriptedMoves(tick: number, actor = "player_0001"): Command[] {
  if (tick % 30 !== 0) return [];
  const phase = (tick / 30) % 8;
  const dirs = [
    [1, 0],
    [1, 1],
    [0, 1],
    [-1, 1],
    [-1, 0],
    [-1, -1],
    [0, -1],
    [1, -1],
  ] as const;
  const [dx, dy] = dirs[phase] ?? [0, 0];
  return [{ id: `script-${tick}`, type: "move", actor, data: { dx, dy } }];
}

/**
 * A player that plays: every quarter second it steers towards the nearest coin, or, once the
 * shrine quest is active, towards the shrine. It reads the world the way a client reads the state
 * it is sent, and its output is ordinary commands, so a run with it replays from its command log.
 */
export function pilotMoves(world: World, rules: ArenaRules, actor = "player_0001"): Command[] {
  if (world.tick % 15 !== 0) return [];
  const me = world.byName(actor);
  if (me === undefined) return [];
  const p = world.store(Position);
  const x = p.x[me] as number;
  const y = p.y[me] as number;
  let tx = Number.NaN;
  let ty = Number.NaN;
  if (rules.quests.tracker(world).status(actor, "pilgrim")?.state === "active") {
    tx = SHRINE.x;
    ty = SHRINE.y;
  } else {
    let best = Number.POSITIVE_INFINITY;
    const coins = world.query([Coin, Position]).ids();
    for (let i = 0; i < coins.length; i++) {
      const c = coins[i] as number;
      const dx = (p.x[c] as number) - x;
      const dy = (p.y[c] as number) - y;
      const d2 = dx * dx + dy * dy;
      if (d2 < best) {
        best = d2;
        tx = p.x[c] as number;
        ty = p.y[c] as number;
      }
    }
  }
  const out: Command[] = [];
  if (rules.quests.tracker(world).status(actor, "bounty")?.state === "completed") {
    out.push({
      id: `pilot-claim-${world.tick}`,
      type: QUEST_COMMAND.claim,
      actor,
      data: { quest: "bounty" },
    });
  }
  if (!Number.isNaN(tx)) {
    out.push({ id: `pilot-${world.tick}`, type: "move", actor, data: { dx: tx - x, dy: ty - y } });
  }
  return out;
}
