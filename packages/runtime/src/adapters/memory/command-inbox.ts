import { NotFoundError } from "../../errors.js";
import {
  type CommandInbox,
  compareInboxOrder,
  type InboxCommand,
  type NewCommand,
  type SubmitResult,
} from "../../ports/command-inbox.js";

interface Shard {
  watermarkMs: number;
  accepting: boolean;
  commands: InboxCommand[];
}

/**
 * The command inbox in memory, with the port's semantics (see the contract suite).
 * Alike: packages/aws/src/adapters/dynamodb-command-inbox.ts (the same port over DynamoDB).
 */
export class MemoryCommandInbox implements CommandInbox {
  private readonly shards = new Map<string, Shard>();
  private readonly usedIds = new Set<string>();

  async openWorld(worldId: string, shards: number, startMs: number): Promise<void> {
    for (let s = 0; s < shards; s++) {
      const key = `${worldId}#${s}`;
      if (!this.shards.has(key))
        this.shards.set(key, { watermarkMs: startMs, accepting: true, commands: [] });
    }
  }

  async setAccepting(worldId: string, shards: number, accepting: boolean): Promise<void> {
    for (let s = 0; s < shards; s++) this.shard(worldId, s).accepting = accepting;
  }

  private shard(worldId: string, shard: number): Shard {
    const s = this.shards.get(`${worldId}#${shard}`);
    if (s === undefined) throw new NotFoundError("inbox shard", `${worldId}#${shard}`);
    return s;
  }

  async submit(command: NewCommand): Promise<SubmitResult> {
    const s = this.shard(command.worldId, command.shard);
    const idKey = `${command.worldId}#${command.playerId}#${command.commandId}`;
    if (command.deadlineMs !== undefined && command.nowMs >= command.deadlineMs)
      return { result: "busy" };
    // As one transaction answers it: a used id first, then a closed shard.
    if (this.usedIds.has(idKey)) return { result: "duplicate" };
    if (!s.accepting) return { result: "closed" };
    this.usedIds.add(idKey);
    const arrivedMs = Math.max(command.nowMs, s.watermarkMs + 1);
    const stored: InboxCommand = {
      worldId: command.worldId,
      shard: command.shard,
      arrivedMs,
      playerId: command.playerId,
      commandId: command.commandId,
      type: command.type,
      data: structuredClone(command.data),
    };
    // Keep arrival order (ties by player, then command id), as the table's sort key does.
    const at = s.commands.findIndex((c) => compareInboxOrder(c, stored) > 0);
    if (at < 0) s.commands.push(stored);
    else s.commands.splice(at, 0, stored);
    return { result: "accepted", arrivedMs };
  }

  async close(worldId: string, shard: number, upToMs: number): Promise<number> {
    const s = this.shard(worldId, shard);
    if (upToMs > s.watermarkMs) s.watermarkMs = upToMs;
    return s.watermarkMs;
  }

  async read(
    worldId: string,
    shard: number,
    afterMs: number,
    upToMs: number,
    limit?: number,
  ): Promise<readonly InboxCommand[]> {
    return this.shard(worldId, shard)
      .commands.filter((c) => c.arrivedMs > afterMs && c.arrivedMs <= upToMs)
      .slice(0, limit)
      .map((c) => structuredClone(c));
  }
}
