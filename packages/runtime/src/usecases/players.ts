/**
 * The player-facing use cases: connect, disconnect, submit a command, get state. The player's
 * identity always comes from the authorizer (the connection's context), never from a message.
 */
import type { JsonValue } from "@ledgerquest/engine";
import {
  type CommandErrorCode,
  type CommandErrorFrame,
  errorFrame,
} from "../definitions/commands.js";
import { ID_PATTERN, inboxShardOf } from "../definitions/tables.js";
import type { PlayerRecord } from "../ports/entity-store.js";
import type { EntityView } from "../world/game.js";
import { admitFrame, gateFrame, limitsOf } from "./admission.js";
import type { RuntimeDeps } from "./deps.js";
import { loadWorldState } from "./world-io.js";

export type ConnectResult =
  | {
      readonly ok: true;
      readonly worldId: string;
      readonly tick: number;
      readonly version: number;
      /** Whether the player is one of the world's players (else it may only watch). */
      readonly member: boolean;
    }
  | {
      readonly ok: false;
      readonly code: "unknown_world" | "invalid_request" | "too_many_connections";
      readonly message: string;
    };

export async function connect(
  deps: RuntimeDeps,
  input: { readonly connectionId: string; readonly playerId: string; readonly worldId: string },
): Promise<ConnectResult> {
  if (
    !ID_PATTERN.test(input.worldId) ||
    !ID_PATTERN.test(input.playerId) ||
    input.connectionId.length === 0
  ) {
    return {
      ok: false,
      code: "invalid_request",
      message: "world and player ids must be 1 to 128 of A-Z a-z 0-9 _ . : @ -",
    };
  }
  // The header: a connect needs the world's shards and version, not its state (up to 300 KB).
  const world = await deps.store.getWorldHeader(input.worldId);
  if (world === undefined) {
    return { ok: false, code: "unknown_world", message: `there is no world "${input.worldId}"` };
  }
  // The world's players have a profile in it from its creation on; anyone else may only watch.
  const member = (await deps.store.getPlayer(input.worldId, input.playerId)) !== undefined;
  const { connectionsPerPlayer } = limitsOf(deps.game);
  const put = await deps.store.putConnection(
    {
      connectionId: input.connectionId,
      playerId: input.playerId,
      worldId: input.worldId,
      inboxShards: world.cursors.length,
      connectedAtMs: deps.clock.nowMs(),
      member,
    },
    connectionsPerPlayer,
  );
  if (put === "full") {
    return {
      ok: false,
      code: "too_many_connections",
      message: `you have ${connectionsPerPlayer} connections to this world already: close one first`,
    };
  }
  return { ok: true, worldId: world.worldId, tick: world.tick, version: world.version, member };
}

export async function disconnect(deps: RuntimeDeps, connectionId: string): Promise<void> {
  await deps.store.deleteConnection(connectionId);
}

export type SubmitCommandResult =
  | { readonly ok: true; readonly result: "accepted" | "duplicate"; readonly id: string }
  | { readonly ok: false; readonly error: CommandErrorFrame };

/**
 * Validates a command frame from a connection and queues it for the world's next tick. Bad input
 * is answered with an error frame and stores nothing; a command id the player used before is
 * answered `duplicate` and stores nothing (the first stands).
 */
export async function submitCommand(
  deps: RuntimeDeps,
  input: {
    readonly connectionId: string;
    readonly playerId: string;
    readonly body: string | null | undefined;
    /**
     * Start no write after this time (ms since epoch): the invocation's deadline less a margin,
     * so that every command the store takes is answered before the caller gives up on it.
     */
    readonly deadlineMs?: number;
  },
): Promise<SubmitCommandResult> {
  const parsed = deps.game.commands.parse(input.body, input.playerId);
  if (!parsed.ok) return parsed;
  const { command } = parsed;
  const gated = gateFrame(deps, input.connectionId, "commands", command.id);
  if (gated !== undefined && !gated.ok) return gated;
  const fail = (code: CommandErrorCode, message: string): SubmitCommandResult => ({
    ok: false,
    error: errorFrame(code, message, command.id),
  });
  const data = (command.data ?? null) as JsonValue;
  if (!deps.game.authorize(input.playerId, command.type, data))
    return fail("forbidden", `you may not send "${command.type}" with these data`);
  const admitted = await admitFrame(deps, {
    connectionId: input.connectionId,
    playerId: input.playerId,
    bucket: "commands",
    id: command.id,
  });
  if (!admitted.ok) return admitted;
  const { connection } = admitted;
  // A connection recorded before membership was kept says nothing: ask the world.
  const member =
    connection.member ??
    (await deps.store.getPlayer(connection.worldId, input.playerId)) !== undefined;
  if (!member) {
    return fail(
      "not_a_member",
      `you are not one of the players of world ${connection.worldId}: you may watch it, not command it`,
    );
  }
  if (input.deadlineMs !== undefined && deps.clock.nowMs() >= input.deadlineMs) {
    return fail("busy", "the server is too busy to take this command now: send it again");
  }
  const r = await deps.inbox.submit({
    worldId: connection.worldId,
    shard: inboxShardOf(input.playerId, connection.inboxShards),
    playerId: input.playerId,
    commandId: command.id,
    type: command.type,
    data,
    nowMs: deps.clock.nowMs(),
    ...(input.deadlineMs === undefined ? {} : { deadlineMs: input.deadlineMs }),
  });
  if (r.result === "busy")
    return fail("busy", "the server is too busy to take this command now: send it again");
  if (r.result === "closed") {
    return fail(
      "world_inactive",
      `world ${connection.worldId} is not running: nothing would apply this command`,
    );
  }
  return { ok: true, result: r.result, id: command.id };
}

