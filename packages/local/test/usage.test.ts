// The usage meter: its counts and clocks on a manual clock, its DynamoDB units against DynamoDB
// Local (reported where DynamoDB Local follows AWS's rules, computed where it does not), its
// file, and the local stack counting a real run: a world's loop, a player's socket, commands.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { arenaModule } from "@ledgerquest/example-arena";
import { getState } from "@ledgerquest/runtime";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { localClientConfig } from "../src/clients.js";
import type { LocalStack } from "../src/dev.js";
import {
  billedUnits,
  currentInvocation,
  type RunSettings,
  readUsageFile,
  UsageFileError,
  UsageMeter,
  type UsageSnapshot,
  writeUsageFile,
} from "../src/usage.js";
import {
  attributeValueBytes,
  computedWriteUnits,
  installDynamoDbMeter,
  itemBytes,
} from "../src/usage-dynamodb.js";
import { startArena, startWorld } from "./support/stack.js";
import { openSocket, until } from "./support/wait.js";

const SETTINGS: RunSettings = {
  game: "arena@1",
  tickMs: 1000 / 60,
  ticksPerLap: 15,
  waitSeconds: 0,
  pace: "realtime",
  supervisorEverySeconds: 10,
};

/** A meter on clocks the test moves by hand. */
function manualMeter() {
  const clock = { nowMs: 1_000_000, elapsedMs: 0 };
  const meter = new UsageMeter({
    settings: SETTINGS,
    nowMs: () => clock.nowMs,
    elapsedMs: () => clock.elapsedMs,
  });
  return { clock, meter };
}

