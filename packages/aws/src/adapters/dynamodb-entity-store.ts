/**
 * The entity store port over DynamoDB (EntityTable). See docs/reference/data-model.md.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
  paginateScan,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import {
  ACTIVE_WORLDS_PAGE_MAX,
  type AccountBalance,
  CONNECTION_LIFETIME_MS,
  type CommitWorldResult,
  type ConnectionRecord,
  type ConnectionToken,
  CorruptRecordError,
  type EntityStore,
  entityKeys,
  gcra,
  LIST_WORLDS_MAX,
  type PlayerRecord,
  type RateBucket,
  type RateRule,
  type StateRef,
  type WorldHeader,
  type WorldRecord,
  type WorldSummary,
} from "@ledgerquest/runtime";
import {
  batchGetItems,
  cancellationCodes,
  getEntityItem,
  type TableNames,
  transactInChunks,
  translate,
} from "./dynamodb-common.js";

type Item = Record<string, unknown>;

function worldToItem(w: WorldRecord): Item {
  return {
    entity_id: entityKeys.world(w.worldId),
    type: "world",
    worldId: w.worldId,
    rules: w.rules,
    fingerprint: w.fingerprint,
    version: w.version,
    tick: w.tick,
    state:
      w.state.kind === "inline"
        ? { kind: "inline", bytes: w.state.bytes, sha256: w.state.sha256 }
        : {
            kind: "blob",
            key: w.state.key,
            sha256: w.state.sha256,
            bytesLength: w.state.bytesLength,
          },
    cursors: [...w.cursors],
    ledger: { ...w.ledger },
    stateHash: w.stateHash,
    active: w.active,
    lastBatchToken: w.lastBatchToken,
    updatedAtMs: w.updatedAtMs,
    ...(w.genesis === undefined
      ? {}
      : { genesis: { key: w.genesis.key, sha256: w.genesis.sha256 } }),
    ...(w.pace === undefined
      ? {}
      : { pace: { anchorMs: w.pace.anchorMs, anchorTick: w.pace.anchorTick } }),
  };
}

function str(item: Item, key: string, where: string): string {
  const v = item[key];
  if (typeof v !== "string") throw new CorruptRecordError(where, `${key} is not a string`);
  return v;
}

function num(item: Item, key: string, where: string): number {
  const v = item[key];
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new CorruptRecordError(where, `${key} is not a number`);
  return v;
}

/**
 * The world item's attributes but its state (`itemToWorld`'s, less `state`): what a header read
 * asks for.
 */
const WORLD_HEADER_ATTRIBUTES = [
  "entity_id",
  "worldId",
  "rules",
  "fingerprint",
  "version",
  "tick",
  "cursors",
  "ledger",
  "stateHash",
  "active",
  "lastBatchToken",
  "updatedAtMs",
  "genesis",
  "pace",
] as const;

function itemToWorldHeader(item: Item): WorldHeader {
  const where = String(item.entity_id);
  const ledger = item.ledger as Item | undefined;
  if (ledger === undefined || typeof ledger !== "object")
    throw new CorruptRecordError(where, "ledger is missing");
  const cursors = item.cursors;
  if (!Array.isArray(cursors) || !cursors.every((c) => typeof c === "number"))
    throw new CorruptRecordError(where, "cursors are not numbers");
  return {
    worldId: str(item, "worldId", where),
    rules: str(item, "rules", where),
    fingerprint: str(item, "fingerprint", where),
    version: num(item, "version", where),
    tick: num(item, "tick", where),
    cursors: cursors as number[],
    ledger: {
      count: num(ledger, "count", where),
      head: str(ledger, "head", where),
      root: str(ledger, "root", where),
    },
    stateHash: str(item, "stateHash", where),
    active: item.active === true,
    lastBatchToken: str(item, "lastBatchToken", where),
    updatedAtMs: num(item, "updatedAtMs", where),
    ...genesisOf(item, where),
    ...paceOf(item, where),
  };
}

