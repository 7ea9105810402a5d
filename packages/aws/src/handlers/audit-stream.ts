/**
 * The AuditLog stream handler (DynamoDB Streams, NEW_IMAGE, with ReportBatchItemFailures): verifies
 * each world's ledger chain as it is written, and keeps the gold leaderboard projection.
 *
 * This module parses the stream's images (what a record says: a new entry, or a break such as a
 * rewritten or deleted entry) and groups them by world; the verification itself is runtime's use
 * case `verifyChainRecords`, over the chain record port (here `DynamoDbChainRecordStore`), with the
 * engine's `checkLink`, the same link check `JournalVerifier` makes; the leaderboard is runtime's
 * `projectLeaderboard` over the leaderboard port (`DynamoDbLeaderboardStore`).
 *
 * Chain verification. Every journal entry's `prev` must be the previous entry's hash, and its
 * fields must hash to its own hash (the engine's canonical encoding). The last verified entry of
 * each world (its head) is kept in EntityTable as `chain#<world>`, moved only forwards by a
 * conditional write, because one world's journal spans partitions (10,000 entries each) and so
 * stream shards, which Lambda processes concurrently. An entry past the head + 1 (the entries in
 * between came on another shard, or before this verifier ran) is verified after reading the gap
 * from the journal. Journal items are written once and never change, so a MODIFY or REMOVE of one
 * is itself a break: history was rewritten.
 *
 * A break is logged as an error with the world and seq and counted in `ChainVerificationFailures`;
 * it never fails the invocation, since a record that will never verify would otherwise hold back
 * its shard forever. The world's chain item records the first break (`brokenSeq`), and the world is
 * not verified further until an operator has looked and removed it.
 *
 * The recorded break is also published, once, as a `Ledger Chain Broken` event (source
 * `ledgerquest.ops`; the notify-ledger-broken rule sends it to the operators), as runtime's chain
 * verification use case describes; a publish that fails is retried with the world's records, as
 * a DynamoDB failure is.
 *
 * The leaderboard (`leaderboard#<world>`, the top 100 by gold) is kept as runtime's
 * leaderboard use case describes (usecases/leaderboard.ts), from the gold transfers of the batch.
 *
 * Failures of DynamoDB (after the SDK's retries) are reported as `batchItemFailures` from the
 * world's first record, so Lambda retries from there; everything this handler writes is
 * idempotent, so the records after it are simply seen again. Other unexpected errors are logged
 * and not retried: the chain head did not move, so the next batch reads the same entries again
 * through the gap.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { type JournalEntry, ownHashHolds } from "@ledgerquest/engine";
import {
  auditKeys,
  type ChainBreak,
  type ChainRecordStore,
  type ChainVerificationDeps,
  type Clock,
  type EntityStore,
  type EventPublisher,
  type Journal,
  LEADERBOARD_SIZE,
  LEADERBOARD_UNIT,
  type LeaderboardDeps,
  type LeaderboardRow,
  type LeaderboardStore,
  mergeLeaderboard,
  PublishError,
  pad,
  parseJournalEntry,
  projectLeaderboard,
  StoreUnavailableError,
  systemClock,
  verifyChainRecords,
} from "@ledgerquest/runtime";
import type {
  DynamoDBBatchItemFailure,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
} from "aws-lambda";
import * as z from "zod/mini";
import { auditProjectionKeys } from "../adapters/audit-projections.js";
import { DynamoDbChainRecordStore } from "../adapters/dynamodb-chain-records.js";
import { documentClient, type TableNames } from "../adapters/dynamodb-common.js";
import { DynamoDbEntityStore } from "../adapters/dynamodb-entity-store.js";
import { DynamoDbJournal } from "../adapters/dynamodb-journal.js";
import { DynamoDbLeaderboardStore } from "../adapters/dynamodb-leaderboards.js";
import { EventBridgePublisher } from "../adapters/eventbridge-publisher.js";
import { sdkClientOptions } from "../adapters/sdk-clients.js";
import { type Environment, readConfig, resourceVariables } from "../config.js";
import { LogMessage } from "../log-queries.js";
import {
  type LambdaHandler,
  logger,
  MetricName,
  recordMetric,
  traceClient,
  withObservability,
} from "../observability.js";

export {
  auditProjectionKeys,
  LEADERBOARD_SIZE,
  LEADERBOARD_UNIT,
  type LeaderboardRow,
  mergeLeaderboard,
};

export interface AuditStreamDeps {
  readonly journal: Journal;
  /** Each world's chain head and first break (EntityTable's `chain#<world>`). */
  readonly chains: ChainRecordStore;
  /** Each world's gold leaderboard (EntityTable's `leaderboard#<world>`). */
  readonly leaderboards: LeaderboardStore;
  readonly store: EntityStore;
  readonly clock: Clock;
  /** Where a world's first break is announced (`Ledger Chain Broken`, source `ledgerquest.ops`). */
  readonly publisher: EventPublisher;
  /**
   * How long to wait for a world's batch to commit before reading its player projections. The
   * tick writes journal entries first and projections just after, so a stream record can arrive
   * while the projections are one version behind. Default 10 tries, 200 ms apart; after that the
   * leaderboard takes what is there and logs a warning (it catches up on the next gold change).
   */
  readonly commitWait?: {
    readonly attempts: number;
    readonly delayMs: number;
    readonly sleep?: (ms: number) => Promise<void>;
  };
}

