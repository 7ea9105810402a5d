/**
 * The entity state store port: the current state of worlds, players, connections and ledger
 * account balances (EntityTable in AWS). It holds what a reader wants *now*; history lives in the
 * journal port. Every write here is either conditional on a version or idempotent, because the
 * writers (Lambda, Step Functions) deliver at least once.
 */

import type { RateBucket, RateRule } from "../definitions/limits.js";

/** Where a world's state bytes live: inline in the world item, or in the blob store. */
export type StateRef =
  | { readonly kind: "inline"; readonly bytes: Uint8Array; readonly sha256: string }
  | {
      readonly kind: "blob";
      readonly key: string;
      readonly sha256: string;
      readonly bytesLength: number;
    };

/** A world as of its last committed batch. */
export interface WorldRecord {
  readonly worldId: string;
  /** The game's rules (`SimulationDefinition.name`), e.g. `arena@2`. */
  readonly rules: string;
  /** Hex fingerprint of the rules: a world never continues under other rules. */
  readonly fingerprint: string;
  /** Batches committed since creation; the commit protocol's compare-and-set counter. */
  readonly version: number;
  /** The tick the world will run next. */
  readonly tick: number;
  /** Simulation snapshot plus ledger checkpoint (see `WorldState`). */
  readonly state: StateRef;
  /**
   * The world's state at creation, kept in the blob store for good: `replay` re-runs the batch
   * records from it. Absent for worlds created before it was kept.
   */
  readonly genesis?: { readonly key: string; readonly sha256: string };
  /** Per inbox shard: the watermark (ms) up to which its commands have been applied. */
  readonly cursors: readonly number[];
  /** The ledger's head after the last commit: entries, chain head hash, Merkle root. */
  readonly ledger: { readonly count: number; readonly head: string; readonly root: string };
  /** State hash (hex SHA-256 of the snapshot) after the last committed tick. */
  readonly stateHash: string;
  /** Whether the game loop should keep running this world. */
  readonly active: boolean;
  /** The batch token of the last commit (who committed it; lets a retry recognise its own commit). */
  readonly lastBatchToken: string;
  readonly updatedAtMs: number;
  /**
   * Where the world's clock stands: tick `anchorTick` was due at `anchorMs`, and each tick after it
   * one tick period later. A loop paced to real time keeps it across laps, so the time between
   * laps is caught up rather than lost. Absent until a paced batch commits.
   */
  readonly pace?: { readonly anchorMs: number; readonly anchorTick: number };
}

/**
 * A world without its state: what a connect, a query or an operator needs to know of it. Its read
 * leaves the state bytes out (up to 300 KB inline in the world item: a connect of each of 200
 * players would otherwise read them 200 times).
 */
export type WorldHeader = Omit<WorldRecord, "state">;

/** A ledger account's balance as of a world version. */
export interface AccountBalance {
  readonly accountId: string;
  readonly owner: string;
  readonly unit: string;
  readonly debits: number;
  readonly credits: number;
  /** credits - debits. */
  readonly balance: number;
}

/** A player's profile as of a world version: what a HUD or a leaderboard reads. */
export interface PlayerRecord {
  readonly playerId: string;
  readonly worldId: string;
  readonly xp: number;
  readonly level: number;
  /** Balances by unit (`gold`, item ids, `xp`). */
  readonly balances: { readonly [unit: string]: number };
  /** Quest states by quest id (`active`, `completed`, ...), with progress where active. */
  readonly quests: {
    readonly [questId: string]: { readonly state: string; readonly progress?: number };
  };
}

export interface ConnectionRecord {
  readonly connectionId: string;
  readonly playerId: string;
  readonly worldId: string;
  /** The world's inbox shard count, so a command needs no read of the (large) world item. */
  readonly inboxShards: number;
  readonly connectedAtMs: number;
  /**
   * Whether the player is one of the world's players (has a profile in it) as of `$connect`. Any
   * signed-in player may watch a world; only its members may command it. Absent on connections
   * recorded before it was kept (ask the world).
   */
  readonly member?: boolean;
}

/**
 * How long a connection's record lives without a `$disconnect`: API Gateway closes a connection
 * after 2 hours at most, and its `$disconnect` may never come. Past it, the record expires (TTL)
 * and no longer counts against its player's connections.
 */
export const CONNECTION_LIFETIME_MS = 3 * 3600 * 1000;

/** The answer to `takeConnectionToken`. */
export type ConnectionToken =
  | {
      readonly ok: true;
      readonly connection: ConnectionRecord;
      /** Tokens taken: as many as asked for, or as the bucket held (at least one). */
      readonly tokens: number;
    }
  | {
      readonly ok: false;
      /** When the bucket has a token again. */
      readonly retryAfterMs: number;
      readonly connection: ConnectionRecord;
    };

export type CommitWorldResult = "committed" | "conflict";

/** What an operator's list of worlds shows of each. */
export interface WorldSummary {
  readonly worldId: string;
  readonly rules: string;
  readonly version: number;
  readonly tick: number;
  readonly active: boolean;
  readonly updatedAtMs: number;
}

