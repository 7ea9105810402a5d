import { LedgerCheckpointError, LedgerReplayError } from "../errors.js";
import { fromHex, toHex } from "../hash.js";
import { GENESIS, GENESIS_BYTES, hashAccount, hashTransfer } from "./encode.js";
import {
  type InclusionProof,
  MerkleAccumulator,
  type MerkleState,
  proveInclusion,
} from "./merkle.js";
import type {
  Account,
  AccountEntry,
  AccountFlags,
  AccountInput,
  AccountResult,
  JournalEntry,
  TransferEntry,
  TransferFields,
  TransferInput,
  TransferMeta,
  TransferResult,
} from "./types.js";

/** Account ids, owners: letters, digits and `_ : . -`, 1 to 128 characters. */
const ID = /^[A-Za-z0-9_:.-]{1,128}$/;
/** Units: lowercase, starting with a letter; `.` allowed for namespaces (`item.sword`). */
const UNIT = /^[a-z][a-z0-9_.]{0,63}$/;
const REASON = /^[a-z][a-z0-9_.]{0,63}$/;
const META_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;
const META_MAX_KEYS = 16;
const META_MAX_STRING = 256;

const EMPTY_META: TransferMeta = Object.freeze({});

/** Ids of a unit's system accounts: value enters the world from `mint`, and leaves into `sink`. */
export function mintAccount(unit: string): string {
  return `mint:${unit}`;
}

export function sinkAccount(unit: string): string {
  return `sink:${unit}`;
}

/** The conventional wallet id of an owner for a unit: `player_0001:gold`. */
export function walletAccount(owner: string, unit: string): string {
  return `${owner}:${unit}`;
}

export interface Digest {
  /** Entries in the journal. */
  readonly count: number;
  /** Hash of the last entry (the chain's head); 64 zeros when empty. */
  readonly head: string;
  /** RFC 6962 Merkle root over the entry hashes. */
  readonly root: string;
}

/**
 * A ledger's state without its journal: the accounts with their balances, the entry count, the
 * chain head and the Merkle accumulator. A runtime stores this beside a world and the journal
 * entries elsewhere (append-only), and continues the ledger from it, so a tick batch never has
 * to read the whole history. See `Ledger.checkpoint` for what a continued ledger can and cannot do.
 */
export interface LedgerCheckpoint {
  readonly format: 1;
  /** Journal entries before the checkpoint. */
  readonly count: number;
  /** Hash of entry `count - 1` (GENESIS for an empty journal). */
  readonly head: string;
  readonly merkle: MerkleState;
  /** Every account, in the order they were opened, with its totals. */
  readonly accounts: readonly Account[];
}

export interface Balance {
  readonly debits: number;
  readonly credits: number;
  /** credits - debits. */
  readonly balance: number;
}

function normalizeFlags(flags: AccountFlags | undefined): Required<AccountFlags> {
  return {
    debitsMustNotExceedCredits: flags?.debitsMustNotExceedCredits === true,
    creditsMustNotExceedDebits: flags?.creditsMustNotExceedDebits === true,
  };
}

function validMeta(meta: unknown): meta is TransferMeta {
  if (meta === undefined) return true;
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) return false;
  const keys = Object.keys(meta);
  if (keys.length > META_MAX_KEYS) return false;
  for (const key of keys) {
    if (!META_KEY.test(key)) return false;
    const v = (meta as Record<string, unknown>)[key];
    if (typeof v === "string") {
      if (v.length > META_MAX_STRING) return false;
    } else if (typeof v === "number") {
      if (!Number.isFinite(v)) return false;
    } else if (typeof v !== "boolean") {
      return false;
    }
  }
  return true;
}

function sameMeta(a: TransferMeta, b: TransferMeta | undefined): boolean {
  const bb = b ?? {};
  const ka = Object.keys(a);
  const kb = Object.keys(bb);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!Object.is(a[k], bb[k])) return false;
  return true;
}