function itemToWorld(item: Item): WorldRecord {
  const where = String(item.entity_id);
  const s = item.state as Item | undefined;
  if (s === undefined || typeof s !== "object")
    throw new CorruptRecordError(where, "state is missing");
  let state: StateRef;
  if (s.kind === "inline") {
    if (!(s.bytes instanceof Uint8Array))
      throw new CorruptRecordError(where, "state bytes are not binary");
    state = { kind: "inline", bytes: new Uint8Array(s.bytes), sha256: str(s, "sha256", where) };
  } else if (s.kind === "blob") {
    state = {
      kind: "blob",
      key: str(s, "key", where),
      sha256: str(s, "sha256", where),
      bytesLength: num(s, "bytesLength", where),
    };
  } else {
    throw new CorruptRecordError(where, "state kind is unknown");
  }
  return { ...itemToWorldHeader(item), state };
}

function paceOf(item: Item, where: string): Pick<WorldRecord, "pace"> {
  const p = item.pace as Item | undefined;
  if (p === undefined) return {};
  return { pace: { anchorMs: num(p, "anchorMs", where), anchorTick: num(p, "anchorTick", where) } };
}

function genesisOf(item: Item, where: string): Pick<WorldRecord, "genesis"> {
  const g = item.genesis as Item | undefined;
  if (g === undefined) return {};
  return { genesis: { key: str(g, "key", where), sha256: str(g, "sha256", where) } };
}

export interface DynamoDbEntityStoreOptions {
  readonly tables: Pick<TableNames, "entityTable">;
}