export interface WorldStateView {
  readonly worldId: string;
  readonly version: number;
  readonly tick: number;
  readonly stateHash: string;
  readonly ledger: { readonly count: number; readonly head: string; readonly root: string };
  /** The asking player's profile; absent when the player is not in this world. */
  readonly player?: PlayerRecord;
  /** Every entity, when asked for (it loads the world's state). */
  readonly entities?: readonly EntityView[];
}

/** The world as of its last commit, and the player's profile. */
export async function getState(
  deps: RuntimeDeps,
  input: { readonly worldId: string; readonly playerId?: string; readonly entities?: boolean },
): Promise<WorldStateView | undefined> {
  // The state is read only when the entities are asked for.
  const full = input.entities === true ? await deps.store.getWorld(input.worldId) : undefined;
  const world = input.entities === true ? full : await deps.store.getWorldHeader(input.worldId);
  if (world === undefined) return undefined;
  const player =
    input.playerId === undefined
      ? undefined
      : await deps.store.getPlayer(input.worldId, input.playerId);
  const entities =
    full === undefined ? undefined : deps.game.view((await loadWorldState(deps, full)).sim);
  return {
    worldId: world.worldId,
    version: world.version,
    tick: world.tick,
    stateHash: world.stateHash,
    ledger: world.ledger,
    ...(player === undefined ? {} : { player }),
    ...(entities === undefined ? {} : { entities }),
  };
}

export type ClaimQuestRewardResult =
  | { readonly ok: true; readonly result: "accepted" | "duplicate"; readonly id: string }
  | {
      readonly ok: false;
      readonly code:
        | "unknown_quest"
        | "not_claimable"
        | "not_completed"
        | "already_claimed"
        | "not_in_world"
        | "invalid_request";
      readonly message: string;
    };

/**
 * Claim quest reward: a player asks for the reward of a quest it completed (quests with
 * `claim: "manual"`). Checked first against the player's profile as of the last commit, so that
 * an impossible claim is answered at once; then queued as a `quest.claim` command, which the next
 * tick applies. The payment is exactly-once whatever happens: its transfer ids are fixed by the
 * quest, the player and the completion, so a repeated or replayed claim pays nothing twice.
 */
export async function claimQuestReward(
  deps: RuntimeDeps,
  input: {
    readonly connectionId: string;
    readonly playerId: string;
    readonly questId: string;
    readonly claimId: string;
  },
): Promise<ClaimQuestRewardResult> {
  const connection = await deps.store.getConnection(input.connectionId);
  if (connection === undefined || connection.playerId !== input.playerId) {
    return {
      ok: false,
      code: "not_in_world",
      message: "this connection is not in a world: reconnect",
    };
  }
  const profile = await deps.store.getPlayer(connection.worldId, input.playerId);
  const quest = profile?.quests[input.questId];
  if (quest === undefined) {
    return {
      ok: false,
      code: "unknown_quest",
      message: `there is no quest "${input.questId}" for you in this world`,
    };
  }
  if (quest.state === "rewarded") {
    return {
      ok: false,
      code: "already_claimed",
      message: `the reward of "${input.questId}" is paid already`,
    };
  }
  if (quest.state !== "completed") {
    return {
      ok: false,
      code: "not_completed",
      message: `"${input.questId}" is ${quest.state}, not completed`,
    };
  }
  const body = JSON.stringify({
    action: "command",
    id: input.claimId,
    type: "quest.claim",
    data: { quest: input.questId },
  });
  const r = await submitCommand(deps, {
    connectionId: input.connectionId,
    playerId: input.playerId,
    body,
  });
  if (!r.ok) {
    if (r.error.code === "unknown_command") {
      return { ok: false, code: "not_claimable", message: "this game has no claimable quests" };
    }
    if (r.error.code === "not_in_world")
      return { ok: false, code: "not_in_world", message: r.error.message };
    return { ok: false, code: "invalid_request", message: r.error.message };
  }
  return r;
}
