/**
 * Verify a world's ledger: the journal from its first entry (chain, hashes, every entry
 * re-applied, each unit summing to zero and conserving value: held = minted - sunk), the journal
 * against the digest the world item commits to, and every balance projection in the entity store
 * against the balance the journal gives.
 *
 * Findings are values in the report, never exceptions: an operator wants every problem found in
 * one pass, with the seq or account to look at. Exceptions are left for what stops the check
 * itself (no such world, a storage failure).
 *
 * Memory is bounded by the world's accounts and transfer ids, not its entries: the journal is
 * read in pages and each page goes through the engine's `JournalVerifier` and is dropped (see its
 * comment for the bound). The projections are read a few at a time.
 *
 * It may run beside a live game loop. The world item is read once, first, and the journal is
 * append-only, so everything up to the world's ledger count is stable. Projections are another
 * matter: a batch writes its balances just before it commits, so a projection can be a version
 * ahead of the world item read at the start; such a projection is checked against the journal
 * as of the batch that wrote it (its record names its ledger range).
 */
import { type JournalEntry, JournalVerifier, type StoredDigest } from "@ledgerquest/engine";
import { NotFoundError } from "../errors.js";
import type { WorldRecord } from "../ports/entity-store.js";
import type { RuntimeDeps } from "./deps.js";

/** What verification needs of the runtime's dependencies. */
export type VerifyDeps = Pick<RuntimeDeps, "store" | "journal">;

/** Journal entries read per call: bounded memory per round trip, few round trips. */
export const VERIFY_PAGE_ENTRIES = 1000;
/** Projection reads in flight at once: fast, without tripping a table's read limit. */
const PROJECTION_READS_IN_FLIGHT = 16;

export interface LedgerTotals {
  readonly debits: number;
  readonly credits: number;
  /** credits - debits. */
  readonly balance: number;
}

export type VerifyWorldProblem =
  /** The chain is broken at `seq`: a dropped, inserted or reordered entry. */
  | { readonly kind: "broken_link"; readonly seq: number; readonly detail: string }
  /** Entry `seq`'s fields do not hash to its recorded hash: it was edited. */
  | { readonly kind: "hash_mismatch"; readonly seq: number; readonly detail: string }
  /** Entry `seq` could never have been committed (unknown account, overdraft, reused id...). */
  | { readonly kind: "invalid_entry"; readonly seq: number; readonly detail: string }
  /** A unit's balances do not sum to zero. */
  | { readonly kind: "unit_not_balanced"; readonly unit: string; readonly detail: string }
  /**
   * A unit does not conserve value: what accounts outside the system hold differs from what its
   * mint issued less what its sink took out (value sits in another system account, or the unit
   * does not sum to zero).
   */
  | {
      readonly kind: "supply_mismatch";
      readonly unit: string;
      readonly minted: number;
      readonly sunk: number;
      readonly held: number;
      readonly detail: string;
    }
  /** The journal ends before the world's ledger count: entries from `seq` on are missing. */
  | { readonly kind: "journal_short"; readonly seq: number; readonly detail: string }
  /** The journal's count, head or Merkle root differs from the world item's `ledger` digest. */
  | {
      readonly kind: "digest_mismatch";
      readonly field: "count" | "head" | "root";
      /** What the world item says. */
      readonly expected: string;
      /** What the journal gives. */
      readonly actual: string;
      readonly detail: string;
    }
  /** An account's balance in the entity store differs from the one the journal gives. */
  | {
      readonly kind: "projection_mismatch";
      readonly account: string;
      /** The world version the projection was written at. */
      readonly version: number;
      /** What the journal gives. */
      readonly expected: LedgerTotals;
      /** What the entity store holds. */
      readonly actual: LedgerTotals;
      readonly detail: string;
    }
  /** The journal opened this account but the entity store has no balance for it. */
  | { readonly kind: "projection_missing"; readonly account: string; readonly detail: string }
  /** A projection was written at a version no batch record accounts for. */
  | {
      readonly kind: "projection_ahead";
      readonly account: string;
      readonly version: number;
      readonly detail: string;
    };

