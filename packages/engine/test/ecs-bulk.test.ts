import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createWorld,
  decodeSnapshot,
  defineComponent,
  EntityCapacityError,
  encodeSnapshot,
  InvalidArgumentError,
  StaleEntityError,
  stateHash,
  type World,
} from "../src/index.js";

const Position = defineComponent("Position", { x: "f64", y: "f64" });
const Health = defineComponent("Health", { hp: "i32", owner: "entity" });
const Frozen = defineComponent("Frozen");
const DEFS = [Position, Health, Frozen] as const;

function world(maxEntities = 256): World {
  return createWorld({ components: [...DEFS], maxEntities });
}

type Op =
  | { kind: "create"; count: number; defs: number[] }
  | { kind: "add" | "remove"; picks: number[]; def: number }
  | { kind: "destroy"; picks: number[] }
  | { kind: "read" };

/** Live ids of a world, ascending (the same in both worlds when they agree). */
function live(w: World): number[] {
  const out: number[] = [];
  for (let e = 0; e < w.highWater; e++) if (w.isAlive(e)) out.push(e);
  return out;
}

/** Picks distinct live ids by index, in the order of the picks. */
function pick(w: World, picks: readonly number[]): number[] {
  const ids = live(w);
  if (ids.length === 0) return [];
  return [...new Set(picks.map((p) => ids[p % ids.length] as number))];
}

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("create" as const),
    count: fc.integer({ min: 0, max: 80 }),
    defs: fc.subarray([0, 1, 2]),
  }),
  fc.record({
    kind: fc.constantFrom("add" as const, "remove" as const),
    picks: fc.array(fc.nat(), { maxLength: 120 }),
    def: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({
    kind: fc.constant("destroy" as const),
    picks: fc.array(fc.nat(), { maxLength: 120 }),
  }),
  fc.record({ kind: fc.constant("read" as const) }),
);

describe("bulk structural changes", () => {
  it("leave the world exactly as the per-entity calls do (state hash, queries, ids)", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.boolean(), (ops, deferred) => {
        const bulk = world();
        const each = world();
        const queries = (w: World) => [
          w.query([Position]),
          w.query({ with: [Health], without: [Frozen] }),
          w.query([Position, Frozen]),
        ];
        const qb = queries(bulk);
        const qe = queries(each);
        const inBatch = (w: World, fn: () => void) => (deferred ? w.deferred(fn) : fn());
        for (const o of ops) {
          if (o.kind === "create") {
            if (o.count > 256 - bulk.entityCount) continue;
            const defs = o.defs.map((d) => DEFS[d] as (typeof DEFS)[number]);
            inBatch(bulk, () => bulk.createEntities(o.count, defs));
            inBatch(each, () => {
              for (let i = 0; i < o.count; i++) {
                const e = each.createEntity();
                for (const d of defs) each.addComponent(e, d);
              }
            });
          } else if (o.kind === "destroy") {
            const ids = pick(bulk, o.picks);
            expect(pick(each, o.picks)).toEqual(ids);
            inBatch(bulk, () => bulk.destroyEach(ids));
            inBatch(each, () => {
              for (const e of ids) each.destroyEntity(e);
            });
          } else if (o.kind === "read") {
            qb.forEach((q, i) => {
              expect([...q.ids()]).toEqual([...(qe[i]?.ids() ?? [])]);
            });
          } else {
            const ids = pick(bulk, o.picks);
            const def = DEFS[o.def] as (typeof DEFS)[number];
            if (o.kind === "add") {
              inBatch(bulk, () => bulk.addComponentToEach(ids, def));
              inBatch(each, () => {
                for (const e of ids) each.addComponent(e, def);
              });
            } else {
              inBatch(bulk, () => bulk.removeComponentFromEach(ids, def));
              inBatch(each, () => {
                for (const e of ids) each.removeComponent(e, def);
              });
            }
          }
        }
        expect(stateHash(bulk)).toBe(stateHash(each));
        qb.forEach((q, i) => {
          expect([...q.ids()]).toEqual([...(qe[i]?.ids() ?? [])]);
          expect(q.size).toBe(qe[i]?.size);
        });
        // The free slots come back in the same order.
        const room = Math.min(5, 256 - bulk.entityCount);
        expect(bulk.createEntities(room, [])).toEqual(
          Array.from({ length: room }, () => each.createEntity()),
        );
      }),
      { numRuns: 150 },
    );
  });

  it("createEntities is all or nothing on a full world, and checks its arguments", () => {
    const w = world(10);
    w.createEntities(8, [Position]);
    expect(() => w.createEntities(3, [Position])).toThrow(EntityCapacityError);
    expect(w.entityCount).toBe(8);
    expect(() => w.createEntities(-1, [])).toThrow(InvalidArgumentError);
    const Other = defineComponent("Other");
    expect(() => w.createEntities(1, [Other])).toThrow(/Other/);
    expect(w.entityCount).toBe(8);
    const out = [99, 98, 97];
    expect(w.createEntities(2, [Frozen], out)).toBe(out);
    expect(out).toEqual([8, 9]);
    expect([...w.query([Frozen]).ids()]).toEqual([8, 9]);
  });

  it("a dead id stops the batch at that id, as the per-entity calls would", () => {
    const w = world(1000);
    const ids = w.createEntities(600, [Position]);
    w.destroyEntity(ids[300] as number);
    expect(() => w.destroyEach(ids)).toThrow(StaleEntityError);
    // The 300 before it are gone, the rest live, and the query agrees after its rescan.
    expect(w.entityCount).toBe(299);
    expect([...w.query([Position]).ids()]).toEqual(ids.slice(301));
    expect(() => w.addComponentToEach([ids[0] as number], Frozen)).toThrow(StaleEntityError);
  });
});

