/**
 * The tick-pipeline suite: the game loop's Lambda work end to end (load the world, run 600 fixed
 * steps with the players' commands, commit once, publish, push) against DynamoDB Local, while 100
 * simulated players send `move` commands through the command use case in another process, as the
 * command Lambdas would. It reports ticks/s, commits/s, the DynamoDB writes per tick and per batch
 * (counted on the SDK client), the time split, and what a million ticks would cost on AWS in this
 * design against one Step Functions lap and one Lambda invocation per tick.
 *
 * The harness times synchronous ops in fresh processes, which fits the simulation but not an
 * asynchronous pipeline with a database: the suite's one scenario (`tick_hash`) is the simulation
 * alone, and the pipeline runs in `notes()`, once, in the bench's main process.
 *
 * `npm run bench -- --only tick-pipeline` (add `--quick` for 2 batches); other counts through
 * `LQ_TICK_PIPELINE="batches=10,players=50,..."` (keys of `TickPipelineOptions`).
 */
import { fork } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DynamoDbCommandInbox,
  DynamoDbEntityStore,
  DynamoDbJournal,
  documentClient,
  ensureTables,
  type TableNames,
  tableNames,
} from "@ledgerquest/aws";
import { type Command, Ledger, Simulation } from "@ledgerquest/engine";
import { arenaModule } from "@ledgerquest/example-arena";
import { DynamoDbLocalError, startDynamoDbLocal } from "@ledgerquest/local";
import {
  appliedCommandCounts,
  connect,
  createWorld,
  GAME_LOOP_STATES,
  gameLoopDefinition,
  MemoryBlobStore,
  MemoryClientPush,
  MemoryEventPublisher,
  type OutgoingEvent,
  putEventsEntrySize,
  type RuntimeDeps,
  runTick,
  runTickBatch,
  submitCommand,
  systemClock,
  type TickBatchResult,
} from "@ledgerquest/runtime";
import { ChecksumError, type Subject, type Suite } from "../harness.js";
import {
  AWS_PRICES,
  costUsd,
  EVENT_CHUNK_BYTES,
  LAMBDA_FULL_VCPU_MB,
  type Price,
  READ_UNIT_BYTES,
  WRITE_UNIT_BYTES,
} from "./aws-prices.js";

// ─── options ─────────────────────────────────────────────────────────────────────────────────────

export interface TickPipelineOptions {
  /** A running DynamoDB to use (tests pass theirs); without it, DynamoDB Local starts in memory. */
  readonly endpoint?: string;
  readonly bodies: number;
  readonly players: number;
  readonly bots: number;
  readonly coins: number;
  /**
   * Batches run first and left out of the figures: the JIT warms up (as in a warm Lambda) and the
   * players' process reaches its steady rate.
   */
  readonly warmupBatches: number;
  /** Measured batches of `ticksPerBatch` ticks each. */
  readonly batches: number;
  readonly ticksPerBatch: number;
  /** One-tick batches run after the measured ones: the per-tick design's invocation, measured. */
  readonly naiveBatches: number;
  /** Each player sends a command this often (wall time). */
  readonly commandIntervalMs: number;
  /** The bound on each player's commands, whatever the batches' pace. */
  readonly commandsPerPlayerMax: number;
  readonly inboxShards: number;
  /** The tick Lambda's memory size the cost is computed for (arm64). */
  readonly lambdaMemoryMb: number;
}

export const DEFAULT_OPTIONS: TickPipelineOptions = {
  bodies: 1000,
  players: 100,
  bots: 0,
  coins: 200,
  warmupBatches: 1,
  batches: 5,
  ticksPerBatch: 600,
  naiveBatches: 10,
  // Every 100 ms (1,000 commands/s) saturated DynamoDB Local on a 2-core machine: requests
  // queued for 200-400 ms and the benchmark measured the emulator's queue, not the pipeline.
  commandIntervalMs: 1000,
  commandsPerPlayerMax: 300,
  inboxShards: 4,
  lambdaMemoryMb: 1024,
};

export const QUICK_OPTIONS: TickPipelineOptions = {
  ...DEFAULT_OPTIONS,
  batches: 2,
  naiveBatches: 5,
};

type CountKey = Exclude<keyof TickPipelineOptions, "endpoint">;
const COUNT_KEYS = Object.keys(DEFAULT_OPTIONS) as CountKey[];

/** `batches=10,players=50` into options; an unknown key or a bad count is an error, not a default. */
export function parseOptionOverrides(text: string): Partial<TickPipelineOptions> {
  const out: Partial<Record<CountKey, number>> = {};
  for (const pair of text.split(",").map((s) => s.trim())) {
    if (pair === "") continue;
    const [key, value] = pair.split("=");
    if (key === undefined || !(COUNT_KEYS as string[]).includes(key)) {
      throw new RangeError(
        `unknown tick-pipeline option "${key}"; known: ${COUNT_KEYS.join(", ")}`,
      );
    }
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`tick-pipeline option ${key} must be a whole number, got "${value}"`);
    }
    out[key as CountKey] = n;
  }
  return out;
}

function checkOptions(o: TickPipelineOptions): void {
  const positive: CountKey[] = [
    "players",
    "batches",
    "ticksPerBatch",
    "commandIntervalMs",
    "commandsPerPlayerMax",
    "inboxShards",
    "lambdaMemoryMb",
  ];
  for (const key of COUNT_KEYS) {
    const v = o[key];
    if (!Number.isInteger(v) || v < 0 || (positive.includes(key) && v === 0)) {
      throw new RangeError(`tick-pipeline option ${key} must be a positive whole number, got ${v}`);
    }
  }
  if (o.players > 9999) throw new RangeError("at most 9,999 players (ids are player_0001..9999)");
}

// ─── counting DynamoDB requests on the client ────────────────────────────────────────────────────

/** What one kind of DynamoDB request added up to. */
export interface CommandTally {
  requests: number;
  /** Items written (a transaction's actions) or returned. */
  items: number;
  /** Write request units by AWS's documented rules, from the items' sizes (0 for reads). */
  wru: number;
  /** Read request units by AWS's documented rules, from the returned items' sizes (0 for writes). */
  rru: number;
  /** Capacity units DynamoDB Local reported (ReturnConsumedCapacity). */
  reportedUnits: number;
  /** Time inside the SDK call, ms. */
  ioMs: number;
  /** Requests that failed (a failed condition still consumes capacity). */
  failures: number;
}

export interface MeterTotals {
  readonly writeRequests: number;
  readonly writeItems: number;
  readonly wru: number;
  readonly reportedWriteUnits: number;
  readonly readRequests: number;
  readonly readItems: number;
  readonly rru: number;
  readonly reportedReadUnits: number;
  readonly ioMs: number;
  readonly byCommand: Readonly<Record<string, CommandTally>>;
}

