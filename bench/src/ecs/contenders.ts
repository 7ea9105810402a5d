/**
 * Every contender of the ECS suite, by scenario: our engine five ways (f64 or i32 fields, systems
 * written against the World API or run by a schedule; f64 with the World API's bulk entry points
 * for structural changes) and the JavaScript ECS libraries that lead
 * noctjs/ecs-benchmark's scenarios (bitECS, piecs, wolf-ecs, goodluck), each written in its own
 * idiom. harmony-ecs, which also leads there, is not on the npm registry (404), so it is absent.
 */
import type { Subject } from "../harness.js";
import * as bitecs from "./bitecs.js";
import * as goodluck from "./goodluck.js";
import {
  addRemoveExpected,
  cycleExpected,
  fragExpected,
  type Kind,
  packedExpected,
  simpleExpected,
} from "./model.js";
import * as ours from "./ours.js";
import * as piecs from "./piecs.js";
import * as wolf from "./wolf-ecs.js";

export interface EcsScenario {
  readonly name: string;
  readonly description: string;
  /** The checksum a correct subject with values of this kind reports after `ops` ops. */
  expected(ops: number, kind: Kind): readonly number[];
}

export const SCENARIOS: readonly EcsScenario[] = [
  {
    name: "packed_5",
    description: "1,000 entities with A..E; five systems each double one component",
    expected: packedExpected,
  },
  {
    name: "simple_iter",
    description:
      "1,000 each of (A,B), (A,B,C), (A,B,C,D), (A,B,C,E); three systems swap (A,B), (C,D), (C,E)",
    expected: (ops) => simpleExpected(ops),
  },
  {
    name: "frag_iter",
    description: "26 types A..Z, 100 entities each plus Data; double Data on all, and Z",
    expected: fragExpected,
  },
  {
    name: "entity_cycle",
    description: "1,000 entities with A; each spawns 1 entity with B; then all B are destroyed",
    expected: (ops) => cycleExpected(ops),
  },
  {
    name: "add_remove",
    description: "1,000 entities with A; add B to each; then remove B from each",
    expected: (ops) => addRemoveExpected(ops),
  },
];

export type ScenarioName = "packed_5" | "simple_iter" | "frag_iter" | "entity_cycle" | "add_remove";

type Implementation = Readonly<Record<ScenarioName, () => Subject>>;

export interface EcsContender {
  /** Column title, e.g. "LQ f64 World" or "piecs". */
  readonly name: string;
  /** A library we compare against (false: our engine). */
  readonly library: boolean;
  readonly kind: Kind;
  readonly create: Implementation;
}

function oursAs(kind: Kind, mode: ours.Mode): Implementation {
  return {
    packed_5: () => ours.packed5(kind, mode),
    simple_iter: () => ours.simpleIter(kind, mode),
    frag_iter: () => ours.fragIter(kind, mode),
    entity_cycle: () => ours.entityCycle(kind, mode),
    add_remove: () => ours.addRemove(kind, mode),
  };
}

function library(lib: {
  packed5(): Subject;
  simpleIter(): Subject;
  fragIter(): Subject;
  entityCycle(): Subject;
  addRemove(): Subject;
}): Implementation {
  return {
    packed_5: () => lib.packed5(),
    simple_iter: () => lib.simpleIter(),
    frag_iter: () => lib.fragIter(),
    entity_cycle: () => lib.entityCycle(),
    add_remove: () => lib.addRemove(),
  };
}

export const CONTENDERS: readonly EcsContender[] = [
  { name: "LQ f64 World", library: false, kind: "f64", create: oursAs("f64", "world") },
  { name: "LQ i32 World", library: false, kind: "i32", create: oursAs("i32", "world") },
  { name: "LQ f64 bulk", library: false, kind: "f64", create: oursAs("f64", "bulk") },
  { name: "LQ f64 schedule", library: false, kind: "f64", create: oursAs("f64", "schedule") },
  { name: "LQ i32 schedule", library: false, kind: "i32", create: oursAs("i32", "schedule") },
  { name: "bitECS", library: true, kind: "i32", create: library(bitecs) },
  { name: "piecs", library: true, kind: "i32", create: library(piecs) },
  { name: "wolf-ecs", library: true, kind: "i32", create: library(wolf) },
  { name: "goodluck", library: true, kind: "i32", create: library(goodluck) },
];

export function scenarioNamed(name: string): EcsScenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no ECS scenario "${name}"`);
  return s;
}

export function contenderNamed(name: string): EcsContender {
  const c = CONTENDERS.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no ECS contender "${name}"`);
  return c;
}
