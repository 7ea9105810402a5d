/**
 * The player-facing use cases: connect, disconnect, submit a command, get state. The player's
 * identity always comes from the authorizer (the connection's context), never from a message.
 */
import type { JsonValue } from "@ledgerquest/engine";
import type { CommandErrorFrame } from "../definitions/commands.js";
import { ID_PATTERN, inboxShardOf } from "../definitions/tables.js";
import type { PlayerRecord } from "../ports/entity-store.js";
import type { EntityView } from "../world/game.js";
import type { RuntimeDeps } from "./deps.js";
import { loadWorldState } from "./world-io.js";

export type ConnectResult =
  | { readonly ok: true; readonly worldId: string; readonly tick: number; readonly version: number }
  | {
      readonly ok: false;
      readonly code: "unknown_world" | "invalid_request";
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
  const world = await deps.store.getWorld(input.worldId);
  if (world === undefined) {
    return { ok: false, code: "unknown_world", message: `there is no world "${input.worldId}"` };
  }
  await deps.store.putConnection({
    connectionId: input.connectionId,
    playerId: input.playerId,
    worldId: input.worldId,
    inboxShards: world.cursors.length,
    connectedAtMs: deps.clock.nowMs(),
  });
  return { ok: true, worldId: world.worldId, tick: world.tick, version: world.version };
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
  },
): Promise<SubmitCommandResult> {
  const parsed = deps.game.commands.parse(input.body, input.playerId);
  if (!parsed.ok) return parsed;
  const { command } = parsed;
  const data = (command.data ?? null) as JsonValue;
  if (!deps.game.authorize(input.playerId, command.type, data)) {
    return {
      ok: false,
      error: {
        type: "error",
        code: "forbidden",
        id: command.id,
        message: `you may not send "${command.type}" with these data`,
      },
    };
  }
  const connection = await deps.store.getConnection(input.connectionId);
  if (connection === undefined || connection.playerId !== input.playerId) {
    return {
      ok: false,
      error: {
        type: "error",
        code: "not_in_world",
        id: command.id,
        message: "this connection is not in a world: reconnect",
      },
    };
  }
  const r = await deps.inbox.submit({
    worldId: connection.worldId,
    shard: inboxShardOf(input.playerId, connection.inboxShards),
    playerId: input.playerId,
    commandId: command.id,
    type: command.type,
    data,
    nowMs: deps.clock.nowMs(),
  });
  return { ok: true, result: r.result, id: command.id };
}

export interface WorldStateView {
  readonly worldId: string;
  readonly version: number;
  readonly tick: number;
  readonly stateHash: string;
  readonly ledger: { readonly count: number; readonly head: string; readonly root: string };
  readonly player?: PlayerRecord;
  /** Every entity, when asked for (it loads the world's state). */
  readonly entities?: readonly EntityView[];
}

/** The world as of its last commit, and the player's profile. */
export async function getState(
  deps: RuntimeDeps,
  input: { readonly worldId: string; readonly playerId?: string; readonly entities?: boolean },
): Promise<WorldStateView | undefined> {
  const world = await deps.store.getWorld(input.worldId);
  if (world === undefined) return undefined;
  const player =
    input.playerId === undefined
      ? undefined
      : await deps.store.getPlayer(input.worldId, input.playerId);
  const entities =
    input.entities === true ? deps.game.view((await loadWorldState(deps, world)).sim) : undefined;
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
