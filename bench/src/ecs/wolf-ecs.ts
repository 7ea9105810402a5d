/**
 * The five scenarios on wolf-ecs 2.1, written idiomatically for it: components are typed arrays
 * the ECS allocates (i32), queries are created once and hold the matching archetypes, each with
 * its entity list. Changes take effect at once (wolf-ecs's default) and an entity that changes
 * archetype is swapped out of its list, so loops that move or destroy entities walk their list
 * from the end.
 */
import { ECS, not, types } from "wolf-ecs";
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

type Query = ReturnType<ECS["createQuery"]>;

/**
 * `ecs.createQuery(...terms)`: wolf-ecs takes component arrays as terms at run time, which its
 * type declarations do not say.
 */
function createQuery(ecs: ECS, ...terms: unknown[]): Query {
  return ecs.createQuery(...(terms as never[]));
}

function at<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new RangeError(`index ${i} out of range`);
  return v;
}

function sizeOf(q: Query): number {
  let n = 0;
  for (const arch of q.a) n += arch.e.length;
  return n;
}

function sumOf(q: Query, value: Int32Array): number {
  let sum = 0;
  for (const arch of q.a) for (const e of arch.e) sum += value[e] as number;
  return sum;
}

function doubler(q: Query, value: Int32Array, count: (n: number) => void): () => void {
  return () => {
    const archs = q.a;
    for (let i = 0; i < archs.length; i++) {
      const ents = (archs[i] as (typeof archs)[number]).e;
      for (let j = 0; j < ents.length; j++) {
        const e = ents[j] as number;
        value[e] = (value[e] as number) * 2;
      }
      count(ents.length);
    }
  };
}

function pipeline(systems: readonly (() => void)[]): () => void {
  return () => {
    for (let i = 0; i < systems.length; i++) (systems[i] as () => void)();
  };
}

export function packed5(): Subject {
  const ecs = new ECS(CAPACITY);
  const comps = Array.from({ length: 5 }, () => ecs.defineComponent(types.i32));
  const queries = comps.map((c) => createQuery(ecs, c));
  for (let i = 0; i < PACKED_COUNT; i++) {
    const e = ecs.createEntity();
    comps.forEach((c, k) => {
      ecs.addComponent(e, c);
      c[e] = packedInitial(i, k);
    });
  }
  let visited = 0;
  const count = (n: number) => {
    visited += n;
  };
  return {
    run: pipeline(comps.map((c, k) => doubler(at(queries, k), c, count))),
    checksum: () => [visited, comps.reduce((s, c, k) => s + (k + 1) * sumOf(at(queries, k), c), 0)],
  };
}

export function simpleIter(): Subject {
  const ecs = new ECS(CAPACITY);
  const comps = Array.from({ length: 5 }, () => ecs.defineComponent(types.i32));
  const single = comps.map((c) => createQuery(ecs, c));
  let visited = 0;
  const systems = SIMPLE_SWAPS.map(([x, y]) => {
    const vx = at(comps, x);
    const vy = at(comps, y);
    const q = createQuery(ecs, vx, vy);
    return () => {
      const archs = q.a;
      for (let i = 0; i < archs.length; i++) {
        const ents = (archs[i] as (typeof archs)[number]).e;
        for (let j = 0; j < ents.length; j++) {
          const e = ents[j] as number;
          const t = vx[e] as number;
          vx[e] = vy[e] as number;
          vy[e] = t;
        }
        visited += ents.length;
      }
    };
  });
  let i = 0;
  for (const group of SIMPLE_GROUPS) {
    for (let n = 0; n < SIMPLE_GROUP; n++, i++) {
      const e = ecs.createEntity();
      for (const k of group) {
        const c = at(comps, k);
        ecs.addComponent(e, c);
        c[e] = simpleInitial(i, k);
      }
    }
  }
  return {
    run: pipeline(systems),
    checksum: () => [visited, comps.reduce((s, c, k) => s + (k + 1) * sumOf(at(single, k), c), 0)],
  };
}

