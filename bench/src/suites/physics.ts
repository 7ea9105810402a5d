/**
 * The physics suite.
 *
 * - pile_N: a floor and two walls, N bodies alternating circles (r 0.5) and 1x1 boxes dropped
 *   into them under gravity, dt 1/60; one op is one step. Anchor: Rapier 2D
 *   (`@dimforge/rapier2d-deterministic-compat`, the cross-platform deterministic build) on the
 *   same scene with the same materials.
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
  Position,
  physicsComponents,
  Velocity,
} from "@ledgerquest/engine";
import type { Scenario, Subject, Suite } from "../harness.js";

const RESTITUTION = 0.1;
const FRICTION = 0.5;
const DT = 1 / 60;

interface Scene {
  readonly halfWidth: number;
  readonly height: number;
  position(i: number): { x: number; y: number };
}

/** A container wide enough for a pile about as wide as it is tall, bodies 1.2 m apart. */
function scene(n: number): Scene {
  const cols = Math.ceil(Math.sqrt(n) * 1.5);
  const halfWidth = (cols * 1.2) / 2 + 2;
  const rows = Math.ceil(n / cols);
  return {
    halfWidth,
    height: rows * 1.2 + 20,
    position: (i) => ({
      x: -halfWidth + 2 + (i % cols) * 1.2,
      y: 1.5 + Math.floor(i / cols) * 1.2,
    }),
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

function oursPile(n: number): Subject {
  const s = scene(n);
  const physics = createPhysics({
    bounds: { minX: -s.halfWidth - 4, minY: -4, maxX: s.halfWidth + 4, maxY: s.height + 4 },
    materials: [{ restitution: RESTITUTION, friction: FRICTION }],
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
  const schedule = createSchedule([physics.system]);
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
      return [steps, contained(xs, ys, s.halfWidth)];
    },
  };
}

async function rapierPile(n: number): Promise<Subject> {
  await RAPIER.init();
  const s = scene(n);
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
    // Translation only and no sleeping, as in LedgerQuest's motor, so both solve the same problem
    // every step. (With sleeping, Rapier's settled pile costs almost nothing: see docs/benchmarks.md.)
    const body = world.createRigidBody(
      RAPIER.RigidBodyDesc.dynamic().setTranslation(p.x, p.y).lockRotations().setCanSleep(false),
    );
    const shape =
      i % 2 === 0 ? RAPIER.ColliderDesc.ball(0.5) : RAPIER.ColliderDesc.cuboid(0.5, 0.5);
    world.createCollider(shape.setRestitution(RESTITUTION).setFriction(FRICTION), body);
    bodies.push(body);
  }
  let steps = 0;
  return {
    run() {
      world.step();
      steps++;
    },
    checksum() {
      const xs = bodies.map((b) => b.translation().x);
      const ys = bodies.map((b) => b.translation().y);
      return [steps, contained(xs, ys, s.halfWidth)];
    },
  };
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
    description: `${n.toLocaleString("en-US")} circles (r 0.5) and 1x1 boxes dropped on a floor between walls, gravity, dt 1/60; one op = one step`,
    ours: { create: () => oursPile(n) },
    anchor: { create: () => rapierPile(n) },
    // Both ran every step, and every body is still inside the container.
    expected: (ops) => [ops, n],
  };
}

export const suite: Suite = {
  name: "physics",
  description:
    "Physics: LedgerQuest's motor vs Rapier 2D (deterministic build); ECS integration vs a bare loop",
  oursName: "LedgerQuest",
  anchorName: "anchor",
  notes: () => [
    "Anchors: pile_* against Rapier 2D 0.20 (deterministic-compat build, rotations locked and sleeping off so both solve the same problem every step); particles_1m against a bare loop over Float64Arrays.",
    "Targets: faster than Rapier per step (ratio > 1) on both piles; particles_1m within 2x of the bare loop (ratio >= 0.5); particles_1m_ids shows what the id indirection costs.",
  ],
  scenarios: [
    pile(1000),
    pile(10_000),
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
