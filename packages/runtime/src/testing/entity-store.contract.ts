/**
 * The contract of the entity store port: every adapter (memory, DynamoDB) passes this suite.
 */
import { describe, expect, it } from "vitest";
import {
  ACTIVE_WORLDS_PAGE_MAX,
  type EntityStore,
  LIST_WORLDS_MAX,
  type PlayerRecord,
  type WorldRecord,
} from "../ports/entity-store.js";

export interface EntityStoreHarness {
  readonly store: EntityStore;
  readonly cleanup?: () => Promise<void>;
}

let unique = 0;
/** World ids unique within a run, so adapters sharing a table do not see each other's items. */
export function uniqueId(prefix: string): string {
  unique++;
  return `${prefix}-${process.pid}-${unique}-${Math.floor(Math.random() * 1e9)}`;
}

export function sampleWorld(worldId: string, overrides: Partial<WorldRecord> = {}): WorldRecord {
  return {
    worldId,
    rules: "arena@2",
    fingerprint: "ab".repeat(32),
    version: 0,
    tick: 0,
    state: { kind: "inline", bytes: new Uint8Array([1, 2, 3, 250]), sha256: "cd".repeat(32) },
    cursors: [1000, 1000],
    ledger: { count: 0, head: "0".repeat(64), root: "e3".repeat(32) },
    stateHash: "01".repeat(32),
    active: true,
    lastBatchToken: "",
    updatedAtMs: 1000,
    genesis: { key: `worlds/${worldId}/genesis/${"9a".repeat(32)}`, sha256: "9a".repeat(32) },
    ...overrides,
  };
}

const player = (playerId: string, worldId: string, gold: number): PlayerRecord => ({
  playerId,
  worldId,
  xp: gold * 2,
  level: 1,
  balances: { gold, xp: gold * 2 },
  quests: { first_steps: { state: "active", progress: 3 }, pilgrim: { state: "completed" } },
});

