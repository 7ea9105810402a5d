/**
 * Answer query: the read-only questions a client asks over its connection (the `query` route):
 * the world's state with the game's description, the latest journal entries, a verification of
 * the ledger, a replay check of a tick range, and (for operators) the list of worlds. See
 * docs/reference/client-protocol.md. Findings (a broken chain, a mismatching tick) are values in
 * the result; a bad frame or a question the player may not ask is an error frame.
 */
import type { JournalEntry } from "@ledgerquest/engine";
import { type CommandErrorFrame, errorFrame } from "../definitions/commands.js";
import {
  LEDGER_QUERY_LIMIT_DEFAULT,
  OPERATOR_QUERIES,
  parseQuery,
  type QueryType,
  REPLAY_QUERY_TICKS_MAX,
} from "../definitions/queries.js";
import type {
  PlayerRecord,
  WorldHeader,
  WorldRecord,
  WorldSummary,
} from "../ports/entity-store.js";
import type { EntityView, GameDescription } from "../world/game.js";
import { admitFrame, gateFrame } from "./admission.js";
import type { RuntimeDeps } from "./deps.js";
import type { WorldStateView } from "./players.js";
import { InvalidReplayRangeError, type ReplayReport, replayWorld } from "./replay.js";
import { type VerifyWorldReport, verifyWorld } from "./verify.js";
import { loadWorldState, supplyOf } from "./world-io.js";

/** The answer to `state`: `getState`'s view, always with the entities. */
export interface StateQueryResult extends WorldStateView {
  readonly entities: readonly EntityView[];
  /** Held outside the system accounts, per unit: what is in circulation. */
  readonly supply: Readonly<Record<string, number>>;
  /** Absent when the game does not describe itself. */
  readonly game?: GameDescription;
}

/** The answer to `ledger`: the newest entries first. */
export interface LedgerQueryResult {
  readonly count: number;
  readonly head: string;
  readonly entries: readonly JournalEntry[];
}

export interface WorldsQueryResult {
  readonly worlds: readonly (WorldSummary & { readonly connections: number })[];
}

export interface QueryResults {
  readonly state: StateQueryResult;
  readonly ledger: LedgerQueryResult;
  readonly verify: VerifyWorldReport;
  readonly replay: ReplayReport;
  readonly worlds: WorldsQueryResult;
}

/** The frame that answers a query. */
export type QueryResultFrame = {
  [T in QueryType]: {
    readonly type: "result";
    readonly id: string;
    readonly query: T;
    readonly data: QueryResults[T];
  };
}[QueryType];

/** The most worlds the `worlds` query lists. */
export const WORLDS_QUERY_MAX = 100;

export interface AnswerQueryInput {
  readonly connectionId: string;
  /** From the authorizer's context, never from the frame. */
  readonly playerId: string;
  /** Whether the authorizer found the player in the operators' group. */
  readonly operator: boolean;
  readonly body: string | null | undefined;
}

export async function answerQuery(
  deps: RuntimeDeps,
  input: AnswerQueryInput,
): Promise<QueryResultFrame | CommandErrorFrame> {
  const parsed = parseQuery(input.body);
  if (!parsed.ok) return parsed.error;
  const { query } = parsed;
  // A verification reads the whole journal: it has a bucket of its own, and a small one.
  const bucket = query.type === "verify" ? "verifies" : "queries";
  const gated = gateFrame(deps, input.connectionId, bucket, query.id);
  if (gated !== undefined && !gated.ok) return gated.error;
  const admitted = await admitFrame(deps, {
    connectionId: input.connectionId,
    playerId: input.playerId,
    bucket,
    id: query.id,
  });
  if (!admitted.ok) return admitted.error;
  const { connection } = admitted;
  if (OPERATOR_QUERIES.includes(query.type) && !input.operator) {
    return errorFrame(
      "forbidden",
      `"${query.type}" is for operators: sign in with a token in the operators group`,
      query.id,
      "type",
    );
  }
  const { worldId } = connection;
  const gone = () => errorFrame("not_in_world", `world ${worldId} is gone`, query.id);
  if (query.type === "state") {
    const world = await deps.store.getWorld(worldId);
    return world === undefined ? gone() : await stateResult(deps, world, input.playerId, query.id);
  }
  // Every other answer needs the world's header only: its state (up to 300 KB) stays unread.
  const world = await deps.store.getWorldHeader(worldId);
  if (world === undefined) return gone();

  switch (query.type) {
    case "ledger": {
      const limit = query.data.limit ?? LEDGER_QUERY_LIMIT_DEFAULT;
      const count = world.ledger.count;
      const entries = await deps.journal.readEntries(worldId, Math.max(0, count - limit), count);
      return {
        type: "result",
        id: query.id,
        query: "ledger",
        data: { count, head: world.ledger.head, entries: [...entries].reverse() },
      };
    }
    case "verify":
      return {
        type: "result",
        id: query.id,
        query: "verify",
        data: await verifyWorld(deps, worldId),
      };
    case "replay":
      return await replayResult(deps, world, query.id, query.data);
    case "worlds": {
      const worlds = await deps.store.listWorlds(WORLDS_QUERY_MAX);
      const withConnections = await Promise.all(
        worlds.map(async (w) => ({
          ...w,
          connections: (await deps.store.listConnections(w.worldId)).length,
        })),
      );
      return { type: "result", id: query.id, query: "worlds", data: { worlds: withConnections } };
    }
  }
}

/** The `state` answer: the world as the game views it, the asking player's profile, the supply. */
async function stateResult(
  deps: RuntimeDeps,
  world: WorldRecord,
  playerId: string,
  id: string,
): Promise<QueryResultFrame> {
  const { worldId } = world;
  const loaded = await loadWorldState(deps, world);
  const player = await deps.store.getPlayer(worldId, playerId);
  const game = deps.game.describe?.();
  const data: StateQueryResult = {
    worldId,
    version: world.version,
    tick: world.tick,
    stateHash: world.stateHash,
    ledger: world.ledger,
    ...(player === undefined ? {} : { player: withoutVersion(player) }),
    entities: deps.game.view(loaded.sim),
    supply: supplyOf(loaded.ledger),
    ...(game === undefined ? {} : { game }),
  };
  return { type: "result", id, query: "state", data };
}

/** The `replay` answer: at most `REPLAY_QUERY_TICKS_MAX` ticks, by default the last ones. */
async function replayResult(
  deps: RuntimeDeps,
  world: WorldHeader,
  id: string,
  range: { readonly fromTick?: number | undefined; readonly toTick?: number | undefined },
): Promise<QueryResultFrame | CommandErrorFrame> {
  const to = range.toTick ?? world.tick - 1;
  const from = range.fromTick ?? Math.max(0, to - REPLAY_QUERY_TICKS_MAX + 1);
  if (to - from + 1 > REPLAY_QUERY_TICKS_MAX) {
    return errorFrame(
      "invalid_data",
      `a replay query compares at most ${REPLAY_QUERY_TICKS_MAX} ticks (asked ${to - from + 1}): use \`ledgerquest replay\` for more`,
      id,
      "data",
    );
  }
  try {
    const report = await replayWorld(deps, world.worldId, { fromTick: from, toTick: to });
    return { type: "result", id, query: "replay", data: report };
  } catch (e) {
    if (e instanceof InvalidReplayRangeError)
      return errorFrame("invalid_data", e.message, id, "data");
    throw e;
  }
}

function withoutVersion(p: PlayerRecord & { readonly version?: number }): PlayerRecord {
  const { version: _version, ...rest } = p;
  return rest;
}
