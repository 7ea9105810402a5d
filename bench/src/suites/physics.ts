/**
 * The physics suite.
 *
 * - pile_N: a floor and two walls, N bodies alternating circles (r 0.5) and 1x1 boxes dropped
 *   into them under gravity, dt 1/60; one op is one step. Anchor: Rapier 2D
 *   (`@dimforge/rapier2d-deterministic-compat`, the cross-platform deterministic build) on the
 *   same scene with the same materials. Sleeping is off on both sides: both solve the whole pile
 *   every step.
 * - pile_1000_settled: the same pile after 10 s of game time (600 steps, outside the timing),
 *   sleeping on in both (Rapier's default): what a pile at rest costs per step.
 * - The notes add a settle check: stirred and tall piles of 1,000 and 5,000 bodies after 10 s of
 *   game time in both engines (bodies still moving, fastest speed, pile height, height ratio).
 * - particles_1m: 1,000,000 entities with Position and Velocity; one op integrates all of them
 *   once (a system over a query, run by the schedule). Anchor: a bare loop over plain
 *   Float64Arrays of the same size, the floor any ECS pays above.
 */
import RAPIER from "@dimforge/rapier2d-deterministic-compat";
import {
  BodyKind,
  createPhysics,
  createSchedule,
  createWorld,
  defineComponent,
  type Physics,
  Position,
  physicsComponents,
  Velocity,
  type World,
} from "@ledgerquest/engine";
import type { Scenario, Subject, Suite } from "../harness.js";

const RESTITUTION = 0.1;
const FRICTION = 0.5;
const DT = 1 / 60;

interface Start {
  readonly x: number;
  readonly y: number;
  readonly vx: number;
  readonly vy: number;
}

interface Scene {
  readonly halfWidth: number;
  readonly height: number;
  position(i: number): Start;
}

/**
 * How the bodies start. "grid": at rest, 1.2 m apart, in a container 1.5·√N bodies wide (the
 * timed piles). "stirred": the same container, every other row shifted half a body and jittered,
 * each body thrown at up to 2 m/s sideways and 3 m/s down. "tall": stirred, in a container √N
 * bodies wide, rows 1.25 m apart from 3 m up and thrown at up to 6 m/s down: a column of 5,000
 * falls up to 90 m, past our motor's supported speed (maxSpeedMps, 15 m/s; Rapier has no limit).
 */
type SceneKind = "grid" | "stirred" | "tall";

/** A fixed linear congruential sequence in [0, 1), so both engines get the same start. */
function sequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
}

function scene(n: number, kind: SceneKind = "grid"): Scene {
  const cols = Math.ceil(Math.sqrt(n) * (kind === "tall" ? 1 : 1.5));
  const halfWidth = (cols * 1.2) / 2 + 2;
  const rows = Math.ceil(n / cols);
  const pitch = kind === "tall" ? 1.25 : 1.2;
  const random = sequence(12345);
  const starts: Start[] = [];
  for (let i = 0; i < n; i++) {
    const row = Math.floor(i / cols);
    const x = -halfWidth + 2 + (i % cols) * 1.2;
    if (kind === "grid") {
      starts.push({ x, y: 1.5 + row * pitch, vx: 0, vy: 0 });
      continue;
    }
    starts.push({
      x: x + (row % 2) * 0.5 + (random() - 0.5) * 0.1,
      y: (kind === "tall" ? 3 : 1.5) + row * pitch,
      vx: (random() - 0.5) * 4,
      vy: -random() * (kind === "tall" ? 6 : 3),
    });
  }
  return {
    halfWidth,
    height: rows * pitch + 20,
    position: (i) => starts[i] as Start,
  };
}

/** Bodies inside the container (nothing tunnelled out) and steps run: the work really happened. */
function contained(xs: ArrayLike<number>, ys: ArrayLike<number>, halfWidth: number): number {
  let inside = 0;
  for (let i = 0; i < xs.length; i++) {
    if (Math.abs(xs[i] as number) < halfWidth + 0.1 && (ys[i] as number) > -0.1) inside++;
  }
  return inside;
}

interface OursPile {
  readonly physics: Physics;
  readonly world: World;
  readonly ids: readonly number[];
  readonly halfWidth: number;
}

