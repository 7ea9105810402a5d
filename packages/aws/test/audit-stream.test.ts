/**
 * The AuditLog stream handler against DynamoDB Local and its REAL stream: journal entries are
 * appended with the DynamoDB journal adapter, the records are read back with
 * `@aws-sdk/client-dynamodb-streams` (DescribeStream, GetShardIterator, GetRecords) and turned
 * into the event Lambda delivers (the same records, with binary values as base64 and the creation
 * time in epoch seconds), then handed to the handler. Breaks are announced through the real
 * EventBridge publisher and SDK client to the local EventBridge of @ledgerquest/emulators, which
 * keeps what it accepts.
 *
 * Tests here are alike in their steps (write, read the stream, process, check metrics and logs):
 * each written out for the case it is about.
 */
import { randomUUID } from "node:crypto";
import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type AttributeValue as StreamAttributeValue,
  type _Record as StreamRecord,
} from "@aws-sdk/client-dynamodb-streams";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { DeleteCommand, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  type AcceptedEvent,
  type RunningLocalEventBridge,
  startLocalEventBridge,
} from "@ledgerquest/emulators";
import { ServiceTap } from "@ledgerquest/emulators/protocol";
import {
  fromHex,
  hashTransfer,
  type JournalEntry,
  Ledger,
  type TransferEntry,
  toHex,
} from "@ledgerquest/engine";
import {
  accountBalances,
  auditKeys,
  type Journal,
  type PlayerRecord,
  StoreUnavailableError,
  type WorldRecord,
} from "@ledgerquest/runtime";
import type {
  Context,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  AttributeValue as LambdaAttributeValue,
} from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
// The engine's entry encoding, to forge an entry as an attacker who knows it would.
import { ensureTables } from "../src/adapters/dynamodb-common.js";
import { EventBridgePublisher } from "../src/adapters/eventbridge-publisher.js";
import {
  type AuditStreamDeps,
  auditProjectionKeys,
  createAuditStreamDeps,
  handler,
  LEADERBOARD_SIZE,
  type LeaderboardRow,
  mergeLeaderboard,
  processAuditStream,
} from "../src/handlers/audit-stream.js";
import { logger, MetricName, metrics } from "../src/observability.js";
import { dynamoDbEndpoint, dynamoDbLocal, localClientConfig } from "./support/dynamodb-local.js";

const clientConfig = localClientConfig();
/** `doc` reads and rewrites items as a test (or an attacker) would, beside the handler. */
const { client, doc, tables } = dynamoDbLocal("audit-");
const streams = new DynamoDBStreamsClient(clientConfig);

// ─── the stream, as Lambda delivers it ───────────────────────────────────────────────────────

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

/** An attribute value as Lambda's JSON event carries it (binary as base64 text). */
function toLambdaAttribute(value: StreamAttributeValue): LambdaAttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttribute) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  throw new Error(`unexpected attribute value ${JSON.stringify(value)}`);
}

function toLambdaImage(
  image: Record<string, StreamAttributeValue> | undefined,
): Record<string, LambdaAttributeValue> {
  const out: Record<string, LambdaAttributeValue> = {};
  for (const [name, value] of Object.entries(image ?? {})) out[name] = toLambdaAttribute(value);
  return out;
}

function toLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const r = record.dynamodb;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? "1.1",
    eventSource: record.eventSource ?? "aws:dynamodb",
    awsRegion: record.awsRegion ?? "us-east-1",
    eventSourceARN: streamArn,
    dynamodb: {
      ...(r?.ApproximateCreationDateTime === undefined
        ? {}
        : {
            ApproximateCreationDateTime: Math.floor(r.ApproximateCreationDateTime.getTime() / 1000),
          }),
      Keys: toLambdaImage(r?.Keys),
      ...(r?.NewImage === undefined ? {} : { NewImage: toLambdaImage(r.NewImage) }),
      ...(r?.SequenceNumber === undefined ? {} : { SequenceNumber: r.SequenceNumber }),
      ...(r?.SizeBytes === undefined ? {} : { SizeBytes: r.SizeBytes }),
      ...(r?.StreamViewType === undefined ? {} : { StreamViewType: r.StreamViewType }),
    },
  };
}

/** Reads the AuditLog's stream from its start; each `read` returns the records since the last. */
class StreamTail {
  readonly #iterators = new Map<string, string | undefined>();