describe("lazily settled queries", () => {
  // Alike: ecs.test.ts's loop that culls while it iterates (there in a system, here directly).
  it("an id array being iterated is not altered by the loop's own immediate changes", () => {
    const w = world(64);
    const ids = w.createEntities(10, [Position]);
    const q = w.query([Position]);
    const seen: number[] = [];
    const list = q.ids();
    for (let i = 0; i < list.length; i++) {
      const e = list[i] as number;
      seen.push(e);
      if (e % 2 === 0) w.destroyEntity(e);
      else w.removeComponent(e, Position);
      w.addComponent(w.createEntity(), Position);
    }
    expect(seen).toEqual(ids);
    // The next read reflects every change: the ten spawned entities reuse the freed slots.
    expect(q.size).toBe(10);
    expect(q.has(1)).toBe(false);
    expect([...q.ids()]).toEqual(live(w).filter((e) => w.hasComponent(e, Position)));
  });

  it("settles by notes, by rescans and after a decoded snapshot alike", () => {
    const w = world(256);
    const q = w.query({ with: [Position], without: [Frozen] });
    const ids = w.createEntities(200, [Position]);
    expect(q.size).toBe(200);
    w.addComponent(ids[5] as number, Frozen); // a few changes: settled by notes
    w.addComponent(ids[150] as number, Frozen);
    expect(q.size).toBe(198);
    expect(q.has(ids[5] as number)).toBe(false);
    for (const e of ids.slice(0, 120)) w.addComponent(e, Frozen); // many: settled by a rescan
    expect([...q.ids()]).toEqual(ids.slice(120).filter((e) => e !== ids[150]));
    w.removeComponent(ids[3] as number, Frozen); // joins below the last member: re-sorted
    expect(q.ids()[0]).toBe(ids[3]);
    expect([...q.ids()]).toEqual([...q.ids()].sort((a, b) => a - b));
    const copy = decodeSnapshot(encodeSnapshot(w), { components: [...DEFS] });
    const again = copy.query({ with: [Position], without: [Frozen] });
    expect([...again.ids()]).toEqual([...q.ids()]);
  });
});
