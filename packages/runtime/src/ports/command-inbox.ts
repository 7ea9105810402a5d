/**
 * The command inbox port: players' commands waiting for the world's next tick batch (AuditLog in
 * AWS, sharded by player). Submitting is idempotent by the client's command id; draining closes a
 * shard up to a watermark first, so that a command either lands before the watermark (and is
 * drained) or is refused and retried above it: none is lost between a drain and a late write.
 */
import type { JsonValue } from "@ledgerquest/engine";

export interface InboxCommand {
  readonly worldId: string;
  readonly shard: number;
  /** Arrival time (ms), as stamped by the inbox: the command's place in the shard's order. */
  readonly arrivedMs: number;
  readonly playerId: string;
  /** The client's command id, unique per player. */
  readonly commandId: string;
  readonly type: string;
  readonly data: JsonValue;
}

/**
 * A shard's order of commands: arrival, then player, then command id (as text). Every adapter
 * reads in this order, however it stores commands, so that a re-run applies what the live run did.
 */
export function compareInboxOrder(
  a: Pick<InboxCommand, "arrivedMs" | "playerId" | "commandId">,
  b: Pick<InboxCommand, "arrivedMs" | "playerId" | "commandId">,
): number {
  if (a.arrivedMs !== b.arrivedMs) return a.arrivedMs - b.arrivedMs;
  if (a.playerId !== b.playerId) return a.playerId < b.playerId ? -1 : 1;
  return a.commandId < b.commandId ? -1 : a.commandId > b.commandId ? 1 : 0;
}

export type SubmitResult =
  | { readonly result: "accepted"; readonly arrivedMs: number }
  | { readonly result: "duplicate" }
  /** The world's inbox takes no commands (the world is deactivated): nothing was stored. */
  | { readonly result: "closed" }
  /** `deadlineMs` passed before the command could be placed: nothing was stored. */
  | { readonly result: "busy" };

export interface NewCommand {
  readonly worldId: string;
  readonly shard: number;
  readonly playerId: string;
  readonly commandId: string;
  readonly type: string;
  readonly data: JsonValue;
  /** The submitter's idea of now; the inbox moves it above the shard's watermark if needed. */
  readonly nowMs: number;
  /**
   * No write is started after this time (ms since epoch, by the same clock as `nowMs`): the
   * submitter's caller gives up then, and a command stored after that would go unanswered.
   */
  readonly deadlineMs?: number;
}

export interface CommandInbox {
  /** Creates the shards' watermarks for a new world (idempotent). */
  openWorld(worldId: string, shards: number, startMs: number): Promise<void>;
  /**
   * Whether the world's shards take commands (open, as `openWorld` leaves them) or refuse them
   * (`closed`), atomically with each submit: a world is closed before it is deactivated, so no
   * command is accepted that no loop would apply.
   */
  setAccepting(worldId: string, shards: number, accepting: boolean): Promise<void>;
  /**
   * Stores a command unless this player already used this command id in this world
   * (`duplicate`: nothing is stored, the first one stands).
   */
  submit(command: NewCommand): Promise<SubmitResult>;
  /**
   * Closes the shard to arrivals at or before `upToMs` and returns the watermark now in force
   * (never lower than before: watermarks only rise).
   */
  close(worldId: string, shard: number, upToMs: number): Promise<number>;
  /**
   * The shard's commands with arrival in `(afterMs, upToMs]`, in arrival order; at most `limit`
   * of them when given (the first ones).
   */
  read(
    worldId: string,
    shard: number,
    afterMs: number,
    upToMs: number,
    limit?: number,
  ): Promise<readonly InboxCommand[]>;
}
