/**
 * Create world: a new world at version 0, filled by the game, with its starting ledger entries
 * (accounts, starting balances) journaled. Deterministic in its inputs and idempotent: running it
 * again (a retry, or `seed` run twice) writes the same items or finds them there.
 */
import { Ledger, Simulation, sha256Hex } from "@ledgerquest/engine";
import { ID_PATTERN } from "../definitions/tables.js";
import { NotFoundError, RuntimeError } from "../errors.js";
import { contentKey } from "../ports/blob-store.js";
import type { WorldRecord } from "../ports/entity-store.js";
import type { WorldOptions } from "../world/game.js";
import { encodeWorldState } from "../world/state.js";
import type { RuntimeDeps } from "./deps.js";
import { accountBalances, type LoadedWorld, playerRecord, saveWorldState } from "./world-io.js";

export interface CreateWorldInput extends WorldOptions {
  readonly worldId: string;
  /** The world's seed. Default: its id. */
  readonly seed?: string;
  /** Inbox shards: more shards take more commands per second (see the data model). Default 4. */
  readonly inboxShards?: number;
  /** Whether the game loop should run it. Default true. */
  readonly active?: boolean;
}

export class InvalidWorldError extends RuntimeError {
  override readonly name = "InvalidWorldError";
}

export async function createWorld(
  deps: RuntimeDeps,
  input: CreateWorldInput,
): Promise<{ readonly result: "created" | "exists"; readonly world: WorldRecord }> {
  if (!ID_PATTERN.test(input.worldId)) {
    throw new InvalidWorldError(`world id "${input.worldId}" must match ${ID_PATTERN}`);
  }
  const shards = input.inboxShards ?? 4;
  if (!Number.isInteger(shards) || shards < 1 || shards > 64) {
    throw new InvalidWorldError(`inboxShards must be an integer from 1 to 64, got ${shards}`);
  }
  for (const p of input.players) {
    if (!ID_PATTERN.test(p))
      throw new InvalidWorldError(`player id "${p}" must match ${ID_PATTERN}`);
  }
  const existing = await deps.store.getWorld(input.worldId);
  if (existing !== undefined) return { result: "exists", world: existing };

  const ledger = new Ledger();
  const rules = deps.game.rules(ledger, input.worldId);
  const sim = Simulation.create(rules.definition, input.seed ?? input.worldId);
  const loaded: LoadedWorld = { sim, ledger, rules };
  deps.game.populate(sim, rules, input);
  sim.world.drainEvents(); // population is not game play: nothing to report

  const startMs = deps.clock.nowMs();
  const entries = ledger.entriesSince(0);
  await deps.journal.appendEntries(input.worldId, entries, `create:${input.worldId}`);
  const players = rules.quests?.tracker(sim.world).players ?? input.players;
  await deps.store.putProjections(
    input.worldId,
    0,
    accountBalances(
      ledger,
      ledger.listAccounts().map((a) => a.id),
    ),
    players.map((p) => playerRecord(loaded, input.worldId, p)),
  );
  await deps.inbox.openWorld(input.worldId, shards, startMs);
  // A world made inactive takes no commands until it is activated (`activateWorld`).
  if (input.active === false) await deps.inbox.setAccepting(input.worldId, shards, false);
  const digest = ledger.digest();
  // The state at creation, kept for good (content-addressed): replays start from it.
  const genesisBytes = encodeWorldState({ snapshot: sim.snapshot(), ledger: ledger.checkpoint() });
  const genesis = {
    key: contentKey(`worlds/${input.worldId}/genesis`, genesisBytes),
    sha256: sha256Hex(genesisBytes),
  };
  await deps.blobs.put(genesis.key, genesisBytes);
  const world: WorldRecord = {
    worldId: input.worldId,
    rules: rules.definition.name,
    fingerprint: sim.fingerprintHex,
    version: 0,
    tick: sim.tick,
    state: await saveWorldState(deps, input.worldId, loaded),
    cursors: Array.from({ length: shards }, () => startMs),
    ledger: { count: digest.count, head: digest.head, root: digest.root },
    stateHash: sim.hash(),
    active: input.active ?? true,
    lastBatchToken: "",
    updatedAtMs: startMs,
    genesis,
  };
  const result = await deps.store.createWorld(world);
  if (result === "exists") {
    const raced = await deps.store.getWorld(input.worldId);
    return { result, world: raced ?? world };
  }
  return { result, world };
}

/**
 * Stops a world: its inbox refuses commands first (`world_inactive`), so none is accepted that no
 * loop would apply; then its loop ends at its next lap (after applying what it had accepted).
 */
export async function deactivateWorld(deps: RuntimeDeps, worldId: string): Promise<void> {
  const world = await deps.store.getWorld(worldId);
  if (world === undefined) throw new NotFoundError("world", worldId);
  await deps.inbox.setAccepting(worldId, world.cursors.length, false);
  await deps.store.setWorldActive(worldId, false);
}

/**
 * Starts a stopped world again: it is marked active (the supervisor gives it a loop within its
 * period, or at once on `World Activated`), then its inbox takes commands.
 */
export async function activateWorld(deps: RuntimeDeps, worldId: string): Promise<void> {
  const world = await deps.store.getWorld(worldId);
  if (world === undefined) throw new NotFoundError("world", worldId);
  await deps.store.setWorldActive(worldId, true);
  await deps.inbox.setAccepting(worldId, world.cursors.length, true);
}
