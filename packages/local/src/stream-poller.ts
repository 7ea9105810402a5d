/**
 * What Lambda's event source mapping does for a DynamoDB stream, against any endpoint that speaks
 * the DynamoDB Streams API (DynamoDB Local locally): it finds the table's stream, lists its shards,
 * reads each shard in order with GetShardIterator and GetRecords, hands the records to a handler in
 * batches shaped exactly as Lambda's `DynamoDBStreamEvent`, and honours the partial batch response.
 *
 * Emulated, as Lambda does it:
 * - One batch in flight per shard, records of one shard only, in sequence-number order; a child
 *   shard is read only after its parent has been read to its end (shards split and roll over).
 * - `startingPosition` (TRIM_HORIZON or LATEST) applies once, when a stream is first seen, as
 *   Lambda's applies when the mapping is created; shards that appear afterwards are read from
 *   their start, or no record written to them would reach the handler.
 * - ReportBatchItemFailures: the lowest failed `itemIdentifier` (a sequence number) becomes the
 *   point to retry from; a thrown error, an empty or unknown identifier, or a `batchItemFailures`
 *   that is not an array fails the whole batch; any other answer (none, `{}`, an empty list) is
 *   success. Retries back off exponentially and are bounded by `maxRetries`; then the batch is
 *   discarded and reported to `onError`, as Lambda sends it to the on-failure destination.
 * - Delivery is at least once, as Lambda's: the checkpoint moves after the handler returns, so a
 *   process killed in between delivers that batch again on the next start. A clean `stop()` waits
 *   for the batch in flight and saves its checkpoint, so with a `checkpointFile` no record is
 *   delivered twice across clean restarts. Handlers must be idempotent anyway, as in AWS.
 * - LATEST is fixed as a saved sequence number (each open shard is read to its tip at the first
 *   start, its records skipped) rather than as a LATEST iterator, so that a poller stopped before
 *   any new record arrived still receives the records written while it was stopped.
 *
 * Not emulated: shards are read one after another rather than concurrently (a valid interleaving
 * of Lambda's, slower only with many shards); no batching window, no 6 MB payload limit, no
 * function timeout, no bisecting on error, no maximum record age, no tumbling windows, no Lambda
 * context (the handler gets the event alone). Filter criteria are emulated (`filters`), with the
 * matchers a stream's mapping needs.
 *
 * Differences in defaults, on purpose: `maxRetries` defaults to 10 (Lambda's default retries until
 * the record expires, which locally would hold a shard back for a day); the deployed mapping
 * should set the same bound.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type AttributeValue as StreamAttributeValue,
  type _Record as StreamRecord,
} from "@aws-sdk/client-dynamodb-streams";
import { compileEventFilters } from "./event-filter.js";

// ─── Lambda's event shape ────────────────────────────────────────────────────────────────────
// Declared here rather than imported from `aws-lambda`, so that this package needs no type
// package; the shapes are assignable to `aws-lambda`'s (arrays are mutable for that reason).

interface LambdaAttributeTypes {
  B: string;
  BOOL: boolean;
  BS: string[];
  L: LambdaAttributeValue[];
  M: Record<string, LambdaAttributeValue>;
  N: string;
  NS: string[];
  NULL: boolean;
  S: string;
  SS: string[];
}

/** Exactly one of T's properties (others absent), as `aws-lambda` types an attribute value. */
type OneOf<T, K extends keyof T = keyof T> = K extends keyof T
  ? { [P in K]: T[P] } & { [P in Exclude<keyof T, K>]?: never }
  : never;

/** An attribute value as Lambda's JSON event carries it: binary as base64 text. */
export type LambdaAttributeValue = OneOf<LambdaAttributeTypes>;

export type LambdaImage = Record<string, LambdaAttributeValue>;

/** One record of a `DynamoDBStreamEvent`, as Lambda delivers it. */
export interface LambdaStreamRecord {
  eventID: string;
  eventName: "INSERT" | "MODIFY" | "REMOVE";
  eventVersion: string;
  eventSource: string;
  awsRegion: string;
  dynamodb: {
    /** Epoch seconds, as Lambda's JSON has it (the Streams API's SDK gives a Date). */
    ApproximateCreationDateTime?: number;
    Keys: LambdaImage;
    NewImage?: LambdaImage;
    OldImage?: LambdaImage;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: "KEYS_ONLY" | "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES";
  };
  /** Present on deletions by Time to Live. */
  userIdentity?: { type: string; principalId: string };
  eventSourceARN: string;
}

export interface LambdaStreamEvent {
  Records: LambdaStreamRecord[];
}

/**
 * The function the poller invokes, as Lambda would. It may return a partial batch response
 * (`{ batchItemFailures: [{ itemIdentifier: <SequenceNumber> }] }`); anything else counts as the
 * whole batch done, and a thrown error as the whole batch failed.
 */
export type StreamHandler = (event: LambdaStreamEvent) => unknown;

// ─── options and results ─────────────────────────────────────────────────────────────────────

export type StartingPosition = "TRIM_HORIZON" | "LATEST";

