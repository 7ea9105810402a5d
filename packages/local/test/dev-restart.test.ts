// Ctrl-C and start again: nothing committed is lost and the world continues where it stopped.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arenaModule } from "@ledgerquest/example-arena";
import { getState } from "@ledgerquest/runtime";
import { afterAll, expect, it } from "vitest";
import { startLocalStack } from "../src/dev.js";
import { freePort } from "../src/dynamodb-local.js";
import { startWorld } from "./support/stack.js";

const dataDir = mkdtempSync(join(tmpdir(), "lq-dev-restart-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function until(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it("a restarted stack finds the world, its ledger and balances intact, and runs it on", async () => {
  // The same ports across the restart, as a developer's stack has: the handlers in this process
  // keep their clients (and endpoints) for the life of the process, as a Lambda container does.
  const ports = {
    dynamodb: await freePort(),
    s3: await freePort(),
    eventbridge: await freePort(),
    stepfunctions: await freePort(),
    websocket: await freePort(),
    idp: await freePort(),
  };
  const options = {
    game: arenaModule,
    dataDir,
    ports,
    ticksPerBatch: 30,
    waitSeconds: 0,
    log: () => undefined,
  };
  let stack = await startLocalStack(options);
  const deps = await startWorld(stack, {
    worldId: "persist",
    players: ["player_0001"],
    settings: { bodies: 50, bots: 4, coins: 60 },
  });
  await until(
    "three batches",
    async () => ((await getState(deps, { worldId: "persist" }))?.version ?? 0) >= 3,
  );
  await stack.stop();
  const before = await (async () => {
    // Read what was committed, with the stack down, by starting it again without a game loop.
    stack = await startLocalStack(options);
    return await getState(deps, { worldId: "persist", playerId: "player_0001" });
  })();
  expect(before?.version).toBeGreaterThanOrEqual(3);
  // The journal holds every entry the world item counts, chained to its head.
  const entries = await deps.journal.readEntries("persist", 0, (before?.ledger.count ?? 0) + 5);
  expect(entries).toHaveLength(before?.ledger.count ?? -1);
  expect(entries[entries.length - 1]?.hash).toBe(before?.ledger.head);
  expect(before?.player?.balances.gold).toBeGreaterThanOrEqual(100);
  // And it runs on from where it stopped.
  await stack.activate("persist", before?.version ?? 0);
  await until(
    "a batch after the restart",
    async () =>
      ((await getState(deps, { worldId: "persist" }))?.version ?? 0) > (before?.version ?? 0),
  );
  const after = await getState(deps, { worldId: "persist" });
  expect(after?.tick).toBeGreaterThan(before?.tick ?? 0);
  await stack.stop();
}, 180_000);