/** The checks of one transfer that need no ledger state, in precedence order. */
function validateFields(t: TransferInput): TransferResult | undefined {
  if (typeof t !== "object" || t === null) return "id_invalid";
  if (typeof t.id !== "string" || !ID.test(t.id)) return "id_invalid";
  if (typeof t.unit !== "string" || !UNIT.test(t.unit)) return "unit_invalid";
  if (typeof t.reason !== "string" || !REASON.test(t.reason)) return "reason_invalid";
  if (typeof t.amount !== "number" || !(t.amount > 0)) return "amount_must_be_positive";
  if (!Number.isSafeInteger(t.amount)) return "amount_must_be_safe_integer";
  if (!Number.isSafeInteger(t.tick) || t.tick < 0) return "tick_invalid";
  if (!validMeta(t.meta)) return "meta_invalid";
  if (typeof t.debit !== "string" || typeof t.credit !== "string") return "id_invalid";
  if (t.debit === t.credit) return "accounts_must_be_different";
  return undefined;
}

/**
 * The ledger: accounts, balances and the append-only, hash-chained journal they derive from.
 *
 * Every change of value is a transfer from one account to another of the same unit, so each unit's
 * balances always sum to zero; value enters through the unit's `mint` account and leaves through
 * its `sink`. Results are values, never exceptions (see `TransferResult`); a failed transfer
 * changes nothing. Transfers are exactly-once: a transfer whose id is already in the journal with
 * the same fields is `exists` and a no-op, so any retry is safe.
 *
 * The ledger is deterministic and pure: the same calls give the same journal and hashes anywhere.
 */
export class Ledger {
  private readonly accounts = new Map<string, Account>();

  // The journal is stored in columns, not as an object per entry: appending a transfer then
  // allocates nothing that lives on (objects kept per entry made the garbage collector half the
  // cost of an append). Entries become objects only when someone reads the journal. The columns
  // below are alike (one array per field) for that reason.
  private count = 0;
  /** Entries before this seq were checkpointed away: they are not held here (0 for a full ledger). */
  private base = 0;
  /** Per entry since `base`: its transfer row (>= 0), or -1 - its index in `accountEntries`. */
  private readonly rowOf: number[] = [];
  private readonly accountEntries: AccountEntry[] = [];
  private readonly tSeq: number[] = [];
  private readonly tId: string[] = [];
  private readonly tDebit: string[] = [];
  private readonly tCredit: string[] = [];
  private readonly tAmount: number[] = [];
  private readonly tUnit: string[] = [];
  private readonly tReason: string[] = [];
  private readonly tTick: number[] = [];
  private readonly tMeta: TransferMeta[] = [];
  private readonly tLinked: boolean[] = [];
  /** Transfer id → row. */
  private readonly transferRow = new Map<string, number>();
  /** Hashes of the entries since `base`, packed 32 bytes apiece. */
  private leaves = new Uint8Array(32 * 1024);
  private headBytes: Uint8Array = GENESIS_BYTES;
  /** Entries since `base` as objects, built on first read of `journal`, oldest first. */
  private readonly materialized: JournalEntry[] = [];
  /** Folded lazily, on `digest()`: appending costs one hash, not two. */
  private merkle = new MerkleAccumulator();

  /** Opens the `mint` and `sink` accounts of each unit. */
  constructor(units: readonly string[] = []) {
    for (const unit of units) this.declareUnit(unit);
  }

  /** Opens the unit's `mint` and `sink` system accounts (idempotent). */
  declareUnit(unit: string): AccountResult {
    const a = this.openAccount({ id: mintAccount(unit), owner: "system", unit });
    if (a !== "created" && a !== "exists") return a;
    return this.openAccount({ id: sinkAccount(unit), owner: "system", unit });
  }

  // ─── accounts ────────────────────────────────────────────────────────────────────────────────