export interface StreamPollerOptions {
  /** A client of the Streams API (DynamoDB Local serves it on the DynamoDB endpoint). */
  readonly client: DynamoDBStreamsClient;
  /** A DynamoDB client, to find the table's `LatestStreamArn`. */
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  readonly handler: StreamHandler;
  /** Records per invocation at most, 1 to 10,000 (Lambda's range). Default 100. */
  readonly batchSize?: number;
  /** How long to wait between polls of a shard that had nothing new, ms. Default 250 (Lambda
   * polls each shard four times a second). Also the first retry delay, which doubles after. */
  readonly pollIntervalMs?: number;
  /** Where to start reading a stream seen for the first time. Default LATEST, as Lambda. */
  readonly startingPosition?: StartingPosition;
  /**
   * A JSON file that keeps each shard's last processed sequence number, so that a restarted
   * local stack continues where it stopped (Lambda keeps this position in the mapping). Written
   * atomically after every batch. One poller per file. Default: none, the position lives in
   * memory and a new poller starts at `startingPosition`.
   */
  readonly checkpointFile?: string;
  /** Retries of a failing batch before it is discarded: a whole number, or Infinity. Default 10. */
  readonly maxRetries?: number;
  /** The records' `awsRegion`. Default: the DynamoDB client's region (DynamoDB Local itself
   * reports `ddblocal`, which Lambda never would). */
  readonly awsRegion?: string;
  /** Told of failures the poller goes on after. Default: written to the console. */
  readonly onError?: (failure: StreamPollerFailure) => void;
  /**
   * The mapping's `FilterCriteria` patterns (objects, or their JSON text): only records matching
   * one of them are handed to the handler, as Lambda filters (event-filter.ts says which
   * matchers are emulated). Records that match none are passed over: batches hold matching
   * records only, and a stretch of records with none to hand is checkpointed without an
   * invocation. Default: every record.
   */
  readonly filters?: readonly (string | Readonly<Record<string, unknown>>)[];
}

/** The `DDBStreamBatchInfo` Lambda sends to an on-failure destination, with the records. */
export interface StreamBatchInfo {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number;
  /** Invocations of this batch so far. */
  readonly attempts: number;
  readonly records: readonly LambdaStreamRecord[];
}

export interface StreamPollerFailure {
  /**
   * - `handler_failed`: the batch failed (thrown, or a partial batch response) and will be retried.
   * - `records_discarded`: retries are exhausted; the batch was skipped (Lambda's on-failure
   *   destination would receive `batch`).
   * - `poll_failed`: a Streams API call failed; it is tried again at the next poll.
   * - `position_reset`: a saved position is older than the stream's retention; the shard is read
   *   from its oldest record (records between were trimmed and are lost).
   * - `checkpoint_failed`: the checkpoint file could not be written; processing goes on, and a
   *   restart may deliver the records since the last good write again.
   */
  readonly kind:
    | "handler_failed"
    | "records_discarded"
    | "poll_failed"
    | "position_reset"
    | "checkpoint_failed";
  /** What happened and what to do. */
  readonly message: string;
  readonly streamArn: string;
  readonly shardId?: string;
  readonly batch?: StreamBatchInfo;
  readonly cause?: unknown;
}

export interface StreamPoller {
  /** The stream being read (the table's `LatestStreamArn` at start). */
  readonly streamArn: string;
  /**
   * Stops polling after the batch in flight, whose checkpoint is saved before this resolves.
   * Calling it again returns the same promise.
   */
  stop(): Promise<void>;
  /**
   * Resolves once every record written before the call has been handled (or discarded after its
   * retries): a whole poll that began after the call found nothing to do. Rejects after
   * `timeoutMs` (default 30,000) naming what is still pending, or when the poller stops.
   */
  waitForIdle(options?: { readonly timeoutMs?: number }): Promise<void>;
}

export class StreamPollerError extends Error {
  override readonly name = "StreamPollerError";
}

// ─── conversion ──────────────────────────────────────────────────────────────────────────────

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

/** An attribute value of the Streams API (binary as bytes) as Lambda's JSON has it. */
export function toLambdaAttributeValue(value: StreamAttributeValue): LambdaAttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.SS !== undefined) return { SS: [...value.SS] };
  if (value.NS !== undefined) return { NS: [...value.NS] };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttributeValue) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  throw new StreamPollerError(
    `a stream record holds an attribute value of a type this poller does not know: ${JSON.stringify(value)}`,
  );
}

function toLambdaImage(image: Record<string, StreamAttributeValue>): LambdaImage {
  const out: LambdaImage = {};
  for (const [name, value] of Object.entries(image)) out[name] = toLambdaAttributeValue(value);
  return out;
}

