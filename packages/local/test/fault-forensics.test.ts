// What the fault suite says of a lost command (`explainLost`), read from DynamoDB Local through
// the real adapters: a command that was placed is found by its claim and its group's item, one
// never placed has no claim. A fault run that loses a command prints these lines; they must name
// the right items, or the next such failure explains nothing.
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDbCommandInbox,
  DynamoDbEntityStore,
  DynamoDbJournal,
  documentClient,
  ensureTables,
  tableNames,
} from "@ledgerquest/aws";
import { pad } from "@ledgerquest/runtime";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { localClientConfig } from "../src/clients.js";
import { explainLost } from "../src/faults/index.js";

const endpoint = inject("dynamodbEndpoint");
const client = new DynamoDBClient(localClientConfig(endpoint));
const doc = documentClient(client);
const tables = tableNames(`forensics-${randomUUID().slice(0, 8)}-`);

// Alike: aws's test/handlers.test.ts setup (tables made once per file, mocks restored), in shape.
beforeAll(async () => {
  await ensureTables(client, tables);
});

afterAll(() => {
  client.destroy();
});

describe("explainLost", () => {
  it("names a placed command's claim and item, and a missing one's absent claim", async () => {
    const inbox = new DynamoDbCommandInbox(doc, { tables });
    const deps = {
      inbox,
      store: new DynamoDbEntityStore(doc, { tables }),
      journal: new DynamoDbJournal(doc, { tables }),
    };
    const worldId = `w-${randomUUID().slice(0, 8)}`;
    await inbox.openWorld(worldId, 1, 1000);
    const placed = await inbox.submit({
      worldId,
      shard: 0,
      playerId: "p1",
      commandId: "c1",
      type: "move",
      data: { dx: 1, dy: 0 },
      nowMs: 5000,
    });
    expect(placed).toEqual({ result: "accepted", arrivedMs: 5000 });
    await inbox.close(worldId, 0, 6000);

    const env = { LQ_AUDIT_TABLE: tables.auditLog, AWS_ENDPOINT_URL_DYNAMODB: endpoint };
    const lines = await explainLost(env, deps, worldId, ["p1/c1", "p1/c2"]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("p1/c1: shard 0; claim placed at 5000");
    expect(lines[0]).toContain(`inbox items at that time: 1, holding it: ${pad(5000)}#p1#c1`);
    expect(lines[0]).toContain("drains near it: none");
    expect(lines[0]).toContain("watermark 6000");
    expect(lines[1]).toContain("p1/c2: shard 0; claim absent; watermark 6000");
    expect(await explainLost(env, deps, worldId, [])).toEqual([]);
  });
});
