/**
 * The game's domain events on EventBridge and the rules that route them: the one definition the
 * CDK stacks deploy (bus, rules, targets) and the local bus runs (ARCHITECTURE.md principle 2).
 * See docs/reference/events.md.
 *
 * An event is `{ source, detail-type, detail }`; each detail-type has one zod schema here.
 * Producers build events with `createDomainEvent` (which derives the event id) and publish them
 * with `toPutEventsEntry`; consumers read them with `parseEventBridgeEvent` or `parseDomainEvent`.
 * Both ends validate (principle 6), and a bad event is an `InvalidEventError` naming the field.
 *
 * Delivery is at least once, twice over: EventBridge may deliver an event more than once, and a
 * producer that crashes after PutEvents publishes the same events again when its work is retried.
 * EventBridge gives each PutEvents entry its own envelope `id`, so that id cannot deduplicate the
 * second kind. Every detail therefore carries an `eventId` derived only from what identifies the
 * occurrence, never from a clock or a random source: every retry of one occurrence carries the
 * same id, and consumers deduplicate by it. `createDomainEvent` derives it from the identifying
 * fields (`domainEventId`); a producer that already keeps a deterministic id per event (a committed
 * batch record listing its events) passes its own to `parseDomainEvent` instead.
 *
 * Consumers read tolerantly: fields a schema does not name are dropped, not refused, so a producer
 * can start sending a new field before every consumer knows it (an old consumer may still be
 * running while a deploy rolls out). Every named field is checked strictly.
 */
import { OWNER_ID, QUEST_ID, type VerifyProblem } from "@ledgerquest/engine";
import * as z from "zod/mini";
import { InvalidEventError } from "../errors.js";
import { ID_PATTERN } from "./tables.js";
import { pathOf, safeParse } from "./zod.js";

/** The game's event bus (a custom bus: rules on the default bus would also see AWS's events). */
export const EVENT_BUS_NAME = "ledgerquest.eventbus";

/**
 * The sources of the game's events. Operational events (integrity alarms) have their own source
 * so that a rule or an IAM policy (`events:source` on PutEvents) can tell them from gameplay: the
 * tick Lambda may publish game events, and only the verifier publishes ops events.
 */
export const EVENT_SOURCES = { game: "ledgerquest.game", ops: "ledgerquest.ops" } as const;
export type EventSource = (typeof EVENT_SOURCES)[keyof typeof EVENT_SOURCES];

/** The detail-types, by a short name for code. */
export const DETAIL_TYPES = {
  worldActivated: "World Activated",
  worldDeactivated: "World Deactivated",
  tickBatchCommitted: "Tick Batch Committed",
  questAccepted: "Quest Accepted",
  questCompleted: "Quest Completed",
  questFailed: "Quest Failed",
  levelUp: "Level Up",
  ledgerChainBroken: "Ledger Chain Broken",
} as const;

/**
 * EventBridge refuses a PutEvents entry of 256 KB or more, counting the UTF-8 bytes of Source,
 * DetailType and Detail (plus 14 for Time and each Resource; see `putEventsEntrySize`).
 */
export const MAX_PUT_EVENTS_ENTRY_BYTES = 256 * 1024;

// ─── field schemas ─────────────────────────────────────────────────────────────────────────────

const text = (pattern: RegExp, what: string) =>
  z.string({ error: `must be ${what}` }).check(z.regex(pattern, { error: `must be ${what}` }));

const whole = (min: number) =>
  z
    .int({ error: "must be a whole number (a safe integer)" })
    .check(z.minimum(min, { error: `must be at least ${min}` }));

const object = <S extends z.core.$ZodLooseShape>(shape: S, what = "a JSON object") =>
  z.object(shape, { error: `must be ${what}` });

// Ids are the runtime's (table keys) and the engine's own syntax: whatever reaches an event has
// already passed them, so an event can never name something the rest of the system would refuse.
const worldId = text(ID_PATTERN, "a world id (1 to 128 letters, digits, or _ . : @ -)");
const playerId = text(OWNER_ID, "a player id (1 to 64 letters, digits, or _ . -)");
const questId = text(QUEST_ID, "a quest id (lowercase letters, digits, _ . -; at most 40)");
/** The ledger's unit syntax (`gold`, `xp`, `item.bow`): ledger.ts does not export it. */
const unit = text(/^[a-z][a-z0-9_.]{0,63}$/, "a ledger unit (gold, xp, item.bow)");
/** The ledger's transfer id syntax (ledger.ts `ID`). */
const transferId = text(/^[A-Za-z0-9_:.-]{1,128}$/, "a ledger transfer id");
const sha256Hex = text(/^[0-9a-f]{64}$/, "64 lowercase hex digits (a SHA-256)");
/**
 * Ids from `domainEventId` (parts joined by `#`, which no world, player or quest id contains) or
 * another deterministic scheme of the producer's, such as a batch's `<world>/<version>/<index>`.
 */
