/**
 * The five scenarios on LedgerQuest's ECS, written as a game would, two ways:
 *
 * - `"world"`: systems are plain functions of the world, called in order, written by hand against
 *   the World API: each run asks `world.query(terms)` and `world.store(def)` for what it reads
 *   (term lists hoisted, as for bitECS) and makes its structural changes at once, while looping
 *   (the query's id array is not altered under the loop; the next read reflects the changes).
 * - `"schedule"`: the same systems run by a schedule (structural changes deferred and applied
 *   when each system returns), with queries and stores obtained once, as docs/engine.md advises.
 *
 * - `"bulk"`: as `"world"`, but the structural changes of entity_cycle and add_remove go through
 *   the bulk entry points (`createEntities`, `destroyEach`, `addComponentToEach`,
 *   `removeComponentFromEach`) over the query's id array, as docs/engine.md suggests for batches.
 *
 * entity_cycle and add_remove ask for their queries each run in every mode; their cost is in the
 * structural changes.
 *
 * Components have one field, `value`, of type i32 (as in noctjs and every library) or f64 (the
 * type the engine's physical quantities use).
 */
import {
  type ComponentDef,
  createSchedule,
  createWorld,
  defineComponent,
  type SystemDef,
  type World,
} from "@ledgerquest/engine";
import type { Subject } from "../harness.js";
import {
  ADD_REMOVE_COUNT,
  CAPACITY,
  CYCLE_COUNT,
  cycleInitial,
  FRAG_LETTERS,
  FRAG_PER_TYPE,
  fragInitial,
  type Kind,
  PACKED_COUNT,
  packedInitial,
  reportable,
  SIMPLE_GROUP,
  SIMPLE_GROUPS,
  SIMPLE_SWAPS,
  simpleInitial,
} from "./model.js";

export type Mode = "world" | "bulk" | "schedule";

type Value = ComponentDef<{ readonly value: "i32" | "f64" }>;

interface Components {
  readonly abcde: readonly Value[];
  readonly letters: readonly Value[];
  readonly data: Value;
}

function components(kind: Kind): Components {
  const schema = { value: kind } as const;
  return {
    abcde: ["A", "B", "C", "D", "E"].map((n) => defineComponent(n, schema)),
    letters: FRAG_LETTERS.map((l) => defineComponent(`Letter${l}`, schema)),
    data: defineComponent("Data", schema),
  };
}

const BY_KIND: Record<Kind, Components> = { i32: components("i32"), f64: components("f64") };

function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new RangeError(`index ${i} out of range`);
  return v;
}

/** Σ of a component's value over the entities that have it. */
function sumOf(world: World, c: Value): number {
  const ids = world.query([c]).ids();
  const value = world.store(c).value;
  let sum = 0;
  for (let i = 0; i < ids.length; i++) sum += value[ids[i] as number] as number;
  return sum;
}

/** The pipeline of a subject: a schedule step, or the systems called in order. */
function pipeline(world: World, mode: Mode, systems: readonly SystemDef[]): () => void {
  if (mode === "schedule") {
    const schedule = createSchedule(systems);
    return () => schedule.step(world);
  }
  return () => {
    for (let i = 0; i < systems.length; i++) (systems[i] as SystemDef).run(world);
  };
}

/** A system that doubles `c.value` on every entity with `c`. */
function doubler(world: World, mode: Mode, c: Value, count: (n: number) => void): SystemDef {
  const name = `double${c.name}`;
  if (mode !== "schedule") {
    const terms = [c];
    return {
      name,
      run(world) {
        const ids = world.query(terms).ids();
        const value = world.store(c).value;
        for (let i = 0; i < ids.length; i++) {
          const e = ids[i] as number;
          value[e] = (value[e] as number) * 2;
        }
        count(ids.length);
      },
    };
  }
  // Through the schedule: the query kept from setup, the array read into a local each run (a
  // loop over a closure's variable compiles slower in V8; docs/engine.md, "Systems").
  const q = world.query([c]);
  return {
    name,
    run(world) {
      const ids = q.ids();
      const value = world.store(c).value;
      for (let i = 0; i < ids.length; i++) {
        const e = ids[i] as number;
        value[e] = (value[e] as number) * 2;
      }
      count(ids.length);
    },
  };
}

