/**
 * The stream poller against DynamoDB Local's real Streams API: Lambda's event shape, starting
 * positions, order and batch sizes, checkpoints across restarts, partial batch failures, and the
 * project's real AuditLog handler verifying a ledger written by the real journal adapter.
 *
 * DynamoDB Local keeps one open shard per table and cannot be made to split or roll it over on
 * demand, so shard lineage (a parent read to its end before its children) and iterator expiry
 * are tested against a scripted Streams API instead.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from "@aws-sdk/client-dynamodb-streams";
import {
  auditProjectionKeys,
  createAuditStreamDeps,
  DynamoDbJournal,
  documentClient,
  ensureTables,
  processAuditStream,
  tableNames,
} from "@ledgerquest/aws";
import { Ledger } from "@ledgerquest/engine";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { localClientConfig } from "../src/clients.js";
import {
  type LambdaStreamEvent,
  type LambdaStreamRecord,
  type StreamPoller,
  StreamPollerError,
  type StreamPollerFailure,
  type StreamPollerOptions,
  startStreamPoller,
} from "../src/stream-poller.js";

const endpoint = inject("dynamodbEndpoint");
const clientConfig = localClientConfig(endpoint);
const dynamodb = new DynamoDBClient(clientConfig);
const streams = new DynamoDBStreamsClient(clientConfig);
const runId = randomUUID().slice(0, 8);

let folder: string;
let tableCount = 0;
const running: StreamPoller[] = [];
let failures: StreamPollerFailure[] = [];

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "lq-stream-poller-"));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
  failures = [];
});

/**
 * A fresh table with a NEW_AND_OLD_IMAGES stream: every test reads a stream of its own.
 * Alike: the table without a stream below, and usage.test.ts's (each the table its test needs).
 */
async function streamTable(): Promise<string> {
  const name = `poller-${runId}-${++tableCount}`;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      BillingMode: "PAY_PER_REQUEST",
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: name });
  return name;
}

async function put(table: string, ...keys: string[]): Promise<void> {
  for (const key of keys) {
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: key } } }));
  }
}

/** A handler that records each event it is given and answers with `respond`. */
class Recorder {
  readonly events: LambdaStreamEvent[] = [];
  constructor(
    private readonly respond: (event: LambdaStreamEvent, call: number) => unknown = () => ({
      batchItemFailures: [],
    }),
  ) {}

  readonly handler = async (event: LambdaStreamEvent): Promise<unknown> => {
    this.events.push(structuredClone(event));
    return this.respond(event, this.events.length);
  };

  get records(): LambdaStreamRecord[] {
    return this.events.flatMap((e) => e.Records);
  }

  /** The items' keys of each call. */
  get calls(): string[][] {
    return this.events.map((e) => e.Records.map(keyOf));
  }
}

function keyOf(record: LambdaStreamRecord): string {
  return record.dynamodb.Keys.pk?.S ?? "?";
}

async function start(
  options: Partial<StreamPollerOptions> & Pick<StreamPollerOptions, "tableName" | "handler">,
): Promise<StreamPoller> {
  const poller = await startStreamPoller({
    client: streams,
    dynamodb,
    pollIntervalMs: 20,
    onError: (failure) => failures.push(failure),
    ...options,
  });
  running.push(poller);
  return poller;
}

/** A poller of `tableName` that starts at the stream's oldest record. */
function pollFromStart(
  tableName: string,
  handler: StreamPollerOptions["handler"],
  options: Partial<StreamPollerOptions> = {},
): Promise<StreamPoller> {
  return start({ tableName, handler, startingPosition: "TRIM_HORIZON", ...options });
}

async function stop(poller: StreamPoller): Promise<void> {
  running.splice(running.indexOf(poller), 1);
  await poller.stop();
}

