import { fromHex } from "../hash.js";
import { checkLink } from "./chain.js";
import { GENESIS, GENESIS_BYTES } from "./encode.js";
import { type Balance, type Digest, mintAccount, sinkAccount } from "./ledger.js";
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

/** Balances the journal is compared with: a map, or a lookup such as `(id) => ledger.balance(id)`. */
export type HeldBalances =
  | ReadonlyMap<string, Balance>
  | ((account: string) => Balance | undefined);

/**
 * One unit's figures as the journal gives them. Value enters a unit by transfers out of its
 * `mint:<unit>` account and leaves by transfers into its `sink:<unit>` account (ledger.ts), so:
 * `sum` = 0 (double entry) and `held` = `minted` - `sunk` (conservation), the second failing only
 * when value sits in a system account other than the mint and the sink.
 */
export interface UnitSupply {
  readonly unit: string;
  /** Accounts opened in the unit, system accounts included. */
  readonly accounts: number;
  /** Issued, net: the mint's debits - credits (0 without a mint); its balance is -minted. */
  readonly minted: number;
  /** Taken out, net: the sink's credits - debits (0 without a sink); its balance is +sunk. */
  readonly sunk: number;
  /** In circulation: the balances of the unit's accounts not owned by `system`, summed. */
  readonly held: number;
  /** Every balance of the unit (credits - debits), summed. */
  readonly sum: number;
}

/** A journal's digest as its entries are stored: count, last stored hash, root over them. */
export interface StoredDigest {
  readonly count: number;
  readonly head: string;
  /**
   * The Merkle root over the stored entry hashes; undefined when one of them (after the first
   * problem: the checks vouch for those before it) is not a SHA-256 hex, so there is no root.
   */
  readonly root: string | undefined;
}

/**
 * Verifies a journal entry by entry, without keeping the entries: push each in order, then
 * `finish()` gives exactly the report `verifyJournal` gives for the whole array (it is defined on
 * this class). A caller may read the journal in pages and drop each page once pushed.
 *
 * What it keeps, and so its memory bound: one record per account (id, owner, unit, flags and
 * totals), one string per transfer id while the checks pass, and O(log n) Merkle peaks. Transfer
 * ids are the part that grows with the journal, at the length of an id apiece rather than the
 * size of an entry. They cannot be dropped: the ledger itself recognises ids only since its last
 * checkpoint and relies on ids that cannot recur (the runtime's carry the tick), and it is the
 * verifier's job to check that this held; telling whether n arbitrary strings are all different in
 * one pass needs memory that grows with n. Once a problem is found the ids are released: the
 * checks stop there.
 *
 * After the first problem the verifier keeps reading as an auditor would: every later entry is
 * applied to the totals as far as its accounts exist (unchecked), and the stored hashes go into
 * the stored digest, so `balance`, `accountTotals`, `units` and `storedDigest` describe the journal
 * as stored, which says where an edit went (the balances that differ from the projections).
 */
export class JournalVerifier {
  private readonly byId = new Map<string, Account>();
  private ids: Set<string> | undefined = new Set<string>();
  private readonly merkle = new MerkleAccumulator();
  private prev = GENESIS;
  private prevBytes: Uint8Array = GENESIS_BYTES;
  private count = 0;
  private checkedTransfers = 0;
  private transferEntries = 0;
  private problem: VerifyProblem | undefined;
  private failedAt = 0;
  private storedRoot = true;

  /** Entries pushed. */
  get size(): number {
    return this.count;
  }

  /** Transfer entries pushed (checked or not). */
  get transfers(): number {
    return this.transferEntries;
  }

  /** Accounts opened by the entries pushed. */
  get accounts(): number {
    return this.byId.size;
  }

  /** The first problem of the entries pushed so far, if any (balances and unit sums come at `finish`). */
  get firstProblem(): VerifyProblem | undefined {
    return this.problem;
  }

  /** Adds the next entry of the journal (its position is the number pushed before it). */
  push(e: JournalEntry): void {
    const i = this.count++;
    if (e.kind === "transfer") this.transferEntries++;
    if (this.problem === undefined) {
      const bytes = this.check(e, i);
      if (bytes !== undefined) {
        this.merkle.append(bytes);
        this.prev = e.hash;
        this.prevBytes = bytes;
        return;
      }
      this.failedAt = i;
      this.ids = undefined;
    }
    this.fold(e);
    this.appendStored(e.hash);
    this.prev = e.hash;
  }

  /**
   * The report for the entries pushed so far (it may be called again after more are pushed): the
   * first problem, else whether the balances equal `held` (when given) and each unit sums to zero.
   */
  finish(held?: HeldBalances): VerifyReport {
    if (this.problem !== undefined)
      return { ok: false, problem: this.problem, checked: this.failedAt };
    const lookup =
      typeof held === "function" ? held : held ? (id: string) => held.get(id) : undefined;
    const sums = new Map<string, number>();
    for (const a of this.byId.values()) {
      if (lookup) {
        const h = lookup(a.id);
        if (!h || h.debits !== a.debits || h.credits !== a.credits) {
          return {
            ok: false,
            problem: {
              kind: "balance_mismatch",
              account: a.id,
              detail: `journal gives debits ${a.debits}, credits ${a.credits}; held: ${h ? `debits ${h.debits}, credits ${h.credits}` : "none"}`,
            },
            checked: this.count,
          };
        }
      }
      sums.set(a.unit, (sums.get(a.unit) ?? 0) + (a.credits - a.debits));
    }
    for (const [unit, sum] of sums) {
      if (sum !== 0)
        return {
          ok: false,
          problem: { kind: "unit_not_balanced", unit, detail: `balances of ${unit} sum to ${sum}` },
          checked: this.count,
        };
    }
    return {
      ok: true,
      digest: { count: this.count, head: this.prev, root: this.merkle.root() },
      accounts: this.byId.size,
      transfers: this.checkedTransfers,
    };
  }

