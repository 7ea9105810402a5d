import { hexEquals, toHex } from "../hash.js";
import { GENESIS, GENESIS_BYTES, hashAccount, hashTransfer } from "./encode.js";
import type { Balance, Digest } from "./ledger.js";
import { MerkleAccumulator } from "./merkle.js";
import type { Account, JournalEntry } from "./types.js";

/** What `verifyJournal` found wrong first. */
export type VerifyProblem =
  /** Entry `seq` is not at position `seq`, or its `prev` is not the previous entry's hash. */
  | { readonly kind: "broken_link"; readonly seq: number; readonly detail: string }
  /** Entry `seq`'s fields do not hash to its recorded hash: it was edited. */
  | { readonly kind: "hash_mismatch"; readonly seq: number; readonly detail: string }
  /** Entry `seq` could never have been committed (unknown account, overdraft, duplicate id...). */
  | { readonly kind: "invalid_entry"; readonly seq: number; readonly detail: string }
  /** A held balance disagrees with the one the journal gives. */
  | { readonly kind: "balance_mismatch"; readonly account: string; readonly detail: string }
  /** A unit's balances do not sum to zero. */
  | { readonly kind: "unit_not_balanced"; readonly unit: string; readonly detail: string };

export type VerifyReport =
  | {
      readonly ok: true;
      readonly digest: Digest;
      readonly accounts: number;
      readonly transfers: number;
    }
  | { readonly ok: false; readonly problem: VerifyProblem; readonly checked: number };

/**
 * Verifies a journal from scratch: every link and hash of the chain, that every entry could have
 * been committed (accounts exist, units match, flagged accounts stay within bounds, ids unique),
 * that the balances it implies equal `held` (when given), and that each unit sums to zero.
 * Reports the first problem; needs nothing but the entries (and the balances to compare).
 */
export function verifyJournal(
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
        { kind: "broken_link", seq: i, detail: `entry at position ${i} says seq ${e.seq}` },
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
