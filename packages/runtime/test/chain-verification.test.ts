import { type JournalEntry, Ledger, mintAccount } from "@ledgerquest/engine";
import { describe, expect, it } from "vitest";
import { MemoryChainRecordStore } from "../src/adapters/memory/chain-records.js";
import { MemoryEventPublisher } from "../src/adapters/memory/event-publisher.js";
import { MemoryJournal } from "../src/adapters/memory/journal.js";
import { DETAIL_TYPES } from "../src/definitions/events.js";
import { PublishError } from "../src/errors.js";
import type { ChainBreak } from "../src/ports/chain-records.js";
import { ManualClock } from "../src/ports/clock.js";
import { describeChainRecordsContract } from "../src/testing/chain-records.contract.js";
import {
  CHAIN_GAP_READ_ENTRIES,
  type ChainVerificationDeps,
  verifyChainRecords,
} from "../src/usecases/chain-verification.js";

describeChainRecordsContract("memory", async () => ({ chains: new MemoryChainRecordStore() }));

/** A journal of `n` entries a game could write: one wallet, then grants into it. */
function journalOf(n: number): JournalEntry[] {
  const ledger = new Ledger(["gold"]);
  ledger.openWallet("p1", "gold");
  for (let i = 0; ledger.journal.length < n; i++) {
    ledger.transfer({
      id: `grant:${i}`,
      debit: mintAccount("gold"),
      credit: "p1:gold",
      amount: 1 + (i % 7),
      unit: "gold",
      reason: "grant",
      tick: i,
    });
  }
  return ledger.journal.slice(0, n).map((e) => structuredClone(e));
}

function setup() {
  const chains = new MemoryChainRecordStore();
  const journal = new MemoryJournal();
  const publisher = new MemoryEventPublisher();
  const breaks: ChainBreak[] = [];
  const deps: ChainVerificationDeps = {
    chains,
    journal,
    publisher,
    clock: new ManualClock(),
    onBreak: (b) => breaks.push(b),
  };
  return { chains, journal, publisher, breaks, deps };
}

const W = "w1";

describe("verifyChainRecords", () => {
  it("verifies new entries from the head, in any order, redeliveries changing nothing", async () => {
    const { chains, journal, publisher, breaks, deps } = setup();
    const entries = journalOf(12);
    await journal.appendEntries(W, entries, "t");
    await verifyChainRecords(deps, W, { entries: entries.slice(0, 6).reverse(), breaks: [] });
    expect((await chains.read(W)).head).toEqual({ seq: 5, hash: entries[5]?.hash });
    await verifyChainRecords(deps, W, { entries: entries.slice(3), breaks: [] });
    await verifyChainRecords(deps, W, { entries: entries.slice(3), breaks: [] });
    expect((await chains.read(W)).head).toEqual({ seq: 11, hash: entries[11]?.hash });
    expect(breaks).toEqual([]);
    expect(publisher.published).toEqual([]);
  });

  it("reads a gap from the journal, page by page, before verifying past it", async () => {
    const { chains, journal, deps } = setup();
    const n = CHAIN_GAP_READ_ENTRIES * 2 + 5;
    const entries = journalOf(n);
    await journal.appendEntries(W, entries, "t");
    await verifyChainRecords(deps, W, { entries: [entries[n - 1] as JournalEntry], breaks: [] });
    expect((await chains.read(W)).head.seq).toBe(n - 1);
  });

  it("records, reports and announces a forged entry once, then verifies the world no further", async () => {
    const { chains, journal, publisher, breaks, deps } = setup();
    const entries = journalOf(8);
    const forged = entries.map((e) =>
      e.seq === 4 && e.kind === "transfer" ? { ...e, amount: e.amount + 100 } : e,
    );
    await journal.appendEntries(W, forged, "t");
    await verifyChainRecords(deps, W, { entries: [forged[7] as JournalEntry], breaks: [] });
    const record = await chains.read(W);
    expect(record.head.seq).toBe(3);
    expect(record.break).toMatchObject({ seq: 4, kind: "hash_mismatch" });
    expect(record.breakAnnounced).toBe(true);
    expect(breaks.map((b) => [b.seq, b.kind])).toEqual([[4, "hash_mismatch"]]);
    expect(publisher.published.map((e) => [e.detailType, e.detail.seq])).toEqual([
      [DETAIL_TYPES.ledgerChainBroken, 4],
    ]);
    await verifyChainRecords(deps, W, { entries: forged.slice(5), breaks: [] });
    expect(publisher.published).toHaveLength(1);
    expect((await chains.read(W)).head.seq).toBe(3);
  });

  it("a missing stretch of the journal is a broken link at its first entry", async () => {
    const { chains, journal, deps } = setup();
    const entries = journalOf(10);
    await journal.appendEntries(W, entries.slice(0, 4), "t");
    await verifyChainRecords(deps, W, { entries: [entries[9] as JournalEntry], breaks: [] });
    expect((await chains.read(W)).break).toMatchObject({ seq: 4, kind: "broken_link" });
  });

  it("a break seen in the records is recorded as the first, and a failed announcement is retried", async () => {
    const { chains, journal, publisher, breaks, deps } = setup();
    const entries = journalOf(6);
    await journal.appendEntries(W, entries, "t");
    const rewritten: ChainBreak = {
      worldId: W,
      seq: 2,
      kind: "invalid_entry",
      detail: "rewritten",
    };
    const later: ChainBreak = { worldId: W, seq: 5, kind: "broken_link", detail: "deleted" };
    // The first publish fails (all attempts): the break stays recorded, not announced.
    const failing = new MemoryEventPublisher({ maxAttempts: 1 });
    const original = failing.publish.bind(failing);
    let fail = true;
    failing.publish = async (events) => {
      if (fail) throw new PublishError(events.map((e) => ({ eventId: e.eventId, reason: "down" })));
      return original(events);
    };
    await expect(
      verifyChainRecords({ ...deps, publisher: failing }, W, {
        entries: entries.slice(0, 2),
        breaks: [later, rewritten],
      }),
    ).rejects.toThrow(PublishError);
    expect(await chains.read(W)).toMatchObject({ break: { seq: 2 }, breakAnnounced: false });
    expect(breaks.map((b) => b.seq)).toEqual([5, 2]);
    fail = false;
    await verifyChainRecords({ ...deps, publisher: failing }, W, { entries: [], breaks: [] });
    await verifyChainRecords({ ...deps, publisher: failing }, W, { entries: [], breaks: [] });
    expect(failing.published.map((e) => e.detail.seq)).toEqual([2]);
    expect(publisher.published).toEqual([]);
    expect((await chains.read(W)).breakAnnounced).toBe(true);
  });
});
