/**
 * The ledger's vocabulary: accounts, transfers, the journal and the result codes.
 * See docs/reference/ledger.md for the guarantees and the constraints on every field.
 */

/** Metadata on a transfer: a flat record of short values (canonically encoded into the hash). */
export type TransferMeta = { readonly [key: string]: string | number | boolean };

export interface AccountFlags {
  /** The account's debits may never exceed its credits: its balance never goes below zero (wallets). */
  readonly debitsMustNotExceedCredits?: boolean;
  /** The account's credits may never exceed its debits: its balance never goes above zero. */
  readonly creditsMustNotExceedDebits?: boolean;
}

export interface AccountInput {
  /** Unique id, e.g. `player_0001:gold`. */
  readonly id: string;
  /** Who holds it: a player, an NPC, `system`. */
  readonly owner: string;
  /** What it counts: a currency (`gold`), `xp`, or an item kind (`item.sword`). */
  readonly unit: string;
  readonly flags?: AccountFlags;
}

export interface Account {
  readonly id: string;
  readonly owner: string;
  readonly unit: string;
  readonly flags: Required<AccountFlags>;
  /** Sum of the amounts of all transfers that debited it. */
  debits: number;
  /** Sum of the amounts of all transfers that credited it. */
  credits: number;
}

/** What a caller submits: a transfer's fields, with `meta` optional and `linked` for chains. */
export interface TransferInput extends Omit<TransferFields, "meta" | "linked"> {
  readonly meta?: TransferMeta;
  /** Links this transfer to the next in the batch: the chain commits all or nothing. */
  readonly linked?: boolean;
}

/** One journal entry: an account opening or a transfer, chained to the entry before it. */
export type JournalEntry = AccountEntry | TransferEntry;

interface EntryBase {
  /** Position in the journal, from 0. */
  readonly seq: number;
  /** Hash of the previous entry (64 zeros for the first). */
  readonly prev: string;
  /** SHA-256 over `prev` and the entry's canonical encoding, hex. */
  readonly hash: string;
}

export interface AccountEntry extends EntryBase {
  readonly kind: "account";
  readonly id: string;
  readonly owner: string;
  readonly unit: string;
  readonly flags: Required<AccountFlags>;
}

/** The fields of a committed transfer (what its hash covers, with `seq` and `prev`). */
export interface TransferFields {
  /** Caller-chosen, unique, deterministic: the same event must always produce the same id. */
  readonly id: string;
  /** Account debited (value leaves it). */
  readonly debit: string;
  /** Account credited (value arrives). */
  readonly credit: string;
  /** A positive safe integer in the unit's smallest denomination. */
  readonly amount: number;
  readonly unit: string;
  /** Why: a code such as `pickup`, `quest.reward`, `shop.buy`. */
  readonly reason: string;
  /** The tick at which the transfer happened in the world's time. */
  readonly tick: number;
  readonly meta: TransferMeta;
  /** True when the transfer was committed as part of a linked chain and is not its last member. */
  readonly linked: boolean;
}

export interface TransferEntry extends EntryBase, TransferFields {
  readonly kind: "transfer";
}

/**
 * Outcomes of a transfer. `created` and `exists` are successes (`exists` is a retry of an
 * identical transfer: nothing happens, which makes retries exactly-once). The failures are listed
 * in order of precedence: the checks run in this order and the first that fails names the
 * result; `linked_event_failed` goes to the members of a failed chain that did not fail themselves.
 */
export const TRANSFER_RESULTS = [
  "created",
  "exists",
  "linked_event_chain_open",
  "id_invalid",
  "unit_invalid",
  "reason_invalid",
  "amount_must_be_positive",
  "amount_must_be_safe_integer",
  "tick_invalid",
  "meta_invalid",
  "accounts_must_be_different",
  "exists_with_different_fields",
  "debit_account_not_found",
  "credit_account_not_found",
  "unit_mismatch",
  "overflows_debits",
  "overflows_credits",
  "insufficient_funds",
  "exceeds_debits",
  "linked_event_failed",
] as const;
export type TransferResult = (typeof TRANSFER_RESULTS)[number];

/** Outcomes of opening an account, in order of precedence. */
export const ACCOUNT_RESULTS = [
  "created",
  "exists",
  "id_invalid",
  "owner_invalid",
  "unit_invalid",
  "flags_are_mutually_exclusive",
  "exists_with_different_fields",
] as const;
export type AccountResult = (typeof ACCOUNT_RESULTS)[number];

/** Whether a transfer result means the transfer is in the journal (now or from before). */
export function isCommitted(result: TransferResult): boolean {
  return result === "created" || result === "exists";
}
