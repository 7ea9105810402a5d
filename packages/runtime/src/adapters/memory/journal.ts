import type { JournalEntry } from "@ledgerquest/engine";
import { JournalConflictError } from "../../errors.js";
import type { BatchRecord, Journal, PutBatchResult } from "../../ports/journal.js";

/**
 * The journal in memory, with the port's semantics (see the contract suite).
 * Alike: packages/aws/src/adapters/dynamodb-journal.ts (the same port over DynamoDB).
 */
export class MemoryJournal implements Journal {
  private readonly batches = new Map<string, BatchRecord>();
  private readonly entries = new Map<string, JournalEntry[]>();

  async putBatch(record: BatchRecord): Promise<PutBatchResult> {
    const key = `${record.worldId}#${record.version}`;
    const existing = this.batches.get(key);
    if (existing !== undefined) return { result: "exists", existing: structuredClone(existing) };
    this.batches.set(key, structuredClone(record));
    return { result: "created" };
  }

  async getBatch(worldId: string, version: number): Promise<BatchRecord | undefined> {
    const b = this.batches.get(`${worldId}#${version}`);
    return b === undefined ? undefined : structuredClone(b);
  }

  async listBatches(
    worldId: string,
    fromVersion: number,
    toVersion: number,
  ): Promise<readonly BatchRecord[]> {
    const out: BatchRecord[] = [];
    for (let v = fromVersion; v <= toVersion; v++) {
      const b = this.batches.get(`${worldId}#${v}`);
      if (b !== undefined) out.push(structuredClone(b));
    }
    return out;
  }

  async appendEntries(
    worldId: string,
    entries: readonly JournalEntry[],
    _token: string,
  ): Promise<void> {
    let list = this.entries.get(worldId);
    if (list === undefined) {
      list = [];
      this.entries.set(worldId, list);
    }
    // Check all first: like a transaction, a conflicting append writes nothing.
    for (const e of entries) {
      const held = list[e.seq];
      if (held !== undefined && held.hash !== e.hash) {
        throw new JournalConflictError(worldId, `entry ${e.seq}`);
      }
    }
    for (const e of entries) list[e.seq] = structuredClone(e);
  }

  async readEntries(
    worldId: string,
    fromSeq: number,
    toSeq: number,
  ): Promise<readonly JournalEntry[]> {
    const list = this.entries.get(worldId) ?? [];
    const out: JournalEntry[] = [];
    for (let seq = fromSeq; seq < toSeq && seq < list.length; seq++) {
      const e = list[seq];
      if (e === undefined) break; // entries are contiguous; a hole ends the read
      out.push(structuredClone(e));
    }
    return out;
  }
}