  /** Opens an account (journaled). Opening the same account again is `exists`. */
  openAccount(input: AccountInput): AccountResult {
    if (
      typeof input !== "object" ||
      input === null ||
      typeof input.id !== "string" ||
      !ID.test(input.id)
    ) {
      return "id_invalid";
    }
    if (typeof input.owner !== "string" || !ID.test(input.owner)) return "owner_invalid";
    if (typeof input.unit !== "string" || !UNIT.test(input.unit)) return "unit_invalid";
    const flags = normalizeFlags(input.flags);
    if (flags.debitsMustNotExceedCredits && flags.creditsMustNotExceedDebits)
      return "flags_are_mutually_exclusive";
    const existing = this.accounts.get(input.id);
    if (existing) {
      const same =
        existing.owner === input.owner &&
        existing.unit === input.unit &&
        existing.flags.debitsMustNotExceedCredits === flags.debitsMustNotExceedCredits &&
        existing.flags.creditsMustNotExceedDebits === flags.creditsMustNotExceedDebits;
      return same ? "exists" : "exists_with_different_fields";
    }
    const seq = this.count;
    const bytes = hashAccount(this.headBytes, seq, input.id, input.owner, input.unit, flags);
    this.rowOf.push(-1 - this.accountEntries.length);
    this.accountEntries.push({
      kind: "account",
      seq,
      prev: this.hexAt(seq - 1),
      hash: toHex(bytes),
      id: input.id,
      owner: input.owner,
      unit: input.unit,
      flags,
    });
    this.append(bytes);
    this.accounts.set(input.id, {
      id: input.id,
      owner: input.owner,
      unit: input.unit,
      flags,
      debits: 0,
      credits: 0,
    });
    return "created";
  }

  /** Opens a wallet (`owner:unit`, balance never below zero) and returns its id. */
  openWallet(owner: string, unit: string): { readonly id: string; readonly result: AccountResult } {
    const id = walletAccount(owner, unit);
    return {
      id,
      result: this.openAccount({ id, owner, unit, flags: { debitsMustNotExceedCredits: true } }),
    };
  }

  account(id: string): Readonly<Account> | undefined {
    return this.accounts.get(id);
  }

  balance(id: string): Balance | undefined {
    const a = this.accounts.get(id);
    return a ? { debits: a.debits, credits: a.credits, balance: a.credits - a.debits } : undefined;
  }

  /** Every account, in the order they were opened. */
  listAccounts(): readonly Readonly<Account>[] {
    return [...this.accounts.values()];
  }

  // ─── transfers ───────────────────────────────────────────────────────────────────────────────

  /** One transfer (not linked). */
  transfer(t: TransferInput): TransferResult {
    if (t?.linked) return "linked_event_chain_open";
    return this.submit([t])[0] as TransferResult;
  }

  /**
   * A batch of transfers, applied in order. A run of transfers with `linked: true` and the one
   * after it form a chain that commits all or nothing: if one fails, it gets its own result, the
   * others `linked_event_failed`, and none is journaled. A chain whose every member `exists` is a
   * retry of a committed chain and changes nothing.
   */
  submit(batch: readonly TransferInput[]): TransferResult[] {
    const results: TransferResult[] = new Array(batch.length);
    let i = 0;
    while (i < batch.length) {
      let end = i;
      while (end < batch.length && batch[end]?.linked === true) end++;
      if (end === batch.length) {
        // The last transfer of the batch says it links to a next one that does not exist.
        for (let j = i; j < batch.length; j++)
          results[j] = j === batch.length - 1 ? "linked_event_chain_open" : "linked_event_failed";
        break;
      }
      if (end === i) results[i] = this.applyOne(batch[i] as TransferInput, false);
      else this.applyChain(batch, i, end, results);
      i = end + 1;
    }
    return results;
  }

  private applyOne(t: TransferInput, linked: boolean): TransferResult {
    const check = this.check(t);
    if (check !== undefined) return check;
    this.commit(t, linked);
    return "created";
  }