export function fragIter(): Subject {
  const ecs = new ECS(CAPACITY);
  const letters = FRAG_LETTERS.map(() => ecs.defineComponent(types.i32));
  const data = ecs.defineComponent(types.i32);
  const z = at(letters, letters.length - 1);
  const a = at(letters, 0);
  const qData = createQuery(ecs, data);
  const qZ = createQuery(ecs, z);
  const qA = createQuery(ecs, a);
  let j = 0;
  for (let round = 0; round < FRAG_PER_TYPE; round++) {
    for (const letter of letters) {
      const e = ecs.createEntity();
      ecs.addComponent(e, letter);
      ecs.addComponent(e, data);
      letter[e] = fragInitial(j);
      data[e] = fragInitial(j);
      j++;
    }
  }
  let visited = 0;
  const count = (n: number) => {
    visited += n;
  };
  return {
    run: pipeline([doubler(qData, data, count), doubler(qZ, z, count)]),
    checksum: () => [visited, sumOf(qData, data) + 2 * sumOf(qZ, z) + 3 * sumOf(qA, a)],
  };
}

export function entityCycle(): Subject {
  const ecs = new ECS(CAPACITY);
  const A = ecs.defineComponent(types.i32);
  const B = ecs.defineComponent(types.i32);
  const qA = createQuery(ecs, A);
  const qB = createQuery(ecs, B);
  for (let i = 0; i < CYCLE_COUNT; i++) {
    const e = ecs.createEntity();
    ecs.addComponent(e, A);
    A[e] = cycleInitial(i);
  }
  let visited = 0;
  let sumB = 0;
  const spawnB = () => {
    const archs = qA.a;
    for (let i = 0; i < archs.length; i++) {
      const ents = (archs[i] as (typeof archs)[number]).e;
      for (let j = 0; j < ents.length; j++) {
        const e = ecs.createEntity();
        ecs.addComponent(e, B);
        B[e] = A[ents[j] as number] as number;
      }
      visited += ents.length;
    }
  };
  const killB = () => {
    const archs = qB.a;
    for (let i = 0; i < archs.length; i++) {
      const ents = (archs[i] as (typeof archs)[number]).e;
      visited += ents.length;
      let sum = 0;
      for (let j = ents.length - 1; j >= 0; j--) {
        const e = ents[j] as number;
        sum += B[e] as number;
        ecs.destroyEntity(e);
      }
      sumB += sum;
    }
  };
  return {
    run: pipeline([spawnB, killB]),
    checksum: () => [visited, sumB, sizeOf(qA), sizeOf(qB), sumOf(qA, A)],
  };
}

export function addRemove(): Subject {
  const ecs = new ECS(CAPACITY);
  const A = ecs.defineComponent(types.i32);
  const B = ecs.defineComponent(types.i32);
  const qA = createQuery(ecs, A);
  const qB = createQuery(ecs, B);
  // Entities with A that still lack B: so that moving one into (A, B) does not visit it again.
  const qAnotB = createQuery(ecs, A, not(B));
  for (let i = 0; i < ADD_REMOVE_COUNT; i++) ecs.addComponent(ecs.createEntity(), A);
  let visited = 0;
  const addB = () => {
    const archs = qAnotB.a;
    for (let i = 0; i < archs.length; i++) {
      const ents = (archs[i] as (typeof archs)[number]).e;
      visited += ents.length;
      for (let j = ents.length - 1; j >= 0; j--) ecs.addComponent(ents[j] as number, B);
    }
  };
  const removeB = () => {
    const archs = qB.a;
    for (let i = 0; i < archs.length; i++) {
      const ents = (archs[i] as (typeof archs)[number]).e;
      visited += ents.length;
      for (let j = ents.length - 1; j >= 0; j--) ecs.removeComponent(ents[j] as number, B);
    }
  };
  return {
    run: pipeline([addB, removeB]),
    checksum: () => [visited, sizeOf(qA), sizeOf(qB)],
  };
}
