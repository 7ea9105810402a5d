import { CHAIN_START, type ChainHead } from "@ledgerquest/engine";
import {
  CHAIN_BREAK_DETAIL_CHARS_MAX,
  type ChainBreak,
  type ChainRecord,
  type ChainRecordStore,
} from "../../ports/chain-records.js";

/** Chain records in memory, for tests and the in-process runtime. */
export class MemoryChainRecordStore implements ChainRecordStore {
  private readonly records = new Map<string, ChainRecord>();

  async read(worldId: string): Promise<ChainRecord> {
    return this.recordOf(worldId);
  }

  // Each write reads and writes without an await between: concurrent writers see each other.
  private recordOf(worldId: string): ChainRecord {
    return this.records.get(worldId) ?? { head: CHAIN_START, breakAnnounced: false };
  }

  async advanceHead(worldId: string, head: ChainHead): Promise<void> {
    const record = this.recordOf(worldId);
    if (record.head.seq >= head.seq) return;
    this.records.set(worldId, { ...record, head: { seq: head.seq, hash: head.hash } });
  }

  async recordBreak(chainBreak: ChainBreak): Promise<void> {
    const record = this.recordOf(chainBreak.worldId);
    if (record.break !== undefined) return;
    this.records.set(chainBreak.worldId, {
      ...record,
      break: {
        seq: chainBreak.seq,
        kind: chainBreak.kind,
        detail: chainBreak.detail.slice(0, CHAIN_BREAK_DETAIL_CHARS_MAX),
      },
    });
  }

  async markAnnounced(worldId: string, seq: number): Promise<void> {
    const record = this.records.get(worldId);
    if (record?.break?.seq !== seq) return;
    this.records.set(worldId, { ...record, breakAnnounced: true });
  }
}