function buildOurs(n: number, kind: SceneKind, sleeping: boolean): OursPile {
  const s = scene(n, kind);
  const physics = createPhysics({
    bounds: { minX: -s.halfWidth - 4, minY: -4, maxX: s.halfWidth + 4, maxY: s.height + 4 },
    materials: [{ restitution: RESTITUTION, friction: FRICTION }],
    sleeping,
  });
  const world = createWorld({ components: [...physicsComponents], maxEntities: n + 8 });
  const wallHalfHeight = s.height / 2 + 2;
  physics.spawnBox(world, {
    x: 0,
    y: -0.5,
    halfWidth: s.halfWidth + 1,
    halfHeight: 0.5,
    kind: BodyKind.Static,
  });
  physics.spawnBox(world, {
    x: -s.halfWidth - 0.5,
    y: wallHalfHeight,
    halfWidth: 0.5,
    halfHeight: wallHalfHeight,
    kind: BodyKind.Static,
  });
  physics.spawnBox(world, {
    x: s.halfWidth + 0.5,
    y: wallHalfHeight,
    halfWidth: 0.5,
    halfHeight: wallHalfHeight,
    kind: BodyKind.Static,
  });
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = s.position(i);
    ids.push(
      i % 2 === 0
        ? physics.spawnCircle(world, { ...p, radius: 0.5 })
        : physics.spawnBox(world, { ...p, halfWidth: 0.5, halfHeight: 0.5 }),
    );
  }
  return { physics, world, ids, halfWidth: s.halfWidth };
}

/** Our pile as a subject; `settled` runs 10 s of game time first (sleeping on). */
function oursPile(n: number, settled = false): Subject {
  const { physics, world, ids, halfWidth } = buildOurs(n, "grid", settled);
  const schedule = createSchedule([physics.system]);
  if (settled) schedule.run(world, SETTLE_STEPS);
  let steps = 0;
  return {
    run() {
      schedule.step(world);
      steps++;
    },
    checksum() {
      const pos = world.store(Position);
      const xs = ids.map((e) => pos.x[e] as number);
      const ys = ids.map((e) => pos.y[e] as number);
      const sums = [steps, contained(xs, ys, halfWidth)];
      if (settled) sums.push(ids.filter((e) => physics.isSleeping(world, e)).length);
      return sums;
    },
  };
}

interface RapierPile {
  readonly world: InstanceType<typeof RAPIER.World>;
  readonly bodies: InstanceType<typeof RAPIER.RigidBody>[];
  readonly halfWidth: number;
}

async function buildRapier(n: number, kind: SceneKind, sleeping: boolean): Promise<RapierPile> {
  await RAPIER.init();
  const s = scene(n, kind);
  const world = new RAPIER.World({ x: 0, y: -9.81 });
  world.timestep = DT;
  const fixed = (x: number, y: number, hw: number, hh: number) => {
    const body = world.createRigidBody(RAPIER.RigidBodyDesc.fixed().setTranslation(x, y));
    world.createCollider(RAPIER.ColliderDesc.cuboid(hw, hh), body);
  };
  const wallHalfHeight = s.height / 2 + 2;
  fixed(0, -0.5, s.halfWidth + 1, 0.5);
  fixed(-s.halfWidth - 0.5, wallHalfHeight, 0.5, wallHalfHeight);
  fixed(s.halfWidth + 0.5, wallHalfHeight, 0.5, wallHalfHeight);
  const bodies: InstanceType<typeof RAPIER.RigidBody>[] = [];
  for (let i = 0; i < n; i++) {
    const p = s.position(i);
    // Translation only, as in LedgerQuest's motor.
    const body = world.createRigidBody(
      RAPIER.RigidBodyDesc.dynamic()
        .setTranslation(p.x, p.y)
        .setLinvel(p.vx, p.vy)
        .lockRotations()
        .setCanSleep(sleeping),
    );
    const shape =
      i % 2 === 0 ? RAPIER.ColliderDesc.ball(0.5) : RAPIER.ColliderDesc.cuboid(0.5, 0.5);
    world.createCollider(shape.setRestitution(RESTITUTION).setFriction(FRICTION), body);
    bodies.push(body);
  }
  return { world, bodies, halfWidth: s.halfWidth };
}

/** Rapier's pile as a subject; `settled` runs 10 s of game time first (sleeping on, its default). */
async function rapierPile(n: number, settled = false): Promise<Subject> {
  const { world, bodies, halfWidth } = await buildRapier(n, "grid", settled);
  if (settled) for (let i = 0; i < SETTLE_STEPS; i++) world.step();
  let steps = 0;
  return {
    run() {
      world.step();
      steps++;
    },
    checksum() {
      const xs = bodies.map((b) => b.translation().x);
      const ys = bodies.map((b) => b.translation().y);
      const sums = [steps, contained(xs, ys, halfWidth)];
      if (settled) sums.push(bodies.filter((b) => b.isSleeping()).length);
      return sums;
    },
  };
}

