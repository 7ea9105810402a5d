import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import {
  type Clock,
  CorruptRecordError,
  LEADERBOARD_UNIT,
  type Leaderboard,
  type LeaderboardRow,
  type LeaderboardStore,
  systemClock,
} from "@ledgerquest/runtime";
import * as z from "zod/mini";
import { auditProjectionKeys } from "./audit-projections.js";
import { getEntityItem, type TableNames, translate } from "./dynamodb-common.js";

export interface DynamoDbLeaderboardStoreOptions {
  readonly tables: Pick<TableNames, "entityTable">;
  /** Stamps `updatedAtMs` on each write. Default: the system clock. */
  readonly clock?: Clock;
}

const leaderboardItemSchema = z.object({
  rev: z.int().check(z.minimum(0)),
  rows: z.array(z.object({ playerId: z.string(), gold: z.number(), version: z.int() })),
});

/**
 * Leaderboards in EntityTable, one item per world (`leaderboard#<world>`: `rev`, `rows`): a
 * write is a put conditional on the revision read (on the item's absence for revision 0).
 * Alike: dynamodb-chain-records.ts (the same table, constructor and read of one item per world).
 */
export class DynamoDbLeaderboardStore implements LeaderboardStore {
  private readonly table: string;
  private readonly clock: Clock;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    options: DynamoDbLeaderboardStoreOptions,
  ) {
    this.table = options.tables.entityTable;
    this.clock = options.clock ?? systemClock;
  }

  async read(worldId: string): Promise<Leaderboard> {
    const key = auditProjectionKeys.leaderboard(worldId);
    const item = await getEntityItem(this.doc, this.table, key);
    if (item === undefined) return { rev: 0, rows: [] };
    const parsed = leaderboardItemSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CorruptRecordError(key, `${issue?.path.join(".") ?? ""}: ${issue?.message ?? ""}`);
    }
    return parsed.data;
  }

  async write(worldId: string, rev: number, rows: readonly LeaderboardRow[]): Promise<boolean> {
    const key = auditProjectionKeys.leaderboard(worldId);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            entity_id: key,
            type: "leaderboard",
            worldId,
            unit: LEADERBOARD_UNIT,
            rev: rev + 1,
            rows,
            updatedAtMs: this.clock.nowMs(),
          },
          ...(rev === 0
            ? { ConditionExpression: "attribute_not_exists(entity_id)" }
            : {
                ConditionExpression: "#rev = :rev",
                ExpressionAttributeNames: { "#rev": "rev" },
                ExpressionAttributeValues: { ":rev": rev },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      return translate(error, "PutItem", key);
    }
  }
}
