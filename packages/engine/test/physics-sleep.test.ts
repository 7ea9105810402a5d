import { describe, expect, it } from "vitest";
import {
  Body,
  BodyKind,
  type Command,
  createPhysics,
  InvalidArgumentError,
  type Physics,
  Position,
  physicsComponents,
  Simulation,
  type SimulationDefinition,
  SLEEPING,
  Velocity,
  type World,
} from "../src/index.js";

// Sleeping: islands at rest fall asleep, and wake on contact, on commands and on changes; the
// sleep state is world state (snapshot and hash).

const physics = createPhysics({
  bounds: { minX: -30, minY: -4, maxX: 30, maxY: 60 },
  materials: [{ restitution: 0.1, friction: 0.5 }],
});

/** "push": data {dx, dy} added to the named body's velocity, as game code writes it. */
function push(world: World): void {
  const v = world.store(Velocity);
  for (const command of world.inputs) {
    if (command.type !== "push" || command.actor === undefined) continue;
    const e = world.byName(command.actor);
    const data = command.data as { dx: number; dy: number };
    if (e === undefined) continue;
    v.x[e] = (v.x[e] as number) + data.dx;
    v.y[e] = (v.y[e] as number) + data.dy;
  }
}

const definition: SimulationDefinition = {
  name: "physics-sleep-test@1",
  components: [...physicsComponents],
  systems: [{ name: "push", run: push }, physics.system],
  maxEntities: 256,
  config: { physics: JSON.parse(JSON.stringify(physics.config)) },
};

/** Two piles of 24 bodies, 10 m apart, on one floor between two walls. */
function piles(seed = "sleep"): { sim: Simulation; left: number[]; right: number[] } {
  const sim = Simulation.create(definition, seed);
  const w = sim.world;
  physics.spawnBox(w, { x: 0, y: -0.5, halfWidth: 20, halfHeight: 0.5, kind: BodyKind.Static });
  physics.spawnBox(w, { x: -20.5, y: 20, halfWidth: 0.5, halfHeight: 20, kind: BodyKind.Static });
  physics.spawnBox(w, { x: 20.5, y: 20, halfWidth: 0.5, halfHeight: 20, kind: BodyKind.Static });
  const pile = (cx: number) => {
    const ids: number[] = [];
    for (let i = 0; i < 24; i++) {
      const spec = {
        x: cx - 1.8 + (i % 4) * 1.2 + (Math.floor(i / 4) % 2) * 0.3,
        y: 0.6 + Math.floor(i / 4) * 1.1,
        vx: w.rng.range(-0.5, 0.5),
      };
      ids.push(
        i % 2 === 0
          ? physics.spawnCircle(w, { ...spec, radius: 0.5 })
          : physics.spawnBox(w, { ...spec, halfWidth: 0.5, halfHeight: 0.5 }),
      );
    }
    return ids;
  };
  const left = pile(-8);
  const right = pile(8);
  w.setName(left[left.length - 1] as number, "left_top");
  w.setName(right[right.length - 1] as number, "right_top");
  return { sim, left, right };
}

function pushOf(actor: string, data: { dx: number; dy: number }): Command {
  return { id: `push-${actor}`, type: "push", actor, data };
}

function asleep(p: Physics, w: World, ids: readonly number[]): number {
  return ids.filter((e) => p.isSleeping(w, e)).length;
}

function settled(seed?: string) {
  const s = piles(seed);
  for (let t = 0; t < 600; t++) s.sim.step();
  return s;
}