export type VerifyWorldProblemKind = VerifyWorldProblem["kind"];

/** A unit's figures as the journal gives them (the engine's `UnitSupply`, without the sum). */
export interface UnitSummary {
  readonly unit: string;
  /** Accounts opened in the unit, its mint and sink included. */
  readonly accounts: number;
  /** Issued through `mint:<unit>`, net of what went back into it: -(the mint's balance). */
  readonly minted: number;
  /** Taken out through `sink:<unit>`, net: the sink's balance. */
  readonly sunk: number;
  /** In circulation: the balances of accounts not owned by `system`; `minted - sunk` when conserved. */
  readonly held: number;
}

export interface VerifyWorldReport {
  readonly ok: boolean;
  readonly worldId: string;
  readonly version: number;
  readonly tick: number;
  /** The world item's digest, which the journal was checked against. */
  readonly digest: { readonly count: number; readonly head: string; readonly root: string };
  /** Journal entries read (the world's count, unless the journal is short). */
  readonly entries: number;
  readonly accounts: number;
  readonly transfers: number;
  readonly units: readonly UnitSummary[];
  /** Account projections read and compared. */
  readonly projectionsChecked: number;
  /**
   * Everything found. The journal check itself reports its first problem only (after a broken
   * chain nothing later can be trusted); digest and projection problems are all listed.
   */
  readonly problems: readonly VerifyWorldProblem[];
  readonly timing: {
    readonly journalMs: number;
    readonly projectionsMs: number;
    readonly totalMs: number;
  };
}

export interface VerifyProgress {
  readonly phase: "journal" | "projections";
  readonly done: number;
  readonly total: number;
}

export interface VerifyWorldOptions {
  /** Entries per journal read. Default `VERIFY_PAGE_ENTRIES`. */
  readonly pageEntries?: number;
  readonly onProgress?: (progress: VerifyProgress) => void;
  /**
   * The world item to check against instead of the store's: restore verifies what it wrote
   * before it creates the world item (until then the world does not exist). Its id must be
   * `worldId`.
   */
  readonly world?: WorldRecord;
}

/**
 * Pushes the world's journal through a verifier page by page (each page dropped once pushed: the
 * verifier keeps accounts and transfer ids, not entries), and notes a journal that ends early.
 * Past a problem the verifier goes on folding the entries as stored, so that projections are
 * still compared when the chain is broken: which balances disagree says where an edit went.
 */
async function readJournal(
  deps: VerifyDeps,
  worldId: string,
  count: number,
  page: number,
  options: VerifyWorldOptions,
  problems: VerifyWorldProblem[],
): Promise<JournalVerifier> {
  const journal = new JournalVerifier();
  while (journal.size < count) {
    const from = journal.size;
    const got = await deps.journal.readEntries(worldId, from, Math.min(from + page, count));
    for (const e of got) journal.push(e);
    options.onProgress?.({ phase: "journal", done: journal.size, total: count });
    // The port stops at a hole: whatever is missing, nothing after it can be read.
    if (got.length < Math.min(page, count - from)) break;
  }
  if (journal.size < count) {
    problems.push({
      kind: "journal_short",
      seq: journal.size,
      detail: `the world's ledger has ${count} entries; the journal ends after ${journal.size}`,
    });
  }

  return journal;
}

/**
 * Compares every account's projection with the journal's totals; the ones written at a later
 * version than the world's (a batch committing meanwhile) are returned for `checkAhead`.
 */
