/**
 * The chain record port: what a verifier that follows a world's journal as it is written (the
 * AuditLog stream consumer) keeps per world: the last entry it verified (the head) and the first
 * break it found, with whether that break was announced. In AWS, EntityTable's `chain#<world>`.
 *
 * Verifiers of one world may run at once (one world's journal spans stream shards, which Lambda
 * processes concurrently), so every write is a condition on the record: the head only moves
 * forwards, the first break recorded stays, and the announcement marks only the break it read.
 */
import type { ChainHead } from "@ledgerquest/engine";
import type { LedgerBreakKind } from "../definitions/events.js";

/** The break kinds a chain verifier finds (the ledger's, without the balance checks). */
export type ChainBreakKind = Extract<
  LedgerBreakKind,
  "broken_link" | "hash_mismatch" | "invalid_entry"
>;

/** A break in a world's chain: the first entry that fails, and what is wrong with it. */
export interface ChainBreak {
  readonly worldId: string;
  readonly seq: number;
  readonly kind: ChainBreakKind;
  readonly detail: string;
}

/** The longest break detail a record keeps (the rest is cut). */
export const CHAIN_BREAK_DETAIL_CHARS_MAX = 2000;

export interface ChainRecord {
  /** The last entry verified; `CHAIN_START` before the first. */
  readonly head: ChainHead;
  /** The first break recorded, until an operator clears it. */
  readonly break?: {
    readonly seq: number;
    readonly kind: LedgerBreakKind;
    readonly detail: string;
  };
  /** The recorded break was announced (`Ledger Chain Broken`). */
  readonly breakAnnounced: boolean;
}

export interface ChainRecordStore {
  /**
   * The world's record, read consistently: at `CHAIN_START`, without a break, for a world never
   * seen. Throws `CorruptRecordError` for a stored record this port did not write.
   */
  read(worldId: string): Promise<ChainRecord>;
  /** Moves the head to `head` unless it is at `head.seq` or further already. */
  advanceHead(worldId: string, head: ChainHead): Promise<void>;
  /** Records the break unless one is recorded: the first stays (it is where to start looking). */
  recordBreak(chainBreak: ChainBreak): Promise<void>;
  /** Marks the recorded break announced, if the break recorded is still the one at `seq`. */
  markAnnounced(worldId: string, seq: number): Promise<void>;
}