describe("sleeping", () => {
  it("a pile at rest falls asleep as a whole, and then nothing moves", () => {
    const { sim, left, right } = piles();
    const w = sim.world;
    let firstAsleep = -1;
    for (let t = 0; t < 600; t++) {
      sim.step();
      const n = asleep(physics, w, left);
      // An island sleeps all at once: never part of a pile.
      expect(n === 0 || n === left.length).toBe(true);
      if (n === left.length && firstAsleep < 0) firstAsleep = t;
    }
    expect(firstAsleep).toBeGreaterThan(30); // still for 0.5 s first
    expect(asleep(physics, w, right)).toBe(right.length);
    const p = w.store(Position);
    const v = w.store(Velocity);
    const before = [...left, ...right].map((e) => [p.x[e], p.y[e]]);
    for (let t = 0; t < 120; t++) sim.step();
    expect([...left, ...right].map((e) => [p.x[e], p.y[e]])).toEqual(before);
    for (const e of [...left, ...right]) {
      expect(v.x[e]).toBe(0);
      expect(v.y[e]).toBe(0);
      expect(w.store(Body).sleep[e]).toBe(SLEEPING);
    }
  });

  it("a body dropped on a sleeping pile wakes that pile (its island) and not the other", () => {
    const { sim, left, right } = settled();
    const w = sim.world;
    const ball = physics.spawnCircle(w, { x: -8, y: 12, vy: -6, radius: 0.5, mass: 3 });
    let woke = -1;
    for (let t = 0; t < 90 && woke < 0; t++) {
      sim.step();
      if (asleep(physics, w, left) === 0) woke = t;
    }
    expect(woke).toBeGreaterThan(0);
    expect(physics.isSleeping(w, ball)).toBe(false);
    expect(asleep(physics, w, right)).toBe(right.length);
    // And all of it falls asleep again, ball included.
    for (let t = 0; t < 600; t++) sim.step();
    expect(asleep(physics, w, [...left, ball])).toBe(left.length + 1);
  });

  it("a velocity that game code writes wakes the body and its island at the next step", () => {
    const { sim, left, right } = settled();
    const w = sim.world;
    sim.step([pushOf("left_top", { dx: 0, dy: 4 })]);
    expect(asleep(physics, w, left)).toBe(0);
    expect(asleep(physics, w, right)).toBe(right.length);
    const top = w.byName("left_top") as number;
    expect(w.store(Position).y[top] as number).toBeGreaterThan(0);
    expect(w.store(Velocity).y[top] as number).toBeGreaterThan(3);
  });

  it("wake, setVelocity, setPosition, applyImpulse and applyForce wake the body, and its island at the next step", () => {
    const cases: [string, (w: World, e: number) => void][] = [
      ["wake", (w, e) => physics.wake(w, e)],
      ["setVelocity", (w, e) => physics.setVelocity(w, e, { x: 1, y: 0 })],
      ["setPosition", (w, e) => physics.setPosition(w, e, { x: -8, y: 14 })],
      ["applyImpulse", (w, e) => physics.applyImpulse(w, e, { x: 0, y: 2 })],
      ["applyForce", (w, e) => physics.applyForce(w, e, { x: 0, y: 200 })],
    ];
    for (const [name, act] of cases) {
      const { sim, left, right } = settled();
      const w = sim.world;
      const top = w.byName("left_top") as number;
      act(w, top);
      expect(physics.isSleeping(w, top), name).toBe(false);
      sim.step();
      // setPosition lifts the body clear of its pile: it wakes alone. The others touch the pile.
      const expectedAsleep = name === "setPosition" ? left.length - 1 : 0;
      expect(asleep(physics, w, left), name).toBe(expectedAsleep);
      expect(asleep(physics, w, right), name).toBe(right.length);
    }
    const { sim } = settled();
    expect(() => physics.setVelocity(sim.world, 3, { x: Number.NaN, y: 0 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => physics.wake(sim.world, 250)).toThrow(/not a live physics body/);
  });

  it("an impulse moves the body it wakes by J/m; a force by F·dt/m", () => {
    const { sim } = settled();
    const w = sim.world;
    const top = w.byName("right_top") as number;
    physics.applyImpulse(w, top, { x: 2, y: 0 });
    expect(w.store(Velocity).x[top]).toBe(2);
    physics.applyForce(w, top, { x: 60, y: 0 });
    expect(w.store(Velocity).x[top]).toBe(3);
  });

  it("a sleeping body moved or destroyed behind the motor's back wakes every sleeping body", () => {
    for (const change of ["move", "destroy"] as const) {
      const { sim, left, right } = settled();
      const w = sim.world;
      const bottom = left[0] as number;
      if (change === "move")
        w.store(Position).x[bottom] = (w.store(Position).x[bottom] as number) + 0.25;
      else w.destroyEntity(bottom);
      sim.step();
      const rest = change === "destroy" ? left.slice(1) : left;
      expect(asleep(physics, w, rest), change).toBe(0);
      expect(asleep(physics, w, right), change).toBe(0);
    }
  });

  it("a body spawned on the id and place of a sleeper destroyed in the same tick is simulated", () => {
    const { sim, left } = settled();
    const w = sim.world;
    const top = left[left.length - 1] as number;
    const p = w.store(Position);
    const at = { x: p.x[top] as number, y: p.y[top] as number };
    w.destroyEntity(top);
    // The same id at the same place: the sleepers' count and position hash do not move. Taller
    // than what it replaces, it overlaps the body below and must be pushed up.
    const tall = physics.spawnBox(w, { ...at, halfWidth: 0.5, halfHeight: 1 });
    expect(tall).toBe(top);
    for (let t = 0; t < 90; t++) sim.step();
    expect(p.y[tall]).toBeGreaterThan(at.y + 0.25);
    expect(physics.isSleeping(w, tall)).toBe(true);
  });

  it("a velocity written into a static body moves nothing and wakes nothing", () => {
    const { sim, left, right } = settled();
    const w = sim.world;
    const floor = 0; // the first body piles() spawns
    expect(w.store(Body).kind[floor]).toBe(BodyKind.Static);
    w.store(Velocity).x[floor] = 3;
    const p = w.store(Position);
    const before = [...left, ...right, floor].map((e) => [p.x[e], p.y[e]]);
    for (let t = 0; t < 30; t++) sim.step();
    expect([...left, ...right, floor].map((e) => [p.x[e], p.y[e]])).toEqual(before);
    expect(asleep(physics, w, [...left, ...right])).toBe(left.length + right.length);
  });

  it("a moving kinematic body wakes what it touches; attractors and springs keep bodies awake", () => {
    const { sim, left, right } = settled();
    const w = sim.world;
    physics.spawnBox(w, {
      x: -14,
      y: 1,
      vx: 3,
      halfWidth: 0.5,
      halfHeight: 1,
      kind: BodyKind.Kinematic,
    });
    let woke = false;
    for (let t = 0; t < 120 && !woke; t++) {
      sim.step();
      woke = asleep(physics, w, left) === 0;
    }
    expect(woke).toBe(true);
    expect(asleep(physics, w, right)).toBe(right.length);

    const springy = settled("spring");
    const top = springy.sim.world.byName("right_top") as number;
    physics.addSpring(springy.sim.world, { a: top, anchor: { x: 8, y: 7 }, k: 0, rest: 0 });
    for (let t = 0; t < 120; t++) springy.sim.step();
    expect(physics.isSleeping(springy.sim.world, top)).toBe(false);

    const pulled = settled("attractor");
    physics.addAttractor(pulled.sim.world, { x: 0, y: 40, strength: 0.001 });
    pulled.sim.step();
    expect(asleep(physics, pulled.sim.world, [...pulled.left, ...pulled.right])).toBe(0);
  });

  it("a static sensor keeps reporting a pile that sleeps inside it: no exit, and an exit when a sleeping body is destroyed", () => {
    const { sim, left } = piles("sensor");
    const w = sim.world;
    const zone = physics.spawnBox(w, {
      x: -8,
      y: 3,
      halfWidth: 4,
      halfHeight: 4,
      kind: BodyKind.Static,
      sensor: true,
    });
    for (let t = 0; t < 600; t++) sim.step();
    expect(asleep(physics, w, left)).toBe(left.length);
    const entered = w
      .drainEvents()
      .filter((e) => e.kind === "sensor_enter" && e.a === w.handle(zone));
    expect(entered.length).toBeGreaterThan(0);
    for (let t = 0; t < 60; t++) sim.step();
    expect(w.drainEvents().filter((e) => e.kind === "sensor_exit")).toEqual([]);
    const inside = w.resolve(entered[0]?.b as number);
    const handle = w.handle(inside);
    w.destroyEntity(inside);
    sim.step();
    expect(
      w
        .drainEvents()
        .filter((e) => e.kind === "sensor_exit")
        .map((e) => e.b),
    ).toEqual([handle]);
  });

  it("with sleeping off nothing sleeps", () => {
    const awake = createPhysics({ sleeping: false });
    const sim = Simulation.create(
      { ...definition, name: "awake@1", systems: [awake.system] },
      "awake",
    );
    awake.spawnBox(sim.world, {
      x: 0,
      y: -0.5,
      halfWidth: 5,
      halfHeight: 0.5,
      kind: BodyKind.Static,
    });
    const e = awake.spawnCircle(sim.world, { x: 0, y: 0.5, radius: 0.5 });
    for (let t = 0; t < 300; t++) sim.step();
    expect(awake.isSleeping(sim.world, e)).toBe(false);
  });
});

describe("sleep state is world state", () => {
  it("a snapshot taken while bodies sleep restores to the same hash and continues identically, waking included", () => {
    const { sim: a, left, right } = settled("snap");
    expect(asleep(physics, a.world, [...left, ...right])).toBe(left.length + right.length);
    const b = Simulation.restore(definition, a.snapshot());
    expect(b.hash()).toBe(a.hash());
    const wakeAt = 20;
    for (let t = 0; t < 200; t++) {
      const commands: Command[] = t === wakeAt ? [pushOf("right_top", { dx: 2, dy: 3 })] : [];
      a.step(commands);
      b.step(commands);
      expect(b.hash()).toBe(a.hash());
    }
    // The push woke the right pile in both.
    expect(physics.isSleeping(b.world, b.world.byName("right_top") as number)).toBe(
      physics.isSleeping(a.world, a.world.byName("right_top") as number),
    );
  });

  it("two runs of settle, wake and settle again give the same hashes; the sleep flag is in the hash", () => {
    const run = () => {
      const { sim } = piles("twice");
      const hashes: string[] = [];
      for (let t = 0; t < 900; t++) {
        if (t === 650) physics.wake(sim.world, sim.world.byName("left_top") as number);
        sim.step(t === 700 ? [pushOf("right_top", { dx: -3, dy: 1 })] : []);
        if (t % 50 === 49) hashes.push(sim.hash());
      }
      return { sim, hashes };
    };
    const first = run();
    const second = run();
    expect(second.hashes).toEqual(first.hashes);
    const w = first.sim.world;
    const e = w.byName("left_top") as number;
    const before = first.sim.hash();
    const sleep = w.store(Body).sleep;
    const was = sleep[e] as number;
    sleep[e] = was === SLEEPING ? 0 : SLEEPING;
    expect(first.sim.hash()).not.toBe(before);
    sleep[e] = was;
    expect(first.sim.hash()).toBe(before);
  });
});