  /** An account's totals as the journal gives them (see the class comment after a problem). */
  balance(id: string): Balance | undefined {
    const a = this.byId.get(id);
    return a === undefined
      ? undefined
      : { debits: a.debits, credits: a.credits, balance: a.credits - a.debits };
  }

  /** Every account with its totals, in the order they were opened. Do not modify them. */
  accountTotals(): IterableIterator<Readonly<Account>> {
    return this.byId.values();
  }

  /** Per unit, sorted by unit: what was minted, sunk and is held (see `UnitSupply`). */
  units(): UnitSupply[] {
    const units = new Map<
      string,
      { accounts: number; minted: number; sunk: number; held: number; sum: number }
    >();
    for (const a of this.byId.values()) {
      const u = units.get(a.unit) ?? { accounts: 0, minted: 0, sunk: 0, held: 0, sum: 0 };
      const balance = a.credits - a.debits;
      u.accounts++;
      u.sum += balance;
      if (a.id === mintAccount(a.unit)) u.minted -= balance;
      else if (a.id === sinkAccount(a.unit)) u.sunk += balance;
      else if (a.owner !== "system") u.held += balance;
      units.set(a.unit, u);
    }
    return [...units]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([unit, u]) => ({ unit, ...u }));
  }

  /**
   * The digest of the entries as stored. Equal to the report's digest when every entry verified;
   * after a problem it still says whether the stored journal is the one a digest commits to.
   */
  storedDigest(): StoredDigest {
    return {
      count: this.count,
      head: this.prev,
      root: this.storedRoot ? this.merkle.root() : undefined,
    };
  }

  /** The checks of entry `i`: its computed hash if it could have been committed, else undefined. */
  private check(e: JournalEntry, i: number): Uint8Array | undefined {
    const fail = (problem: VerifyProblem): undefined => {
      this.problem = problem;
      return undefined;
    };
    // Position i is entry i: the head before it is entry i - 1, whose hash is `prev`.
    const link = checkLink({ seq: i - 1, hash: this.prev }, e, this.prevBytes);
    if (!link.ok) return fail(link.problem);
    const bytes = link.hash;
    if (e.kind === "account") {
      if (this.byId.has(e.id))
        return fail({ kind: "invalid_entry", seq: i, detail: `account ${e.id} opened twice` });
      this.open(e);
      return bytes;
    }
    const ids = this.ids as Set<string>;
    const dr = this.byId.get(e.debit);
    const cr = this.byId.get(e.credit);
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
      return fail({ kind: "invalid_entry", seq: i, detail: bad ?? "" });
    dr.debits += e.amount;
    cr.credits += e.amount;
    ids.add(e.id);
    this.checkedTransfers++;
    return bytes;
  }

  /** Opens an account with nothing in it. */
  private open(e: Extract<JournalEntry, { kind: "account" }>): void {
    this.byId.set(e.id, {
      id: e.id,
      owner: e.owner,
      unit: e.unit,
      flags: e.flags,
      debits: 0,
      credits: 0,
    });
  }

  /** Applies an entry without checking it (after the first problem). */
  private fold(e: JournalEntry): void {
    if (e.kind === "account") {
      if (!this.byId.has(e.id)) this.open(e);
      return;
    }
    const dr = this.byId.get(e.debit);
    const cr = this.byId.get(e.credit);
    if (dr !== undefined) dr.debits += e.amount;
    if (cr !== undefined) cr.credits += e.amount;
  }

  private appendStored(hash: string): void {
    if (!this.storedRoot) return;
    let bytes: Uint8Array | undefined;
    try {
      bytes = typeof hash === "string" && hash.length === 64 ? fromHex(hash) : undefined;
    } catch {
      bytes = undefined;
    }
    if (bytes === undefined) this.storedRoot = false;
    else this.merkle.append(bytes);
  }
}

/**
 * Verifies a journal from scratch: every link and hash of the chain, that every entry could have
 * been committed (accounts exist, units match, flagged accounts stay within bounds, ids unique),
 * that the balances it implies equal `held` (when given), and that each unit sums to zero.
 * Reports the first problem; needs nothing but the entries (and the balances to compare). The
 * same checks as pushing every entry through a `JournalVerifier`, which is what it does.
 */
export function verifyJournal(journal: readonly JournalEntry[], held?: HeldBalances): VerifyReport {
  const verifier = new JournalVerifier();
  for (const e of journal) {
    verifier.push(e);
    // Nothing after the first problem changes the report: stop reading, as a whole-array check may.
    if (verifier.firstProblem !== undefined) break;
  }
  return verifier.finish(held);
}