describe("UsageMeter", () => {
  it("bills each invocation its duration rounded up to the millisecond, returned or thrown", async () => {
    const { clock, meter } = manualMeter();
    await meter.invoke("command", async () => {
      clock.elapsedMs += 12.2;
    });
    await expect(
      meter.invoke("command", async () => {
        clock.elapsedMs += 0.3;
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(meter.snapshot().lambda.command).toEqual({
      invocations: 2,
      errors: 1,
      billedMs: 13 + 1,
    });
  });

  it("tells code inside an invocation which function it runs in, and nobody outside", async () => {
    const { meter } = manualMeter();
    expect(currentInvocation()).toBeUndefined();
    const seen = await meter.invoke("tick", async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentInvocation()?.functionName;
    });
    expect(seen).toBe("tick");
    expect(currentInvocation()).toBeUndefined();
  });

  it("counts a world's time as the union of its running executions, and its ticks lap by lap", () => {
    const { clock, meter } = manualMeter();
    const input = JSON.stringify({ worldId: "w1", iteration: 0 });
    meter.executionStarted("GameLoop", "arn:1", input);
    clock.nowMs += 10_000;
    // A continue-as-new overlaps its predecessor for a moment: still one world running.
    meter.executionStarted("GameLoop", "arn:2", input);
    clock.nowMs += 1_000;
    meter.executionClosed("arn:1");
    clock.nowMs += 4_000;
    meter.executionClosed("arn:2");
    clock.nowMs += 5_000;
    // An execution without a world (a test's) counts as an execution, not as world time.
    meter.executionStarted("GameLoop", "arn:3", "{}");
    meter.worldTicked("w1", 100);
    meter.worldTicked("w1", 115);
    meter.worldTicked("w1", 130);
    meter.stateTransition("GameLoop");
    const s = meter.snapshot();
    expect(s.worlds).toEqual({ w1: { seconds: 15, ticks: 30 } });
    expect(s.worldSeconds).toBe(15);
    expect(s.ticks).toBe(30);
    expect(s.stateMachines).toEqual({ GameLoop: { transitions: 1, executions: 3 } });
    expect(s.wallSeconds).toBe(20);
  });

  it("bills messages in 32 KB units, events in 64 KB chunks, and connections by the second", () => {
    const { clock, meter } = manualMeter();
    meter.webSocketMessage("in", 100);
    meter.webSocketMessage("push", 32 * 1024);
    meter.webSocketMessage("push", 32 * 1024 + 1);
    meter.webSocketMessage("reply", 0);
    meter.eventPut("Tick Batch Committed", 64 * 1024 + 1);
    meter.connectionOpened("c1");
    clock.nowMs += 90_000;
    meter.connectionOpened("c2");
    clock.nowMs += 30_000;
    meter.connectionClosed("c1");
    meter.connectionClosed("c1");
    clock.nowMs += 30_000;
    const s = meter.snapshot();
    expect(s.webSocket.in).toEqual({ messages: 1, units: 1, bytes: 100 });
    expect(s.webSocket.pushes).toEqual({ messages: 2, units: 3, bytes: 64 * 1024 + 1 });
    expect(s.webSocket.replies.units).toBe(1);
    // c1 open 120 s, c2 still open after 60 s.
    expect(s.webSocket.connections).toBe(2);
    expect(s.webSocket.connectionSeconds).toBe(180);
    expect(s.eventBridge).toEqual({
      "Tick Batch Committed": { entries: 1, chunks: 2, bytes: 64 * 1024 + 1 },
    });
    expect(billedUnits(1, 1024)).toBe(1);
    expect(billedUnits(2048, 1024)).toBe(2);
  });
});

describe("the usage file", () => {
  const folder = mkdtempSync(join(tmpdir(), "lq-usage-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("round-trips a snapshot", () => {
    const { meter } = manualMeter();
    meter.dynamoDb("tick", "EntityTable:world", {
      readUnits: 1,
      writeUnits: 70,
      computed: false,
      failed: false,
    });
    const file = join(folder, "usage.json");
    writeUsageFile(file, meter.snapshot());
    const read: UsageSnapshot = readUsageFile(file);
    expect(read).toEqual(meter.snapshot());
    expect(read.dynamodb.tick?.["EntityTable:world"]?.writeUnits).toBe(70);
  });

  it("says how to get one when there is none, and refuses another format", () => {
    const missing = join(folder, "none.json");
    expect(() => readUsageFile(missing)).toThrow(UsageFileError);
    expect(() => readUsageFile(missing)).toThrow(/no usage recorded yet.*ledgerquest dev/);
    const other = join(folder, "other.json");
    writeFileSync(other, JSON.stringify({ format: "something-else/9" }));
    expect(() => readUsageFile(other)).toThrow(/format: must be "ledgerquest-usage\/1"/);
    const broken = join(folder, "broken.json");
    const { meter } = manualMeter();
    writeFileSync(broken, JSON.stringify({ ...meter.snapshot(), worldSeconds: -1 }));
    expect(() => readUsageFile(broken)).toThrow(/worldSeconds: must be a number, at least 0/);
  });
});

describe("DynamoDB units", () => {
  it("sizes attribute values as DynamoDB bills them", () => {
    // A map: 3 + (name a: 1 + number 123 (2 digits' pair + 1) + 1) + (name b: 1 + list + 1).
    // The list: 3 + (1 + true 1) + (1 + "xy" 2) = 8.
    expect(
      attributeValueBytes({ M: { a: { N: "123" }, b: { L: [{ BOOL: true }, { S: "xy" }] } } }),
    ).toBe(3 + (1 + 3 + 1) + (1 + 8 + 1));
    expect(itemBytes({ entity_id: { S: "world#a" }, n: { N: "-0.0050" } })).toBe(9 + 7 + 1 + 2);
    expect(itemBytes({ b: { B: new Uint8Array(10) } })).toBe(11);
  });

  it("prices a transaction at 2 units per KB of each item, a condition check as a write of its key", () => {
    const units = computedWriteUnits("TransactWriteItems", {
      TransactItems: [
        { Put: { TableName: "T", Item: { pk: { S: "a" }, v: { S: "x".repeat(2000) } } } },
        { ConditionCheck: { TableName: "T", Key: { pk: { S: "b" } } } },
        {
          Update: {
            TableName: "T",
            Key: { pk: { S: "c" } },
            ExpressionAttributeValues: { ":u": { N: "5" } },
          },
        },
      ],
    });
    expect(units).toBe(2 * 2 + 2 * 1 + 2 * 1);
  });

  describe("against DynamoDB Local", () => {
    const client = new DynamoDBClient(localClientConfig(inject("dynamodbEndpoint")));
    const table = `usage-${randomUUID().slice(0, 8)}`;
    const big = { S: "x".repeat(3000) };
    const put = (item: Record<string, { S: string }>, more: object = {}) =>
      client.send(new PutItemCommand({ TableName: table, Item: item, ...more }));

    beforeAll(async () => {
      await client.send(
        new CreateTableCommand({
          TableName: table,
          AttributeDefinitions: [{ AttributeName: "entity_id", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "entity_id", KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
      installDynamoDbMeter();
    });

    it("counts a handler's requests by function and kind of item, and nobody else's", async () => {
      const { meter } = manualMeter();
      // Outside an invocation: the local stack's own reads and tools are not a function's bill.
      await put({ entity_id: { S: "world#outside" }, v: big });
      const written = await meter.invoke("tick", async () => {
        // 9 + 7 + 1 + 3000 = 3,017 bytes: 3 write units, as DynamoDB Local reports them.
        const out = await put({ entity_id: { S: "world#a" }, v: big });
        await client.send(
          new GetItemCommand({
            TableName: table,
            Key: { entity_id: { S: "world#a" } },
            ConsistentRead: true,
          }),
        );
        // Nothing found: DynamoDB Local says 0, AWS bills half a unit (eventually consistent).
        await client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: "#id = :id",
            ExpressionAttributeNames: { "#id": "entity_id" },
            ExpressionAttributeValues: { ":id": { S: "world#none" } },
          }),
        );
        // 3,018 bytes (3 KB) and 17 bytes (1 KB), transactional: 2 x 3 + 2 x 1, by the rules.
        await client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: table, Item: { entity_id: { S: "player#a" }, v: big } } },
              { Put: { TableName: table, Item: { entity_id: { S: "player#b" } } } },
            ],
          }),
        );
        // A failed condition is billed as the write it would have been: 16 bytes, 1 unit.
        await expect(
          put(
            { entity_id: { S: "world#a" } },
            { ConditionExpression: "attribute_not_exists(entity_id)" },
          ),
        ).rejects.toThrow();
        return out;
      });
      // The meter asked for the capacity; the caller, who had not, does not see it.
      expect(written.ConsumedCapacity).toBeUndefined();
      const asked = await meter.invoke("command", () =>
        put({ entity_id: { S: "conn#c1" } }, { ReturnConsumedCapacity: "TOTAL" }),
      );
      expect(asked.ConsumedCapacity?.CapacityUnits).toBe(1);

      const s = meter.snapshot();
      expect(Object.keys(s.dynamodb).sort()).toEqual(["command", "tick"]);
      expect(s.dynamodb.tick).toEqual({
        "EntityTable:world": {
          requests: 4,
          readUnits: 1 + 0.5,
          writeUnits: 3 + 1,
          computed: 2,
          failed: 1,
        },
        "EntityTable:player": { requests: 1, readUnits: 0, writeUnits: 8, computed: 1, failed: 0 },
      });
      expect(s.dynamodb.command).toEqual({
        "EntityTable:conn": { requests: 1, readUnits: 0, writeUnits: 1, computed: 0, failed: 0 },
      });
    });
  });
});