const WRITE_COMMANDS = new Set([
  "PutItemCommand",
  "UpdateItemCommand",
  "DeleteItemCommand",
  "TransactWriteItemsCommand",
  "BatchWriteItemCommand",
]);
const READ_COMMANDS = new Set([
  "GetItemCommand",
  "QueryCommand",
  "ScanCommand",
  "BatchGetItemCommand",
  "TransactGetItemsCommand",
]);

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

const utf8 = new TextEncoder();

/** A number's stored size: about one byte per two significant digits, plus one. */
function numberBytes(n: number | bigint): number {
  const digits = String(n)
    .replace(/^-/, "")
    .replace(/e.*$/i, "")
    .replace(".", "")
    .replace(/^0+/, "")
    .replace(/0+$/, "");
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/**
 * An attribute value's size as DynamoDB bills it, from the document client's native values
 * (the adapters' only form): strings and binaries by their bytes, a list or map 3 bytes plus 1 a
 * member, booleans and null 1 byte. Undefined members are dropped by the marshaller.
 */
function attributeBytes(value: unknown): number {
  if (value === undefined) return 0;
  if (value === null || typeof value === "boolean") return 1;
  if (typeof value === "string") return utf8.encode(value).length;
  if (typeof value === "number" || typeof value === "bigint") return numberBytes(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return value.reduce<number>((s, v) => s + 1 + attributeBytes(v), 3);
  if (value instanceof Set) return [...value].reduce<number>((s, v) => s + attributeBytes(v), 0);
  let size = 3;
  for (const [name, v] of Object.entries(record(value))) {
    if (v !== undefined) size += utf8.encode(name).length + attributeBytes(v) + 1;
  }
  return size;
}

/** An item's size: its attribute names and values. */
export function itemBytes(item: unknown): number {
  let size = 0;
  for (const [name, v] of Object.entries(record(item))) {
    if (v !== undefined) size += utf8.encode(name).length + attributeBytes(v);
  }
  return size;
}

function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / WRITE_UNIT_BYTES));
}

/**
 * An update's or a condition check's billed size is the stored item's (the larger of before and
 * after), which the request does not show; the key plus the written values is a floor, exact for
 * the small watermark items the adapters update.
 */
function keyAndValuesBytes(action: Record<string, unknown>): number {
  return itemBytes(action.Key) + attributeBytes(action.ExpressionAttributeValues ?? {}) - 3;
}

function writeEstimate(command: string, input: Record<string, unknown>): [number, number] {
  switch (command) {
    case "PutItemCommand":
      return [1, writeUnits(itemBytes(input.Item))];
    case "UpdateItemCommand":
      return [1, writeUnits(keyAndValuesBytes(input))];
    case "DeleteItemCommand":
      return [1, writeUnits(itemBytes(input.Key))];
    case "TransactWriteItemsCommand": {
      const actions = Array.isArray(input.TransactItems) ? input.TransactItems : [];
      let wru = 0;
      for (const a of actions) {
        const action = record(a);
        const put = record(action.Put);
        const bytes =
          action.Put !== undefined
            ? itemBytes(put.Item)
            : keyAndValuesBytes(
                record(action.Update ?? action.Delete ?? action.ConditionCheck ?? {}),
              );
        // A transactional write costs 2 units per KB. The pricing page does not price a condition
        // check; it is counted as a transactional write of its key here, an upper bound.
        wru += 2 * writeUnits(bytes);
      }
      return [actions.length, wru];
    }
    case "BatchWriteItemCommand": {
      let items = 0;
      let wru = 0;
      for (const requests of Object.values(record(input.RequestItems))) {
        for (const r of Array.isArray(requests) ? requests : []) {
          const put = record(record(r).PutRequest);
          items++;
          wru += writeUnits(itemBytes(put.Item ?? record(record(r).DeleteRequest).Key));
        }
      }
      return [items, wru];
    }
    default:
      return [0, 0];
  }
}

function reportedUnits(output: unknown): number {
  const consumed = record(output).ConsumedCapacity;
  const list = Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed];
  return list.reduce<number>((s, c) => s + Number(record(c).CapacityUnits ?? 0), 0);
}

function itemsReturned(output: unknown): readonly unknown[] {
  const o = record(output);
  if (Array.isArray(o.Items)) return o.Items;
  if (Array.isArray(o.Responses)) return o.Responses;
  return o.Item === undefined ? [] : [o.Item];
}

/**
 * Read units by the documented rules: a strongly consistent read costs 1 unit per 4 KB, at least
 * 1 even when nothing is found; a query is sized by all it returns together; an eventually
 * consistent read (a query on an index) costs half.
 */
function readUnits(command: string, input: Record<string, unknown>, items: readonly unknown[]) {
  const bytes = items.map(itemBytes);
  const units = (b: number) => Math.max(1, Math.ceil(b / READ_UNIT_BYTES));
  const strong =
    command === "QueryCommand" || command === "ScanCommand"
      ? units(bytes.reduce((s, b) => s + b, 0))
      : bytes.length === 0
        ? 1
        : bytes.reduce((s, b) => s + units(b), 0);
  return input.ConsistentRead === true ? strong : strong / 2;
}

/** Counts a DynamoDB client's data requests by command, with their items and request units. */
export class DynamoDbMeter {
  readonly #byCommand = new Map<string, CommandTally>();
  /** Size of the last item written with each `type` attribute (world, batch, ...), bytes. */
  readonly lastItemBytes = new Map<string, number>();

  attach(client: DynamoDBClient, name: string): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? "unknown";
        const isWrite = WRITE_COMMANDS.has(command);
        if (!isWrite && !READ_COMMANDS.has(command)) return next(args);
        const input = record(args.input);
        const tally = this.#tally(command);
        tally.requests++;
        if (isWrite) {
          const [items, wru] = writeEstimate(command, input);
          tally.items += items;
          tally.wru += wru;
          const item = record(input.Item);
          if (typeof item.type === "string") this.lastItemBytes.set(item.type, itemBytes(item));
        }
        const startMs = performance.now();
        try {
          // Asking for the consumed capacity changes what comes back, not what is written.
          const out = await next({
            ...args,
            input: { ...args.input, ReturnConsumedCapacity: "TOTAL" },
          });
          tally.reportedUnits += reportedUnits(out.output);
          if (!isWrite) {
            const items = itemsReturned(out.output);
            tally.items += items.length;
            tally.rru += readUnits(command, input, items);
          }
          return out;
        } catch (error) {
          tally.failures++;
          throw error;
        } finally {
          tally.ioMs += performance.now() - startMs;
        }
      },
      { step: "initialize", name: `benchMeter-${name}` },
    );
  }

  #tally(command: string): CommandTally {
    let t = this.#byCommand.get(command);
    if (t === undefined) {
      t = { requests: 0, items: 0, wru: 0, rru: 0, reportedUnits: 0, ioMs: 0, failures: 0 };
      this.#byCommand.set(command, t);
    }
    return t;
  }

  totals(): MeterTotals {
    const byCommand: Record<string, CommandTally> = {};
    for (const [k, v] of this.#byCommand) byCommand[k] = { ...v };
    return totalsOf(byCommand);
  }
}