  /** All checks of one transfer against the current state, in precedence order; undefined if it may commit. */
  private check(t: TransferInput): TransferResult | undefined {
    const invalid = validateFields(t);
    if (invalid !== undefined) return invalid;
    const row = this.transferRow.get(t.id);
    if (row !== undefined) {
      const same =
        this.tDebit[row] === t.debit &&
        this.tCredit[row] === t.credit &&
        this.tAmount[row] === t.amount &&
        this.tUnit[row] === t.unit &&
        this.tReason[row] === t.reason &&
        this.tTick[row] === t.tick &&
        sameMeta(this.tMeta[row] as TransferMeta, t.meta);
      return same ? "exists" : "exists_with_different_fields";
    }
    const pending = this.pending.get(t.id);
    if (pending) {
      const same =
        pending.debit === t.debit &&
        pending.credit === t.credit &&
        pending.amount === t.amount &&
        pending.unit === t.unit &&
        pending.reason === t.reason &&
        pending.tick === t.tick &&
        sameMeta(pending.meta ?? EMPTY_META, t.meta);
      return same ? "exists" : "exists_with_different_fields";
    }
    const dr = this.accounts.get(t.debit);
    if (!dr) return "debit_account_not_found";
    const cr = this.accounts.get(t.credit);
    if (!cr) return "credit_account_not_found";
    if (dr.unit !== t.unit || cr.unit !== t.unit) return "unit_mismatch";
    if (dr.debits + t.amount > Number.MAX_SAFE_INTEGER) return "overflows_debits";
    if (cr.credits + t.amount > Number.MAX_SAFE_INTEGER) return "overflows_credits";
    if (dr.flags.debitsMustNotExceedCredits && dr.debits + t.amount > dr.credits)
      return "insufficient_funds";
    if (cr.flags.creditsMustNotExceedDebits && cr.credits + t.amount > cr.debits)
      return "exceeds_debits";
    return undefined;
  }

  private applyChain(
    batch: readonly TransferInput[],
    start: number,
    end: number,
    results: TransferResult[],
  ): void {
    // Apply tentatively, remembering how to undo; the journal is written only if all succeed.
    const applied: TransferInput[] = [];
    let failed = -1;
    let exists = 0;
    for (let j = start; j <= end; j++) {
      const t = batch[j] as TransferInput;
      const r = this.check(t);
      if (r === "exists") {
        exists++;
        results[j] = r;
        continue;
      }
      if (r !== undefined) {
        results[j] = r;
        failed = j;
        break;
      }
      this.post(t, 1);
      this.pending.set(t.id, t);
      applied.push(t);
      results[j] = "created";
    }
    for (const t of applied) {
      this.post(t, -1);
      this.pending.delete(t.id);
    }
    const count = end - start + 1;
    if (failed < 0 && exists === count) return; // a retry of a committed chain
    if (failed < 0 && exists === 0) {
      for (let j = start; j <= end; j++) this.commit(batch[j] as TransferInput, j < end);
      return;
    }
    // Some member failed, or the chain mixes committed and new transfers: nothing commits.
    for (let j = start; j <= end; j++) {
      if (j !== failed && results[j] !== "exists") results[j] = "linked_event_failed";
    }
  }

  /** Transfers of an open chain, so a later member's id clash with an earlier one is seen. */
  private readonly pending = new Map<string, TransferInput>();

  private post(t: TransferInput, sign: 1 | -1): void {
    const dr = this.accounts.get(t.debit) as Account;
    const cr = this.accounts.get(t.credit) as Account;
    dr.debits += sign * t.amount;
    cr.credits += sign * t.amount;
  }

  private commit(t: TransferInput, linked: boolean): void {
    this.post(t, 1);
    const seq = this.count;
    const meta = t.meta ?? EMPTY_META;
    const row = this.tId.length;
    this.tSeq.push(seq);
    this.tId.push(t.id);
    this.tDebit.push(t.debit);
    this.tCredit.push(t.credit);
    this.tAmount.push(t.amount);
    this.tUnit.push(t.unit);
    this.tReason.push(t.reason);
    this.tTick.push(t.tick);
    this.tMeta.push(meta);
    this.tLinked.push(linked);
    this.rowOf.push(row);
    this.transferRow.set(t.id, row);
    // `t` with the chain flag the journal records (a chain's last member is not linked onward).
    this.append(
      hashTransfer(this.headBytes, seq, (t.linked === true) === linked ? t : { ...t, linked }),
    );
  }

  private fieldsAt(row: number): TransferFields {
    return {
      id: this.tId[row] as string,
      debit: this.tDebit[row] as string,
      credit: this.tCredit[row] as string,
      amount: this.tAmount[row] as number,
      unit: this.tUnit[row] as string,
      reason: this.tReason[row] as string,
      tick: this.tTick[row] as number,
      meta: this.tMeta[row] as TransferMeta,
      linked: this.tLinked[row] as boolean,
    };
  }

  private append(hash: Uint8Array): void {
    const at = (this.count - this.base) * 32;
    if (at + 32 > this.leaves.length) {
      const grown = new Uint8Array(this.leaves.length * 2);
      grown.set(this.leaves);
      this.leaves = grown;
    }
    this.leaves.set(hash, at);
    this.headBytes = hash;
    this.count++;
  }

