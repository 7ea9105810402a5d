import { MemoryBlobStore } from "../src/adapters/memory/blob-store.js";
import { MemoryClientPush } from "../src/adapters/memory/client-push.js";
import { MemoryCommandInbox } from "../src/adapters/memory/command-inbox.js";
import { MemoryEntityStore } from "../src/adapters/memory/entity-store.js";
import { MemoryEventPublisher } from "../src/adapters/memory/event-publisher.js";
import { MemoryJournal } from "../src/adapters/memory/journal.js";
import { ManualClock } from "../src/ports/clock.js";
import { describeCommitProtocol } from "../src/testing/commit-protocol.contract.js";
import { fixtureGame } from "./support/fixture-game.js";

// Alike: aws's test/commit-protocol-dynamodb.test.ts (the same suite over DynamoDB Local).
describeCommitProtocol("memory adapters, the fixture game", async () => {
  const push = new MemoryClientPush();
  const publisher = new MemoryEventPublisher();
  return {
    published: () => publisher.published,
    deps: {
      store: new MemoryEntityStore(),
      journal: new MemoryJournal(),
      inbox: new MemoryCommandInbox(),
      blobs: new MemoryBlobStore(),
      publisher,
      push,
      clock: new ManualClock(),
      game: fixtureGame,
    },
    openConnection: (id) => push.open(id),
    players: ["player_0001", "player_0002"],
    settings: { runners: 6, coins: 40 },
    command: (_player, i) => ({
      type: "move",
      data: { dx: i % 3 === 0 ? 1 : -0.5, dy: i % 2 === 0 ? 0.5 : -1 },
    }),
  };
});