  private constructor(readonly streamArn: string) {}

  static async of(tableName: string): Promise<StreamTail> {
    const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const arn = table.Table?.LatestStreamArn;
    if (arn === undefined) throw new Error(`${tableName} has no stream`);
    return new StreamTail(arn);
  }

  async read(): Promise<DynamoDBRecord[]> {
    const described = await streams.send(new DescribeStreamCommand({ StreamArn: this.streamArn }));
    for (const shard of described.StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId;
      if (shardId === undefined || this.#iterators.has(shardId)) continue;
      const it = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamArn,
          ShardId: shardId,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      );
      this.#iterators.set(shardId, it.ShardIterator);
    }
    const out: DynamoDBRecord[] = [];
    for (const [shardId, start] of this.#iterators) {
      let iterator = start;
      while (iterator !== undefined) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        const records = page.Records ?? [];
        for (const record of records) out.push(toLambdaRecord(record, this.streamArn));
        iterator = page.NextShardIterator;
        if (records.length === 0) break;
      }
      this.#iterators.set(shardId, iterator);
    }
    return out;
  }
}

/** The records of one world's journal (the stream holds inboxes, batches and other worlds too). */
function journalRecordsOf(records: readonly DynamoDBRecord[], worldId: string): DynamoDBRecord[] {
  return records.filter((r) => r.dynamodb?.Keys?.pk?.S?.startsWith(`journal#${worldId}#`));
}

function seqOf(record: DynamoDBRecord): number {
  return Number(record.dynamodb?.Keys?.sk?.S);
}

const event = (records: readonly DynamoDBRecord[]): DynamoDBStreamEvent => ({
  Records: [...records],
});

// ─── a world whose journal and projections the test writes ───────────────────────────────────

const GOLD = "gold";

/**
 * A world's ledger, written as a tick batch writes it: journal entries first, then the balance and
 * player projections, then the world item's commit (its ledger count).
 */
class TestWorld {
  readonly ledger = new Ledger([GOLD]);
  readonly worldId = `w-${randomUUID().slice(0, 8)}`;
  version = 0;
  #written = 0;
  #transfers = 0;

  constructor(
    readonly deps: AuditStreamDeps,
    readonly players: readonly string[],
  ) {}

  /** Opens the wallets (players' and a bot's, which is no player) and commits version 0. */
  async create(): Promise<void> {
    for (const owner of [...this.players, "bot_001"]) {
      this.ledger.openAccount({
        id: `${owner}:${GOLD}`,
        owner,
        unit: GOLD,
        flags: { debitsMustNotExceedCredits: true },
      });
    }
    await this.append();
    await this.deps.store.createWorld(this.worldRecord());
    await this.project();
  }

  /** Journals transfers of gold: positive amounts from the mint, negative ones to the sink. */
  async pay(amounts: Readonly<Record<string, number>>): Promise<void> {
    for (const [owner, amount] of Object.entries(amounts)) {
      const wallet = `${owner}:${GOLD}`;
      const result = this.ledger.transfer({
        id: `t-${++this.#transfers}`,
        debit: amount > 0 ? `mint:${GOLD}` : wallet,
        credit: amount > 0 ? wallet : `sink:${GOLD}`,
        amount: Math.abs(amount),
        unit: GOLD,
        reason: amount > 0 ? "pickup" : "shop.buy",
        tick: this.#transfers,
      });
      expect(result).toBe("created");
    }
    await this.append();
  }