/** EntityTable: one item per world, player, account and connection, keyed by `entity_id`. */
export class DynamoDbEntityStore implements EntityStore {
  private readonly table: string;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    options: DynamoDbEntityStoreOptions,
  ) {
    this.table = options.tables.entityTable;
  }

  private async get(key: string): Promise<Item | undefined> {
    return getEntityItem(this.doc, this.table, key);
  }

  async getWorld(worldId: string): Promise<WorldRecord | undefined> {
    const item = await this.get(entityKeys.world(worldId));
    return item === undefined ? undefined : itemToWorld(item);
  }

  async getWorldHeader(worldId: string): Promise<WorldHeader | undefined> {
    const key = entityKeys.world(worldId);
    const item = await getEntityItem(this.doc, this.table, key, WORLD_HEADER_ATTRIBUTES);
    return item === undefined ? undefined : itemToWorldHeader(item);
  }

  async getLedgerHead(worldId: string): Promise<WorldRecord["ledger"] | undefined> {
    const key = entityKeys.world(worldId);
    const item = await getEntityItem(this.doc, this.table, key, ["ledger"]);
    if (item === undefined) return undefined;
    const ledger = item.ledger as Item | undefined;
    if (ledger === undefined || typeof ledger !== "object")
      throw new CorruptRecordError(key, "ledger is missing");
    return {
      count: num(ledger, "count", key),
      head: str(ledger, "head", key),
      root: str(ledger, "root", key),
    };
  }

  async listWorlds(limit: number): Promise<readonly WorldSummary[]> {
    const max = Math.max(0, Math.min(limit, LIST_WORLDS_MAX));
    const out: WorldSummary[] = [];
    // A scan reads every item (an operator's question, not a player's path); the projection
    // keeps the world items' state bytes out of the answer.
    const pages = paginateScan(
      { client: this.doc },
      {
        TableName: this.table,
        FilterExpression: "begins_with(entity_id, :w) AND #type = :t",
        ProjectionExpression: "worldId, #rules, version, tick, active, updatedAtMs",
        ExpressionAttributeNames: { "#type": "type", "#rules": "rules" },
        ExpressionAttributeValues: { ":w": entityKeys.world(""), ":t": "world" },
      },
    );
    const items: Item[] = [];
    try {
      for await (const page of pages) items.push(...(page.Items ?? []));
    } catch (error) {
      return translate(error, "Scan", "worlds");
    }
    for (const item of items) {
      const where = `world item of ${String(item.worldId)}`;
      out.push({
        worldId: str(item, "worldId", where),
        rules: str(item, "rules", where),
        version: num(item, "version", where),
        tick: num(item, "tick", where),
        active: item.active === true,
        updatedAtMs: num(item, "updatedAtMs", where),
      });
    }
    return out
      .sort((a, b) => (a.worldId < b.worldId ? -1 : a.worldId > b.worldId ? 1 : 0))
      .slice(0, max);
  }

  async createWorld(world: WorldRecord): Promise<"created" | "exists"> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: worldToItem(world),
                ConditionExpression: "attribute_not_exists(entity_id)",
              },
            },
            // The world and its entry in the index of active worlds appear together.
            ...(world.active ? [{ Put: this.#activeItem(world.worldId) }] : []),
          ],
        }),
      );
      return "created";
    } catch (error) {
      if (cancellationCodes(error)?.[0] === "ConditionalCheckFailed") return "exists";
      return translate(error, "TransactWriteItems", entityKeys.world(world.worldId));
    }
  }

  #activeItem(worldId: string) {
    return {
      TableName: this.table,
      Item: {
        entity_id: entityKeys.activeWorld(worldId),
        world_key: entityKeys.activeWorlds,
        type: "activeWorld",
        worldId,
      },
    };
  }

  async commitWorld(next: WorldRecord, expectedVersion: number): Promise<CommitWorldResult> {
    if (next.version !== expectedVersion + 1) {
      throw new RangeError(
        `commitWorld: next version ${next.version} is not ${expectedVersion} + 1`,
      );
    }
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: worldToItem(next),
          // The commit point: a compare-and-set on the version (and on `active`, so a batch never
          // undoes a deactivation made while it ran).
          ConditionExpression: "#v = :expected AND active = :active",
          ExpressionAttributeNames: { "#v": "version" },
          ExpressionAttributeValues: { ":expected": expectedVersion, ":active": next.active },
        }),
      );
      return "committed";
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return "conflict";
      return translate(error, "PutItem", entityKeys.world(next.worldId));
    }
  }

  async setWorldActive(worldId: string, active: boolean): Promise<void> {
    const indexKey = { entity_id: entityKeys.activeWorld(worldId) };
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.table,
                Key: { entity_id: entityKeys.world(worldId) },
                UpdateExpression: "SET active = :a",
                ConditionExpression: "attribute_exists(entity_id)",
                ExpressionAttributeValues: { ":a": active },
              },
            },
            active
              ? { Put: this.#activeItem(worldId) }
              : { Delete: { TableName: this.table, Key: indexKey } },
          ],
        }),
      );
    } catch (error) {
      // No such world: nothing to do.
      if (cancellationCodes(error)?.[0] === "ConditionalCheckFailed") return;
      translate(error, "TransactWriteItems", entityKeys.world(worldId));
    }
  }

  async listActiveWorlds(
    after?: string,
  ): Promise<{ readonly worldIds: readonly string[]; readonly next?: string }> {
    const items: Item[] = [];
    // Whether the index holds more past the items read (the next page's resumption is the
    // last world read: `entity_id > after`).
    let more = false;
    try {
      const pages = paginateQuery(
        { client: this.doc, pageSize: ACTIVE_WORLDS_PAGE_MAX },
        {
          TableName: this.table,
          IndexName: "byWorld",
          KeyConditionExpression:
            after === undefined ? "world_key = :k" : "world_key = :k AND entity_id > :after",
          ExpressionAttributeValues: {
            ":k": entityKeys.activeWorlds,
            ...(after === undefined ? {} : { ":after": entityKeys.activeWorld(after) }),
          },
        },
      );
      for await (const page of pages) {
        items.push(...(page.Items ?? []));
        more = page.LastEvaluatedKey !== undefined;
        if (items.length >= ACTIVE_WORLDS_PAGE_MAX) break;
      }
    } catch (error) {
      return translate(error, "Query", "active worlds");
    }
    if (items.length > ACTIVE_WORLDS_PAGE_MAX) more = true;
    const worldIds = items
      .slice(0, ACTIVE_WORLDS_PAGE_MAX)
      .map((item) => str(item, "worldId", String(item.entity_id)));
    const last = worldIds[worldIds.length - 1];
    return more && last !== undefined ? { worldIds, next: last } : { worldIds };
  }

  async putProjections(
    worldId: string,
    version: number,
    accounts: readonly AccountBalance[],
    players: readonly PlayerRecord[],
  ): Promise<void> {
    const put = (item: Item) => ({
      Put: {
        TableName: this.table,
        Item: { ...item, version },
        // Monotonic: the same version again is a retry (rewrites the same item), an older one is late.
        ConditionExpression: "attribute_not_exists(entity_id) OR #v <= :v",
        ExpressionAttributeNames: { "#v": "version" },
        ExpressionAttributeValues: { ":v": version },
      },
    });
    const items = [
      ...accounts.map((a) =>
        put({
          entity_id: entityKeys.account(worldId, a.accountId),
          type: "account",
          worldId,
          ...a,
        }),
      ),
      ...players.map((p) =>
        put({ entity_id: entityKeys.player(worldId, p.playerId), type: "player", ...p }),
      ),
    ];
    const failed = await transactInChunks(this.doc, items, `${worldId}|${version}`, "projections");
    if (failed === undefined) return;
    // A chunk met an item already at a later version: this writer is late. Write what is still
    // older one by one (the late items are left alone), so the projection stays monotonic.
    const chunk = items.slice(failed.offset);
    for (const item of chunk) {
      try {
        await this.doc.send(new PutCommand(item.Put));
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException))
          translate(error, "PutItem", "projection");
      }
    }
  }

  // Alike: the getters below (getPlayer, getAccounts, ...): one per record kind, each its key, a
  // read and that kind's parser.
  async getAccount(
    worldId: string,
    accountId: string,
  ): Promise<(AccountBalance & { readonly version: number }) | undefined> {
    const key = entityKeys.account(worldId, accountId);
    const item = await this.get(key);
    return item === undefined ? undefined : toAccount(item, key);
  }

  async getPlayer(
    worldId: string,
    playerId: string,
  ): Promise<(PlayerRecord & { readonly version: number }) | undefined> {
    const key = entityKeys.player(worldId, playerId);
    const item = await this.get(key);
    return item === undefined ? undefined : toPlayer(item, key);
  }

  async getAccounts(
    worldId: string,
    accountIds: readonly string[],
  ): Promise<ReadonlyMap<string, AccountBalance & { readonly version: number }>> {
    const keys = accountIds.map((id) => entityKeys.account(worldId, id));
    return await this.#getMany(keys, toAccount, (a) => a.accountId);
  }

  async getPlayers(
    worldId: string,
    playerIds: readonly string[],
  ): Promise<ReadonlyMap<string, PlayerRecord & { readonly version: number }>> {
    const keys = playerIds.map((id) => entityKeys.player(worldId, id));
    return await this.#getMany(keys, toPlayer, (p) => p.playerId);
  }

  /** The items of `keys` that exist, read in batches, as records by their own id. */
  async #getMany<T>(
    keys: readonly string[],
    toRecord: (item: Item, key: string) => T,
    idOf: (record: T) => string,
  ): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    for (const [key, item] of await batchGetItems(this.doc, this.table, "entity_id", keys)) {
      const record = toRecord(item, key);
      out.set(idOf(record), record);
    }
    return out;
  }

  async putConnection(c: ConnectionRecord, maxPerPlayer: number): Promise<"connected" | "full"> {
    if ((await this.#tryPutConnection(c, maxPerPlayer)) === "connected") return "connected";
    // Full: forget the player's connections that are no longer there (a $disconnect API Gateway
    // never sent, a connection that expired), then try once more.
    await this.#forgetStaleConnections(c.worldId, c.playerId, c.connectedAtMs);
    return await this.#tryPutConnection(c, maxPerPlayer);
  }

  async #tryPutConnection(c: ConnectionRecord, maxPerPlayer: number) {
    const key = entityKeys.connection(c.connectionId);
    // A connection API Gateway never reported closed still expires (2 h is its limit).
    const expiresAtS = Math.floor((c.connectedAtMs + CONNECTION_LIFETIME_MS) / 1000);
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              // The player's place in the world, counted with the connection in one transaction.
              Update: {
                TableName: this.table,
                Key: { entity_id: entityKeys.presence(c.worldId, c.playerId) },
                UpdateExpression: "ADD conns :c SET expires_at = :exp, #type = :type",
                ConditionExpression:
                  "attribute_not_exists(conns) OR size(conns) < :max OR contains(conns, :id)",
                ExpressionAttributeNames: { "#type": "type" },
                ExpressionAttributeValues: {
                  ":c": new Set([c.connectionId]),
                  ":id": c.connectionId,
                  ":max": maxPerPlayer,
                  ":exp": expiresAtS,
                  ":type": "presence",
                },
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: {
                  entity_id: key,
                  type: "connection",
                  world_key: entityKeys.connectionsOf(c.worldId),
                  ...c,
                  expires_at: expiresAtS,
                },
              },
            },
          ],
        }),
      );
      return "connected" as const;
    } catch (error) {
      if (cancellationCodes(error)?.[0] === "ConditionalCheckFailed") return "full" as const;
      return translate(error, "TransactWriteItems", key);
    }
  }

  /** `nowMs`: the new connection's time, on the caller's clock (what expiries are set by). */
  async #forgetStaleConnections(worldId: string, playerId: string, nowMs: number): Promise<void> {
    const key = entityKeys.presence(worldId, playerId);
    const item = await this.get(key);
    const held = item?.conns instanceof Set ? [...(item.conns as Set<unknown>)].map(String) : [];
    const stale: string[] = [];
    // Gone, or past its expiry: TTL deletes expired items lazily (up to days later).
    const nowS = nowMs / 1000;
    for (const id of held) {
      const connection = await this.get(entityKeys.connection(id));
      const expiresAtS = connection?.expires_at;
      if (connection === undefined || (typeof expiresAtS === "number" && expiresAtS < nowS))
        stale.push(id);
    }
    if (stale.length === 0) return;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { entity_id: key },
          UpdateExpression: "DELETE conns :stale",
          ExpressionAttributeValues: { ":stale": new Set(stale) },
        }),
      );
    } catch (error) {
      translate(error, "UpdateItem", key);
    }
  }

  async deleteConnection(connectionId: string): Promise<void> {
    const key = entityKeys.connection(connectionId);
    let old: Item | undefined;
    try {
      old = (
        await this.doc.send(
          new DeleteCommand({
            TableName: this.table,
            Key: { entity_id: key },
            ReturnValues: "ALL_OLD",
          }),
        )
      ).Attributes;
    } catch (error) {
      translate(error, "DeleteItem", key);
    }
    if (old === undefined) return;
    const { worldId, playerId } = toConnection(old);
    const presence = entityKeys.presence(worldId, playerId);
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { entity_id: presence },
          UpdateExpression: "DELETE conns :c",
          ConditionExpression: "attribute_exists(entity_id)",
          ExpressionAttributeValues: { ":c": new Set([connectionId]) },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      translate(error, "UpdateItem", presence);
    }
  }

  async takeConnectionToken(
    connectionId: string,
    bucket: RateBucket,
    rule: RateRule,
    nowMs: number,
    tokens = 1,
  ): Promise<ConnectionToken | undefined> {
    const key = { entity_id: entityKeys.connection(connectionId) };
    const attribute = TAT_ATTRIBUTES[bucket];
    const intervalMs = 1000 / rule.perSecond;
    // Two writes cover every case without a compare-and-set: a bucket at rest is set `n`
    // intervals from now; a busy one moves `n` intervals on, relative to whatever it holds when
    // the write lands, so frames racing for it each get their tokens while there are tokens.
    const atRest = (n: number) => ({
      UpdateExpression: "SET #t = :tat",
      ConditionExpression:
        "attribute_exists(entity_id) AND (attribute_not_exists(#t) OR #t <= :now)",
      ExpressionAttributeValues: { ":tat": nowMs + n * intervalMs, ":now": nowMs },
    });
    const busy = (n: number) => ({
      UpdateExpression: "SET #t = #t + :interval",
      ConditionExpression: "#t > :now AND #t <= :last",
      ExpressionAttributeValues: {
        ":interval": n * intervalMs,
        ":now": nowMs,
        // The latest time a bucket may hold and still have `n` tokens: `gcra`'s rule.
        ":last": nowMs + intervalMs * (rule.burst - n),
      },
    });
    let wanted = Math.max(1, Math.min(Math.floor(tokens), rule.burst));
    let write: ReturnType<typeof atRest> | ReturnType<typeof busy> = atRest(wanted);
    for (let attempt = 0; attempt < TOKEN_WRITES_MAX; attempt++) {
      try {
        const got = await this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: key,
            ...write,
            ExpressionAttributeNames: { "#t": attribute },
            ReturnValues: "ALL_NEW",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
        return { ok: true, connection: toConnection(got.Attributes ?? {}), tokens: wanted };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException))
          return translate(error, "UpdateItem", key.entity_id);
        if (error.Item === undefined) return undefined; // no such connection
        const old = unmarshall(error.Item);
        const connection = toConnection(old);
        const tat = typeof old[attribute] === "number" ? (old[attribute] as number) : undefined;
        const outcome = gcra(tat, nowMs, rule, wanted);
        if (!outcome.allowed) return { ok: false, retryAfterMs: outcome.retryAfterMs, connection };
        // Tokens are there (maybe fewer than wanted): take those, as the bucket now stands.
        wanted = outcome.taken ?? 1;
        write = tat !== undefined && tat > nowMs ? busy(wanted) : atRest(wanted);
      }
    }
    // The bucket went from busy to rest and back between our writes: a rare race, answered as
    // a full bucket for one interval rather than with more writes.
    const connection = await this.getConnection(connectionId);
    if (connection === undefined) return undefined;
    return { ok: false, retryAfterMs: Math.ceil(intervalMs), connection };
  }

  async getConnection(connectionId: string): Promise<ConnectionRecord | undefined> {
    const key = entityKeys.connection(connectionId);
    const item = await this.get(key);
    return item === undefined ? undefined : toConnection(item);
  }

  async listConnections(worldId: string): Promise<readonly ConnectionRecord[]> {
    const out: ConnectionRecord[] = [];
    try {
      const pages = paginateQuery(
        { client: this.doc },
        {
          TableName: this.table,
          IndexName: "byWorld",
          KeyConditionExpression: "world_key = :w",
          ExpressionAttributeValues: { ":w": entityKeys.connectionsOf(worldId) },
        },
      );
      for await (const page of pages)
        for (const item of page.Items ?? []) out.push(toConnection(item));
    } catch (error) {
      return translate(error, "Query", `connections of ${worldId}`);
    }
    return out;
  }
}