/** 10 s of game time at 60 Hz. */
const SETTLE_STEPS = 600;
const STILL_MPS = 0.05;

interface Settle {
  /** Bodies faster than STILL_MPS. */
  readonly moving: number;
  readonly fastestMps: number;
  /** The highest body's top, m. */
  readonly topM: number;
  /** The mean height of the bodies' centres, m. */
  readonly meanM: number;
}

function settleOf(ys: number[], speeds: number[]): Settle {
  let moving = 0;
  let fastestMps = 0;
  let topM = 0;
  let sum = 0;
  for (let i = 0; i < ys.length; i++) {
    const v = speeds[i] as number;
    if (v > STILL_MPS) moving++;
    fastestMps = Math.max(fastestMps, v);
    topM = Math.max(topM, (ys[i] as number) + 0.5);
    sum += ys[i] as number;
  }
  return { moving, fastestMps, topM, meanM: sum / ys.length };
}

function settleOurs(n: number, kind: SceneKind, sleeping: boolean): Settle {
  const { physics, world, ids } = buildOurs(n, kind, sleeping);
  createSchedule([physics.system]).run(world, SETTLE_STEPS);
  const p = world.store(Position);
  const v = world.store(Velocity);
  return settleOf(
    ids.map((e) => p.y[e] as number),
    ids.map((e) => Math.hypot(v.x[e] as number, v.y[e] as number)),
  );
}

async function settleRapier(n: number, kind: SceneKind): Promise<Settle> {
  const { world, bodies } = await buildRapier(n, kind, true);
  for (let i = 0; i < SETTLE_STEPS; i++) world.step();
  return settleOf(
    bodies.map((b) => b.translation().y),
    bodies.map((b) => {
      const l = b.linvel();
      return Math.hypot(l.x, l.y);
    }),
  );
}

/**
 * The settle check: each scene in our motor (sleeping on, and off to show the solver settles on
 * its own) and in Rapier (sleeping on, its default), after 10 s of game time.
 */
async function settleTable(): Promise<string> {
  const rows: string[] = [
    "| scene | bodies | engine | moving > 0.05 m/s | fastest m/s | top m | mean height m | top / Rapier | mean / Rapier |",
    "| ----- | -----: | ------ | ----------------: | ----------: | ----: | ------------: | -----------: | ------------: |",
  ];
  const f = (x: number, d: number) => x.toFixed(d);
  for (const kind of ["stirred", "tall"] as const) {
    for (const n of [1000, 5000]) {
      const rapier = await settleRapier(n, kind);
      const line = (engine: string, r: Settle) =>
        `| ${kind} | ${n.toLocaleString("en-US")} | ${engine} | ${r.moving} | ${f(r.fastestMps, 4)} | ${f(r.topM, 2)} | ${f(r.meanM, 2)} | ${f(r.topM / rapier.topM, 3)} | ${f(r.meanM / rapier.meanM, 3)} |`;
      rows.push(line("LedgerQuest", settleOurs(n, kind, true)));
      rows.push(line("LedgerQuest, sleeping off", settleOurs(n, kind, false)));
      rows.push(line("Rapier", rapier));
    }
  }
  return [
    "Settle check (floor, walls, circles r 0.5 and 1x1 boxes, restitution 0.1, friction 0.5, rotations locked in Rapier; after 600 steps of 1/60 s):",
    "",
    ...rows,
  ].join("\n");
}

const PARTICLES = 1_000_000;
const Vel = Velocity;

