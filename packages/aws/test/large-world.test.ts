// A world whose state outgrows a DynamoDB item: the state goes to S3 (the emulators' s3rver) under a
// content-addressed key, the world item holds the pointer and hash, and the world keeps running.
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { arenaModule } from "@ledgerquest/example-arena";
import {
  createWorld,
  getState,
  INLINE_STATE_BYTES_MAX,
  ManualClock,
  MemoryClientPush,
  MemoryEventPublisher,
  type RuntimeDeps,
  runTickBatch,
} from "@ledgerquest/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTables } from "../src/adapters/dynamodb-common.js";
import { S3BlobStore } from "../src/adapters/s3-blob-store.js";
import { dynamoDbStores } from "../src/wiring.js";
import { dynamoDbLocal } from "./support/dynamodb-local.js";
import { type LocalS3, localS3Client, startLocalS3 } from "./support/s3-local.js";

const { client, doc, tables } = dynamoDbLocal("large-");
let s3: LocalS3;
let deps: RuntimeDeps;

beforeAll(async () => {
  await ensureTables(client, tables);
  s3 = await startLocalS3();
  deps = {
    ...dynamoDbStores(doc, tables),
    blobs: new S3BlobStore(localS3Client(s3.endpoint), { bucket: s3.bucket }),
    publisher: new MemoryEventPublisher(),
    push: new MemoryClientPush(),
    clock: new ManualClock(),
    game: arenaModule,
  };
});

afterAll(async () => {
  await s3?.stop();
});

describe("a world larger than an item", () => {
  it("keeps its state in S3 with the pointer and hash in the world item, and runs on", async () => {
    const worldId = `large-${process.pid}`;
    const { world } = await createWorld(deps, {
      worldId,
      players: ["player_0001"],
      settings: { bodies: 6000, bots: 10, coins: 100 },
    });
    expect(world.state.kind).toBe("blob");
    if (world.state.kind !== "blob") return;
    expect(world.state.bytesLength).toBeGreaterThan(INLINE_STATE_BYTES_MAX);
    expect(world.state.key).toBe(`worlds/${worldId}/state/${world.state.sha256}`);
    const object = await localS3Client(s3.endpoint).send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: world.state.key }),
    );
    expect((await object.Body?.transformToByteArray())?.length).toBe(world.state.bytesLength);

    const first = await runTickBatch(deps, { worldId, token: "large#1", maxTicks: 30 });
    const second = await runTickBatch(deps, { worldId, token: "large#2", maxTicks: 30 });
    expect(second.fromTick).toBe(first.tick);
    const after = await deps.store.getWorld(worldId);
    expect(after?.state.kind).toBe("blob");
    expect(after?.state.sha256).not.toBe(world.state.sha256);
    const view = await getState(deps, { worldId, entities: true });
    expect(view?.tick).toBe(60);
    expect(view?.entities?.length).toBeGreaterThan(6000);
  });
});
