/**
 * The client protocol's frames as a client receives and sends them (docs/reference/client-protocol.md).
 * Defined here, not imported, so that a browser bundle carries nothing of the engine or the
 * runtime; a type-level test (test/protocol-types.test.ts) keeps them assignable to the runtime's
 * own, and test/protocol-constants.test.ts the constants equal to its.
 *
 * Alike, on purpose for that reason: in packages/runtime/src, `definitions/commands.ts` and
 * `queries.ts` (frames, MAX_FRAME_BYTES, FRAME_ID_PATTERN), `usecases/push.ts` (the state push),
 * `usecases/queries.ts`, `players.ts`, `verify.ts` and `replay.ts` (the answers), `world/game.ts`
 * (EntityView, EntityLook, GameDescription), `ports/entity-store.ts` (PlayerRecord); and
 * packages/engine/src/ledger/types.ts (the journal's entries).
 */

/** A JSON value, as frames carry them. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** The commands of a game by type, with the `data` each takes: `CommandsOf<typeof game>`. */
export type CommandMap = { readonly [type: string]: unknown };

/** A client frame id (a command's idempotency key): 1 to 64 of `A-Za-z0-9_.:-`. */
export const FRAME_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The most bytes a client frame may have; a larger one is refused with `frame_too_large`. */
export const MAX_FRAME_BYTES = 8 * 1024;

/** One entity as clients see it: a stable id (its handle), a kind, a position. */
export interface EntityView {
  readonly id: number;
  readonly kind: string;
  readonly name?: string;
  readonly x: number;
  readonly y: number;
  /** The entity's own shape, for kinds whose members differ; half extents (a circle's radius is `hw`). */
  readonly shape?: "circle" | "box";
  readonly hw?: number;
  readonly hh?: number;
}

/** A player's profile in a world. */
export interface PlayerRecord {
  readonly playerId: string;
  readonly worldId: string;
  readonly xp: number;
  readonly level: number;
  /** Balances by unit (`gold`, item ids, `xp`). */
  readonly balances: { readonly [unit: string]: number };
  /** Quest states by quest id, with progress where active. */
  readonly quests: {
    readonly [questId: string]: { readonly state: string; readonly progress?: number };
  };
}

/** How a kind of entity looks. */
export interface EntityLook {
  readonly shape: "circle" | "box";
  readonly hw: number;
  readonly hh: number;
  readonly label: string;
}

/** The game's fixed description: what a client needs to draw a world and explain its quests. */
export interface GameDescription {
  readonly rules: string;
  readonly bounds: {
    readonly minX: number;
    readonly minY: number;
    readonly maxX: number;
    readonly maxY: number;
  };
  /** Simulated time per tick. */
  readonly tickMs: number;
  readonly kinds: { readonly [kind: string]: EntityLook };
  /** The quest book, as JSON. */
  readonly quests: readonly JsonValue[];
  /** The commands a player may send, by type. */
  readonly commands: readonly string[];
  /** The JSON Schema of each command's data, by type (games made with `defineGame`). */
  readonly commandData?: { readonly [type: string]: JsonValue };
}

/**
 * What every connection of a world is sent while its loop runs: the entities of its area of
 * interest (near its player's own entity; the whole world for a watcher, if the game says so),
 * whole on a `full` frame, else as a delta against the frame it was sent at `baseTick`.
 */
export interface StatePushFrame {
  readonly type: "state";
  readonly worldId: string;
  /** The world's last committed version (the ticks after it are the running batch's). */
  readonly version: number;
  /** The world's tick this frame shows. */
  readonly tick: number;
  /** `changed` is the whole view (replace what you have), else a delta against `baseTick`'s frame. */
  readonly full: boolean;
  /**
   * On full frames: what the view covers, `area` (the entities near your own, and those the game
   * sends everyone) or `world` (every entity). It changes only with a full frame.
   */
  readonly scope?: "area" | "world";
  /** The tick of the frame this delta applies to; absent on a full frame. */
  readonly baseTick?: number;
  /** The world's state hash at `tick`: on full frames and on the frame after a commit. */
  readonly stateHash?: string;
  /** The journal's size and head: on full frames, and when they changed. */
  readonly ledger?: { readonly count: number; readonly head: string };
  /**
   * Whole entities: on a full frame every entity of the view; on a delta those that entered it
   * and those that changed more than their position.
   */
  readonly changed: readonly EntityView[];
  /** On a delta: entities that only moved, as flat triples `[id, x, y, id, x, y, ...]`. */
  readonly moved?: readonly number[];
  /** On a delta: ids of the entities that left the view (out of the area, or destroyed). */
  readonly removed: readonly number[];
  /**
   * The ids of this player's commands the world applied since the frame before (the frame shows
   * their effect): how a client knows which of its inputs the server has taken, to reconcile
   * what it predicted.
   */
  readonly applied?: readonly string[];
  /** The player's profile: on a full frame (when the server knows it), and when it changed. */
  readonly you?: PlayerRecord;
  /** The batch that committed, on the frame after its commit. */
  readonly batch?: {
    readonly ticks: number;
    readonly commandsApplied: number;
    readonly ledgerEntries: number;
    readonly durationMs: number;
  };
  /** Held outside the system accounts, per unit: what is in circulation (after a commit). */
  readonly supply?: { readonly [unit: string]: number };
}