export function packed5(kind: Kind, mode: Mode): Subject {
  const { abcde } = BY_KIND[kind];
  const world = createWorld({ components: abcde, maxEntities: CAPACITY });
  for (let i = 0; i < PACKED_COUNT; i++) {
    const e = world.createEntity();
    abcde.forEach((c, k) => {
      world.addComponent(e, c);
      world.store(c).value[e] = packedInitial(i, k);
    });
  }
  let visited = 0;
  const count = (n: number) => {
    visited += n;
  };
  const run = pipeline(
    world,
    mode,
    abcde.map((c) => doubler(world, mode, c, count)),
  );
  return {
    run,
    checksum: () => [
      visited,
      reportable(abcde.reduce((s, c, k) => s + (k + 1) * sumOf(world, c), 0)),
    ],
  };
}

export function simpleIter(kind: Kind, mode: Mode): Subject {
  const { abcde } = BY_KIND[kind];
  const world = createWorld({ components: abcde, maxEntities: CAPACITY });
  let i = 0;
  for (const group of SIMPLE_GROUPS) {
    for (let n = 0; n < SIMPLE_GROUP; n++, i++) {
      const e = world.createEntity();
      for (const k of group) {
        const c = at(abcde, k);
        world.addComponent(e, c);
        world.store(c).value[e] = simpleInitial(i, k);
      }
    }
  }
  let visited = 0;
  const systems = SIMPLE_SWAPS.map(([x, y]): SystemDef => {
    const cx = at(abcde, x);
    const cy = at(abcde, y);
    const name = `swap${cx.name}${cy.name}`;
    if (mode !== "schedule") {
      const terms = [cx, cy];
      return {
        name,
        run(world) {
          const ids = world.query(terms).ids();
          const vx = world.store(cx).value;
          const vy = world.store(cy).value;
          for (let i = 0; i < ids.length; i++) {
            const e = ids[i] as number;
            const t = vx[e] as number;
            vx[e] = vy[e] as number;
            vy[e] = t;
          }
          visited += ids.length;
        },
      };
    }
    const q = world.query([cx, cy]);
    return {
      name,
      run(world) {
        const ids = q.ids();
        const vx = world.store(cx).value;
        const vy = world.store(cy).value;
        for (let i = 0; i < ids.length; i++) {
          const e = ids[i] as number;
          const t = vx[e] as number;
          vx[e] = vy[e] as number;
          vy[e] = t;
        }
        visited += ids.length;
      },
    };
  });
  return {
    run: pipeline(world, mode, systems),
    checksum: () => [
      visited,
      reportable(abcde.reduce((s, c, k) => s + (k + 1) * sumOf(world, c), 0)),
    ],
  };
}

export function fragIter(kind: Kind, mode: Mode): Subject {
  const { letters, data } = BY_KIND[kind];
  const world = createWorld({ components: [...letters, data], maxEntities: CAPACITY });
  let j = 0;
  for (let round = 0; round < FRAG_PER_TYPE; round++) {
    for (const letter of letters) {
      const e = world.createEntity();
      world.addComponent(e, letter);
      world.addComponent(e, data);
      world.store(letter).value[e] = fragInitial(j);
      world.store(data).value[e] = fragInitial(j);
      j++;
    }
  }
  let visited = 0;
  const count = (n: number) => {
    visited += n;
  };
  const z = at(letters, letters.length - 1);
  return {
    run: pipeline(world, mode, [doubler(world, mode, data, count), doubler(world, mode, z, count)]),
    checksum: () => [
      visited,
      reportable(sumOf(world, data) + 2 * sumOf(world, z) + 3 * sumOf(world, at(letters, 0))),
    ],
  };
}

