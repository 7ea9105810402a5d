// What the DynamoDB inbox adds to the port's contract (which dynamodb-adapters.test.ts runs): how
// it stores commands. Submits that meet in one transaction share one inbox item, capped in bytes
// under DynamoDB's 400 KB, and inbox items written before groups existed read as before.
import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { auditKeys, type NewCommand, pad } from "@ledgerquest/runtime";
import { uniqueId } from "@ledgerquest/runtime/testing/entity-store";
import { beforeAll, describe, expect, it } from "vitest";
import {
  DynamoDbCommandInbox,
  GROUP_BYTES_MAX,
  GROUP_COMMANDS_MAX,
} from "../src/adapters/dynamodb-command-inbox.js";
import { ensureTables } from "../src/adapters/dynamodb-common.js";
import { dynamoDbLocal } from "./support/dynamodb-local.js";

const { client, doc, tables } = dynamoDbLocal("inbox-");
const inbox = new DynamoDbCommandInbox(doc, { tables });

beforeAll(async () => {
  await ensureTables(client, tables);
});

const cmd = (worldId: string, playerId: string, commandId: string, data: unknown = 1) =>
  ({
    worldId,
    shard: 0,
    playerId,
    commandId,
    type: "move",
    data,
    nowMs: 2000,
  }) as NewCommand;

async function inboxItems(worldId: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tables.auditLog,
        KeyConditionExpression: "pk = :pk AND sk < :w",
        ExpressionAttributeValues: { ":pk": auditKeys.inbox(worldId, 0), ":w": "~" },
        ExclusiveStartKey: start,
      }),
    );
    out.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return out;
}

describe("DynamoDB command inbox: storage", () => {
  it("submits that meet in one transaction share one inbox item, and a group holds no more than GROUP_COMMANDS_MAX", async () => {
    const w = uniqueId("w");
    await inbox.openWorld(w, 1, 1000);
    const n = GROUP_COMMANDS_MAX * 2 + 10;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => inbox.submit(cmd(w, `p${i % 50}`, `c${i}`))),
    );
    expect(results.every((r) => r.result === "accepted")).toBe(true);
    const items = await inboxItems(w);
    // Two transactions go at once, so the first two submits go alone; the rest wait and group.
    expect(items.length).toBeLessThanOrEqual(6);
    expect(items.length).toBeGreaterThanOrEqual(Math.ceil(n / GROUP_COMMANDS_MAX));
    for (const item of items) {
      expect(item.type).toBe("commands");
      expect((JSON.parse(String(item.commands)) as unknown[]).length).toBeLessThanOrEqual(
        GROUP_COMMANDS_MAX,
      );
    }
    expect(await inbox.read(w, 0, 0, Number.MAX_SAFE_INTEGER)).toHaveLength(n);
  });

  /** 120 commands of `pad` at once: all accepted, items under the cap, read back whole. */
  async function largeCommands(pad: string): Promise<void> {
    const w = uniqueId("w");
    await inbox.openWorld(w, 1, 1000);
    const data = (i: number) => ({ i, pad });
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) => inbox.submit(cmd(w, `p${i}`, `c${i}`, data(i)))),
    );
    expect(results.every((r) => r.result === "accepted")).toBe(true);
    const items = await inboxItems(w);
    expect(items.length).toBeGreaterThanOrEqual(4);
    for (const item of items)
      expect(Buffer.byteLength(String(item.commands))).toBeLessThanOrEqual(GROUP_BYTES_MAX);
    const read = await inbox.read(w, 0, 0, Number.MAX_SAFE_INTEGER);
    expect(read).toHaveLength(120);
    for (const c of read) expect(c.data).toEqual(data(Number(c.commandId.slice(1))));
  }

  it("groups of large commands are split to stay under the item size limit, and read back whole", async () => {
    // 120 commands of 7.5 KB each (a frame is at most 8 KB): 900 KB if they were one item.
    await largeCommands("x".repeat(7500));
  });

  it("counts a group's bytes in UTF-8, not in characters", async () => {
    // 2,500 characters of 3 bytes each: 7.5 KB a command, though its text is 2,500 long.
    await largeCommands("✓".repeat(2500));
  });

  it("reads inbox items written one command each (before groups) in order with groups", async () => {
    const w = uniqueId("w");
    await inbox.openWorld(w, 1, 1000);
    const accepted = await inbox.submit({ ...cmd(w, "p5", "new"), nowMs: 2000 });
    expect(accepted).toEqual({ result: "accepted", arrivedMs: 2000 });
    for (const [t, player, id] of [
      [2000, "p1", "old-a"],
      [2000, "p9", "old-b"],
      [1500, "p3", "old-c"],
    ] as const) {
      await doc.send(
        new PutCommand({
          TableName: tables.auditLog,
          Item: {
            pk: auditKeys.inbox(w, 0),
            sk: `${pad(t)}#${player}#${id}`,
            type: "command",
            arrivedMs: t,
            playerId: player,
            commandId: id,
            commandType: "move",
            data: JSON.stringify({ from: id }),
          },
        }),
      );
    }
    const read = await inbox.read(w, 0, 1000, 3000);
    expect(read.map((c) => `${c.arrivedMs}/${c.playerId}/${c.commandId}`)).toEqual([
      "1500/p3/old-c",
      "2000/p1/old-a",
      "2000/p5/new",
      "2000/p9/old-b",
    ]);
    expect(read[0]?.data).toEqual({ from: "old-c" });
    expect((await inbox.read(w, 0, 1000, 3000, 2)).map((c) => c.commandId)).toEqual([
      "old-c",
      "old-a",
    ]);
  });
});
