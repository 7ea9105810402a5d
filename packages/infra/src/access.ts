/**
 * Who may do what to which items of the two tables: each intent a set of DynamoDB actions on the
 * items whose partition key starts with one of its prefixes (IAM's `dynamodb:LeadingKeys`). The
 * constructs' grant methods (game-tables.ts) grant exactly these; docs/deploy.md tabulates them.
 *
 * The prefixes come from the key functions the adapters build every key with (`entityKeys`,
 * `auditKeys` of the runtime's table definitions, `auditProjectionKeys` of the stream handler),
 * so a renamed key prefix renames its grant. DynamoDB Local ignores IAM, so nothing that runs
 * locally notices a missing grant: the test `iam-local-path.test.ts` records every request the
 * handlers send to DynamoDB Local and checks each against the synthesized policies instead.
 *
 * How IAM reads `dynamodb:LeadingKeys` (DynamoDB developer guide, "Using IAM policy conditions
 * for fine-grained access control" and "Using IAM with DynamoDB transactions"):
 * - it is the partition key value(s) of the request: of the item for GetItem, PutItem,
 *   UpdateItem, DeleteItem and ConditionCheckItem, of every key for BatchGetItem (each must
 *   match), of the key condition for Query; Scan has none,
 *   so Scan is granted apart, without a key condition (it reads every item by nature);
 * - a Query on a secondary index carries the index's partition key, so a grant on the index names
 *   the index's key values (`conns#<world>`, `worlds#active`);
 * - TransactWriteItems is authorized item by item, as the action of each item (a Put as
 *   PutItem, a ConditionCheck as ConditionCheckItem), each with its own key;
 * - `ForAllValues:StringLike` holds when every value matches one of the patterns. It would also
 *   hold for a request with no value at all, which these actions never are: each carries its key.
 */
import { auditProjectionKeys } from "@ledgerquest/aws";
import { auditKeys, type ENTITY_TABLE, entityKeys } from "@ledgerquest/runtime";

/** The item-level DynamoDB actions the adapters send (TransactWriteItems is authorized as these). */
export type ItemAction =
  | "dynamodb:GetItem"
  | "dynamodb:BatchGetItem"
  | "dynamodb:PutItem"
  | "dynamodb:UpdateItem"
  | "dynamodb:DeleteItem"
  | "dynamodb:ConditionCheckItem"
  | "dynamodb:Query";

/** The prefix of a key the key functions build: everything up to its first `#`, included. */
export function keyPrefix(key: string): string {
  const at = key.indexOf("#");
  if (at < 1) throw new RangeError(`key ${JSON.stringify(key)} has no prefix ending in #`);
  return key.slice(0, at + 1);
}

const sample = "w";

/** EntityTable's partition key (`entity_id`) prefixes. */
export const ENTITY_PREFIXES = {
  world: keyPrefix(entityKeys.world(sample)),
  player: keyPrefix(entityKeys.player(sample, sample)),
  account: keyPrefix(entityKeys.account(sample, sample)),
  connection: keyPrefix(entityKeys.connection(sample)),
  presence: keyPrefix(entityKeys.presence(sample, sample)),
  activeWorld: keyPrefix(entityKeys.activeWorld(sample)),
  chain: keyPrefix(auditProjectionKeys.chain(sample)),
  leaderboard: keyPrefix(auditProjectionKeys.leaderboard(sample)),
} as const;

/** The `byWorld` index's partition key (`world_key`) values. */
export const BY_WORLD_KEYS = {
  /** A world's connections: `conns#<world>`. */
  connections: `${keyPrefix(entityKeys.connectionsOf(sample))}*`,
  /** The active worlds, one partition: `worlds#active`. */
  activeWorlds: entityKeys.activeWorlds,
} as const;

/** AuditLog's partition key (`pk`) prefixes. */
export const AUDIT_PREFIXES = {
  journal: keyPrefix(auditKeys.journal(sample, 0).pk),
  batch: keyPrefix(auditKeys.batch(sample, 0).pk),
  /** Inbox shards: the commands and each shard's `~watermark` item. */
  inbox: keyPrefix(auditKeys.inbox(sample, 0)),
  commandId: keyPrefix(auditKeys.commandId(sample, sample, sample).pk),
} as const;

const any = (prefix: string) => `${prefix}*`;

/** One statement's worth: these actions on items whose partition key matches one of `keys`. */
export interface KeyRule {
  readonly actions: readonly ItemAction[];
  /** `dynamodb:LeadingKeys` patterns (IAM `StringLike`: `*` is any run of characters). */
  readonly keys: readonly string[];
}

export type TableName = "EntityTable" | "AuditLog";

/** A use case's access to one table (or one of its indexes): one or more rules. */
export interface KeyAccess {
  readonly table: TableName;
  readonly index?: (typeof ENTITY_TABLE.indexes)[number]["name"];
  readonly rules: readonly KeyRule[];
}

