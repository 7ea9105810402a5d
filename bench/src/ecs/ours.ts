/**
 * The five scenarios on LedgerQuest's ECS, written as a game would: components with i32 fields
 * defined once, systems run by a schedule (so structural changes are deferred and applied when
 * each system returns), queries obtained once and iterated through `ids()`.
 */
import {
  type ComponentDef,
  createSchedule,
  createWorld,
  defineComponent,
  type QueryState,
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
  PACKED_COUNT,
  packedInitial,
  SIMPLE_GROUP,
  SIMPLE_GROUPS,
  SIMPLE_SWAPS,
  simpleInitial,
} from "./model.js";

const VALUE = { value: "i32" } as const;
type Value = ComponentDef<typeof VALUE>;

const A = defineComponent("A", VALUE);
const B = defineComponent("B", VALUE);
const C = defineComponent("C", VALUE);
const D = defineComponent("D", VALUE);
const E = defineComponent("E", VALUE);
const ABCDE: readonly Value[] = [A, B, C, D, E];
const LETTERS: readonly Value[] = FRAG_LETTERS.map((l) => defineComponent(`Letter${l}`, VALUE));
const Data = defineComponent("Data", VALUE);

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

/** A system that doubles `c.value` on every entity with `c`. */
function doubler(world: World, c: Value, count: (n: number) => void): SystemDef {
  const q: QueryState = world.query([c]);
  const value = world.store(c).value;
  return {
    name: `double${c.name}`,
    run() {
      const ids = q.ids();
      for (let i = 0; i < ids.length; i++) {
        const e = ids[i] as number;
        value[e] = (value[e] as number) * 2;
      }
      count(ids.length);
    },
  };
}

export function packed5(): Subject {
  const world = createWorld({ components: ABCDE, maxEntities: CAPACITY });
  for (let i = 0; i < PACKED_COUNT; i++) {
    const e = world.createEntity();
    ABCDE.forEach((c, k) => {
      world.addComponent(e, c);
      world.store(c).value[e] = packedInitial(i, k);
    });
  }
  let visited = 0;
  const count = (n: number) => {
    visited += n;
  };
  const schedule = createSchedule(ABCDE.map((c) => doubler(world, c, count)));
  return {
    run: () => schedule.step(world),
    checksum: () => [visited, ABCDE.reduce((s, c, k) => s + (k + 1) * sumOf(world, c), 0)],
  };
}

export function simpleIter(): Subject {
  const world = createWorld({ components: ABCDE, maxEntities: CAPACITY });
  let i = 0;
  for (const group of SIMPLE_GROUPS) {
    for (let n = 0; n < SIMPLE_GROUP; n++, i++) {
      const e = world.createEntity();
      for (const k of group) {
        const c = at(ABCDE, k);
        world.addComponent(e, c);
        world.store(c).value[e] = simpleInitial(i, k);
      }
    }
  }
  let visited = 0;
  const systems = SIMPLE_SWAPS.map(([x, y]): SystemDef => {
    const cx = at(ABCDE, x);
    const cy = at(ABCDE, y);
    const q = world.query([cx, cy]);
    const vx = world.store(cx).value;
    const vy = world.store(cy).value;
    return {
      name: `swap${cx.name}${cy.name}`,
      run() {
        const ids = q.ids();
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
  const schedule = createSchedule(systems);
  return {
    run: () => schedule.step(world),
    checksum: () => [visited, ABCDE.reduce((s, c, k) => s + (k + 1) * sumOf(world, c), 0)],
  };
}

export function fragIter(): Subject {
  const world = createWorld({ components: [...LETTERS, Data], maxEntities: CAPACITY });
  let j = 0;
  for (let round = 0; round < FRAG_PER_TYPE; round++) {
    for (const letter of LETTERS) {
      const e = world.createEntity();
      world.addComponent(e, letter);
      world.addComponent(e, Data);
      world.store(letter).value[e] = fragInitial(j);
      world.store(Data).value[e] = fragInitial(j);
      j++;
    }
  }
  let visited = 0;
  const count = (n: number) => {
    visited += n;
  };
  const Z = at(LETTERS, LETTERS.length - 1);
  const schedule = createSchedule([doubler(world, Data, count), doubler(world, Z, count)]);
  return {
    run: () => schedule.step(world),
    checksum: () => [
      visited,
      sumOf(world, Data) + 2 * sumOf(world, Z) + 3 * sumOf(world, at(LETTERS, 0)),
    ],
  };
}

export function entityCycle(): Subject {
  const world = createWorld({ components: [A, B], maxEntities: CAPACITY });
  const a = world.store(A).value;
  const b = world.store(B).value;
  for (let i = 0; i < CYCLE_COUNT; i++) {
    const e = world.createEntity();
    world.addComponent(e, A);
    a[e] = cycleInitial(i);
  }
  const qa = world.query([A]);
  const qb = world.query([B]);
  let visited = 0;
  let sumB = 0;
  const schedule = createSchedule([
    function spawnB(world) {
      const ids = qa.ids();
      for (let i = 0; i < ids.length; i++) {
        const value = a[ids[i] as number] as number;
        const e1 = world.createEntity();
        world.addComponent(e1, B);
        b[e1] = value;
        const e2 = world.createEntity();
        world.addComponent(e2, B);
        b[e2] = value;
      }
      visited += ids.length;
    },
    function killB(world) {
      const ids = qb.ids();
      for (let i = 0; i < ids.length; i++) {
        const e = ids[i] as number;
        sumB += b[e] as number;
        world.destroyEntity(e);
      }
      visited += ids.length;
    },
  ]);
  return {
    run: () => schedule.step(world),
    checksum: () => [visited, sumB, qa.size, qb.size, sumOf(world, A)],
  };
}

export function addRemove(): Subject {
  const world = createWorld({ components: [A, B], maxEntities: CAPACITY });
  for (let i = 0; i < ADD_REMOVE_COUNT; i++) world.addComponent(world.createEntity(), A);
  const qa = world.query([A]);
  const qb = world.query([B]);
  let visited = 0;
  const schedule = createSchedule([
    function addB(world) {
      const ids = qa.ids();
      for (let i = 0; i < ids.length; i++) world.addComponent(ids[i] as number, B);
      visited += ids.length;
    },
    function removeB(world) {
      const ids = qb.ids();
      for (let i = 0; i < ids.length; i++) world.removeComponent(ids[i] as number, B);
      visited += ids.length;
    },
  ]);
  return {
    run: () => schedule.step(world),
    checksum: () => [visited, qa.size, qb.size],
  };
}