const EVENT_NAMES = new Set(["INSERT", "MODIFY", "REMOVE"]);
const VIEW_TYPES = new Set(["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]);

/**
 * A record of the Streams API as Lambda puts it in a `DynamoDBStreamEvent`: the same fields in
 * Lambda's order, binary values as base64, `ApproximateCreationDateTime` in epoch seconds, and
 * the stream's ARN as `eventSourceARN`.
 */
export function toLambdaStreamRecord(
  record: StreamRecord,
  source: { readonly streamArn: string; readonly awsRegion: string },
): LambdaStreamRecord {
  const r = record.dynamodb;
  const eventName = record.eventName;
  const viewType = r?.StreamViewType;
  if (
    record.eventID === undefined ||
    eventName === undefined ||
    !EVENT_NAMES.has(eventName) ||
    r?.SequenceNumber === undefined ||
    r.Keys === undefined ||
    viewType === undefined ||
    !VIEW_TYPES.has(viewType)
  ) {
    throw new StreamPollerError(
      `${source.streamArn} returned a record without eventID, eventName, Keys, SequenceNumber or ` +
        `StreamViewType (${JSON.stringify(record)}): is the endpoint a DynamoDB Streams API?`,
    );
  }
  const created = r.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: eventName as LambdaStreamRecord["eventName"],
    eventVersion: record.eventVersion ?? "1.1",
    eventSource: record.eventSource ?? "aws:dynamodb",
    awsRegion: source.awsRegion,
    dynamodb: {
      ...(created === undefined
        ? {}
        : { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) }),
      Keys: toLambdaImage(r.Keys),
      ...(r.NewImage === undefined ? {} : { NewImage: toLambdaImage(r.NewImage) }),
      ...(r.OldImage === undefined ? {} : { OldImage: toLambdaImage(r.OldImage) }),
      SequenceNumber: r.SequenceNumber,
      SizeBytes: r.SizeBytes ?? 0,
      StreamViewType: viewType as LambdaStreamRecord["dynamodb"]["StreamViewType"],
    },
    ...(record.userIdentity?.Type !== undefined && record.userIdentity.PrincipalId !== undefined
      ? {
          userIdentity: {
            type: record.userIdentity.Type,
            principalId: record.userIdentity.PrincipalId,
          },
        }
      : {}),
    eventSourceARN: source.streamArn,
  };
}

// ─── the checkpoint file ─────────────────────────────────────────────────────────────────────

const CHECKPOINT_VERSION = 1;

interface SavedShard {
  /** The last sequence number handled (or discarded); absent: nothing yet, read from the start. */
  sequenceNumber?: string;
  /** Read to its end: never read again. */
  finished?: boolean;
}

interface CheckpointDocument {
  version: typeof CHECKPOINT_VERSION;
  tableName: string;
  streamArn: string;
  shards: Record<string, SavedShard>;
}

function isSavedShard(value: unknown): value is SavedShard {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    (v.sequenceNumber === undefined || typeof v.sequenceNumber === "string") &&
    (v.finished === undefined || typeof v.finished === "boolean")
  );
}

async function readCheckpoint(path: string): Promise<CheckpointDocument | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StreamPollerError(`cannot read the stream checkpoint file ${path}`, {
      cause: error,
    });
  }
  const bad = (why: string) =>
    new StreamPollerError(
      `${path} is not a stream poller checkpoint (${why}); delete it to start from the ` +
        "startingPosition, or point checkpointFile elsewhere",
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad("not JSON");
  }
  if (typeof parsed !== "object" || parsed === null) throw bad("not an object");
  const doc = parsed as Record<string, unknown>;
  if (doc.version !== CHECKPOINT_VERSION) throw bad(`version is not ${CHECKPOINT_VERSION}`);
  if (typeof doc.tableName !== "string" || typeof doc.streamArn !== "string") {
    throw bad("tableName or streamArn missing");
  }
  const shards = doc.shards;
  if (typeof shards !== "object" || shards === null || Array.isArray(shards)) {
    throw bad("shards missing");
  }
  for (const [id, shard] of Object.entries(shards)) {
    if (!isSavedShard(shard)) throw bad(`shard ${id} is malformed`);
  }
  return {
    version: CHECKPOINT_VERSION,
    tableName: doc.tableName,
    streamArn: doc.streamArn,
    shards: shards as Record<string, SavedShard>,
  };
}

/** Write then rename: a crash mid-write leaves the previous checkpoint, never half a file. */
async function writeCheckpoint(path: string, doc: CheckpointDocument): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(temporary, `${JSON.stringify(doc, null, 2)}\n`);
  await rename(temporary, path);
}

// ─── the poller ──────────────────────────────────────────────────────────────────────────────

// Alike in form only (named numbers): engine/src/physics/physics.ts's and quests/tracker.ts's.
const DEFAULT_BATCH_SIZE = 100;
const MAX_BATCH_SIZE = 10_000;
const DEFAULT_POLL_INTERVAL_MS = 250;
const DEFAULT_MAX_RETRIES = 10;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** The Streams API's limit on records per GetRecords. */
const GET_RECORDS_LIMIT = 1_000;
const MAX_RETRY_DELAY_MS = 10_000;
/** Shards are listed again this often, besides whenever one is read to its end. */
const SHARD_LIST_INTERVAL_MS = 5_000;

interface ShardState {
  readonly shardId: string;
  readonly parentShardId: string | undefined;
  /** The last sequence number handled or discarded. */
  checkpoint: string | undefined;
  /** Where to read next; undefined: get one from the checkpoint. */
  iterator: string | undefined;
  /** Read from the stream, not yet handled; the first follows the checkpoint. */
  pending: StreamRecord[];
  /** The shard is closed and every record of it is in `pending` or handled. */
  endReached: boolean;
  finished: boolean;
  retry: { sequenceNumber: string; failures: number; notBeforeMs: number } | undefined;
}