export function describeEntityStoreContract(
  name: string,
  setup: () => Promise<EntityStoreHarness>,
): void {
  describe(`EntityStore contract: ${name}`, () => {
    it("creates a world once and reads it back byte-exact", async () => {
      const { store, cleanup } = await setup();
      const id = uniqueId("w");
      const world = sampleWorld(id);
      expect(await store.getWorld(id)).toBeUndefined();
      expect(await store.createWorld(world)).toBe("created");
      expect(await store.createWorld(sampleWorld(id, { tick: 99 }))).toBe("exists");
      const read = await store.getWorld(id);
      expect(read).toEqual(world);
      expect(read?.state.kind === "inline" && read.state.bytes).toBeInstanceOf(Uint8Array);
      await cleanup?.();
    });

    it("lists worlds by id with their version and tick, and nothing else", async () => {
      const { store, cleanup } = await setup();
      const prefix = uniqueId("list");
      const a = sampleWorld(`${prefix}-a`, { tick: 7 });
      const b = sampleWorld(`${prefix}-b`, { active: false });
      await store.createWorld(b);
      await store.createWorld(a);
      await store.commitWorld({ ...a, version: 1, tick: 67, updatedAtMs: 2000 }, 0);
      await store.putProjections(a.worldId, 1, [], [player("player_0001", a.worldId, 5)]);
      const mine = (await store.listWorlds(LIST_WORLDS_MAX)).filter((w) =>
        w.worldId.startsWith(prefix),
      );
      expect(mine).toEqual([
        {
          worldId: a.worldId,
          rules: "arena@2",
          version: 1,
          tick: 67,
          active: true,
          updatedAtMs: 2000,
        },
        {
          worldId: b.worldId,
          rules: "arena@2",
          version: 0,
          tick: 0,
          active: false,
          updatedAtMs: 1000,
        },
      ]);
      expect(await store.listWorlds(0)).toEqual([]);
      expect((await store.listWorlds(1)).length).toBe(1);
      await cleanup?.();
    });

    it("tells a world's ledger head as of its last commit, without its state", async () => {
      const { store, cleanup } = await setup();
      const id = uniqueId("w");
      expect(await store.getLedgerHead(id)).toBeUndefined();
      const world = sampleWorld(id);
      await store.createWorld(world);
      expect(await store.getLedgerHead(id)).toEqual(world.ledger);
      const next = sampleWorld(id, { version: 1, tick: 600 });
      const moved = { ...next, ledger: { ...next.ledger, count: next.ledger.count + 3 } };
      expect(await store.commitWorld(moved, 0)).toBe("committed");
      expect(await store.getLedgerHead(id)).toEqual(moved.ledger);
      await cleanup?.();
    });

    it("reads a world's header: every field of the world but its state, as of its last commit", async () => {
      const { store, cleanup } = await setup();
      const id = uniqueId("w");
      expect(await store.getWorldHeader(id)).toBeUndefined();
      const world = sampleWorld(id, {
        state: { kind: "inline", bytes: new Uint8Array(50_000).fill(7), sha256: "cd".repeat(32) },
      });
      await store.createWorld(world);
      const { state: _created, ...createdHeader } = world;
      const header = await store.getWorldHeader(id);
      expect(header).toEqual(createdHeader);
      expect(header !== undefined && "state" in header).toBe(false);
      // After a commit, with the fields a paced batch adds and a blob for its state.
      const next: WorldRecord = {
        ...world,
        version: 1,
        tick: 120,
        cursors: [2000, 2500],
        state: {
          kind: "blob",
          key: `worlds/${id}/state/x`,
          sha256: "ef".repeat(32),
          bytesLength: 9,
        },
        pace: { anchorMs: 5000, anchorTick: 60 },
        lastBatchToken: "loop#1",
        updatedAtMs: 3000,
      };
      expect(await store.commitWorld(next, 0)).toBe("committed");
      const { state: _committed, ...committedHeader } = next;
      expect(await store.getWorldHeader(id)).toEqual(committedHeader);
      await cleanup?.();
    });

    it("holds a blob reference as well as inline bytes", async () => {
      const { store, cleanup } = await setup();
      const id = uniqueId("w");
      const world = sampleWorld(id, {
        state: {
          kind: "blob",
          key: `worlds/${id}/state/${"ef".repeat(32)}`,
          sha256: "ef".repeat(32),
          bytesLength: 512_000,
        },
      });
      await store.createWorld(world);
      expect(await store.getWorld(id)).toEqual(world);
      await cleanup?.();
    });

    it("commits only on the expected version: one of two rivals wins", async () => {
      const { store, cleanup } = await setup();
      const id = uniqueId("w");
      await store.createWorld(sampleWorld(id));
      const a = sampleWorld(id, { version: 1, tick: 600, lastBatchToken: "a" });
      const b = sampleWorld(id, { version: 1, tick: 600, lastBatchToken: "b" });
      const results = await Promise.all([store.commitWorld(a, 0), store.commitWorld(b, 0)]);
      expect([...results].sort()).toEqual(["committed", "conflict"]);
      const winner = results[0] === "committed" ? a : b;
      expect(await store.getWorld(id)).toEqual(winner);
      expect(await store.commitWorld(sampleWorld(id, { version: 1 }), 0)).toBe("conflict");
      expect(await store.commitWorld(sampleWorld(id, { version: 2, tick: 1200 }), 1)).toBe(
        "committed",
      );
      expect((await store.getWorld(id))?.version).toBe(2);
      await cleanup?.();
    });

    it("a commit of a world that does not exist is a conflict, not a creation", async () => {
      const { store, cleanup } = await setup();
      const id = uniqueId("w");
      expect(await store.commitWorld(sampleWorld(id, { version: 1 }), 0)).toBe("conflict");
      expect(await store.getWorld(id)).toBeUndefined();
      await cleanup?.();
    });

    it("activates and deactivates a world without touching the rest", async () => {
      const { store, cleanup } = await setup();
      const id = uniqueId("w");
      const world = sampleWorld(id);
      await store.createWorld(world);
      await store.setWorldActive(id, false);
      expect(await store.getWorld(id)).toEqual({ ...world, active: false });
      await store.setWorldActive(id, true);
      expect(await store.getWorld(id)).toEqual(world);
      await cleanup?.();
    });

    it("keeps an index of the active worlds that follows creation and (de)activation", async () => {
      const { store, cleanup } = await setup();
      const prefix = uniqueId("act");
      const mine = async () => {
        const ids: string[] = [];
        let after: string | undefined;
        do {
          const page = await store.listActiveWorlds(after);
          ids.push(...page.worldIds.filter((id) => id.startsWith(prefix)));
          after = page.next;
        } while (after !== undefined);
        return ids;
      };
      await store.createWorld(sampleWorld(`${prefix}-c`));
      await store.createWorld(sampleWorld(`${prefix}-a`));
      await store.createWorld(sampleWorld(`${prefix}-b`, { active: false }));
      expect(await mine()).toEqual([`${prefix}-a`, `${prefix}-c`]);
      await store.setWorldActive(`${prefix}-a`, false);
      await store.setWorldActive(`${prefix}-b`, true);
      expect(await mine()).toEqual([`${prefix}-b`, `${prefix}-c`]);
      // A world that does not exist is not made active by being named.
      await store.setWorldActive(`${prefix}-zz`, true);
      expect(await mine()).toEqual([`${prefix}-b`, `${prefix}-c`]);
      // Pages continue after the id they are given.
      const after = await store.listActiveWorlds(`${prefix}-b`);
      expect(after.worldIds).toContain(`${prefix}-c`);
      expect(after.worldIds).not.toContain(`${prefix}-b`);
      await cleanup?.();
    });

    it("pages the active worlds at most ACTIVE_WORLDS_PAGE_MAX at a time, every one once", async () => {
      const { store, cleanup } = await setup();
      const prefix = uniqueId("many");
      const ids = Array.from(
        { length: ACTIVE_WORLDS_PAGE_MAX + 5 },
        (_, i) => `${prefix}-${String(i).padStart(5, "0")}`,
      );
      for (let i = 0; i < ids.length; i += 50) {
        await Promise.all(ids.slice(i, i + 50).map((id) => store.createWorld(sampleWorld(id))));
      }
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await store.listActiveWorlds(after);
        expect(page.worldIds.length).toBeLessThanOrEqual(ACTIVE_WORLDS_PAGE_MAX);
        seen.push(...page.worldIds.filter((id) => id.startsWith(prefix)));
        after = page.next;
        pages++;
      } while (after !== undefined && pages < 100);
      expect(pages).toBeGreaterThanOrEqual(2);
      expect(seen).toEqual(ids);
      await cleanup?.();
    });

    it("a commit never undoes a deactivation made while the batch ran", async () => {
      const { store, cleanup } = await setup();
      const id = uniqueId("w");
      await store.createWorld(sampleWorld(id));
      await store.setWorldActive(id, false);
      // The batch loaded the world while it was active.
      expect(await store.commitWorld(sampleWorld(id, { version: 1, active: true }), 0)).toBe(
        "conflict",
      );
      expect(await store.getWorld(id)).toMatchObject({ version: 0, active: false });
      expect(await store.commitWorld(sampleWorld(id, { version: 1, active: false }), 0)).toBe(
        "committed",
      );
      await cleanup?.();
    });

    it("projections are monotonic by version: a late retry never rolls a balance back", async () => {
      const { store, cleanup } = await setup();
      const id = uniqueId("w");
      const account = (balance: number) => ({
        accountId: "player_0001:gold",
        owner: "player_0001",
        unit: "gold",
        debits: 0,
        credits: balance,
        balance,
      });
      await store.putProjections(id, 3, [account(30)], [player("player_0001", id, 30)]);
      expect(await store.getAccount(id, "player_0001:gold")).toEqual({
        ...account(30),
        version: 3,
      });
      expect(await store.getPlayer(id, "player_0001")).toEqual({
        ...player("player_0001", id, 30),
        version: 3,
      });
      await store.putProjections(id, 3, [account(30)], [player("player_0001", id, 30)]); // retry
      await store.putProjections(id, 2, [account(20)], [player("player_0001", id, 20)]); // late
      expect((await store.getAccount(id, "player_0001:gold"))?.balance).toBe(30);
      expect((await store.getPlayer(id, "player_0001"))?.balances.gold).toBe(30);
      await store.putProjections(id, 4, [account(45)], []);
      expect(await store.getAccount(id, "player_0001:gold")).toEqual({
        ...account(45),
        version: 4,
      });
      expect(await store.getAccount(id, "nobody:gold")).toBeUndefined();
      expect(await store.getPlayer(id, "nobody")).toBeUndefined();
      await cleanup?.();
    });

    it("writes many projections at once (more than one transaction's worth)", async () => {
      const { store, cleanup } = await setup();
      const id = uniqueId("w");
      const players = Array.from({ length: 130 }, (_, i) => player(`p${i}`, id, i));
      await store.putProjections(id, 1, [], players);
      expect((await store.getPlayer(id, "p129"))?.balances.gold).toBe(129);
      expect((await store.getPlayer(id, "p0"))?.version).toBe(1);
      await cleanup?.();
    });

    it("a late writer of many projections leaves the newer ones, whichever part of the write met them", async () => {
      const { store, cleanup } = await setup();
      const id = uniqueId("w");
      const players = (version: number) =>
        Array.from({ length: 250 }, (_, i) => player(`p${i}`, id, version * 1000 + i));
      await store.putProjections(id, 1, [], players(1));
      // Newer already, in what a DynamoDB write sends in its first, second and third hundred.
      const newer = [players(5)[3], players(5)[150], players(5)[249]].filter(
        (p) => p !== undefined,
      );
      await store.putProjections(id, 5, [], newer);
      await store.putProjections(id, 4, [], players(4));
      const got = await store.getPlayers(
        id,
        players(4).map((p) => p.playerId),
      );
      for (const [i, p] of players(4).entries()) {
        const kept = i === 3 || i === 150 || i === 249;
        expect(got.get(p.playerId)?.version, p.playerId).toBe(kept ? 5 : 4);
        expect(got.get(p.playerId)?.balances.gold, p.playerId).toBe((kept ? 5000 : 4000) + i);
      }
      await cleanup?.();
    });

    it("reads many accounts and players at once: those found, each as its single read gives it", async () => {
      const { store, cleanup } = await setup();
      const id = uniqueId("w");
      const players = Array.from({ length: 130 }, (_, i) => player(`p${i}`, id, i));
      const accounts = players.map((p, i) => ({
        accountId: `${p.playerId}:gold`,
        owner: p.playerId,
        unit: "gold",
        debits: 0,
        credits: i,
        balance: i,
      }));
      await store.putProjections(id, 2, accounts, players);
      // More than one call's worth (DynamoDB: 100 keys), with ids repeated and ids of nothing.
      const wanted = [...players.map((p) => p.playerId), "p7", "nobody", "p0"];
      const got = await store.getPlayers(id, wanted);
      expect(got.size).toBe(130);
      expect(got.get("nobody")).toBeUndefined();
      expect(got.get("p129")).toEqual(await store.getPlayer(id, "p129"));
      expect(got.get("p0")).toEqual({ ...player("p0", id, 0), version: 2 });
      const gotAccounts = await store.getAccounts(id, [
        ...accounts.map((a) => a.accountId),
        "nobody:gold",
      ]);
      expect(gotAccounts.size).toBe(130);
      expect(gotAccounts.get("p42:gold")).toEqual({ ...accounts[42], version: 2 });
      // Another world's ids are not read.
      expect((await store.getPlayers(uniqueId("w"), ["p1"])).size).toBe(0);
      expect((await store.getAccounts(id, [])).size).toBe(0);
      await cleanup?.();
    });

    it("keeps connections per world", async () => {
      const { store, cleanup } = await setup();
      const w1 = uniqueId("w");
      const w2 = uniqueId("w");
      const c = (connectionId: string, worldId: string) => ({
        connectionId,
        worldId,
        playerId: `player_${connectionId}`,
        inboxShards: 4,
        connectedAtMs: 5,
        member: true,
      });
      const a = uniqueId("c");
      const b = uniqueId("c");
      const d = uniqueId("c");
      await store.putConnection(c(a, w1), 4);
      await store.putConnection(c(b, w1), 4);
      await store.putConnection(c(d, w2), 4);
      expect(await store.getConnection(a)).toEqual(c(a, w1));
      const listed = await eventually(async () => {
        const l = await store.listConnections(w1);
        return l.length === 2 ? l : undefined;
      });
      expect(listed.map((x) => x.connectionId).sort()).toEqual([a, b].sort());
      await store.deleteConnection(a);
      await store.deleteConnection(a); // gone already: a no-op
      expect(await store.getConnection(a)).toBeUndefined();
      const after = await eventually(async () => {
        const l = await store.listConnections(w1);
        return l.length === 1 ? l : undefined;
      });
      expect(after.map((x) => x.connectionId)).toEqual([b]);
      await cleanup?.();
    });

    it("caps a player's connections in a world, atomically, and frees a place on delete", async () => {
      const { store, cleanup } = await setup();
      const w = uniqueId("w");
      const other = uniqueId("w");
      const conn = (connectionId: string, worldId = w, playerId = "p1") => ({
        connectionId,
        worldId,
        playerId,
        inboxShards: 4,
        connectedAtMs: 5,
        member: true,
      });
      const ids = Array.from({ length: 8 }, () => uniqueId("c"));
      // Eight at once against a cap of three: exactly three get in.
      const results = await Promise.all(ids.map((id) => store.putConnection(conn(id), 3)));
      expect(results.filter((r) => r === "connected")).toHaveLength(3);
      expect(results.filter((r) => r === "full")).toHaveLength(5);
      const admitted = ids.filter((_, i) => results[i] === "connected");
      const refused = ids.filter((_, i) => results[i] === "full");
      for (const id of refused) expect(await store.getConnection(id)).toBeUndefined();
      // Another player, and the same player in another world, have places of their own.
      expect(await store.putConnection(conn(uniqueId("c"), w, "p2"), 3)).toBe("connected");
      expect(await store.putConnection(conn(uniqueId("c"), other), 3)).toBe("connected");
      // Recording a connection again is not a second place.
      expect(await store.putConnection(conn(admitted[0] as string), 3)).toBe("connected");
      await store.deleteConnection(admitted[0] as string);
      expect(await store.putConnection(conn(refused[0] as string), 3)).toBe("connected");
      expect(await store.putConnection(conn(refused[1] as string), 3)).toBe("full");
      // Three hours on (their expiry, a $disconnect that never came), the places are free again.
      const later = { ...conn(refused[2] as string), connectedAtMs: 5 + 3 * 3600 * 1000 + 1000 };
      expect(await store.putConnection(later, 3)).toBe("connected");
      await cleanup?.();
    });

    it("takes connection tokens at the rule's rate, atomically, and knows whose connection it is", async () => {
      const { store, cleanup } = await setup();
      const id = uniqueId("c");
      const w = uniqueId("w");
      const rule = { perSecond: 10, burst: 3 };
      expect(await store.takeConnectionToken(id, "commands", rule, 1000)).toBeUndefined();
      // A fresh record each time: what the store answers is compared with one it never held.
      const connection = () => ({
        connectionId: id,
        worldId: w,
        playerId: "p1",
        inboxShards: 2,
        connectedAtMs: 1,
        member: false,
      });
      await store.putConnection(connection(), 4);
      // A burst of three at one instant, raced: three tokens, then none.
      const burst = await Promise.all(
        Array.from({ length: 5 }, () => store.takeConnectionToken(id, "commands", rule, 1000)),
      );
      expect(burst.filter((t) => t?.ok === true)).toHaveLength(3);
      const refused = burst.find((t) => t?.ok === false);
      expect(refused).toMatchObject({
        ok: false,
        connection: { connectionId: id, worldId: w, member: false },
      });
      expect(refused?.ok === false && refused.retryAfterMs).toBeGreaterThan(0);
      // Frames racing within the burst all get a token: racing is no reason to refuse.
      const wide = { perSecond: 20, burst: 40 };
      const racing = await Promise.all(
        Array.from({ length: 12 }, () => store.takeConnectionToken(id, "queries", wide, 500)),
      );
      expect(racing.filter((t) => t?.ok === true)).toHaveLength(12);
      // The other bucket is its own.
      expect((await store.takeConnectionToken(id, "queries", rule, 5000))?.ok).toBe(true);
      // One interval (100 ms) later, one more token; a second later, the whole burst again.
      expect((await store.takeConnectionToken(id, "commands", rule, 1100))?.ok).toBe(true);
      expect((await store.takeConnectionToken(id, "commands", rule, 1100))?.ok).toBe(false);
      const later = await Promise.all(
        Array.from({ length: 3 }, () => store.takeConnectionToken(id, "commands", rule, 3000)),
      );
      expect(later.every((t) => t?.ok === true)).toBe(true);
      // Several tokens in one write: as many as asked while the bucket holds them, then what is
      // left, then none (a burst of 3 at 10 a second, a second after the last use).
      const many = await store.takeConnectionToken(id, "commands", rule, 4000, 2);
      expect(many).toMatchObject({ ok: true, tokens: 2 });
      const rest = await store.takeConnectionToken(id, "commands", rule, 4000, 2);
      expect(rest).toMatchObject({ ok: true, tokens: 1 });
      expect((await store.takeConnectionToken(id, "commands", rule, 4000, 2))?.ok).toBe(false);
      // Racing multi-token takes never hand out more than the bucket held.
      const raced = await Promise.all(
        Array.from({ length: 6 }, () => store.takeConnectionToken(id, "queries", wide, 60_000, 8)),
      );
      const got = raced.reduce((n, t) => n + (t?.ok === true ? t.tokens : 0), 0);
      expect(got).toBeLessThanOrEqual(40);
      expect(got).toBeGreaterThanOrEqual(32);
      expect(later[0]?.connection).toEqual(connection());
      await cleanup?.();
    });
  });
}

/** Polls `probe` (for indexes that lag a write by a moment) for up to two seconds. */
async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 40; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not reached within 2 s");
}