  async append(): Promise<readonly JournalEntry[]> {
    const entries = this.ledger.entriesSince(this.#written);
    await this.deps.journal.appendEntries(this.worldId, entries, `batch-${this.version + 1}`);
    this.#written = this.ledger.size;
    return entries;
  }

  /** Writes the projections and commits the world at the next version. */
  async commit(): Promise<void> {
    const previous = this.worldRecord();
    this.version++;
    await this.project();
    expect(await this.deps.store.commitWorld(this.worldRecord(), previous.version)).toBe(
      "committed",
    );
  }

  async project(): Promise<void> {
    const players: PlayerRecord[] = this.players.map((playerId) => ({
      playerId,
      worldId: this.worldId,
      xp: 0,
      level: 1,
      balances: { [GOLD]: this.gold(playerId) },
      quests: {},
    }));
    await this.deps.store.putProjections(
      this.worldId,
      this.version,
      accountBalances(
        this.ledger,
        this.ledger.listAccounts().map((a) => a.id),
      ),
      players,
    );
  }

  gold(owner: string): number {
    return this.ledger.balance(`${owner}:${GOLD}`)?.balance ?? 0;
  }

  worldRecord(): WorldRecord {
    const digest = this.ledger.digest();
    return {
      worldId: this.worldId,
      rules: "test@1",
      fingerprint: "00",
      version: this.version,
      tick: this.#transfers,
      state: { kind: "inline", bytes: new Uint8Array([0]), sha256: "00" },
      cursors: [0],
      ledger: { count: digest.count, head: digest.head, root: digest.root },
      stateHash: "00",
      active: true,
      lastBatchToken: `batch-${this.version}`,
      updatedAtMs: 0,
    };
  }
}

async function chainOf(worldId: string) {
  return (
    await doc.send(
      new GetCommand({
        TableName: tables.entityTable,
        Key: { entity_id: auditProjectionKeys.chain(worldId) },
        ConsistentRead: true,
      }),
    )
  ).Item;
}

async function leaderboardOf(worldId: string) {
  return (
    await doc.send(
      new GetCommand({
        TableName: tables.entityTable,
        Key: { entity_id: auditProjectionKeys.leaderboard(worldId) },
        ConsistentRead: true,
      }),
    )
  ).Item as { rev: number; rows: LeaderboardRow[] } | undefined;
}

/** Rewrites a journal item in place with `change` applied to its entry (as an attacker would). */
async function tamper(
  worldId: string,
  seq: number,
  change: (entry: Record<string, unknown>) => void,
): Promise<void> {
  const key = auditKeys.journal(worldId, seq);
  const item = (
    await doc.send(new GetCommand({ TableName: tables.auditLog, Key: key, ConsistentRead: true }))
  ).Item;
  if (item === undefined) throw new Error(`no journal entry ${seq}`);
  const entry = JSON.parse(String(item.entry)) as Record<string, unknown>;
  change(entry);
  await doc.send(
    new PutCommand({
      TableName: tables.auditLog,
      Item: { ...item, entry: JSON.stringify(entry), hash: entry.hash },
    }),
  );
}

function failureMetrics(spy: { mock: { calls: unknown[][] } }): number {
  return spy.mock.calls.filter((call) => call[0] === MetricName.ChainVerificationFailures).length;
}

let tail: StreamTail;

/** The bus breaks are announced on, on the local EventBridge (its tap fails requests). */
const BUS = "ledgerquest.eventbus.test";
const eventBridgeTap = new ServiceTap();
let eventBridge: RunningLocalEventBridge;

function newDeps(overrides: Partial<AuditStreamDeps> = {}): AuditStreamDeps {
  const publisher = new EventBridgePublisher(
    new EventBridgeClient({ ...clientConfig, endpoint: eventBridge.url }),
    { eventBusName: BUS, baseDelayMs: 1, maxDelayMs: 1 },
  );
  return {
    ...createAuditStreamDeps(tables, client, publisher),
    commitWait: { attempts: 3, delayMs: 1 },
    ...overrides,
  };
}

/** The `Ledger Chain Broken` events the endpoint accepted for `worldId`. */
function breaksAnnounced(worldId: string): AcceptedEvent[] {
  return eventBridge
    .accepted()
    .filter(
      (e) => e.event["detail-type"] === "Ledger Chain Broken" && e.event.detail.worldId === worldId,
    );
}

beforeAll(async () => {
  await ensureTables(client, tables);
  tail = await StreamTail.of(tables.auditLog);
  eventBridge = await startLocalEventBridge({
    eventBusName: BUS,
    rules: [],
    targets: {},
    tap: eventBridgeTap,
  });
});

afterAll(async () => {
  await eventBridge.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("chain verification", () => {
  it("verifies a world's chain from the stream and keeps its head, redeliveries changing nothing", async () => {
    const deps = newDeps();
    const world = new TestWorld(deps, ["alice", "bob"]);
    await world.create();
    await world.pay({ alice: 30, bob: 10 });
    await world.commit();
    const records = journalRecordsOf(await tail.read(), world.worldId);
    expect(records.map(seqOf).sort((a, b) => a - b)).toEqual([...Array(world.ledger.size).keys()]);
    expect(records.every((r) => r.eventName === "INSERT")).toBe(true);

    const metricSpy = vi.spyOn(metrics, "addMetric");
    expect(await processAuditStream(deps, event(records))).toEqual({ batchItemFailures: [] });
    const digest = world.ledger.digest();
    expect(await chainOf(world.worldId)).toMatchObject({
      seq: digest.count - 1,
      hash: digest.head,
    });
    expect(await chainOf(world.worldId)).not.toHaveProperty("brokenSeq");

    // Lambda delivers at least once: the same records again, in any split, change nothing.
    expect(await processAuditStream(deps, event(records.slice(2)))).toEqual({
      batchItemFailures: [],
    });
    expect(await processAuditStream(deps, event(records))).toEqual({ batchItemFailures: [] });
    expect(await chainOf(world.worldId)).toMatchObject({ seq: digest.count - 1 });
    expect(failureMetrics(metricSpy)).toBe(0);
  });

  it("reads entries that came on another shard from the journal before verifying past them", async () => {
    const deps = newDeps();
    const world = new TestWorld(deps, ["alice"]);
    await world.create();
    await world.pay({ alice: 5 });
    await world.commit();
    await processAuditStream(deps, event(journalRecordsOf(await tail.read(), world.worldId)));
    const head = (await chainOf(world.worldId))?.seq as number;

    await world.pay({ alice: 1 });
    await world.pay({ alice: 2 });
    await world.pay({ alice: 3 });
    await world.commit();
    const records = journalRecordsOf(await tail.read(), world.worldId);
    records.sort((a, b) => seqOf(a) - seqOf(b));
    expect(records.map(seqOf)).toEqual([head + 1, head + 2, head + 3]);
    const metricSpy = vi.spyOn(metrics, "addMetric");
    // Only the last record: the two before it are in another shard's batch.
    expect(await processAuditStream(deps, event(records.slice(2)))).toEqual({
      batchItemFailures: [],
    });
    expect(await chainOf(world.worldId)).toMatchObject({
      seq: head + 3,
      hash: world.ledger.digest().head,
    });
    // The other shard's batch arrives late and finds them verified.
    expect(await processAuditStream(deps, event(records.slice(0, 2)))).toEqual({
      batchItemFailures: [],
    });
    expect(await chainOf(world.worldId)).toMatchObject({ seq: head + 3 });
    expect(failureMetrics(metricSpy)).toBe(0);
  });

  it("a rewritten entry is a failure: counted, logged with world and seq, and nothing thrown", async () => {
    const deps = newDeps();
    const world = new TestWorld(deps, ["alice", "bob"]);
    await world.create();
    await world.pay({ alice: 30, bob: 10 });
    await world.commit();
    await processAuditStream(deps, event(journalRecordsOf(await tail.read(), world.worldId)));
    const transfer = world.ledger.journal.find((e) => e.kind === "transfer");
    if (transfer === undefined) throw new Error("no transfer");

    await tamper(world.worldId, transfer.seq, (entry) => {
      entry.amount = 3000;
    });
    const records = journalRecordsOf(await tail.read(), world.worldId);
    expect(records.map((r) => [r.eventName, seqOf(r)])).toEqual([["MODIFY", transfer.seq]]);

    const metricSpy = vi.spyOn(metrics, "addMetric");
    const errorSpy = vi.spyOn(logger, "error").mockImplementation(() => undefined);
    await expect(processAuditStream(deps, event(records))).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(failureMetrics(metricSpy)).toBe(1);
    expect(errorSpy).toHaveBeenCalledWith(
      "ledger chain verification failed",
      expect.objectContaining({ worldId: world.worldId, seq: transfer.seq, kind: "hash_mismatch" }),
    );
    expect(await chainOf(world.worldId)).toMatchObject({
      brokenSeq: transfer.seq,
      brokenKind: "hash_mismatch",
      breakAnnounced: true,
    });

    // The operators hear of it: one event on the bus, from the verifier's own source.
    const [announced, ...more] = breaksAnnounced(world.worldId);
    expect(more).toEqual([]);
    expect(announced?.eventBusName).toBe(BUS);
    expect(announced?.event.source).toBe("ledgerquest.ops");
    expect(announced?.event.detail).toEqual({
      eventId: `ledger.broken#${world.worldId}#${transfer.seq}#hash_mismatch`,
      worldId: world.worldId,
      seq: transfer.seq,
      kind: "hash_mismatch",
      reason: expect.stringContaining(`entry ${transfer.seq}`),
    });
    // A redelivered batch, and a later break of the same world, announce nothing more.
    await processAuditStream(deps, event(records));
    await tamper(world.worldId, 0, (entry) => {
      entry.owner = "mallory";
    });
    await processAuditStream(deps, event(journalRecordsOf(await tail.read(), world.worldId)));
    expect(breaksAnnounced(world.worldId)).toHaveLength(1);
  });

  it("announces a break whose publish failed when its records come again, and then only once", async () => {
    const deps = newDeps();
    const world = new TestWorld(deps, ["alice"]);
    await world.create();
    await world.pay({ alice: 4 });
    await world.commit();
    await processAuditStream(deps, event(journalRecordsOf(await tail.read(), world.worldId)));
    await tamper(world.worldId, 1, (entry) => {
      entry.amount = 4000;
    });
    const records = journalRecordsOf(await tail.read(), world.worldId);
    vi.spyOn(logger, "error").mockImplementation(() => undefined);
    vi.spyOn(logger, "warn").mockImplementation(() => undefined);

    // EventBridge refuses the first PutEvents: the world's records are handed back for retry.
    eventBridgeTap.fail("PutEvents", {
      status: 400,
      errorType: "AccessDeniedException",
      message: "not today",
    });
    expect(await processAuditStream(deps, event(records))).toEqual({
      batchItemFailures: [{ itemIdentifier: records[0]?.dynamodb?.SequenceNumber }],
    });
    expect(breaksAnnounced(world.worldId)).toEqual([]);
    expect(await chainOf(world.worldId)).toMatchObject({ brokenSeq: 1 });
    expect(await chainOf(world.worldId)).not.toHaveProperty("breakAnnounced");

    // Lambda retries the records: the recorded break goes out now, and once.
    expect(await processAuditStream(deps, event(records))).toEqual({ batchItemFailures: [] });
    expect(await processAuditStream(deps, event(records))).toEqual({ batchItemFailures: [] });
    expect(breaksAnnounced(world.worldId).map((e) => e.event.detail.seq)).toEqual([1]);
  });

  it("an entry forged before it was verified breaks the chain when read through a gap", async () => {
    const deps = newDeps();
    const world = new TestWorld(deps, ["alice"]);
    await world.create();
    await world.pay({ alice: 7 });
    await world.commit();
    await processAuditStream(deps, event(journalRecordsOf(await tail.read(), world.worldId)));

    await world.pay({ alice: 1 });
    await world.pay({ alice: 2 });
    await world.pay({ alice: 3 });
    await world.commit();
    const inserts = journalRecordsOf(await tail.read(), world.worldId);
    const [, middle, last] = inserts.map(seqOf).sort((a, b) => a - b);
    if (middle === undefined || last === undefined) throw new Error("expected three entries");
    // Forged with its hash recomputed over the new fields: it verifies alone, and only the next
    // entry's link to it can tell.
    await tamper(world.worldId, middle, (entry) => {
      entry.reason = "forged";
      entry.hash = toHex(
        hashTransfer(fromHex(String(entry.prev)), middle, entry as unknown as TransferEntry),
      );
    });
    await tail.read(); // its MODIFY record is in a batch that has not run yet

    const metricSpy = vi.spyOn(metrics, "addMetric");
    const errorSpy = vi.spyOn(logger, "error").mockImplementation(() => undefined);
    await expect(
      processAuditStream(deps, event(inserts.filter((r) => seqOf(r) === last))),
    ).resolves.toEqual({ batchItemFailures: [] });
    expect(failureMetrics(metricSpy)).toBe(1);
    expect(errorSpy).toHaveBeenCalledWith(
      "ledger chain verification failed",
      expect.objectContaining({ worldId: world.worldId, seq: last, kind: "broken_link" }),
    );
    // The head stops before the break, and the world is not verified past it.
    expect(await chainOf(world.worldId)).toMatchObject({ seq: middle, brokenSeq: last });
    expect(await processAuditStream(deps, event(inserts))).toEqual({ batchItemFailures: [] });
    expect(failureMetrics(metricSpy)).toBe(1);
  });

  it("a malformed journal item and a deleted entry are failures, not thrown errors", async () => {
    const deps = newDeps();
    const world = new TestWorld(deps, ["alice"]);
    await world.create();
    await world.commit();
    await processAuditStream(deps, event(journalRecordsOf(await tail.read(), world.worldId)));
    const seq = world.ledger.size;
    await doc.send(
      new PutCommand({
        TableName: tables.auditLog,
        Item: {
          ...auditKeys.journal(world.worldId, seq),
          type: "transfer",
          worldId: world.worldId,
          seq,
          hash: "ab",
          prev: "cd",
          entry: "{not json",
        },
      }),
    );
    const metricSpy = vi.spyOn(metrics, "addMetric");
    const errorSpy = vi.spyOn(logger, "error").mockImplementation(() => undefined);
    const malformed = journalRecordsOf(await tail.read(), world.worldId);
    expect(malformed.map((r) => r.eventName)).toEqual(["INSERT"]);
    await expect(processAuditStream(deps, event(malformed))).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(failureMetrics(metricSpy)).toBe(1);
    expect(errorSpy).toHaveBeenLastCalledWith(
      "ledger chain verification failed",
      expect.objectContaining({ worldId: world.worldId, seq, kind: "invalid_entry" }),
    );
    expect(await chainOf(world.worldId)).toMatchObject({
      brokenSeq: seq,
      brokenKind: "invalid_entry",
    });

    await doc.send(
      new DeleteCommand({ TableName: tables.auditLog, Key: auditKeys.journal(world.worldId, 0) }),
    );
    const removed = journalRecordsOf(await tail.read(), world.worldId);
    expect(removed.map((r) => r.eventName)).toEqual(["REMOVE"]);
    await expect(processAuditStream(deps, event(removed))).resolves.toEqual({
      batchItemFailures: [],
    });
    expect(failureMetrics(metricSpy)).toBe(2);
    expect(errorSpy).toHaveBeenLastCalledWith(
      "ledger chain verification failed",
      expect.objectContaining({ worldId: world.worldId, seq: 0, kind: "broken_link" }),
    );
  });

  it("reports the world's first record for retry when DynamoDB fails, and goes on with others", async () => {
    const healthy = newDeps();
    const stalled = new TestWorld(healthy, ["alice"]);
    const other = new TestWorld(healthy, ["bob"]);
    for (const w of [stalled, other]) {
      await w.create();
      await w.commit();
    }
    const first = await tail.read();
    await processAuditStream(healthy, event(journalRecordsOf(first, stalled.worldId)));
    await stalled.pay({ alice: 1 });
    await stalled.pay({ alice: 2 });
    await stalled.commit();
    const records = await tail.read();
    // The stalled world's newest entry alone: verifying it needs the one before from the journal.
    const stalledRecords = journalRecordsOf(records, stalled.worldId)
      .sort((a, b) => seqOf(a) - seqOf(b))
      .slice(1);
    const batch = [...stalledRecords, ...journalRecordsOf(first, other.worldId)];

    const journal: Journal = Object.create(healthy.journal) as Journal;
    journal.readEntries = async () => {
      throw new StoreUnavailableError("DynamoDB", "Query (journal)");
    };
    vi.spyOn(logger, "warn").mockImplementation(() => undefined);
    const metricSpy = vi.spyOn(metrics, "addMetric");
    const result = await processAuditStream({ ...healthy, journal }, event(batch));
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: stalledRecords[0]?.dynamodb?.SequenceNumber }],
    });
    expect(failureMetrics(metricSpy)).toBe(0);
    expect(await chainOf(other.worldId)).toMatchObject({
      seq: other.ledger.size - 1,
    });

    // Lambda retries from there; with DynamoDB back, the batch verifies.
    expect(await processAuditStream(healthy, event(batch))).toEqual({ batchItemFailures: [] });
    expect(await chainOf(stalled.worldId)).toMatchObject({
      seq: stalled.ledger.size - 1,
    });
  });
});

