import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  fromHex,
  isCommitted,
  type JournalEntry,
  Ledger,
  LedgerReplayError,
  merkleRoot,
  mintAccount,
  sinkAccount,
  TRANSFER_RESULTS,
  type TransferEntry,
  type TransferInput,
  toHex,
  verifyInclusion,
  verifyJournal,
} from "../src/index.js";
import { hashTransfer } from "../src/ledger/encode.js";

function funded(): Ledger {
  const ledger = new Ledger(["gold", "item.sword"]);
  ledger.openWallet("p1", "gold");
  ledger.openWallet("p2", "gold");
  ledger.openWallet("p1", "item.sword");
  ledger.openAccount({ id: "shop:gold", owner: "shop", unit: "gold" });
  expect(ledger.transfer(t("seed", "mint:gold", "p1:gold", 100))).toBe("created");
  return ledger;
}

function t(
  id: string,
  debit: string,
  credit: string,
  amount: number,
  extra: Partial<TransferInput> = {},
): TransferInput {
  return { id, debit, credit, amount, unit: "gold", reason: "test", tick: 1, ...extra };
}

const held = (l: Ledger) => (id: string) => l.balance(id);

describe("transfers", () => {
  it("moves value between accounts of a unit, and every unit sums to zero", () => {
    const l = funded();
    expect(l.transfer(t("a", "p1:gold", "p2:gold", 30))).toBe("created");
    expect(l.balance("p1:gold")?.balance).toBe(70);
    expect(l.balance("p2:gold")?.balance).toBe(30);
    expect(l.balance(mintAccount("gold"))?.balance).toBe(-100);
    expect(l.transfer(t("burn", "p2:gold", sinkAccount("gold"), 5))).toBe("created");
    const sum = l
      .listAccounts()
      .filter((a) => a.unit === "gold")
      .reduce((s, a) => s + a.credits - a.debits, 0);
    expect(sum).toBe(0);
  });

  it("is exactly-once: a retry with the same fields is `exists` and changes nothing", () => {
    const l = funded();
    const transfer = t("a", "p1:gold", "p2:gold", 30, { meta: { why: "gift", n: 1 } });
    expect(l.transfer(transfer)).toBe("created");
    const count = l.journal.length;
    expect(l.transfer({ ...transfer, meta: { n: 1, why: "gift" } })).toBe("exists");
    expect(l.transfer({ ...transfer, amount: 31 })).toBe("exists_with_different_fields");
    expect(l.transfer({ ...transfer, meta: { why: "other", n: 1 } })).toBe(
      "exists_with_different_fields",
    );
    expect(l.journal.length).toBe(count);
    expect(l.balance("p2:gold")?.balance).toBe(30);
  });

  it("returns each failure as a value, in the documented order of precedence, changing nothing", () => {
    const l = funded();
    const before = l.digest();
    const cases: [TransferInput, string][] = [
      [t("", "p1:gold", "p2:gold", 1), "id_invalid"],
      [t("b", "p1:gold", "p2:gold", 1, { unit: "Gold!" }), "unit_invalid"],
      [t("b", "p1:gold", "p2:gold", 1, { reason: "" }), "reason_invalid"],
      [t("b", "p1:gold", "p2:gold", 0), "amount_must_be_positive"],
      [t("b", "p1:gold", "p2:gold", -5), "amount_must_be_positive"],
      [t("b", "p1:gold", "p2:gold", 1.5), "amount_must_be_safe_integer"],
      [t("b", "p1:gold", "p2:gold", 2 ** 60), "amount_must_be_safe_integer"],
      [t("b", "p1:gold", "p2:gold", 1, { tick: -1 }), "tick_invalid"],
      [t("b", "p1:gold", "p2:gold", 1, { meta: { bad: Number.NaN } }), "meta_invalid"],
      [t("b", "p1:gold", "p1:gold", 1), "accounts_must_be_different"],
      [t("seed", "p1:gold", "p2:gold", 1), "exists_with_different_fields"],
      [t("b", "nobody:gold", "p2:gold", 1), "debit_account_not_found"],
      [t("b", "p1:gold", "nobody:gold", 1), "credit_account_not_found"],
      [t("b", "p1:gold", "p1:item.sword", 1), "unit_mismatch"],
      [t("b", "p1:gold", "p2:gold", 101), "insufficient_funds"],
      // Precedence: an invalid amount is reported before the missing account.
      [t("b", "nobody:gold", "p2:gold", 0), "amount_must_be_positive"],
    ];
    for (const [input, code] of cases) expect(l.transfer(input), code).toBe(code);
    expect(l.digest()).toEqual(before);
    // Every code above is a documented result.
    for (const [, code] of cases) expect(TRANSFER_RESULTS).toContain(code);
  });

  it("guards against overflow of an account's totals", () => {
    const l = new Ledger(["gold"]);
    l.openAccount({ id: "whale", owner: "w", unit: "gold" });
    expect(l.transfer(t("a", "mint:gold", "whale", Number.MAX_SAFE_INTEGER))).toBe("created");
    expect(l.transfer(t("b", "mint:gold", "whale", 1))).toBe("overflows_debits");
  });

  it("linked transfers commit all or nothing", () => {
    const l = funded();
    const buy = (id: string, price: number) => [
      t(`${id}.pay`, "p1:gold", "shop:gold", price, { linked: true }),
      { ...t(`${id}.item`, "mint:item.sword", "p1:item.sword", 1), unit: "item.sword" },
    ];
    expect(l.submit(buy("b1", 60))).toEqual(["created", "created"]);
    expect(l.balance("p1:item.sword")?.balance).toBe(1);
    const before = l.digest();
    expect(l.submit(buy("b2", 60))).toEqual(["insufficient_funds", "linked_event_failed"]);
    expect(l.digest()).toEqual(before);
    expect(l.balance("p1:item.sword")?.balance).toBe(1);
    // A retry of the committed chain changes nothing.
    expect(l.submit(buy("b1", 60))).toEqual(["exists", "exists"]);
    expect(l.digest()).toEqual(before);
    // A chain left open at the end of a batch fails as a whole.
    expect(l.submit([t("c1", "p1:gold", "p2:gold", 1, { linked: true })])).toEqual([
      "linked_event_chain_open",
    ]);
    expect(l.transfer(t("c2", "p1:gold", "p2:gold", 1, { linked: true }))).toBe(
      "linked_event_chain_open",
    );
    // A chain that reuses a committed id with new members does not commit.
    expect(
      l.submit([
        t("b1.pay", "p1:gold", "shop:gold", 60, { linked: true }),
        t("new", "p1:gold", "p2:gold", 1),
      ]),
    ).toEqual(["exists", "linked_event_failed"]);
    expect(l.digest()).toEqual(before);
  });

  it("opens accounts idempotently, with typed results", () => {
    const l = new Ledger();
    expect(l.openAccount({ id: "a", owner: "o", unit: "gold" })).toBe("created");
    expect(l.openAccount({ id: "a", owner: "o", unit: "gold" })).toBe("exists");
    expect(l.openAccount({ id: "a", owner: "x", unit: "gold" })).toBe(
      "exists_with_different_fields",
    );
    expect(l.openAccount({ id: "b c", owner: "o", unit: "gold" })).toBe("id_invalid");
    expect(l.openAccount({ id: "b", owner: "", unit: "gold" })).toBe("owner_invalid");
    expect(l.openAccount({ id: "b", owner: "o", unit: "GOLD" })).toBe("unit_invalid");
    expect(
      l.openAccount({
        id: "b",
        owner: "o",
        unit: "gold",
        flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: true },
      }),
    ).toBe("flags_are_mutually_exclusive");
    expect(l.journal).toHaveLength(1);
  });
});

