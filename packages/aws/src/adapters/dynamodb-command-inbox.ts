/**
 * The command inbox port over DynamoDB (AuditLog). See docs/reference/data-model.md for the
 * watermark protocol that keeps a command from slipping behind a drain.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { JsonValue } from "@ledgerquest/engine";
import {
  auditKeys,
  type CommandInbox,
  CorruptRecordError,
  compareInboxOrder,
  type InboxCommand,
  type NewCommand,
  NotFoundError,
  pad,
  StoreUnavailableError,
  type SubmitResult,
} from "@ledgerquest/runtime";
import { cancellationCodes, type TableNames, translate } from "./dynamodb-common.js";

export interface DynamoDbCommandInboxOptions {
  readonly tables: TableNames;
  /** How long a used command id is remembered, seconds. Default 7 days. */
  readonly commandIdTtlSeconds?: number;
  /** Attempts to place a command above a rising watermark. Default 10. */
  readonly placeAttemptsMax?: number;
}

/**
 * Commands in one transaction at most: DynamoDB takes 100 items per transaction, and a group is
 * its watermark check, one id claim per command and one inbox item.
 */
export const GROUP_COMMANDS_MAX = 98;

/**
 * A group's commands' bytes at most (their ids, types and data as stored): a DynamoDB item holds
 * 400 KB, names and keys included. Frames are at most 8 KB, so a full group of the largest ones
 * is split in three.
 */
export const GROUP_BYTES_MAX = 300_000;

/**
 * Transactions of one shard in flight at once from one process. Two keep the pipe full (one
 * forms while the other is answered) without racing each other for the watermark.
 */
const GROUP_IN_FLIGHT_MAX = 2;

interface Pending {
  readonly command: NewCommand;
  /** The command as it is stored in its group's item: `[player, id, type, data]`, JSON. */
  readonly stored: string;
  /** Its UTF-8 bytes (a string's length counts UTF-16 units: up to a third of them). */
  readonly storedBytes: number;
  /** On this process's clock. */
  readonly giveUpAtMs: number;
  readonly resolve: (result: SubmitResult) => void;
  readonly reject: (error: unknown) => void;
}

interface Lane {
  readonly queue: Pending[];
  inFlight: number;
}

/**
 * An inbox item's sort key: its arrival time, then the player and command id of its first
 * command, which the group's id claim makes unique, so that order is total.
 */
function inboxSk(arrivedMs: number, playerId: string, commandId: string): string {
  return `${pad(arrivedMs)}#${playerId}#${commandId}`;
}

