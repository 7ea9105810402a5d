/**
 * The journal port: the append-only history of a world (AuditLog in AWS). It holds the ledger's
 * hash-chained entries and one record per committed batch of ticks (which commands applied at
 * which tick, and the state hash after every tick), which is everything `replay` and `verify`
 * need. Nothing here is ever updated in place: every write is a conditional create, and writing
 * the same item again is a no-op, so a retried commit is harmless.
 */
import type { JournalEntry } from "@ledgerquest/engine";

/** Which inbox commands a batch applied, and at which tick: the batch's inputs, fixed for good. */
export interface DrainPoint {
  /** The tick at whose start the drained commands applied. */
  readonly tick: number;
  readonly shard: number;
  /** Commands with arrival keys after the previous watermark and up to this one (ms). */
  readonly fromMs: number;
  readonly toMs: number;
}

/** A domain event a batch produced, published after the commit (at least once). */
export interface BatchEvent {
  /** Deterministic: `<world>/<version>/<index>`, so consumers deduplicate redeliveries. */
  readonly eventId: string;
  readonly detailType: string;
  readonly detail: { readonly [key: string]: unknown };
}

/**
 * The record of the batch that takes a world from `version - 1` to `version`. Written before
 * anything else of the batch (a write-ahead intent): once it exists, the batch's inputs are fixed,
 * and anyone can finish the batch by re-running them, with the same result.
 */
// Alike in form only (a list of read-only counts): client/src/store.ts's StateChange and
// local/src/faults/checks.ts's CheckReport; nothing to share.
export interface BatchRecord {
  readonly worldId: string;
  readonly version: number;
  /** Who ran the batch (the Step Functions execution and attempt): tells a retry from a rival. */
  readonly token: string;
  readonly fromTick: number;
  /** Ticks run: the world's tick after the batch is `fromTick + ticks`. */
  readonly ticks: number;
  readonly drains: readonly DrainPoint[];
  /** Per inbox shard, the watermark drained up to by the end of the batch (the next cursors). */
  readonly cursors: readonly number[];
  /**
   * Commands applied. Which ones, and at which tick, follows from `drains` (the inbox keeps every
   * command): listing them here too would make a busy batch's record outgrow an item.
   */
  readonly commandsApplied: number;
  /** State hash after each tick, `ticks` of them, hex. */
  readonly hashes: readonly string[];
  /** Ledger entries `[fromSeq, toSeq)` written by the batch. */
  readonly ledgerFromSeq: number;
  readonly ledgerToSeq: number;
  readonly ledgerHead: string;
  readonly events: readonly BatchEvent[];
  readonly createdAtMs: number;
  /**
   * How a batch paced to real time kept the clock (absent when it was not paced): for operators
   * and dashboards; a re-run does not depend on it.
   */
  readonly clock?: {
    readonly behindMs: number;
    readonly behindMsMax: number;
    readonly skippedMs: number;
  };
}

export type PutBatchResult =
  | { readonly result: "created" }
  | { readonly result: "exists"; readonly existing: BatchRecord };

export interface Journal {
  /** Creates the record unless one exists for that world and version; then returns that one. */
  putBatch(record: BatchRecord): Promise<PutBatchResult>;
  getBatch(worldId: string, version: number): Promise<BatchRecord | undefined>;
  /** Batch records with versions in `[fromVersion, toVersion]`, ascending. */
  listBatches(
    worldId: string,
    fromVersion: number,
    toVersion: number,
  ): Promise<readonly BatchRecord[]>;

  /**
   * Appends ledger entries (consecutive seqs). Each is created unless an entry with the same seq
   * and the same hash is there already (a retry); an entry with the same seq and another hash is
   * a broken protocol and raises `JournalConflictError`. `token` names the writer, for
   * idempotency keys of the underlying transactions.
   */
  appendEntries(worldId: string, entries: readonly JournalEntry[], token: string): Promise<void>;
  /** Entries with seq in `[fromSeq, toSeq)`, ascending. */
  readEntries(worldId: string, fromSeq: number, toSeq: number): Promise<readonly JournalEntry[]>;
}