const eventId = text(
  /^[A-Za-z0-9_.:@#/-]{1,512}$/,
  "an event id (1 to 512 letters, digits, or _ . : @ # / -)",
);

/**
 * Ways a world's ledger can be found broken: every `VerifyProblem` of `verifyJournal`, plus
 * `replay_failed` (`Ledger.fromJournal` threw `LedgerReplayError`) and `digest_mismatch` (the
 * journal's count or head disagrees with the digest the world's last commit recorded).
 */
const VERIFY_PROBLEM_KINDS: { readonly [K in VerifyProblem["kind"]]: K } = {
  broken_link: "broken_link",
  hash_mismatch: "hash_mismatch",
  invalid_entry: "invalid_entry",
  balance_mismatch: "balance_mismatch",
  unit_not_balanced: "unit_not_balanced",
};
export const LEDGER_BREAK_KINDS = [
  ...Object.values(VERIFY_PROBLEM_KINDS),
  "replay_failed",
  "digest_mismatch",
] as const;
export type LedgerBreakKind = (typeof LEDGER_BREAK_KINDS)[number];

// `eventId` comes last in every shape: zod reports issues in shape order, and when a producer's
// field is wrong the id derived from it is wrong too; the field is the issue worth naming.
// The shapes below are alike (the ids, then the event's own fields and its checks), one per event.

const worldActivated = object({ worldId, version: whole(0), eventId });

const worldDeactivated = object({ worldId, version: whole(0), eventId });

const tickBatchCommitted = object({
  worldId,
  version: whole(1),
  fromTick: whole(0),
  toTick: whole(0),
  stateHash: sha256Hex,
  ledgerHead: sha256Hex,
  ledgerCount: whole(0),
  commandsApplied: whole(0),
  eventId,
}).check(
  z.refine((d) => d.toTick > d.fromTick, {
    path: ["toTick"],
    error: "must be greater than fromTick (a committed batch runs at least one tick)",
  }),
);

const questAccepted = object({ worldId, playerId, questId, tick: whole(0), eventId });

const questCompleted = object({
  worldId,
  playerId,
  questId,
  completion: whole(1),
  tick: whole(0),
  rewards: z.array(object({ unit, amount: whole(1) }, "a reward { unit, amount }"), {
    error: "must be a list of rewards",
  }),
  transferIds: z.array(transferId, { error: "must be a list of ledger transfer ids" }),
  eventId,
}).check(
  z.refine((d) => d.transferIds.length === d.rewards.length, {
    path: ["transferIds"],
    error: "must name one ledger transfer per reward, in the rewards' order",
  }),
);

const questFailed = object({ worldId, playerId, questId, tick: whole(0), eventId });

// Level 1 is where every player starts (0 xp): reaching a level means level 2 or more.
const levelUp = object({
  worldId,
  playerId,
  level: whole(2),
  xp: whole(0),
  tick: whole(0),
  eventId,
});

const ledgerChainBroken = object({
  worldId,
  seq: whole(0),
  kind: z.enum(LEDGER_BREAK_KINDS, { error: `must be one of ${LEDGER_BREAK_KINDS.join(", ")}` }),
  reason: z
    .string({ error: "must be a string" })
    .check(
      z.minLength(1, { error: "must say what is wrong" }),
      z.maxLength(2000, { error: "must be at most 2000 characters" }),
    ),
  eventId,
});

/** Each detail-type's schema: the one source of what its detail holds. */
export const DOMAIN_EVENT_SCHEMAS = {
  [DETAIL_TYPES.worldActivated]: worldActivated,
  [DETAIL_TYPES.worldDeactivated]: worldDeactivated,
  [DETAIL_TYPES.tickBatchCommitted]: tickBatchCommitted,
  [DETAIL_TYPES.questAccepted]: questAccepted,
  [DETAIL_TYPES.questCompleted]: questCompleted,
  [DETAIL_TYPES.questFailed]: questFailed,
  [DETAIL_TYPES.levelUp]: levelUp,
  [DETAIL_TYPES.ledgerChainBroken]: ledgerChainBroken,
} as const;

export type DetailType = keyof typeof DOMAIN_EVENT_SCHEMAS;

/** Each detail-type's source. */
export const DOMAIN_EVENT_SOURCES = {
  [DETAIL_TYPES.worldActivated]: EVENT_SOURCES.game,
  [DETAIL_TYPES.worldDeactivated]: EVENT_SOURCES.game,
  [DETAIL_TYPES.tickBatchCommitted]: EVENT_SOURCES.game,
  [DETAIL_TYPES.questAccepted]: EVENT_SOURCES.game,
  [DETAIL_TYPES.questCompleted]: EVENT_SOURCES.game,
  [DETAIL_TYPES.questFailed]: EVENT_SOURCES.game,
  [DETAIL_TYPES.levelUp]: EVENT_SOURCES.game,
  [DETAIL_TYPES.ledgerChainBroken]: EVENT_SOURCES.ops,
} as const satisfies { readonly [T in DetailType]: EventSource };

/** The detail of a detail-type, as parsed. */
export type DetailOf<T extends DetailType> = Readonly<z.output<(typeof DOMAIN_EVENT_SCHEMAS)[T]>>;

/** What a producer gives for a detail: everything but the id, which is derived from it. */
export type DetailFields<T extends DetailType> = Omit<DetailOf<T>, "eventId">;

/** An event of detail-type `T` (of any of them for a union: distributive). */
export type DomainEventOf<T extends DetailType> = T extends DetailType
  ? {
      readonly source: (typeof DOMAIN_EVENT_SOURCES)[T];
      readonly detailType: T;
      readonly detail: DetailOf<T>;
    }
  : never;

/** Any domain event; `detailType` narrows it. */
export type DomainEvent = DomainEventOf<DetailType>;

export const DETAIL_TYPE_LIST = Object.keys(DOMAIN_EVENT_SCHEMAS) as readonly DetailType[];

export function isDetailType(value: unknown): value is DetailType {
  return typeof value === "string" && Object.hasOwn(DOMAIN_EVENT_SCHEMAS, value);
}

// ─── event ids ─────────────────────────────────────────────────────────────────────────────────

/**
 * What identifies one occurrence of each detail-type. Never a time or a random value: the parts
 * must come out the same when the producer's work is retried after a crash.
 * - World (de)activation: the world's version then. The entity store's `setWorldActive` leaves
 *   the version alone, so activate, deactivate, activate with no batch in between gives the two
 *   activations one id: a consumer must read whether a world is active from the entity store, not
 *   from counting these events (an activation counter on the world would lift this).
 * - A batch: the version it committed (versions count batches, so each commit has its own).
 * - A quest completion: its completion number (repeatable quests complete more than once).
 * - An accept or a failure: the tick. A quest can be accepted, abandoned and accepted again in one
 *   tick; pass `occurrence` (1, 2, ...) to the later ones.
 * - A level: the level and the tick it was reached.
 * - A ledger break: where and what; detecting the same break again is the same alarm.
 */
const EVENT_ID_PARTS: {
  readonly [T in DetailType]: (d: DetailFields<T>) => readonly (string | number)[];
} = {
  "World Activated": (d) => ["world.activated", d.worldId, d.version],
  "World Deactivated": (d) => ["world.deactivated", d.worldId, d.version],
  "Tick Batch Committed": (d) => ["tick.committed", d.worldId, d.version],
  "Quest Accepted": (d) => ["quest.accepted", d.worldId, d.playerId, d.questId, d.tick],
  "Quest Completed": (d) => ["quest.completed", d.worldId, d.playerId, d.questId, d.completion],
  "Quest Failed": (d) => ["quest.failed", d.worldId, d.playerId, d.questId, d.tick],
  "Level Up": (d) => ["level.up", d.worldId, d.playerId, d.level, d.tick],
  "Ledger Chain Broken": (d) => ["ledger.broken", d.worldId, d.seq, d.kind],
};

/**
 * The deterministic id of an occurrence: its kind and identifying fields joined by `#`
 * (`quest.completed#w-1#player_0001#wolves#2`). `occurrence` tells apart occurrences whose fields
 * are all equal (0, the default, for the first); see `EVENT_ID_PARTS` for where that happens.
 */
export function domainEventId<T extends DetailType>(
  detailType: T,
  fields: DetailFields<T>,
  occurrence = 0,
): string {
  if (!isDetailType(detailType)) throw unknownDetailType(detailType);
  if (!(Number.isSafeInteger(occurrence) && occurrence >= 0)) {
    throw new RangeError(`occurrence must be a whole number of at least 0, got ${occurrence}`);
  }
  return deriveId(detailType, fields, occurrence);
}

function deriveId(detailType: DetailType, fields: unknown, occurrence: number): string {
  // Callers pair `fields` with its own detail-type; the table's per-type parameter cannot say so.
  const parts = (EVENT_ID_PARTS[detailType] as (d: unknown) => readonly (string | number)[])(
    fields,
  );
  return (occurrence === 0 ? parts : [...parts, occurrence]).join("#");
}

// ─── parsing ───────────────────────────────────────────────────────────────────────────────────

function unknownDetailType(detailType: unknown): InvalidEventError {
  return new InvalidEventError(
    String(detailType),
    "detail-type",
    `unknown detail-type; known: ${DETAIL_TYPE_LIST.join(", ")}`,
  );
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== "object" || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

function invalidDetail(
  detailType: string,
  error: z.core.$ZodError,
  detail: unknown,
): InvalidEventError {
  const issue = error.issues[0];
  const path = issue?.path ?? [];
  // zod words a missing field as a type error; say what it is.
  const missing =
    issue?.code === "invalid_type" && path.length > 0 && valueAt(detail, path) === undefined;
  const reason = missing ? "is required" : (issue?.message ?? "is invalid");
  return new InvalidEventError(detailType, pathOf(["detail", ...path]), reason, { cause: error });
}

/**
 * Validates a detail against its detail-type's schema and returns the typed event. Throws
 * `InvalidEventError` for an unknown detail-type (`path` `detail-type`) or a detail the schema
 * refuses (`path` such as `detail.rewards[0].amount`). Fields the schema does not name are dropped.
 */
export function parseDomainEvent<T extends DetailType>(
  detailType: T,
  detail: unknown,
): DomainEventOf<T>;
export function parseDomainEvent(detailType: string, detail: unknown): DomainEvent;
export function parseDomainEvent(detailType: string, detail: unknown): DomainEvent {
  if (!isDetailType(detailType)) throw unknownDetailType(detailType);
  const result = safeParse(DOMAIN_EVENT_SCHEMAS[detailType], detail);
  if (!result.success) throw invalidDetail(detailType, result.error, detail);
  // The schema of `detailType` produced `data`; TypeScript cannot follow that correlation.
  return {
    source: DOMAIN_EVENT_SOURCES[detailType],
    detailType,
    detail: result.data,
  } as DomainEvent;
}

/**
 * Reads an event as EventBridge delivers it to a target (`{ source, "detail-type", detail, ... }`):
 * the detail-type must be known, the source must be that detail-type's, and the detail must be
 * valid. Throws `InvalidEventError` otherwise.
 */
export function parseEventBridgeEvent(event: unknown): DomainEvent {
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    throw new InvalidEventError(
      "<unknown>",
      "<event>",
      "an EventBridge event must be a JSON object",
    );
  }
  const envelope = event as { readonly source?: unknown; readonly "detail-type"?: unknown };
  const detailType = envelope["detail-type"];
  if (typeof detailType !== "string") {
    throw new InvalidEventError("<unknown>", "detail-type", "is required (a string)");
  }
  if (!isDetailType(detailType)) throw unknownDetailType(detailType);
  const expected = DOMAIN_EVENT_SOURCES[detailType];
  if (envelope.source !== expected) {
    throw new InvalidEventError(
      detailType,
      "source",
      `must be ${JSON.stringify(expected)} for this detail-type, got ${JSON.stringify(envelope.source)}`,
    );
  }
  return parseDomainEvent(detailType, (event as { readonly detail?: unknown }).detail);
}

/**
 * Builds a valid event from its fields, deriving its `eventId` (`domainEventId`). Throws
 * `InvalidEventError` naming the first field the schema refuses.
 */
export function createDomainEvent<T extends DetailType>(
  detailType: T,
  fields: DetailFields<T>,
  options: { readonly occurrence?: number } = {},
): DomainEventOf<T> {
  const id = domainEventId(detailType, fields, options.occurrence);
  return parseDomainEvent(detailType, { ...fields, eventId: id });
}

// ─── publishing ────────────────────────────────────────────────────────────────────────────────

/** One entry of a PutEvents request (the AWS SDK's `PutEventsRequestEntry` fields we set). */
export interface PutEventsEntry {
  readonly Source: string;
  readonly DetailType: string;
  /** The detail as JSON text. */
  readonly Detail: string;
  readonly EventBusName: string;
}

const utf8 = new TextEncoder();

/**
 * An entry's size as EventBridge counts it against `MAX_PUT_EVENTS_ENTRY_BYTES` (the user guide's
 * "Calculating PutEvents event entry size"): the UTF-8 bytes of Source, DetailType and Detail,
 * 14 bytes for Time when given, and the UTF-8 bytes of each Resource. EventBusName is not counted.
 */
export function putEventsEntrySize(entry: {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail?: string;
  readonly Time?: unknown;
  readonly Resources?: readonly string[];
}): number {
  let size = utf8.encode(entry.Source).length + utf8.encode(entry.DetailType).length;
  if (entry.Detail !== undefined) size += utf8.encode(entry.Detail).length;
  if (entry.Time !== undefined) size += 14;
  for (const resource of entry.Resources ?? []) size += utf8.encode(resource).length;
  return size;
}

/**
 * The PutEvents entry of an event, for `busName` (a name or an ARN; default the game's bus). The
 * event is validated again here, at the producer's edge, since a typed event can still carry bad
 * values at run time: its source must be its detail-type's and its detail valid. Throws
 * `InvalidEventError`, with path `<entry>` when the entry is too large for EventBridge.
 */
export function toPutEventsEntry(
  event: DomainEvent,
  busName: string = EVENT_BUS_NAME,
): PutEventsEntry {
  if (typeof busName !== "string" || busName.length === 0 || busName.length > 1600) {
    throw new RangeError("busName must be an event bus name or ARN (1 to 1600 characters)");
  }
  const { detail } = parseEventBridgeEvent({
    source: event.source,
    "detail-type": event.detailType,
    detail: event.detail,
  });
  const entry: PutEventsEntry = {
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(detail),
    EventBusName: busName,
  };
  const size = putEventsEntrySize(entry);
  if (size >= MAX_PUT_EVENTS_ENTRY_BYTES) {
    throw new InvalidEventError(
      event.detailType,
      "<entry>",
      `the PutEvents entry is ${size} bytes; EventBridge takes less than ${MAX_PUT_EVENTS_ENTRY_BYTES} (256 KB)`,
    );
  }
  return entry;
}

// ─── rules ─────────────────────────────────────────────────────────────────────────────────────

/** Logical names of the rules' targets: the CDK constructs and the local stack's handlers. */
export const TARGET_REFS = {
  /** The loop supervisor (`superviseGameLoops`): starts a world's loop unless one runs. */
  loopSupervisor: "LoopSupervisor",
  leaderboardProjector: "LeaderboardProjector",
  opsNotifier: "OpsNotifier",
} as const;

/**
 * How a rule turns the matched event into its target's input: EventBridge's `InputPath` or
 * `InputTransformer`, with the same field names. Without one, the target gets the whole event.
 * `renderTargetInput` applies it as EventBridge does, for the local bus and for tests.
 */
export type RuleTargetInput =
  | { readonly kind: "inputPath"; readonly inputPath: string }
  | {
      readonly kind: "inputTransformer";
      /** Variables: name → JSON path into the event (dot notation, `$.detail.worldId`). */
      readonly inputPathsMap: Readonly<Record<string, string>>;
      /** JSON text with `<name>` placeholders standing for whole values. */
      readonly inputTemplate: string;
    };

export interface RuleTarget {
  readonly kind: "lambda";
  readonly ref: (typeof TARGET_REFS)[keyof typeof TARGET_REFS];
  readonly input?: RuleTargetInput;
}

export interface EventRule {
  /** The rule's name on the bus (EventBridge: 1 to 64 of letters, digits, `.`, `-`, `_`). */
  readonly name: string;
  readonly description: string;
  /** An EventBridge event pattern (validated by `compilePattern`). */
  readonly eventPattern: Readonly<Record<string, unknown>>;
  readonly target: RuleTarget;
}

export const RULE_NAMES = {
  startGameLoop: "ledgerquest-start-game-loop",
  projectLeaderboard: "ledgerquest-project-leaderboard",
  notifyLedgerBroken: "ledgerquest-notify-ledger-broken",
} as const;

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The rules on `EVENT_BUS_NAME`, frozen. */
export const EVENT_RULES: readonly EventRule[] = deepFreeze([
  {
    name: RULE_NAMES.startGameLoop,
    description:
      "A world was activated: the loop supervisor starts its game loop unless one runs (execution names are per world and 10-second slot, and a second loop yields to the world's owner within a lap).",
    eventPattern: {
      source: [EVENT_SOURCES.game],
      "detail-type": [DETAIL_TYPES.worldActivated],
      // The supervisor reads it: an event without one must not reach it.
      detail: { worldId: [{ exists: true }] },
    },
    // The whole event: the supervisor parses it with parseEventBridgeEvent.
    target: { kind: "lambda", ref: TARGET_REFS.loopSupervisor },
  },
  {
    name: RULE_NAMES.projectLeaderboard,
    description: "Quest completions and level-ups update the leaderboard projection.",
    eventPattern: {
      source: [EVENT_SOURCES.game],
      "detail-type": [DETAIL_TYPES.questCompleted, DETAIL_TYPES.levelUp],
    },
    // The whole event: the projector parses it with parseEventBridgeEvent and dedupes by eventId.
    target: { kind: "lambda", ref: TARGET_REFS.leaderboardProjector },
  },
  {
    name: RULE_NAMES.notifyLedgerBroken,
    description: "A world's ledger failed verification: notify the operators.",
    eventPattern: {
      source: [EVENT_SOURCES.ops],
      "detail-type": [DETAIL_TYPES.ledgerChainBroken],
    },
    target: { kind: "lambda", ref: TARGET_REFS.opsNotifier },
  },
] satisfies EventRule[]);

// ─── target input ──────────────────────────────────────────────────────────────────────────────

const JSON_PATH = /^\$(\.[A-Za-z0-9_-]+)*$/;
const VARIABLE = /^[A-Za-z0-9_.-]{1,64}$/;

function readPath(event: unknown, path: string): unknown {
  if (!JSON_PATH.test(path)) {
    throw new RangeError(
      `JSON path ${JSON.stringify(path)} is not supported: use dot notation from $ (as $.detail.worldId)`,
    );
  }
  return valueAt(event, path === "$" ? [] : path.slice(2).split("."));
}

function detailTypeOf(event: unknown): string {
  const dt = valueAt(event, ["detail-type"]);
  return typeof dt === "string" ? dt : "<unknown>";
}

/**
 * A target's input for an event, as EventBridge builds it: the whole event without `input`, the
 * value at `inputPath`, or the transformer's template with each `<name>` replaced by the JSON value
 * at its path. Supports what the rules use: dot-notation paths, and placeholders standing for whole
 * JSON values (outside strings); other templates throw `RangeError`. A variable whose path is
 * missing from the event throws `InvalidEventError` (the rules' patterns require those fields).
 */
export function renderTargetInput(input: RuleTargetInput | undefined, event: unknown): unknown {
  if (input === undefined) return event;
  if (input.kind === "inputPath") return readPath(event, input.inputPath);

  const names = Object.keys(input.inputPathsMap);
  if (names.length > 100) throw new RangeError("an input transformer has at most 100 variables");
  const values = new Map<string, string>();
  for (const name of names) {
    if (!VARIABLE.test(name) || name.startsWith("aws.")) {
      throw new RangeError(`input transformer variable ${JSON.stringify(name)} is not supported`);
    }
    const path = input.inputPathsMap[name] as string;
    const value = readPath(event, path);
    if (value === undefined) {
      throw new InvalidEventError(detailTypeOf(event), path, `has no value for <${name}>`);
    }
    values.set(name, JSON.stringify(value));
  }

  const template = input.inputTemplate;
  let out = "";
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (inString) {
      if (c === "\\") {
        out += c + (template[i + 1] ?? "");
        i++;
        continue;
      }
      if (c === "<") {
        const end = template.indexOf(">", i);
        if (end > i && values.has(template.slice(i + 1, end))) {
          throw new RangeError("placeholders inside JSON strings are not supported");
        }
      }
      if (c === '"') inString = false;
      out += c;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    if (c === "<") {
      const end = template.indexOf(">", i);
      const name = end > i ? template.slice(i + 1, end) : "";
      const value = values.get(name);
      if (value === undefined) {
        throw new RangeError(`input template placeholder <${name}> is not a defined variable`);
      }
      out += value;
      i = end;
      continue;
    }
    out += c;
  }
  try {
    return JSON.parse(out);
  } catch (cause) {
    throw new RangeError(`input template does not render to JSON: ${out}`, { cause });
  }
}
