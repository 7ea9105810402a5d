/**
 * The ECS suite: the five scenarios of noctjs/ecs-benchmark. One op is one call of the scenario's
 * pipeline (all its systems once), as in noctjs.
 *
 * The table compares our engine with f64 fields, systems written by hand against the World API,
 * with bitECS 0.4 on the same f64 arrays. The notes then measure every contender in the same run
 * (ours with f64 and i32 fields, through the World API and through a schedule, and with the
 * World API's bulk entry points; bitECS, piecs, wolf-ecs and goodluck) and print, per scenario, each one's ops/s and our ratio to the best
 * library (see ../ecs/runner.ts).
 */
import * as anchor from "../ecs/bitecs.js";
import {
  addRemoveExpected,
  cycleExpected,
  fragExpected,
  packedExpected,
  simpleExpected,
} from "../ecs/model.js";
import * as ours from "../ecs/ours.js";
import { contendersTable } from "../ecs/runner.js";
import type { Suite } from "../harness.js";

export const suite: Suite = {
  name: "ecs",
  description:
    "ECS scenarios of noctjs/ecs-benchmark: LedgerQuest (f64, World API) vs bitECS 0.4 (f64), then every contender",
  oursName: "LedgerQuest",
  anchorName: "bitECS",
  notes: () => contendersTable(),
  scenarios: [
    {
      name: "packed_5",
      description: "1,000 entities with A..E; five systems each double one component",
      ours: { create: () => ours.packed5("f64", "world") },
      anchor: { create: () => anchor.packed5("f64") },
      expected: (ops) => packedExpected(ops, "f64"),
    },
    {
      name: "simple_iter",
      description:
        "1,000 each of (A,B), (A,B,C), (A,B,C,D), (A,B,C,E); three systems swap (A,B), (C,D), (C,E)",
      ours: { create: () => ours.simpleIter("f64", "world") },
      anchor: { create: () => anchor.simpleIter("f64") },
      expected: simpleExpected,
    },
    {
      name: "frag_iter",
      description: "26 types A..Z, 100 entities each plus Data; double Data on all, and Z",
      ours: { create: () => ours.fragIter("f64", "world") },
      anchor: { create: () => anchor.fragIter("f64") },
      expected: (ops) => fragExpected(ops, "f64"),
    },
    {
      name: "entity_cycle",
      description: "1,000 entities with A; each spawns 1 entity with B; then all B are destroyed",
      ours: { create: () => ours.entityCycle("f64", "world") },
      anchor: { create: () => anchor.entityCycle("f64") },
      expected: cycleExpected,
    },
    {
      name: "add_remove",
      description: "1,000 entities with A; add B to each; then remove B from each",
      ours: { create: () => ours.addRemove("f64", "world") },
      anchor: { create: () => anchor.addRemove("f64") },
      expected: addRemoveExpected,
    },
  ],
};