function oursParticles(byRuns: boolean): Subject {
  const Spin = defineComponent("Spin", { rate: "f64" }); // present so the query is not the only component
  const world = createWorld({ components: [Position, Vel, Spin], maxEntities: 1 << 20 });
  const p = world.store(Position);
  const v = world.store(Vel);
  for (let i = 0; i < PARTICLES; i++) {
    const e = world.createEntity();
    world.addComponent(e, Position);
    world.addComponent(e, Vel);
    p.x[e] = i;
    v.x[e] = (i % 7) - 3;
    v.y[e] = (i % 5) - 2;
  }
  const moving = world.query([Position, Vel]);
  const schedule = createSchedule([
    function integrate(w) {
      if (!byRuns) {
        const ids = moving.ids();
        for (let i = 0; i < ids.length; i++) {
          const e = ids[i] as number;
          p.x[e] = (p.x[e] as number) + (v.x[e] as number) * w.dt;
          p.y[e] = (p.y[e] as number) + (v.y[e] as number) * w.dt;
        }
        return;
      }
      // Runs of consecutive ids: the idiomatic way to stream a large, dense query.
      const runs = moving.runs();
      const px = p.x;
      const py = p.y;
      const vx = v.x;
      const vy = v.y;
      const dt = w.dt;
      for (let r = 0; r < runs.length; r += 2) {
        const end = runs[r + 1] as number;
        for (let e = runs[r] as number; e < end; e++) {
          px[e] = (px[e] as number) + (vx[e] as number) * dt;
          py[e] = (py[e] as number) + (vy[e] as number) * dt;
        }
      }
    },
  ]);
  return {
    run: () => schedule.step(world),
    checksum() {
      let sx = 0;
      let sy = 0;
      for (let e = 0; e < PARTICLES; e++) {
        sx += p.x[e] as number;
        sy += p.y[e] as number;
      }
      return [sx, sy];
    },
  };
}

function bareParticles(): Subject {
  const px = new Float64Array(PARTICLES);
  const py = new Float64Array(PARTICLES);
  const vx = new Float64Array(PARTICLES);
  const vy = new Float64Array(PARTICLES);
  for (let i = 0; i < PARTICLES; i++) {
    px[i] = i;
    vx[i] = (i % 7) - 3;
    vy[i] = (i % 5) - 2;
  }
  const dt = 1 / 60;
  return {
    run() {
      for (let i = 0; i < PARTICLES; i++) {
        px[i] = (px[i] as number) + (vx[i] as number) * dt;
        py[i] = (py[i] as number) + (vy[i] as number) * dt;
      }
    },
    checksum() {
      let sx = 0;
      let sy = 0;
      for (let i = 0; i < PARTICLES; i++) {
        sx += px[i] as number;
        sy += py[i] as number;
      }
      return [sx, sy];
    },
  };
}

function pile(n: number): Scenario {
  return {
    name: `pile_${n}`,
    description: `${n.toLocaleString("en-US")} circles (r 0.5) and 1x1 boxes dropped on a floor between walls, gravity, dt 1/60, sleeping off; one op = one step`,
    ours: { create: () => oursPile(n) },
    anchor: { create: () => rapierPile(n) },
    // Both ran every step, and every body is still inside the container.
    expected: (ops) => [ops, n],
  };
}

function settledPile(n: number): Scenario {
  return {
    name: `pile_${n}_settled`,
    description: `the same pile after 10 s of game time, sleeping on (Rapier's default); one op = one step of the pile at rest`,
    ours: { create: () => oursPile(n, true) },
    anchor: { create: () => rapierPile(n, true) },
    // Both ran every step, every body is inside the container, and every body sleeps.
    expected: (ops) => [ops, n, n],
  };
}

export const suite: Suite = {
  name: "physics",
  description:
    "Physics: LedgerQuest's motor vs Rapier 2D (deterministic build); ECS integration vs a bare loop",
  oursName: "LedgerQuest",
  anchorName: "anchor",
  notes: async () => [
    "Anchors: pile_* against Rapier 2D 0.20 (deterministic-compat build, rotations locked; sleeping off in both for pile_1000 and pile_10000 so both solve the same problem every step, on in both for pile_1000_settled); particles_1m against a bare loop over Float64Arrays.",
    "Targets: faster than Rapier per step (ratio > 1) on the moving piles; the settled pile no dearer per step than Rapier's (ratio >= 1); particles_1m within 2x of the bare loop (ratio >= 0.5); particles_1m_ids shows what the id indirection costs.",
    await settleTable(),
  ],
  scenarios: [
    pile(1000),
    pile(10_000),
    settledPile(1000),
    {
      name: "particles_1m",
      description:
        "integrate 1,000,000 particles (x += v·dt) once: an ECS system over the query's id runs vs a bare typed-array loop",
      ours: { create: () => oursParticles(true) },
      anchor: { create: bareParticles },
    },
    {
      name: "particles_1m_ids",
      description:
        "the same, iterating the query's id list (one indirection per entity) vs a bare loop",
      ours: { create: () => oursParticles(false) },
      anchor: { create: bareParticles },
    },
  ],
};
