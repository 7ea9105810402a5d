/**
 * The commit protocol, proven: a tick batch crashed at every write point (before and after each
 * write) and then retried ends in exactly the state of a batch that never crashed; rival batches
 * for one world commit exactly one; no command is lost or applied twice. Runs over any set of
 * adapters (memory, DynamoDB Local), with any game.
 */
import type { JournalEntry, JsonValue } from "@ledgerquest/engine";
import { describe, expect, it } from "vitest";
import { parseDomainEvent } from "../definitions/events.js";
import { inboxShardOf } from "../definitions/tables.js";
import { CommitConflictError } from "../errors.js";
import type { BlobStore } from "../ports/blob-store.js";
import type { ClientPush } from "../ports/client-push.js";
import { MANUAL_CLOCK_START_MS } from "../ports/clock.js";
import type { CommandInbox } from "../ports/command-inbox.js";
import type { EntityStore } from "../ports/entity-store.js";
import type { EventPublisher, OutgoingEvent } from "../ports/event-publisher.js";
import type { BatchRecord, Journal } from "../ports/journal.js";
import { createWorld } from "../usecases/create-world.js";
import type { RuntimeDeps } from "../usecases/deps.js";
import { replayWorld } from "../usecases/replay.js";
import { runTickBatch } from "../usecases/run-tick-batch.js";
import { uniqueId } from "./entity-store.contract.js";

/** Thrown by the fault injector where it simulates the process dying. */
export class CrashError extends Error {
  override readonly name = "CrashError";
}

/** Where a write is, for the report when a crash point breaks the protocol. */
export interface WritePoint {
  readonly index: number;
  readonly when: "before" | "after";
  readonly operation: string;
}

/**
 * Wraps the ports' writing methods so that the `crashAt`-th write point throws `CrashError`:
 * point 2i is just before write i, point 2i+1 just after it (the write happened, the caller never
 * heard). With `crashAt` undefined it only counts.
 */
export function injectCrashes(
  deps: RuntimeDeps,
  crashAt: number | undefined,
): { deps: RuntimeDeps; points: WritePoint[] } {
  const points: WritePoint[] = [];
  let writes = 0;
  function wrap<T extends object>(
    target: T,
    label: string,
    methods: readonly (keyof T & string)[],
  ): T {
    const proxy = Object.create(target) as T;
    for (const m of methods) {
      const original = target[m] as unknown as (...args: unknown[]) => Promise<unknown>;
      (proxy as Record<string, unknown>)[m] = async (...args: unknown[]) => {
        const i = writes++;
        const operation = `${label}.${m}`;
        points.push(
          { index: 2 * i, when: "before", operation },
          { index: 2 * i + 1, when: "after", operation },
        );
        if (crashAt === 2 * i) throw new CrashError(`crash before ${operation}`);
        const out = await original.apply(target, args);
        if (crashAt === 2 * i + 1) throw new CrashError(`crash after ${operation}`);
        return out;
      };
    }
    return proxy;
  }
  return {
    points,
    deps: {
      ...deps,
      store: wrap<EntityStore>(deps.store, "store", [
        "commitWorld",
        "putProjections",
        "deleteConnection",
      ]),
      journal: wrap<Journal>(deps.journal, "journal", ["putBatch", "appendEntries"]),
      inbox: wrap<CommandInbox>(deps.inbox, "inbox", ["close"]),
      blobs: wrap<BlobStore>(deps.blobs, "blobs", ["put"]),
      publisher: wrap<EventPublisher>(deps.publisher, "publisher", ["publish"]),
      push: wrap<ClientPush>(deps.push, "push", ["post"]),
    },
  };
}

