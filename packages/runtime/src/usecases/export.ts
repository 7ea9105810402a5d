/**
 * Export and restore a world: its world item, its current and genesis states, the whole journal,
 * every batch record, every inbox command and its projections, in one self-checking document.
 * A restore checks everything before it writes anything (the journal re-applies to the recorded
 * digest, each state matches its hash), then writes into stores where the world does not exist.
 */
import { fromHex, type JournalEntry, Ledger, sha256Hex, toHex } from "@ledgerquest/engine";
import { CorruptRecordError, NotFoundError, RuntimeError } from "../errors.js";
import type { InboxCommand } from "../ports/command-inbox.js";
import type { AccountBalance, PlayerRecord, WorldRecord } from "../ports/entity-store.js";
import type { BatchRecord } from "../ports/journal.js";
import type { RuntimeDeps } from "./deps.js";
import { INLINE_STATE_BYTES_MAX } from "./world-io.js";

export const EXPORT_FORMAT = "ledgerquest-world-export";

/** A world as a JSON document (bytes as hex). */
export interface WorldExport {
  readonly format: typeof EXPORT_FORMAT;
  readonly version: 1;
  readonly exportedAtMs: number;
  /** The world item, with its state bytes (hex) whether they were inline or in the blob store. */
  readonly world: Omit<WorldRecord, "state"> & {
    readonly state: { readonly sha256: string; readonly hex: string };
  };
  readonly genesis?: { readonly key: string; readonly sha256: string; readonly hex: string };
  readonly journal: readonly JournalEntry[];
  readonly batches: readonly BatchRecord[];
  readonly inbox: readonly InboxCommand[];
  /** Projections with the world version each was written at. */
  readonly accounts: readonly (AccountBalance & { readonly version: number })[];
  readonly players: readonly (PlayerRecord & { readonly version: number })[];
}

export class RestoreError extends RuntimeError {
  override readonly name = "RestoreError";
}

async function stateBytes(deps: RuntimeDeps, world: WorldRecord): Promise<Uint8Array> {
  if (world.state.kind === "inline") return world.state.bytes;
  const bytes = await deps.blobs.get(world.state.key);
  if (bytes === undefined) throw new NotFoundError("world state blob", world.state.key);
  return bytes;
}

/** Reads everything of a world into an export document. */
export async function exportWorld(deps: RuntimeDeps, worldId: string): Promise<WorldExport> {
  const world = await deps.store.getWorld(worldId);
  if (world === undefined) throw new NotFoundError("world", worldId);
  const state = await stateBytes(deps, world);
  if (sha256Hex(state) !== world.state.sha256)
    throw new CorruptRecordError(`world ${worldId}`, "state bytes do not match their hash");
  let genesis: WorldExport["genesis"];
  if (world.genesis !== undefined) {
    const bytes = await deps.blobs.get(world.genesis.key);
    if (bytes === undefined) throw new NotFoundError("genesis blob", world.genesis.key);
    genesis = { ...world.genesis, hex: toHex(bytes) };
  }
  const journal = await deps.journal.readEntries(worldId, 0, world.ledger.count);
  if (journal.length !== world.ledger.count) {
    throw new CorruptRecordError(
      `journal of ${worldId}`,
      `${journal.length} entries found, the world counts ${world.ledger.count}`,
    );
  }
  const batches = await deps.journal.listBatches(worldId, 1, world.version);
  const inbox: InboxCommand[] = [];
  for (let shard = 0; shard < world.cursors.length; shard++) {
    inbox.push(...(await deps.inbox.read(worldId, shard, 0, Number.MAX_SAFE_INTEGER)));
  }
  const accountIds = journal.filter((e) => e.kind === "account").map((e) => e.id);
  const accounts: (AccountBalance & { readonly version: number })[] = [];
  const owners = new Set<string>();
  for (const id of accountIds) {
    const a = await deps.store.getAccount(worldId, id);
    if (a === undefined) continue;
    accounts.push(a);
    if (a.owner !== "system") owners.add(a.owner);
  }
  const players: (PlayerRecord & { readonly version: number })[] = [];
  for (const owner of [...owners].sort()) {
    const p = await deps.store.getPlayer(worldId, owner);
    if (p === undefined) continue;
    players.push(p);
  }
  const { state: _s, ...rest } = world;
  return {
    format: EXPORT_FORMAT,
    version: 1,
    exportedAtMs: deps.clock.nowMs(),
    world: { ...rest, state: { sha256: world.state.sha256, hex: toHex(state) } },
    ...(genesis === undefined ? {} : { genesis }),
    journal,
    batches,
    inbox,
    accounts,
    players,
  };
}

