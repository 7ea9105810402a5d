/**
 * Loading and saving a world's state (simulation snapshot and ledger checkpoint) through the
 * ports: inline in the world item while it fits, in the blob store beyond.
 */
import {
  type Account,
  fingerprintOf,
  Ledger,
  Simulation,
  sha256Hex,
  toHex,
} from "@ledgerquest/engine";
import { CorruptRecordError, NotFoundError, RulesMismatchError } from "../errors.js";
import { useNodeSha256 } from "../native-hash.js";
import { contentKey } from "../ports/blob-store.js";
import type { AccountBalance, PlayerRecord, StateRef, WorldRecord } from "../ports/entity-store.js";
import type { GameRules } from "../world/game.js";
import { decodeWorldState, encodeWorldState } from "../world/state.js";
import type { RuntimeDeps } from "./deps.js";

/**
 * World states up to this size live in the world item itself. DynamoDB's item limit is 400 KB
 * for the whole item; the rest of the world item is small, and this leaves a wide margin.
 */
export const INLINE_STATE_BYTES_MAX = 300_000;

export interface LoadedWorld {
  readonly sim: Simulation;
  readonly ledger: Ledger;
  readonly rules: GameRules;
}

export async function loadWorldState(deps: RuntimeDeps, world: WorldRecord): Promise<LoadedWorld> {
  useNodeSha256();
  const where = `world ${world.worldId} v${world.version}`;
  let bytes: Uint8Array;
  if (world.state.kind === "inline") {
    bytes = world.state.bytes;
  } else {
    const got = await deps.blobs.get(world.state.key);
    if (got === undefined) throw new NotFoundError("world state blob", world.state.key);
    bytes = got;
  }
  if (sha256Hex(bytes) !== world.state.sha256)
    throw new CorruptRecordError(where, "state bytes do not match their hash");
  const state = decodeWorldState(bytes, where);
  const ledger = Ledger.fromCheckpoint(state.ledger);
  const rules = deps.game.rules(ledger, world.worldId);
  // Checked before the snapshot is decoded, so that the error says what to do about it.
  const fingerprint = toHex(fingerprintOf(rules.definition));
  if (fingerprint !== world.fingerprint)
    throw new RulesMismatchError(world.worldId, world.fingerprint, fingerprint);
  const sim = Simulation.restore(rules.definition, state.snapshot);
  return { sim, ledger, rules };
}

/** Encodes the state and, if it is too big for the item, stores it as a content-addressed blob. */
export async function saveWorldState(
  deps: RuntimeDeps,
  worldId: string,
  loaded: LoadedWorld,
): Promise<StateRef> {
  useNodeSha256();
  const bytes = encodeWorldState({
    snapshot: loaded.sim.snapshot(),
    ledger: loaded.ledger.checkpoint(),
  });
  const sha256 = sha256Hex(bytes);
  if (bytes.length <= INLINE_STATE_BYTES_MAX) return { kind: "inline", bytes, sha256 };
  const key = contentKey(`worlds/${worldId}/state`, bytes);
  await deps.blobs.put(key, bytes);
  return { kind: "blob", key, sha256, bytesLength: bytes.length };
}

/** Balances of the given accounts, as the entity store keeps them. */
export function accountBalances(ledger: Ledger, ids: Iterable<string>): AccountBalance[] {
  const out: AccountBalance[] = [];
  for (const id of ids) {
    const a = ledger.account(id);
    if (a !== undefined) out.push(accountBalance(a));
  }
  return out;
}

/** One ledger account's totals as the entity store keeps them. */
export function accountBalance(a: Readonly<Account>): AccountBalance {
  return {
    accountId: a.id,
    owner: a.owner,
    unit: a.unit,
    debits: a.debits,
    credits: a.credits,
    balance: a.credits - a.debits,
  };
}

/**
 * What is held outside the system's accounts (mints and sinks), per unit: the gold, xp and items
 * in circulation. Units in sorted order, so the object is the same on every machine.
 */
export function supplyOf(ledger: Ledger): Record<string, number> {
  const totals = new Map<string, number>();
  for (const a of ledger.listAccounts()) {
    if (a.owner === "system") continue;
    totals.set(a.unit, (totals.get(a.unit) ?? 0) + a.credits - a.debits);
  }
  return Object.fromEntries([...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A player's profile from the ledger and the quest tracker. */
export function playerRecord(loaded: LoadedWorld, worldId: string, playerId: string): PlayerRecord {
  const balances: Record<string, number> = {};
  for (const a of loaded.ledger.listAccounts()) {
    if (a.owner === playerId) balances[a.unit] = a.credits - a.debits;
  }
  const quests: Record<string, { state: string; progress?: number }> = {};
  const tracker = loaded.rules.quests?.tracker(loaded.sim.world);
  if (tracker?.hasPlayer(playerId)) {
    for (const status of tracker.log(playerId)) {
      const done = status.progress.reduce((s, p) => s + p, 0);
      quests[status.quest] =
        status.state === "active"
          ? { state: status.state, progress: done }
          : { state: status.state };
    }
  }
  const xp = loaded.rules.economy.hasUnit("xp") ? loaded.rules.economy.xpOf(playerId) : 0;
  return { playerId, worldId, xp, level: loaded.rules.economy.levelOf(playerId), balances, quests };
}