export class DynamoDbCommandInbox implements CommandInbox {
  private readonly table: string;
  private readonly ttlSeconds: number;
  private readonly attemptsMax: number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    options: DynamoDbCommandInboxOptions,
  ) {
    this.table = options.tables.auditLog;
    this.ttlSeconds = options.commandIdTtlSeconds ?? 7 * 24 * 3600;
    this.attemptsMax = options.placeAttemptsMax ?? 10;
  }

  async openWorld(worldId: string, shards: number, startMs: number): Promise<void> {
    for (let s = 0; s < shards; s++) {
      const key = auditKeys.watermark(worldId, s);
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...key, type: "watermark", wm: startMs },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException))
          translate(error, "PutItem", key.pk);
      }
    }
  }

  // Alike: openWorld above (a write per shard's watermark item, each its own condition).
  async setAccepting(worldId: string, shards: number, accepting: boolean): Promise<void> {
    for (let s = 0; s < shards; s++) {
      const key = auditKeys.watermark(worldId, s);
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            UpdateExpression: accepting ? "REMOVE closed" : "SET closed = :t",
            ConditionExpression: "attribute_exists(pk)",
            ...(accepting ? {} : { ExpressionAttributeValues: { ":t": true } }),
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException)
          throw new NotFoundError("inbox shard", `${worldId}#${s}`);
        translate(error, "UpdateItem", key.pk);
      }
    }
  }

  private async watermark(worldId: string, shard: number): Promise<number> {
    return (await this.shardState(worldId, shard)).wm;
  }

  private async shardState(
    worldId: string,
    shard: number,
  ): Promise<{ readonly wm: number; readonly closed: boolean }> {
    const key = auditKeys.watermark(worldId, shard);
    let item: Record<string, unknown> | undefined;
    try {
      item = (
        await this.doc.send(
          new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
        )
      ).Item;
    } catch (error) {
      return translate(error, "GetItem", key.pk);
    }
    if (item === undefined) throw new NotFoundError("inbox shard", `${worldId}#${shard}`);
    if (typeof item.wm !== "number")
      throw new CorruptRecordError(key.pk, "watermark is not a number");
    return { wm: item.wm, closed: item.closed === true };
  }

  /**
   * Submits of one shard that arrive while a transaction of that shard is in flight wait and go
   * together in the next one (group commit): one watermark check and one inbox item for the
   * group, one id claim per command. Nothing waits on purpose: a lone submit goes at once; under
   * load the groups grow, and DynamoDB (Local above all, which serializes transactions) writes
   * about one item per command instead of two.
   */
  submit(command: NewCommand): Promise<SubmitResult> {
    const key = `${command.worldId}#${command.shard}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { queue: [], inFlight: 0 };
      this.groups.set(key, group);
    }
    const lane = group;
    const stored = `[${JSON.stringify(command.playerId)},${JSON.stringify(command.commandId)},${JSON.stringify(command.type)},${JSON.stringify(command.data)}]`;
    return new Promise<SubmitResult>((resolve, reject) => {
      lane.queue.push({
        command,
        stored,
        storedBytes: Buffer.byteLength(stored, "utf8"),
        // The deadline is on the submitter's clock: what is left of it is measured on this one.
        giveUpAtMs:
          command.deadlineMs === undefined
            ? Number.POSITIVE_INFINITY
            : Date.now() + command.deadlineMs - command.nowMs,
        resolve,
        reject,
      });
      this.pump(key, lane);
    });
  }

  private readonly groups = new Map<string, Lane>();

  private pump(key: string, lane: Lane): void {
    while (lane.inFlight < GROUP_IN_FLIGHT_MAX && lane.queue.length > 0) {
      // A transaction may name an item once: a command id sent twice at once waits for the
      // next group (where it is a duplicate).
      const batch: Pending[] = [];
      const rest: Pending[] = [];
      const ids = new Set<string>();
      let bytes = 0;
      for (const p of lane.queue) {
        const id = `${p.command.playerId}#${p.command.commandId}`;
        if (
          batch.length < GROUP_COMMANDS_MAX &&
          !ids.has(id) &&
          (batch.length === 0 || bytes + p.storedBytes <= GROUP_BYTES_MAX)
        ) {
          ids.add(id);
          batch.push(p);
          bytes += p.storedBytes;
        } else rest.push(p);
      }
      lane.queue.length = 0;
      lane.queue.push(...rest);
      lane.inFlight++;
      void this.place(batch).finally(() => {
        lane.inFlight--;
        if (lane.inFlight === 0 && lane.queue.length === 0) this.groups.delete(key);
        else this.pump(key, lane);
      });
    }
  }

  /**
   * Places a group, settling every submit in it (never rejects itself). The group arrives as a
   * whole, at the latest of its commands' times (none is stamped before it was sent), moved above
   * the watermark if a drain closed the shard past it meanwhile.
   */
  private async place(group: Pending[]): Promise<void> {
    let left = group;
    let arrivedMs = Math.max(...group.map((p) => p.command.nowMs));
    let attempt = 0;
    while (left.length > 0) {
      const now = Date.now();
      // Every attempt before this one was refused whole: nothing of these is stored yet.
      for (const p of left) if (now >= p.giveUpAtMs) p.resolve({ result: "busy" });
      left = left.filter((p) => now < p.giveUpAtMs);
      if (left.length === 0) return;
      const first = left[0] as Pending;
      const { worldId, shard } = first.command;
      let codes: string[] | undefined;
      try {
        await this.doc.send(
          new TransactWriteCommand({ TransactItems: this.groupItems(left, arrivedMs) }),
        );
        for (const p of left) p.resolve({ result: "accepted", arrivedMs });
        return;
      } catch (error) {
        codes = cancellationCodes(error);
        if (codes === undefined) {
          try {
            translate(error, "TransactWriteItems", auditKeys.inbox(worldId, shard));
          } catch (translated) {
            for (const p of left) p.reject(translated);
          }
          return;
        }
      }
      // Item 0 is the watermark check, command k's id claim is 1 + k, the group's item last.
      const before = left.length;
      const again = left.filter((_, k) => codes[1 + k] !== "ConditionalCheckFailed");
      for (const p of left) if (!again.includes(p)) p.resolve({ result: "duplicate" });
      left = again;
      if (left.length === 0) return;
      attempt++;
      if (codes[0] === "ConditionalCheckFailed") {
        // The shard closed past the group's arrival time (or does not exist): move the group
        // above it. A drain may raise it again before this retry lands, so each retry aims
        // further ahead (1 ms, 25, 50, 100, ... capped at a second): the commands are then
        // drained that much later, never lost.
        let state: { readonly wm: number; readonly closed: boolean };
        try {
          state = await this.shardState(worldId, shard);
        } catch (error) {
          for (const p of left) p.reject(error);
          return;
        }
        if (state.closed) {
          for (const p of left) p.resolve({ result: "closed" });
          return;
        }
        if (arrivedMs <= state.wm)
          arrivedMs = state.wm + (attempt === 1 ? 1 : Math.min(1000, 25 * 2 ** (attempt - 2)));
        if (attempt >= this.attemptsMax) {
          const error = new StoreUnavailableError(
            "DynamoDB",
            `submit to inbox ${worldId}#${shard}: the watermark kept rising past ${this.attemptsMax} attempts`,
          );
          for (const p of left) p.reject(error);
          return;
        }
      } else if (left.length === before) {
        // Cancelled for another reason (a TransactionConflict with a drain raising the same
        // watermark, say): nothing was written; try the group again after a short pause.
        if (attempt >= this.attemptsMax) {
          const error = new StoreUnavailableError(
            "DynamoDB",
            `submit to inbox ${worldId}#${shard}: cancelled ${attempt} times (${codes.join(", ")})`,
          );
          for (const p of left) p.reject(error);
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** attempt)));
      }
    }
  }

  private groupItems(group: readonly Pending[], arrivedMs: number) {
    const first = group[0] as Pending;
    const { worldId, shard } = first.command;
    return [
      {
        // The shard must take commands, and still be open at the group's arrival time...
        ConditionCheck: {
          TableName: this.table,
          Key: auditKeys.watermark(worldId, shard),
          ConditionExpression: "wm < :t AND attribute_not_exists(closed)",
          ExpressionAttributeValues: { ":t": arrivedMs },
        },
      },
      // ...and each command id unused by its player in this world...
      ...group.map(({ command }) => ({
        Put: {
          TableName: this.table,
          Item: {
            ...auditKeys.commandId(worldId, command.playerId, command.commandId),
            type: "commandId",
            arrivedMs,
            expires_at: Math.floor(command.nowMs / 1000) + this.ttlSeconds,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        },
      })),
      {
        // ...and the commands, in one item: its key is unique by the first command's claim.
        Put: {
          TableName: this.table,
          Item: {
            pk: auditKeys.inbox(worldId, shard),
            sk: inboxSk(arrivedMs, first.command.playerId, first.command.commandId),
            type: "commands",
            arrivedMs,
            commands: `[${group.map((p) => p.stored).join(",")}]`,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        },
      },
    ];
  }

  async close(worldId: string, shard: number, upToMs: number): Promise<number> {
    const key = auditKeys.watermark(worldId, shard);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: "SET wm = :u",
          ConditionExpression: "wm < :u",
          ExpressionAttributeValues: { ":u": upToMs },
        }),
      );
      return upToMs;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException))
        return translate(error, "UpdateItem", key.pk);
    }
    // Already at or above: watermarks only rise. (Also the path for a shard that does not exist.)
    return await this.watermark(worldId, shard);
  }

  async read(
    worldId: string,
    shard: number,
    afterMs: number,
    upToMs: number,
    limit?: number,
  ): Promise<readonly InboxCommand[]> {
    const out: InboxCommand[] = [];
    if (upToMs <= afterMs || limit === 0) return out;
    const pk = auditKeys.inbox(worldId, shard);
    // `~` sorts after every key character, so `<pad(t)>~` is just past every arrival at t.
    let last = `${pad(upToMs)}~`;
    let full = false;
    let start: Record<string, unknown> | undefined;
    // Paged by hand, not with `paginateQuery`: a page asks for no more items than commands are
    // still missing of `limit`, and once `limit` is reached the read goes on only through the
    // last millisecond it took (its commands sort among each other by player and id, whatever
    // item holds them), so a read never takes much more than it returns.
    do {
      let page: { Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> };
      try {
        page = await this.doc.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: "pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues: { ":pk": pk, ":a": `${pad(afterMs)}~`, ":b": last },
            ConsistentRead: true,
            ExclusiveStartKey: start,
            ...(limit === undefined || full ? {} : { Limit: limit - out.length }),
          }),
        );
      } catch (error) {
        return translate(error, "Query", pk);
      }
      for (const item of page.Items ?? []) out.push(...inboxCommands(worldId, shard, pk, item));
      start = page.LastEvaluatedKey;
      const lastItem = page.Items?.at(-1);
      if (limit !== undefined && !full && out.length >= limit && lastItem !== undefined) {
        full = true;
        last = `${pad(Number(lastItem.arrivedMs))}~`;
      }
    } while (start !== undefined);
    out.sort(compareInboxOrder);
    if (limit !== undefined && out.length > limit) out.length = limit;
    return out;
  }
}

