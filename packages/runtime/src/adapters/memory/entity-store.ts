import { gcra, type RateBucket, type RateRule } from "../../definitions/limits.js";
import {
  ACTIVE_WORLDS_PAGE_MAX,
  type AccountBalance,
  CONNECTION_LIFETIME_MS,
  type CommitWorldResult,
  type ConnectionRecord,
  type ConnectionToken,
  type EntityStore,
  LIST_WORLDS_MAX,
  type PlayerRecord,
  type WorldHeader,
  type WorldRecord,
  type WorldSummary,
} from "../../ports/entity-store.js";

/**
 * The entity store in memory: for unit tests of the use cases and for runs that need no
 * persistence. It keeps the port's semantics exactly (the same contract suite as DynamoDB's),
 * and copies records in and out so callers cannot change what is stored by accident.
 *
 * Alike: packages/aws/src/adapters/dynamodb-entity-store.ts, the same port (signatures, and getters
 * of one shape per record kind); the storage under them is what differs.
 */
export class MemoryEntityStore implements EntityStore {
  private readonly worlds = new Map<string, WorldRecord>();
  private readonly accounts = new Map<string, AccountBalance & { readonly version: number }>();
  private readonly players = new Map<string, PlayerRecord & { readonly version: number }>();
  private readonly connections = new Map<string, ConnectionRecord>();
  /** Each connection's buckets (theoretical arrival times, ms). */
  private readonly tats = new Map<string, Partial<Record<RateBucket, number>>>();

  async getWorld(worldId: string): Promise<WorldRecord | undefined> {
    const w = this.worlds.get(worldId);
    return w === undefined ? undefined : structuredClone(w);
  }

  async getWorldHeader(worldId: string): Promise<WorldHeader | undefined> {
    const w = this.worlds.get(worldId);
    if (w === undefined) return undefined;
    const { state: _state, ...header } = w;
    return structuredClone(header);
  }

  async getLedgerHead(worldId: string): Promise<WorldRecord["ledger"] | undefined> {
    const w = this.worlds.get(worldId);
    return w === undefined ? undefined : { ...w.ledger };
  }

  async listWorlds(limit: number): Promise<readonly WorldSummary[]> {
    return [...this.worlds.values()]
      .sort((a, b) => (a.worldId < b.worldId ? -1 : a.worldId > b.worldId ? 1 : 0))
      .slice(0, Math.max(0, Math.min(limit, LIST_WORLDS_MAX)))
      .map((w) => ({
        worldId: w.worldId,
        rules: w.rules,
        version: w.version,
        tick: w.tick,
        active: w.active,
        updatedAtMs: w.updatedAtMs,
      }));
  }

  async createWorld(world: WorldRecord): Promise<"created" | "exists"> {
    if (this.worlds.has(world.worldId)) return "exists";
    this.worlds.set(world.worldId, structuredClone(world));
    return "created";
  }

  async commitWorld(next: WorldRecord, expectedVersion: number): Promise<CommitWorldResult> {
    if (next.version !== expectedVersion + 1) {
      throw new RangeError(
        `commitWorld: next version ${next.version} is not ${expectedVersion} + 1`,
      );
    }
    const current = this.worlds.get(next.worldId);
    if (
      current === undefined ||
      current.version !== expectedVersion ||
      current.active !== next.active
    )
      return "conflict";
    this.worlds.set(next.worldId, structuredClone(next));
    return "committed";
  }

  async setWorldActive(worldId: string, active: boolean): Promise<void> {
    const current = this.worlds.get(worldId);
    if (current !== undefined) this.worlds.set(worldId, { ...current, active });
  }

  async listActiveWorlds(
    after?: string,
  ): Promise<{ readonly worldIds: readonly string[]; readonly next?: string }> {
    const ids = [...this.worlds.values()]
      .filter((w) => w.active && (after === undefined || w.worldId > after))
      .map((w) => w.worldId)
      .sort();
    const worldIds = ids.slice(0, ACTIVE_WORLDS_PAGE_MAX);
    const last = worldIds[worldIds.length - 1];
    return ids.length > ACTIVE_WORLDS_PAGE_MAX && last !== undefined
      ? { worldIds, next: last }
      : { worldIds };
  }