describe("the event Lambda delivers", () => {
  it("has Lambda's fields, in Lambda's order, with binary as base64 and times in epoch seconds", async () => {
    const table = await streamTable();
    const recorder = new Recorder();
    const poller = await start({ tableName: table, handler: recorder.handler });
    const before = Math.floor(Date.now() / 1000);
    await dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: "item-1" },
          n: { N: "1.50" },
          b: { B: new Uint8Array([0, 1, 254, 255]) },
          bs: { BS: [new Uint8Array([1]), new Uint8Array([2, 3])] },
          ss: { SS: ["a", "b"] },
          ns: { NS: ["1", "2"] },
          flag: { BOOL: true },
          nothing: { NULL: true },
          list: { L: [{ S: "x" }, { B: new Uint8Array([9]) }] },
          map: { M: { inner: { N: "7" }, bytes: { B: new Uint8Array([10]) } } },
        },
      }),
    );
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: "item-1" } },
        UpdateExpression: "SET n = :n",
        ExpressionAttributeValues: { ":n": { N: "2" } },
      }),
    );
    await dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: "item-1" } } }));
    await poller.waitForIdle();

    const [insert, modify, remove] = recorder.records;
    expect(recorder.records.map((r) => r.eventName)).toEqual(["INSERT", "MODIFY", "REMOVE"]);
    expect(insert).toEqual({
      eventID: expect.any(String),
      eventName: "INSERT",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      // The client's region, as Lambda reports the table's (DynamoDB Local says "ddblocal").
      awsRegion: clientConfig.region,
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: { pk: { S: "item-1" } },
        NewImage: {
          pk: { S: "item-1" },
          // DynamoDB keeps numbers in their canonical form.
          n: { N: "1.5" },
          b: { B: "AAH+/w==" },
          bs: { BS: ["AQ==", "AgM="] },
          ss: { SS: ["a", "b"] },
          ns: { NS: ["1", "2"] },
          flag: { BOOL: true },
          nothing: { NULL: true },
          list: { L: [{ S: "x" }, { B: "CQ==" }] },
          map: { M: { inner: { N: "7" }, bytes: { B: "Cg==" } } },
        },
        SequenceNumber: expect.stringMatching(/^\d+$/),
        SizeBytes: expect.any(Number),
        StreamViewType: "NEW_AND_OLD_IMAGES",
      },
      eventSourceARN: poller.streamArn,
    });
    expect(Object.keys(insert ?? {})).toEqual([
      "eventID",
      "eventName",
      "eventVersion",
      "eventSource",
      "awsRegion",
      "dynamodb",
      "eventSourceARN",
    ]);
    const created = insert?.dynamodb.ApproximateCreationDateTime ?? 0;
    expect(Number.isInteger(created)).toBe(true);
    // The stream rounds creation times down to the minute.
    expect(created).toBeGreaterThanOrEqual(before - 60);
    expect(created).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(modify?.dynamodb.OldImage?.n).toEqual({ N: "1.5" });
    expect(modify?.dynamodb.NewImage?.n).toEqual({ N: "2" });
    expect(remove?.dynamodb.NewImage).toBeUndefined();
    expect(remove?.dynamodb.OldImage?.pk).toEqual({ S: "item-1" });
    // Plain JSON, as Lambda's event is: nothing is lost in serialisation.
    expect(JSON.parse(JSON.stringify(recorder.events))).toEqual(recorder.events);
  });

  it("starts at LATEST by default and at TRIM_HORIZON when asked", async () => {
    const table = await streamTable();
    await put(table, "before-1", "before-2");
    const latest = new Recorder();
    const fromLatest = await start({ tableName: table, handler: latest.handler });
    await put(table, "after-1", "after-2");
    await fromLatest.waitForIdle();
    expect(latest.records.map(keyOf)).toEqual(["after-1", "after-2"]);

    const all = new Recorder();
    const fromStart = await pollFromStart(table, all.handler);
    await fromStart.waitForIdle();
    expect(all.records.map(keyOf)).toEqual(["before-1", "before-2", "after-1", "after-2"]);
  });

  it("delivers every record once, in order, in batches of at most batchSize", async () => {
    const table = await streamTable();
    const recorder = new Recorder();
    const poller = await start({ tableName: table, handler: recorder.handler, batchSize: 7 });
    const keys = Array.from({ length: 25 }, (_, i) => `k-${String(i).padStart(2, "0")}`);
    await put(table, ...keys);
    await poller.waitForIdle();
    expect(recorder.records.map(keyOf)).toEqual(keys);
    expect(recorder.events.every((e) => e.Records.length >= 1 && e.Records.length <= 7)).toBe(true);
    const sequence = recorder.records.map((r) => BigInt(r.dynamodb.SequenceNumber));
    expect(sequence.every((s, i) => i === 0 || s > (sequence[i - 1] as bigint))).toBe(true);
    expect(new Set(recorder.records.map((r) => r.eventID)).size).toBe(keys.length);
  });

  it("refuses bad options, a missing table and a table without a stream, saying what to do", async () => {
    const handler = () => undefined;
    await expect(start({ tableName: "no-such-table", handler })).rejects.toThrow(
      /table no-such-table does not exist: create it/,
    );
    const plain = `poller-${runId}-plain`;
    await dynamodb.send(
      new CreateTableCommand({
        TableName: plain,
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    await expect(start({ tableName: plain, handler })).rejects.toThrow(/has no stream/);
    const table = await streamTable();
    await expect(start({ tableName: table, handler, batchSize: 0 })).rejects.toThrow(
      /batchSize must be a whole number from 1 to 10000/,
    );
    await expect(start({ tableName: table, handler, maxRetries: -1 })).rejects.toBeInstanceOf(
      StreamPollerError,
    );
  });
});

describe("checkpoints", () => {
  it("a restarted poller continues where the last one stopped: nothing twice, nothing lost", async () => {
    const table = await streamTable();
    const checkpointFile = join(folder, `${table}.json`);
    const first = new Recorder();
    const a = await pollFromStart(table, first.handler, { checkpointFile });
    await put(table, "r1", "r2", "r3");
    await a.waitForIdle();
    await stop(a);
    await put(table, "r4", "r5");

    const saved = JSON.parse(await readFile(checkpointFile, "utf8")) as {
      streamArn: string;
      shards: Record<string, { sequenceNumber?: string }>;
    };
    expect(saved.streamArn).toBe(a.streamArn);
    expect(Object.values(saved.shards).map((s) => s.sequenceNumber)).toEqual([
      first.records.at(-1)?.dynamodb.SequenceNumber,
    ]);

    // The saved position wins over startingPosition, as a mapping's does once it exists.
    const second = new Recorder();
    const b = await pollFromStart(table, second.handler, { checkpointFile });
    await b.waitForIdle();
    expect(first.records.map(keyOf)).toEqual(["r1", "r2", "r3"]);
    expect(second.records.map(keyOf)).toEqual(["r4", "r5"]);
  });

  it("stop waits for the batch in flight and saves its checkpoint before it resolves", async () => {
    const table = await streamTable();
    const checkpointFile = join(folder, `${table}.json`);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const first = new Recorder(async () => {
      entered();
      await released;
      return {};
    });
    const a = await start({ tableName: table, handler: first.handler, checkpointFile });
    await put(table, "in-flight");
    await inHandler;
    let stopped = false;
    const stopping = stop(a).then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;

    await put(table, "next");
    const second = new Recorder();
    const b = await start({ tableName: table, handler: second.handler, checkpointFile });
    await b.waitForIdle();
    expect(first.records.map(keyOf)).toEqual(["in-flight"]);
    expect(second.records.map(keyOf)).toEqual(["next"]);
    await expect(b.waitForIdle()).resolves.toBeUndefined();
    await stop(b);
    await expect(b.waitForIdle()).rejects.toThrow(/is stopped: start a new one/);
  });

  it("LATEST is fixed when the poller first starts, so a restart misses nothing written while stopped", async () => {
    const table = await streamTable();
    await put(table, "old-1", "old-2");
    const checkpointFile = join(folder, `${table}.json`);
    const a = await start({ tableName: table, handler: () => undefined, checkpointFile });
    await a.waitForIdle();
    await stop(a);
    await put(table, "while-stopped");

    const recorder = new Recorder();
    const b = await start({ tableName: table, handler: recorder.handler, checkpointFile });
    await put(table, "after-restart");
    await b.waitForIdle();
    expect(recorder.records.map(keyOf)).toEqual(["while-stopped", "after-restart"]);
  });

  it("ignores a checkpoint of another stream and refuses a file that is not a checkpoint", async () => {
    const other = await streamTable();
    const table = await streamTable();
    const checkpointFile = join(folder, `${table}.json`);
    await put(other, "x");
    const a = await pollFromStart(other, () => undefined, { checkpointFile });
    await a.waitForIdle();
    await stop(a);
    await put(table, "y");
    // The file names `other`'s stream: for `table` it is as if there were none.
    const recorder = new Recorder();
    const b = await pollFromStart(table, recorder.handler, { checkpointFile });
    await b.waitForIdle();
    expect(recorder.records.map(keyOf)).toEqual(["y"]);
    await stop(b);

    await writeFile(checkpointFile, "{ not json");
    await expect(
      start({ tableName: table, handler: () => undefined, checkpointFile }),
    ).rejects.toThrow(/is not a stream poller checkpoint \(not JSON\); delete it/);
  });
});

describe("partial batch responses", () => {
  const failAt =
    (key: string, times: number) =>
    (event: LambdaStreamEvent): unknown => {
      const record = event.Records.find((r) => keyOf(r) === key);
      if (record === undefined || times-- <= 0) return { batchItemFailures: [] };
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb.SequenceNumber }] };
    };

  it("retries from the first failed record, not before it", async () => {
    const table = await streamTable();
    await put(table, "r1", "r2", "r3", "r4", "r5");
    const recorder = new Recorder(failAt("r3", 1));
    const poller = await pollFromStart(table, recorder.handler);
    await poller.waitForIdle();
    expect(recorder.calls).toEqual([
      ["r1", "r2", "r3", "r4", "r5"],
      ["r3", "r4", "r5"],
    ]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      kind: "handler_failed",
      streamArn: poller.streamArn,
      batch: {
        startSequenceNumber: recorder.records[2]?.dynamodb.SequenceNumber,
        endSequenceNumber: recorder.records[4]?.dynamodb.SequenceNumber,
        batchSize: 3,
        attempts: 1,
      },
    });
  });

  it("takes the lowest of several failed records", async () => {
    const table = await streamTable();
    await put(table, "r1", "r2", "r3", "r4");
    const recorder = new Recorder((event, call) =>
      call === 1
        ? {
            batchItemFailures: [3, 1].map((i) => ({
              itemIdentifier: event.Records[i]?.dynamodb.SequenceNumber,
            })),
          }
        : undefined,
    );
    const poller = await pollFromStart(table, recorder.handler);
    await poller.waitForIdle();
    expect(recorder.calls).toEqual([
      ["r1", "r2", "r3", "r4"],
      ["r2", "r3", "r4"],
    ]);
  });

  it("retries the whole batch after a thrown error or an identifier that is no record's", async () => {
    const table = await streamTable();
    await put(table, "r1", "r2");
    const recorder = new Recorder((_event, call) => {
      if (call === 1) throw new Error("DynamoDB is down");
      if (call === 2) return { batchItemFailures: [{ itemIdentifier: "not-a-sequence-number" }] };
      if (call === 3) return { batchItemFailures: [{ itemIdentifier: "" }] };
      return {};
    });
    const poller = await pollFromStart(table, recorder.handler);
    await poller.waitForIdle();
    expect(recorder.calls).toEqual([
      ["r1", "r2"],
      ["r1", "r2"],
      ["r1", "r2"],
      ["r1", "r2"],
    ]);
    expect(failures.map((f) => [f.kind, f.batch?.attempts])).toEqual([
      ["handler_failed", 1],
      ["handler_failed", 2],
      ["handler_failed", 3],
    ]);
    expect(failures[0]?.message).toMatch(/the handler threw Error: DynamoDB is down; retrying/);
    expect(failures[1]?.message).toMatch(/"not-a-sequence-number", which is no SequenceNumber/);
  });

  it("discards the batch after maxRetries, reports it as Lambda's on-failure destination would, and goes on", async () => {
    const table = await streamTable();
    await put(table, "r1", "r2", "r3");
    const recorder = new Recorder(failAt("r2", Number.POSITIVE_INFINITY));
    const checkpointFile = join(folder, `${table}.json`);
    const poller = await start({
      tableName: table,
      handler: recorder.handler,
      startingPosition: "TRIM_HORIZON",
      maxRetries: 2,
      checkpointFile,
    });
    await poller.waitForIdle();
    await put(table, "r4");
    await poller.waitForIdle();
    // The first failure and two retries: three invocations that fail at r2, then on.
    expect(recorder.calls).toEqual([["r1", "r2", "r3"], ["r2", "r3"], ["r2", "r3"], ["r4"]]);
    const discarded = failures.filter((f) => f.kind === "records_discarded");
    expect(discarded).toHaveLength(1);
    expect(discarded[0]?.batch).toMatchObject({ batchSize: 2, attempts: 3 });
    expect(discarded[0]?.batch?.records.map(keyOf)).toEqual(["r2", "r3"]);
    expect(discarded[0]?.message).toMatch(/discarded 2 records .* after 3 failed invocations/);

    // Discarded is done: a restart does not bring them back.
    await stop(poller);
    const again = new Recorder();
    const restarted = await start({ tableName: table, handler: again.handler, checkpointFile });
    await restarted.waitForIdle();
    expect(again.records).toEqual([]);
  });

  it("says what is still pending when it does not become idle in time", async () => {
    const table = await streamTable();
    await put(table, "stuck");
    const poller = await start({
      tableName: table,
      handler: () => {
        throw new Error("always");
      },
      startingPosition: "TRIM_HORIZON",
      maxRetries: Number.POSITIVE_INFINITY,
    });
    await expect(poller.waitForIdle({ timeoutMs: 300 })).rejects.toThrow(
      /still busy after 300 ms: shard .* is retrying from \d+/,
    );
  });
});