describe("the local stack's meter", () => {
  let stack: LocalStack;
  let final: UsageSnapshot;

  beforeAll(async () => {
    stack = await startArena({ ticksPerBatch: 15, pace: true });
    // Alike: dev-restart.test.ts's start (a world, then a wait for its laps).
    const deps = await startWorld(stack, {
      worldId: "usage",
      players: ["player_0001"],
      settings: { bodies: 20, bots: 2, coins: 20 },
    });
    await until(
      "the first lap",
      async () => ((await getState(deps, { worldId: "usage" }))?.version ?? 0) >= 1 || undefined,
    );
    const token = await stack.token("player_0001");
    const { ws, frames } = await openSocket(
      `${stack.endpoints.websocket}?world=usage&token=${token}`,
    );
    ws.send(JSON.stringify({ action: "command", id: "u-1", type: "move", data: { dx: 1, dy: 0 } }));
    await until("the command's ack and a push", () => (frames.length >= 2 ? true : undefined));
    await until("three more laps", () =>
      (stack.usage().lambda.tick?.invocations ?? 0) >= 5 ? true : undefined,
    );
    ws.close();
    await until("the disconnect", () =>
      (stack.usage().lambda.disconnect?.invocations ?? 0) >= 1 ? true : undefined,
    );
    await stack.stop();
    final = stack.usage();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it("records the run's settings and the world's time and ticks", () => {
    expect(final.settings).toEqual({
      game: arenaModule.name,
      tickMs: arenaModule.describe?.().tickMs ?? 1000 / 60,
      ticksPerLap: 15,
      waitSeconds: 0,
      pace: "realtime",
      supervisorEverySeconds: 10,
    });
    expect(final.worlds.usage?.seconds).toBeGreaterThan(0);
    expect(final.worlds.usage?.ticks).toBeGreaterThanOrEqual(15);
    expect(final.worldSeconds).toBeLessThanOrEqual(final.wallSeconds);
  });

  it("counts the game loop's transitions: 4 a lap (Tick, Count, Continue?, Wait)", () => {
    const laps = final.lambda.tick?.invocations ?? 0;
    const transitions = final.stateMachines.GameLoop?.transitions ?? 0;
    expect(laps).toBeGreaterThanOrEqual(5);
    expect(transitions).toBeGreaterThanOrEqual(4 * (laps - 1));
    expect(transitions).toBeLessThanOrEqual(4 * laps + 4 + 2 * (final.lambda.tick?.errors ?? 0));
  });

  it("counts each handler as a Lambda invocation", () => {
    expect(final.lambda.authorizer?.invocations).toBe(1);
    expect(final.lambda.connect?.invocations).toBe(1);
    expect(final.lambda.disconnect?.invocations).toBe(1);
    expect(final.lambda.command?.invocations).toBe(1);
    expect(final.lambda.supervisor?.invocations).toBeGreaterThanOrEqual(1);
    for (const t of Object.values(final.lambda)) {
      expect(t.billedMs).toBeGreaterThanOrEqual(t.invocations);
    }
  });

  it("meters each function's DynamoDB units on the items it touches, the test's own not at all", () => {
    const tick = final.dynamodb.tick ?? {};
    expect(tick["EntityTable:world"]?.writeUnits).toBeGreaterThan(0);
    expect(tick["EntityTable:world"]?.readUnits).toBeGreaterThan(0);
    expect(tick["AuditLog:batch"]?.writeUnits).toBeGreaterThan(0);
    // The submit is a transaction: priced by the rules.
    const inbox = final.dynamodb.command?.["AuditLog:inbox"];
    expect(inbox?.writeUnits).toBeGreaterThanOrEqual(2);
    expect(inbox?.computed).toBeGreaterThanOrEqual(1);
    // $connect opens the connection in a transaction with the player's presence.
    expect(final.dynamodb.connect?.["EntityTable:presence"]?.writeUnits).toBeGreaterThan(0);
    // createWorld and getState ran outside any invocation.
    expect(Object.keys(final.dynamodb).every((fn) => fn in final.lambda)).toBe(true);
  });

  it("counts the bus's events and the socket's messages and time", () => {
    expect(final.eventBridge["Tick Batch Committed"]?.entries).toBeGreaterThanOrEqual(1);
    expect(final.eventBridge["World Activated"]?.entries).toBe(1);
    expect(final.webSocket.in.messages).toBe(1);
    expect(final.webSocket.replies.messages).toBeGreaterThanOrEqual(1);
    expect(final.webSocket.pushes.messages).toBeGreaterThanOrEqual(1);
    expect(final.webSocket.pushes.units).toBeGreaterThanOrEqual(final.webSocket.pushes.messages);
    expect(final.webSocket.connections).toBe(1);
    expect(final.webSocket.connectionSeconds).toBeGreaterThan(0);
  });
});
