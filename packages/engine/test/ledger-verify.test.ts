// The streaming verifier (`JournalVerifier`) and `verifyJournal`, which is defined on it, against
// the whole-array implementation they replaced (kept below verbatim as the reference): the same
// report for every generated journal, intact or tampered with, whatever its pages. Also the
// per-unit figures (minted, sunk, held) and the digest of a journal as stored.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Account,
  type Balance,
  CHAIN_START,
  checkLink,
  fromHex,
  hexEquals,
  type JournalEntry,
  JournalVerifier,
  Ledger,
  MerkleAccumulator,
  merkleRoot,
  mintAccount,
  ownHashHolds,
  sinkAccount,
  toHex,
  type VerifyProblem,
  type VerifyReport,
  verifyJournal,
} from "../src/index.js";
import { GENESIS, GENESIS_BYTES, hashAccount, hashTransfer } from "../src/ledger/encode.js";

/** The chain recomputed from `from` on: what a forger who edits an entry does to hide it. */
function rehash(entries: readonly JournalEntry[], from = 0): JournalEntry[] {
  const out: JournalEntry[] = [];
  let prev: Uint8Array = GENESIS_BYTES;
  for (const [i, e] of entries.entries()) {
    if (i < from) {
      out.push(e);
      prev = fromHex(e.hash);
      continue;
    }
    const bytes =
      e.kind === "account"
        ? hashAccount(prev, e.seq, e.id, e.owner, e.unit, e.flags)
        : hashTransfer(prev, e.seq, e);
    out.push({ ...e, prev: toHex(prev), hash: toHex(bytes) });
    prev = bytes;
  }
  return out;
}

/** Entries renumbered from 0 (after a drop, insert or swap), hashes left as they were. */
const renumber = (entries: readonly JournalEntry[]) => entries.map((e, seq) => ({ ...e, seq }));

const PLAYERS = ["p1", "p2", "p3"] as const;

/** A journal a game could write: wallets, grants from the mint, gifts, spends into the sink. */
const journalArb = fc
  .array(
    fc.record({
      kind: fc.constantFrom("grant", "gift", "spend", "open"),
      from: fc.constantFrom(...PLAYERS),
      to: fc.constantFrom(...PLAYERS),
      amount: fc.integer({ min: 1, max: 60 }),
      unit: fc.constantFrom("gold", "xp"),
    }),
    { maxLength: 120, size: "max" },
  )
  .map((ops) => {
    const l = new Ledger(["gold", "xp"]);
    for (const p of PLAYERS) l.openWallet(p, "gold");
    ops.forEach((o, i) => {
      // Grants larger than gifts and spends, so that most transfers commit and journals grow.
      const amount = o.kind === "grant" ? o.amount : 1 + (o.amount % 12);
      const base = { id: `op:${i}`, amount, unit: o.unit, reason: o.kind, tick: i };
      if (o.kind === "open")
        l.openAccount({ id: `${o.from}:${o.unit}:extra`, owner: o.from, unit: o.unit });
      else if (o.kind === "grant") {
        l.openWallet(o.to, o.unit);
        l.transfer({ ...base, debit: mintAccount(o.unit), credit: `${o.to}:${o.unit}` });
      } else if (o.kind === "gift")
        l.transfer({ ...base, debit: `${o.from}:${o.unit}`, credit: `${o.to}:${o.unit}` });
      else l.transfer({ ...base, debit: `${o.from}:${o.unit}`, credit: sinkAccount(o.unit) });
    });
    // Plain values, so that a counterexample prints as a journal rather than a ledger's insides.
    return {
      journal: l.journal.map((e) => ({ ...e })) as JournalEntry[],
      accounts: l.listAccounts().map((a) => ({ ...a })),
      digest: l.digest(),
    };
  });

/** Ways to tamper with a journal: each keeps or recomputes the hashes, as a forger might. */
const tamperArb = fc.record({
  how: fc.constantFrom(
    "none",
    "amount",
    "amount_rehashed",
    "drop",
    "swap",
    "duplicate_id",
    "reopen",
    "unknown_account",
    "seq",
    "truncate",
  ),
  at: fc.nat(),
  by: fc.integer({ min: 1, max: 1000 }),
});

