import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { CHAIN_START, type ChainHead } from "@ledgerquest/engine";
import {
  CHAIN_BREAK_DETAIL_CHARS_MAX,
  type ChainBreak,
  type ChainRecord,
  type ChainRecordStore,
  type Clock,
  CorruptRecordError,
  LEDGER_BREAK_KINDS,
  type LedgerBreakKind,
  systemClock,
} from "@ledgerquest/runtime";
import { auditProjectionKeys } from "./audit-projections.js";
import { getEntityItem, type TableNames, translate } from "./dynamodb-common.js";

export interface DynamoDbChainRecordStoreOptions {
  readonly tables: Pick<TableNames, "entityTable">;
  /** Stamps `updatedAtMs` on each write. Default: the system clock. */
  readonly clock?: Clock;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Chain records in EntityTable, one item per world (`chain#<world>`): `seq` and `hash` of the
 * head, `brokenSeq`, `brokenKind`, `brokenDetail` of the first break, `breakAnnounced`. Each write
 * is one conditional update: the head moves only to a greater seq, a break is set only where none
 * is, the announcement only where the break it read still stands. A condition that fails means
 * another verifier got there first, which is not an error.
 */
export class DynamoDbChainRecordStore implements ChainRecordStore {
  private readonly table: string;
  private readonly clock: Clock;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    options: DynamoDbChainRecordStoreOptions,
  ) {
    this.table = options.tables.entityTable;
    this.clock = options.clock ?? systemClock;
  }

  async read(worldId: string): Promise<ChainRecord> {
    const key = auditProjectionKeys.chain(worldId);
    const item = await getEntityItem(this.doc, this.table, key);
    if (item === undefined) return { head: CHAIN_START, breakAnnounced: false };
    const head = headOf(key, item);
    const breakAnnounced = item.breakAnnounced === true;
    if (item.brokenSeq === undefined) return { head, breakAnnounced };
    const kind = item.brokenKind;
    if (typeof item.brokenSeq !== "number" || !isBreakKind(kind)) {
      throw new CorruptRecordError(key, `brokenSeq or brokenKind is not what this adapter writes`);
    }
    const detail = typeof item.brokenDetail === "string" ? item.brokenDetail : "";
    return { head, break: { seq: item.brokenSeq, kind, detail }, breakAnnounced };
  }

  async advanceHead(worldId: string, head: ChainHead): Promise<void> {
    await this.update(worldId, {
      UpdateExpression: "SET #type = :type, worldId = :w, #seq = :s, #hash = :h, updatedAtMs = :t",
      ConditionExpression: "attribute_not_exists(#seq) OR #seq < :s",
      ExpressionAttributeNames: { "#type": "type", "#seq": "seq", "#hash": "hash" },
      ExpressionAttributeValues: {
        ":type": "chain",
        ":w": worldId,
        ":s": head.seq,
        ":h": head.hash,
        ":t": this.clock.nowMs(),
      },
    });
  }

  async recordBreak(chainBreak: ChainBreak): Promise<void> {
    await this.update(chainBreak.worldId, {
      UpdateExpression:
        "SET #type = :type, worldId = :w, brokenSeq = :b, brokenKind = :k, brokenDetail = :d, updatedAtMs = :t",
      ConditionExpression: "attribute_not_exists(brokenSeq)",
      ExpressionAttributeNames: { "#type": "type" },
      ExpressionAttributeValues: {
        ":type": "chain",
        ":w": chainBreak.worldId,
        ":b": chainBreak.seq,
        ":k": chainBreak.kind,
        ":d": chainBreak.detail.slice(0, CHAIN_BREAK_DETAIL_CHARS_MAX),
        ":t": this.clock.nowMs(),
      },
    });
  }

  async markAnnounced(worldId: string, seq: number): Promise<void> {
    // An operator removed or replaced the break meanwhile: there is nothing left to mark.
    await this.update(worldId, {
      UpdateExpression: "SET breakAnnounced = :t",
      ConditionExpression: "brokenSeq = :b",
      ExpressionAttributeValues: { ":t": true, ":b": seq },
    });
  }

  /** One conditional update of the world's item; a failed condition is another writer's win. */
  private async update(
    worldId: string,
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], "TableName" | "Key">,
  ): Promise<void> {
    const key = auditProjectionKeys.chain(worldId);
    try {
      await this.doc.send(
        new UpdateCommand({ TableName: this.table, Key: { entity_id: key }, ...input }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) translate(error, "UpdateItem", key);
    }
  }
}

function headOf(key: string, item: Record<string, unknown>): ChainHead {
  if (item.seq === undefined) return CHAIN_START;
  if (typeof item.seq !== "number" || typeof item.hash !== "string" || !HEX64.test(item.hash)) {
    throw new CorruptRecordError(key, "seq or hash is not what this adapter writes");
  }
  return { seq: item.seq, hash: item.hash };
}

function isBreakKind(kind: unknown): kind is LedgerBreakKind {
  return (LEDGER_BREAK_KINDS as readonly unknown[]).includes(kind);
}