function totalsOf(byCommand: Record<string, CommandTally>): MeterTotals {
  let writeRequests = 0;
  let writeItems = 0;
  let wru = 0;
  let reportedWriteUnits = 0;
  let readRequests = 0;
  let readItems = 0;
  let rru = 0;
  let reportedReadUnits = 0;
  let ioMs = 0;
  for (const [command, t] of Object.entries(byCommand)) {
    ioMs += t.ioMs;
    if (WRITE_COMMANDS.has(command)) {
      writeRequests += t.requests;
      writeItems += t.items;
      wru += t.wru;
      reportedWriteUnits += t.reportedUnits;
    } else {
      readRequests += t.requests;
      readItems += t.items;
      rru += t.rru;
      reportedReadUnits += t.reportedUnits;
    }
  }
  return {
    writeRequests,
    writeItems,
    wru,
    reportedWriteUnits,
    readRequests,
    readItems,
    rru,
    reportedReadUnits,
    ioMs,
    byCommand,
  };
}

function diffTotals(after: MeterTotals, before: MeterTotals): MeterTotals {
  const byCommand: Record<string, CommandTally> = {};
  for (const [k, a] of Object.entries(after.byCommand)) {
    const b = before.byCommand[k];
    const d: CommandTally = {
      requests: a.requests - (b?.requests ?? 0),
      items: a.items - (b?.items ?? 0),
      wru: a.wru - (b?.wru ?? 0),
      rru: a.rru - (b?.rru ?? 0),
      reportedUnits: a.reportedUnits - (b?.reportedUnits ?? 0),
      ioMs: a.ioMs - (b?.ioMs ?? 0),
      failures: a.failures - (b?.failures ?? 0),
    };
    if (d.requests > 0) byCommand[k] = d;
  }
  return totalsOf(byCommand);
}

// ─── timing the phases of a batch through its port calls ─────────────────────────────────────────

interface PortCall {
  readonly name: string;
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * The port with every method call timed into `calls`. The use case calls its ports in a fixed
 * order (load, pending-batch check, drains while simulating, batch record, commit, publish,
 * push), so the call times split a batch into phases without touching the use case.
 */
function instrument<T extends object>(port: T, portName: string, calls: PortCall[]): T {
  return new Proxy(port, {
    get(target, property) {
      // The target, not the proxy, as receiver: adapters keep state in private fields.
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== "function" || typeof property !== "string") return value;
      const name = `${portName}.${property}`;
      return (...args: unknown[]) => {
        const startMs = performance.now();
        const out: unknown = value.apply(target, args);
        if (!(out instanceof Promise)) return out;
        return out.finally(() => calls.push({ name, startMs, endMs: performance.now() }));
      };
    },
  });
}

// ─── the players: another process, as the command Lambdas are ────────────────────────────────────

interface PlayersConfig {
  readonly endpoint: string;
  readonly tables: TableNames;
  readonly worldId: string;
  readonly players: readonly string[];
  readonly connectionIds: readonly string[];
  readonly intervalMs: number;
  readonly perPlayerMax: number;
}

export interface PlayersReport {
  readonly submitted: number;
  /** `player/commandId` of every command the inbox took. */
  readonly accepted: readonly string[];
  /** Answered `duplicate` (a retried request whose first attempt landed): stored once. */
  readonly duplicates: readonly string[];
  /** Refused with an error frame, by code (none expected). */
  readonly rejected: Readonly<Record<string, number>>;
  /** Threw (the store was unavailable): stored or not. */
  readonly failed: readonly string[];
  readonly firstFailure?: string;
  readonly durationMs: number;
  readonly dynamodb: MeterTotals;
}

type PlayersMessage =
  | { readonly kind: "started" }
  | { readonly kind: "done"; readonly report: PlayersReport };

const PLAYERS_ENV = "LQ_TICK_PIPELINE_PLAYERS";
const SELF = fileURLToPath(import.meta.url);
const REPO_ROOT = resolve(dirname(SELF), "../../..");

