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
 * Commands in one transaction at most: DynamoDB takes 100 items per transaction, and a command is
 * two of them after the group's one watermark check.
 */
export const GROUP_COMMANDS_MAX = 49;

/**
 * Transactions of one shard in flight at once from one process. Two keep the pipe full (one
 * forms while the other is answered) without racing each other for the watermark.
 */
const GROUP_IN_FLIGHT_MAX = 2;

interface Pending {
  readonly command: NewCommand;
  arrivedMs: number;
  /** On this process's clock. */
  readonly giveUpAtMs: number;
  attempt: number;
  readonly resolve: (result: SubmitResult) => void;
  readonly reject: (error: unknown) => void;
}

interface Lane {
  readonly queue: Pending[];
  inFlight: number;
}

/** An inbox item's sort key: arrival time, then player and command id, so order is total. */
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
   * together in the next one (group commit): one watermark check for the group, two puts per
   * command. Nothing waits on purpose: a lone submit goes at once, as before; under load the
   * groups grow, and DynamoDB (Local above all, which serializes transactions) takes far fewer,
   * larger transactions.
   */
  submit(command: NewCommand): Promise<SubmitResult> {
    const key = `${command.worldId}#${command.shard}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { queue: [], inFlight: 0 };
      this.groups.set(key, group);
    }
    const lane = group;
    return new Promise<SubmitResult>((resolve, reject) => {
      lane.queue.push({
        command,
        arrivedMs: command.nowMs,
        // The deadline is on the submitter's clock: what is left of it is measured on this one.
        giveUpAtMs:
          command.deadlineMs === undefined
            ? Number.POSITIVE_INFINITY
            : Date.now() + command.deadlineMs - command.nowMs,
        attempt: 0,
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
      for (const p of lane.queue) {
        const id = `${p.command.playerId}#${p.command.commandId}`;
        if (batch.length < GROUP_COMMANDS_MAX && !ids.has(id)) {
          ids.add(id);
          batch.push(p);
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

  /** Places a group, settling every submit in it (never rejects itself). */
  private async place(group: Pending[]): Promise<void> {
    let left = group;
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
        await this.doc.send(new TransactWriteCommand({ TransactItems: this.groupItems(left) }));
        for (const p of left) p.resolve({ result: "accepted", arrivedMs: p.arrivedMs });
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
      // Item 0 is the watermark check; command k's id put is 1 + 2k, its inbox put 2 + 2k.
      const again: Pending[] = [];
      for (const [k, p] of left.entries()) {
        if (
          codes[1 + 2 * k] === "ConditionalCheckFailed" ||
          codes[2 + 2 * k] === "ConditionalCheckFailed"
        )
          p.resolve({ result: "duplicate" });
        else again.push(p);
      }
      left = again;
      if (left.length === 0) return;
      if (codes[0] === "ConditionalCheckFailed") {
        // The shard closed past an arrival time in the group (or does not exist): move the
        // group above it. A drain may raise it again before this retry lands, so each retry aims
        // further ahead (25 ms, 50, 100, ... capped at a second): the commands are then drained
        // that much later, never lost.
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
        const still: Pending[] = [];
        for (const p of left) {
          if (p.arrivedMs <= state.wm) {
            const leadMs = p.attempt === 0 ? 1 : Math.min(1000, 25 * 2 ** (p.attempt - 1));
            p.attempt++;
            p.arrivedMs = state.wm + leadMs;
          }
          if (p.attempt >= this.attemptsMax) {
            p.reject(
              new StoreUnavailableError(
                "DynamoDB",
                `submit to inbox ${worldId}#${shard}: the watermark kept rising past ${this.attemptsMax} attempts`,
              ),
            );
          } else still.push(p);
        }
        left = still;
      } else if (!codes.some((c) => c === "ConditionalCheckFailed")) {
        // Cancelled for another reason (a TransactionConflict with a drain raising the same
        // watermark, say): nothing was written; try the group again after a short pause.
        const attempt = Math.max(...left.map((p) => ++p.attempt));
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

  private groupItems(group: readonly Pending[]) {
    const first = group[0] as Pending;
    const { worldId, shard } = first.command;
    const minArrivedMs = Math.min(...group.map((p) => p.arrivedMs));
    return [
      {
        // The shard must take commands, and still be open at every arrival time of the group...
        ConditionCheck: {
          TableName: this.table,
          Key: auditKeys.watermark(worldId, shard),
          ConditionExpression: "wm < :t AND attribute_not_exists(closed)",
          ExpressionAttributeValues: { ":t": minArrivedMs },
        },
      },
      ...group.flatMap(({ command, arrivedMs }) => [
        {
          // ...and each command id unused by its player in this world.
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
        },
        {
          Put: {
            TableName: this.table,
            Item: {
              pk: auditKeys.inbox(worldId, shard),
              sk: inboxSk(arrivedMs, command.playerId, command.commandId),
              type: "command",
              arrivedMs,
              playerId: command.playerId,
              commandId: command.commandId,
              commandType: command.type,
              data: JSON.stringify(command.data),
            },
            ConditionExpression: "attribute_not_exists(pk)",
          },
        },
      ]),
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
    let start: Record<string, unknown> | undefined;
    // Paged by hand, not with `paginateQuery`: each page asks for what is still missing of
    // `limit` (a paginator's page size is fixed), so a read never takes more than it returns.
    do {
      try {
        const page = await this.doc.send(
          new QueryCommand({
            TableName: this.table,
            // `~` sorts after every key character, so `<pad(t)>~` is just past every arrival at t.
            KeyConditionExpression: "pk = :pk AND sk BETWEEN :a AND :b",
            ExpressionAttributeValues: {
              ":pk": pk,
              ":a": `${pad(afterMs)}~`,
              ":b": `${pad(upToMs)}~`,
            },
            ConsistentRead: true,
            ExclusiveStartKey: start,
            ...(limit === undefined ? {} : { Limit: limit - out.length }),
          }),
        );
        for (const item of page.Items ?? []) {
          if (item.type !== "command") continue;
          let data: JsonValue;
          try {
            data = JSON.parse(String(item.data)) as JsonValue;
          } catch (error) {
            throw new CorruptRecordError(`${pk}/${String(item.sk)}`, "data is not JSON", {
              cause: error,
            });
          }
          out.push({
            worldId,
            shard,
            arrivedMs: Number(item.arrivedMs),
            playerId: String(item.playerId),
            commandId: String(item.commandId),
            type: String(item.commandType),
            data,
          });
        }
        start = page.LastEvaluatedKey;
      } catch (error) {
        if (error instanceof CorruptRecordError) throw error;
        return translate(error, "Query", pk);
      }
    } while (start !== undefined && (limit === undefined || out.length < limit));
    return out;
  }
}