/** The answer to an accepted command frame. */
export interface AckFrame {
  readonly type: "ack";
  readonly id: string;
  /** `duplicate`: the id was stored before (by this frame's earlier sending): applied once. */
  readonly result: "accepted" | "duplicate";
}

/** The codes of the server's error frames. */
export type ServerErrorCode =
  | "rate_limited"
  | "frame_too_large"
  | "not_json"
  | "invalid_frame"
  | "unknown_command"
  | "unknown_query"
  | "invalid_data"
  | "forbidden"
  | "not_in_world"
  | "not_a_member"
  | "busy"
  | "world_inactive";

/** The server's codes, every one: for checks and `switch`es. */
export const SERVER_ERROR_CODES: readonly ServerErrorCode[] = [
  "rate_limited",
  "frame_too_large",
  "not_json",
  "invalid_frame",
  "unknown_command",
  "unknown_query",
  "invalid_data",
  "forbidden",
  "not_in_world",
  "not_a_member",
  "busy",
  "world_inactive",
];

/** The frame that answers a refused command or query. Nothing was stored for it. */
export interface ErrorFrame {
  readonly type: "error";
  readonly code: ServerErrorCode;
  readonly id?: string;
  /** Where the problem is (`data.dx`), when it is in a field. */
  readonly path?: string;
  readonly message: string;
  /** With `rate_limited`: how long until the connection may send again. */
  readonly retryAfterMs?: number;
}

/** API Gateway's own answer when a handler failed (it names no frame). */
export interface GatewayFailureFrame {
  readonly message: string;
  readonly connectionId?: string;
  readonly requestId?: string;
}

// ---------------------------------------------------------------------------------------------
// Queries

/** A journal entry's common fields. */
interface JournalEntryBase {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
}

/** An account's opening in the journal. */
export interface AccountEntry extends JournalEntryBase {
  readonly kind: "account";
  readonly id: string;
  readonly owner: string;
  readonly unit: string;
  readonly flags: {
    readonly debitsMustNotExceedCredits: boolean;
    readonly creditsMustNotExceedDebits: boolean;
  };
}

/** A transfer in the journal. */
export interface TransferEntry extends JournalEntryBase {
  readonly kind: "transfer";
  readonly id: string;
  readonly debit: string;
  readonly credit: string;
  readonly amount: number;
  readonly unit: string;
  readonly reason: string;
  readonly tick: number;
  readonly meta: { readonly [key: string]: string | number | boolean };
  readonly linked: boolean;
}

export type JournalEntry = AccountEntry | TransferEntry;

/** The answer to `state`: the world as of its last commit. */
export interface StateQueryResult {
  readonly worldId: string;
  readonly version: number;
  readonly tick: number;
  readonly stateHash: string;
  readonly ledger: { readonly count: number; readonly head: string; readonly root: string };
  /** The asking player's profile; absent for a player not in the world. */
  readonly player?: PlayerRecord;
  readonly entities: readonly EntityView[];
  readonly supply: { readonly [unit: string]: number };
  readonly game?: GameDescription;
}

/** The answer to `ledger`: the newest entries first. */
export interface LedgerQueryResult {
  readonly count: number;
  readonly head: string;
  readonly entries: readonly JournalEntry[];
}

/** One finding of a verification (the runtime's `VerifyWorldProblem`; `kind` says which). */
export interface VerifyWorldProblem {
  readonly kind: string;
  readonly detail: string;
}

/** The answer to `verify`. */
export interface VerifyWorldReport {
  readonly ok: boolean;
  readonly worldId: string;
  readonly version: number;
  readonly tick: number;
  readonly digest: { readonly count: number; readonly head: string; readonly root: string };
  readonly entries: number;
  readonly accounts: number;
  readonly transfers: number;
  readonly units: readonly {
    readonly unit: string;
    readonly accounts: number;
    readonly minted: number;
    readonly sunk: number;
    readonly held: number;
  }[];
  readonly projectionsChecked: number;
  readonly problems: readonly VerifyWorldProblem[];
  readonly timing: {
    readonly journalMs: number;
    readonly projectionsMs: number;
    readonly totalMs: number;
  };
}

