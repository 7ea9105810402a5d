import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createSchedule,
  createWorld,
  DefinitionError,
  defineComponent,
  EntityCapacityError,
  FixedStepClock,
  generationOf,
  idOf,
  NO_ENTITY,
  StaleEntityError,
  UnknownComponentError,
} from "../src/index.js";

const Position = defineComponent("Position", { x: "f64", y: "f64" });
const Health = defineComponent("Health", { hp: "i32", owner: "entity" });
const Frozen = defineComponent("Frozen");

function world(maxEntities = 1024) {
  return createWorld({ components: [Position, Health, Frozen], maxEntities });
}

describe("entities and handles", () => {
  it("a destroyed entity's handle is stale even after its slot is reused", () => {
    const w = world();
    const a = w.createEntity();
    const handle = w.handle(a);
    w.destroyEntity(a);
    expect(() => w.resolve(handle)).toThrow(StaleEntityError);
    // Reuse every slot until `a`'s slot comes back with a new generation.
    const made: number[] = [];
    for (let i = 0; i < 2; i++) made.push(w.createEntity());
    const reused = made.find((e) => e === a);
    if (reused === undefined) {
      // FIFO reuse: the freed slot is the first one handed out again.
      throw new Error("slot was not reused");
    }
    const fresh = w.handle(reused);
    expect(idOf(fresh)).toBe(idOf(handle));
    expect(generationOf(fresh)).toBe(generationOf(handle) + 1);
    expect(w.tryResolve(handle)).toBe(-1);
    expect(w.resolve(fresh)).toBe(reused);
    expect(() => w.addComponent(9999, Position)).toThrow(StaleEntityError);
  });

  it("a fresh slot's handle is generation 0 and resolves to that entity", () => {
    const w = world();
    for (const e of [w.createEntity(), w.createEntity(), w.createEntity()]) {
      const h = w.handle(e);
      expect(idOf(h)).toBe(e);
      expect(generationOf(h)).toBe(0);
      expect(w.resolve(h)).toBe(e);
    }
  });

  it("rejects garbage handles without throwing from tryResolve", () => {
    const w = world();
    for (const h of [-1, 0.5, Number.NaN, 2 ** 60, 5]) expect(w.tryResolve(h)).toBe(-1);
  });

  it("reports a full world with the option to raise", () => {
    const w = world(3);
    w.createEntity();
    w.createEntity();
    w.createEntity();
    expect(() => w.createEntity()).toThrow(EntityCapacityError);
    expect(() => w.createEntity()).toThrow(/maxEntities/);
  });

  it("names entities uniquely and forgets the name on destroy", () => {
    const w = world();
    const e = w.createEntity();
    w.setName(e, "ball_1");
    expect(w.byName("ball_1")).toBe(e);
    const other = w.createEntity();
    expect(() => w.setName(other, "ball_1")).toThrow(/already belongs/);
    w.destroyEntity(e);
    expect(w.byName("ball_1")).toBeUndefined();
  });
});

describe("components", () => {
  it("stores fields in typed arrays and resets them on add", () => {
    const w = world();
    const e = w.createEntity();
    w.addComponent(e, Health);
    const h = w.store(Health);
    expect(h.hp).toBeInstanceOf(Int32Array);
    expect(w.store(Position).x).toBeInstanceOf(Float64Array);
    expect(h.owner[e]).toBe(NO_ENTITY);
    h.hp[e] = 7;
    w.removeComponent(e, Health);
    expect(w.hasComponent(e, Health)).toBe(false);
    w.addComponent(e, Health);
    expect(h.hp[e]).toBe(0);
  });

  it("rejects components the world does not know, and bad definitions", () => {
    const w = world();
    const Other = defineComponent("Other", { v: "f64" });
    expect(() => w.store(Other)).toThrow(UnknownComponentError);
    expect(() => defineComponent("bad name")).toThrow(DefinitionError);
    expect(() => defineComponent("X", { v: "f65" as "f64" })).toThrow(/unknown type/);
    expect(() => createWorld({ components: [Position, Position] })).toThrow(/twice/);
  });

  it("supports more than 32 component types", () => {
    const many = Array.from({ length: 40 }, (_, i) => defineComponent(`C${i}`, { v: "f64" }));
    const w = createWorld({ components: many, maxEntities: 64 });
    const e = w.createEntity();
    w.addComponent(e, many[35] as (typeof many)[number]);
    const q = w.query({
      with: [many[35] as (typeof many)[number]],
      without: [many[2] as (typeof many)[number]],
    });
    expect([...q.ids()]).toEqual([e]);
    w.addComponent(e, many[2] as (typeof many)[number]);
    expect(q.size).toBe(0);
    expect(w.componentsOf(e)).toEqual([2, 35]);
  });
});