/** The commands an inbox item holds: a group's (`commands`), or one (`command`, before groups). */
function inboxCommands(
  worldId: string,
  shard: number,
  pk: string,
  item: Record<string, unknown>,
): InboxCommand[] {
  const where = `${pk}/${String(item.sk)}`;
  const arrivedMs = Number(item.arrivedMs);
  if (!Number.isSafeInteger(arrivedMs))
    throw new CorruptRecordError(where, "arrivedMs is not a time");
  const parse = (text: unknown, what: string): unknown => {
    try {
      return JSON.parse(String(text));
    } catch (error) {
      throw new CorruptRecordError(where, `${what} is not JSON`, { cause: error });
    }
  };
  if (item.type === "command") {
    return [
      {
        worldId,
        shard,
        arrivedMs,
        playerId: String(item.playerId),
        commandId: String(item.commandId),
        type: String(item.commandType),
        data: parse(item.data, "data") as JsonValue,
      },
    ];
  }
  if (item.type !== "commands") return [];
  const list = parse(item.commands, "commands");
  if (!Array.isArray(list)) throw new CorruptRecordError(where, "commands is not a list");
  return list.map((entry: unknown) => {
    if (
      !Array.isArray(entry) ||
      entry.length !== 4 ||
      typeof entry[0] !== "string" ||
      typeof entry[1] !== "string" ||
      typeof entry[2] !== "string"
    )
      throw new CorruptRecordError(where, "a command is not [player, id, type, data]");
    return {
      worldId,
      shard,
      arrivedMs,
      playerId: entry[0],
      commandId: entry[1],
      type: entry[2],
      data: entry[3] as JsonValue,
    };
  });
}
