// The commit protocol over the DynamoDB adapters against DynamoDB Local (real SDK, real
// transactions and conditions), with crashes injected at every write point.
// Alike: runtime's test/commit-protocol-memory.test.ts (the same suite and settings over memory).
import { arenaModule } from "@ledgerquest/example-arena";
import {
  ManualClock,
  MemoryBlobStore,
  MemoryClientPush,
  MemoryEventPublisher,
} from "@ledgerquest/runtime";
import { describeCommitProtocol } from "@ledgerquest/runtime/testing/commit-protocol";
import { beforeAll } from "vitest";
import { ensureTables } from "../src/adapters/dynamodb-common.js";
import { dynamoDbStores } from "../src/wiring.js";
import { dynamoDbLocal } from "./support/dynamodb-local.js";

const { client, doc, tables } = dynamoDbLocal("protocol-");

beforeAll(async () => {
  await ensureTables(client, tables);
});

describeCommitProtocol("DynamoDB Local, the arena", async () => {
  const push = new MemoryClientPush();
  const publisher = new MemoryEventPublisher();
  return {
    published: () => publisher.published,
    deps: {
      ...dynamoDbStores(doc, tables),
      blobs: new MemoryBlobStore(),
      publisher,
      push,
      clock: new ManualClock(),
      game: arenaModule,
    },
    openConnection: (id) => push.open(id),
    players: ["player_0001", "player_0002"],
    settings: { bodies: 20, bots: 6, coins: 120 },
    command: (_player, i) => ({
      type: "move",
      data: { dx: i % 3 === 0 ? 1 : -0.5, dy: i % 2 === 0 ? 0.5 : -1 },
    }),
  };
});