interface IdleWaiter {
  /** The first poll that counts: one that began after the call. */
  readonly fromPoll: number;
  resolve(): void;
  reject(error: Error): void;
}

function errorName(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "name" in error
    ? String((error as { name: unknown }).name)
    : undefined;
}

function explain(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function sequenceOf(record: StreamRecord): string {
  // Checked when the record was converted; every record is converted before it is handled.
  return record.dynamodb?.SequenceNumber as string;
}

function validate(options: StreamPollerOptions): {
  batchSize: number;
  pollIntervalMs: number;
  maxRetries: number;
  startingPosition: StartingPosition;
} {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new StreamPollerError(
      `batchSize must be a whole number from 1 to ${MAX_BATCH_SIZE} (Lambda's range), not ${batchSize}`,
    );
  }
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 0) {
    throw new StreamPollerError(
      `pollIntervalMs must be a finite number of ms, 0 or more, not ${pollIntervalMs}`,
    );
  }
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (
    !(Number.isInteger(maxRetries) && maxRetries >= 0) &&
    maxRetries !== Number.POSITIVE_INFINITY
  ) {
    throw new StreamPollerError(
      `maxRetries must be a whole number, 0 or more, or Infinity to retry forever, not ${maxRetries}`,
    );
  }
  const startingPosition = options.startingPosition ?? "LATEST";
  if (startingPosition !== "LATEST" && startingPosition !== "TRIM_HORIZON") {
    throw new StreamPollerError(
      `startingPosition must be "LATEST" or "TRIM_HORIZON", not ${JSON.stringify(startingPosition)}`,
    );
  }
  if (options.tableName === "") throw new StreamPollerError("tableName must not be empty");
  return { batchSize, pollIntervalMs, maxRetries, startingPosition };
}

async function latestStreamArn(dynamodb: DynamoDBClient, tableName: string): Promise<string> {
  let arn: string | undefined;
  try {
    arn = (await dynamodb.send(new DescribeTableCommand({ TableName: tableName }))).Table
      ?.LatestStreamArn;
  } catch (error) {
    if (errorName(error) === "ResourceNotFoundException") {
      throw new StreamPollerError(
        `table ${tableName} does not exist: create it (ensureTables) before starting its stream poller`,
        { cause: error },
      );
    }
    throw new StreamPollerError(`could not describe table ${tableName}: ${explain(error)}`, {
      cause: error,
    });
  }
  if (arn === undefined) {
    throw new StreamPollerError(
      `table ${tableName} has no stream: create it with a StreamSpecification ` +
        "(the AuditLog definition has one) or enable one with UpdateTable",
    );
  }
  return arn;
}

/** What the poller tells of failures through: `onError`, or the console by default. */
function reporter(
  tableName: string,
  onErrorOption: StreamPollerOptions["onError"],
): (failure: StreamPollerFailure) => void {
  const onError =
    onErrorOption ??
    ((failure: StreamPollerFailure) => {
      console.error(`[stream poller ${tableName}] ${failure.message}`);
    });
  // A throwing onError must not stop the polling, which nothing would then restart.
  return (failure: StreamPollerFailure): void => {
    try {
      onError(failure);
    } catch (error) {
      console.error(`[stream poller ${tableName}] onError threw: ${explain(error)}`, failure);
    }
  };
}

function newShard(
  shardId: string,
  parentShardId: string | undefined,
  from: SavedShard,
): ShardState {
  return {
    shardId,
    parentShardId,
    checkpoint: from.sequenceNumber,
    iterator: undefined,
    pending: [],
    endReached: false,
    finished: from.finished === true,
    retry: undefined,
  };
}

/** Why a batch failed, and from which of its records. */
interface BatchFailure {
  index: number;
  reason: string;
  cause?: unknown;
}

/**
 * The index of the first failed record per the handler's answer, or undefined if it all
 * succeeded; a reason when the answer fails the whole batch.
 */