/** The first tick (or batch) where a replay differs from the record. */
export interface ReplayMismatch {
  readonly kind: string;
  readonly tick: number;
  readonly version: number;
  readonly detail: string;
}

/** The answer to `replay` (operators). */
export interface ReplayReport {
  readonly ok: boolean;
  readonly worldId: string;
  readonly fromTick: number;
  readonly toTick: number;
  readonly genesisTick: number;
  readonly batches: number;
  readonly ticksRun: number;
  readonly ticksChecked: number;
  readonly commandsApplied: number;
  readonly entriesChecked: number;
  readonly mismatch?: ReplayMismatch;
  readonly elapsedMs: number;
}

/** The answer to `worlds` (operators). */
export interface WorldsQueryResult {
  readonly worlds: readonly {
    readonly worldId: string;
    readonly rules: string;
    readonly version: number;
    readonly tick: number;
    readonly active: boolean;
    readonly updatedAtMs: number;
    readonly connections: number;
  }[];
}

/** Per query type, the `data` it takes. */
export interface QueryParams {
  readonly state: Record<string, never>;
  /** `limit`: 1 to 200 entries (default 50). */
  readonly ledger: { readonly limit?: number };
  readonly verify: Record<string, never>;
  /** At most 3,600 ticks compared. */
  readonly replay: { readonly fromTick?: number; readonly toTick?: number };
  readonly worlds: Record<string, never>;
}

/** Per query type, the result's `data`. */
export interface QueryResults {
  readonly state: StateQueryResult;
  readonly ledger: LedgerQueryResult;
  readonly verify: VerifyWorldReport;
  readonly replay: ReplayReport;
  readonly worlds: WorldsQueryResult;
}

export type QueryType = keyof QueryResults;

/** The frame that answers a query. */
export type QueryResultFrame = {
  [T in QueryType]: {
    readonly type: "result";
    readonly id: string;
    readonly query: T;
    readonly data: QueryResults[T];
  };
}[QueryType];

// ---------------------------------------------------------------------------------------------
// Reading frames

/** A frame from the server, sorted by kind. */
export type ServerFrame =
  | { readonly kind: "state"; readonly frame: StatePushFrame }
  | { readonly kind: "ack"; readonly frame: AckFrame }
  | { readonly kind: "result"; readonly frame: QueryResultFrame }
  | { readonly kind: "error"; readonly frame: ErrorFrame }
  | { readonly kind: "gateway"; readonly frame: GatewayFailureFrame };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStatePush(f: Record<string, unknown>): boolean {
  return (
    typeof f.version === "number" &&
    typeof f.tick === "number" &&
    typeof f.full === "boolean" &&
    (f.baseTick === undefined || typeof f.baseTick === "number") &&
    Array.isArray(f.changed) &&
    Array.isArray(f.removed) &&
    (f.moved === undefined || (Array.isArray(f.moved) && f.moved.length % 3 === 0))
  );
}

/**
 * Sorts a frame's text into its kind, or `undefined` for text that is not a frame of the
 * protocol (checked as far as the client relies on it: ids, codes and the push's lists).
 */
export function readServerFrame(text: string): ServerFrame | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(json)) return undefined;
  const id = json.id;
  switch (json.type) {
    case "state":
      return isStatePush(json)
        ? { kind: "state", frame: json as unknown as StatePushFrame }
        : undefined;
    case "ack":
      return typeof id === "string" && (json.result === "accepted" || json.result === "duplicate")
        ? { kind: "ack", frame: json as unknown as AckFrame }
        : undefined;
    case "result":
      return typeof id === "string" && typeof json.query === "string"
        ? { kind: "result", frame: json as unknown as QueryResultFrame }
        : undefined;
    case "error":
      return typeof json.code === "string" && typeof json.message === "string"
        ? { kind: "error", frame: json as unknown as ErrorFrame }
        : undefined;
    default:
      return typeof json.message === "string" || json.message === null
        ? {
            kind: "gateway",
            frame: { ...json, message: String(json.message) } as GatewayFailureFrame,
          }
        : undefined;
  }
}

const utf8 = new TextEncoder();

/** Whether a frame's text is within `MAX_FRAME_BYTES` of UTF-8, as the server measures it. */
export function fitsInFrame(text: string): boolean {
  if (text.length > MAX_FRAME_BYTES) return false;
  return text.length * 3 <= MAX_FRAME_BYTES || utf8.encode(text).length <= MAX_FRAME_BYTES;
}