const E = ENTITY_PREFIXES;
const A = AUDIT_PREFIXES;

/** Every intent, by the name of the grant method that grants it (a table: entries alike). */
export const ACCESS = {
  // ─── EntityTable ─────────────────────────────────────────────────────────────────────────────
  /** Read world items (the state a batch starts from, a world to join or supervise). */
  readWorlds: {
    table: "EntityTable",
    rules: [{ actions: ["dynamodb:GetItem"], keys: [any(E.world)] }],
  },
  /** Commit a batch: replace the world item, conditioned on its version (the tick only). */
  commitWorlds: {
    table: "EntityTable",
    rules: [{ actions: ["dynamodb:PutItem"], keys: [any(E.world)] }],
  },
  /** Read the player and balance projections, one by one or in batches. */
  readProjections: {
    table: "EntityTable",
    rules: [
      {
        actions: ["dynamodb:GetItem", "dynamodb:BatchGetItem"],
        keys: [any(E.player), any(E.account)],
      },
    ],
  },
  /** Write the player and balance projections of a batch (monotonic by version). */
  writeProjections: {
    table: "EntityTable",
    rules: [{ actions: ["dynamodb:PutItem"], keys: [any(E.player), any(E.account)] }],
  },
  /**
   * Record a connection and count it against its player's connections in the world (the
   * presence item), forgetting recorded connections that are gone.
   */
  openConnections: {
    table: "EntityTable",
    rules: [
      { actions: ["dynamodb:GetItem", "dynamodb:PutItem"], keys: [any(E.connection)] },
      { actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], keys: [any(E.presence)] },
    ],
  },
  /** Forget a connection and free its player's place. */
  closeConnections: {
    table: "EntityTable",
    rules: [
      { actions: ["dynamodb:DeleteItem"], keys: [any(E.connection)] },
      { actions: ["dynamodb:UpdateItem"], keys: [any(E.presence)] },
    ],
  },
  /** Read a connection by id. */
  readConnections: {
    table: "EntityTable",
    rules: [{ actions: ["dynamodb:GetItem"], keys: [any(E.connection)] }],
  },
  /** Take a token of a connection's rate limit: a conditional update of the connection item. */
  rateLimits: {
    table: "EntityTable",
    rules: [{ actions: ["dynamodb:UpdateItem"], keys: [any(E.connection)] }],
  },
  /** A world's connections, through the `byWorld` index. */
  listConnections: {
    table: "EntityTable",
    index: "byWorld",
    rules: [{ actions: ["dynamodb:Query"], keys: [BY_WORLD_KEYS.connections] }],
  },
  /** The active worlds, through the `byWorld` index (the loop supervisor's sweep). */
  listActiveWorlds: {
    table: "EntityTable",
    index: "byWorld",
    rules: [{ actions: ["dynamodb:Query"], keys: [BY_WORLD_KEYS.activeWorlds] }],
  },
  /** The stream verifier's own items: each world's chain head and its gold leaderboard. */
  verifierState: {
    table: "EntityTable",
    rules: [
      { actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], keys: [any(E.chain)] },
      { actions: ["dynamodb:GetItem", "dynamodb:PutItem"], keys: [any(E.leaderboard)] },
    ],
  },

  // ─── AuditLog ────────────────────────────────────────────────────────────────────────────────
  /**
   * Append journal entries and batch records: conditional creates only. Nobody may update or
   * delete these items: the journal is append-only in IAM too.
   */
  append: {
    table: "AuditLog",
    rules: [{ actions: ["dynamodb:PutItem"], keys: [any(A.journal), any(A.batch)] }],
  },
  /** Read journal entries and batch records. */
  readJournal: {
    table: "AuditLog",
    rules: [
      { actions: ["dynamodb:GetItem", "dynamodb:Query"], keys: [any(A.journal), any(A.batch)] },
    ],
  },
  /**
   * Queue a command: a transaction of a check of the shard's watermark and two conditional
   * creates (the command and its id's record); the watermark read again when it rose.
   */
  submitCommands: {
    table: "AuditLog",
    rules: [
      { actions: ["dynamodb:PutItem"], keys: [any(A.inbox), any(A.commandId)] },
      { actions: ["dynamodb:ConditionCheckItem", "dynamodb:GetItem"], keys: [any(A.inbox)] },
    ],
  },
  /** Drain the inboxes: raise each shard's watermark, read it back, read the commands below it. */
  drainInbox: {
    table: "AuditLog",
    rules: [
      {
        actions: ["dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:Query"],
        keys: [any(A.inbox)],
      },
    ],
  },
  /** Read the commands of an inbox (a replay compares them with the journal). */
  readInbox: {
    table: "AuditLog",
    rules: [{ actions: ["dynamodb:Query"], keys: [any(A.inbox)] }],
  },
} as const satisfies Readonly<Record<string, KeyAccess>>;

export type AccessIntent = keyof typeof ACCESS;