// ─── shard lineage, against a scripted Streams API ───────────────────────────────────────────

interface ScriptedShard {
  readonly id: string;
  readonly parent?: string;
  readonly records: StreamRecord[];
  closed: boolean;
}

/** Just enough of the Streams API to play out splits and roll-overs that DynamoDB Local won't. */
class ScriptedStreams {
  readonly shards: ScriptedShard[] = [];
  /** What was asked, in order: `iterator <shard>` and `records <shard>`. */
  readonly log: string[] = [];
  #next = 1;
  #failOnce = new Map<string, Error>();

  add(id: string, parent?: string): ScriptedShard {
    const shard: ScriptedShard = { id, records: [], closed: false, ...(parent ? { parent } : {}) };
    this.shards.push(shard);
    return shard;
  }

  write(shard: ScriptedShard, key: string): void {
    if (shard.closed) throw new Error(`${shard.id} is closed`);
    const sequenceNumber = String(this.#next++).padStart(21, "0");
    shard.records.push({
      eventID: randomUUID(),
      eventName: "INSERT",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: "ddblocal",
      dynamodb: {
        ApproximateCreationDateTime: new Date(),
        Keys: { pk: { S: key } },
        NewImage: { pk: { S: key } },
        SequenceNumber: sequenceNumber,
        SizeBytes: 8,
        StreamViewType: "NEW_IMAGE",
      },
    });
  }

  /** The next GetRecords on this shard fails with `error`. */
  failNextRead(shardId: string, error: Error): void {
    this.#failOnce.set(shardId, error);
  }

  client(): DynamoDBStreamsClient {
    const client = new DynamoDBStreamsClient(clientConfig);
    client.send = (async (command: unknown) => this.#answer(command)) as typeof client.send;
    return client;
  }

  #shard(id: string): ScriptedShard {
    const shard = this.shards.find((s) => s.id === id);
    if (shard === undefined) throw new Error(`no shard ${id}`);
    return shard;
  }

  async #answer(command: unknown): Promise<unknown> {
    if (command instanceof DescribeStreamCommand) {
      return {
        StreamDescription: {
          Shards: this.shards.map((s) => ({
            ShardId: s.id,
            ...(s.parent === undefined ? {} : { ParentShardId: s.parent }),
            SequenceNumberRange: {
              StartingSequenceNumber: s.records[0]?.dynamodb?.SequenceNumber,
              ...(s.closed
                ? { EndingSequenceNumber: s.records.at(-1)?.dynamodb?.SequenceNumber }
                : {}),
            },
          })),
        },
      };
    }
    if (command instanceof GetShardIteratorCommand) {
      const { ShardId, ShardIteratorType, SequenceNumber } = command.input;
      const shard = this.#shard(String(ShardId));
      this.log.push(`iterator ${shard.id}`);
      const at =
        ShardIteratorType === "AFTER_SEQUENCE_NUMBER"
          ? shard.records.findIndex((r) => r.dynamodb?.SequenceNumber === SequenceNumber) + 1
          : ShardIteratorType === "LATEST"
            ? shard.records.length
            : 0;
      return { ShardIterator: `${shard.id}|${at}` };
    }
    if (command instanceof GetRecordsCommand) {
      const [id, at] = String(command.input.ShardIterator).split("|");
      const shard = this.#shard(String(id));
      this.log.push(`records ${shard.id}`);
      const failure = this.#failOnce.get(shard.id);
      if (failure !== undefined) {
        this.#failOnce.delete(shard.id);
        throw failure;
      }
      const from = Number(at);
      const records = shard.records.slice(from, from + (command.input.Limit ?? 1000));
      const next = from + records.length;
      const ended = shard.closed && next >= shard.records.length;
      return { Records: records, ...(ended ? {} : { NextShardIterator: `${shard.id}|${next}` }) };
    }
    throw new Error(`the scripted Streams API does not answer ${String(command)}`);
  }
}

