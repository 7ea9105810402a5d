import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LedgerCheckpointError } from "../src/errors.js";
import { GENESIS } from "../src/ledger/encode.js";
import { Ledger, type LedgerCheckpoint } from "../src/ledger/ledger.js";

function demoLedger(): Ledger {
  const l = new Ledger(["gold", "xp"]);
  l.openWallet("p1", "gold");
  l.openWallet("p2", "gold");
  l.openWallet("p1", "xp");
  return l;
}

const grant = (id: string, owner: string, amount: number, tick: number) => ({
  id,
  debit: "mint:gold",
  credit: `${owner}:gold`,
  amount,
  unit: "gold",
  reason: "grant",
  tick,
});

describe("ledger checkpoints", () => {
  it("a continued ledger appends the same entries, hashes and digests as the original", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            owner: fc.constantFrom("p1", "p2"),
            amount: fc.integer({ min: 1, max: 100 }),
            spend: fc.boolean(),
          }),
          { maxLength: 60 },
        ),
        fc.nat(60),
        (ops, cut) => {
          const full = demoLedger();
          let continued = demoLedger();
          ops.forEach((op, i) => {
            const t = op.spend
              ? {
                  ...grant(`t${i}`, op.owner, op.amount, i),
                  debit: `${op.owner}:gold`,
                  credit: "sink:gold",
                }
              : grant(`t${i}`, op.owner, op.amount, i);
            if (i === cut)
              continued = Ledger.fromCheckpoint(structuredClone(continued.checkpoint()));
            expect(continued.transfer(t)).toBe(full.transfer(t));
          });
          expect(continued.digest()).toEqual(full.digest());
          expect(continued.size).toBe(full.size);
          for (const a of full.listAccounts())
            expect(continued.balance(a.id)).toEqual(full.balance(a.id));
          // The entries held since the checkpoint are exactly the original's.
          const since = continued.checkpointSeq;
          expect(continued.journal).toEqual(full.journal.slice(since));
          expect(continued.entriesSince(since)).toEqual(full.journal.slice(since));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("round-trips through JSON", () => {
    const l = demoLedger();
    l.transfer(grant("a", "p1", 5, 1));
    const cp = JSON.parse(JSON.stringify(l.checkpoint())) as LedgerCheckpoint;
    const c = Ledger.fromCheckpoint(cp);
    expect(c.checkpoint()).toEqual(l.checkpoint());
    expect(c.transfer(grant("b", "p2", 7, 2))).toBe("created");
    expect(c.journal[0]?.prev).toBe(l.digest().head);
  });

  it("an empty ledger's checkpoint continues from GENESIS", () => {
    const c = Ledger.fromCheckpoint(new Ledger().checkpoint());
    expect(c.size).toBe(0);
    expect(c.digest().head).toBe(GENESIS);
    c.declareUnit("gold");
    expect(c.journal[0]?.prev).toBe(GENESIS);
  });

  it("refuses malformed or inconsistent checkpoints with a typed error", () => {
    const l = demoLedger();
    l.transfer(grant("a", "p1", 5, 1));
    const good = l.checkpoint();
    const bad: [string, unknown][] = [
      ["format", { ...good, format: 2 }],
      ["count", { ...good, count: -1 }],
      ["head", { ...good, head: "xyz" }],
      ["merkle size", { ...good, count: good.count + 1 }],
      [
        "unbalanced",
        {
          ...good,
          accounts: good.accounts.map((a) => (a.id === "p1:gold" ? { ...a, credits: 6 } : a)),
        },
      ],
      [
        "overdrawn wallet",
        {
          ...good,
          accounts: good.accounts.map((a) => (a.id === "p1:gold" ? { ...a, debits: 9 } : a)),
        },
      ],
      ["duplicate account", { ...good, accounts: [...good.accounts, good.accounts[0]] }],
      ["peaks", { ...good, merkle: { ...good.merkle, sizes: [3] } }],
    ];
    for (const [why, cp] of bad) {
      expect(() => Ledger.fromCheckpoint(cp as LedgerCheckpoint), why).toThrow(
        LedgerCheckpointError,
      );
    }
  });

  it("says what a continued ledger cannot do", () => {
    const l = demoLedger();
    l.transfer(grant("a", "p1", 5, 1));
    const c = Ledger.fromCheckpoint(l.checkpoint());
    expect(() => c.proveInclusion(0)).toThrow(LedgerCheckpointError);
    expect(() => c.entriesSince(0)).toThrow(RangeError);
    // Documented: ids from before the checkpoint are not remembered.
    expect(c.transfer(grant("a", "p1", 5, 1))).toBe("created");
  });
});
