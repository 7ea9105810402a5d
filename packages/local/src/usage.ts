/**
 * The local stack's usage meter: what the run would have been billed for on AWS, counted in AWS's
 * own billing units while the stack runs, so `ledgerquest cost` can price it (docs/cost.md).
 *
 * One `UsageMeter` per stack. The emulators (`@ledgerquest/emulators`) call it at the moment AWS
 * would meter:
 * - Step Functions (stepfunctions.ts): every state entered and every retry of a state is a state
 *   transition; an execution whose input names a `worldId` runs that world, so the union of a
 *   world's running executions is its world-time;
 * - Lambda (dev.ts, around every handler call): one request per invocation, its duration rounded up
 *   to the millisecond, under `invoke`, which also tells the DynamoDB meter which function calls;
 * - DynamoDB (usage-dynamodb.ts): read and write request units per function and key kind;
 * - EventBridge (eventbridge.ts): each accepted custom event, in 64 KB chunks;
 * - API Gateway WebSocket (websocket-gateway/): messages in and out, in 32 KB units, and the
 *   seconds each connection stayed open (a connection is a player: player-time).
 *
 * Counting is a few additions per call, cheap enough to be always on. `snapshot()` returns plain
 * JSON (`UsageSnapshot`), which `ledgerquest dev` writes to `<data dir>/usage.json` every few
 * seconds (`startUsageFile`) and `readUsageFile` reads back, checked.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { EventBridgeUsage, StepFunctionsUsage, WebSocketUsage } from "@ledgerquest/emulators";
import { LocalStackError } from "./errors.js";

/** The usage file's format tag: a reader refuses any other. */
export const USAGE_FORMAT = "ledgerquest-usage/1";

/** Where `ledgerquest dev` keeps the meter's counts, inside its data directory. */
export const USAGE_FILE = "usage.json";

/** API Gateway meters WebSocket messages, in and out, in 32 KB units: a 33 KB message is two. */
export const WEBSOCKET_MESSAGE_UNIT_BYTES = 32 * 1024;

/** EventBridge bills each 64 KB chunk of a custom event as one event. */
export const EVENT_CHUNK_BYTES = 64 * 1024;

/** DynamoDB bills standard writes in 1 KB steps, transactional ones at twice that. */
export const WRITE_UNIT_BYTES = 1024;

/** DynamoDB bills strongly consistent reads in 4 KB steps; eventually consistent ones at half. */
export const READ_UNIT_BYTES = 4096;

/** How the run's game loop was set up: what its counts were measured under. */
export interface RunSettings {
  /** The game's `name@version`. */
  readonly game: string;
  /** The game's fixed step. */
  readonly tickMs: number;
  /** Ticks a lap (one tick Lambda invocation) runs at most (`LQ_TICKS_PER_BATCH`). */
  readonly ticksPerLap: number;
  /** The Wait state's seconds between laps (`LQ_WAIT_SECONDS`). */
  readonly waitSeconds: number;
  /** `realtime`: a lap lasts its batch's game time (`LQ_PACE`). */
  readonly pace: "realtime" | "none";
  /** Seconds between the loop supervisor's scheduled sweeps (AWS: 60). */
  readonly supervisorEverySeconds: number;
}

/** One function's invocations, as Lambda bills them. */
export interface LambdaTally {
  invocations: number;
  /** Invocations that threw (billed all the same). */
  errors: number;
  /** Each invocation's duration rounded up to the millisecond, summed. */
  billedMs: number;
}

/** Request units of one function on one kind of item. */
export interface DynamoDbTally {
  requests: number;
  readUnits: number;
  writeUnits: number;
  /**
   * Requests whose units come from AWS's documented rules, computed from the items' sizes
   * (transactions and failed conditional writes), not from DynamoDB Local's reply.
   */
  computed: number;
  /** Requests that failed (a failed condition is billed like the write it would have been). */
  failed: number;
}

export interface EventTally {
  entries: number;
  /** 64 KB chunks: what EventBridge bills. */
  chunks: number;
  bytes: number;
}

export interface MessageTally {
  messages: number;
  /** 32 KB units: what API Gateway bills. */
  units: number;
  bytes: number;
}