  /** Hex of entry `seq`'s hash (GENESIS for -1). */
  private hexAt(seq: number): string {
    if (seq < 0) return GENESIS;
    if (seq < this.base - 1)
      throw new RangeError(`entry ${seq} is before this ledger's checkpoint`);
    if (seq === this.base - 1) return toHex(this.baseHead);
    const at = (seq - this.base) * 32;
    return toHex(this.leaves.subarray(at, at + 32));
  }

  /** Hash of the last checkpointed entry (GENESIS when base is 0). */
  private baseHead: Uint8Array = GENESIS_BYTES;

  private entryAt(seq: number): JournalEntry {
    const cached = this.materialized[seq - this.base];
    if (cached) return cached;
    const row = this.rowOf[seq - this.base] as number;
    if (row < 0) return this.accountEntries[-1 - row] as AccountEntry;
    return {
      kind: "transfer",
      seq,
      prev: this.hexAt(seq - 1),
      hash: this.hexAt(seq),
      ...this.fieldsAt(row),
    };
  }

  // ─── the journal ─────────────────────────────────────────────────────────────────────────────

  /** Number of journal entries. */
  get size(): number {
    return this.count;
  }

  /**
   * The journal, oldest first (entries are built on first read). Never modify them. A ledger
   * continued from a checkpoint holds only the entries since it: the first has `seq` equal to
   * `checkpointSeq`.
   */
  get journal(): readonly JournalEntry[] {
    for (let seq = this.base + this.materialized.length; seq < this.count; seq++)
      this.materialized.push(this.entryAt(seq));
    return this.materialized;
  }

  /** The first entry this ledger holds: 0, or the count of the checkpoint it continued from. */
  get checkpointSeq(): number {
    return this.base;
  }

  /** Entries from `seq` (at least `checkpointSeq`) to the end, oldest first. */
  entriesSince(seq: number): JournalEntry[] {
    if (!Number.isSafeInteger(seq) || seq < this.base || seq > this.count) {
      throw new RangeError(`entries since ${seq}: this ledger holds ${this.base} to ${this.count}`);
    }
    const out: JournalEntry[] = [];
    for (let i = seq; i < this.count; i++) out.push(this.entryAt(i));
    return out;
  }

  /** The committed transfer with this id. */
  getTransfer(id: string): TransferEntry | undefined {
    const row = this.transferRow.get(id);
    return row === undefined
      ? undefined
      : (this.entryAt(this.tSeq[row] as number) as TransferEntry);
  }

  /** A compact commitment to the whole journal, to publish: count, chain head and Merkle root. */
  digest(): Digest {
    for (let i = this.merkle.size; i < this.count; i++) {
      const at = (i - this.base) * 32;
      this.merkle.append(this.leaves.slice(at, at + 32));
    }
    return { count: this.count, head: this.hexAt(this.count - 1), root: this.merkle.root() };
  }

  /** Proof that entry `seq` is in the journal as digested at `size` entries (default: now). */
  proveInclusion(seq: number, size = this.count): InclusionProof {
    if (this.base > 0) {
      throw new LedgerCheckpointError(
        "inclusion proofs need every entry hash: rebuild the ledger with Ledger.fromJournal",
      );
    }
    const hashes: string[] = [];
    for (let i = 0; i < this.count; i++) hashes.push(this.hexAt(i));
    return proveInclusion(hashes, seq, size);
  }

  /**
   * The ledger's state without its journal (see `LedgerCheckpoint`). A ledger continued from it
   * with `fromCheckpoint` has the same balances, count, head and digest, and appends the same
   * entries with the same hashes as this one would. What it does not have is the history before
   * the checkpoint: `journal` starts at the checkpoint, proofs need `fromJournal`, and a transfer
   * id used before the checkpoint is not recognised as `exists`. Exactly-once across checkpoints
   * is therefore the caller's to keep, by ids that cannot recur (the runtime's ids carry the
   * world's tick, and a committed tick never runs again).
   */
  checkpoint(): LedgerCheckpoint {
    this.digest(); // folds the Merkle accumulator up to date
    return {
      format: 1,
      count: this.count,
      head: this.hexAt(this.count - 1),
      merkle: this.merkle.state(),
      accounts: [...this.accounts.values()].map((a) => ({ ...a, flags: { ...a.flags } })),
    };
  }

