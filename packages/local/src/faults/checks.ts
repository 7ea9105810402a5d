import type { GameModule } from "@ledgerquest/runtime";
/**
 * What a fault run must leave true of its world, checked through the same adapters the handlers
 * use: every acknowledged command applied exactly once (read from the batch records' drains, the
 * world's own account of its inputs), the ledger's chain, digest, projections and conservation
 * (`verifyWorld`), every tick from genesis replayed to the recorded hashes (`replayWorld`), and an
 * export of the world restored into other stores, where it verifies again.
 */
import {
  appliedCommandCounts,
  createMemoryDeps,
  exportWorld,
  type RuntimeDeps,
  replayWorld,
  restoreWorld,
  systemClock,
  verifyWorld,
} from "@ledgerquest/runtime";
import { explainLost } from "./forensics.js";

// Alike in form only (read-only figures): runtime/src/ports/journal.ts's BatchRecord.
export interface CheckReport {
  readonly ok: boolean;
  readonly version: number;
  readonly tick: number;
  readonly batches: number;
  /** Commands the batches applied (every player's, the untracked included). */
  readonly applied: number;
  /** Acknowledged commands no batch applied, as `<player>/<command id>`. */
  readonly lost: readonly string[];
  /** For each lost command, what the stores hold of it (`explainLost`). */
  readonly lostTraces: readonly string[];
  /** Commands applied more than once. */
  readonly duplicated: readonly string[];
  /** `ok`, or the problems found. */
  readonly verify: string;
  readonly replay: string;
  readonly export: string;
}

const UNTIL_DRAINED_MS = 120_000;

/**
 * Checks `worldId` in the stack whose handlers run with `env`, against the commands the players
 * were told were accepted (`acknowledged`: command ids by player).
 */
export async function checkWorld(
  env: Readonly<Record<string, string>>,
  worldId: string,
  acknowledged: ReadonlyMap<string, ReadonlySet<string>>,
  game: GameModule,
): Promise<CheckReport> {
  // The SDK clients read their endpoints from the environment when they are made.
  Object.assign(process.env, env);
  const { createRuntimeDeps, readConfig, runtimeConfigSchema } = await import("@ledgerquest/aws");
  const deps = createRuntimeDeps(readConfig(runtimeConfigSchema, env), game);
  await untilDrained(deps, worldId);
  const world = await deps.store.getWorld(worldId);
  if (world === undefined) throw new Error(`fault check: world ${worldId} is gone`);

  const counts = await appliedCommandCounts(deps, worldId, 1, world.version);
  let applied = 0;
  for (const n of counts.values()) applied += n;
  const lost: string[] = [];
  for (const [player, ids] of acknowledged)
    for (const id of ids) if (!counts.has(`${player}/${id}`)) lost.push(`${player}/${id}`);
  const lostTraces = await explainLost(env, deps, worldId, lost);
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([key]) => key);

  const verified = await verifyWorld(deps, worldId);
  const verify = verified.ok
    ? "ok"
    : verified.problems.map((p) => `${p.kind}: ${p.detail}`).join("; ");
  const replayed = await replayWorld(deps, worldId, {});
  const replay = replayed.ok
    ? `ok (${replayed.toTick - replayed.fromTick + 1} ticks from genesis)`
    : `mismatch: ${JSON.stringify(replayed).slice(0, 400)}`;
  const exported = await exportElsewhere(deps, worldId);

  return {
    ok:
      lost.length === 0 &&
      duplicated.length === 0 &&
      verified.ok &&
      replayed.ok &&
      exported === "ok (restored and verified)",
    version: world.version,
    tick: world.tick,
    batches: world.version,
    applied,
    lost,
    lostTraces,
    duplicated,
    verify,
    replay,
    export: exported,
  };
}

/** Waits until each inbox shard's cursor has passed every command stored in it. */
async function untilDrained(deps: RuntimeDeps, worldId: string): Promise<void> {
  const deadline = Date.now() + UNTIL_DRAINED_MS;
  for (;;) {
    const world = await deps.store.getWorld(worldId);
    let waiting = 0;
    for (let shard = 0; shard < (world?.cursors.length ?? 0); shard++) {
      const cursor = world?.cursors[shard] ?? 0;
      waiting += (await deps.inbox.read(worldId, shard, cursor, Number.MAX_SAFE_INTEGER, 1)).length;
    }
    if (waiting === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `fault check: commands of ${worldId} still undrained after ${UNTIL_DRAINED_MS} ms`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Exports the world, restores it into fresh memory stores and verifies it there. */
async function exportElsewhere(deps: RuntimeDeps, worldId: string): Promise<string> {
  try {
    const doc = await exportWorld(deps, worldId);
    const elsewhere = createMemoryDeps(deps.game, systemClock);
    await restoreWorld(elsewhere, doc);
    const report = await verifyWorld(elsewhere, worldId);
    if (!report.ok) return `restored copy fails: ${report.problems.map((p) => p.kind).join(", ")}`;
    const replayed = await replayWorld(elsewhere, worldId, {});
    return replayed.ok ? "ok (restored and verified)" : "restored copy does not replay";
  } catch (error) {
    return `failed: ${(error as Error).message}`;
  }
}
