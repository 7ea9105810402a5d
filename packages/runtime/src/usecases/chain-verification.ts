/**
 * Following a world's ledger chain as it is written (the AuditLog stream consumer's work): each
 * new entry is checked against the head before it with the engine's `checkLink` (the one link
 * check, which `JournalVerifier` also uses), entries that came elsewhere are read from the journal
 * first, and the head moves forwards in the chain record (ports/chain-records.ts).
 *
 * A break is told to `onBreak` (the handler logs and counts it), recorded (the world's first
 * stays), and announced once as `Ledger Chain Broken`; the world is not verified further until an
 * operator has looked and cleared it. Announcing is idempotent: the event's id comes from the
 * world, seq and kind alone, and the record is marked after the publish, so a redelivery
 * announces nothing more and a failed publish is retried with the world's next records.
 */
import { type ChainHead, checkLink, type JournalEntry, ownHashHolds } from "@ledgerquest/engine";
import { createDomainEvent, DETAIL_TYPES } from "../definitions/events.js";
import { parseJournalEntry } from "../definitions/journal-entry.js";
import { CorruptRecordError } from "../errors.js";
import type { ChainBreak, ChainRecordStore } from "../ports/chain-records.js";
import type { Clock } from "../ports/clock.js";
import type { EventPublisher } from "../ports/event-publisher.js";
import type { Journal } from "../ports/journal.js";

/** Entries read from the journal per request when filling a gap; the head is saved after each. */
export const CHAIN_GAP_READ_ENTRIES = 1_000;

export interface ChainVerificationDeps {
  readonly chains: ChainRecordStore;
  readonly journal: Journal;
  /** Where a world's first break is announced (`Ledger Chain Broken`, source `ledgerquest.ops`). */
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  /** Told of every break found, before it is recorded (for logs and metrics). */
  readonly onBreak?: (chainBreak: ChainBreak) => void;
  /** Told what a log would say: a world skipped for its recorded break (warn), a range verified (debug). */
  readonly log?: (
    level: "debug" | "warn",
    message: string,
    fields: Readonly<Record<string, unknown>>,
  ) => void;
}

/** A world's new records, as a stream batch brings them. */
export interface NewChainRecords {
  /** Entries written, in any order (redeliveries included). */
  readonly entries: readonly JournalEntry[];
  /** Breaks seen in the records themselves (a rewritten, deleted or malformed entry). */
  readonly breaks: readonly ChainBreak[];
}

/**
 * Reports the breaks found in the records, then verifies the world's new entries from its head,
 * reading any gap from the journal, and moves the head to the last entry that verified.
 */
export async function verifyChainRecords(
  deps: ChainVerificationDeps,
  worldId: string,
  records: NewChainRecords,
): Promise<void> {
  const record = await deps.chains.read(worldId);
  let firstBreak: ChainBreak | undefined;
  for (const found of records.breaks) {
    deps.onBreak?.(found);
    if (firstBreak === undefined || found.seq < firstBreak.seq) firstBreak = found;
  }
  if (firstBreak !== undefined) {
    await deps.chains.recordBreak(firstBreak);
    await announceChainBreak(deps, worldId);
  }
  if (record.break !== undefined) {
    deps.log?.("warn", "not verifying a world whose chain is broken", {
      worldId,
      brokenSeq: record.break.seq,
    });
    // A break recorded before its announcement got out (a failed publish): announce it now.
    if (!record.breakAnnounced && firstBreak === undefined) await announceChainBreak(deps, worldId);
    return;
  }
  if (firstBreak !== undefined) return;
  const start = record.head;
  const outcome = await followChain(deps, worldId, start, records.entries);
  if (outcome.head.seq > start.seq) await deps.chains.advanceHead(worldId, outcome.head);
  if (outcome.problem !== undefined) {
    const chainBreak = { worldId, ...outcome.problem };
    deps.onBreak?.(chainBreak);
    await deps.chains.recordBreak(chainBreak);
    await announceChainBreak(deps, worldId);
  } else if (outcome.head.seq > start.seq) {
    deps.log?.("debug", "ledger chain verified", {
      worldId,
      fromSeq: start.seq + 1,
      toSeq: outcome.head.seq,
    });
  }
}

