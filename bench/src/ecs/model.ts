/**
 * The five ECS scenarios of noctjs/ecs-benchmark, as its README defines them: sizes, initial
 * values, and the checksum a correct implementation reports after `ops` calls of the pipeline.
 * Every implementation (`ours.ts`, `bitecs.ts`, `piecs.ts`, `wolf-ecs.ts`, `goodluck.ts`) follows
 * these definitions; the checksums are computed here from a plain model, independently of any ECS.
 *
 * Values are i32, as in noctjs, or f64 (our engine is measured with both). Doubling an i32 wraps
 * (it is stored through an Int32Array), so after 32 doublings every value is 0; doubling an f64
 * is exact until it overflows to Infinity. The checksums therefore also count the entities each
 * system visited, which proves every op did its work.
 */

/** Entity slots reserved in every ECS (more than any scenario needs, including id recycling). */
export const CAPACITY = 8192;

/** The field type the values are stored in. */
export type Kind = "i32" | "f64";

/**
 * A checksum value as it survives the trip from a measuring child process (JSON, where Infinity
 * becomes null): ±Infinity is reported as ±Number.MAX_VALUE, which no finite sum here reaches.
 */
export function reportable(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return Number.MAX_VALUE;
  if (x === Number.NEGATIVE_INFINITY) return -Number.MAX_VALUE;
  return x;
}

/** `ops` doublings of a value: an i32 wraps like a store into an Int32Array, an f64 does not. */
export function doubled(value: number, ops: number, kind: Kind = "i32"): number {
  if (kind === "f64") {
    // Powers of two scale exactly, so this is the value after `ops` doublings (or Infinity).
    let scale = 1;
    for (let i = 0; i < Math.min(ops, 1100); i++) scale *= 2;
    return value * scale;
  }
  let v = value | 0;
  for (let i = 0; i < Math.min(ops, 32); i++) v = (v * 2) | 0;
  return v;
}

// ─── packed_5 ────────────────────────────────────────────────────────────────────────────────────

export const PACKED_COUNT = 1000;
export const PACKED_COMPONENTS = 5;

/** Initial value of component k (0 = A .. 4 = E) on the i-th entity created. */
export function packedInitial(i: number, k: number): number {
  return i + k + 1;
}

/**
 * Checksum: [entities visited by all systems, Σ_k (k + 1) · Σ value_k].
 */
export function packedExpected(ops: number, kind: Kind = "i32"): number[] {
  let state = 0;
  for (let k = 0; k < PACKED_COMPONENTS; k++) {
    let sum = 0;
    for (let i = 0; i < PACKED_COUNT; i++) sum += doubled(packedInitial(i, k), ops, kind);
    state += (k + 1) * sum;
  }
  return [ops * PACKED_COUNT * PACKED_COMPONENTS, reportable(state)];
}

// ─── simple_iter ─────────────────────────────────────────────────────────────────────────────────

export const SIMPLE_GROUP = 1000;
/**
 * The four groups of entities by the components they have (0 = A .. 4 = E): (A,B), (A,B,C),
 * (A,B,C,D), (A,B,C,E).
 */
export const SIMPLE_GROUPS: readonly (readonly number[])[] = [
  [0, 1],
  [0, 1, 2],
  [0, 1, 2, 3],
  [0, 1, 2, 4],
];
/** The systems' component pairs, swapped in this order: (A,B), (C,D), (C,E). */
export const SIMPLE_SWAPS: readonly (readonly [number, number])[] = [
  [0, 1],
  [2, 3],
  [2, 4],
];

/** Initial value of component k on the i-th entity created (i counts across groups). */
export function simpleInitial(i: number, k: number): number {
  return (k + 1) * 100_000 + i;
}

/** Checksum: [entities visited by all systems, Σ_k (k + 1) · Σ value_k]. */
export function simpleExpected(ops: number): number[] {
  // Model: one record per entity, then `ops % 2` applications of the swaps (each op is an
  // involution on every entity: no entity has both D and E).
  const entities: (number | undefined)[][] = [];
  let i = 0;
  for (const group of SIMPLE_GROUPS) {
    for (let n = 0; n < SIMPLE_GROUP; n++, i++) {
      const values: (number | undefined)[] = [];
      for (const k of group) values[k] = simpleInitial(i, k);
      entities.push(values);
    }
  }
  let visitedPerOp = 0;
  for (const [x, y] of SIMPLE_SWAPS) {
    for (const values of entities) {
      if (values[x] !== undefined && values[y] !== undefined) visitedPerOp++;
    }
  }
  for (let op = 0; op < ops % 2; op++) {
    for (const [x, y] of SIMPLE_SWAPS) {
      for (const values of entities) {
        const a = values[x];
        const b = values[y];
        if (a !== undefined && b !== undefined) {
          values[x] = b;
          values[y] = a;
        }
      }
    }
  }
  let state = 0;
  for (const values of entities) {
    values.forEach((v, k) => {
      if (v !== undefined) state += (k + 1) * v;
    });
  }
  return [ops * visitedPerOp, state];
}

// ─── frag_iter ───────────────────────────────────────────────────────────────────────────────────

export const FRAG_PER_TYPE = 100;
export const FRAG_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ".split("");

/**
 * Entities are created as in noctjs: for each of 100 rounds, one entity per letter A..Z, each
 * with its letter's component and Data. The j-th entity created starts with value j + 1 in both.
 */
export function fragInitial(j: number): number {
  return j + 1;
}

/** Checksum: [entities visited, Σ Data.value + 2 · Σ Z.value + 3 · Σ A.value]. */
export function fragExpected(ops: number, kind: Kind = "i32"): number[] {
  const letters = FRAG_LETTERS.length;
  let data = 0;
  let z = 0;
  let a = 0;
  for (let round = 0; round < FRAG_PER_TYPE; round++) {
    for (let letter = 0; letter < letters; letter++) {
      const j = round * letters + letter;
      data += doubled(fragInitial(j), ops, kind);
      if (letter === letters - 1) z += doubled(fragInitial(j), ops, kind);
      if (letter === 0) a += fragInitial(j);
    }
  }
  return [ops * (letters * FRAG_PER_TYPE + FRAG_PER_TYPE), reportable(data + 2 * z + 3 * a)];
}

// ─── entity_cycle ────────────────────────────────────────────────────────────────────────────────

export const CYCLE_COUNT = 1000;

/** Initial A.value of the i-th entity. */
export function cycleInitial(i: number): number {
  return i + 1;
}

/**
 * Each op, every entity with A spawns one entity with B (B.value = A.value), then every entity
 * with B is destroyed, as noctjs defines it today (its first version spawned two).
 * Checksum: [entities visited (A by the spawner, B by the destroyer), Σ B.value read by the
 * destroyer, live entities with A, live entities with B, Σ A.value].
 */
export function cycleExpected(ops: number): number[] {
  let sumA = 0;
  for (let i = 0; i < CYCLE_COUNT; i++) sumA += cycleInitial(i);
  return [ops * 2 * CYCLE_COUNT, ops * sumA, CYCLE_COUNT, 0, sumA];
}

// ─── add_remove ──────────────────────────────────────────────────────────────────────────────────

export const ADD_REMOVE_COUNT = 1000;

/** Checksum: [entities visited (A by the adder, B by the remover), live with A, live with B]. */
export function addRemoveExpected(ops: number): number[] {
  return [ops * 2 * ADD_REMOVE_COUNT, ADD_REMOVE_COUNT, 0];
}
