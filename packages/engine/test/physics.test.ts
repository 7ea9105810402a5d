import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BodyKind,
  createPhysics,
  createSchedule,
  createWorld,
  DefinitionError,
  Faulted,
  InvalidArgumentError,
  type Physics,
  Position,
  physicsComponents,
  Velocity,
  type World,
} from "../src/index.js";

// Tests here start alike (physics, a world, a body or two): each builds its own scene, written
// out, so that it reads alone.
function setup(physics: Physics, maxEntities = 4096): { world: World; step: (n?: number) => void } {
  const world = createWorld({ components: [...physicsComponents], maxEntities, seed: 42 });
  const schedule = createSchedule([physics.system]);
  return { world, step: (n = 1) => schedule.run(world, n) };
}

describe("physics that holds", () => {
  it("(1) a perfectly elastic closed box of 1,000 bodies keeps kinetic energy within 1e-6 over 10,000 ticks", () => {
    const physics = createPhysics({
      gravity: { x: 0, y: 0 },
      bounds: { minX: 0, minY: 0, maxX: 60, maxY: 60 },
      materials: [{ restitution: 1, friction: 0 }],
      restitutionThresholdMps: 0,
      // A body that comes to rest falls asleep with its last few mm/s; an exactly elastic world
      // keeps them.
      sleeping: false,
    });
    const { world, step } = setup(physics);
    for (let i = 0; i < 1000; i++) {
      const x = 1 + (i % 30) * 1.9;
      const y = 1 + Math.floor(i / 30) * 1.75;
      const spec = {
        x,
        y,
        vx: world.rng.range(-3, 3),
        vy: world.rng.range(-3, 3),
        mass: 1 + (i % 3),
      };
      if (i % 2 === 0) physics.spawnCircle(world, { ...spec, radius: 0.5 });
      else physics.spawnBox(world, { ...spec, halfWidth: 0.5, halfHeight: 0.5 });
    }
    const e0 = physics.kineticEnergy(world);
    let worst = 0;
    for (let t = 0; t < 100; t++) {
      step(100);
      worst = Math.max(worst, Math.abs(physics.kineticEnergy(world) - e0) / e0);
    }
    expect(world.tick).toBe(10_000);
    expect(worst).toBeLessThan(1e-6);
    // The bodies did collide: energy moved between them.
    expect(world.events.filter((e) => e.kind === "body_invalid")).toHaveLength(0);
  });

  it("(1) every two-body collision conserves momentum to 1e-12 relative", () => {
    const physics = createPhysics({
      gravity: { x: 0, y: 0 },
      // A light body struck by a heavy one leaves at up to twice the closing speed: keep every
      // outcome under the speed limit, which (by design) does not conserve momentum.
      maxSpeedMps: 30,
      // A body left almost at rest would fall asleep, losing its last mm/s (and momentum).
      sleeping: false,
      // Far walls: the pair must not reach them within the test.
      bounds: { minX: -500, minY: -500, maxX: 500, maxY: 500 },
      cellSize: 10,
      materials: [
        { restitution: 1, friction: 0 },
        { restitution: 0.2, friction: 0.8 },
      ],
    });
    const shape = fc.constantFrom("circle", "box");
    fc.assert(
      fc.property(
        shape,
        shape,
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        fc.double({ min: 0.5, max: 6, noNaN: true }),
        // Offsets that keep the hit face-on (a grazing corner is resolved along the other axis).
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 1 }),
        (sa, sb, ma, mb, speed, offset, material) => {
          const { world, step } = setup(physics, 8);
          const spawn = (s: string, x: number, y: number, vx: number, mass: number) =>
            s === "circle"
              ? physics.spawnCircle(world, { x, y, vx, mass, radius: 0.5, material })
              : physics.spawnBox(world, {
                  x,
                  y,
                  vx,
                  mass,
                  halfWidth: 0.5,
                  halfHeight: 0.5,
                  material,
                });
          const a = spawn(sa, -1.5, 0, speed, ma);
          spawn(sb, 1.5, offset * 0.6, -speed, mb);
          const v = world.store(Velocity);
          const scale = ma * speed + mb * speed;
          let collided = false;
          for (let t = 0; t < 200; t++) {
            const before = physics.momentum(world);
            const va = v.x[a];
            step();
            const after = physics.momentum(world);
            if (v.x[a] !== va) collided = true;
            expect(Math.hypot(after.x - before.x, after.y - before.y) / scale).toBeLessThan(1e-12);
          }
          expect(collided).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  function energyDrift(physics: Physics, world: World, steps: number) {
    const schedule = createSchedule([physics.system]);
    const total = () => physics.kineticEnergy(world) + physics.potentialEnergy(world);
    const e0 = total();
    let first = 0;
    let last = 0;
    let worst = 0;
    for (let t = 1; t <= steps; t++) {
      schedule.step(world);
      const err = Math.abs(total() - e0) / Math.abs(e0);
      worst = Math.max(worst, err);
      if (t <= steps / 10) first = Math.max(first, err);
      if (t > steps - steps / 10) last = Math.max(last, err);
    }
    return { worst, first, last };
  }

  it("(2) a body on a spring keeps its energy within 1e-3 over 100,000 steps, without drift", () => {
    const physics = createPhysics({ gravity: { x: 0, y: 0 } });
    const { world } = setup(physics, 8);
    const body = physics.spawnCircle(world, { x: 5, y: 0, vy: 2, radius: 0.5 });
    physics.addSpring(world, { a: body, anchor: { x: 0, y: 0 }, k: 1 });
    const { worst, first, last } = energyDrift(physics, world, 100_000);
    expect(worst).toBeLessThan(1e-3);
    // Symplectic: the error oscillates; the last tenth is no worse than the first.
    expect(last).toBeLessThanOrEqual(first * 1.05 + 1e-12);
  });

  it("(2) a body orbiting a point attractor keeps its energy within 1e-3 over 100,000 steps, without drift", () => {
    const physics = createPhysics({ gravity: { x: 0, y: 0 } });
    const { world } = setup(physics, 8);
    physics.addAttractor(world, { x: 0, y: 0, strength: 100, softening: 0.01 });
    // An eccentric orbit: 80% of the circular speed at r = 10.
    physics.spawnCircle(world, { x: 10, y: 0, vy: 0.8 * Math.sqrt(100 / 10), radius: 0.5 });
    const { worst, first, last } = energyDrift(physics, world, 100_000);
    expect(worst).toBeLessThan(1e-3);
    expect(last).toBeLessThanOrEqual(first * 1.05 + 1e-12);
  });

  it("(3) the deployment guide's ball_1 with momentum 42: one tick changes energy by less than 1e-4", () => {
    const physics = createPhysics();
    const { world, step } = setup(physics, 8);
    const ball = physics.spawnCircle(world, { x: 0, y: 10, vx: 14, mass: 3, radius: 0.5 });
    world.setName(ball, "ball_1");
    const p0 = physics.momentum(world);
    expect(Math.hypot(p0.x, p0.y)).toBe(42);
    const e0 = physics.kineticEnergy(world) + physics.potentialEnergy(world);
    step();
    const e1 = physics.kineticEnergy(world) + physics.potentialEnergy(world);
    expect(Math.abs(e1 - e0)).toBeLessThan(1e-4);
    expect(world.store(Position).x[world.byName("ball_1") as number]).toBeCloseTo(14 / 60, 12);
  });

  /** A container 40 m wide and 1,000 bodies dropped into it at up to the supported speed. */
  function droppedPile(sleeping: boolean) {
    const physics = createPhysics({
      bounds: { minX: -50, minY: -10, maxX: 50, maxY: 200 },
      materials: [{ restitution: 0.1, friction: 0.5 }],
      sleeping,
    });
    const { world, step } = setup(physics, 1100);
    const W = 20;
    physics.spawnBox(world, {
      x: 0,
      y: -1,
      halfWidth: W + 1,
      halfHeight: 1,
      kind: BodyKind.Static,
    });
    physics.spawnBox(world, {
      x: -W - 0.5,
      y: 50,
      halfWidth: 0.5,
      halfHeight: 51,
      kind: BodyKind.Static,
    });
    physics.spawnBox(world, {
      x: W + 0.5,
      y: 50,
      halfWidth: 0.5,
      halfHeight: 51,
      kind: BodyKind.Static,
    });
    const maxSpeed = physics.config.maxSpeedMps;
    for (let i = 0; i < 1000; i++) {
      const spec = {
        x: -W + 1 + (i % 36) * 1.1 + world.rng.range(-0.05, 0.05),
        y: 1 + Math.floor(i / 36) * 1.2,
        vx: world.rng.range(-2, 2),
        vy: -world.rng.range(0, maxSpeed - 2),
      };
      if (i % 2 === 0) physics.spawnCircle(world, { ...spec, radius: 0.5 });
      else physics.spawnBox(world, { ...spec, halfWidth: 0.5, halfHeight: 0.5 });
    }
    return { physics, world, step, W };
  }

  it("(4) a pile of 1,000 bodies dropped at up to the supported speed settles within 10 s, without explosion or tunnelling, and sleeps", () => {
    const { physics, world, step, W } = droppedPile(true);
    const p = world.store(Position);
    const v = world.store(Velocity);
    const ke0 = physics.kineticEnergy(world);
    let peakKe = ke0;
    const inside = () => {
      for (const e of physics.bodies(world).ids()) {
        if (e < 3) continue;
        // Inside the container, above the floor: nothing tunnelled or was thrown out.
        expect(Math.abs(p.x[e] as number)).toBeLessThanOrEqual(W - 0.5 + 0.05);
        expect(p.y[e] as number).toBeGreaterThanOrEqual(0.5 - 0.05);
        expect(p.y[e] as number).toBeLessThan(60);
      }
    };
    const fastest = () => {
      let max = 0;
      for (const e of physics.bodies(world).ids())
        max = Math.max(max, Math.hypot(v.x[e] as number, v.y[e] as number));
      return max;
    };
    const bodies = physics.bodies(world).ids().slice(3);
    for (let t = 0; t < 59; t++) {
      step(50);
      peakKe = Math.max(peakKe, physics.kineticEnergy(world));
      inside();
      if (world.tick === 600) {
        // Settled after 10 s: no body faster than 0.05 m/s, and the whole pile asleep.
        expect(fastest()).toBeLessThanOrEqual(0.05);
        expect(bodies.filter((e) => physics.isSleeping(world, e))).toHaveLength(1000);
      }
    }
    // No explosion: the pile never gained energy beyond what it was dropped with.
    expect(peakKe).toBe(ke0);
    // At rest for good: asleep, nothing moves, nothing creeps.
    const before = Float64Array.from(p.y);
    const beforeX = Float64Array.from(p.x);
    step(60);
    inside();
    expect(physics.kineticEnergy(world)).toBe(0);
    expect(fastest()).toBe(0);
    expect(Array.from(p.y)).toEqual(Array.from(before));
    expect(Array.from(p.x)).toEqual(Array.from(beforeX));
    expect(world.events).toHaveLength(0);
    expect(world.query([Faulted]).size).toBe(0);
  });

  it("(4) with sleeping off the solver alone brings that pile below 0.05 m/s within 10 s, and it does not creep", () => {
    const { physics, world, step } = droppedPile(false);
    const p = world.store(Position);
    const v = world.store(Velocity);
    step(600);
    const meanHeight = () => {
      const ids = physics.bodies(world).ids().slice(3);
      return ids.reduce((sum, e) => sum + (p.y[e] as number), 0) / ids.length;
    };
    const fastest = () =>
      Math.max(
        ...physics
          .bodies(world)
          .ids()
          .map((e) => Math.hypot(v.x[e] as number, v.y[e] as number)),
      );
    expect(fastest()).toBeLessThan(0.05);
    const h0 = meanHeight();
    step(1200);
    expect(fastest()).toBeLessThan(0.05);
    // 20 s later the pile stands where it stood: under 1 mm of mean settling.
    expect(Math.abs(meanHeight() - h0)).toBeLessThan(0.001);
    expect(
      physics
        .bodies(world)
        .ids()
        .filter((e) => physics.isSleeping(world, e)),
    ).toHaveLength(0);
  });
});

describe("bodies, contacts and bounds", () => {
  it("kinematic bodies push dynamic ones and are not pushed; static bodies never move", () => {
    const physics = createPhysics({ gravity: { x: 0, y: 0 } });
    const { world, step } = setup(physics, 8);
    const paddle = physics.spawnBox(world, {
      x: 0,
      y: 0,
      vx: 2,
      halfWidth: 0.5,
      halfHeight: 2,
      kind: BodyKind.Kinematic,
    });
    const ball = physics.spawnCircle(world, { x: 1.2, y: 0, radius: 0.5 });
    const wall = physics.spawnBox(world, {
      x: 10,
      y: 0,
      vx: 5,
      halfWidth: 0.5,
      halfHeight: 5,
      kind: BodyKind.Static,
    });
    step(60);
    const p = world.store(Position);
    const v = world.store(Velocity);
    expect(v.x[paddle]).toBe(2);
    expect(p.x[paddle]).toBeCloseTo(2, 10);
    expect(p.x[ball] as number).toBeGreaterThan(2.4);
    expect(p.x[wall]).toBe(10);
    expect(v.x[wall]).toBe(0);
  });

  it("resolves circle-box and box-box contacts along the right normals", () => {
    const physics = createPhysics({
      gravity: { x: 0, y: 0 },
      materials: [{ restitution: 1, friction: 0 }],
      restitutionThresholdMps: 0,
    });
    const { world, step } = setup(physics, 16);
    const circle = physics.spawnCircle(world, { x: 0, y: 1.4, vy: -3, radius: 0.5 });
    const box = physics.spawnBox(world, {
      x: 0,
      y: 0,
      halfWidth: 2,
      halfHeight: 1,
      kind: BodyKind.Static,
    });
    const b1 = physics.spawnBox(world, { x: 5, y: 0, vx: 1, halfWidth: 0.5, halfHeight: 0.5 });
    const b2 = physics.spawnBox(world, {
      x: 5.95,
      y: 0.2,
      vx: -1,
      halfWidth: 0.5,
      halfHeight: 0.5,
    });
    step();
    const v = world.store(Velocity);
    expect(v.y[circle]).toBe(3); // bounced straight up off the box top
    expect(v.x[b1]).toBe(-1); // equal masses exchange velocities along x
    expect(v.x[b2]).toBe(1);
    expect(v.y[b1]).toBe(0);
    // The static box took the circle's impulse without moving.
    expect(world.store(Position).y[box]).toBe(0);
    expect(v.y[box]).toBe(0);
  });

  it("keeps bodies inside the world bounds", () => {
    const physics = createPhysics({
      gravity: { x: 0, y: 0 },
      bounds: { minX: 0, minY: 0, maxX: 10, maxY: 10 },
    });
    const { world, step } = setup(physics, 8);
    const e = physics.spawnCircle(world, { x: 5, y: 5, vx: 14, vy: -14, radius: 0.5 });
    step(600);
    const p = world.store(Position);
    expect(p.x[e] as number).toBeGreaterThanOrEqual(0.5);
    expect(p.x[e] as number).toBeLessThanOrEqual(9.5);
    expect(p.y[e] as number).toBeGreaterThanOrEqual(0.5);
  });

  it("clamps speed at maxSpeedMps", () => {
    const physics = createPhysics({ gravity: { x: 0, y: 0 }, maxSpeedMps: 10 });
    const { world, step } = setup(physics, 8);
    const e = physics.spawnCircle(world, { x: 0, y: 0, vx: 30, vy: 40, radius: 0.5 });
    step();
    const v = world.store(Velocity);
    expect(Math.hypot(v.x[e] as number, v.y[e] as number)).toBeCloseTo(10, 12);
  });
});

describe("sensors", () => {
  it("report enter and exit, once each, and exit when the body is destroyed", () => {
    const physics = createPhysics({ gravity: { x: 0, y: 0 } });
    const { world, step } = setup(physics, 16);
    const zone = physics.spawnBox(world, {
      x: 5,
      y: 0,
      halfWidth: 1,
      halfHeight: 1,
      kind: BodyKind.Static,
      sensor: true,
    });
    const runner = physics.spawnCircle(world, { x: 0, y: -0.6, vx: 6, radius: 0.5 });
    const sitter = physics.spawnCircle(world, { x: 5, y: 0.6, radius: 0.3 });
    step(120);
    const events = world.drainEvents();
    const zoneH = world.handle(zone);
    const runnerH = world.handle(runner);
    expect(events.filter((e) => e.b === runnerH).map((e) => e.kind)).toEqual([
      "sensor_enter",
      "sensor_exit",
    ]);
    const [enter, exit] = events.filter((e) => e.b === runnerH);
    expect(enter?.a).toBe(zoneH);
    // Enters when its edge reaches x = 4 (t ≈ 0.58 s), leaves past x = 6.5 (t ≈ 1.08 s).
    expect(enter?.tick).toBeGreaterThan(30);
    expect(exit?.tick).toBeGreaterThan(60);
    // The sitter entered at once; the zone never pushed it.
    expect(events.find((e) => e.b === world.handle(sitter))?.kind).toBe("sensor_enter");
    expect(world.store(Position).x[sitter]).toBe(5);
    const sitterH = world.handle(sitter);
    world.destroyEntity(sitter);
    step();
    expect(world.drainEvents()).toEqual([
      expect.objectContaining({ kind: "sensor_exit", a: zoneH, b: sitterH }),
    ]);
  });
});

describe("guards", () => {
  it("a body set to NaN is reported and faulted, and does not poison its neighbours", () => {
    const physics = createPhysics();
    const { world, step } = setup(physics, 16);
    const bad = physics.spawnCircle(world, { x: 0, y: 0, radius: 0.5 });
    const near = physics.spawnCircle(world, { x: 0.8, y: 0, radius: 0.5 });
    world.store(Velocity).x[bad] = Number.NaN;
    step(10);
    expect(world.drainEvents()).toEqual([
      expect.objectContaining({ kind: "body_invalid", a: world.handle(bad) }),
    ]);
    expect(world.hasComponent(bad, Faulted)).toBe(true);
    const p = world.store(Position);
    expect(Number.isFinite(p.x[near])).toBe(true);
    expect(Number.isFinite(world.store(Velocity).y[near])).toBe(true);
  });

  it("a step that would make a body non-finite puts it back, at rest", () => {
    const physics = createPhysics({ gravity: { x: 0, y: 0 } });
    const { world, step } = setup(physics, 16);
    physics.addAttractor(world, { x: 0, y: 0, strength: Number.MAX_VALUE, softening: 1e-300 });
    const e = physics.spawnCircle(world, { x: 1e-160, y: 0, radius: 0.5 });
    step();
    expect(world.drainEvents().map((ev) => ev.kind)).toEqual(["body_invalid"]);
    expect(world.store(Position).x[e]).toBe(1e-160);
    expect(world.store(Velocity).x[e]).toBe(0);
    expect(world.hasComponent(e, Faulted)).toBe(true);
  });

  it("rejects invalid bodies and options with clear errors", () => {
    const physics = createPhysics();
    const { world } = setup(physics, 8);
    expect(() => physics.spawnCircle(world, { x: 0, y: 0, radius: -1 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => physics.spawnCircle(world, { x: Number.NaN, y: 0, radius: 1 })).toThrow(
      /x must be a finite number/,
    );
    expect(() =>
      physics.spawnBox(world, { x: 0, y: 0, halfWidth: 1, halfHeight: 1, mass: 0 }),
    ).toThrow(/mass/);
    expect(() =>
      physics.spawnBox(world, { x: 0, y: 0, halfWidth: 1, halfHeight: 1, material: 3 }),
    ).toThrow(/material/);
    expect(world.entityCount).toBe(0);
    expect(() => createPhysics({ cellSize: 0 })).toThrow(DefinitionError);
    expect(() => createPhysics({ bounds: { minX: 0, minY: 0, maxX: 1e9, maxY: 1e9 } })).toThrow(
      /raise cellSize/,
    );
    expect(() => createPhysics({ materials: [{ restitution: 2, friction: 0 }] })).toThrow(
      /materials\[0\]\.restitution/,
    );
  });
});
