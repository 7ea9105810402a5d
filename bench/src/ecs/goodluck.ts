/**
 * The five scenarios on goodluck 7, written idiomatically for it: the world is a class that
 * extends `WorldImpl` with one array per component, an entity's components are bits of its
 * `Signature`, component data are objects (here `{ value }`, an i32 kept by `| 0`), and a system
 * is a loop over every signature that tests its query's bits. goodluck has no query cache and no
 * structural bookkeeping beyond the signature: that is its whole design, and why adding and
 * removing a component costs it one bit operation.
 */
import { WorldImpl } from "goodluck";
import type { Subject } from "../harness.js";
import {
  ADD_REMOVE_COUNT,
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
  value: number;
}

/** A goodluck world with `count` components, `Data[c][entity]` holding component c's object. */
class World extends WorldImpl {
  readonly Data: (Value | undefined)[][];
  constructor(count: number) {
    super();
    this.Data = Array.from({ length: count }, () => []);
  }
}

function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new RangeError(`index ${i} out of range`);
  return v;
}

function add(world: World, entity: number, c: number, value: number): void {
  world.Signature[entity] = (world.Signature[entity] as number) | (1 << c);
  at(world.Data, c)[entity] = { value };
}

function countWith(world: World, mask: number): number {
  let n = 0;
  for (let i = 0; i < world.Signature.length; i++) {
    if (((world.Signature[i] as number) & mask) === mask) n++;
  }
  return n;
}

function sumOf(world: World, c: number): number {
  const mask = 1 << c;
  const data = at(world.Data, c);
  let sum = 0;
  for (let i = 0; i < world.Signature.length; i++) {
    if (((world.Signature[i] as number) & mask) === mask) sum += (data[i] as Value).value;
  }
  return sum;
}

function doubler(world: World, c: number, count: (n: number) => void): () => void {
  const mask = 1 << c;
  const data = at(world.Data, c);
  return () => {
    const signature = world.Signature;
    let n = 0;
    for (let i = 0; i < signature.length; i++) {
      if (((signature[i] as number) & mask) === mask) {
        const d = data[i] as Value;
        d.value = (d.value * 2) | 0;
        n++;
      }
    }
    count(n);
  };
}

function pipeline(systems: readonly (() => void)[]): () => void {
  return () => {
    for (let i = 0; i < systems.length; i++) (systems[i] as () => void)();
  };
}

export function packed5(): Subject {
  const world = new World(5);
  for (let i = 0; i < PACKED_COUNT; i++) {
    const e = world.CreateEntity();
    for (let k = 0; k < 5; k++) add(world, e, k, packedInitial(i, k));
  }
  let visited = 0;
  const count = (n: number) => {
    visited += n;
  };
  const ks = [0, 1, 2, 3, 4];
  return {
    run: pipeline(ks.map((k) => doubler(world, k, count))),
    checksum: () => [visited, ks.reduce((s, k) => s + (k + 1) * sumOf(world, k), 0)],
  };
}

export function simpleIter(): Subject {
  const world = new World(5);
  let i = 0;
  for (const group of SIMPLE_GROUPS) {
    for (let n = 0; n < SIMPLE_GROUP; n++, i++) {
      const e = world.CreateEntity();
      for (const k of group) add(world, e, k, simpleInitial(i, k));
    }
  }
  let visited = 0;
  const systems = SIMPLE_SWAPS.map(([x, y]) => {
    const mask = (1 << x) | (1 << y);
    const dx = at(world.Data, x);
    const dy = at(world.Data, y);
    return () => {
      const signature = world.Signature;
      let n = 0;
      for (let i = 0; i < signature.length; i++) {
        if (((signature[i] as number) & mask) === mask) {
          const a = dx[i] as Value;
          const b = dy[i] as Value;
          const t = a.value;
          a.value = b.value;
          b.value = t;
          n++;
        }
      }
      visited += n;
    };
  });
  return {
    run: pipeline(systems),
    checksum: () => [visited, [0, 1, 2, 3, 4].reduce((s, k) => s + (k + 1) * sumOf(world, k), 0)],
  };
}

export function fragIter(): Subject {
  const letters = FRAG_LETTERS.length;
  const data = letters; // component index of Data, after the 26 letters
  const world = new World(letters + 1);
  let j = 0;
  for (let round = 0; round < FRAG_PER_TYPE; round++) {
    for (let l = 0; l < letters; l++) {
      const e = world.CreateEntity();
      add(world, e, l, fragInitial(j));
      add(world, e, data, fragInitial(j));
      j++;
    }
  }
  let visited = 0;
  const count = (n: number) => {
    visited += n;
  };
  const z = letters - 1;
  return {
    run: pipeline([doubler(world, data, count), doubler(world, z, count)]),
    checksum: () => [visited, sumOf(world, data) + 2 * sumOf(world, z) + 3 * sumOf(world, 0)],
  };
}

export function entityCycle(): Subject {
  const A = 0;
  const B = 1;
  const HAS_A = 1 << A;
  const HAS_B = 1 << B;
  const world = new World(2);
  for (let i = 0; i < CYCLE_COUNT; i++) add(world, world.CreateEntity(), A, cycleInitial(i));
  const dataA = at(world.Data, A);
  const dataB = at(world.Data, B);
  let visited = 0;
  let sumB = 0;
  const spawnB = () => {
    const signature = world.Signature;
    // Entities created here are appended: only those that existed before are candidates.
    const n = signature.length;
    for (let i = 0; i < n; i++) {
      if (((signature[i] as number) & HAS_A) === HAS_A) {
        const e = world.CreateEntity();
        signature[e] = (signature[e] as number) | HAS_B;
        dataB[e] = { value: (dataA[i] as Value).value };
        visited++;
      }
    }
  };
  const killB = () => {
    const signature = world.Signature;
    let sum = 0;
    for (let i = 0; i < signature.length; i++) {
      if (((signature[i] as number) & HAS_B) === HAS_B) {
        sum += (dataB[i] as Value).value;
        world.DestroyEntity(i);
        visited++;
      }
    }
    sumB += sum;
  };
  return {
    run: pipeline([spawnB, killB]),
    checksum: () => [
      visited,
      sumB,
      countWith(world, HAS_A),
      countWith(world, HAS_B),
      sumOf(world, A),
    ],
  };
}

export function addRemove(): Subject {
  const HAS_A = 1 << 0;
  const HAS_B = 1 << 1;
  const world = new World(2);
  for (let i = 0; i < ADD_REMOVE_COUNT; i++) add(world, world.CreateEntity(), 0, i);
  // B's data is a number per entity, reset when B is added (as our engine resets B.value).
  const valueB: number[] = [];
  let visited = 0;
  const addB = () => {
    const signature = world.Signature;
    for (let i = 0; i < signature.length; i++) {
      const s = signature[i] as number;
      if ((s & (HAS_A | HAS_B)) === HAS_A) {
        signature[i] = s | HAS_B;
        valueB[i] = 0;
        visited++;
      }
    }
  };
  const removeB = () => {
    const signature = world.Signature;
    for (let i = 0; i < signature.length; i++) {
      const s = signature[i] as number;
      if ((s & HAS_B) === HAS_B) {
        signature[i] = s & ~HAS_B;
        visited++;
      }
    }
  };
  return {
    run: pipeline([addB, removeB]),
    checksum: () => [visited, countWith(world, HAS_A), countWith(world, HAS_B)],
  };
}
