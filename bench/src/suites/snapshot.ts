/**
 * The snapshot suite: encoding and decoding a world of 10,000 physics bodies (circles and boxes
 * that have fallen for a second, so every field holds a non-trivial value). One op is one encode,
 * one decode, or one state hash. The checksum is the snapshot's size, so a run that encoded less
 * would show; bytes per body are reported beside the table.
 */
import {
  BodyKind,
  createPhysics,
  createSchedule,
  createWorld,
  decodeSnapshot,
  encodeSnapshot,
  physicsComponents,
  stateHash,
  type World,
} from "@ledgerquest/engine";
import type { Subject, Suite } from "../harness.js";

const BODIES = 10_000;
const components = [...physicsComponents];

function world(): World {
  const physics = createPhysics({ bounds: { minX: -70, minY: -4, maxX: 70, maxY: 140 } });
  const w = createWorld({ components, maxEntities: BODIES + 8, seed: "bench" });
  physics.spawnBox(w, { x: 0, y: -0.5, halfWidth: 70, halfHeight: 0.5, kind: BodyKind.Static });
  for (let i = 0; i < BODIES; i++) {
    const p = {
      x: -65 + (i % 108) * 1.2,
      y: 1.5 + Math.floor(i / 108) * 1.2,
      vx: w.rng.range(-1, 1),
    };
    if (i % 2 === 0) physics.spawnCircle(w, { ...p, radius: 0.5 });
    else physics.spawnBox(w, { ...p, halfWidth: 0.5, halfHeight: 0.5 });
  }
  createSchedule([physics.system]).run(w, 60);
  return w;
}

/** Bytes per body of the benchmark world's snapshot, less the snapshot of an empty world. */
export function bytesPerBody(): number {
  const empty = encodeSnapshot(
    createWorld({ components, maxEntities: BODIES + 8, seed: "bench" }),
  ).length;
  return (encodeSnapshot(world()).length - empty) / (BODIES + 1);
}

function encoder(): Subject {
  const w = world();
  let last = 0;
  return {
    run() {
      last = encodeSnapshot(w).length;
    },
    checksum: () => [last],
  };
}

function decoder(): Subject {
  const bytes = encodeSnapshot(world());
  let entities = 0;
  return {
    run() {
      entities = decodeSnapshot(bytes, { components }).entityCount;
    },
    checksum: () => [entities],
  };
}

function hasher(): Subject {
  const w = world();
  let length = 0;
  return {
    run() {
      length = stateHash(w).length;
    },
    checksum: () => [length],
  };
}

const size = encodeSnapshot(world()).length;

function notes(): string[] {
  const perBody = bytesPerBody();
  return [
    `Snapshot size: ${perBody.toFixed(2)} bytes per physics body (target: at most 64, uncompressed).`,
  ];
}

export const suite: Suite = {
  name: "snapshot",
  description: `Snapshots of ${BODIES.toLocaleString("en-US")} physics bodies (${size.toLocaleString("en-US")} bytes)`,
  oursName: "LedgerQuest",
  notes,
  scenarios: [
    {
      name: "encode_10k",
      description: "encode the world (with its SHA-256 checksum)",
      ours: { create: encoder },
      expected: () => [size],
    },
    {
      name: "decode_10k",
      description: "decode into a new world (checksum, checks, queries rebuilt)",
      ours: { create: decoder },
      expected: () => [BODIES + 1],
    },
    {
      name: "state_hash_10k",
      description: "the state hash (encode + SHA-256, hex)",
      ours: { create: hasher },
      expected: () => [64],
    },
  ],
};