function toAccount(item: Item, key: string): AccountBalance & { readonly version: number } {
  return {
    accountId: str(item, "accountId", key),
    owner: str(item, "owner", key),
    unit: str(item, "unit", key),
    debits: num(item, "debits", key),
    credits: num(item, "credits", key),
    balance: num(item, "balance", key),
    version: num(item, "version", key),
  };
}

function toPlayer(item: Item, key: string): PlayerRecord & { readonly version: number } {
  return {
    playerId: str(item, "playerId", key),
    worldId: str(item, "worldId", key),
    xp: num(item, "xp", key),
    level: num(item, "level", key),
    balances: (item.balances ?? {}) as PlayerRecord["balances"],
    quests: (item.quests ?? {}) as PlayerRecord["quests"],
    version: num(item, "version", key),
  };
}

function toConnection(item: Item): ConnectionRecord {
  const key = String(item.entity_id);
  return {
    connectionId: str(item, "connectionId", key),
    playerId: str(item, "playerId", key),
    worldId: str(item, "worldId", key),
    inboxShards: num(item, "inboxShards", key),
    connectedAtMs: num(item, "connectedAtMs", key),
    // Connections recorded before membership was kept carry none: the runtime asks the world.
    ...(typeof item.member === "boolean" ? { member: item.member } : {}),
  };
}

/** Where each bucket's theoretical arrival time lives on the connection item. */
const TAT_ATTRIBUTES: Readonly<Record<RateBucket, string>> = {
  commands: "cmd_tat",
  queries: "qry_tat",
  verifies: "vfy_tat",
};

/** Writes one token may take: at rest, then busy, then at rest again (see takeConnectionToken). */
const TOKEN_WRITES_MAX = 3;