export interface CommitProtocolSetup {
  /** Fresh adapters (they may share tables: every test uses its own world ids). */
  readonly deps: RuntimeDeps;
  /** Opens a client connection the push adapter can deliver to. */
  readonly openConnection?: (connectionId: string) => void;
  /** The commands to send: `make(player, i)` gives the i-th command's type and data. */
  readonly command: (
    player: string,
    i: number,
  ) => { readonly type: string; readonly data: JsonValue };
  /** Players of the test world. */
  readonly players: readonly string[];
  /** Game settings of the test world. */
  readonly settings?: JsonValue;
  /** What reached the event bus, if the publisher can tell. */
  readonly published?: () => readonly OutgoingEvent[];
  readonly cleanup?: () => Promise<void>;
}

/** Everything a batch leaves behind that must not depend on whether it crashed. */
async function observe(deps: RuntimeDeps, worldId: string, players: readonly string[]) {
  const world = await deps.store.getWorld(worldId);
  if (world === undefined) throw new Error("world vanished");
  const journal: JournalEntry[] = [
    ...(await deps.journal.readEntries(worldId, 0, world.ledger.count + 10)),
  ];
  const accounts = new Map<string, unknown>();
  for (const e of journal)
    if (e.kind === "account") accounts.set(e.id, await deps.store.getAccount(worldId, e.id));
  const profiles = await Promise.all(players.map((p) => deps.store.getPlayer(worldId, p)));
  const batches = await deps.journal.listBatches(worldId, 1, world.version);
  return {
    world: { ...world, state: { kind: world.state.kind, sha256: world.state.sha256 } },
    journal,
    accounts: Object.fromEntries(accounts),
    profiles,
    batches: batches.map((b) => ({ ...b, token: "" })),
  };
}

/** The commands `batches` applied, as `<player>/<command id>`, read back through their drains. */
async function appliedBy(
  deps: RuntimeDeps,
  worldId: string,
  batches: readonly BatchRecord[],
): Promise<string[]> {
  const applied: string[] = [];
  for (const b of batches) {
    for (const d of b.drains) {
      for (const c of await deps.inbox.read(worldId, d.shard, d.fromMs, d.toMs))
        applied.push(`${c.playerId}/${c.commandId}`);
    }
  }
  return applied;
}

/** Moves a manual clock on (the suite needs one: time must stand still within a batch). */
function advance(s: CommitProtocolSetup, ms: number): void {
  const clock = s.deps.clock as { advance?: (ms: number) => void };
  if (typeof clock.advance !== "function")
    throw new Error("the commit protocol suite needs a ManualClock");
  clock.advance(ms);
}