function tamper(
  journal: readonly JournalEntry[],
  t: { how: string; at: number; by: number },
): JournalEntry[] {
  const j = [...journal];
  if (j.length === 0) return j;
  const i = t.at % j.length;
  const e = j[i] as JournalEntry;
  const transfers = j.flatMap((x, k) => (x.kind === "transfer" ? [k] : []));
  const ti = transfers.length === 0 ? undefined : (transfers[t.at % transfers.length] as number);
  const tr = ti === undefined ? undefined : (j[ti] as JournalEntry & { kind: "transfer" });
  switch (t.how) {
    case "amount":
      if (tr !== undefined && ti !== undefined) j[ti] = { ...tr, amount: tr.amount + t.by };
      return j;
    case "amount_rehashed":
      if (tr !== undefined && ti !== undefined) j[ti] = { ...tr, amount: tr.amount + t.by };
      return rehash(j, ti ?? 0);
    case "drop":
      return rehash(renumber(j.filter((_, k) => k !== i)), i);
    case "swap":
      if (i + 1 < j.length) [j[i], j[i + 1]] = [j[i + 1] as JournalEntry, e];
      return t.by % 2 === 0 ? j : rehash(renumber(j), i);
    case "duplicate_id": {
      // The same transfer again, anywhere after the first: value paid twice.
      if (tr === undefined || ti === undefined) return j;
      const at = ti + 1 + (t.by % (j.length - ti));
      return rehash(renumber([...j.slice(0, at), tr, ...j.slice(at)]), at);
    }
    case "reopen":
      return e.kind === "account" ? rehash([...j, { ...e, seq: j.length }], j.length) : j;
    case "unknown_account":
      if (tr !== undefined && ti !== undefined) j[ti] = { ...tr, credit: "nobody:gold" };
      return rehash(j, ti ?? 0);
    case "seq":
      j[i] = { ...e, seq: e.seq + t.by };
      return j;
    case "truncate":
      return j.slice(0, i);
    default:
      return j;
  }
}

/** Held balances to compare with: the ledger's, or the ledger's with one account edited. */
function heldOf(accounts: readonly Account[], edit: number | undefined): Map<string, Balance> {
  const held = new Map<string, Balance>();
  accounts.forEach((a, k) => {
    const b = { debits: a.debits, credits: a.credits, balance: a.credits - a.debits };
    held.set(
      a.id,
      edit !== undefined && k === edit % accounts.length ? { ...b, credits: b.credits + 1 } : b,
    );
  });
  return held;
}