function firstFailure(
  batch: readonly LambdaStreamRecord[],
  response: unknown,
): { index: number; reason: string } | undefined {
  if (response === null || typeof response !== "object") return undefined;
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return undefined;
  if (!Array.isArray(failures)) {
    return { index: 0, reason: "batchItemFailures is not an array: the whole batch failed" };
  }
  let index: number | undefined;
  for (const failure of failures) {
    const id =
      typeof failure === "object" && failure !== null
        ? (failure as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    const at =
      typeof id === "string" && id !== ""
        ? batch.findIndex((r) => r.dynamodb.SequenceNumber === id)
        : -1;
    if (at < 0) {
      return {
        index: 0,
        reason:
          `the handler reported itemIdentifier ${JSON.stringify(id)}, which is no ` +
          "SequenceNumber of the batch: the whole batch failed, as in Lambda",
      };
    }
    index = index === undefined ? at : Math.min(index, at);
  }
  return index === undefined
    ? undefined
    : {
        index,
        reason: `the handler reported record ${batch[index]?.dynamodb.SequenceNumber} failed`,
      };
}

/** A shard's next batch, as `#batchOf` makes it. */
interface ShardBatch {
  readonly batch: LambdaStreamRecord[];
  readonly at: number[];
  readonly consumed: number;
}

/** What a started poller works with, fixed at its start. */
interface PollerSetup {
  readonly settings: ReturnType<typeof validate>;
  readonly client: DynamoDBStreamsClient;
  readonly handler: StreamHandler;
  readonly tableName: string;
  readonly checkpointFile: string | undefined;
  readonly streamArn: string;
  readonly awsRegion: string;
  readonly matches: ((record: unknown) => boolean) | undefined;
  readonly report: (failure: StreamPollerFailure) => void;
}

/**
 * A started poller: the stream's shards and where each stands, the checkpoint file, and the loop
 * that polls them until `stop()`.
 */
class RunningPoller {
  readonly #settings: PollerSetup["settings"];
  readonly #client: DynamoDBStreamsClient;
  readonly #handler: StreamHandler;
  readonly #tableName: string;
  readonly #checkpointFile: string | undefined;
  readonly #streamArn: string;
  readonly #awsRegion: string;
  readonly #matches: ((record: unknown) => boolean) | undefined;
  readonly #report: (failure: StreamPollerFailure) => void;
  readonly #shards = new Map<string, ShardState>();
  #listedAtMs = Number.NEGATIVE_INFINITY;
  #listAgain = true;
  #checkpointDirty = false;
  #lastPollFailure: string | undefined;
  /** Whether each record read passes the filters (every record does without filters). */
  readonly #passes = new WeakMap<StreamRecord, boolean>();
  #stopping = false;
  #polls = 0;
  readonly #waiters = new Set<IdleWaiter>();
  #wake: (() => void) | undefined;
  /** The loop, once `start()` began it. */
  #running: Promise<void> = Promise.resolve();
  #stopped: Promise<void> | undefined;

  constructor(setup: PollerSetup) {
    this.#settings = setup.settings;
    this.#client = setup.client;
    this.#handler = setup.handler;
    this.#tableName = setup.tableName;
    this.#checkpointFile = setup.checkpointFile;
    this.#streamArn = setup.streamArn;
    this.#awsRegion = setup.awsRegion;
    this.#matches = setup.matches;
    this.#report = setup.report;
  }

  // ─── the checkpoint and failures ───────────────────────────────────────────────────────────

  async #save(): Promise<void> {
    const checkpointFile = this.#checkpointFile;
    if (checkpointFile === undefined || !this.#checkpointDirty) return;
    const doc: CheckpointDocument = {
      version: CHECKPOINT_VERSION,
      tableName: this.#tableName,
      streamArn: this.#streamArn,
      shards: {},
    };
    for (const s of this.#shards.values()) {
      if (s.finished) doc.shards[s.shardId] = { finished: true };
      else if (s.checkpoint !== undefined) doc.shards[s.shardId] = { sequenceNumber: s.checkpoint };
    }
    try {
      await writeCheckpoint(checkpointFile, doc);
      this.#checkpointDirty = false;
    } catch (error) {
      this.#report({
        kind: "checkpoint_failed",
        message:
          `could not write the checkpoint file ${checkpointFile} (${explain(error)}); ` +
          "check that its folder is writable. Processing goes on.",
        streamArn: this.#streamArn,
        cause: error,
      });
    }
  }

  #pollFailed(what: string, error: unknown, shardId?: string): void {
    this.#lastPollFailure = `${what} failed (${explain(error)})`;
    this.#report({
      kind: "poll_failed",
      message:
        `${what} failed (${explain(error)}); trying again at the next poll. ` +
        "Is the DynamoDB endpoint still running?",
      streamArn: this.#streamArn,
      ...(shardId === undefined ? {} : { shardId }),
      cause: error,
    });
  }

  // ─── shards ────────────────────────────────────────────────────────────────────────────────

  async #listShards() {
    const listed: { shardId: string; parentShardId: string | undefined; closed: boolean }[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const out = await this.#client.send(
        new DescribeStreamCommand({
          StreamArn: this.#streamArn,
          ...(exclusiveStartShardId === undefined
            ? {}
            : { ExclusiveStartShardId: exclusiveStartShardId }),
        }),
      );
      for (const shard of out.StreamDescription?.Shards ?? []) {
        if (shard.ShardId === undefined) continue;
        listed.push({
          shardId: shard.ShardId,
          parentShardId: shard.ParentShardId,
          closed: shard.SequenceNumberRange?.EndingSequenceNumber !== undefined,
        });
      }
      exclusiveStartShardId = out.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
    return listed;
  }

  /** Lists the shards; new ones are read from their start (the stream is known by now). */
  async #refreshShards(): Promise<void> {
    const listed = await this.#listShards();
    const ids = new Set(listed.map((s) => s.shardId));
    for (const s of listed) {
      if (!this.#shards.has(s.shardId)) {
        this.#shards.set(s.shardId, newShard(s.shardId, s.parentShardId, {}));
      }
    }
    // A finished shard that the stream no longer lists was trimmed: forget it. An unfinished one
    // stays until its reads say it is gone, so that its records are not skipped.
    for (const [id, s] of this.#shards) {
      if (s.finished && !ids.has(id)) {
        this.#shards.delete(id);
        this.#checkpointDirty = true;
      }
    }
    this.#listedAtMs = Date.now();
    this.#listAgain = false;
  }

  /**
   * LATEST on a stream seen for the first time: reads each open shard to its tip and keeps the
   * last sequence number as the checkpoint, rather than taking a LATEST iterator, so that the
   * position can be saved and a restart before any new record still starts from here.
   */
  async #skipToTip(shard: ShardState): Promise<void> {
    let iterator = (
      await this.#client.send(
        new GetShardIteratorCommand({
          StreamArn: this.#streamArn,
          ShardId: shard.shardId,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      )
    ).ShardIterator;
    while (iterator !== undefined) {
      const page = await this.#client.send(
        new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_RECORDS_LIMIT }),
      );
      const records = page.Records ?? [];
      const last = records.at(-1)?.dynamodb?.SequenceNumber;
      if (last !== undefined) shard.checkpoint = last;
      iterator = page.NextShardIterator;
      if (records.length === 0) break;
    }
    shard.iterator = iterator;
    if (iterator === undefined) shard.finished = true;
  }

  /** The starting position: from the checkpoint file, or from `startingPosition` for a new stream. */
  async fixStartingPosition(known: CheckpointDocument | undefined): Promise<void> {
    const listed = await this.#listShards();
    this.#listedAtMs = Date.now();
    this.#listAgain = false;
    for (const s of listed) {
      this.#shards.set(
        s.shardId,
        newShard(s.shardId, s.parentShardId, known?.shards[s.shardId] ?? {}),
      );
    }
    if (known === undefined && this.#settings.startingPosition === "LATEST") {
      for (const s of listed) {
        const shard = this.#shards.get(s.shardId) as ShardState;
        // A closed shard holds nothing after "now".
        if (s.closed) shard.finished = true;
        else await this.#skipToTip(shard);
      }
    }
    this.#checkpointDirty = true;
    await this.#save();
  }

  // ─── reading a shard ───────────────────────────────────────────────────────────────────────

  /** A shard iterator for where the shard's processing stands. */
  async #position(shard: ShardState): Promise<void> {
    const request = (checkpoint: string | undefined) =>
      this.#client.send(
        new GetShardIteratorCommand({
          StreamArn: this.#streamArn,
          ShardId: shard.shardId,
          ...(checkpoint === undefined
            ? { ShardIteratorType: "TRIM_HORIZON" }
            : { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: checkpoint }),
        }),
      );
    try {
      shard.iterator = (await request(shard.checkpoint)).ShardIterator;
    } catch (error) {
      const name = errorName(error);
      if (name === "ResourceNotFoundException") {
        // Trimmed away while the poller was stopped: nothing of it can be read any more.
        shard.finished = true;
        this.#checkpointDirty = true;
        return;
      }
      if (name !== "TrimmedDataAccessException" || shard.checkpoint === undefined) throw error;
      this.#report({
        kind: "position_reset",
        message:
          `the saved position ${shard.checkpoint} of shard ${shard.shardId} is older than the ` +
          "stream's retention (24 hours): reading it from its oldest record; the records between " +
          "were trimmed and are not delivered",
        streamArn: this.#streamArn,
        shardId: shard.shardId,
        cause: error,
      });
      shard.iterator = (await request(undefined)).ShardIterator;
    }
    shard.pending = [];
    shard.endReached = shard.iterator === undefined;
  }

  #handable(shard: ShardState): number {
    if (this.#matches === undefined) return shard.pending.length;
    let n = 0;
    for (const record of shard.pending) if (this.#passes.get(record) === true) n++;
    return n;
  }

  /**
   * Reads until `batchSize` records to hand over are pending or the shard has nothing more for
   * now. With filters it reads whole pages: most records may be passed over.
   */
  async #fill(shard: ShardState): Promise<void> {
    if (shard.iterator === undefined && !shard.endReached) await this.#position(shard);
    let have = this.#handable(shard);
    while (have < this.#settings.batchSize && shard.iterator !== undefined) {
      let page: GetRecordsCommandOutput;
      try {
        page = await this.#readPage(
          shard.iterator,
          this.#matches === undefined ? this.#settings.batchSize - have : GET_RECORDS_LIMIT,
        );
      } catch (error) {
        if (errorName(error) !== "ExpiredIteratorException") throw error;
        // The handler held the shard longer than an iterator lives (15 minutes in AWS): take a
        // new one from the checkpoint; the pending records are read again from there.
        shard.iterator = undefined;
        await this.#position(shard);
        continue;
      }
      const records = page.Records ?? [];
      // Converted now so that a malformed record fails the read, not the checkpoint after it.
      for (const record of records) {
        const converted = toLambdaStreamRecord(record, {
          streamArn: this.#streamArn,
          awsRegion: this.#awsRegion,
        });
        const pass = this.#matches === undefined || this.#matches(converted);
        this.#passes.set(record, pass);
        if (pass) have++;
      }
      shard.pending.push(...records);
      shard.iterator = page.NextShardIterator;
      if (shard.iterator === undefined) shard.endReached = true;
      if (records.length === 0) break;
    }
  }

  #readPage(iterator: string, wanted: number): Promise<GetRecordsCommandOutput> {
    return this.#client.send(
      new GetRecordsCommand({
        ShardIterator: iterator,
        Limit: Math.min(GET_RECORDS_LIMIT, wanted),
      }),
    );
  }

  // ─── handing over a batch ──────────────────────────────────────────────────────────────────

  #acknowledge(shard: ShardState, count: number): void {
    if (count === 0) return;
    shard.checkpoint = sequenceOf(shard.pending[count - 1] as StreamRecord);
    shard.pending.splice(0, count);
    this.#checkpointDirty = true;
  }

  /**
   * The shard's next batch: the first `batchSize` records that pass the filters, and how many
   * pending records they span (`consumed`); `at[k]` is the pending index of the batch's record k.
   */
  #batchOf(shard: ShardState): ShardBatch {
    const batch: LambdaStreamRecord[] = [];
    const at: number[] = [];
    let consumed = 0;
    for (const record of shard.pending) {
      if (batch.length === this.#settings.batchSize) break;
      consumed++;
      if (this.#passes.get(record) === false) continue;
      batch.push(
        toLambdaStreamRecord(record, { streamArn: this.#streamArn, awsRegion: this.#awsRegion }),
      );
      at.push(consumed - 1);
    }
    return { batch, at, consumed };
  }

  /** Handles one batch of the shard if it has one; true if there was something to do. */
  async #processShard(shard: ShardState): Promise<boolean> {
    if (shard.retry !== undefined && Date.now() < shard.retry.notBeforeMs) return true;
    if (!shard.endReached && this.#handable(shard) < this.#settings.batchSize) {
      await this.#fill(shard);
    }
    if (shard.finished) {
      // Gone from the stream (trimmed while the poller was stopped).
      await this.#save();
      return true;
    }
    if (shard.pending.length === 0) {
      if (!shard.endReached) return false;
      // Read to its end: its children may start, and the list of shards has changed.
      shard.finished = true;
      this.#checkpointDirty = true;
      this.#listAgain = true;
      await this.#save();
      return true;
    }
    const next = this.#batchOf(shard);
    const { batch, consumed } = next;
    if (batch.length === 0) {
      // Nothing here for the handler: passed over, as Lambda drops what its filters do not match.
      this.#acknowledge(shard, consumed);
      await this.#save();
      return true;
    }
    let failed: BatchFailure | undefined;
    try {
      failed = firstFailure(batch, await this.#handler({ Records: batch }));
    } catch (error) {
      failed = { index: 0, reason: `the handler threw ${explain(error)}`, cause: error };
    }
    if (failed === undefined) {
      this.#acknowledge(shard, consumed);
      shard.retry = undefined;
    } else {
      this.#batchFailed(shard, next, failed);
    }
    await this.#save();
    return true;
  }

  /**
   * Checkpoints the records before the first failed one, then schedules a retry from it, or,
   * after `maxRetries`, discards the rest of the batch.
   */
  #batchFailed(shard: ShardState, { batch, at, consumed }: ShardBatch, failed: BatchFailure): void {
    const failedAt = at[failed.index] as number;
    this.#acknowledge(shard, failedAt);
    const rest = batch.slice(failed.index);
    const first = rest[0] as LambdaStreamRecord;
    const last = rest.at(-1) as LambdaStreamRecord;
    const failures =
      shard.retry?.sequenceNumber === first.dynamodb.SequenceNumber ? shard.retry.failures + 1 : 1;
    const info: StreamBatchInfo = {
      shardId: shard.shardId,
      startSequenceNumber: first.dynamodb.SequenceNumber,
      endSequenceNumber: last.dynamodb.SequenceNumber,
      batchSize: rest.length,
      attempts: failures,
      records: rest,
    };
    const { maxRetries, pollIntervalMs } = this.#settings;
    if (failures > maxRetries) {
      this.#acknowledge(shard, consumed - failedAt);
      shard.retry = undefined;
      this.#report({
        kind: "records_discarded",
        message:
          `discarded ${rest.length} records of shard ${shard.shardId} (sequence numbers ` +
          `${info.startSequenceNumber} to ${info.endSequenceNumber}) after ${failures} failed ` +
          `invocations; last: ${failed.reason}. Fix the handler and replay them from the ` +
          "table if they matter.",
        streamArn: this.#streamArn,
        shardId: shard.shardId,
        batch: info,
        ...(failed.cause === undefined ? {} : { cause: failed.cause }),
      });
    } else {
      const delayMs = Math.min(pollIntervalMs * 2 ** (failures - 1), MAX_RETRY_DELAY_MS);
      shard.retry = {
        sequenceNumber: first.dynamodb.SequenceNumber,
        failures,
        notBeforeMs: Date.now() + delayMs,
      };
      this.#report({
        kind: "handler_failed",
        message:
          `${failed.reason}; retrying shard ${shard.shardId} from ${info.startSequenceNumber} in ` +
          `${delayMs} ms (failure ${failures}, at most ${maxRetries} retries)`,
        streamArn: this.#streamArn,
        shardId: shard.shardId,
        batch: info,
        ...(failed.cause === undefined ? {} : { cause: failed.cause }),
      });
    }
  }

  // ─── the loop ──────────────────────────────────────────────────────────────────────────────

  /**
   * One poll of every shard that may be read. `busy`: something was or is still to do;
   * `progressed`: something moved, so more may follow at once.
   */
  async #poll(): Promise<{ busy: boolean; progressed: boolean }> {
    let busy = false;
    let progressed = false;
    if (this.#listAgain || Date.now() - this.#listedAtMs >= SHARD_LIST_INTERVAL_MS) {
      const before = this.#shards.size;
      try {
        await this.#refreshShards();
      } catch (error) {
        this.#pollFailed("DescribeStream", error);
        return { busy: true, progressed: false };
      }
      if (this.#shards.size !== before) {
        busy = true;
        progressed = true;
      }
    }
    for (const shard of this.#shards.values()) {
      if (this.#stopping) break;
      if (shard.finished) continue;
      const parent =
        shard.parentShardId === undefined ? undefined : this.#shards.get(shard.parentShardId);
      if (parent !== undefined && !parent.finished) {
        busy = true;
        continue;
      }
      try {
        const did = await this.#processShard(shard);
        busy ||= did;
        progressed ||= did && shard.retry === undefined;
      } catch (error) {
        this.#pollFailed(`reading shard ${shard.shardId}`, error, shard.shardId);
        busy = true;
      }
    }
    return { busy, progressed };
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      const number = ++this.#polls;
      const { busy, progressed } = await this.#poll();
      if (!busy) {
        this.#lastPollFailure = undefined;
        for (const waiter of this.#waiters) {
          if (number >= waiter.fromPoll) {
            this.#waiters.delete(waiter);
            waiter.resolve();
          }
        }
      }
      // A poll that moved may have left more behind: read on at once, as Lambda does.
      if (!progressed && !this.#stopping) await this.#sleep(this.#settings.pollIntervalMs);
    }
    await this.#save();
  }

  /** Begins polling, once the starting position is fixed. */
  start(): void {
    this.#running = this.#loop();
  }

  #pendingSummary(): string {
    const parts: string[] = [];
    for (const s of this.#shards.values()) {
      if (s.finished) continue;
      if (s.retry !== undefined) {
        parts.push(
          `shard ${s.shardId} is retrying from ${s.retry.sequenceNumber} (failure ${s.retry.failures})`,
        );
      } else if (s.pending.length > 0) {
        parts.push(`shard ${s.shardId} has ${s.pending.length} records to hand over`);
      }
    }
    if (this.#lastPollFailure !== undefined) {
      parts.push(`the last poll error: ${this.#lastPollFailure}`);
    }
    return parts.length === 0 ? "no shard reached its tip in time" : parts.join("; ");
  }

  // ─── StreamPoller ──────────────────────────────────────────────────────────────────────────

  stop(): Promise<void> {
    if (this.#stopped === undefined) {
      this.#stopping = true;
      this.#wake?.();
      this.#stopped = this.#running.then(() => {
        for (const waiter of this.#waiters) {
          waiter.reject(
            new StreamPollerError(`the stream poller of ${this.#tableName} was stopped`),
          );
        }
        this.#waiters.clear();
      });
    }
    return this.#stopped;
  }

  waitForIdle({ timeoutMs = DEFAULT_IDLE_TIMEOUT_MS } = {}): Promise<void> {
    if (this.#stopping) {
      return Promise.reject(
        new StreamPollerError(
          `the stream poller of ${this.#tableName} is stopped: start a new one`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(
          new StreamPollerError(
            `the stream of ${this.#tableName} was still busy after ${timeoutMs} ms: ${this.#pendingSummary()}`,
          ),
        );
      }, timeoutMs);
      const waiter: IdleWaiter = {
        fromPoll: this.#polls + 1,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#waiters.add(waiter);
      // No need to sit out the poll interval: look now.
      this.#wake?.();
    });
  }
}

