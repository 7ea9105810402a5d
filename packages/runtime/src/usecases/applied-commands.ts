/**
 * Which commands a world's batches applied, read from the batch records: each record names the
 * inbox ranges it drained (its fixed inputs), and the inbox keeps every command. This is how a
 * check of exactly-once counts applications (the fault suite, the load benchmarks).
 */
import type { RuntimeDeps } from "./deps.js";

/** `player/commandId` → how many batches of `[fromVersion, toVersion]` applied it. */
export async function appliedCommandCounts(
  deps: Pick<RuntimeDeps, "journal" | "inbox">,
  worldId: string,
  fromVersion: number,
  toVersion: number,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const record of await deps.journal.listBatches(worldId, fromVersion, toVersion)) {
    for (const d of record.drains) {
      for (const c of await deps.inbox.read(worldId, d.shard, d.fromMs, d.toMs)) {
        const key = `${c.playerId}/${c.commandId}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
  }
  return counts;
}