async function compareProjections(
  deps: VerifyDeps,
  world: WorldRecord,
  journal: JournalVerifier,
  options: VerifyWorldOptions,
  problems: VerifyWorldProblem[],
): Promise<{
  ahead: { account: string; version: number; held: LedgerTotals }[];
  projectionsChecked: number;
}> {
  const worldId = world.worldId;
  const accountIds = [...journal.accountTotals()].map((a) => a.id).sort();
  const ahead: { account: string; version: number; held: LedgerTotals }[] = [];
  let projectionsChecked = 0;
  for (let i = 0; i < accountIds.length; i += PROJECTION_READS_IN_FLIGHT) {
    const ids = accountIds.slice(i, i + PROJECTION_READS_IN_FLIGHT);
    const got = await Promise.all(ids.map((id) => deps.store.getAccount(worldId, id)));
    ids.forEach((id, j) => {
      const projection = got[j];
      if (projection === undefined) {
        problems.push({
          kind: "projection_missing",
          account: id,
          detail: `the journal opened ${id}; the entity store has no balance for it`,
        });
        return;
      }
      projectionsChecked++;
      if (projection.version > world.version) {
        ahead.push({ account: id, version: projection.version, held: projection });
        return;
      }
      const problem = compareProjection(id, projection.version, journal.balance(id), projection);
      if (problem !== undefined) problems.push(problem);
    });
    options.onProgress?.({
      phase: "projections",
      done: Math.min(i + ids.length, accountIds.length),
      total: accountIds.length,
    });
  }
  return { ahead, projectionsChecked };
}

interface Held {
  debits: number;
  credits: number;
}

export async function verifyWorld(
  deps: VerifyDeps,
  worldId: string,
  options: VerifyWorldOptions = {},
): Promise<VerifyWorldReport> {
  const page = options.pageEntries ?? VERIFY_PAGE_ENTRIES;
  if (!Number.isSafeInteger(page) || page < 1)
    throw new RangeError(`pageEntries must be a positive integer, got ${page}`);
  if (options.world !== undefined && options.world.worldId !== worldId)
    throw new RangeError(`the world item given is ${options.world.worldId}'s, not ${worldId}'s`);
  const startMs = performance.now();
  const world = options.world ?? (await deps.store.getWorld(worldId));
  if (world === undefined) throw new NotFoundError("world", worldId);
  const { count } = world.ledger;
  const problems: VerifyWorldProblem[] = [];

  const journal = await readJournal(deps, worldId, count, page, options, problems);

  const checked = journal.finish();
  if (!checked.ok && checked.problem.kind !== "balance_mismatch") problems.push(checked.problem);
  problems.push(...digestProblems(world.ledger, journal.storedDigest()));
  const units = journal.units();
  problems.push(...supplyProblems(units));
  const journalDoneMs = performance.now();

  const { ahead, projectionsChecked } = await compareProjections(
    deps,
    world,
    journal,
    options,
    problems,
  );
  if (ahead.length > 0) problems.push(...(await checkAhead(deps, worldId, journal, ahead)));
  const endMs = performance.now();

  return {
    ok: problems.length === 0,
    worldId,
    version: world.version,
    tick: world.tick,
    digest: world.ledger,
    entries: journal.size,
    accounts: journal.accounts,
    transfers: journal.transfers,
    units: units.map(({ unit, accounts, minted, sunk, held }) => ({
      unit,
      accounts,
      minted,
      sunk,
      held,
    })),
    projectionsChecked,
    problems,
    timing: {
      journalMs: journalDoneMs - startMs,
      projectionsMs: endMs - journalDoneMs,
      totalMs: endMs - startMs,
    },
  };
}

function digestProblems(
  expected: { readonly count: number; readonly head: string; readonly root: string },
  // A broken chain has no verified root, but the root over the stored hashes still says whether
  // the journal is the one the world committed to.
  stored: StoredDigest,
): VerifyWorldProblem[] {
  const out: VerifyWorldProblem[] = [];
  const compare = (field: "count" | "head" | "root", want: string, got: string) => {
    if (want !== got)
      out.push({
        kind: "digest_mismatch",
        field,
        expected: want,
        actual: got,
        detail: `the world item's ledger ${field} is ${want}; the journal's is ${got}`,
      });
  };
  compare("count", String(expected.count), String(stored.count));
  compare("head", expected.head, stored.head);
  compare("root", expected.root, stored.root ?? "none (a stored entry hash is not a SHA-256)");
  return out;
}