describe("the journal", () => {
  it("is hash-chained; verify() reports the first broken link, edit, bad balance or imbalance", () => {
    const l = funded();
    for (let i = 0; i < 20; i++) l.transfer(t(`g${i}`, "p1:gold", "p2:gold", 1, { tick: i }));
    const ok = verifyJournal(l.journal, held(l));
    expect(ok).toMatchObject({ ok: true, digest: l.digest() });

    const edited = l.journal.map((e) => ({ ...e })) as JournalEntry[];
    (edited[12] as { amount: number }).amount = 2;
    expect(verifyJournal(edited)).toMatchObject({
      ok: false,
      problem: { kind: "hash_mismatch", seq: 12 },
    });

    const dropped = l.journal.filter((e) => e.seq !== 9);
    expect(verifyJournal(dropped)).toMatchObject({
      ok: false,
      problem: { kind: "broken_link", seq: 9 },
    });

    const wrongBalance = verifyJournal(l.journal, (id) =>
      id === "p2:gold" ? { debits: 0, credits: 999, balance: 999 } : l.balance(id),
    );
    expect(wrongBalance).toMatchObject({
      ok: false,
      problem: { kind: "balance_mismatch", account: "p2:gold" },
    });
  });

  it("rejects a journal whose entries could never have been committed, even with valid hashes", () => {
    // Someone who rewrites an entry and recomputes its hash still cannot hide an overdraft.
    const l = funded();
    l.transfer(t("spend", "p1:gold", "p2:gold", 40));
    const entries = l.journal.map((e) => ({ ...e })) as JournalEntry[];
    const last = entries[entries.length - 1] as TransferEntry;
    const forged = { ...last, amount: 1_000 };
    const prev = fromHex(last.prev);
    entries[entries.length - 1] = { ...forged, hash: toHex(hashTransfer(prev, last.seq, forged)) };
    expect(verifyJournal(entries)).toMatchObject({
      ok: false,
      problem: {
        kind: "invalid_entry",
        seq: last.seq,
        detail: expect.stringContaining("overdraws p1:gold"),
      },
    });
    expect(() => Ledger.fromJournal(entries)).toThrow(LedgerReplayError);
    // Reusing an id is caught the same way.
    const dup = { ...last, seq: last.seq + 1, prev: last.hash };
    expect(
      verifyJournal([
        ...l.journal,
        { ...dup, hash: toHex(hashTransfer(fromHex(last.hash), dup.seq, dup)) },
      ]),
    ).toMatchObject({
      ok: false,
      problem: { kind: "invalid_entry", detail: expect.stringContaining("appears twice") },
    });
  });

  it("balances rebuild from the journal alone, exactly", () => {
    const l = funded();
    l.transfer(t("a", "p1:gold", "p2:gold", 30));
    l.submit([
      t("b", "p2:gold", "shop:gold", 10, { linked: true }),
      { ...t("c", "mint:item.sword", "p1:item.sword", 1), unit: "item.sword" },
    ]);
    const rebuilt = Ledger.fromJournal(l.journal);
    expect(rebuilt.digest()).toEqual(l.digest());
    for (const a of l.listAccounts()) expect(rebuilt.balance(a.id)).toEqual(l.balance(a.id));
    expect(rebuilt.getTransfer("b")?.linked).toBe(true);
  });

  it("digests prove inclusion with O(log n) paths (RFC 6962), and reject forgeries", () => {
    const l = funded();
    for (let i = 0; i < 37; i++) l.transfer(t(`g${i}`, "p1:gold", "p2:gold", 1));
    const digest = l.digest();
    expect(digest.root).toBe(merkleRoot(l.journal.map((e) => e.hash)));
    for (const seq of [0, 1, 17, 31, 32, digest.count - 1]) {
      const proof = l.proveInclusion(seq);
      expect(proof.path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(digest.count)));
      expect(verifyInclusion(l.journal[seq]?.hash as string, proof, digest.root)).toBe(true);
      expect(
        verifyInclusion(l.journal[seq === 0 ? 1 : 0]?.hash as string, proof, digest.root),
      ).toBe(false);
    }
    // A proof against an older digest (size 10) verifies against that digest's root.
    const old = l.proveInclusion(3, 10);
    expect(
      verifyInclusion(
        l.journal[3]?.hash as string,
        old,
        merkleRoot(l.journal.slice(0, 10).map((e) => e.hash)),
      ),
    ).toBe(true);
    expect(verifyInclusion(l.journal[3]?.hash as string, old, digest.root)).toBe(false);
    expect(
      verifyInclusion(
        l.journal[3]?.hash as string,
        { ...old, path: old.path.slice(1) },
        digest.root,
      ),
    ).toBe(false);
  });
});