describe("queries", () => {
  it("include and exclude terms, updated incrementally, created late", () => {
    const w = world();
    const a = w.createEntity();
    const b = w.createEntity();
    w.addComponent(a, Position);
    w.addComponent(b, Position);
    w.addComponent(b, Frozen);
    const moving = w.query({ with: [Position], without: [Frozen] });
    expect([...moving.ids()]).toEqual([a]);
    w.removeComponent(b, Frozen);
    expect([...moving.ids()]).toEqual([a, b]);
    w.addComponent(a, Frozen);
    expect([...moving.ids()]).toEqual([b]);
    expect(w.query({ with: [Position], without: [Frozen] })).toBe(moving);
    expect(() => w.query([])).toThrow(DefinitionError);
  });

  it("iterates in ascending id order whatever the history of adds and removes", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 63 }),
            fc.constantFrom("add", "remove", "destroy", "create"),
          ),
          {
            maxLength: 400,
          },
        ),
        (ops) => {
          const w = world(64);
          const q = w.query([Position]);
          for (let i = 0; i < 64; i++) w.createEntity();
          const model = new Set<number>();
          for (const [eid, op] of ops) {
            if (op === "create") {
              if (w.entityCount < 64) w.createEntity();
              continue;
            }
            if (!w.isAlive(eid)) continue;
            if (op === "add") {
              w.addComponent(eid, Position);
              model.add(eid);
            } else if (op === "remove") {
              w.removeComponent(eid, Position);
              model.delete(eid);
            } else {
              w.destroyEntity(eid);
              model.delete(eid);
            }
            // Observe in the middle of the history too, so lazy compaction is exercised.
            if (eid % 7 === 0) expect([...q.ids()]).toEqual([...model].sort((x, y) => x - y));
          }
          expect([...q.ids()]).toEqual([...model].sort((x, y) => x - y));
          expect(q.size).toBe(model.size);
          // runs() covers exactly the same ids, in order, as maximal runs of consecutive ids.
          const runs = q.runs();
          const expanded: number[] = [];
          for (let r = 0; r < runs.length; r += 2) {
            for (let e = runs[r] as number; e < (runs[r + 1] as number); e++) expanded.push(e);
            if (r > 0) expect(runs[r] as number).toBeGreaterThan(runs[r - 1] as number);
          }
          expect(expanded).toEqual([...q.ids()]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("queries sharing a component's change log agree with a full scan, read at any rate", () => {
    // Three queries read Position's log, each at its own pace, so the log is trimmed, grown,
    // dropped and muted under them; each read must equal a scan of every slot.
    const Tag = defineComponent("Tag");
    type Op = readonly [kind: number, eid: number, count: number, reads: number];
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 5 }),
            fc.integer({ min: 0, max: 199 }),
            fc.integer({ min: 1, max: 90 }),
            fc.integer({ min: 0, max: 7 }),
          ),
          { maxLength: 120 },
        ),
        fc.boolean(),
        (ops: Op[], lateQuery) => {
          const w = createWorld({ components: [Position, Frozen, Tag], maxEntities: 200 });
          const terms = [
            { with: [Position] },
            { with: [Position], without: [Frozen] },
            { with: [Position, Tag] },
          ];
          const queries = terms.map((t, i) => (lateQuery && i === 2 ? undefined : w.query(t)));
          for (let i = 0; i < 120; i++) w.createEntity();
          const scan = (t: (typeof terms)[number]) => {
            const out: number[] = [];
            for (let e = 0; e < w.highWater; e++) {
              if (!w.isAlive(e)) continue;
              if (!t.with.every((c) => w.hasComponent(e, c))) continue;
              if ((t.without ?? []).some((c) => w.hasComponent(e, c))) continue;
              out.push(e);
            }
            return out;
          };
          for (const [kind, start, count, reads] of ops) {
            const apply = () => {
              for (let i = 0; i < count; i++) {
                const e = (start + i * 7) % 200;
                if (kind === 5) {
                  if (w.entityCount < 200) w.createEntity();
                  continue;
                }
                if (!w.isAlive(e)) continue;
                if (kind === 0) w.addComponent(e, Position);
                else if (kind === 1) w.removeComponent(e, Position);
                else if (kind === 2) w.addComponent(e, i % 2 === 0 ? Frozen : Tag);
                else if (kind === 3) w.removeComponent(e, i % 2 === 0 ? Frozen : Tag);
                else w.destroyEntity(e);
              }
            };
            if (reads === 7) w.deferred(apply);
            else apply();
            // Query i is read when bit i of `reads` is set: some fall far behind the others.
            queries.forEach((q, i) => {
              if (q !== undefined && (reads & (1 << i)) !== 0) {
                expect([...q.ids()]).toEqual(scan(terms[i] as (typeof terms)[number]));
              }
            });
            if (lateQuery && reads === 6) queries[2] = w.query(terms[2] as (typeof terms)[number]);
          }
          queries.forEach((q, i) => {
            if (q === undefined) return;
            expect([...q.ids()]).toEqual(scan(terms[i] as (typeof terms)[number]));
            expect(q.size).toBe(q.ids().length);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps ascending ids through large batches: mass removal, emptying, refilling", () => {
    const w = world(4096);
    const q = w.query([Position]);
    const made: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const e = w.createEntity();
      w.addComponent(e, Position);
      made.push(e);
    }
    expect(Array.isArray(q.ids())).toBe(true);
    // 2,500 removals in one batch: tombstones pass the compaction threshold mid-batch.
    w.deferred(() => {
      for (const e of made.slice(0, 2500)) w.removeComponent(e, Position);
    });
    expect(q.size).toBe(500);
    expect([...q.ids()]).toEqual(made.slice(2500));
    // Destroy the rest front to back: the last removal empties the list.
    w.deferred(() => {
      for (const e of made.slice(2500)) w.destroyEntity(e);
    });
    expect(q.size).toBe(0);
    expect(q.ids().length).toBe(0);
    const [a, b, c] = [made[10] as number, made[3] as number, made[7] as number];
    for (const e of [a, b, c]) w.addComponent(e, Position);
    expect([...q.ids()]).toEqual([b, c, a]);
  });
});