/** The most worlds `listWorlds` returns. */
export const LIST_WORLDS_MAX = 1000;

/** The most world ids one page of `listActiveWorlds` holds. */
export const ACTIVE_WORLDS_PAGE_MAX = 1000;

export interface EntityStore {
  getWorld(worldId: string): Promise<WorldRecord | undefined>;
  /** The world as `getWorld` reads it (consistently), without its state. */
  getWorldHeader(worldId: string): Promise<WorldHeader | undefined>;
  /**
   * The world's ledger head after its last commit (read consistently, without its state): how
   * far the committed projections go. Undefined for a world that does not exist.
   */
  getLedgerHead(worldId: string): Promise<WorldRecord["ledger"] | undefined>;
  /** Creates a world at version 0; `exists` if it is already there (whatever its state). */
  createWorld(world: WorldRecord): Promise<"created" | "exists">;
  /**
   * The commit point: replaces the world with `next` if its version is still `expectedVersion`
   * and its `active` flag is still `next.active` (so a batch never undoes a (de)activation made
   * while it ran). `conflict` when another writer changed it first. `next.version` must be
   * `expectedVersion + 1`.
   */
  commitWorld(next: WorldRecord, expectedVersion: number): Promise<CommitWorldResult>;
  /**
   * Up to `limit` worlds (at most `LIST_WORLDS_MAX`), ordered by id: an operator's view. In
   * DynamoDB this scans EntityTable (the world items' small attributes only), so its cost grows
   * with the table; it is not for a player's path.
   */
  listWorlds(limit: number): Promise<readonly WorldSummary[]>;
  /** Sets `active` without touching anything else (activate / deactivate). */
  setWorldActive(worldId: string, active: boolean): Promise<void>;
  /**
   * A page of the ids of the active worlds, in id order, after `after` (exclusive): what the loop
   * supervisor sweeps. Cheap at any number of worlds (an index of the active ones, not a scan);
   * `next` is the `after` of the next page, absent on the last.
   */
  listActiveWorlds(
    after?: string,
  ): Promise<{ readonly worldIds: readonly string[]; readonly next?: string }>;

  /**
   * Writes balances and player profiles as of world version `version`. Idempotent and monotonic:
   * an item already written at a later version is left alone, so a late retry never rolls a
   * balance back.
   */
  putProjections(
    worldId: string,
    version: number,
    accounts: readonly AccountBalance[],
    players: readonly PlayerRecord[],
  ): Promise<void>;
  getAccount(
    worldId: string,
    accountId: string,
  ): Promise<(AccountBalance & { readonly version: number }) | undefined>;
  getPlayer(
    worldId: string,
    playerId: string,
  ): Promise<(PlayerRecord & { readonly version: number }) | undefined>;
  /**
   * `getAccount` for many ids at once, read consistently: the accounts found, by id (an id with
   * no account is absent; repeated ids are read once). A store reads them in as few round trips
   * as it can (DynamoDB: one per 100).
   */
  getAccounts(
    worldId: string,
    accountIds: readonly string[],
  ): Promise<ReadonlyMap<string, AccountBalance & { readonly version: number }>>;
  /** `getPlayer` for many ids at once, as `getAccounts`. */
  getPlayers(
    worldId: string,
    playerIds: readonly string[],
  ): Promise<ReadonlyMap<string, PlayerRecord & { readonly version: number }>>;

  /**
   * Records a connection unless its player has `maxPerPlayer` connections in that world already
   * (`full`; connections recorded but gone, or older than `CONNECTION_LIFETIME_MS` at this one's
   * `connectedAtMs`, are forgotten first). Counted atomically, so a burst of connections from one
   * player cannot slip past the bound.
   */
  putConnection(connection: ConnectionRecord, maxPerPlayer: number): Promise<"connected" | "full">;
  /** Removes a connection and frees its player's place; a no-op if it is gone already. */
  deleteConnection(connectionId: string): Promise<void>;
  /**
   * Takes one token of the connection's `bucket` (GCRA at `rule`, `gcra` in definitions/limits.ts)
   * and returns the connection; or says, without taking anything, when it will have one. Atomic
   * across callers, and one conditional write: it stands in for the read of the connection a
   * command or query makes anyway. `undefined`: there is no such connection.
   */
  takeConnectionToken(
    connectionId: string,
    bucket: RateBucket,
    rule: RateRule,
    nowMs: number,
    /**
     * Take up to this many tokens at once (default one): a process that expects more frames of
     * the connection takes a few in one write and hands them out itself (`admitFrame`).
     */
    tokens?: number,
  ): Promise<ConnectionToken | undefined>;
  getConnection(connectionId: string): Promise<ConnectionRecord | undefined>;
  /** The connections of a world (may lag a just-made connection by a moment in AWS: a GSI). */
  listConnections(worldId: string): Promise<readonly ConnectionRecord[]>;
}