describe("properties (fast-check)", () => {
  const owners = ["p1", "p2", "p3"];
  const accountId = fc.constantFrom(
    ...owners.map((o) => `${o}:gold`),
    "mint:gold",
    "sink:gold",
    "shop:gold",
  );
  const op = fc.record({
    id: fc.constantFrom(...Array.from({ length: 30 }, (_, i) => `t${i}`)),
    debit: accountId,
    credit: accountId,
    amount: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constantFrom(0, -1, 1.5)),
    linked: fc.boolean(),
  });

  it("random transfers, duplicates and conflicting retries never break an invariant", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { maxLength: 40 }),
        (batches) => {
          const l = new Ledger(["gold"]);
          for (const o of owners) l.openWallet(o, "gold");
          l.openAccount({ id: "shop:gold", owner: "shop", unit: "gold" });
          for (const batch of batches) {
            const inputs = batch.map((b, i) => ({
              ...b,
              unit: "gold",
              reason: "prop",
              tick: 0,
              linked: b.linked && i < batch.length - 1,
            }));
            const before = l.journal.length;
            const results = l.submit(inputs);
            // Only successful transfers are journaled, and only "created" ones add entries.
            expect(l.journal.length - before).toBe(results.filter((r) => r === "created").length);
            expect(results.every((r) => TRANSFER_RESULTS.includes(r))).toBe(true);
            // A linked chain either commits entirely or adds nothing.
            let start = 0;
            for (let i = 0; i < inputs.length; i++) {
              if (inputs[i]?.linked) continue;
              const chain = results.slice(start, i + 1);
              if (chain.length > 1 && chain.some((r) => r === "created"))
                expect(chain.every(isCommitted)).toBe(true);
              start = i + 1;
            }
          }
          for (const o of owners) expect(l.balance(`${o}:gold`)?.balance).toBeGreaterThanOrEqual(0);
          const report = verifyJournal(l.journal, held(l));
          expect(report.ok).toBe(true);
          const rebuilt = Ledger.fromJournal(l.journal);
          expect(rebuilt.digest()).toEqual(l.digest());
          for (const a of l.listAccounts()) expect(rebuilt.balance(a.id)).toEqual(l.balance(a.id));
        },
      ),
      { numRuns: 300 },
    );
  });
});