describe("filter criteria", () => {
  const journalOnly = { dynamodb: { Keys: { pk: { S: [{ prefix: "journal#" }] } } } };

  it("hands over only matching records, batches of them, and passes over stretches with none", async () => {
    const table = await streamTable();
    const recorder = new Recorder();
    const poller = await start({
      tableName: table,
      handler: recorder.handler,
      batchSize: 3,
      startingPosition: "TRIM_HORIZON",
      filters: [journalOnly, JSON.stringify({ dynamodb: { Keys: { pk: { S: ["exact"] } } } })],
    });
    await put(table, "inbox#1", "journal#1", "cmdid#1", "journal#2", "exact", "journal#3");
    await put(table, "journal#4", "inbox#2", "exactly-not");
    await poller.waitForIdle();
    // How the records split into batches depends on when the polls came; what they hold does not.
    expect(recorder.records.map(keyOf)).toEqual([
      "journal#1",
      "journal#2",
      "exact",
      "journal#3",
      "journal#4",
    ]);
    expect(recorder.events.every((e) => e.Records.length <= 3)).toBe(true);
    const calls = recorder.events.length;
    // Nothing to hand over: no invocation, and the position passes them (nothing is read twice).
    await put(table, "inbox#3", "inbox#4", "cmdid#2");
    await poller.waitForIdle();
    expect(recorder.events).toHaveLength(calls);
    await put(table, "journal#5");
    await poller.waitForIdle();
    expect(recorder.calls.at(-1)).toEqual(["journal#5"]);
    expect(failures).toEqual([]);
  });

  it("retries from the first failed record among the matching ones, the others passed over", async () => {
    const table = await streamTable();
    // Written before the poller starts, so one batch holds them all, whatever the timing.
    await put(table, "journal#1", "inbox#1", "journal#2", "inbox#2", "journal#3");
    let calls = 0;
    const recorder = new Recorder((event) => {
      calls++;
      const second = event.Records.find((r) => keyOf(r) === "journal#2");
      return calls === 1 && second !== undefined
        ? { batchItemFailures: [{ itemIdentifier: second.dynamodb.SequenceNumber }] }
        : { batchItemFailures: [] };
    });
    const poller = await start({
      tableName: table,
      handler: recorder.handler,
      startingPosition: "TRIM_HORIZON",
      filters: [journalOnly],
    });
    await poller.waitForIdle();
    expect(recorder.calls).toEqual([
      ["journal#1", "journal#2", "journal#3"],
      ["journal#2", "journal#3"],
    ]);
  });

  it("refuses a pattern the local stack does not emulate, naming it", async () => {
    const table = await streamTable();
    await expect(
      start({
        tableName: table,
        handler: () => undefined,
        filters: [{ dynamodb: { Keys: { pk: { N: [{ numeric: [">", 1] }] } } } }],
      }),
    ).rejects.toThrow(/"numeric" matcher is not emulated/);
  });
});