// ─── records ─────────────────────────────────────────────────────────────────────────────────

export type { ChainBreak };

const S = z.object({ S: z.string() });
const N = z.object({ N: z.string() });

/** A journal item's NEW_IMAGE, in the stream's attribute-value form. */
const journalImageSchema = z.object({
  pk: S,
  sk: S,
  type: S,
  worldId: S,
  seq: N,
  hash: S,
  prev: S,
  entry: S,
});

function issuesOf(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join(".") || "<root>"}: ${issue.message}`)
    .join("; ");
}

type Classified =
  | { readonly kind: "other" }
  | { readonly kind: "entry"; readonly worldId: string; readonly entry: JournalEntry }
  | { readonly kind: "break"; readonly worldId: string; readonly chainBreak: ChainBreak };

const JOURNAL_PREFIX = "journal#";

/**
 * The records this handler reads, as a filter of Lambda's event source mapping: journal items
 * only. AuditLog's stream also carries every inbox group, command id claim, watermark raise and
 * batch record, several a command; filtered out by Lambda they are neither invoked for nor
 * billed. The CDK stack gives the mapping this pattern, and the local stack's stream poller
 * applies the same one.
 */
export const AUDIT_STREAM_FILTER_PATTERN = {
  dynamodb: { Keys: { pk: { S: [{ prefix: JOURNAL_PREFIX }] } } },
} as const;

/** What a stream record is to this handler: a new journal entry, a break, or neither. */
export function classifyRecord(record: DynamoDBRecord): Classified {
  const keys = record.dynamodb?.Keys;
  const pk = keys?.pk?.S;
  if (pk === undefined || !pk.startsWith(JOURNAL_PREFIX)) return { kind: "other" };
  const worldId = pk.slice(JOURNAL_PREFIX.length).split("#")[0] ?? "";
  const skSeq = Number(keys?.sk?.S);
  const seq = Number.isSafeInteger(skSeq) ? skSeq : -1;
  const broken = (kind: ChainBreak["kind"], detail: string): Classified => ({
    kind: "break",
    worldId,
    chainBreak: { worldId, seq, kind, detail },
  });

  if (record.eventName === "REMOVE") {
    return broken("broken_link", `journal entry ${seq} was deleted`);
  }
  const image = journalImageSchema.safeParse(record.dynamodb?.NewImage);
  if (!image.success) {
    return broken("invalid_entry", `the item is malformed (${issuesOf(image.error)})`);
  }
  const item = image.data;
  const entry = parseJournalEntry(item.entry.S);
  if (typeof entry === "string") return broken("invalid_entry", entry);
  if (
    item.worldId.S !== worldId ||
    Number(item.seq.N) !== entry.seq ||
    item.hash.S !== entry.hash ||
    item.prev.S !== entry.prev ||
    item.type.S !== entry.kind ||
    item.sk.S !== pad(entry.seq) ||
    pk !== auditKeys.journal(worldId, entry.seq).pk
  ) {
    return broken("invalid_entry", "the item's key or attributes disagree with its entry");
  }
  if (record.eventName === "MODIFY") {
    // Entries are created once; an identical rewrite (a retried append) makes no stream record.
    const rehashes = ownHashHolds(entry);
    return broken(
      rehashes ? "invalid_entry" : "hash_mismatch",
      `journal entry ${entry.seq} was rewritten in place${rehashes ? "" : " and its fields no longer hash to its hash"}`,
    );
  }
  return { kind: "entry", worldId, entry };
}

// ─── the handler ─────────────────────────────────────────────────────────────────────────────

interface WorldRecords {
  /** The first of the world's records in the batch: where a retry must start. */
  readonly firstSequenceNumber: string | undefined;
  readonly entries: JournalEntry[];
  readonly breaks: ChainBreak[];
}

function reportBreak(chainBreak: ChainBreak): void {
  logger.error(LogMessage.ChainVerificationFailed, {
    worldId: chainBreak.worldId,
    seq: chainBreak.seq,
    kind: chainBreak.kind,
    detail: chainBreak.detail,
  });
  recordMetric(MetricName.ChainVerificationFailures, 1);
}

/** The leaderboard use case's dependencies, from the handler's. */
function leaderboardDeps(deps: AuditStreamDeps): LeaderboardDeps {
  return {
    store: deps.store,
    leaderboards: deps.leaderboards,
    ...(deps.commitWait === undefined ? {} : { commitWait: deps.commitWait }),
    log: (message, fields) => logger.warn(message, { ...fields }),
  };
}

/** The chain verification use case's dependencies, from the handler's. */
function chainDeps(deps: AuditStreamDeps): ChainVerificationDeps {
  return {
    chains: deps.chains,
    journal: deps.journal,
    publisher: deps.publisher,
    clock: deps.clock,
    onBreak: reportBreak,
    log: (level, message, fields) => {
      if (level === "warn") logger.warn(message, { ...fields });
      else logger.debug(message, { ...fields });
    },
  };
}

/** Processes one batch of AuditLog stream records. */
export async function processAuditStream(
  deps: AuditStreamDeps,
  event: DynamoDBStreamEvent,
): Promise<DynamoDBBatchResponse> {
  const worlds = new Map<string, WorldRecords>();
  const recordsOf = (worldId: string, sequenceNumber: string | undefined): WorldRecords => {
    let records = worlds.get(worldId);
    if (records === undefined) {
      records = { firstSequenceNumber: sequenceNumber, entries: [], breaks: [] };
      worlds.set(worldId, records);
    }
    return records;
  };
  for (const record of event.Records) {
    const classified = classifyRecord(record);
    if (classified.kind === "other") continue;
    const records = recordsOf(classified.worldId, record.dynamodb?.SequenceNumber);
    if (classified.kind === "break") records.breaks.push(classified.chainBreak);
    else records.entries.push(classified.entry);
  }

  const batchItemFailures: DynamoDBBatchItemFailure[] = [];
  for (const [worldId, records] of worlds) {
    try {
      await verifyChainRecords(chainDeps(deps), worldId, records);
      await projectLeaderboard(leaderboardDeps(deps), worldId, records.entries);
    } catch (error) {
      const transient = error instanceof StoreUnavailableError || error instanceof PublishError;
      if (transient && records.firstSequenceNumber !== undefined) {
        logger.warn(LogMessage.AuditRecordsRetried, {
          worldId,
          error,
        });
        batchItemFailures.push({ itemIdentifier: records.firstSequenceNumber });
      } else {
        logger.error(LogMessage.AuditRecordsFailed, { worldId, error });
      }
    }
  }
  return { batchItemFailures };
}

/** The AuditLog handler's variables: the two tables, and the bus breaks are announced on. */
export const auditStreamConfigSchema = z.pipe(
  z.pick(resourceVariables, { LQ_ENTITY_TABLE: true, LQ_AUDIT_TABLE: true, LQ_EVENT_BUS: true }),
  z.transform((env): { readonly tables: TableNames; readonly eventBus: string } => ({
    tables: { entityTable: env.LQ_ENTITY_TABLE, auditLog: env.LQ_AUDIT_TABLE },
    eventBus: env.LQ_EVENT_BUS,
  })),
);

/**
 * The handler's dependencies over one DynamoDB client. Breaks are announced through `publisher`,
 * by default EventBridge's PutEvents to the game's bus (`EVENT_BUS_NAME`).
 */
export function createAuditStreamDeps(
  tables: TableNames,
  client: DynamoDBClient = traceClient(new DynamoDBClient(sdkClientOptions("dynamodb"))),
  publisher: EventPublisher = new EventBridgePublisher(
    traceClient(new EventBridgeClient(sdkClientOptions("eventbridge"))),
  ),
): AuditStreamDeps {
  const doc = documentClient(client);
  return {
    journal: new DynamoDbJournal(doc, { tables }),
    chains: new DynamoDbChainRecordStore(doc, { tables }),
    leaderboards: new DynamoDbLeaderboardStore(doc, { tables }),
    store: new DynamoDbEntityStore(doc, { tables }),
    clock: systemClock,
    publisher,
  };
}

export function auditStreamDepsFromEnvironment(env: Environment = process.env): AuditStreamDeps {
  const config = readConfig(auditStreamConfigSchema, env);
  return createAuditStreamDeps(
    config.tables,
    undefined,
    new EventBridgePublisher(traceClient(new EventBridgeClient(sdkClientOptions("eventbridge"))), {
      eventBusName: config.eventBus,
    }),
  );
}

/**
 * The Lambda handler around `processAuditStream`, with dependencies kept per process.
 * Alike: supervisor.ts's and authorizer.ts's handlers (the same loading once; the authorizer's
 * answers a failed load with a 500, so it is written out in each).
 */
export function createAuditStreamHandler(
  load: () => AuditStreamDeps,
): LambdaHandler<DynamoDBStreamEvent, DynamoDBBatchResponse> {
  let deps: AuditStreamDeps | undefined;
  return async (event) => {
    deps ??= load();
    return await processAuditStream(deps, event);
  };
}

/** The Lambda entry point, configured from the environment (see `auditStreamConfigSchema`). */
/** A fresh Lambda entry point, configured from the environment on its first call (see `handler`). */
export function lambdaHandler(): LambdaHandler<DynamoDBStreamEvent, DynamoDBBatchResponse> {
  return withObservability(createAuditStreamHandler(() => auditStreamDepsFromEnvironment()));
}

export const handler = lambdaHandler();