/** A break without its world: what verifying from a head found. */
type Problem = Omit<ChainBreak, "worldId">;

interface Followed {
  /** The last entry that verified. */
  readonly head: ChainHead;
  readonly problem?: Problem;
}

/** Verifies `entries` (any order) from `head`, reading the gaps before them from the journal. */
async function followChain(
  deps: ChainVerificationDeps,
  worldId: string,
  from: ChainHead,
  entries: readonly JournalEntry[],
): Promise<Followed> {
  let head = from;
  for (const e of [...entries].sort((a, b) => a.seq - b.seq)) {
    if (e.seq <= head.seq) {
      // Verified before (a redelivery, or another shard read it through a gap first): without its
      // predecessor at hand, its own hash is what can still be checked.
      if (ownHashHolds(e)) continue;
      const detail = `entry ${e.seq}'s fields do not hash to its hash`;
      return { head, problem: { seq: e.seq, kind: "hash_mismatch", detail } };
    }
    if (head.seq + 1 < e.seq) {
      const filled = await fillGap(deps, worldId, head, e.seq);
      if (filled.problem !== undefined) return filled;
      head = filled.head;
    }
    const link = checkLink(head, e);
    if (!link.ok) return { head, problem: link.problem };
    head = { seq: e.seq, hash: e.hash };
  }
  return { head };
}

/** Verifies the journal's entries after `from` up to (not including) `untilSeq`, page by page. */
async function fillGap(
  deps: ChainVerificationDeps,
  worldId: string,
  from: ChainHead,
  untilSeq: number,
): Promise<Followed> {
  let head = from;
  while (head.seq + 1 < untilSeq) {
    const first = head.seq + 1;
    const to = Math.min(untilSeq, first + CHAIN_GAP_READ_ENTRIES);
    let fetched: readonly JournalEntry[];
    try {
      fetched = await deps.journal.readEntries(worldId, first, to);
    } catch (error) {
      if (!(error instanceof CorruptRecordError)) throw error;
      return { head, problem: { seq: first, kind: "invalid_entry", detail: error.message } };
    }
    for (const raw of fetched) {
      // The journal adapter only parses JSON: a rewritten item may hold anything.
      const e = parseJournalEntry(raw);
      if (typeof e === "string") {
        return { head, problem: { seq: head.seq + 1, kind: "invalid_entry", detail: e } };
      }
      const link = checkLink(head, e);
      if (!link.ok) return { head, problem: link.problem };
      head = { seq: e.seq, hash: e.hash };
    }
    if (fetched.length < to - first) {
      const detail = `entries ${head.seq + 1} to ${untilSeq - 1} are missing from the journal`;
      return { head, problem: { seq: head.seq + 1, kind: "broken_link", detail } };
    }
    // A long gap (a verifier deployed on an old world) makes progress even if this times out.
    await deps.chains.advanceHead(worldId, head);
  }
  return { head };
}

/**
 * Publishes the world's recorded break as `Ledger Chain Broken`, unless it was published before,
 * and then marks it published. Reads the break from the record, so what is announced is the break
 * recorded (the world's first), whichever verifier recorded it.
 */
export async function announceChainBreak(
  deps: ChainVerificationDeps,
  worldId: string,
): Promise<void> {
  const record = await deps.chains.read(worldId);
  const recorded = record.break;
  if (recorded === undefined || record.breakAnnounced) return;
  const event = createDomainEvent(DETAIL_TYPES.ledgerChainBroken, {
    worldId,
    seq: recorded.seq,
    kind: recorded.kind,
    reason: recorded.detail === "" ? `entry ${recorded.seq} failed verification` : recorded.detail,
  });
  await deps.publisher.publish([
    {
      eventId: event.detail.eventId,
      source: event.source,
      detailType: event.detailType,
      detail: event.detail,
      timeMs: deps.clock.nowMs(),
    },
  ]);
  await deps.chains.markAnnounced(worldId, recorded.seq);
}