  /** A ledger continuing from `checkpoint`; throws `LedgerCheckpointError` if it is malformed. */
  static fromCheckpoint(checkpoint: LedgerCheckpoint): Ledger {
    const fail = (why: string, cause?: unknown): never => {
      throw new LedgerCheckpointError(why, cause === undefined ? undefined : { cause });
    };
    if (typeof checkpoint !== "object" || checkpoint === null) fail("not an object");
    if (checkpoint.format !== 1) fail(`unknown format ${String(checkpoint.format)}`);
    if (!Number.isSafeInteger(checkpoint.count) || checkpoint.count < 0)
      fail("count is not a count");
    if (typeof checkpoint.head !== "string" || !/^[0-9a-f]{64}$/.test(checkpoint.head))
      fail("head is not a SHA-256 hex");
    if (checkpoint.count === 0 && checkpoint.head !== GENESIS)
      fail("an empty journal's head is GENESIS");
    const ledger = new Ledger();
    try {
      ledger.merkle = MerkleAccumulator.restore(checkpoint.merkle);
    } catch (e) {
      fail(`merkle: ${(e as Error).message}`, e);
    }
    if (ledger.merkle.size !== checkpoint.count) fail("merkle size differs from count");
    if (!Array.isArray(checkpoint.accounts)) fail("accounts is not a list");
    const units = new Map<string, number>();
    for (const a of checkpoint.accounts) {
      if (typeof a !== "object" || a === null || typeof a.id !== "string" || !ID.test(a.id))
        fail("an account has no valid id");
      if (typeof a.owner !== "string" || !ID.test(a.owner)) fail(`account ${a.id}: owner invalid`);
      if (typeof a.unit !== "string" || !UNIT.test(a.unit)) fail(`account ${a.id}: unit invalid`);
      for (const n of [a.debits, a.credits]) {
        if (!Number.isSafeInteger(n) || n < 0)
          fail(`account ${a.id}: totals must be safe integers >= 0`);
      }
      const flags = normalizeFlags(a.flags);
      if (flags.debitsMustNotExceedCredits && a.debits > a.credits)
        fail(`account ${a.id}: debits exceed credits`);
      if (flags.creditsMustNotExceedDebits && a.credits > a.debits)
        fail(`account ${a.id}: credits exceed debits`);
      if (ledger.accounts.has(a.id)) fail(`account ${a.id} appears twice`);
      ledger.accounts.set(a.id, {
        id: a.id,
        owner: a.owner,
        unit: a.unit,
        flags,
        debits: a.debits,
        credits: a.credits,
      });
      units.set(a.unit, (units.get(a.unit) ?? 0) + a.credits - a.debits);
    }
    // Double entry: each unit's balances sum to zero, whatever the history was.
    for (const [unit, sum] of units)
      if (sum !== 0) fail(`unit ${unit}'s balances sum to ${sum}, not 0`);
    ledger.count = checkpoint.count;
    ledger.base = checkpoint.count;
    ledger.baseHead = checkpoint.count === 0 ? GENESIS_BYTES : fromHex(checkpoint.head);
    ledger.headBytes = ledger.baseHead;
    return ledger;
  }

  /**
   * Rebuilds a ledger from a journal alone, re-applying every entry with every check. Throws
   * `LedgerReplayError` naming the first entry that does not re-apply to the same hash.
   */
  static fromJournal(journal: readonly JournalEntry[]): Ledger {
    const ledger = new Ledger();
    for (const e of journal) {
      const before = ledger.count;
      if (e.kind === "account") {
        ledger.openAccount({ id: e.id, owner: e.owner, unit: e.unit, flags: e.flags });
      } else {
        const r = ledger.check(e);
        if (r === undefined) ledger.commit(e, e.linked);
      }
      if (ledger.count !== before + 1) throw new LedgerReplayError(e.seq, "it does not re-apply");
      if (ledger.hexAt(before) !== e.hash) throw new LedgerReplayError(e.seq, "its hash differs");
    }
    return ledger;
  }
}
