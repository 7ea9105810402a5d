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

  async submit(command: NewCommand): Promise<SubmitResult> {
    let arrivedMs = command.nowMs;
    const idKey = auditKeys.commandId(command.worldId, command.playerId, command.commandId);
    // The deadline is on the submitter's clock: what is left of it is measured on this one.
    const startedMs = Date.now();
    const budgetMs =
      command.deadlineMs === undefined
        ? Number.POSITIVE_INFINITY
        : command.deadlineMs - command.nowMs;
    for (let attempt = 0; attempt < this.attemptsMax; attempt++) {
      // Every attempt before this one was refused whole: nothing is stored yet.
      if (Date.now() - startedMs >= budgetMs) return { result: "busy" };
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                // The shard must take commands, and still be open at this arrival time...
                ConditionCheck: {
                  TableName: this.table,
                  Key: auditKeys.watermark(command.worldId, command.shard),
                  ConditionExpression: "wm < :t AND attribute_not_exists(closed)",
                  ExpressionAttributeValues: { ":t": arrivedMs },
                },
              },
              {
                // ...and the command id unused by this player in this world.
                Put: {
                  TableName: this.table,
                  Item: {
                    ...idKey,
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
                    pk: auditKeys.inbox(command.worldId, command.shard),
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
            ],
          }),
        );
        return { result: "accepted", arrivedMs };
      } catch (error) {
        const codes = cancellationCodes(error);
        if (codes === undefined) return translate(error, "TransactWriteItems", idKey.pk);
        if (codes[1] === "ConditionalCheckFailed") return { result: "duplicate" };
        if (codes[0] !== "ConditionalCheckFailed")
          return translate(error, "TransactWriteItems", idKey.pk);
        // The shard closed past our arrival time (or does not exist): move above it. A drain may
        // raise it again before this retry lands, so each retry aims further ahead (25 ms, 50,
        // 100, ... capped at a second): the command is then drained that much later, never lost.
        const leadMs = attempt === 0 ? 1 : Math.min(1000, 25 * 2 ** (attempt - 1));
        const state = await this.shardState(command.worldId, command.shard);
        if (state.closed) return { result: "closed" };
        arrivedMs = Math.max(arrivedMs, state.wm + leadMs);
      }
    }
    throw new StoreUnavailableError(
      "DynamoDB",
      `submit to inbox ${command.worldId}#${command.shard}: the watermark kept rising past ${this.attemptsMax} attempts`,
    );
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
