import {
  BodyKind,
  type Command,
  createPhysics,
  defineComponent,
  type Eid,
  Position,
  physicsComponents,
  Simulation,
  type SimulationDefinition,
  Velocity,
  type World,
} from "@ledgerquest/engine";

/**
 * The demo world: a top-down arena of pucks and crates, bots that chase coins, and players who
 * steer with `move` commands. Coins are sensors; a bot or player that touches one collects it
 * (a `custom` event with code COIN_COLLECTED and the coin's value) and the coin reappears
 * elsewhere. The ledger will pay these out in a later release.
 */
export const Coin = defineComponent("Coin", { value: "i32" });
export const Bot = defineComponent("Bot", { targetX: "f64", targetY: "f64", speed: "f64" });
export const Player = defineComponent("Player");
/** Ground friction of a top-down world: velocity decays by `perSecond` each second. */
export const Drag = defineComponent("Drag", { perSecond: "f64" });

export const COIN_COLLECTED = 1;

export const ARENA = { width: 200, height: 120 } as const;

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

/** Coins touched this tick by a bot or player are collected and reappear elsewhere. */
function collectCoins(world: World): void {
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
    world.emit("custom", ev.b, ev.a, COIN_COLLECTED, coin.value[c] as number);
    const spot = randomFreeSpot(world);
    p.x[c] = spot.x;
    p.y[c] = spot.y;
  }
}

export const arena: SimulationDefinition = {
  name: "arena@1",
  components: [...physicsComponents, Coin, Bot, Player, Drag],
  systems: [
    { name: "commands", run: applyCommands },
    { name: "bots", run: steerBots },
    { name: "drag", run: applyDrag },
    physics.system,
    { name: "coins", run: collectCoins },
  ],
  maxEntities: 1 << 15,
  tickRateHz: 60,
  config: { physics: JSON.parse(JSON.stringify(physics.config)) },
};

export interface PopulateOptions {
  readonly bodies: number;
  readonly bots?: number;
  readonly coins?: number;
  readonly players?: readonly string[];
}

/** Fills a new arena: pillars, pucks and crates, coins, bots and named players. */
export function populate(world: World, options: PopulateOptions): void {
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
    world.setName(e, `bot_${String(i + 1).padStart(3, "0")}`);
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
  }
}

/** A new demo world. */
export function createArena(seed: string, options: PopulateOptions): Simulation {
  const sim = Simulation.create(arena, seed);
  populate(sim.world, options);
  return sim;
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