describe("the gold leaderboard", () => {
  it("ranks players by the balances of their projections, idempotent under redelivery", async () => {
    const deps = newDeps();
    const world = new TestWorld(deps, ["alice", "bob", "carol"]);
    await world.create();
    await world.pay({ alice: 30, bob: 10, bot_001: 99 });
    await world.commit();
    const first = journalRecordsOf(await tail.read(), world.worldId);
    await processAuditStream(deps, event(first));
    const board = await leaderboardOf(world.worldId);
    // The bot's gold is no player's: it stays off the board; carol has had no gold change yet.
    expect(board?.rows).toEqual([
      { playerId: "alice", gold: 30, version: 1 },
      { playerId: "bob", gold: 10, version: 1 },
    ]);

    await world.pay({ bob: 50, alice: -20, carol: 5 });
    await world.commit();
    const second = journalRecordsOf(await tail.read(), world.worldId);
    await processAuditStream(deps, event(second));
    const updated = await leaderboardOf(world.worldId);
    expect(updated?.rows).toEqual([
      { playerId: "bob", gold: 60, version: 2 },
      { playerId: "alice", gold: 10, version: 2 },
      { playerId: "carol", gold: 5, version: 2 },
    ]);

    // Redelivering old records reads the same projections: nothing moves, nothing is rewritten.
    await processAuditStream(deps, event([...first, ...second]));
    expect(await leaderboardOf(world.worldId)).toEqual(updated);
  });

  it("waits for the batch to commit before reading the projections it wrote", async () => {
    const deps = newDeps();
    const world = new TestWorld(deps, ["alice"]);
    await world.create();
    await world.commit();
    await processAuditStream(deps, event(journalRecordsOf(await tail.read(), world.worldId)));
    await world.pay({ alice: 40 });
    const records = journalRecordsOf(await tail.read(), world.worldId);
    // The stream record is in before the tick wrote the projections and committed.
    let waits = 0;
    const waiting = newDeps({
      commitWait: {
        attempts: 5,
        delayMs: 1,
        sleep: async () => {
          waits++;
          await world.commit();
        },
      },
    });
    await processAuditStream(waiting, event(records));
    expect(waits).toBe(1);
    expect((await leaderboardOf(world.worldId))?.rows).toEqual([
      { playerId: "alice", gold: 40, version: world.version },
    ]);
  });

  it("merges rows by version, orders by gold then player, and keeps the top 100", () => {
    const current: LeaderboardRow[] = [
      { playerId: "a", gold: 50, version: 3 },
      { playerId: "b", gold: 40, version: 3 },
    ];
    expect(
      mergeLeaderboard(current, [
        { playerId: "a", gold: 10, version: 2 }, // older than the row: ignored
        { playerId: "c", gold: 40, version: 4 },
      ]),
    ).toEqual([
      { playerId: "a", gold: 50, version: 3 },
      { playerId: "b", gold: 40, version: 3 },
      { playerId: "c", gold: 40, version: 4 },
    ]);
    const many = Array.from({ length: 150 }, (_, i) => ({
      playerId: `p${String(i).padStart(3, "0")}`,
      gold: i,
      version: 1,
    }));
    const top = mergeLeaderboard([], many);
    expect(top).toHaveLength(LEADERBOARD_SIZE);
    expect(top[0]).toEqual({ playerId: "p149", gold: 149, version: 1 });
    expect(top.at(-1)?.gold).toBe(50);
  });
});