export interface WorldTally {
  /** Wall seconds during which the world had a game loop running. */
  seconds: number;
  /** Ticks its laps advanced it (each lap's end tick after the first lap seen). */
  ticks: number;
}

/** Everything the meter counted, as plain JSON. */
export interface UsageSnapshot {
  readonly format: typeof USAGE_FORMAT;
  readonly startedAt: string;
  readonly takenAt: string;
  /** Wall seconds from the stack's start to `takenAt`. */
  readonly wallSeconds: number;
  readonly settings: RunSettings;
  /** Sums of `worlds`. */
  readonly worldSeconds: number;
  readonly ticks: number;
  readonly worlds: Readonly<Record<string, WorldTally>>;
  /** State transitions and executions started, by state machine name. */
  readonly stateMachines: Readonly<
    Record<string, { readonly transitions: number; readonly executions: number }>
  >;
  /** By function name (the local stack's route names: tick, command, connect, ...). */
  readonly lambda: Readonly<Record<string, LambdaTally>>;
  /**
   * By function, then by kind of item: the table and the partition key's first segment
   * (`EntityTable:world`, `AuditLog:journal`), `<table>:scan` for scans.
   */
  readonly dynamodb: Readonly<Record<string, Readonly<Record<string, DynamoDbTally>>>>;
  /** Accepted custom events, by detail-type. */
  readonly eventBridge: Readonly<Record<string, EventTally>>;
  readonly webSocket: {
    /** Client to API Gateway. */
    readonly in: MessageTally;
    /** Route responses (acks, answers, API Gateway's own error frames). */
    readonly replies: MessageTally;
    /** `@connections` posts: what the game pushes. */
    readonly pushes: MessageTally;
    /** Connections opened. */
    readonly connections: number;
    /** Seconds connections were open, summed: player-time. */
    readonly connectionSeconds: number;
  };
}

/** What runs under `UsageMeter.invoke`: the meter and the function being invoked. */
export interface MeteredInvocation {
  readonly meter: UsageMeter;
  readonly functionName: string;
}

const invocations = new AsyncLocalStorage<MeteredInvocation>();

/**
 * The metered Lambda invocation the caller runs in, if any: SDK calls made by a handler (and
 * anything it awaits) see the function that made them.
 */
export function currentInvocation(): MeteredInvocation | undefined {
  return invocations.getStore();
}

/** How many `unitBytes` units a payload of `bytes` is billed as (at least one). */
export function billedUnits(bytes: number, unitBytes: number): number {
  return Math.max(1, Math.ceil(bytes / unitBytes));
}

export interface UsageMeterOptions {
  readonly settings: RunSettings;
  /** Wall clock, ms. Default `Date.now`. */
  readonly nowMs?: () => number;
  /** Monotonic clock for durations, ms. Default `performance.now`. */
  readonly elapsedMs?: () => number;
}

interface OpenInterval {
  readonly key: string;
  readonly sinceMs: number;
}

export class UsageMeter implements EventBridgeUsage, StepFunctionsUsage, WebSocketUsage {
  readonly settings: RunSettings;
  readonly #nowMs: () => number;
  readonly #elapsedMs: () => number;
  readonly #startedMs: number;
  readonly #machines = new Map<string, { transitions: number; executions: number }>();
  readonly #lambda = new Map<string, LambdaTally>();
  readonly #dynamodb = new Map<string, Map<string, DynamoDbTally>>();
  readonly #events = new Map<string, EventTally>();
  readonly #in: MessageTally = { messages: 0, units: 0, bytes: 0 };
  readonly #replies: MessageTally = { messages: 0, units: 0, bytes: 0 };
  readonly #pushes: MessageTally = { messages: 0, units: 0, bytes: 0 };
  #connections = 0;
  #closedConnectionMs = 0;
  readonly #openConnections = new Map<string, number>();
  /** Running executions: by ARN, the world they run. */
  readonly #executions = new Map<string, OpenInterval>();
  /** Per world: running executions, since when one ran, time closed so far, ticks. */
  readonly #worlds = new Map<
    string,
    { running: number; sinceMs: number; closedMs: number; ticks: number; lastTick?: number }
  >();

  constructor(options: UsageMeterOptions) {
    this.settings = options.settings;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#elapsedMs = options.elapsedMs ?? (() => performance.now());
    this.#startedMs = this.#nowMs();
  }

