/**
 * The one source of the tables' key schemas: the CDK stacks and the local stack both create the
 * tables from these, and the adapters build every key with the functions below, so a key's shape
 * is written down once. See docs/reference/data-model.md for what each item holds and why the
 * keys are shaped as they are.
 */

export type AttributeType = "S" | "N" | "B";

export interface KeyAttribute {
  readonly name: string;
  readonly type: AttributeType;
}

export interface TableDefinition {
  /** The logical name (the CDK construct id, and the table's name in the local stack). */
  readonly logicalName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** The stream view the table publishes, if any. */
  readonly stream?: "NEW_IMAGE" | "NEW_AND_OLD_IMAGES";
  /** The attribute DynamoDB's TTL deletes items by (epoch seconds), if any. */
  readonly timeToLiveAttribute?: string;
  /** Global secondary indexes (all project every attribute). */
  readonly indexes?: readonly {
    readonly name: string;
    readonly partitionKey: KeyAttribute;
    readonly sortKey?: KeyAttribute;
  }[];
}

/** Players, worlds, connections and account balances: the state a reader wants now. */
export const ENTITY_TABLE = {
  logicalName: "EntityTable",
  partitionKey: { name: "entity_id", type: "S" },
  timeToLiveAttribute: "expires_at",
  // Sparse: only connection items carry `world_key`, so the index holds a world's connections.
  indexes: [
    {
      name: "byWorld",
      partitionKey: { name: "world_key", type: "S" },
      sortKey: { name: "entity_id", type: "S" },
    },
  ],
} as const satisfies TableDefinition;

/** The append-only record: ledger journal, per-batch tick records and command inboxes. */
export const AUDIT_LOG = {
  logicalName: "AuditLog",
  partitionKey: { name: "pk", type: "S" },
  sortKey: { name: "sk", type: "S" },
  stream: "NEW_IMAGE",
  timeToLiveAttribute: "expires_at",
} as const satisfies TableDefinition;

export const TABLES: readonly TableDefinition[] = [ENTITY_TABLE, AUDIT_LOG];

// ─── keys ──────────────────────────────────────────────────────────────────────────────────────
// Ids are validated before they reach a key (`ID_PATTERN`), so `#` can separate key parts.

/** What a world, player, account or command id may contain: nothing that can break a key apart. */
export const ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** Journal entries per journal partition: 10,000 entries (about 10 MB) keep a partition small. */
export const JOURNAL_ENTRIES_PER_PARTITION = 10_000;

/** Width of zero-padded numbers in sort keys, so that string order is numeric order. */
const PAD = 15;

export function pad(n: number): string {
  return String(n).padStart(PAD, "0");
}

export const entityKeys = {
  world: (worldId: string) => `world#${worldId}`,
  /** A player's profile in one world. */
  player: (worldId: string, playerId: string) => `player#${worldId}#${playerId}`,
  connection: (connectionId: string) => `conn#${connectionId}`,
  /** A ledger account's balance as of the world's last commit. */
  account: (worldId: string, accountId: string) => `acct#${worldId}#${accountId}`,
  /** A player's open connections in one world (`conns`, a string set): what caps them. */
  presence: (worldId: string, playerId: string) => `presence#${worldId}#${playerId}`,
  /** The `byWorld` index key shared by a world's connections. */
  connectionsOf: (worldId: string) => `conns#${worldId}`,
  /** A small item that exists while a world is active: the loop supervisor's index of worlds. */
  activeWorld: (worldId: string) => `active#${worldId}`,
  /** The `byWorld` index key shared by the active-world items. */
  activeWorlds: "worlds#active",
} as const;

export const auditKeys = {
  /** Journal entry `seq` of a world's ledger. */
  journal: (worldId: string, seq: number) => ({
    pk: `journal#${worldId}#${Math.floor(seq / JOURNAL_ENTRIES_PER_PARTITION)}`,
    sk: pad(seq),
  }),
  /** The record of the batch that takes a world from `version - 1` to `version`. */
  batch: (worldId: string, version: number) => ({ pk: `batch#${worldId}`, sk: pad(version) }),
  /** A command in one of a world's inbox shards, ordered by its arrival time. */
  inbox: (worldId: string, shard: number) => `inbox#${worldId}#${shard}`,
  /** An inbox shard's watermark: commands at or below it are closed to new writes. */
  watermark: (worldId: string, shard: number) => ({
    pk: `inbox#${worldId}#${shard}`,
    sk: "~watermark",
  }),
  /** The record that a player's command id was used (idempotency), expiring with TTL. */
  commandId: (worldId: string, playerId: string, commandId: string) => ({
    pk: `cmdid#${worldId}#${playerId}`,
    sk: commandId,
  }),
} as const;

/**
 * The inbox shard a player's commands go to: FNV-1a of the player id, so one player's commands
 * stay in order in one shard while players spread over all of them.
 */
export function inboxShardOf(playerId: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < playerId.length; i++) {
    h ^= playerId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shards;
}
