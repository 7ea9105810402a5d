// The local stack end to end: every service started on free ports, the project's handlers in
// process, a real WebSocket client with a token from the dev identity provider, the game loop run
// by the local Step Functions from the one-source ASL after a `World Activated` event on the local
// bus, and the AuditLog stream verified by the stream handler.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { arenaModule } from "@ledgerquest/example-arena";
import { getState } from "@ledgerquest/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localClientConfig } from "../src/clients.js";
import { type LocalStack, startLocalStack } from "../src/dev.js";
import { startWorld } from "./support/stack.js";
import { openSocket, until } from "./support/wait.js";

let stack: LocalStack;
const lines: string[] = [];
// A stand-in for the built dashboard: the server serves whatever page it is given.
const pageDir = mkdtempSync(join(tmpdir(), "lq-page-"));

beforeAll(async () => {
  mkdirSync(join(pageDir, "assets"));
  writeFileSync(join(pageDir, "index.html"), "<!doctype html><title>LedgerQuest</title>");
  writeFileSync(join(pageDir, "assets", "main-abc123.js"), "console.log(1);");
  stack = await startLocalStack({
    game: arenaModule,
    inMemory: true,
    ticksPerBatch: 30,
    waitSeconds: 0,
    dashboard: { directory: pageDir, world: "e2e" },
    log: (l) => lines.push(l),
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(pageDir, { recursive: true, force: true });
});

describe("ledgerquest dev's local stack", () => {
  it("says where every service listens", () => {
    for (const service of [
      "DynamoDB Local",
      "S3",
      "identity provider",
      "Step Functions",
      "EventBridge",
      "WebSocket API",
      "stream poller",
      "dashboard",
    ]) {
      expect(
        lines.some((l) => l.startsWith(service)),
        service,
      ).toBe(true);
    }
  });

  it("runs a world: a player connects, commands, gets pushes; the loop ticks; the stream verifies the chain", async () => {
    const deps = await startWorld(stack, {
      worldId: "e2e",
      players: ["player_0001", "player_0002"],
      settings: { bodies: 50, bots: 4, coins: 60 },
    });
    await until(
      "the first batch",
      async () => ((await getState(deps, { worldId: "e2e" }))?.version ?? 0) >= 1 || undefined,
    );

    // No token: API Gateway's 401.
    await expect(openSocket(`${stack.endpoints.websocket}?world=e2e`)).rejects.toThrow("HTTP 401");
    // A real client with a real token.
    const token = await stack.token("player_0001");
    const { ws, frames } = await openSocket(
      `${stack.endpoints.websocket}?world=e2e&token=${token}`,
    );
    ws.send(
      JSON.stringify({ action: "command", id: "go-1", type: "move", data: { dx: 1, dy: 0 } }),
    );
    ws.send(
      JSON.stringify({ action: "command", id: "go-1", type: "move", data: { dx: 1, dy: 0 } }),
    );
    ws.send(JSON.stringify({ action: "command", id: "bad", type: "move", data: { dx: "east" } }));
    await until("three answers", () =>
      frames.filter((f) => (f as { type: string }).type !== "state").length >= 3 ? true : undefined,
    );
    const answers = frames.filter((f) => (f as { type: string }).type !== "state");
    expect(answers).toContainEqual({ type: "ack", id: "go-1", result: "accepted" });
    expect(answers).toContainEqual({ type: "ack", id: "go-1", result: "duplicate" });
    expect(answers).toContainEqual(
      expect.objectContaining({ type: "error", id: "bad", code: "invalid_data" }),
    );
    // The loop applies the command and pushes the state to the connection.
    const pushed = await until(
      "a state push",
      () =>
        frames.find((f) => (f as { type: string; tick: number }).type === "state") as
          | { tick: number; you?: unknown }
          | undefined,
    );
    expect(pushed.tick).toBeGreaterThan(0);
    const applied = await until("the command applied", async () => {
      const batches = await deps.journal.listBatches("e2e", 1, 1000);
      return batches.some((b) => b.commandsApplied > 0) ? batches : undefined;
    });
    expect(applied.reduce((n, b) => n + b.commandsApplied, 0)).toBe(1);
    ws.close();

    // The stream handler follows the journal and finds the chain intact.
    const state = await getState(deps, { worldId: "e2e", playerId: "player_0001" });
    expect(state?.player?.balances.gold).toBeGreaterThanOrEqual(100);
    const ddb = new DynamoDBClient(localClientConfig(stack.endpoints.dynamodb));
    const chain = await until("the stream handler's chain head", async () => {
      const item = (
        await ddb.send(
          new GetItemCommand({
            TableName: "EntityTable",
            Key: { entity_id: { S: "chain#e2e" } },
            ConsistentRead: true,
          }),
        )
      ).Item;
      return item !== undefined && item.brokenSeq === undefined && Number(item.seq?.N ?? -1) >= 10
        ? item
        : undefined;
    });
    expect(chain.brokenSeq).toBeUndefined();

    // `verify` and `replay` against the running stack: the journal matches the world's digest and
    // the balances, and the batch records re-run from genesis to the recorded hashes.
    const { replayWorld, verifyWorld } = await import("@ledgerquest/runtime");
    const verified = await verifyWorld(deps, "e2e");
    expect(verified.ok, JSON.stringify(verified.problems)).toBe(true);
    const replayed = await replayWorld(deps, "e2e");
    expect(replayed.ok, JSON.stringify(replayed.mismatch)).toBe(true);
    expect(replayed.ticksChecked).toBeGreaterThan(0);
  }, 120_000);

  it("pays a completed quest through the ledger and tells the bus", async () => {
    // Dense coins and the game's own bots: someone finishes "Pick up 10 gold" within a few batches.
    const deps = await startWorld(stack, {
      worldId: "quests",
      players: ["player_0001"],
      settings: { bodies: 0, bots: 12, coins: 1500 },
    });
    const event = await until(
      "a Quest Completed event on the bus",
      () =>
        stack
          .busEvents()
          .find(
            (e) =>
              e.detailType === "Quest Completed" &&
              (e.detail as { worldId: string; questId: string }).worldId === "quests" &&
              (e.detail as { questId: string }).questId === "first_coins",
          ),
      60_000,
    );
    const detail = event.detail as {
      playerId: string;
      rewards: { unit: string; amount: number }[];
      transferIds: string[];
    };
    expect(detail.rewards).toEqual([{ unit: "xp", amount: 5 }]);
    // The reward is in the journal under the id the event names, and in the player's balance.
    const state = await until("the profile to show the reward", async () => {
      const s = await getState(deps, { worldId: "quests", playerId: detail.playerId });
      return s?.player?.quests.first_coins?.state === "rewarded" ? s : undefined;
    });
    expect(state.player?.balances.xp ?? 0).toBeGreaterThanOrEqual(5);
    const journal = await deps.journal.readEntries("quests", 0, state.ledger.count);
    const reward = journal.find((e) => e.kind === "transfer" && e.id === detail.transferIds[0]);
    expect(reward).toMatchObject({
      reason: "quest.reward",
      unit: "xp",
      amount: 5,
      credit: `${detail.playerId}:xp`,
    });
  }, 120_000);

  it("serves the dashboard's page, its config and dev tokens; answers queries; survives a gateway outage", async () => {
    const base = stack.endpoints.dashboard as string;
    const page = await fetch(base);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toContain("LedgerQuest");
    const asset = await fetch(`${base}assets/main-abc123.js`);
    expect(asset.headers.get("content-type")).toMatch(/javascript/);
    expect(asset.headers.get("cache-control")).toMatch(/immutable/);
    expect((await fetch(`${base}assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${base}%2e%2e/%2e%2e/etc/passwd`)).status).toBe(404);
    expect(await (await fetch(`${base}config.json`)).json()).toEqual({
      websocketUrl: stack.endpoints.websocket,
      world: "e2e",
      auth: "dev",
    });
    const bad = await fetch(`${base}api/token?player=${encodeURIComponent("a b")}`);
    expect(bad.status).toBe(400);
    const { token } = (await (
      await fetch(`${base}api/token?player=player_0002&operator=1`)
    ).json()) as {
      token: string;
    };

    // Queries over a real connection: the operator's list of worlds, and the world's state.
    const { ws, frames } = await openSocket(
      `${stack.endpoints.websocket}?world=e2e&token=${token}`,
    );
    ws.send(JSON.stringify({ action: "query", id: "w", type: "worlds" }));
    ws.send(JSON.stringify({ action: "query", id: "s", type: "state" }));
    const answers = await until("two query results", () => {
      const r = frames.filter((f) => (f as { type: string }).type === "result");
      return r.length >= 2 ? (r as { id: string; data: Record<string, unknown> }[]) : undefined;
    });
    const worlds = answers.find((a) => a.id === "w")?.data.worlds as { worldId: string }[];
    expect(worlds.map((w) => w.worldId)).toContain("e2e");
    const state = answers.find((a) => a.id === "s")?.data as { worldId: string; game: unknown };
    expect(state.worldId).toBe("e2e");
    expect(state.game).toMatchObject({ rules: "arena@2" });

    // An outage: the client sees its connection close; once the API is back, it reconnects.
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    await stack.stopGateway();
    expect(await closed).toBe(1001);
    await expect(
      openSocket(`${stack.endpoints.websocket}?world=e2e&token=${token}`),
    ).rejects.toThrow();
    await stack.startGateway();
    const again = await openSocket(`${stack.endpoints.websocket}?world=e2e&token=${token}`);
    again.ws.send(JSON.stringify({ action: "query", id: "v", type: "verify" }));
    const verified = await until("the verify result", () =>
      again.frames.find((f) => (f as { id?: string }).id === "v"),
    );
    expect(verified).toMatchObject({ type: "result", query: "verify", data: { ok: true } });
    again.ws.close();
  }, 120_000);
});

describe("stopping ledgerquest dev's local stack", () => {
  it("says one line per service stopped, in the order that loses nothing, and nothing else", async () => {
    const from = lines.length;
    await stack.stop();
    expect(lines.slice(from)).toEqual([
      "stopped loop supervisor",
      "stopped Step Functions (every game loop's lap finished and committed)",
      "stopped dashboard",
      "stopped WebSocket API (every connection closed)",
      "stopped EventBridge",
      "stopped stream poller (its checkpoint saved)",
      "stopped identity provider",
      "stopped S3",
      "stopped DynamoDB Local (every acknowledged write committed)",
    ]);
    // A second stop (the test's own afterAll, a second Ctrl-C) has nothing left to stop.
    await stack.stop();
    expect(lines.length).toBe(from + 9);
  }, 60_000);
});
