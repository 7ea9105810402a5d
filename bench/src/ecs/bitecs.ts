/**
 * The five scenarios on bitECS 0.4, written idiomatically for 0.4: components are plain objects
 * of typed arrays we allocate (Int32Array as in noctjs, or Float64Array), systems are functions of the world that call `query(world, terms)`
 * each time they run (0.4 caches the query by its terms and commits deferred removals there), and
 * a pipeline is the systems called in order. Term lists are hoisted so no system allocates one.
 */
import {
  addComponent,
  addEntity,
  createWorld,
  query,
  removeComponent,
  removeEntity,
  type World,
} from "bitecs";
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
  PACKED_COMPONENTS,
  PACKED_COUNT,
  packedInitial,
  reportable,
  SIMPLE_GROUP,
  SIMPLE_GROUPS,
  SIMPLE_SWAPS,
  simpleInitial,
} from "./model.js";

interface Value {
  readonly value: Int32Array | Float64Array;
}

function component(kind: Kind): Value {
  return { value: kind === "f64" ? new Float64Array(CAPACITY) : new Int32Array(CAPACITY) };
}

type System = (world: World) => void;

function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new RangeError(`index ${i} out of range`);
  return v;
}

function sumOf(world: World, c: Value): number {
  const ents = query(world, [c]);
  let sum = 0;
  for (let i = 0; i < ents.length; i++) sum += c.value[ents[i] as number] as number;
  return sum;
}

function doubler(c: Value, count: (n: number) => void): System {
  const terms = [c];
  const value = c.value;
  return (world) => {
    const ents = query(world, terms);
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i] as number;
      value[e] = (value[e] as number) * 2;
    }
    count(ents.length);
  };
}

function pipeline(world: World, systems: readonly System[]): () => void {
  return () => {
    for (let i = 0; i < systems.length; i++) (systems[i] as System)(world);
  };
}

export function packed5(kind: Kind = "i32"): Subject {
  const world = createWorld();
  const comps = Array.from({ length: PACKED_COMPONENTS }, () => component(kind));
  for (let i = 0; i < PACKED_COUNT; i++) {
    const e = addEntity(world);
    comps.forEach((c, k) => {
      addComponent(world, e, c);
      c.value[e] = packedInitial(i, k);
    });
  }
  let visited = 0;
  const count = (n: number) => {
    visited += n;
  };
  const run = pipeline(
    world,
    comps.map((c) => doubler(c, count)),
  );
  return {
    run,
    checksum: () => [
      visited,
      reportable(comps.reduce((s, c, k) => s + (k + 1) * sumOf(world, c), 0)),
    ],
  };
}

export function simpleIter(kind: Kind = "i32"): Subject {
  const world = createWorld();
  const comps = Array.from({ length: 5 }, () => component(kind));
  let i = 0;
  for (const group of SIMPLE_GROUPS) {
    for (let n = 0; n < SIMPLE_GROUP; n++, i++) {
      const e = addEntity(world);
      for (const k of group) {
        const c = at(comps, k);
        addComponent(world, e, c);
        c.value[e] = simpleInitial(i, k);
      }
    }
  }
  let visited = 0;
  const systems = SIMPLE_SWAPS.map(([x, y]): System => {
    const cx = at(comps, x);
    const cy = at(comps, y);
    const terms = [cx, cy];
    const vx = cx.value;
    const vy = cy.value;
    return (world) => {
      const ents = query(world, terms);
      for (let i = 0; i < ents.length; i++) {
        const e = ents[i] as number;
        const t = vx[e] as number;
        vx[e] = vy[e] as number;
        vy[e] = t;
      }
      visited += ents.length;
    };
  });
  return {
    run: pipeline(world, systems),
    checksum: () => [
      visited,
      reportable(comps.reduce((s, c, k) => s + (k + 1) * sumOf(world, c), 0)),
    ],
  };
}

export function fragIter(kind: Kind = "i32"): Subject {
  const world = createWorld();
  const letters = FRAG_LETTERS.map(() => component(kind));
  const data = component(kind);
  let j = 0;
  for (let round = 0; round < FRAG_PER_TYPE; round++) {
    for (const letter of letters) {
      const e = addEntity(world);
      addComponent(world, e, letter);
      addComponent(world, e, data);
      letter.value[e] = fragInitial(j);
      data.value[e] = fragInitial(j);
      j++;
    }
  }
  let visited = 0;
  const count = (n: number) => {
    visited += n;
  };
  const z = at(letters, letters.length - 1);
  return {
    run: pipeline(world, [doubler(data, count), doubler(z, count)]),
    checksum: () => [
      visited,
      reportable(sumOf(world, data) + 2 * sumOf(world, z) + 3 * sumOf(world, at(letters, 0))),
    ],
  };
}

export function entityCycle(kind: Kind = "i32"): Subject {
  const world = createWorld();
  const A = component(kind);
  const B = component(kind);
  const a = A.value;
  const b = B.value;
  for (let i = 0; i < CYCLE_COUNT; i++) {
    const e = addEntity(world);
    addComponent(world, e, A);
    a[e] = cycleInitial(i);
  }
  const termsA = [A];
  const termsB = [B];
  let visited = 0;
  let sumB = 0;
  const spawnB: System = (world) => {
    const ents = query(world, termsA);
    for (let i = 0; i < ents.length; i++) {
      const e = addEntity(world);
      addComponent(world, e, B);
      b[e] = a[ents[i] as number] as number;
    }
    visited += ents.length;
  };
  const killB: System = (world) => {
    const ents = query(world, termsB);
    let sum = 0;
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i] as number;
      sum += b[e] as number;
      removeEntity(world, e);
    }
    sumB += sum;
    visited += ents.length;
  };
  return {
    run: pipeline(world, [spawnB, killB]),
    checksum: () => [
      visited,
      sumB,
      query(world, termsA).length,
      query(world, termsB).length,
      sumOf(world, A),
    ],
  };
}

export function addRemove(kind: Kind = "i32"): Subject {
  const world = createWorld();
  const A = component(kind);
  const B = component(kind);
  for (let i = 0; i < ADD_REMOVE_COUNT; i++) addComponent(world, addEntity(world), A);
  const termsA = [A];
  const termsB = [B];
  let visited = 0;
  const addB: System = (world) => {
    const ents = query(world, termsA);
    for (let i = 0; i < ents.length; i++) addComponent(world, ents[i] as number, B);
    visited += ents.length;
  };
  const removeB: System = (world) => {
    const ents = query(world, termsB);
    for (let i = 0; i < ents.length; i++) removeComponent(world, ents[i] as number, B);
    visited += ents.length;
  };
  return {
    run: pipeline(world, [addB, removeB]),
    checksum: () => [visited, query(world, termsA).length, query(world, termsB).length],
  };
}