describe("shards", () => {
  it("reads a parent to its end before its children, follows new shards, and survives an expired iterator", async () => {
    const table = await streamTable();
    const script = new ScriptedStreams();
    const parent = script.add("shard-1");
    script.write(parent, "p1");
    script.write(parent, "p2");
    // A shard whose parent was trimmed long ago: read at once.
    const orphan = script.add("shard-0b", "shard-trimmed");
    script.write(orphan, "o1");
    const recorder = new Recorder();
    const checkpointFile = join(folder, `${table}-scripted.json`);
    const poller = await start({
      tableName: table,
      client: script.client(),
      handler: recorder.handler,
      startingPosition: "TRIM_HORIZON",
      checkpointFile,
    });
    await poller.waitForIdle();
    expect(recorder.calls).toEqual([["p1", "p2"], ["o1"]]);

    // The parent takes one more record and closes; two children take over (a split), one of
    // which already has a record before the poller reads the parent's last one.
    script.write(parent, "p3");
    parent.closed = true;
    const left = script.add("shard-2a", "shard-1");
    const right = script.add("shard-2b", "shard-1");
    script.write(left, "l1");
    script.write(right, "r1");
    script.write(left, "l2");
    // As an iterator held too long does.
    script.failNextRead(
      "shard-2a",
      new ExpiredIteratorException({ message: "Iterator expired", $metadata: {} }),
    );
    await poller.waitForIdle();

    const keys = recorder.records.map(keyOf);
    expect(keys.slice(0, 4)).toEqual(["p1", "p2", "o1", "p3"]);
    expect(keys.filter((k) => k.startsWith("l"))).toEqual(["l1", "l2"]);
    expect(keys.filter((k) => k.startsWith("r"))).toEqual(["r1"]);
    expect(keys).toHaveLength(7);
    // No child was opened before the parent's end had been read.
    const parentEnd = script.log.lastIndexOf("records shard-1");
    expect(script.log.indexOf("iterator shard-2a")).toBeGreaterThan(parentEnd);
    expect(script.log.indexOf("iterator shard-2b")).toBeGreaterThan(parentEnd);
    // The expired iterator was replaced from the checkpoint, quietly.
    expect(script.log.filter((l) => l === "iterator shard-2a").length).toBe(2);
    expect(failures).toEqual([]);

    await stop(poller);
    const saved = JSON.parse(await readFile(checkpointFile, "utf8")) as {
      shards: Record<string, { sequenceNumber?: string; finished?: boolean }>;
    };
    expect(saved.shards["shard-1"]).toEqual({ finished: true });
    expect(saved.shards["shard-2a"]?.sequenceNumber).toBe(
      left.records.at(-1)?.dynamodb?.SequenceNumber,
    );
  });

  it("reports a failed read and reads again at the next poll, losing nothing", async () => {
    const table = await streamTable();
    const script = new ScriptedStreams();
    const shard = script.add("shard-1");
    script.write(shard, "a");
    script.failNextRead("shard-1", new Error("connect ECONNREFUSED 127.0.0.1:8000"));
    const recorder = new Recorder();
    const poller = await start({
      tableName: table,
      client: script.client(),
      handler: recorder.handler,
      startingPosition: "TRIM_HORIZON",
    });
    await poller.waitForIdle();
    expect(recorder.calls).toEqual([["a"]]);
    expect(failures.map((f) => f.kind)).toEqual(["poll_failed"]);
    expect(failures[0]?.message).toMatch(
      /reading shard shard-1 failed \(Error: connect ECONNREFUSED .*\); trying again at the next poll/,
    );
  });

  it("with LATEST, skips closed shards and starts open ones at their tip", async () => {
    const table = await streamTable();
    const script = new ScriptedStreams();
    const old = script.add("shard-1");
    script.write(old, "old");
    old.closed = true;
    const current = script.add("shard-2", "shard-1");
    script.write(current, "current-before");
    const recorder = new Recorder();
    const poller = await start({
      tableName: table,
      client: script.client(),
      handler: recorder.handler,
    });
    script.write(current, "current-after");
    await poller.waitForIdle();
    expect(recorder.records.map(keyOf)).toEqual(["current-after"]);
  });
});

