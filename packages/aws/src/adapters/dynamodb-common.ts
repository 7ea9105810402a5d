/**
 * What the DynamoDB adapters share: the document client, table names, SDK-error translation and
 * chunked transactions.
 */

import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  ResourceInUseException,
  TransactionCanceledException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { sha256Text, toHex } from "@ledgerquest/engine";
import {
  AUDIT_LOG,
  ENTITY_TABLE,
  StoreUnavailableError,
  type TableDefinition,
} from "@ledgerquest/runtime";
import { sdkClientOptions } from "./sdk-clients.js";
import { isTransientSdkError } from "./sdk-errors.js";

/** The physical names of the two tables. */
export interface TableNames {
  readonly entityTable: string;
  readonly auditLog: string;
}

/** Local and test runs prefix the logical names; the CDK stacks pass their generated names. */
export function tableNames(prefix = ""): TableNames {
  return {
    entityTable: `${prefix}${ENTITY_TABLE.logicalName}`,
    auditLog: `${prefix}${AUDIT_LOG.logicalName}`,
  };
}

/** A document client that round-trips Uint8Array as binary and drops undefined attributes. */
export function documentClient(
  client: DynamoDBClient | DynamoDBClientConfig = {},
): DynamoDBDocumentClient {
  const base =
    client instanceof DynamoDBClient
      ? client
      : new DynamoDBClient({ ...sdkClientOptions("dynamodb"), ...client });
  return DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
}

/** DynamoDB's limit of keys in one BatchGetItem call. */
export const BATCH_GET_KEYS_MAX = 100;

/**
 * Rounds of BatchGetItem for keys DynamoDB returned unprocessed (throttled, or past its 16 MB
 * answer) before the read gives up as unavailable; between rounds it waits 25, 50, 100... ms.
 */
const BATCH_GET_ROUNDS_MAX = 8;

/**
 * Reads the items of `keys` (values of `keyName`) from `table` consistently, 100 keys a call,
 * retrying what DynamoDB leaves unprocessed: the items found, by key. Repeated keys are read once
 * (BatchGetItem refuses duplicates). Not lib-dynamodb's `paginatedBatchGet`: that one sends the
 * unprocessed keys again at once and without end, where DynamoDB asks for a backoff (they are
 * left unprocessed when it throttles).
 */
export async function batchGetItems(
  doc: DynamoDBDocumentClient,
  table: string,
  keyName: string,
  keys: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  const unique = [...new Set(keys)];
  for (let offset = 0; offset < unique.length; offset += BATCH_GET_KEYS_MAX) {
    let pending: Record<string, unknown>[] = unique
      .slice(offset, offset + BATCH_GET_KEYS_MAX)
      .map((k) => ({ [keyName]: k }));
    for (let round = 0; pending.length > 0; round++) {
      if (round === BATCH_GET_ROUNDS_MAX) {
        throw new StoreUnavailableError(
          "DynamoDB",
          `BatchGetItem (${table}): ${pending.length} keys still unprocessed after ${round} rounds`,
        );
      }
      if (round > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** (round - 1)));
      let out: BatchGetCommandOutput;
      try {
        out = await doc.send(
          new BatchGetCommand({
            RequestItems: { [table]: { Keys: pending, ConsistentRead: true } },
          }),
        );
      } catch (error) {
        return translate(error, "BatchGetItem", `${pending.length} keys of ${table}`);
      }
      for (const item of out.Responses?.[table] ?? []) found.set(String(item[keyName]), item);
      pending = (out.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
    }
  }
  return found;
}

/** DynamoDB's limit of items in one TransactWriteItems call. */
export const TRANSACTION_ITEMS_MAX = 100;

type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

/** The reason code of each item of a cancelled transaction (`None` where that item was fine). */
export function cancellationCodes(error: unknown): string[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return (error.CancellationReasons ?? []).map((r) => r.Code ?? "None");
}

/**
 * One item of an EntityTable-shaped table (`entity_id` key), read consistently; only the named
 * top-level `attributes` when given (a world item's state bytes are left out that way).
 */
export async function getEntityItem(
  doc: DynamoDBDocumentClient,
  table: string,
  key: string,
  attributes?: readonly string[],
): Promise<Record<string, unknown> | undefined> {
  const projection =
    attributes === undefined
      ? {}
      : {
          ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(", "),
          ExpressionAttributeNames: Object.fromEntries(attributes.map((a, i) => [`#a${i}`, a])),
        };
  try {
    const out = await doc.send(
      new GetCommand({
        TableName: table,
        Key: { entity_id: key },
        ConsistentRead: true,
        ...projection,
      }),
    );
    return out.Item;
  } catch (error) {
    return translate(error, "GetItem", key);
  }
}

/**
 * Translates an SDK error that no adapter expected into the runtime's typed errors: transient
 * failures become `StoreUnavailableError` (safe to retry: every write is idempotent); anything
 * else is a bug or a misconfiguration and is rethrown with its context.
 */
