/**
 * The contract of the chain record port (ports/chain-records.ts): the head only moves forwards,
 * also under concurrent writers; the first break stays; the announcement marks only the break it
 * names; worlds are independent.
 */
import { CHAIN_START } from "@ledgerquest/engine";
import { describe, expect, it } from "vitest";
import { CHAIN_BREAK_DETAIL_CHARS_MAX, type ChainRecordStore } from "../ports/chain-records.js";
import { worldIds } from "./harness.js";

export interface ChainRecordsFixture {
  readonly chains: ChainRecordStore;
}

const hash = (n: number) => n.toString(16).padStart(64, "0");

export function describeChainRecordsContract(
  name: string,
  setup: () => Promise<ChainRecordsFixture>,
): void {
  const world = worldIds("chainworld");

  describe(`ChainRecordStore contract: ${name}`, () => {
    it("starts a world never seen at CHAIN_START, without a break", async () => {
      const { chains } = await setup();
      expect(await chains.read(world())).toEqual({ head: CHAIN_START, breakAnnounced: false });
    });

    it("moves the head forwards only, and to the furthest of concurrent advances", async () => {
      const { chains } = await setup();
      const w = world();
      await chains.advanceHead(w, { seq: 5, hash: hash(5) });
      await chains.advanceHead(w, { seq: 3, hash: hash(3) });
      await chains.advanceHead(w, { seq: 5, hash: hash(55) });
      expect((await chains.read(w)).head).toEqual({ seq: 5, hash: hash(5) });
      const seqs = [9, 14, 7, 12, 11, 6];
      await Promise.all(seqs.map((seq) => chains.advanceHead(w, { seq, hash: hash(seq) })));
      expect((await chains.read(w)).head).toEqual({ seq: 14, hash: hash(14) });
    });

    it("keeps the first break recorded, with its detail cut to the limit", async () => {
      const { chains } = await setup();
      const w = world();
      await chains.advanceHead(w, { seq: 1, hash: hash(1) });
      const detail = "x".repeat(CHAIN_BREAK_DETAIL_CHARS_MAX + 10);
      await chains.recordBreak({ worldId: w, seq: 3, kind: "hash_mismatch", detail });
      await chains.recordBreak({ worldId: w, seq: 1, kind: "broken_link", detail: "later" });
      const record = await chains.read(w);
      expect(record.break).toEqual({
        seq: 3,
        kind: "hash_mismatch",
        detail: "x".repeat(CHAIN_BREAK_DETAIL_CHARS_MAX),
      });
      expect(record.head).toEqual({ seq: 1, hash: hash(1) });
      expect(record.breakAnnounced).toBe(false);
      // A break does not stop the head: a verifier that found it still saves its progress.
      await chains.advanceHead(w, { seq: 2, hash: hash(2) });
      expect(await chains.read(w)).toMatchObject({ head: { seq: 2 }, break: { seq: 3 } });
    });

    it("marks announced only the break it names", async () => {
      const { chains } = await setup();
      const w = world();
      await chains.markAnnounced(w, 0);
      expect((await chains.read(w)).breakAnnounced).toBe(false);
      await chains.recordBreak({ worldId: w, seq: 4, kind: "invalid_entry", detail: "bad" });
      await chains.markAnnounced(w, 5);
      expect((await chains.read(w)).breakAnnounced).toBe(false);
      await chains.markAnnounced(w, 4);
      await chains.markAnnounced(w, 4);
      expect(await chains.read(w)).toEqual({
        head: CHAIN_START,
        break: { seq: 4, kind: "invalid_entry", detail: "bad" },
        breakAnnounced: true,
      });
    });

    it("keeps worlds apart", async () => {
      const { chains } = await setup();
      const a = world();
      const b = world();
      await chains.advanceHead(a, { seq: 1, hash: hash(1) });
      await chains.recordBreak({ worldId: a, seq: 2, kind: "broken_link", detail: "gap" });
      expect(await chains.read(b)).toEqual({ head: CHAIN_START, breakAnnounced: false });
    });
  });
}