// ─── the real AuditLog handler ───────────────────────────────────────────────────────────────

describe("the AuditLog stream handler under the poller", () => {
  it("verifies worlds' ledger chains as the journal adapter writes them", async () => {
    const tables = tableNames(`poller-${runId}-audit-`);
    await ensureTables(dynamodb, tables);
    const deps = createAuditStreamDeps(tables, dynamodb);
    const journal = new DynamoDbJournal(documentClient(dynamodb), { tables });
    const poller = await start({
      tableName: tables.auditLog,
      // The handler's core, as the Lambda entry point calls it.
      handler: (event) => processAuditStream(deps, event),
      batchSize: 4,
    });

    const chainOf = async (worldId: string) => {
      const item = (
        await dynamodb.send(
          new GetItemCommand({
            TableName: tables.entityTable,
            Key: { entity_id: { S: auditProjectionKeys.chain(worldId) } },
            ConsistentRead: true,
          }),
        )
      ).Item;
      return { seq: Number(item?.seq?.N), hash: item?.hash?.S, broken: item?.brokenSeq?.N };
    };

    // xp rather than gold: the leaderboard would wait for world commits this test does not write.
    const worlds = ["w-a", "w-b"].map((name) => ({
      worldId: `${name}-${runId}`,
      ledger: new Ledger(["xp"]),
      written: 0,
    }));
    const append = async (w: (typeof worlds)[number], batch: number) => {
      const entries = w.ledger.entriesSince(w.written);
      await journal.appendEntries(w.worldId, entries, `batch-${batch}`);
      w.written = w.ledger.size;
    };
    for (const w of worlds) {
      for (const owner of ["alice", "bob"]) {
        w.ledger.openAccount({ id: `${owner}:xp`, owner, unit: "xp" });
      }
    }
    let transfer = 0;
    const grant = (w: (typeof worlds)[number], owner: string, amount: number) => {
      expect(
        w.ledger.transfer({
          id: `t-${++transfer}`,
          debit: "mint:xp",
          credit: `${owner}:xp`,
          amount,
          unit: "xp",
          reason: "quest",
          tick: transfer,
        }),
      ).toBe("created");
    };
    for (const [i, w] of worlds.entries()) {
      grant(w, "alice", 10 + i);
      await append(w, 1);
    }
    await poller.waitForIdle();
    for (const w of worlds) {
      expect(await chainOf(w.worldId)).toEqual({
        seq: w.ledger.size - 1,
        hash: w.ledger.digest().head,
        broken: undefined,
      });
    }

    // The chain head follows the journal as it grows, batch after batch.
    const [first] = worlds;
    if (first === undefined) throw new Error("no world");
    for (let batch = 2; batch <= 4; batch++) {
      grant(first, "bob", batch);
      grant(first, "alice", batch);
      await append(first, batch);
    }
    await poller.waitForIdle();
    expect(await chainOf(first.worldId)).toEqual({
      seq: first.ledger.size - 1,
      hash: first.ledger.digest().head,
      broken: undefined,
    });
    expect(failures).toEqual([]);
  });
});