describe("deferred structural changes and the schedule", () => {
  it("a system that removes and destroys while iterating sees a stable list", () => {
    const w = world();
    for (let i = 0; i < 10; i++) {
      const e = w.createEntity();
      w.addComponent(e, Position);
      w.store(Position).x[e] = i;
    }
    const q = w.query([Position]);
    const visited: number[] = [];
    const schedule = createSchedule([
      function cull(world) {
        const ids = q.ids();
        for (let i = 0; i < ids.length; i++) {
          const e = ids[i] as number;
          visited.push(e);
          if (e % 2 === 0) world.destroyEntity(e);
          else world.removeComponent(e, Position);
          const spawned = world.createEntity();
          world.addComponent(spawned, Health);
          world.store(Health).hp[spawned] = 5; // written before the add applies: kept
          expect(world.hasComponent(spawned, Health)).toBe(false);
        }
        expect(ids.length).toBe(10);
      },
      function check(world) {
        expect(q.size).toBe(0);
        const healthy = world.query([Health]).ids();
        expect(healthy.length).toBe(10);
        for (const e of healthy) expect(world.store(Health).hp[e]).toBe(5);
      },
    ]);
    schedule.step(w);
    expect(visited).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(w.tick).toBe(1);
    expect(w.entityCount).toBe(15);
  });

  it("world.deferred nests and applies at the outermost end, in call order", () => {
    const w = world();
    const e = w.createEntity();
    w.deferred(() => {
      w.addComponent(e, Position);
      w.deferred(() => w.removeComponent(e, Position));
      w.addComponent(e, Frozen);
      expect(w.hasComponent(e, Position)).toBe(false);
    });
    expect(w.hasComponent(e, Position)).toBe(false);
    expect(w.hasComponent(e, Frozen)).toBe(true);
  });

  it("a deferred batch ends where the same calls made at once end (remove then add keeps it)", () => {
    const C = [Position, Health, Frozen] as const;
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom("add", "remove", "destroy", "write"),
            fc.integer({ min: 0, max: 7 }),
            fc.integer({ min: 0, max: 2 }),
          ),
          { maxLength: 60 },
        ),
        (calls) => {
          const make = () => {
            const w = world(16);
            for (let i = 0; i < 8; i++) {
              const e = w.createEntity();
              if (i % 2 === 0) w.addComponent(e, Position);
              if (i % 3 === 0) w.addComponent(e, Frozen);
            }
            return w;
          };
          const later = make();
          const now = make();
          const laterQ = later.query({ with: [Position], without: [Frozen] });
          const nowQ = now.query({ with: [Position], without: [Frozen] });
          laterQ.ids();
          nowQ.ids();
          // Calls on an entity destroyed earlier in the batch are not made (at once they throw).
          const destroyed = new Set<number>();
          const run = (w: typeof later) => (call: (typeof calls)[number], i: number) => {
            const [kind, e, c] = call;
            if (destroyed.has(e)) return;
            const def = C[c] as (typeof C)[number];
            if (kind === "add") w.addComponent(e, def);
            else if (kind === "remove") w.removeComponent(e, def);
            else if (kind === "write") w.store(Health).hp[e] = i + 1;
            else w.destroyEntity(e);
          };
          later.deferred(() => {
            const apply = run(later);
            calls.forEach((call, i) => {
              apply(call, i);
              if (call[0] === "destroy") destroyed.add(call[1]);
            });
          });
          destroyed.clear();
          const apply = run(now);
          calls.forEach((call, i) => {
            apply(call, i);
            if (call[0] === "destroy") destroyed.add(call[1]);
          });
          for (let e = 0; e < 8; e++) {
            expect(later.isAlive(e)).toBe(now.isAlive(e));
            expect(later.componentsOf(e)).toEqual(now.componentsOf(e));
            if (now.hasComponent(e, Health)) {
              expect(later.store(Health).hp[e]).toBe(now.store(Health).hp[e]);
            }
          }
          expect([...laterQ.ids()]).toEqual([...nowQ.ids()]);
          // The same slots come back, in the same order.
          expect(Array.from({ length: 8 }, () => later.createEntity())).toEqual(
            Array.from({ length: 8 }, () => now.createEntity()),
          );
        },
      ),
      { numRuns: 300 },
    );
    const w = world();
    const e = w.createEntity();
    w.addComponent(e, Health);
    w.store(Health).hp[e] = 9;
    w.deferred(() => {
      w.removeComponent(e, Health);
      w.addComponent(e, Health);
    });
    expect(w.hasComponent(e, Health)).toBe(true);
    expect(w.store(Health).hp[e]).toBe(0);
  });

  it("adding twice in one deferred batch keeps the values written after the first add", () => {
    const w = world();
    const e = w.createEntity();
    w.deferred(() => {
      w.addComponent(e, Health);
      w.store(Health).hp[e] = 42;
      w.addComponent(e, Health);
    });
    expect(w.store(Health).hp[e]).toBe(42);
    expect(w.hasComponent(e, Health)).toBe(true);
  });

  it("a system that throws still leaves the world consistent", () => {
    const w = world();
    const e = w.createEntity();
    const schedule = createSchedule([
      function broken(world) {
        world.addComponent(e, Position);
        throw new Error("boom");
      },
    ]);
    expect(() => schedule.step(w)).toThrow("boom");
    expect(w.hasComponent(e, Position)).toBe(true);
    expect(() =>
      createSchedule([schedule.systems[0] as never, schedule.systems[0] as never]),
    ).toThrow(/twice/);
  });

  it("a throw inside an outer deferral leaves it open; the next step runs normally", () => {
    const w = world();
    const e = w.createEntity();
    let fail = true;
    const schedule = createSchedule([
      function flaky(world) {
        world.addComponent(e, Position);
        if (fail) throw new Error("boom");
      },
      function tag(world) {
        world.addComponent(e, Frozen);
      },
    ]);
    w.deferred(() => {
      expect(() => schedule.step(w)).toThrow("boom");
      expect(w.hasComponent(e, Position)).toBe(false); // the outer deferral is still open
    });
    expect(w.hasComponent(e, Position)).toBe(true);
    expect(w.hasComponent(e, Frozen)).toBe(false);
    expect(w.tick).toBe(0);
    w.removeComponent(e, Position); // not deferred any more: applies at once
    expect(w.hasComponent(e, Position)).toBe(false);
    fail = false;
    schedule.step(w);
    expect(w.hasComponent(e, Position)).toBe(true);
    expect(w.hasComponent(e, Frozen)).toBe(true);
    expect(w.tick).toBe(1);
  });

  it("the fixed-step clock turns elapsed time into whole ticks and caps catch-up", () => {
    const clock = new FixedStepClock(60, 4);
    expect(clock.advance(10)).toBe(0);
    expect(clock.advance(10)).toBe(1);
    expect(clock.advance(1000)).toBe(4);
    expect(clock.advance(0)).toBe(0);
  });
});
