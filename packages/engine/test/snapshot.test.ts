import { describe, expect, it } from "vitest";
import {
  createWorld,
  decodeSnapshot,
  defineComponent,
  encodeSnapshot,
  physicsComponents,
  readSnapshotInfo,
  Simulation,
  SnapshotCorruptError,
  SnapshotSchemaError,
  SnapshotVersionError,
  sha256,
  stateHash,
} from "../src/index.js";
import { commandLog, demo, physics, populate } from "./fixtures/demo.js";

function demoSim(seed = "world-1", bodies = 300) {
  const sim = Simulation.create(demo, seed);
  populate(sim.world, bodies);
  return sim;
}

describe("snapshots", () => {
  it("decode(encode(w)) continues bit-identically", () => {
    const a = demoSim();
    const log = commandLog(0, 200);
    const commandsAt = (t: number) => log.find((e) => e.tick === t)?.commands ?? [];
    for (let t = 0; t < 100; t++) a.step(commandsAt(t));
    a.world.drainEvents();
    const b = Simulation.restore(demo, a.snapshot());
    expect(b.hash()).toBe(a.hash());
    expect(b.tick).toBe(100);
    for (let t = 100; t < 200; t++) {
      a.step(commandsAt(t));
      b.step(commandsAt(t));
      expect(b.hash()).toBe(a.hash());
    }
    // Entities, names, handles and random numbers all came along.
    expect(b.world.byName("player_0001")).toBe(a.world.byName("player_0001"));
    expect(b.world.rng.nextU32()).toBe(a.world.rng.nextU32());
  });

  it("keeps pending events, sensor state, generations and the free list", () => {
    const a = demoSim("events", 60);
    const zone = physics.spawnBox(a.world, {
      x: 20,
      y: 10,
      halfWidth: 20,
      halfHeight: 10,
      kind: 2,
      sensor: true,
    });
    for (let t = 0; t < 30; t++) a.step();
    expect(a.world.events.length).toBeGreaterThan(0);
    const b = Simulation.restore(demo, a.snapshot());
    expect(b.world.events).toEqual(a.world.events);
    // Destroy a body inside the zone in both: the exit event needs the sensor state to have survived.
    const inside = a.world.events.find(
      (e) => e.kind === "sensor_enter" && e.a === a.world.handle(zone),
    );
    expect(inside).toBeDefined();
    const victim = a.world.resolve(inside?.b as number);
    a.world.destroyEntity(victim);
    b.world.destroyEntity(victim);
    a.world.drainEvents();
    b.world.drainEvents();
    a.step();
    b.step();
    expect(b.world.drainEvents()).toEqual(a.world.drainEvents());
    expect(b.hash()).toBe(a.hash());
    // The next entity reuses the same slot with the same generation in both.
    expect(b.world.handle(b.world.createEntity())).toBe(a.world.handle(a.world.createEntity()));
  });

  it("uses at most 64 bytes per physics body", () => {
    const big = { ...demo, maxEntities: 20_000 };
    const sim = Simulation.create(big, "size");
    for (let i = 0; i < 10_000 / 2; i++) {
      physics.spawnCircle(sim.world, {
        x: 1 + (i % 38),
        y: 3 + Math.floor(i / 38) * 0.25,
        radius: 0.1,
      });
      physics.spawnBox(sim.world, {
        x: 1 + (i % 38),
        y: 3 + Math.floor(i / 38) * 0.25,
        halfWidth: 0.1,
        halfHeight: 0.1,
      });
    }
    for (let i = 0; i < 100; i++) sim.step();
    const empty = Simulation.create(big, "size").snapshot().length;
    const perBody = (sim.snapshot().length - empty) / 10_000;
    expect(perBody).toBeLessThanOrEqual(64);
    expect(perBody).toBeGreaterThan(59); // the four components' fields alone are 59 bytes
  });

  it("the state hash is canonical: equal worlds built in different orders hash alike", () => {
    const Tag = defineComponent("Tag");
    const V = defineComponent("V", { v: "f64" });
    const make = (order: number[]) => {
      const w = createWorld({ components: [V, Tag], maxEntities: 16 });
      for (let i = 0; i < 3; i++) w.createEntity();
      for (const e of order) {
        w.addComponent(e, V);
        w.store(V).v[e] = e * 1.5;
      }
      w.addComponent(1, Tag);
      return w;
    };
    expect(stateHash(make([0, 1, 2]))).toBe(stateHash(make([2, 0, 1])));
    const w = make([0, 1, 2]);
    w.store(V).v[2] = 3.0000000000000004; // one ulp
    expect(stateHash(w)).not.toBe(stateHash(make([0, 1, 2])));
  });

  it("rejects a corrupt snapshot with a clear error", () => {
    const bytes = demoSim().snapshot();
    const flipped = bytes.slice();
    flipped[100] = (flipped[100] as number) ^ 1;
    expect(() => Simulation.restore(demo, flipped)).toThrow(SnapshotCorruptError);
    expect(() => Simulation.restore(demo, flipped)).toThrow(/checksum mismatch/);
    expect(() => Simulation.restore(demo, bytes.slice(0, 50))).toThrow(SnapshotCorruptError);
    expect(() =>
      Simulation.restore(
        demo,
        new TextEncoder().encode("definitely not a snapshot at all, no sir"),
      ),
    ).toThrow(/not a LedgerQuest snapshot/);
    // A structurally wrong body with a valid checksum is still caught by the decoder's checks.
    const body = bytes.slice(0, bytes.length - 32);
    const truncated = body.slice(0, body.length - 10);
    const resealed = new Uint8Array(truncated.length + 32);
    resealed.set(truncated);
    resealed.set(sha256(truncated), truncated.length);
    expect(() => Simulation.restore(demo, resealed)).toThrow(SnapshotCorruptError);
  });

  it("rejects an unknown version, and other rules or components, with errors that say what to do", () => {
    const bytes = demoSim().snapshot();
    const future = bytes.slice();
    future[4] = 99;
    const body = future.slice(0, future.length - 32);
    future.set(sha256(body), body.length);
    expect(() => Simulation.restore(demo, future)).toThrow(SnapshotVersionError);
    expect(() => Simulation.restore(demo, future)).toThrow(/version 99 is not supported/);
    expect(() => Simulation.restore({ ...demo, name: "other@2" }, bytes)).toThrow(
      SnapshotSchemaError,
    );
    expect(() => decodeSnapshot(bytes, { components: [...physicsComponents] })).toThrow(
      /components/,
    );
    const info = readSnapshotInfo(bytes);
    expect(info.tick).toBe(0);
    expect(info.maxEntities).toBe(4096);
  });

  it("round-trips every field type bit for bit", () => {
    const All = defineComponent("All", {
      a: "f64",
      b: "f32",
      c: "i32",
      d: "u32",
      e: "i16",
      f: "u16",
      g: "i8",
      h: "u8",
      i: "entity",
    });
    const w = createWorld({ components: [All], maxEntities: 8 });
    const e = w.createEntity();
    w.addComponent(e, All);
    const s = w.store(All);
    s.a[e] = -0;
    s.b[e] = 1.1;
    s.c[e] = -7;
    s.d[e] = 4e9;
    s.e[e] = -300;
    s.f[e] = 60000;
    s.g[e] = -100;
    s.h[e] = 255;
    s.i[e] = w.handle(e);
    const back = decodeSnapshot(encodeSnapshot(w), { components: [All] });
    const t = back.store(All);
    for (const f of All.fields)
      expect(Object.is((t as never)[f][e], (s as never)[f][e])).toBe(true);
    expect([...back.query([All]).ids()]).toEqual([e]);
  });
});