describe("the exported handler", () => {
  it("reads its tables from the environment and answers a partial batch response", async () => {
    vi.stubEnv("AWS_REGION", "us-east-1");
    vi.stubEnv("AWS_ACCESS_KEY_ID", "local");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "local");
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", dynamoDbEndpoint);
    vi.stubEnv("AWS_ENDPOINT_URL_EVENTBRIDGE", eventBridge.url);
    vi.stubEnv("LQ_ENTITY_TABLE", tables.entityTable);
    vi.stubEnv("LQ_AUDIT_TABLE", tables.auditLog);
    vi.stubEnv("LQ_EVENT_BUS", BUS);
    try {
      const deps = newDeps();
      const world = new TestWorld(deps, ["alice"]);
      await world.create();
      await world.pay({ alice: 12 });
      await world.commit();
      const records = journalRecordsOf(await tail.read(), world.worldId);
      const context = {
        functionName: "ledgerquest-audit-stream",
        awsRequestId: randomUUID(),
        getRemainingTimeInMillis: () => 60_000,
      } as Context;
      expect(await handler(event(records), context)).toEqual({ batchItemFailures: [] });
      expect(await chainOf(world.worldId)).toMatchObject({ seq: world.ledger.size - 1 });
      expect((await leaderboardOf(world.worldId))?.rows).toEqual([
        { playerId: "alice", gold: 12, version: 1 },
      ]);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
