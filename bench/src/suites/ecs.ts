/**
 * The ECS suite: the five scenarios of noctjs/ecs-benchmark on our ECS and on bitECS 0.4.
 * One op is one call of the scenario's pipeline (all its systems once), as in noctjs.
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
import type { Suite } from "../harness.js";

export const suite: Suite = {
  name: "ecs",
  description: "ECS scenarios of noctjs/ecs-benchmark: LedgerQuest ECS vs bitECS 0.4",
  oursName: "LedgerQuest",
  anchorName: "bitECS",
  scenarios: [
    {
      name: "packed_5",
      description: "1,000 entities with A..E; five systems each double one component",
      ours: { create: ours.packed5 },
      anchor: { create: anchor.packed5 },
      expected: packedExpected,
    },
    {
      name: "simple_iter",
      description:
        "1,000 each of (A,B), (A,B,C), (A,B,C,D), (A,B,C,E); three systems swap (A,B), (C,D), (C,E)",
      ours: { create: ours.simpleIter },
      anchor: { create: anchor.simpleIter },
      expected: simpleExpected,
    },
    {
      name: "frag_iter",
      description: "26 types A..Z, 100 entities each plus Data; double Data on all, and Z",
      ours: { create: ours.fragIter },
      anchor: { create: anchor.fragIter },
      expected: fragExpected,
    },
    {
      name: "entity_cycle",
      description: "1,000 entities with A; each spawns 2 entities with B; then all B are destroyed",
      ours: { create: ours.entityCycle },
      anchor: { create: anchor.entityCycle },
      expected: cycleExpected,
    },
    {
      name: "add_remove",
      description: "1,000 entities with A; add B to each; then remove B from each",
      ours: { create: ours.addRemove },
      anchor: { create: anchor.addRemove },
      expected: addRemoveExpected,
    },
  ],
};