function clientConfig(endpoint: string) {
  return {
    endpoint,
    region: AWS_PRICES.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
}

/** Eight directions, so no two consecutive moves of a player cancel out. */
const DIRECTIONS: readonly (readonly [number, number])[] = [
  [1, 0],
  [0.7, 0.7],
  [0, 1],
  [-0.7, 0.7],
  [-1, 0],
  [-0.7, -0.7],
  [0, -1],
  [0.7, -0.7],
];

function moveData(player: number, n: number): { dx: number; dy: number } {
  const [dx, dy] = DIRECTIONS[(player * 3 + n) % DIRECTIONS.length] as readonly [number, number];
  return { dx, dy };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The child process: every player sends a move every `intervalMs` until told to stop. */
async function playersProcess(config: PlayersConfig): Promise<void> {
  const client = new DynamoDBClient(clientConfig(config.endpoint));
  const meter = new DynamoDbMeter();
  meter.attach(client, "players");
  const doc = documentClient(client);
  const tables = config.tables;
  const deps: RuntimeDeps = {
    store: new DynamoDbEntityStore(doc, { tables }),
    journal: new DynamoDbJournal(doc, { tables }),
    inbox: new DynamoDbCommandInbox(doc, { tables }),
    blobs: new MemoryBlobStore(),
    publisher: new MemoryEventPublisher(),
    push: new MemoryClientPush(),
    clock: systemClock,
    game: arenaModule,
  };
  let stopped = false;
  process.on("message", (m) => {
    if (m === "stop") stopped = true;
  });
  const accepted: string[] = [];
  const duplicates: string[] = [];
  const failed: string[] = [];
  let firstFailure: string | undefined;
  const rejected: Record<string, number> = {};
  let submitted = 0;
  const startMs = performance.now();
  const send = (message: PlayersMessage) =>
    new Promise<void>((r) => (process.send ? process.send(message, () => r()) : r()));
  await send({ kind: "started" });

  await Promise.all(
    config.players.map(async (playerId, p) => {
      const connectionId = config.connectionIds[p] as string;
      // Staggered, so the players' commands spread over the interval instead of arriving at once.
      let dueMs = startMs + (p * config.intervalMs) / config.players.length;
      for (let n = 0; n < config.perPlayerMax && !stopped; n++) {
        const wait = dueMs - performance.now();
        if (wait > 0) await sleep(wait);
        if (stopped) break;
        const id = `c-${n}`;
        const key = `${playerId}/${id}`;
        submitted++;
        try {
          const r = await submitCommand(deps, {
            connectionId,
            playerId,
            body: JSON.stringify({ action: "command", id, type: "move", data: moveData(p, n) }),
          });
          if (!r.ok) rejected[r.error.code] = (rejected[r.error.code] ?? 0) + 1;
          else if (r.result === "accepted") accepted.push(key);
          else duplicates.push(key);
        } catch (error) {
          failed.push(key);
          firstFailure ??=
            error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        }
        // A player that fell behind sends its next command at once, but never a burst.
        dueMs = Math.max(dueMs + config.intervalMs, performance.now());
      }
    }),
  );
  await send({
    kind: "done",
    report: {
      submitted,
      accepted,
      duplicates,
      rejected,
      failed,
      ...(firstFailure === undefined ? {} : { firstFailure }),
      durationMs: performance.now() - startMs,
      dynamodb: meter.totals(),
    },
  });
  client.destroy();
  process.disconnect();
}

interface PlayersHandle {
  readonly started: Promise<void>;
  /** Tells the players to stop and resolves with their report. */
  stop(): Promise<PlayersReport>;
  kill(): void;
}

function startPlayers(config: PlayersConfig): PlayersHandle {
  // tsx loads this TypeScript module in the child, whether the parent is the bench or Vitest,
  // and the packages resolve to their sources there too, as they do in the parent.
  const child = fork(SELF, [], {
    execArgv: ["--conditions=@ledgerquest/source", "--import", "tsx"],
    cwd: REPO_ROOT,
    env: { ...process.env, [PLAYERS_ENV]: JSON.stringify(config), NODE_NO_WARNINGS: "1" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let exited = false;
  const exit = new Promise<string>((r) =>
    child.on("exit", (code, signal) => {
      exited = true;
      r(`players process exited (${signal ?? code}) before it reported`);
    }),
  );
  const message = (kind: PlayersMessage["kind"]) =>
    new Promise<PlayersMessage>((resolveMessage, reject) => {
      child.on("message", (m: unknown) => {
        const got = m as PlayersMessage;
        if (got.kind === kind) resolveMessage(got);
      });
      child.on("error", reject);
      void exit.then((why) => reject(new Error(why)));
    });
  const started = message("started").then(() => undefined);
  const done = message("done");
  // Until stop() is awaited, a failure surfaces there; keep it from being unhandled meanwhile.
  done.catch(() => {});
  started.catch(() => {});
  return {
    started,
    async stop() {
      // The players may have finished and be closing the channel already: a stop that cannot be
      // delivered then is not an error (the report, or the exit, says how they ended).
      if (child.connected) child.send("stop", () => {});
      const m = await done;
      if (m.kind !== "done") throw new Error("players process sent no report");
      return m.report;
    },
    kill() {
      if (!exited) child.kill();
    },
  };
}

// ─── the run ─────────────────────────────────────────────────────────────────────────────────────

/** One tick batch (one Lambda invocation of the game loop), measured. */
export interface BatchFigures {
  readonly version: number;
  readonly ticks: number;
  readonly commandsApplied: number;
  readonly ledgerEntries: number;
  readonly wallMs: number;
  /** Load the world and its state, up to the pending-batch check. */
  readonly loadMs: number;
  /** The fixed steps and their state hashes, without the inbox drains' I/O. */
  readonly simulateMs: number;
  /** Closing and reading inbox shards between ticks. */
  readonly drainMs: number;
  /** Batch record, journal entries, projections, state encoding, the world's compare-and-set. */
  readonly commitMs: number;
  /** Publishing events and pushing to the connections. */
  readonly afterMs: number;
  readonly dynamodb: MeterTotals;
  readonly batchRecordBytes: number;
  readonly worldItemBytes: number;
  /** Events published, and the 64 KB chunks EventBridge would bill. */
  readonly events: number;
  readonly eventChunks: number;
  readonly pushed: number;
  readonly blobPuts: number;
}

export interface Verification {
  /** Commands the inbox holds (accepted, or answered duplicate after landing). */
  readonly stored: number;
  /** Sum of the batch records' `commandsApplied`. */
  readonly applied: number;
  /** Stored commands found in exactly one batch's drains, in more than one, in none. */
  readonly drainedOnce: number;
  readonly drainedTwice: number;
  readonly missing: number;
  /** Drained commands that no player reported sending. */
  readonly unexpected: number;
}

export interface TickPipelineResult {
  readonly options: TickPipelineOptions;
  readonly worldId: string;
  readonly tickRateHz: number;
  readonly warmup: readonly BatchFigures[];
  readonly batches: readonly BatchFigures[];
  readonly naive: readonly BatchFigures[];
  readonly settle: BatchFigures;
  readonly players: PlayersReport;
  readonly verification: Verification;
  readonly cost: CostComparison;
  /** The whole run, DynamoDB Local's start included. */
  readonly durationMs: number;
}

export async function runTickPipeline(
  overrides: Partial<TickPipelineOptions> = {},
  report: (message: string) => void = () => {},
): Promise<TickPipelineResult> {
  const options: TickPipelineOptions = { ...DEFAULT_OPTIONS, ...overrides };
  checkOptions(options);
  const runStartMs = performance.now();
  const progress = (message: string) =>
    report(`[${((performance.now() - runStartMs) / 1000).toFixed(1)} s] ${message}`);
  if (options.endpoint === undefined) progress("starting DynamoDB Local");
  const local = options.endpoint === undefined ? await startDynamoDbLocal() : undefined;
  const endpoint = options.endpoint ?? (local?.endpoint as string);
  let players: PlayersHandle | undefined;
  const clients: DynamoDBClient[] = [];
  try {
    const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
    const tables = tableNames(`bench-${runId}-`);
    const setupClient = new DynamoDBClient(clientConfig(endpoint));
    const tickClient = new DynamoDBClient(clientConfig(endpoint));
    clients.push(setupClient, tickClient);
    await ensureTables(setupClient, tables);

    const meter = new DynamoDbMeter();
    meter.attach(tickClient, "tick");
    const calls: PortCall[] = [];
    const blobs = new MemoryBlobStore();
    const publisher = new MemoryEventPublisher();
    const push = new MemoryClientPush();
    const shared = { blobs, publisher, push, clock: systemClock, game: arenaModule };
    const setupDoc = documentClient(setupClient);
    const setup: RuntimeDeps = {
      ...shared,
      store: new DynamoDbEntityStore(setupDoc, { tables }),
      journal: new DynamoDbJournal(setupDoc, { tables }),
      inbox: new DynamoDbCommandInbox(setupDoc, { tables }),
    };
    const tickDoc = documentClient(tickClient);
    const deps: RuntimeDeps = {
      ...shared,
      store: instrument(new DynamoDbEntityStore(tickDoc, { tables }), "store", calls),
      journal: instrument(new DynamoDbJournal(tickDoc, { tables }), "journal", calls),
      inbox: instrument(new DynamoDbCommandInbox(tickDoc, { tables }), "inbox", calls),
      blobs: instrument(blobs, "blobs", calls),
      publisher: instrument(publisher, "publisher", calls),
      push: instrument(push, "push", calls),
    };

    const worldId = `arena-${runId}`;
    const playerIds = Array.from(
      { length: options.players },
      (_, i) => `player_${String(i + 1).padStart(4, "0")}`,
    );
    progress(`creating ${worldId}: ${options.bodies} bodies, ${options.players} players`);
    await createWorld(setup, {
      worldId,
      players: playerIds,
      settings: { bodies: options.bodies, bots: options.bots, coins: options.coins },
      inboxShards: options.inboxShards,
    });
    const connectionIds = playerIds.map((p) => `conn-${runId}-${p}`);
    for (let i = 0; i < playerIds.length; i++) {
      const connectionId = connectionIds[i] as string;
      push.open(connectionId);
      const r = await connect(setup, { connectionId, playerId: playerIds[i] as string, worldId });
      if (!r.ok) throw new Error(`connect ${playerIds[i]}: ${r.message}`);
    }

    players = startPlayers({
      endpoint,
      tables,
      worldId,
      players: playerIds,
      connectionIds,
      intervalMs: options.commandIntervalMs,
      perPlayerMax: options.commandsPerPlayerMax,
    });
    await players.started;
    progress("players started");

    const measure = async (maxTicks: number, token: string): Promise<BatchFigures> => {
      const before = meter.totals();
      const from = calls.length;
      const published = publisher.published.length;
      const blobCount = blobs.size;
      const startMs = performance.now();
      const r = await runTickBatch(deps, { worldId, token, maxTicks });
      const endMs = performance.now();
      return figuresOf(r, startMs, endMs, calls.slice(from), {
        dynamodb: diffTotals(meter.totals(), before),
        batchRecordBytes: meter.lastItemBytes.get("batch") ?? 0,
        worldItemBytes: meter.lastItemBytes.get("world") ?? 0,
        events: publisher.published.slice(published),
        blobPuts: blobs.size - blobCount,
      });
    };

    const warmup: BatchFigures[] = [];
    for (let b = 1; b <= options.warmupBatches; b++) {
      progress(`warm-up batch ${b}/${options.warmupBatches} (${options.ticksPerBatch} ticks)`);
      warmup.push(await measure(options.ticksPerBatch, `bench-${runId}-w${b}`));
    }
    const batches: BatchFigures[] = [];
    for (let b = 1; b <= options.batches; b++) {
      progress(`batch ${b}/${options.batches} (${options.ticksPerBatch} ticks)`);
      batches.push(await measure(options.ticksPerBatch, `bench-${runId}-b${b}`));
    }
    progress(`${options.naiveBatches} one-tick batches`);
    const naive: BatchFigures[] = [];
    for (let b = 1; b <= options.naiveBatches; b++) {
      naive.push(await measure(1, `bench-${runId}-n${b}`));
    }
    progress("stopping the players");
    const sent = await players.stop();
    players = undefined;
    // Past every arrival the players were given, so the last drain takes all that is left.
    await sleep(5);
    const settle = await measure(1, `bench-${runId}-settle`);

    progress("verifying that every command applied exactly once");
    const verification = await verify(setup, worldId, sent);
    const definition = arenaModule.rules(new Ledger(), worldId).definition;
    return {
      options,
      worldId,
      tickRateHz: definition.tickRateHz ?? 60,
      warmup,
      batches,
      naive,
      settle,
      players: sent,
      verification,
      cost: compareCosts(batches, naive, options.lambdaMemoryMb),
      durationMs: performance.now() - runStartMs,
    };
  } finally {
    players?.kill();
    for (const c of clients) c.destroy();
    await local?.stop();
  }
}

function figuresOf(
  r: TickBatchResult,
  startMs: number,
  endMs: number,
  calls: readonly PortCall[],
  measured: {
    readonly dynamodb: MeterTotals;
    readonly batchRecordBytes: number;
    readonly worldItemBytes: number;
    readonly events: readonly OutgoingEvent[];
    readonly blobPuts: number;
  },
): BatchFigures {
  const first = (name: string) => calls.find((c) => c.name === name);
  const checked = first("journal.getBatch");
  const recorded = first("journal.putBatch");
  const committed = first("store.commitWorld");
  if (checked === undefined || recorded === undefined || committed === undefined) {
    throw new Error(`batch ${r.version}: the use case did not call its ports in the known order`);
  }
  // Shards drain in parallel: count the wall time covered by drain calls, not their sum.
  const spans = calls
    .filter(
      (c) =>
        (c.name === "inbox.close" || c.name === "inbox.read") &&
        c.startMs >= checked.endMs &&
        c.endMs <= recorded.startMs,
    )
    .map((c) => [c.startMs, c.endMs] as const)
    .sort((a, b) => a[0] - b[0]);
  let drainMs = 0;
  let coveredToMs = Number.NEGATIVE_INFINITY;
  for (const [start, end] of spans) {
    if (end <= coveredToMs) continue;
    drainMs += end - Math.max(start, coveredToMs);
    coveredToMs = end;
  }
  const eventChunks = measured.events.reduce(
    (s, e) =>
      s +
      Math.ceil(
        putEventsEntrySize({
          Source: e.source,
          DetailType: e.detailType,
          Detail: JSON.stringify({ ...e.detail, eventId: e.eventId }),
          Time: e.timeMs,
        }) / EVENT_CHUNK_BYTES,
      ),
    0,
  );
  return {
    version: r.version,
    ticks: r.ticks,
    commandsApplied: r.commandsApplied,
    ledgerEntries: r.ledgerEntries,
    wallMs: endMs - startMs,
    loadMs: checked.endMs - startMs,
    simulateMs: recorded.startMs - checked.endMs - drainMs,
    drainMs,
    commitMs: committed.endMs - recorded.startMs,
    afterMs: endMs - committed.endMs,
    dynamodb: measured.dynamodb,
    batchRecordBytes: measured.batchRecordBytes,
    worldItemBytes: measured.worldItemBytes,
    events: measured.events.length,
    eventChunks,
    pushed: r.pushed,
    blobPuts: measured.blobPuts,
  };
}

/** Reads every batch record back and checks that each stored command was drained exactly once. */
async function verify(
  deps: RuntimeDeps,
  worldId: string,
  report: PlayersReport,
): Promise<Verification> {
  const world = await deps.store.getWorld(worldId);
  if (world === undefined) throw new Error(`world ${worldId} is gone`);
  const records = await deps.journal.listBatches(worldId, 1, world.version);
  const applied = records.reduce((n, r) => n + r.commandsApplied, 0);
  const drained = await appliedCommandCounts(deps, worldId, 1, world.version);
  const stored = new Set([...report.accepted, ...report.duplicates]);
  const maybe = new Set(report.failed);
  let drainedOnce = 0;
  let drainedTwice = 0;
  let missing = 0;
  for (const key of stored) {
    const n = drained.get(key) ?? 0;
    if (n === 0) missing++;
    else if (n === 1) drainedOnce++;
    else drainedTwice++;
  }
  let unexpected = 0;
  for (const key of drained.keys()) if (!stored.has(key) && !maybe.has(key)) unexpected++;
  // A command that threw may have landed; then it was applied too and counts as stored.
  const landed = [...maybe].filter((k) => drained.has(k)).length;
  return {
    stored: stored.size + landed,
    applied,
    drainedOnce,
    drainedTwice,
    missing,
    unexpected,
  };
}

// ─── cost of a million ticks ─────────────────────────────────────────────────────────────────────

/**
 * State transitions of one lap of the game loop, counted from the one-source ASL: from the Tick
 * state along `Next` and the Choice's `Default` (the running world's path) back to Tick. AWS
 * bills each state entered; the lap that hands over to a fresh execution enters ContinueAsNew
 * instead of Wait, so it costs the same.
 */
export function transitionsPerLap(): number {
  const definition = gameLoopDefinition({ tickFunctionArn: "tick" });
  const states = record(definition.States);
  // Not `StartAt`: an execution's first states (its defaults) run once, not once a lap.
  const start: string = GAME_LOOP_STATES.tick;
  let at = start;
  let count = 0;
  do {
    const state = record(states[at]);
    const next = state.Next ?? state.Default;
    if (typeof next !== "string") throw new Error(`the game loop has no way on from state ${at}`);
    count++;
    at = next;
    if (count > 100) throw new Error("the game loop's lap does not return to its first state");
  } while (at !== start);
  return count;
}

export interface CostLine {
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

export interface DesignCost {
  readonly name: string;
  /** Lambda invocations (= game-loop laps) per million ticks. */
  readonly invocations: number;
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
}

export interface CostComparison {
  readonly transitionsPerLap: number;
  readonly lambdaMemoryMb: number;
  readonly batched: DesignCost;
  /** The deployment guide's design: one lap, one invocation, one world write per tick. */
  readonly perTick: DesignCost;
  /** This pipeline at one tick per batch, everything measured. */
  readonly perTickMeasured: DesignCost;
  /** perTick / batched. */
  readonly ratio: number;
  readonly ratioMeasured: number;
}

const TICKS = 1_000_000;

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((s, v) => s + v, 0) / values.length;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

interface PerInvocation {
  readonly billedMs: number;
  readonly wru: number;
  readonly rru: number;
  readonly eventChunks: number;
}

function design(
  name: string,
  ticksPerInvocation: number,
  per: PerInvocation,
  lapTransitions: number,
  memoryMb: number,
): DesignCost {
  const invocations = TICKS / ticksPerInvocation;
  const line = (item: string, quantity: number, price: Price): CostLine => ({
    item,
    quantity,
    unit: price.unit,
    usd: costUsd(price, quantity),
  });
  const lines = [
    line(
      "Step Functions transitions",
      invocations * lapTransitions,
      AWS_PRICES.stepFunctionsTransition,
    ),
    line("Lambda requests", invocations, AWS_PRICES.lambdaRequest),
    line(
      "Lambda duration",
      (invocations * per.billedMs * memoryMb) / 1024 / 1000,
      AWS_PRICES.lambdaArmGbSecond,
    ),
    line("DynamoDB writes", invocations * per.wru, AWS_PRICES.dynamoDbWriteRequestUnit),
    line("DynamoDB reads", invocations * per.rru, AWS_PRICES.dynamoDbReadRequestUnit),
    line("EventBridge events", invocations * per.eventChunks, AWS_PRICES.eventBridgeCustomEvent),
  ];
  return { name, invocations, lines, totalUsd: lines.reduce((s, l) => s + l.usd, 0) };
}

/** Lambda bills each invocation's duration rounded up to the millisecond. */
function billedMs(figures: readonly BatchFigures[]): number {
  return mean(figures.map((f) => Math.ceil(f.wallMs)));
}

export function compareCosts(
  batches: readonly BatchFigures[],
  naive: readonly BatchFigures[],
  lambdaMemoryMb: number,
): CostComparison {
  const lap = transitionsPerLap();
  const ticksPerBatch = mean(batches.map((b) => b.ticks));
  const batched = design(
    `batched (${Math.round(ticksPerBatch)} ticks per invocation)`,
    ticksPerBatch,
    {
      billedMs: billedMs(batches),
      wru: mean(batches.map((b) => b.dynamodb.wru)),
      rru: mean(batches.map((b) => b.dynamodb.rru)),
      eventChunks: mean(batches.map((b) => b.eventChunks)),
    },
    lap,
    lambdaMemoryMb,
  );
  // The guide's per-tick design reads and writes the world item once a tick (this world's item,
  // as measured) and publishes the game's own events (all but the batch's "Tick Batch Committed"),
  // without a batch record or projections.
  const worldBytes = Math.max(...batches.map((b) => b.worldItemBytes));
  const domainEventsPerTick =
    mean(batches.map((b) => b.eventChunks - 1)) / Math.max(1, ticksPerBatch);
  const perTick = design(
    "per tick (deployment guide)",
    1,
    {
      billedMs: naive.length > 0 ? billedMs(naive) : billedMs(batches) / ticksPerBatch,
      wru: Math.ceil(worldBytes / WRITE_UNIT_BYTES),
      rru: Math.ceil(worldBytes / READ_UNIT_BYTES),
      eventChunks: domainEventsPerTick,
    },
    lap,
    lambdaMemoryMb,
  );
  const perTickMeasured = design(
    "per tick (this pipeline at maxTicks 1)",
    1,
    {
      billedMs: billedMs(naive),
      wru: mean(naive.map((b) => b.dynamodb.wru)),
      rru: mean(naive.map((b) => b.dynamodb.rru)),
      eventChunks: mean(naive.map((b) => b.eventChunks)),
    },
    lap,
    lambdaMemoryMb,
  );
  return {
    transitionsPerLap: lap,
    lambdaMemoryMb,
    batched,
    perTick,
    perTickMeasured,
    ratio: perTick.totalUsd / batched.totalUsd,
    ratioMeasured: perTickMeasured.totalUsd / batched.totalUsd,
  };
}

// ─── formatting ──────────────────────────────────────────────────────────────────────────────────

function int(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function num(n: number, digits = 1): string {
  return n.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function usd(n: number): string {
  if (n === 0) return "$0";
  if (n >= 1) return `$${num(n, 2)}`;
  return `$${n.toPrecision(3)}`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const pad = (c: string, i: number) =>
    i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number);
  const line = (row: readonly string[]) =>
    `| ${head.map((_, i) => pad(row[i] ?? "", i)).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")} |`;
  return [line(head), rule, ...rows.map(line)].join("\n");
}

function sum(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0);
}

/** The run as markdown: figures, per-batch detail, DynamoDB requests, cost, prices, caveats. */
export function formatTickPipeline(r: TickPipelineResult): string[] {
  const o = r.options;
  const b = r.batches;
  const wall = sum(b.map((x) => x.wallMs));
  const ticks = sum(b.map((x) => x.ticks));
  const per = (f: (x: BatchFigures) => number) => mean(b.map(f));
  const share = (f: (x: BatchFigures) => number) => `${num((100 * sum(b.map(f))) / wall)}%`;
  const cmds = b.map((x) => x.commandsApplied);
  const p = r.players;
  const ingest = p.dynamodb;
  const storedCommands = r.verification.stored;
  const naiveWall = median(r.naive.map((x) => x.wallMs));
  const c = r.cost;
  const worldBytes = Math.max(...b.map((x) => x.worldItemBytes));
  const requestMs =
    per((x) => x.dynamodb.ioMs) /
    Math.max(
      1,
      per((x) => x.dynamodb.writeRequests + x.dynamodb.readRequests),
    );
  const vcpu = Math.min(1, o.lambdaMemoryMb / LAMBDA_FULL_VCPU_MB);
  const hours = TICKS / r.tickRateHz / 3600;
  const warmups = `${r.warmup.length} warm-up batch${r.warmup.length === 1 ? "" : "es"}`;

  const summary = table(
    ["figure", "value"],
    [
      ["ticks/s, end to end (simulate + commit)", int(ticks / (wall / 1000))],
      ["commits/s (batches per second)", num(b.length / (wall / 1000), 2)],
      [
        "ticks/s inside the batch, simulating only",
        int(ticks / (sum(b.map((x) => x.simulateMs)) / 1000)),
      ],
      ["batch wall time, mean", `${int(per((x) => x.wallMs))} ms`],
      [
        "time split: load / simulate / inbox drains / commit / publish+push",
        [
          share((x) => x.loadMs),
          share((x) => x.simulateMs),
          share((x) => x.drainMs),
          share((x) => x.commitMs),
          share((x) => x.afterMs),
        ].join(" / "),
      ],
      ["time inside DynamoDB calls", share((x) => x.dynamodb.ioMs)],
      [
        "commands applied per batch, mean (min to max)",
        `${int(mean(cmds))} (${int(Math.min(...cmds))} to ${int(Math.max(...cmds))})`,
      ],
      ["ledger entries per batch, mean", num(per((x) => x.ledgerEntries))],
      ["DynamoDB write requests per batch", num(per((x) => x.dynamodb.writeRequests))],
      ["DynamoDB items written per batch", num(per((x) => x.dynamodb.writeItems))],
      ["DynamoDB WRU per batch (documented rules)", num(per((x) => x.dynamodb.wru))],
      ["DynamoDB WRU per tick", num(per((x) => x.dynamodb.wru) / per((x) => x.ticks), 3)],
      [
        "DynamoDB write requests per tick",
        num(per((x) => x.dynamodb.writeRequests) / per((x) => x.ticks), 3),
      ],
      [
        "write units DynamoDB Local reported per batch",
        num(per((x) => x.dynamodb.reportedWriteUnits)),
      ],
      [
        "DynamoDB reads per batch: requests, RRU (DynamoDB Local reported)",
        `${num(per((x) => x.dynamodb.readRequests))}, ${num(per((x) => x.dynamodb.rru))} (${num(per((x) => x.dynamodb.reportedReadUnits))})`,
      ],
      [
        "batch record item",
        `${int(per((x) => x.batchRecordBytes))} bytes (${int(writeUnits(per((x) => x.batchRecordBytes)))} WRU)`,
      ],
      [
        "world item (state inline)",
        `${int(per((x) => x.worldItemBytes))} bytes (${int(writeUnits(per((x) => x.worldItemBytes)))} WRU)`,
      ],
      ["events published per batch", num(per((x) => x.events))],
      ["pushes per batch", num(per((x) => x.pushed))],
      [
        "one-tick batch (per-tick design), median wall time",
        `${num(naiveWall)} ms; ${num(mean(r.naive.map((x) => x.dynamodb.writeRequests)))} write requests, ${num(mean(r.naive.map((x) => x.dynamodb.wru)))} WRU`,
      ],
      [
        "players' commands: sent, stored, per second",
        `${int(p.submitted)}, ${int(storedCommands)}, ${int(p.submitted / (p.durationMs / 1000))}`,
      ],
      [
        "command path per command: write requests, WRU",
        `${num(ingest.writeRequests / Math.max(1, p.submitted), 2)}, ${num(ingest.wru / Math.max(1, p.submitted), 2)}`,
      ],
      [
        "commands applied exactly once",
        `${int(r.verification.drainedOnce)} of ${int(storedCommands)} (twice: ${r.verification.drainedTwice}, never: ${r.verification.missing})`,
      ],
    ],
  );

  const perBatch = table(
    [
      "batch",
      "ticks",
      "commands",
      "wall ms",
      "ticks/s",
      "load",
      "simulate",
      "drains",
      "commit",
      "publish+push",
      "write req",
      "items",
      "WRU",
      "WRU/tick",
      "RRU",
      "record bytes",
    ],
    b.map((x, i) => [
      String(i + 1),
      int(x.ticks),
      int(x.commandsApplied),
      int(x.wallMs),
      int(x.ticks / (x.wallMs / 1000)),
      int(x.loadMs),
      int(x.simulateMs),
      int(x.drainMs),
      int(x.commitMs),
      int(x.afterMs),
      int(x.dynamodb.writeRequests),
      int(x.dynamodb.writeItems),
      int(x.dynamodb.wru),
      num(x.dynamodb.wru / x.ticks, 3),
      num(x.dynamodb.rru),
      int(x.batchRecordBytes),
    ]),
  );

  const commands = new Map<string, CommandTally>();
  for (const x of b) {
    for (const [k, t] of Object.entries(x.dynamodb.byCommand)) {
      const a = commands.get(k) ?? {
        requests: 0,
        items: 0,
        wru: 0,
        rru: 0,
        reportedUnits: 0,
        ioMs: 0,
        failures: 0,
      };
      a.requests += t.requests;
      a.items += t.items;
      a.wru += t.wru;
      a.rru += t.rru;
      a.reportedUnits += t.reportedUnits;
      a.ioMs += t.ioMs;
      a.failures += t.failures;
      commands.set(k, a);
    }
  }
  const n = b.length;
  const byCommand = table(
    [
      "request (per batch)",
      "requests",
      "items",
      "WRU",
      "RRU",
      "units DynamoDB Local reported",
      "ms",
    ],
    [...commands]
      .sort(([a], [z]) => a.localeCompare(z))
      .map(([k, t]) => [
        k.replace(/Command$/, ""),
        num(t.requests / n),
        num(t.items / n),
        WRITE_COMMANDS.has(k) ? num(t.wru / n) : "-",
        WRITE_COMMANDS.has(k) ? "-" : num(t.rru / n),
        num(t.reportedUnits / n),
        num(t.ioMs / n),
      ]),
  );

  const designs = [c.batched, c.perTick, c.perTickMeasured];
  const costRows = (c.batched.lines.map((l) => l.item) as string[]).map((item) => [
    item,
    ...designs.map((d) => {
      const l = d.lines.find((x) => x.item === item) as CostLine;
      return `${usd(l.usd)} (${int(l.quantity)})`;
    }),
  ]);
  costRows.push(["total per million ticks", ...designs.map((d) => usd(d.totalUsd))]);
  costRows.push(["per-tick / batched", "1x", `${int(c.ratio)}x`, `${int(c.ratioMeasured)}x`]);
  const cost = table(
    ["cost of 1,000,000 ticks (quantity)", ...designs.map((d) => d.name)],
    costRows,
  );

  const pr = AWS_PRICES;
  const prices = table(
    [`price (${pr.region}, read ${pr.takenOn})`, "USD", "per"],
    [
      pr.stepFunctionsTransition,
      pr.lambdaArmGbSecond,
      pr.lambdaRequest,
      pr.dynamoDbWriteRequestUnit,
      pr.dynamoDbReadRequestUnit,
      pr.eventBridgeCustomEvent,
    ].map((x) => [x.unit, String(x.usd), int(x.per)]),
  );

  return [
    `Tick pipeline against DynamoDB Local: ${b.length} batches of ${int(o.ticksPerBatch)} ticks (after ${warmups} left out of the figures), then ${r.naive.length} one-tick batches, on an arena of ${int(o.bodies)} bodies, ${int(o.coins)} coins, ${int(o.bots)} bots and ${int(o.players)} players; each player sends a move every ${int(o.commandIntervalMs)} ms from a separate process (at most ${int(o.commandsPerPlayerMax)} each). Every stored command was checked to be applied exactly once. The run took ${num(r.durationMs / 1000)} s.`,
    summary,
    perBatch,
    byCommand,
    cost,
    prices,
    [
      `Cost model: one Lambda invocation and one game-loop lap of ${c.transitionsPerLap} Step Functions state transitions (Tick, Count, Continue?, Wait, counted from the ASL) per batch; Lambda arm64 at ${int(o.lambdaMemoryMb)} MB billed for the measured batch wall time rounded up to the ms; DynamoDB on-demand writes and reads as counted on the client, priced by AWS's documented unit rules (a transactional item costs 2 WRU per KB, a strongly consistent read 1 RRU per 4 KB); EventBridge per 64 KB chunk. 1,000,000 ticks are ${num(hours, 2)} hours of one world at ${r.tickRateHz} Hz.`,
      `The per-tick design (deployment guide) is one lap and one invocation per tick, billed for the measured one-tick batch, with one strongly consistent read and one standard write of the world item (${int(worldBytes)} bytes) per tick: a floor, since it keeps no batch record nor projections. The last column is this pipeline run at maxTicks 1, all measured.`,
      `Not modelled: network latency to DynamoDB (here a loopback call, ${num(requestMs, 2)} ms a request on average; in a Region a few ms, which lengthens both designs' invocations), throttling and partition limits (DynamoDB Local has none), API Gateway's charge for the pushes, and Lambda's CPU share (${num(vcpu, 2)} vCPU at ${int(o.lambdaMemoryMb)} MB against a full core here). DynamoDB Local's own consumed capacity (writes ${num(per((x) => x.dynamodb.reportedWriteUnits))} units a batch, reads ${num(per((x) => x.dynamodb.reportedReadUnits))}) does not follow AWS's documented rules for transactions, which give ${num(per((x) => x.dynamodb.wru))} WRU and ${num(per((x) => x.dynamodb.rru))} RRU: the cost uses the rules.`,
    ].join("\n\n"),
  ];
}

// ─── the suite ───────────────────────────────────────────────────────────────────────────────────

const RESULTS = resolve(REPO_ROOT, "bench/results/tick-pipeline.json");

/** Options for a bench run: defaults, `--quick`, then `LQ_TICK_PIPELINE` overrides. */
function benchOptions(): TickPipelineOptions {
  const base = process.argv.includes("--quick") ? QUICK_OPTIONS : DEFAULT_OPTIONS;
  return { ...base, ...parseOptionOverrides(process.env.LQ_TICK_PIPELINE ?? "") };
}

async function pipelineNotes(): Promise<readonly string[]> {
  let result: TickPipelineResult;
  try {
    result = await runTickPipeline(benchOptions(), (m) => process.stderr.write(`  ${m}\n`));
  } catch (error) {
    if (error instanceof DynamoDbLocalError) {
      return [`Tick pipeline skipped: ${error.message}`];
    }
    throw error;
  }
  const v = result.verification;
  if (v.missing > 0 || v.drainedTwice > 0 || v.unexpected > 0 || v.applied !== v.stored) {
    throw new ChecksumError(
      `tick-pipeline: ${v.stored} commands stored, ${v.applied} applied, ${v.missing} never drained, ${v.drainedTwice} drained twice, ${v.unexpected} unexpected`,
    );
  }
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(
    RESULTS,
    `${JSON.stringify({ date: new Date().toISOString(), ...result }, null, 2)}\n`,
  );
  return [...formatTickPipeline(result), `Tick pipeline figures written to ${RESULTS}`];
}

const SIM_PLAYERS = DEFAULT_OPTIONS.players;
/** Ticks between a player's commands at 60 Hz, as in the pipeline. */
const COMMAND_EVERY_TICKS = Math.round((DEFAULT_OPTIONS.commandIntervalMs * 60) / 1000);

/** The pipeline's simulation alone: one tick of the same world and its state hash, as `runLive` does. */
function simulation(): Subject {
  const worldId = "arena-bench";
  const players = Array.from(
    { length: SIM_PLAYERS },
    (_, i) => `player_${String(i + 1).padStart(4, "0")}`,
  );
  const rules = arenaModule.rules(new Ledger(), worldId);
  const sim = Simulation.create(rules.definition, worldId);
  arenaModule.populate(sim, rules, {
    players,
    settings: {
      bodies: DEFAULT_OPTIONS.bodies,
      bots: DEFAULT_OPTIONS.bots,
      coins: DEFAULT_OPTIONS.coins,
    },
  });
  sim.world.drainEvents();
  let ticks = 0;
  let applied = 0;
  let hashes = 0;
  return {
    run() {
      const commands: Command[] =
        ticks % COMMAND_EVERY_TICKS === 0
          ? players.map((actor, p) => ({
              id: `${actor}/c-${ticks}`,
              type: "move",
              actor,
              data: moveData(p, ticks),
            }))
          : [];
      runTick(sim, commands);
      if (sim.hash().length === 64) hashes++;
      applied += commands.length;
      ticks++;
    },
    checksum: () => [ticks, hashes, applied],
  };
}

export const suite: Suite = {
  name: "tick-pipeline",
  description:
    "Tick batches end to end against DynamoDB Local (ticks/s, commits/s, writes per tick), and the cost of a million ticks on AWS",
  oursName: "LedgerQuest",
  scenarios: [
    {
      name: "tick_hash",
      description: `one tick of the pipeline's world (${DEFAULT_OPTIONS.bodies} bodies, ${SIM_PLAYERS} players moving every ${COMMAND_EVERY_TICKS} ticks) and its state hash`,
      ours: { create: simulation },
      expected: (ops) => [ops, ops, Math.ceil(ops / COMMAND_EVERY_TICKS) * SIM_PLAYERS],
    },
  ],
  notes: pipelineNotes,
};

// Forked by `startPlayers`: this module is then the players' process.
const playersConfig = process.env[PLAYERS_ENV];
if (playersConfig !== undefined && process.send !== undefined) {
  void playersProcess(JSON.parse(playersConfig) as PlayersConfig).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