/**
 * Starts polling the table's stream. Resolves once the starting position of every shard is fixed,
 * so that with LATEST every record written after it resolves is delivered.
 */
export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const settings = validate(options);
  const { client, handler, tableName, checkpointFile } = options;
  let matches: ((record: unknown) => boolean) | undefined;
  try {
    matches = options.filters === undefined ? undefined : compileEventFilters(options.filters);
  } catch (error) {
    throw new StreamPollerError(`filters: ${explain(error)}`, { cause: error });
  }
  const report = reporter(tableName, options.onError);
  const streamArn = await latestStreamArn(options.dynamodb, tableName);
  const awsRegion = options.awsRegion ?? (await options.dynamodb.config.region());

  const saved = checkpointFile === undefined ? undefined : await readCheckpoint(checkpointFile);
  // A checkpoint of another stream (the table was created again, say in a fresh in-memory
  // DynamoDB Local) says nothing about this one.
  const known = saved !== undefined && saved.streamArn === streamArn ? saved : undefined;

  const poller = new RunningPoller({
    settings,
    client,
    handler,
    tableName,
    checkpointFile,
    streamArn,
    awsRegion,
    matches,
    report,
  });
  await poller.fixStartingPosition(known);
  poller.start();
  return {
    streamArn,
    stop() {
      return poller.stop();
    },
    waitForIdle(idleOptions) {
      return poller.waitForIdle(idleOptions);
    },
  };
}
