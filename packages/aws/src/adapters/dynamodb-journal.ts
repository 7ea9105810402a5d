/**
 * The journal port over DynamoDB (AuditLog). See docs/reference/data-model.md.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
} from "@aws-sdk/lib-dynamodb";
import { fromHex, type JournalEntry, toHex } from "@ledgerquest/engine";
import {
  auditKeys,
  type BatchRecord,
  CorruptRecordError,
  JOURNAL_ENTRIES_PER_PARTITION,
  type Journal,
  JournalConflictError,
  type PutBatchResult,
  pad,
} from "@ledgerquest/runtime";
import { type TableNames, transactInChunks, translate } from "./dynamodb-common.js";

type Item = Record<string, unknown>;

function batchToItem(r: BatchRecord): Item {
  const hashes = new Uint8Array(r.hashes.length * 32);
  r.hashes.forEach((h, i) => {
    hashes.set(fromHex(h), i * 32);
  });
  const { hashes: _h, ...rest } = r;
  return {
    ...auditKeys.batch(r.worldId, r.version),
    type: "batch",
    worldId: r.worldId,
    version: r.version,
    token: r.token,
    // Per-tick hashes packed as binary: 32 bytes a tick instead of 64 characters.
    hashes,
    body: JSON.stringify(rest),
  };
}

function itemToBatch(item: Item): BatchRecord {
  const where = `${String(item.pk)}/${String(item.sk)}`;
  if (typeof item.body !== "string" || !(item.hashes instanceof Uint8Array))
    throw new CorruptRecordError(where, "body or hashes missing");
  let rest: Omit<BatchRecord, "hashes">;
  try {
    rest = JSON.parse(item.body) as Omit<BatchRecord, "hashes">;
  } catch (error) {
    throw new CorruptRecordError(where, "body is not JSON", { cause: error });
  }
  const bytes = item.hashes;
  if (bytes.length % 32 !== 0) throw new CorruptRecordError(where, "hashes are not whole SHA-256s");
  const hashes: string[] = [];
  for (let i = 0; i < bytes.length; i += 32) hashes.push(toHex(bytes.subarray(i, i + 32)));
  return { ...rest, hashes };
}

function itemToEntry(item: Item): JournalEntry {
  const where = `${String(item.pk)}/${String(item.sk)}`;
  if (typeof item.entry !== "string") throw new CorruptRecordError(where, "entry missing");
  try {
    return JSON.parse(item.entry) as JournalEntry;
  } catch (error) {
    throw new CorruptRecordError(where, "entry is not JSON", { cause: error });
  }
}

export interface DynamoDbJournalOptions {
  readonly tables: TableNames;
}

/** AuditLog: batch records under `batch#<world>`, journal entries under `journal#<world>#<n>`. */
export class DynamoDbJournal implements Journal {
  private readonly table: string;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    options: DynamoDbJournalOptions,
  ) {
    this.table = options.tables.auditLog;
  }

  // Alike in form: every conditional put of these adapters (dynamodb-entity-store.ts's commitWorld).
  async putBatch(record: BatchRecord): Promise<PutBatchResult> {
    const key = auditKeys.batch(record.worldId, record.version);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: batchToItem(record),
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return { result: "created" };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException))
        translate(error, "PutItem", `${key.pk}/${key.sk}`);
    }
    const existing = await this.getBatch(record.worldId, record.version);
    if (existing === undefined)
      throw new CorruptRecordError(`${key.pk}/${key.sk}`, "vanished after a failed create");
    return { result: "exists", existing };
  }

  async getBatch(worldId: string, version: number): Promise<BatchRecord | undefined> {
    const key = auditKeys.batch(worldId, version);
    try {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }),
      );
      return out.Item === undefined ? undefined : itemToBatch(out.Item);
    } catch (error) {
      if (error instanceof CorruptRecordError) throw error;
      return translate(error, "GetItem", `${key.pk}/${key.sk}`);
    }
  }

  async listBatches(
    worldId: string,
    fromVersion: number,
    toVersion: number,
  ): Promise<readonly BatchRecord[]> {
    const items: Record<string, unknown>[] = [];
    try {
      const pages = paginateQuery(
        { client: this.doc },
        {
          TableName: this.table,
          KeyConditionExpression: "pk = :pk AND sk BETWEEN :a AND :b",
          ExpressionAttributeValues: {
            ":pk": auditKeys.batch(worldId, 0).pk,
            ":a": pad(fromVersion),
            ":b": pad(toVersion),
          },
          ConsistentRead: true,
        },
      );
      for await (const page of pages) items.push(...(page.Items ?? []));
    } catch (error) {
      return translate(error, "Query", `batches of ${worldId}`);
    }
    return items.map(itemToBatch);
  }

  async appendEntries(
    worldId: string,
    entries: readonly JournalEntry[],
    token: string,
  ): Promise<void> {
    if (entries.length === 0) return;
    const items = entries.map((e) => ({
      Put: {
        TableName: this.table,
        Item: {
          ...auditKeys.journal(worldId, e.seq),
          type: e.kind,
          worldId,
          seq: e.seq,
          hash: e.hash,
          prev: e.prev,
          entry: JSON.stringify(e),
        },
        // Created once; the very same entry again is a retry and changes nothing.
        ConditionExpression: "attribute_not_exists(pk) OR #h = :h",
        ExpressionAttributeNames: { "#h": "hash" },
        ExpressionAttributeValues: { ":h": e.hash },
      },
    }));
    const first = (entries[0] as JournalEntry).seq;
    const failed = await transactInChunks(
      this.doc,
      items,
      `${worldId}|${token}|${first}`,
      "journal",
    );
    if (failed !== undefined) {
      const at = failed.codes.indexOf("ConditionalCheckFailed");
      const entry = entries[failed.offset + Math.max(at, 0)] as JournalEntry;
      throw new JournalConflictError(worldId, `entry ${entry.seq}`);
    }
  }

  async readEntries(
    worldId: string,
    fromSeq: number,
    toSeq: number,
  ): Promise<readonly JournalEntry[]> {
    const out: JournalEntry[] = [];
    if (toSeq <= fromSeq) return out;
    const firstPart = Math.floor(fromSeq / JOURNAL_ENTRIES_PER_PARTITION);
    const lastPart = Math.floor((toSeq - 1) / JOURNAL_ENTRIES_PER_PARTITION);
    for (let part = firstPart; part <= lastPart; part++) {
      const { pk } = auditKeys.journal(worldId, part * JOURNAL_ENTRIES_PER_PARTITION);
      const pages = paginateQuery(
        { client: this.doc },
        {
          TableName: this.table,
          KeyConditionExpression: "pk = :pk AND sk BETWEEN :a AND :b",
          ExpressionAttributeValues: { ":pk": pk, ":a": pad(fromSeq), ":b": pad(toSeq - 1) },
          ConsistentRead: true,
        },
      );
      try {
        for await (const page of pages) {
          for (const item of page.Items ?? []) {
            const e = itemToEntry(item);
            // Entries are contiguous; a hole ends the read, as in the memory adapter.
            if (e.seq !== fromSeq + out.length) return out;
            out.push(e);
          }
        }
      } catch (error) {
        if (error instanceof CorruptRecordError) throw error;
        return translate(error, "Query", `journal of ${worldId}`);
      }
    }
    return out;
  }
}
