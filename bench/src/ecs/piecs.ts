/**
 * The five scenarios on piecs 0.4, written idiomatically for it: component ids from the world,
 * values in typed arrays we allocate (i32), prefabricated archetypes for the initial entities,
 * entity systems registered once and run by `world.update()`. piecs calls an entity system once
 * per matching archetype with that archetype's entity list, and changes take effect at once
 * (an entity that leaves an archetype is swapped out of its list), so loops that move or delete
 * entities walk their list from the end.
 */
import { createEntitySystem, World } from "piecs";
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

interface Value {
  readonly id: number;
  readonly value: Int32Array;
}

function component(world: World): Value {
  return { id: world.createComponentId(), value: new Int32Array(CAPACITY) };
}

function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new RangeError(`index ${i} out of range`);
  return v;
}

/** Entity ids are handed out from 0, so every live entity is below CAPACITY. */
function countWith(world: World, c: Value): number {
  let n = 0;
  for (let e = 0; e < CAPACITY; e++) if (world.hasEntity(e) && world.hasComponent(e, c)) n++;
  return n;
}

function sumOf(world: World, c: Value): number {
  let sum = 0;
  for (let e = 0; e < CAPACITY; e++) {
    if (world.hasEntity(e) && world.hasComponent(e, c)) sum += c.value[e] as number;
  }
  return sum;
}

function doubler(c: Value, count: (n: number) => void) {
  const value = c.value;
  return createEntitySystem(
    (entities) => {
      for (let i = 0; i < entities.length; i++) {
        const e = entities[i] as number;
        value[e] = (value[e] as number) * 2;
      }
      count(entities.length);
    },
    (q) => q.every(c),
  );
}

export function packed5(): Subject {
  const world = new World();
  const comps = Array.from({ length: 5 }, () => component(world));
  const prefab = world.prefabricate(comps);
  let visited = 0;
  const count = (n: number) => {
    visited += n;
  };
  for (const c of comps) world.registerSystem(doubler(c, count));
  world.initialize();
  for (let i = 0; i < PACKED_COUNT; i++) {
    const e = world.createEntity(prefab);
    comps.forEach((c, k) => {
      c.value[e] = packedInitial(i, k);
    });
  }
  return {
    run: () => world.update(),
    checksum: () => [visited, comps.reduce((s, c, k) => s + (k + 1) * sumOf(world, c), 0)],
  };
}

export function simpleIter(): Subject {
  const world = new World();
  const comps = Array.from({ length: 5 }, () => component(world));
  const prefabs = SIMPLE_GROUPS.map((group) => world.prefabricate(group.map((k) => at(comps, k))));
  let visited = 0;
  for (const [x, y] of SIMPLE_SWAPS) {
    const cx = at(comps, x);
    const cy = at(comps, y);
    const vx = cx.value;
    const vy = cy.value;
    world.registerSystem(
      createEntitySystem(
        (entities) => {
          for (let i = 0; i < entities.length; i++) {
            const e = entities[i] as number;
            const t = vx[e] as number;
            vx[e] = vy[e] as number;
            vy[e] = t;
          }
          visited += entities.length;
        },
        (q) => q.every(cx, cy),
      ),
    );
  }
  world.initialize();
  let i = 0;
  SIMPLE_GROUPS.forEach((group, g) => {
    for (let n = 0; n < SIMPLE_GROUP; n++, i++) {
      const e = world.createEntity(at(prefabs, g));
      for (const k of group) at(comps, k).value[e] = simpleInitial(i, k);
    }
  });
  return {
    run: () => world.update(),
    checksum: () => [visited, comps.reduce((s, c, k) => s + (k + 1) * sumOf(world, c), 0)],
  };
}

export function fragIter(): Subject {
  const world = new World();
  const letters = FRAG_LETTERS.map(() => component(world));
  const data = component(world);
  const prefabs = letters.map((letter) => world.prefabricate([letter, data]));
  let visited = 0;
  const count = (n: number) => {
    visited += n;
  };
  const z = at(letters, letters.length - 1);
  world.registerSystem(doubler(data, count)).registerSystem(doubler(z, count));
  world.initialize();
  let j = 0;
  for (let round = 0; round < FRAG_PER_TYPE; round++) {
    letters.forEach((letter, l) => {
      const e = world.createEntity(at(prefabs, l));
      letter.value[e] = fragInitial(j);
      data.value[e] = fragInitial(j);
      j++;
    });
  }
  return {
    run: () => world.update(),
    checksum: () => [
      visited,
      sumOf(world, data) + 2 * sumOf(world, z) + 3 * sumOf(world, at(letters, 0)),
    ],
  };
}

export function entityCycle(): Subject {
  const world = new World();
  const A = component(world);
  const B = component(world);
  const prefabA = world.prefabricate([A]);
  const prefabB = world.prefabricate([B]);
  const a = A.value;
  const b = B.value;
  let visited = 0;
  let sumB = 0;
  world
    .registerSystem(
      createEntitySystem(
        (entities, world) => {
          for (let i = 0; i < entities.length; i++) {
            const e = world.createEntity(prefabB);
            b[e] = a[entities[i] as number] as number;
          }
          visited += entities.length;
        },
        (q) => q.every(A),
      ),
    )
    .registerSystem(
      createEntitySystem(
        (entities, world) => {
          visited += entities.length;
          let sum = 0;
          for (let i = entities.length - 1; i >= 0; i--) {
            const e = entities[i] as number;
            sum += b[e] as number;
            world.deleteEntity(e);
          }
          sumB += sum;
        },
        (q) => q.every(B),
      ),
    );
  world.initialize();
  for (let i = 0; i < CYCLE_COUNT; i++) a[world.createEntity(prefabA)] = cycleInitial(i);
  return {
    run: () => world.update(),
    checksum: () => [visited, sumB, countWith(world, A), countWith(world, B), sumOf(world, A)],
  };
}

export function addRemove(): Subject {
  const world = new World();
  const A = component(world);
  const B = component(world);
  const prefabA = world.prefabricate([A]);
  let visited = 0;
  world
    .registerSystem(
      createEntitySystem(
        (entities, world) => {
          visited += entities.length;
          for (let i = entities.length - 1; i >= 0; i--)
            world.addComponent(entities[i] as number, B);
        },
        // Not (A, B): an entity moved there must not be visited again in the same update.
        (q) => q.every(A).not(B),
      ),
    )
    .registerSystem(
      createEntitySystem(
        (entities, world) => {
          visited += entities.length;
          for (let i = entities.length - 1; i >= 0; i--) {
            world.removeComponent(entities[i] as number, B);
          }
        },
        (q) => q.every(B),
      ),
    );
  world.initialize();
  for (let i = 0; i < ADD_REMOVE_COUNT; i++) world.createEntity(prefabA);
  return {
    run: () => world.update(),
    checksum: () => [visited, countWith(world, A), countWith(world, B)],
  };
}