export interface RestoreReport {
  readonly worldId: string;
  readonly version: number;
  readonly tick: number;
  readonly journalEntries: number;
  readonly batches: number;
  readonly commands: number;
}

/**
 * Checks an export and writes it into `deps`' stores. Refuses (`RestoreError`, nothing written)
 * a document that is not an export, whose journal does not re-apply to the world's digest, whose
 * states do not match their hashes, or whose world already exists in the target.
 */
export async function restoreWorld(deps: RuntimeDeps, doc: WorldExport): Promise<RestoreReport> {
  if (doc?.format !== EXPORT_FORMAT || doc.version !== 1)
    throw new RestoreError("not a LedgerQuest world export (format or version unknown)");
  const { world } = doc;
  let digest: ReturnType<Ledger["digest"]>;
  try {
    digest = Ledger.fromJournal(doc.journal).digest();
  } catch (error) {
    throw new RestoreError(`the journal does not re-apply: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (
    digest.count !== world.ledger.count ||
    digest.head !== world.ledger.head ||
    digest.root !== world.ledger.root
  ) {
    throw new RestoreError(
      "the journal's digest differs from the world's: the export was altered or is incomplete",
    );
  }
  const state = fromHex(world.state.hex);
  if (sha256Hex(state) !== world.state.sha256)
    throw new RestoreError("the world state does not match its hash");
  const genesis = doc.genesis === undefined ? undefined : fromHex(doc.genesis.hex);
  if (genesis !== undefined && sha256Hex(genesis) !== doc.genesis?.sha256)
    throw new RestoreError("the genesis state does not match its hash");
  if ((await deps.store.getWorld(world.worldId)) !== undefined) {
    throw new RestoreError(
      `world ${world.worldId} already exists in the target: restore into stores without it`,
    );
  }

  if (genesis !== undefined && doc.genesis !== undefined)
    await deps.blobs.put(doc.genesis.key, genesis);
  await deps.journal.appendEntries(world.worldId, doc.journal, `restore:${world.worldId}`);
  for (const b of doc.batches) await deps.journal.putBatch(b);
  // Commands keep their arrival times: open the shards below the first, submit in order, then
  // raise each shard's watermark to where the world had drained it.
  const startMs = Math.min(...doc.inbox.map((c) => c.arrivedMs - 1), ...world.cursors);
  await deps.inbox.openWorld(world.worldId, world.cursors.length, startMs);
  const ordered = [...doc.inbox].sort((a, b) => a.arrivedMs - b.arrivedMs);
  for (const c of ordered) {
    const r = await deps.inbox.submit({ ...c, nowMs: c.arrivedMs });
    if (r.result !== "accepted" || r.arrivedMs !== c.arrivedMs) {
      throw new RestoreError(
        `command ${c.playerId}/${c.commandId} could not keep its arrival time`,
      );
    }
  }
  for (let shard = 0; shard < world.cursors.length; shard++)
    await deps.inbox.close(world.worldId, shard, world.cursors[shard] as number);
  // Each projection at the version it was written at, as the world's batches left them.
  const versions = new Set([
    ...doc.accounts.map((a) => a.version),
    ...doc.players.map((p) => p.version),
  ]);
  for (const v of [...versions].sort((a, b) => a - b)) {
    const strip = <T extends { readonly version: number }>({ version: _v, ...rest }: T) => rest;
    await deps.store.putProjections(
      world.worldId,
      v,
      doc.accounts.filter((a) => a.version === v).map(strip),
      doc.players.filter((p) => p.version === v).map(strip),
    );
  }
  const { state: _s, ...rest } = world;
  const stateRef =
    state.length <= INLINE_STATE_BYTES_MAX
      ? ({ kind: "inline", bytes: state, sha256: world.state.sha256 } as const)
      : await (async () => {
          const key = `worlds/${world.worldId}/state/${world.state.sha256}`;
          await deps.blobs.put(key, state);
          return {
            kind: "blob",
            key,
            sha256: world.state.sha256,
            bytesLength: state.length,
          } as const;
        })();
  // The world item last: until it exists, the world does not.
  if ((await deps.store.createWorld({ ...rest, state: stateRef })) === "exists") {
    throw new RestoreError(`world ${world.worldId} appeared in the target while restoring`);
  }
  return {
    worldId: world.worldId,
    version: world.version,
    tick: world.tick,
    journalEntries: doc.journal.length,
    batches: doc.batches.length,
    commands: doc.inbox.length,
  };
}