describe("JournalVerifier", () => {
  it("gives the reference's report for any journal, pushed in any pages, however tampered with", () => {
    let found = 0;
    const runs = 400;
    fc.assert(
      fc.property(
        journalArb,
        tamperArb,
        fc.option(fc.nat(), { nil: undefined }),
        fc.boolean(),
        (ledger, t, editHeld, compareHeld) => {
          const journal = tamper(ledger.journal, t);
          const held = compareHeld ? heldOf(ledger.accounts, editHeld) : undefined;
          const expected = referenceVerify(journal, held);
          expect(verifyJournal(journal, held)).toEqual(expected);
          // Entry by entry, past the first problem too: the report does not change.
          const streaming = new JournalVerifier();
          for (const e of journal) streaming.push(e);
          expect(streaming.finish(held)).toEqual(expected);
          expect(streaming.size).toBe(journal.length);
          if (!expected.ok) found++;
        },
      ),
      { numRuns: runs },
    );
    // The generators are only worth something if most journals they make are broken somehow.
    expect(found).toBeGreaterThan(runs / 3);
  });

  it("gives each unit's minted, sunk and held, and the journal's digest as stored", () => {
    fc.assert(
      fc.property(journalArb, (ledger) => {
        const v = new JournalVerifier();
        for (const e of ledger.journal) v.push(e);
        const byId = new Map(ledger.accounts.map((a) => [a.id, a]));
        const balance = (id: string) => {
          const a = byId.get(id);
          return a === undefined ? 0 : a.credits - a.debits;
        };
        const report = v.finish(heldOf(ledger.accounts, undefined));
        expect(report).toEqual({
          ok: true,
          digest: ledger.digest,
          accounts: ledger.accounts.length,
          transfers: ledger.journal.filter((e) => e.kind === "transfer").length,
        });
        expect(v.storedDigest()).toEqual(ledger.digest);
        for (const u of v.units()) {
          const mint = balance(mintAccount(u.unit));
          const sink = balance(sinkAccount(u.unit));
          const wallets = ledger.accounts
            .filter((a) => a.unit === u.unit && a.owner !== "system")
            .reduce((s, a) => s + a.credits - a.debits, 0);
          expect(u).toMatchObject({ minted: 0 - mint, sunk: sink, held: wallets, sum: 0 });
          // Conservation: what is held is what was minted less what was sunk.
          expect(u.held).toBe(u.minted - u.sunk);
        }
        expect(v.units().map((u) => u.unit)).toEqual(
          [...new Set(ledger.accounts.map((a) => a.unit))].sort(),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("reads on past a problem: balances and the digest of the journal as stored", () => {
    const l = new Ledger(["gold"]);
    l.openWallet("p1", "gold");
    l.openWallet("p2", "gold");
    for (let i = 0; i < 10; i++)
      l.transfer({
        id: `g${i}`,
        debit: "mint:gold",
        credit: "p1:gold",
        amount: 5,
        unit: "gold",
        reason: "grant",
        tick: i,
      });
    l.transfer({
      id: "gift",
      debit: "p1:gold",
      credit: "p2:gold",
      amount: 7,
      unit: "gold",
      reason: "gift",
      tick: 10,
    });
    const journal = l.journal.map((e) =>
      e.kind === "transfer" && e.id === "g3" ? { ...e, amount: 500 } : e,
    );
    const v = new JournalVerifier();
    for (const e of journal) v.push(e);
    const report = v.finish();
    expect(report).toMatchObject({
      ok: false,
      problem: { kind: "hash_mismatch", seq: 7 },
      checked: 7,
    });
    expect(v.firstProblem).toEqual(report.ok ? undefined : report.problem);
    // The edit moved 495 more from the mint to p1: that is where a forger's change went.
    expect(v.balance("p1:gold")).toEqual({ debits: 7, credits: 545, balance: 538 });
    expect(v.balance("p2:gold")?.balance).toBe(7);
    expect(v.storedDigest()).toEqual({
      count: journal.length,
      head: (journal.at(-1) as JournalEntry).hash,
      root: merkleRoot(journal.map((e) => e.hash)),
    });
    expect(v.transfers).toBe(11);
    // A stored hash that is not a SHA-256 after the problem: no root, but no exception either.
    const broken = [
      ...journal,
      { ...(journal.at(-1) as JournalEntry), seq: journal.length, hash: "zz" },
    ];
    const w = new JournalVerifier();
    for (const e of broken) w.push(e);
    expect(w.storedDigest()).toMatchObject({ count: broken.length, head: "zz", root: undefined });
  });

  it("finds value parked in a system account that is neither mint nor sink: held != minted - sunk", () => {
    const l = new Ledger(["gold"]);
    l.openWallet("p1", "gold");
    l.openAccount({ id: "escrow:gold", owner: "system", unit: "gold" });
    l.transfer({
      id: "g",
      debit: "mint:gold",
      credit: "p1:gold",
      amount: 100,
      unit: "gold",
      reason: "grant",
      tick: 1,
    });
    l.transfer({
      id: "s",
      debit: "p1:gold",
      credit: "sink:gold",
      amount: 10,
      unit: "gold",
      reason: "spend",
      tick: 2,
    });
    l.transfer({
      id: "e",
      debit: "p1:gold",
      credit: "escrow:gold",
      amount: 30,
      unit: "gold",
      reason: "escrow",
      tick: 3,
    });
    const v = new JournalVerifier();
    for (const e of l.journal) v.push(e);
    expect(v.finish().ok).toBe(true); // a valid journal: every unit sums to zero
    expect(v.units()).toEqual([
      { unit: "gold", accounts: 4, minted: 100, sunk: 10, held: 60, sum: 0 },
    ]);
  });
});

// ─── the reference: the whole-array verifyJournal this verifier replaced, unchanged ─────────────
// Alike: src/ledger/verify.ts's JournalVerifier (the same checks and messages), kept as a copy of
// its own: the property tests compare the verifier with this independent answer.

function referenceVerify(
  journal: readonly JournalEntry[],
  held?: ReadonlyMap<string, Balance> | ((account: string) => Balance | undefined),
): VerifyReport {
  const accounts = new Map<string, Account>();
  const ids = new Map<string, number>();
  const merkle = new MerkleAccumulator();
  let prev = GENESIS;
  let prevBytes: Uint8Array = GENESIS_BYTES;
  let transfers = 0;
  const fail = (problem: VerifyProblem, checked: number): VerifyReport => ({
    ok: false,
    problem,
    checked,
  });

  for (let i = 0; i < journal.length; i++) {
    const e = journal[i] as JournalEntry;
    if (e.seq !== i)
      return fail(
        { kind: "broken_link", seq: i, detail: `entry ${e.seq} came where entry ${i} belongs` },
        i,
      );
    if (e.prev !== prev) {
      return fail(
        {
          kind: "broken_link",
          seq: i,
          detail: `prev ${e.prev} is not the hash of entry ${i - 1} (${prev})`,
        },
        i,
      );
    }
    const bytes =
      e.kind === "account"
        ? hashAccount(prevBytes, i, e.id, e.owner, e.unit, e.flags)
        : hashTransfer(prevBytes, i, e);
    if (!hexEquals(bytes, e.hash)) {
      return fail(
        {
          kind: "hash_mismatch",
          seq: i,
          detail: `fields hash to ${toHex(bytes)}, entry says ${e.hash}`,
        },
        i,
      );
    }
    if (e.kind === "account") {
      if (accounts.has(e.id))
        return fail({ kind: "invalid_entry", seq: i, detail: `account ${e.id} opened twice` }, i);
      accounts.set(e.id, {
        id: e.id,
        owner: e.owner,
        unit: e.unit,
        flags: e.flags,
        debits: 0,
        credits: 0,
      });
    } else {
      const dr = accounts.get(e.debit);
      const cr = accounts.get(e.credit);
      const bad = ids.has(e.id)
        ? `transfer id ${e.id} appears twice`
        : !dr || !cr
          ? `transfer ${e.id} names an account not opened before it`
          : dr.unit !== e.unit || cr.unit !== e.unit
            ? `transfer ${e.id} mixes units`
            : !(Number.isSafeInteger(e.amount) && e.amount > 0) || e.debit === e.credit
              ? `transfer ${e.id} has an invalid amount or the same account on both sides`
              : dr.flags.debitsMustNotExceedCredits && dr.debits + e.amount > dr.credits
                ? `transfer ${e.id} overdraws ${e.debit}`
                : cr.flags.creditsMustNotExceedDebits && cr.credits + e.amount > cr.debits
                  ? `transfer ${e.id} exceeds the debits of ${e.credit}`
                  : undefined;
      if (bad !== undefined || !dr || !cr)
        return fail({ kind: "invalid_entry", seq: i, detail: bad ?? "" }, i);
      dr.debits += e.amount;
      cr.credits += e.amount;
      ids.set(e.id, i);
      transfers++;
    }
    merkle.append(bytes);
    prev = e.hash;
    prevBytes = bytes;
  }

  const lookup =
    typeof held === "function" ? held : held ? (id: string) => held.get(id) : undefined;
  const sums = new Map<string, number>();
  for (const a of accounts.values()) {
    if (lookup) {
      const h = lookup(a.id);
      if (!h || h.debits !== a.debits || h.credits !== a.credits) {
        return fail(
          {
            kind: "balance_mismatch",
            account: a.id,
            detail: `journal gives debits ${a.debits}, credits ${a.credits}; held: ${h ? `debits ${h.debits}, credits ${h.credits}` : "none"}`,
          },
          journal.length,
        );
      }
    }
    sums.set(a.unit, (sums.get(a.unit) ?? 0) + (a.credits - a.debits));
  }
  for (const [unit, sum] of sums) {
    if (sum !== 0)
      return fail(
        { kind: "unit_not_balanced", unit, detail: `balances of ${unit} sum to ${sum}` },
        journal.length,
      );
  }
  return {
    ok: true,
    digest: { count: journal.length, head: prev, root: merkle.root() },
    accounts: accounts.size,
    transfers,
  };
}

describe("checkLink: one entry against the head before it", () => {
  it("holds for every entry of a journal from the head before it, and names what breaks", () => {
    fc.assert(
      fc.property(journalArb, fc.nat(), ({ journal }, at) => {
        if (journal.length === 0) return;
        const i = at % journal.length;
        const e = journal[i] as JournalEntry;
        const before = journal[i - 1];
        const head = before === undefined ? CHAIN_START : { seq: before.seq, hash: before.hash };
        const ok = checkLink(head, e);
        expect(ok.ok && toHex(ok.hash)).toBe(e.hash);
        expect(ownHashHolds(e)).toBe(true);
        // Misplaced, mislinked, edited: each gets the kind verifyJournal reports for it.
        const skipped = checkLink({ seq: head.seq - 1, hash: head.hash }, e);
        expect(skipped.ok ? undefined : skipped.problem.kind).toBe("broken_link");
        const relinked = checkLink({ seq: head.seq, hash: "f".repeat(64) }, e);
        expect(relinked.ok ? undefined : relinked.problem.kind).toBe("broken_link");
        const edited = { ...e, id: `${e.id}x` } as JournalEntry;
        const mismatch = checkLink(head, edited);
        expect(mismatch.ok ? undefined : mismatch.problem).toMatchObject({
          kind: "hash_mismatch",
          seq: e.seq,
        });
        expect(ownHashHolds(edited)).toBe(false);
        expect(ownHashHolds({ ...e, prev: "not hex" })).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});