  /**
   * Runs one Lambda invocation of `functionName`: counts a request and its duration rounded up to
   * the millisecond, whether it returns or throws, and lets the DynamoDB meter attribute the
   * calls it makes (`currentInvocation`).
   */
  async invoke<T>(functionName: string, call: () => Promise<T> | T): Promise<T> {
    const startMs = this.#elapsedMs();
    const tally = this.#lambdaTally(functionName);
    try {
      return await invocations.run({ meter: this, functionName }, call);
    } catch (error) {
      tally.errors++;
      throw error;
    } finally {
      tally.invocations++;
      tally.billedMs += Math.max(1, Math.ceil(this.#elapsedMs() - startMs));
    }
  }

  /** A state entered, or a state retried: Step Functions bills both as a transition. */
  stateTransition(stateMachine: string): void {
    this.#machine(stateMachine).transitions++;
  }

  /** An execution started; its input's `worldId`, when it has one, is the world it runs. */
  executionStarted(stateMachine: string, executionArn: string, input: string): void {
    this.#machine(stateMachine).executions++;
    const worldId = worldIdOf(input);
    if (worldId === undefined || this.#executions.has(executionArn)) return;
    const nowMs = this.#nowMs();
    this.#executions.set(executionArn, { key: worldId, sinceMs: nowMs });
    const world = this.#world(worldId);
    if (world.running === 0) world.sinceMs = nowMs;
    world.running++;
  }

  executionClosed(executionArn: string): void {
    const open = this.#executions.get(executionArn);
    if (open === undefined) return;
    this.#executions.delete(executionArn);
    const world = this.#world(open.key);
    world.running--;
    if (world.running === 0) world.closedMs += this.#nowMs() - world.sinceMs;
  }

  /** A lap of `worldId` ended at `tick`: the world advanced from the previous lap's end. */
  worldTicked(worldId: string, tick: number): void {
    if (!Number.isSafeInteger(tick)) return;
    const world = this.#world(worldId);
    if (world.lastTick !== undefined && tick > world.lastTick) world.ticks += tick - world.lastTick;
    if (world.lastTick === undefined || tick > world.lastTick) world.lastTick = tick;
  }

  /** Request units one DynamoDB request of `functionName` consumed on `kind` of item. */
  dynamoDb(
    functionName: string,
    kind: string,
    units: {
      readonly readUnits: number;
      readonly writeUnits: number;
      readonly computed: boolean;
      readonly failed: boolean;
    },
  ): void {
    let byKind = this.#dynamodb.get(functionName);
    if (byKind === undefined) {
      byKind = new Map();
      this.#dynamodb.set(functionName, byKind);
    }
    let tally = byKind.get(kind);
    if (tally === undefined) {
      tally = { requests: 0, readUnits: 0, writeUnits: 0, computed: 0, failed: 0 };
      byKind.set(kind, tally);
    }
    tally.requests++;
    tally.readUnits += units.readUnits;
    tally.writeUnits += units.writeUnits;
    if (units.computed) tally.computed++;
    if (units.failed) tally.failed++;
  }

  /** An accepted custom event of `bytes` (PutEvents entry size). */
  eventPut(detailType: string, bytes: number): void {
    let tally = this.#events.get(detailType);
    if (tally === undefined) {
      tally = { entries: 0, chunks: 0, bytes: 0 };
      this.#events.set(detailType, tally);
    }
    tally.entries++;
    tally.chunks += billedUnits(bytes, EVENT_CHUNK_BYTES);
    tally.bytes += bytes;
  }

  /** A WebSocket message: from a client (`in`), a route response, or a push. */
  webSocketMessage(kind: "in" | "reply" | "push", bytes: number): void {
    const tally = kind === "in" ? this.#in : kind === "reply" ? this.#replies : this.#pushes;
    tally.messages++;
    tally.units += billedUnits(bytes, WEBSOCKET_MESSAGE_UNIT_BYTES);
    tally.bytes += bytes;
  }

  connectionOpened(connectionId: string): void {
    if (this.#openConnections.has(connectionId)) return;
    this.#connections++;
    this.#openConnections.set(connectionId, this.#nowMs());
  }

  connectionClosed(connectionId: string): void {
    const sinceMs = this.#openConnections.get(connectionId);
    if (sinceMs === undefined) return;
    this.#openConnections.delete(connectionId);
    this.#closedConnectionMs += this.#nowMs() - sinceMs;
  }

  /** Everything counted until now; what is still open (worlds, connections) counts until now. */
  snapshot(): UsageSnapshot {
    const nowMs = this.#nowMs();
    const worlds: Record<string, WorldTally> = {};
    let worldMs = 0;
    let ticks = 0;
    for (const [worldId, w] of [...this.#worlds].sort(([a], [b]) => a.localeCompare(b))) {
      const ms = w.closedMs + (w.running > 0 ? nowMs - w.sinceMs : 0);
      worlds[worldId] = { seconds: ms / 1000, ticks: w.ticks };
      worldMs += ms;
      ticks += w.ticks;
    }
    let connectionMs = this.#closedConnectionMs;
    for (const sinceMs of this.#openConnections.values()) connectionMs += nowMs - sinceMs;
    return {
      format: USAGE_FORMAT,
      startedAt: new Date(this.#startedMs).toISOString(),
      takenAt: new Date(nowMs).toISOString(),
      wallSeconds: (nowMs - this.#startedMs) / 1000,
      settings: { ...this.settings },
      worldSeconds: worldMs / 1000,
      ticks,
      worlds,
      stateMachines: copyEntries(this.#machines),
      lambda: copyEntries(this.#lambda),
      dynamodb: Object.fromEntries(
        sortedEntries(this.#dynamodb).map(([fn, byKind]) => [fn, copyEntries(byKind)]),
      ),
      eventBridge: copyEntries(this.#events),
      webSocket: {
        in: { ...this.#in },
        replies: { ...this.#replies },
        pushes: { ...this.#pushes },
        connections: this.#connections,
        connectionSeconds: connectionMs / 1000,
      },
    };
  }

  #machine(name: string): { transitions: number; executions: number } {
    let machine = this.#machines.get(name);
    if (machine === undefined) {
      machine = { transitions: 0, executions: 0 };
      this.#machines.set(name, machine);
    }
    return machine;
  }

  #lambdaTally(name: string): LambdaTally {
    let tally = this.#lambda.get(name);
    if (tally === undefined) {
      tally = { invocations: 0, errors: 0, billedMs: 0 };
      this.#lambda.set(name, tally);
    }
    return tally;
  }

  #world(worldId: string) {
    let world = this.#worlds.get(worldId);
    if (world === undefined) {
      world = { running: 0, sinceMs: 0, closedMs: 0, ticks: 0 };
      this.#worlds.set(worldId, world);
    }
    return world;
  }
}

/** Entries sorted by key, so two snapshots of the same counts are the same text. */
function sortedEntries<V>(map: ReadonlyMap<string, V>): [string, V][] {
  return [...map].sort(([a], [b]) => a.localeCompare(b));
}

function copyEntries<V extends object>(map: ReadonlyMap<string, V>): Record<string, V> {
  return Object.fromEntries(sortedEntries(map).map(([k, v]) => [k, { ...v }]));
}

function worldIdOf(input: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(input);
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const worldId = (parsed as { worldId?: unknown }).worldId;
    return typeof worldId === "string" && worldId !== "" ? worldId : undefined;
  } catch {
    return undefined;
  }
}

// ─── the usage file ──────────────────────────────────────────────────────────────────────────────

/** The usage file is missing, unreadable, or not one this version writes. */
export class UsageFileError extends LocalStackError {
  override readonly name = "UsageFileError";

  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Writes `snapshot` to `file` whole: a reader never sees half a file. */
export function writeUsageFile(file: string, snapshot: UsageSnapshot): void {
  const partial = `${file}.partial`;
  writeFileSync(partial, `${JSON.stringify(snapshot, null, 2)}\n`);
  renameSync(partial, file);
}

export interface UsageFileWriter {
  /** Writes the last counts and stops writing. */
  stop(): void;
}

/**
 * Writes `snapshot()` to `file` now and every `everySeconds` until stopped. A failed write is
 * reported to `onError` and tried again at the next turn: the stack goes on either way.
 */
export function startUsageFile(options: {
  readonly file: string;
  readonly snapshot: () => UsageSnapshot;
  readonly everySeconds: number;
  readonly onError?: (error: unknown) => void;
}): UsageFileWriter {
  const write = () => {
    try {
      writeUsageFile(options.file, options.snapshot());
    } catch (error) {
      options.onError?.(error);
    }
  };
  write();
  const timer = setInterval(write, options.everySeconds * 1000);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      write();
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function count(value: unknown): boolean {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** The problems of a parsed usage file, by path: empty when it is one this version wrote. */
export function usageProblems(value: unknown): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, path: string, what: string) => {
    if (!ok) problems.push(`${path}: must be ${what}`);
  };
  const counts = (record: unknown, path: string, fields: readonly string[]) => {
    if (!isRecord(record)) return need(false, path, "an object");
    for (const f of fields) need(count(record[f]), `${path}.${f}`, "a number, at least 0");
  };
  if (!isRecord(value)) return ["<file>: must be a JSON object"];
  if (value.format !== USAGE_FORMAT) {
    return [`format: must be "${USAGE_FORMAT}", got ${JSON.stringify(value.format)}`];
  }
  need(typeof value.startedAt === "string", "startedAt", "an ISO date");
  need(typeof value.takenAt === "string", "takenAt", "an ISO date");
  for (const f of ["wallSeconds", "worldSeconds", "ticks"]) {
    need(count(value[f]), f, "a number, at least 0");
  }
  const s = value.settings;
  if (isRecord(s)) {
    need(typeof s.game === "string", "settings.game", "a string");
    for (const f of ["tickMs", "ticksPerLap", "supervisorEverySeconds"]) {
      need(count(s[f]) && (s[f] as number) > 0, `settings.${f}`, "a number above 0");
    }
    need(count(s.waitSeconds), "settings.waitSeconds", "a number, at least 0");
    need(s.pace === "realtime" || s.pace === "none", "settings.pace", '"realtime" or "none"');
  } else {
    need(false, "settings", "an object");
  }
  const each = (record: unknown, path: string, check: (v: unknown, p: string) => void) => {
    if (!isRecord(record)) return need(false, path, "an object");
    for (const [k, v] of Object.entries(record)) check(v, `${path}.${k}`);
  };
  each(value.worlds, "worlds", (v, p) => counts(v, p, ["seconds", "ticks"]));
  each(value.stateMachines, "stateMachines", (v, p) => counts(v, p, ["transitions", "executions"]));
  each(value.lambda, "lambda", (v, p) => counts(v, p, ["invocations", "errors", "billedMs"]));
  each(value.dynamodb, "dynamodb", (v, p) =>
    each(v, p, (t, q) =>
      counts(t, q, ["requests", "readUnits", "writeUnits", "computed", "failed"]),
    ),
  );
  each(value.eventBridge, "eventBridge", (v, p) => counts(v, p, ["entries", "chunks", "bytes"]));
  const ws = value.webSocket;
  if (isRecord(ws)) {
    for (const f of ["in", "replies", "pushes"]) {
      counts(ws[f], `webSocket.${f}`, ["messages", "units", "bytes"]);
    }
    need(count(ws.connections), "webSocket.connections", "a number, at least 0");
    need(count(ws.connectionSeconds), "webSocket.connectionSeconds", "a number, at least 0");
  } else {
    need(false, "webSocket", "an object");
  }
  return problems;
}

/**
 * The snapshot in `file`, checked. Throws `UsageFileError` saying what to do when there is none
 * yet, or when it is not one this version wrote.
 */
export function readUsageFile(file: string): UsageSnapshot {
  if (!existsSync(file)) {
    throw new UsageFileError(
      file,
      `no usage recorded yet (no ${file}): run \`ledgerquest dev\` (or \`npm start\`) for a few minutes first, with players connected (\`ledgerquest bots\`), and without --in-memory`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new UsageFileError(
      file,
      `${file} is not JSON (${(cause as Error).message}): delete it and run \`ledgerquest dev\` again`,
      { cause },
    );
  }
  const problems = usageProblems(parsed);
  if (problems.length > 0) {
    throw new UsageFileError(
      file,
      `${file} is not a usage file this version of ledgerquest wrote (${problems.slice(0, 3).join("; ")}): delete it and run \`ledgerquest dev\` again`,
    );
  }
  return parsed as UsageSnapshot;
}