export function entityCycle(kind: Kind, mode: Mode): Subject {
  const { abcde } = BY_KIND[kind];
  const A = at(abcde, 0);
  const B = at(abcde, 1);
  const world = createWorld({ components: [A, B], maxEntities: CAPACITY });
  for (let i = 0; i < CYCLE_COUNT; i++) {
    const e = world.createEntity();
    world.addComponent(e, A);
    world.store(A).value[e] = cycleInitial(i);
  }
  const termsA = [A];
  const termsB = [B];
  let visited = 0;
  let sumB = 0;
  const created: number[] = [];
  const defsB = [B];
  const bulk: SystemDef[] = [
    {
      name: "spawnB",
      run(world) {
        const ids = world.query(termsA).ids();
        world.createEntities(ids.length, defsB, created);
        const a = world.store(A).value;
        const b = world.store(B).value;
        for (let i = 0; i < ids.length; i++)
          b[created[i] as number] = a[ids[i] as number] as number;
        visited += ids.length;
      },
    },
    {
      name: "killB",
      run(world) {
        const ids = world.query(termsB).ids();
        const b = world.store(B).value;
        let sum = 0;
        for (let i = 0; i < ids.length; i++) sum += b[ids[i] as number] as number;
        sumB += sum;
        visited += ids.length;
        world.destroyEach(ids);
      },
    },
  ];
  const systems: SystemDef[] = [
    {
      name: "spawnB",
      run(world) {
        const ids = world.query(termsA).ids();
        const a = world.store(A).value;
        const b = world.store(B).value;
        for (let i = 0; i < ids.length; i++) {
          const e = world.createEntity();
          world.addComponent(e, B);
          b[e] = a[ids[i] as number] as number;
        }
        visited += ids.length;
      },
    },
    {
      name: "killB",
      run(world) {
        const ids = world.query(termsB).ids();
        const b = world.store(B).value;
        let sum = 0;
        for (let i = 0; i < ids.length; i++) {
          const e = ids[i] as number;
          sum += b[e] as number;
          world.destroyEntity(e);
        }
        sumB += sum;
        visited += ids.length;
      },
    },
  ];
  return {
    run: pipeline(world, mode, mode === "bulk" ? bulk : systems),
    checksum: () => [
      visited,
      sumB,
      world.query(termsA).size,
      world.query(termsB).size,
      sumOf(world, A),
    ],
  };
}

export function addRemove(kind: Kind, mode: Mode): Subject {
  const { abcde } = BY_KIND[kind];
  const A = at(abcde, 0);
  const B = at(abcde, 1);
  const world = createWorld({ components: [A, B], maxEntities: CAPACITY });
  for (let i = 0; i < ADD_REMOVE_COUNT; i++) world.addComponent(world.createEntity(), A);
  const termsA = [A];
  const termsB = [B];
  let visited = 0;
  const bulk: SystemDef[] = [
    {
      name: "addB",
      run(world) {
        const ids = world.query(termsA).ids();
        world.addComponentToEach(ids, B);
        visited += ids.length;
      },
    },
    {
      name: "removeB",
      run(world) {
        const ids = world.query(termsB).ids();
        world.removeComponentFromEach(ids, B);
        visited += ids.length;
      },
    },
  ];
  const systems: SystemDef[] = [
    {
      name: "addB",
      run(world) {
        const ids = world.query(termsA).ids();
        for (let i = 0; i < ids.length; i++) world.addComponent(ids[i] as number, B);
        visited += ids.length;
      },
    },
    {
      name: "removeB",
      run(world) {
        const ids = world.query(termsB).ids();
        for (let i = 0; i < ids.length; i++) world.removeComponent(ids[i] as number, B);
        visited += ids.length;
      },
    },
  ];
  return {
    run: pipeline(world, mode, mode === "bulk" ? bulk : systems),
    checksum: () => [visited, world.query(termsA).size, world.query(termsB).size],
  };
}
