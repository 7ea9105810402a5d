/**
 * The contract of the journal port: every adapter (memory, DynamoDB) passes this suite.
 * Its tests start alike (a harness, a world of their own), each then about one behaviour.
 */
import { type JournalEntry, Ledger } from "@ledgerquest/engine";
import { describe, expect, it } from "vitest";
import { JournalConflictError } from "../errors.js";
import type { BatchRecord, Journal } from "../ports/journal.js";
import { uniqueId } from "./entity-store.contract.js";

export interface JournalHarness {
  readonly journal: Journal;
  readonly cleanup?: () => Promise<void>;
}

export function sampleBatch(worldId: string, version: number, token = "token-a"): BatchRecord {
  return {
    worldId,
    version,
    token,
    fromTick: (version - 1) * 600,
    ticks: 600,
    drains: [
      { tick: (version - 1) * 600, shard: 0, fromMs: 1000, toMs: 1500 },
      { tick: (version - 1) * 600 + 6, shard: 1, fromMs: 1000, toMs: 1600 },
    ],
    cursors: [1500, 1600],
    commandsApplied: 7,
    hashes: Array.from({ length: 600 }, (_, i) =>
      (i % 256).toString(16).padStart(2, "0").repeat(32),
    ),
    ledgerFromSeq: 0,
    ledgerToSeq: 12,
    ledgerHead: "aa".repeat(32),
    events: [
      {
        eventId: `${worldId}/${version}/0`,
        detailType: "Quest Completed",
        detail: {
          playerId: "player_0001",
          questId: "first_steps",
          rewards: [{ unit: "gold", amount: 50 }],
        },
      },
    ],
    createdAtMs: 1234,
  };
}

/** A real ledger's journal: `n` transfers after the accounts, so hashes chain as in production. */
export function sampleEntries(n: number, tick = 0): JournalEntry[] {
  const l = new Ledger(["gold"]);
  l.openWallet("p1", "gold");
  for (let i = 0; i < n; i++) {
    l.transfer({
      id: `grant-${tick}-${i}`,
      debit: "mint:gold",
      credit: "p1:gold",
      amount: 1 + (i % 7),
      unit: "gold",
      reason: "pickup",
      tick,
      meta: { coin: i, note: "ü✓" },
    });
  }
  return [...l.journal];
}

export function describeJournalContract(name: string, setup: () => Promise<JournalHarness>): void {
  describe(`Journal contract: ${name}`, () => {
    it("creates a batch record once; a second writer gets the first one back", async () => {
      const { journal, cleanup } = await setup();
      const w = uniqueId("w");
      const a = sampleBatch(w, 1, "a");
      expect(await journal.getBatch(w, 1)).toBeUndefined();
      expect(await journal.putBatch(a)).toEqual({ result: "created" });
      expect(await journal.putBatch(sampleBatch(w, 1, "b"))).toEqual({
        result: "exists",
        existing: a,
      });
      expect(await journal.getBatch(w, 1)).toEqual(a);
      await cleanup?.();
    });

    it("of two rivals writing the same version at once, exactly one creates", async () => {
      const { journal, cleanup } = await setup();
      const w = uniqueId("w");
      const results = await Promise.all([
        journal.putBatch(sampleBatch(w, 1, "a")),
        journal.putBatch(sampleBatch(w, 1, "b")),
      ]);
      expect(results.filter((r) => r.result === "created")).toHaveLength(1);
      await cleanup?.();
    });

    it("lists batch records by version range, ascending", async () => {
      const { journal, cleanup } = await setup();
      const w = uniqueId("w");
      for (const v of [3, 1, 2, 11]) await journal.putBatch(sampleBatch(w, v));
      const listed = await journal.listBatches(w, 2, 11);
      expect(listed.map((b) => b.version)).toEqual([2, 3, 11]);
      expect(listed[0]).toEqual(sampleBatch(w, 2));
      await cleanup?.();
    });

    it("appends entries and reads them back exactly", async () => {
      const { journal, cleanup } = await setup();
      const w = uniqueId("w");
      const entries = sampleEntries(40);
      await journal.appendEntries(w, entries, "t1");
      expect(await journal.readEntries(w, 0, entries.length)).toEqual(entries);
      expect(await journal.readEntries(w, 5, 9)).toEqual(entries.slice(5, 9));
      expect(await journal.readEntries(w, entries.length, entries.length + 10)).toEqual([]);
      await cleanup?.();
    });

    it("appends more than one transaction's worth (250 entries) in order", async () => {
      const { journal, cleanup } = await setup();
      const w = uniqueId("w");
      const entries = sampleEntries(247);
      await journal.appendEntries(w, entries, "t1");
      const read = await journal.readEntries(w, 0, 1000);
      expect(read).toHaveLength(250);
      expect(read.map((e) => e.seq)).toEqual(entries.map((e) => e.seq));
      expect(read[249]).toEqual(entries[249]);
      await cleanup?.();
    });

    it("a retried append of the same entries is a no-op", async () => {
      const { journal, cleanup } = await setup();
      const w = uniqueId("w");
      const entries = sampleEntries(30);
      await journal.appendEntries(w, entries.slice(0, 20), "t1");
      await journal.appendEntries(w, entries, "t1"); // overlaps the first 20
      await journal.appendEntries(w, entries, "t2"); // and again, by another token
      expect(await journal.readEntries(w, 0, 100)).toEqual(entries);
      await cleanup?.();
    });

    it("a different entry at a taken seq is a JournalConflictError and writes nothing", async () => {
      const { journal, cleanup } = await setup();
      const w = uniqueId("w");
      const entries = sampleEntries(10, 1);
      await journal.appendEntries(w, entries.slice(0, 8), "t1");
      const rival = sampleEntries(10, 2); // same seqs, other ticks, so other hashes
      await expect(journal.appendEntries(w, rival.slice(6), "t2")).rejects.toBeInstanceOf(
        JournalConflictError,
      );
      // Nothing of the rival landed, not even its entries at free seqs.
      expect(await journal.readEntries(w, 0, 100)).toEqual(entries.slice(0, 8));
      await cleanup?.();
    });

    it("worlds do not see each other's entries", async () => {
      const { journal, cleanup } = await setup();
      const w1 = uniqueId("w");
      const w2 = uniqueId("w");
      await journal.appendEntries(w1, sampleEntries(3, 1), "t");
      await journal.appendEntries(w2, sampleEntries(5, 2), "t");
      expect(await journal.readEntries(w1, 0, 100)).toEqual(sampleEntries(3, 1));
      expect(await journal.readEntries(w2, 0, 100)).toEqual(sampleEntries(5, 2));
      await cleanup?.();
    });
  });
}