export function translate(error: unknown, operation: string, context: string): never {
  if (isTransientSdkError(error)) {
    throw new StoreUnavailableError("DynamoDB", `${operation} (${context})`, { cause: error });
  }
  const e = error as { name?: string; message?: string };
  throw new StoreUnavailableError(
    "DynamoDB",
    `${operation} (${context}) failed with ${e.name ?? "an error"}: ${e.message ?? ""}`,
    {
      cause: error,
    },
  );
}

/**
 * Runs `items` as transactions of at most 100 items, in order. Each chunk carries a
 * ClientRequestToken derived from `token` and its position, so a retried call within DynamoDB's
 * ten-minute idempotency window is recognised as the same transaction rather than applied again.
 * Returns, for a cancelled chunk, its index and the cancellation codes (the caller decides what a
 * failed condition means); other errors are translated.
 */
export async function transactInChunks(
  doc: DynamoDBDocumentClient,
  items: readonly TransactItem[],
  token: string,
  operation: string,
): Promise<
  { readonly chunk: number; readonly offset: number; readonly codes: readonly string[] } | undefined
> {
  for (let offset = 0, chunk = 0; offset < items.length; offset += TRANSACTION_ITEMS_MAX, chunk++) {
    const part = items.slice(offset, offset + TRANSACTION_ITEMS_MAX);
    try {
      await doc.send(
        new TransactWriteCommand({
          TransactItems: part,
          // At most 36 characters: a digest of who, what, where and which chunk. The tables are part
          // of it: the same batch written into another stage's tables (a restore) within DynamoDB's
          // ten minutes is another transaction, not a repeat of this one.
          ClientRequestToken: toHex(
            sha256Text(`${token}|${operation}|${tablesOf(part)}|${offset}|${part.length}`),
          ).slice(0, 36),
        }),
      );
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes?.some((c) => c === "ConditionalCheckFailed")) return { chunk, offset, codes };
      translate(error, operation, `chunk ${chunk}`);
    }
  }
  return undefined;
}

/** The tables a chunk writes, sorted: part of its idempotency token. */
function tablesOf(part: readonly TransactItem[]): string {
  const names = new Set<string>();
  for (const item of part) {
    const table =
      item.Put?.TableName ??
      item.Update?.TableName ??
      item.Delete?.TableName ??
      item.ConditionCheck?.TableName;
    if (table !== undefined) names.add(table);
  }
  return [...names].sort().join(",");
}

function createTableInput(def: TableDefinition, name: string): CreateTableCommandInput {
  const attributes = new Map<string, string>();
  const add = (a: { name: string; type: string }) => attributes.set(a.name, a.type);
  add(def.partitionKey);
  if (def.sortKey) add(def.sortKey);
  for (const ix of def.indexes ?? []) {
    add(ix.partitionKey);
    if (ix.sortKey) add(ix.sortKey);
  }
  return {
    TableName: name,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType: AttributeType as "S" | "N" | "B",
    })),
    KeySchema: [
      { AttributeName: def.partitionKey.name, KeyType: "HASH" },
      ...(def.sortKey ? [{ AttributeName: def.sortKey.name, KeyType: "RANGE" as const }] : []),
    ],
    ...(def.indexes && def.indexes.length > 0
      ? {
          GlobalSecondaryIndexes: def.indexes.map((ix) => ({
            IndexName: ix.name,
            KeySchema: [
              { AttributeName: ix.partitionKey.name, KeyType: "HASH" as const },
              ...(ix.sortKey
                ? [{ AttributeName: ix.sortKey.name, KeyType: "RANGE" as const }]
                : []),
            ],
            Projection: { ProjectionType: "ALL" as const },
          })),
        }
      : {}),
    ...(def.stream
      ? { StreamSpecification: { StreamEnabled: true, StreamViewType: def.stream } }
      : {}),
  };
}

/**
 * Creates the tables from the one-source definitions, if they are missing (idempotent). For the
 * local stack, tests and `ledgerquest seed`; in AWS the CDK stacks create them from the same
 * definitions.
 */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  const pairs: [TableDefinition, string][] = [
    [ENTITY_TABLE, names.entityTable],
    [AUDIT_LOG, names.auditLog],
  ];
  for (const [def, name] of pairs) {
    try {
      await client.send(new CreateTableCommand(createTableInput(def, name)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) translate(error, "CreateTable", name);
    }
    await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: name });
    if (def.timeToLiveAttribute) {
      const described = await client.send(new DescribeTableCommand({ TableName: name }));
      if (described.Table?.TableStatus === "ACTIVE") {
        try {
          await client.send(
            new UpdateTimeToLiveCommand({
              TableName: name,
              TimeToLiveSpecification: { AttributeName: def.timeToLiveAttribute, Enabled: true },
            }),
          );
        } catch (error) {
          // Already enabled is fine; DynamoDB answers a repeat with a validation error.
          if ((error as { name?: string }).name !== "ValidationException")
            translate(error, "UpdateTimeToLive", name);
        }
      }
    }
  }
}