  async putProjections(
    worldId: string,
    version: number,
    accounts: readonly AccountBalance[],
    players: readonly PlayerRecord[],
  ): Promise<void> {
    for (const a of accounts) {
      const key = `${worldId}#${a.accountId}`;
      const held = this.accounts.get(key);
      if (held === undefined || held.version <= version)
        this.accounts.set(key, structuredClone({ ...a, version }));
    }
    for (const p of players) {
      const key = `${worldId}#${p.playerId}`;
      const held = this.players.get(key);
      if (held === undefined || held.version <= version)
        this.players.set(key, structuredClone({ ...p, version }));
    }
  }

  async getAccount(
    worldId: string,
    accountId: string,
  ): Promise<(AccountBalance & { readonly version: number }) | undefined> {
    const a = this.accounts.get(`${worldId}#${accountId}`);
    return a === undefined ? undefined : structuredClone(a);
  }

  async getPlayer(
    worldId: string,
    playerId: string,
  ): Promise<(PlayerRecord & { readonly version: number }) | undefined> {
    const p = this.players.get(`${worldId}#${playerId}`);
    return p === undefined ? undefined : structuredClone(p);
  }

  async getAccounts(
    worldId: string,
    accountIds: readonly string[],
  ): Promise<ReadonlyMap<string, AccountBalance & { readonly version: number }>> {
    return await found(accountIds, (id) => this.getAccount(worldId, id));
  }

  async getPlayers(
    worldId: string,
    playerIds: readonly string[],
  ): Promise<ReadonlyMap<string, PlayerRecord & { readonly version: number }>> {
    return await found(playerIds, (id) => this.getPlayer(worldId, id));
  }

  async putConnection(
    connection: ConnectionRecord,
    maxPerPlayer: number,
  ): Promise<"connected" | "full"> {
    const others = [...this.connections.values()].filter(
      (c) =>
        c.worldId === connection.worldId &&
        c.playerId === connection.playerId &&
        c.connectionId !== connection.connectionId &&
        c.connectedAtMs + CONNECTION_LIFETIME_MS > connection.connectedAtMs,
    );
    if (others.length >= maxPerPlayer) return "full";
    this.connections.set(connection.connectionId, { ...connection });
    return "connected";
  }

  async deleteConnection(connectionId: string): Promise<void> {
    this.connections.delete(connectionId);
    this.tats.delete(connectionId);
  }

  async getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    const c = this.connections.get(connectionId);
    return c === undefined ? undefined : { ...c };
  }

  async takeConnectionToken(
    connectionId: string,
    bucket: RateBucket,
    rule: RateRule,
    nowMs: number,
    tokens = 1,
  ): Promise<ConnectionToken | undefined> {
    const connection = this.connections.get(connectionId);
    if (connection === undefined) return undefined;
    const tats = this.tats.get(connectionId) ?? {};
    const outcome = gcra(tats[bucket], nowMs, rule, tokens);
    if (!outcome.allowed)
      return { ok: false, retryAfterMs: outcome.retryAfterMs, connection: { ...connection } };
    this.tats.set(connectionId, { ...tats, [bucket]: outcome.tatMs });
    return { ok: true, connection: { ...connection }, tokens: outcome.taken ?? 1 };
  }

  async listConnections(worldId: string): Promise<readonly ConnectionRecord[]> {
    return [...this.connections.values()]
      .filter((c) => c.worldId === worldId)
      .sort((a, b) => (a.connectionId < b.connectionId ? -1 : 1))
      .map((c) => ({ ...c }));
  }
}

/** What `read` finds of each id, by id (ids read once, the missing left out). */
async function found<T>(
  ids: readonly string[],
  read: (id: string) => Promise<T | undefined>,
): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (const id of new Set(ids)) {
    const record = await read(id);
    if (record !== undefined) out.set(id, record);
  }
  return out;
}