/** Units where held != minted - sunk (conservation; see `UnitSummary`). */
export function supplyProblems(
  units: readonly {
    readonly unit: string;
    readonly minted: number;
    readonly sunk: number;
    readonly held: number;
    readonly sum: number;
  }[],
): VerifyWorldProblem[] {
  const out: VerifyWorldProblem[] = [];
  for (const { unit, minted, sunk, held, sum } of units) {
    if (held === minted - sunk) continue;
    const elsewhere = minted - sunk - held + sum;
    out.push({
      kind: "supply_mismatch",
      unit,
      minted,
      sunk,
      held,
      detail: `${unit}: accounts outside the system hold ${held}; minted ${minted} - sunk ${sunk} is ${minted - sunk}${elsewhere === 0 ? "" : `; other system accounts hold ${elsewhere}`}${sum === 0 ? "" : `; the unit's balances sum to ${sum}`}`,
    });
  }
  return out;
}

function totalsOf(a: { readonly debits: number; readonly credits: number }): LedgerTotals {
  return { debits: a.debits, credits: a.credits, balance: a.credits - a.debits };
}

function compareProjection(
  account: string,
  version: number,
  journal: { readonly debits: number; readonly credits: number } | undefined,
  held: LedgerTotals,
): VerifyWorldProblem | undefined {
  const expected = totalsOf(journal ?? { debits: 0, credits: 0 });
  if (
    held.debits === expected.debits &&
    held.credits === expected.credits &&
    held.balance === expected.balance
  )
    return undefined;
  return {
    kind: "projection_mismatch",
    account,
    version,
    expected,
    actual: { debits: held.debits, credits: held.credits, balance: held.balance },
    detail: `the journal gives ${account} a balance of ${expected.balance} (debits ${expected.debits}, credits ${expected.credits}); the entity store holds ${held.balance} (debits ${held.debits}, credits ${held.credits}) at version ${version}`,
  };
}

/**
 * Checks projections written by batches the world item did not show yet (they committed while
 * this ran, or are about to): each against the journal up to the end of its batch's range.
 */
async function checkAhead(
  deps: VerifyDeps,
  worldId: string,
  base: JournalVerifier,
  ahead: readonly { account: string; version: number; held: LedgerTotals }[],
): Promise<VerifyWorldProblem[]> {
  const problems: VerifyWorldProblem[] = [];
  const versions = [...new Set(ahead.map((a) => a.version))].sort((a, b) => a - b);
  // Only the accounts written ahead are followed past the world's count: O(those), not O(all).
  const running = new Map<string, Held>();
  for (const a of ahead) {
    const b = base.balance(a.account);
    running.set(a.account, { debits: b?.debits ?? 0, credits: b?.credits ?? 0 });
  }
  let seq = base.size;
  for (const version of versions) {
    const record = await deps.journal.getBatch(worldId, version);
    const mine = ahead.filter((a) => a.version === version);
    if (record === undefined) {
      for (const a of mine)
        problems.push({
          kind: "projection_ahead",
          account: a.account,
          version,
          detail: `${a.account} was written at version ${version}, past the world's, and no batch record for that version exists`,
        });
      continue;
    }
    if (seq < record.ledgerToSeq) {
      fold(running, await deps.journal.readEntries(worldId, seq, record.ledgerToSeq));
      seq = record.ledgerToSeq;
    }
    for (const a of mine) {
      const problem = compareProjection(a.account, version, running.get(a.account), a.held);
      if (problem !== undefined) problems.push(problem);
    }
  }
  return problems;
}

/** Adds the transfers of `entries` to the accounts followed in `into` (unchecked). */
function fold(into: Map<string, Held>, entries: readonly JournalEntry[]): void {
  for (const e of entries) {
    if (e.kind !== "transfer") continue;
    const dr = into.get(e.debit);
    const cr = into.get(e.credit);
    if (dr !== undefined) dr.debits += e.amount;
    if (cr !== undefined) cr.credits += e.amount;
  }
}