export function describeCommitProtocol(
  name: string,
  setup: () => Promise<CommitProtocolSetup>,
): void {
  describe(`commit protocol: ${name}`, () => {
    const maxTicks = 120;

    async function prepare(
      s: CommitProtocolSetup,
      worldId: string,
      commands = 12,
    ): Promise<string[]> {
      // Every test world starts at the same time, so worlds differ only by their ids.
      const clock = s.deps.clock as { set?: (ms: number) => void };
      if (typeof clock.set !== "function")
        throw new Error("the commit protocol suite needs a ManualClock");
      clock.set(MANUAL_CLOCK_START_MS);
      await createWorld(s.deps, {
        worldId,
        // One seed for every test world, so that worlds differ only by their ids.
        seed: "commit-protocol",
        players: s.players,
        ...(s.settings === undefined ? {} : { settings: s.settings }),
        inboxShards: 2,
      });
      const ids: string[] = [];
      for (let i = 0; i < commands; i++) {
        const player = s.players[i % s.players.length] as string;
        const { type, data } = s.command(player, i);
        const commandId = `c${i}`;
        const r = await s.deps.inbox.submit({
          worldId,
          shard: inboxShardOf(player, 2),
          playerId: player,
          commandId,
          type,
          data,
          nowMs: s.deps.clock.nowMs() + 1 + i,
        });
        expect(r.result).toBe("accepted");
        ids.push(`${player}/${commandId}`);
      }
      advance(s, 1000);
      return ids;
    }

    it("a clean batch commits: the world, the journal, the projections and the events agree", async () => {
      const s = await setup();
      const worldId = uniqueId("proto");
      await prepare(s, worldId);
      const r = await runTickBatch(s.deps, { worldId, token: "exec-1#1", maxTicks });
      expect(r.outcome).toBe("committed");
      expect(r.version).toBe(1);
      expect(r.ticks).toBe(maxTicks);
      expect(r.commandsApplied).toBe(12);
      // A longer second batch, so that quests complete and pay.
      const r2 = await runTickBatch(s.deps, { worldId, token: "exec-1#2", maxTicks: 600 });
      expect(r2).toMatchObject({
        outcome: "committed",
        version: 2,
        fromTick: maxTicks,
        tick: maxTicks + 600,
      });
      const o = await observe(s.deps, worldId, s.players);
      expect(o.world.version).toBe(2);
      expect(o.world.tick).toBe(maxTicks + 600);
      expect(o.world.stateHash).toBe(o.batches[1]?.hashes[599]);
      expect(o.batches.map((b) => b.ticks)).toEqual([maxTicks, 600]);
      expect(o.journal.length).toBe(o.world.ledger.count);
      expect(o.journal[o.journal.length - 1]?.hash).toBe(o.world.ledger.head);
      // Each account's projected balance is what the journal's transfers add up to.
      const sums = new Map<string, number>();
      for (const e of o.journal) {
        if (e.kind !== "transfer") continue;
        sums.set(e.credit, (sums.get(e.credit) ?? 0) + e.amount);
        sums.set(e.debit, (sums.get(e.debit) ?? 0) - e.amount);
      }
      for (const [id, a] of Object.entries(o.accounts)) {
        expect((a as { balance: number }).balance, id).toBe(sums.get(id) ?? 0);
      }
      // Every published event is valid under the one-source schemas, and ids are unique.
      const published = s.published?.() ?? [];
      if (s.published !== undefined) {
        expect(published.some((e) => e.detailType === "Tick Batch Committed")).toBe(true);
        for (const e of published)
          parseDomainEvent(e.detailType, { ...e.detail, eventId: e.eventId });
        expect(new Set(published.map((e) => e.eventId)).size).toBe(published.length);
        // Quest rewards named in events are real ledger entries.
        const ids = new Set(o.journal.filter((e) => e.kind === "transfer").map((e) => e.id));
        const completed = published.filter((x) => x.detailType === "Quest Completed");
        expect(completed.length).toBeGreaterThan(0);
        for (const e of completed) {
          for (const t of e.detail.transferIds as string[]) expect(ids.has(t), t).toBe(true);
        }
      }
      await s.cleanup?.();
    });

    it("a crash at any write point, then a retry, ends exactly as a batch that never crashed", async () => {
      const s = await setup();
      // The reference run, counting the write points.
      const refWorld = uniqueId("ref");
      await prepare(s, refWorld);
      s.openConnection?.(`${refWorld}-conn`);
      await s.deps.store.putConnection(
        {
          connectionId: `${refWorld}-conn`,
          playerId: s.players[0] as string,
          worldId: refWorld,
          inboxShards: 2,
          connectedAtMs: s.deps.clock.nowMs(),
          member: true,
        },
        4,
      );
      const counted = injectCrashes(s.deps, undefined);
      await runTickBatch(counted.deps, { worldId: refWorld, token: "exec-1#1", maxTicks });
      const reference = await observe(s.deps, refWorld, s.players);
      const total = counted.points.length;
      expect(total).toBeGreaterThanOrEqual(12); // close x2, putBatch, entries, projections, commit, publish, post
      expect(reference.journal.length).toBeGreaterThan(0);

      for (let crashAt = 0; crashAt < total; crashAt++) {
        // Worlds differ only by id; ids scope transfer ids, so compare with the id swapped.
        const worldId = `${refWorld}-k${crashAt}`;
        await prepare(s, worldId);
        s.openConnection?.(`${worldId}-conn`);
        await s.deps.store.putConnection(
          {
            connectionId: `${worldId}-conn`,
            playerId: s.players[0] as string,
            worldId,
            inboxShards: 2,
            connectedAtMs: s.deps.clock.nowMs(),
            member: true,
          },
          4,
        );
        const point = counted.points[crashAt] as WritePoint;
        const crashing = injectCrashes(s.deps, crashAt);
        await expect(
          runTickBatch(crashing.deps, { worldId, token: "exec-1#1", maxTicks }),
          `crash ${point.when} ${point.operation}`,
        ).rejects.toBeInstanceOf(CrashError);
        const retried = await runTickBatch(s.deps, { worldId, token: "exec-1#1", maxTicks });
        expect(retried.commandsApplied, `after a crash ${point.when} ${point.operation}`).toBe(12);
        // A retry after the batch record was written finishes that batch; before it, runs afresh.
        const recordAt = counted.points.findIndex(
          (p) => p.operation === "journal.putBatch" && p.when === "after",
        );
        expect(retried.retried, `after a crash ${point.when} ${point.operation}`).toBe(
          crashAt >= recordAt,
        );
        const seen = await observe(s.deps, worldId, s.players);
        const normalize = (v: unknown) =>
          JSON.parse(JSON.stringify(v).replaceAll(worldId, "W").replaceAll(refWorld, "W"));
        const withoutHashes = (o: typeof seen) => ({
          ...o,
          // Transfer ids carry the world id, so entry hashes differ between worlds; compare the rest.
          journal: o.journal.map(({ hash: _h, prev: _p, ...rest }) => rest),
          world: {
            ...o.world,
            ledger: { count: o.world.ledger.count },
            state: {},
            stateHash: "",
            genesis: undefined,
          },
          batches: o.batches.map((b) => ({ ...b, ledgerHead: "", hashes: [] })),
        });
        expect(
          normalize(withoutHashes(seen)),
          `after a crash ${point.when} ${point.operation}`,
        ).toEqual(normalize(withoutHashes(reference)));
        // No transfer twice: every transfer id is unique in the journal.
        const ids = seen.journal.filter((e) => e.kind === "transfer").map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length);
      }
      await s.cleanup?.();
    });

    it("a rival finishing a crashed batch ends in the same state, and says it did not run its own", async () => {
      const s = await setup();
      const a = uniqueId("rollfwd-a");
      await prepare(s, a);
      const counted = injectCrashes(s.deps, undefined);
      await runTickBatch(counted.deps, { worldId: a, token: "exec-1#1", maxTicks });
      const putBatchAt = counted.points.findIndex(
        (p) => p.operation === "journal.putBatch" && p.when === "after",
      );
      const b = uniqueId("rollfwd-b");
      await prepare(s, b);
      await expect(
        runTickBatch(injectCrashes(s.deps, putBatchAt).deps, {
          worldId: b,
          token: "exec-1#1",
          maxTicks,
        }),
      ).rejects.toBeInstanceOf(CrashError);
      const rival = runTickBatch(s.deps, { worldId: b, token: "exec-2#1", maxTicks });
      await expect(rival).rejects.toBeInstanceOf(CommitConflictError);
      const world = await s.deps.store.getWorld(b);
      expect(world?.version).toBe(1);
      expect(world?.lastBatchToken).toBe("exec-1#1");
      // The crashed batch's own retry finds it committed and reports so.
      const retry = await runTickBatch(s.deps, { worldId: b, token: "exec-1#1", maxTicks });
      expect(retry.outcome).toBe("already_committed");
      expect(retry.commandsApplied).toBe(12);
      await s.cleanup?.();
    });

    it("two batches at once for one world: exactly one commits, the other stops with a typed conflict, nothing is lost", async () => {
      const s = await setup();
      const worldId = uniqueId("race");
      const first = await prepare(s, worldId, 10);
      const results = await Promise.allSettled([
        runTickBatch(s.deps, { worldId, token: "exec-a#1", maxTicks }),
        runTickBatch(s.deps, { worldId, token: "exec-b#1", maxTicks }),
      ]);
      const ok = results.filter((r) => r.status === "fulfilled");
      const failed = results.filter((r) => r.status === "rejected");
      expect(ok).toHaveLength(1);
      expect(failed).toHaveLength(1);
      expect((failed[0] as PromiseRejectedResult).reason).toBeInstanceOf(CommitConflictError);
      const world = await s.deps.store.getWorld(worldId);
      expect(world?.version).toBe(1);
      // More commands, another batch: every command applied exactly once over the two batches.
      const more: string[] = [];
      for (let i = 0; i < 6; i++) {
        const player = s.players[i % s.players.length] as string;
        const { type, data } = s.command(player, 100 + i);
        await s.deps.inbox.submit({
          worldId,
          shard: inboxShardOf(player, 2),
          playerId: player,
          commandId: `late${i}`,
          type,
          data,
          nowMs: s.deps.clock.nowMs() + 1 + i,
        });
        more.push(`${player}/late${i}`);
      }
      if ("advance" in s.deps.clock && typeof s.deps.clock.advance === "function")
        s.deps.clock.advance(1000);
      const second = await runTickBatch(s.deps, { worldId, token: "exec-a#2", maxTicks });
      expect(second.version).toBe(2);
      const batches = await s.deps.journal.listBatches(worldId, 1, 2);
      const applied = await appliedBy(s.deps, worldId, batches);
      expect(applied.sort()).toEqual([...first, ...more].sort());
      expect(batches.reduce((n, b) => n + b.commandsApplied, 0)).toBe(16);
      await s.cleanup?.();
    });

    it("paced: commands that arrive while the batch runs are each applied once, and the record re-runs to its hashes", async () => {
      const s = await setup();
      const worldId = uniqueId("paced");
      const before = await prepare(s, worldId, 6);
      const during: string[] = [];
      // Players keep sending while the batch runs (it sleeps on the manual clock between ticks,
      // and its drains go on beside the ticks).
      let sending = true;
      const sender = (async () => {
        for (let i = 0; sending && i < 60; i++) {
          const player = s.players[i % s.players.length] as string;
          const { type, data } = s.command(player, 200 + i);
          const r = await s.deps.inbox.submit({
            worldId,
            shard: inboxShardOf(player, 2),
            playerId: player,
            commandId: `during${i}`,
            type,
            data,
            nowMs: s.deps.clock.nowMs(),
          });
          if (r.result === "accepted") during.push(`${player}/during${i}`);
          await new Promise((r) => setImmediate(r));
        }
      })();
      const paced = await runTickBatch(s.deps, {
        worldId,
        token: "exec-p#1",
        maxTicks,
        pace: { tickMs: 1000 / 60, pushHz: 20 },
      });
      sending = false;
      await sender;
      expect(paced.outcome).toBe("committed");
      expect(paced.clock).toBeDefined();
      advance(s, 1000);
      await runTickBatch(s.deps, { worldId, token: "exec-p#2", maxTicks });
      const batches = await s.deps.journal.listBatches(worldId, 1, 2);
      const applied = await appliedBy(s.deps, worldId, batches);
      expect(applied.sort()).toEqual([...before, ...during].sort());
      expect(during.length).toBeGreaterThan(0);
      // The paced batch's record names its inputs: re-running it from the same state gives the
      // same hashes (replay checks every tick's).
      const check = await replayWorld(s.deps, worldId);
      expect(check.mismatch).toBeUndefined();
      expect(check.ok).toBe(true);
      expect(check.commandsApplied).toBe(before.length + during.length);
      await s.cleanup?.();
    });
  });
}
