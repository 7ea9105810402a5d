/**
 * The gold leaderboard projection: a world's top `LEADERBOARD_SIZE` players by gold, kept from
 * the journal's gold transfers as they are written (the AuditLog stream consumer's second job).
 *
 * Transfers name the accounts that changed; their owners' balances are read from the player
 * projections (never summed from amounts), so a redelivered record changes nothing, and a row is
 * only ever replaced by one from the same or a later world version. Known limit: a top 100 kept
 * without the rest cannot tell who is 101st, so when a listed player loses gold, an unlisted
 * player who now ranks above them appears on their own next gold change.
 */
import type { JournalEntry } from "@ledgerquest/engine";
import { StoreUnavailableError } from "../errors.js";
import type { EntityStore } from "../ports/entity-store.js";
import type { LeaderboardRow, LeaderboardStore } from "../ports/leaderboards.js";

/** The unit the leaderboard ranks by. */
export const LEADERBOARD_UNIT = "gold";
export const LEADERBOARD_SIZE = 100;
/** Writes tried against rival writers of the same board before giving up (to be retried). */
export const LEADERBOARD_WRITE_ATTEMPTS = 5;

export interface LeaderboardDeps {
  readonly store: EntityStore;
  readonly leaderboards: LeaderboardStore;
  /**
   * How long to wait for a world's batch to commit before reading its player projections. The
   * tick writes journal entries first and projections just after, so a stream record can arrive
   * while the projections are one version behind. Default 10 tries, 200 ms apart; after that the
   * leaderboard takes what is there (it catches up on the next gold change) and `log` says so.
   */
  readonly commitWait?: {
    readonly attempts: number;
    readonly delayMs: number;
    readonly sleep?: (ms: number) => Promise<void>;
  };
  readonly log?: (message: string, fields: Readonly<Record<string, unknown>>) => void;
}

/**
 * The leaderboard with `updates` applied: a row is replaced only by one from the same or a later
 * version, so a late or redelivered read never rolls a balance back. Ordered by gold, most first,
 * then by player id; at most `LEADERBOARD_SIZE` rows.
 */
export function mergeLeaderboard(
  current: readonly LeaderboardRow[],
  updates: readonly LeaderboardRow[],
): LeaderboardRow[] {
  const rows = new Map<string, LeaderboardRow>();
  for (const row of current) rows.set(row.playerId, row);
  for (const row of updates) {
    const existing = rows.get(row.playerId);
    if (existing === undefined || row.version >= existing.version) rows.set(row.playerId, row);
  }
  return [...rows.values()]
    .sort(
      (a, b) => b.gold - a.gold || (a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : 0),
    )
    .slice(0, LEADERBOARD_SIZE);
}

/**
 * Brings the world's board up to date with the players whose gold the transfers changed. Throws
 * `StoreUnavailableError` when rival writers won every attempt (the caller retries the records).
 */
export async function projectLeaderboard(
  deps: LeaderboardDeps,
  worldId: string,
  transfers: readonly JournalEntry[],
): Promise<void> {
  const accountIds = new Set<string>();
  let lastSeq = -1;
  for (const e of transfers) {
    if (e.kind !== "transfer" || e.unit !== LEADERBOARD_UNIT) continue;
    accountIds.add(e.debit);
    accountIds.add(e.credit);
    lastSeq = Math.max(lastSeq, e.seq);
  }
  if (accountIds.size === 0) return;
  await awaitCommit(deps, worldId, lastSeq);
  const updates = await playerRows(deps.store, worldId, accountIds);
  if (updates.length === 0) return;
  for (let attempt = 0; attempt < LEADERBOARD_WRITE_ATTEMPTS; attempt++) {
    const board = await deps.leaderboards.read(worldId);
    const rows = mergeLeaderboard(board.rows, updates);
    if (sameRows(rows, board.rows)) return;
    // Optimistic: two shards of one world may update it at once; the loser merges again.
    if (await deps.leaderboards.write(worldId, board.rev, rows)) return;
  }
  throw new StoreUnavailableError(
    "leaderboard",
    `update of ${worldId}'s board: other writers won ${LEADERBOARD_WRITE_ATTEMPTS} times`,
  );
}

/** The rows of the players who own the accounts (not the system's, and not bots'). */
async function playerRows(
  store: EntityStore,
  worldId: string,
  accountIds: ReadonlySet<string>,
): Promise<LeaderboardRow[]> {
  // Two batch reads, not a read per account and per player (67 of the stream's 74 requests a
  // second under 200 players, each a round trip).
  const accounts = await store.getAccounts(worldId, [...accountIds].sort());
  const owners = new Set<string>();
  for (const a of accounts.values()) if (a.owner !== "system") owners.add(a.owner);
  // Only players have player projections: bots' and the system's accounts stay off the board.
  const players = await store.getPlayers(worldId, [...owners].sort());
  const rows: LeaderboardRow[] = [];
  for (const owner of [...owners].sort()) {
    const p = players.get(owner);
    if (p !== undefined) {
      rows.push({
        playerId: p.playerId,
        gold: p.balances[LEADERBOARD_UNIT] ?? 0,
        version: p.version,
      });
    }
  }
  return rows;
}

function sameRows(a: readonly LeaderboardRow[], b: readonly LeaderboardRow[]): boolean {
  return (
    a.length === b.length &&
    a.every((row, i) => {
      const other = b[i] as LeaderboardRow;
      return (
        row.playerId === other.playerId && row.gold === other.gold && row.version === other.version
      );
    })
  );
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until the batch that wrote entry `seq` has committed (and so its projections). */
async function awaitCommit(deps: LeaderboardDeps, worldId: string, seq: number): Promise<void> {
  const wait = deps.commitWait ?? { attempts: 10, delayMs: 200 };
  const sleep = wait.sleep ?? sleepFor;
  for (let attempt = 1; ; attempt++) {
    const count = (await deps.store.getLedgerHead(worldId))?.count;
    if (count !== undefined && count > seq) return;
    if (attempt >= wait.attempts) {
      deps.log?.("projecting the leaderboard before the batch committed: it may lag", {
        worldId,
        seq,
        committed: count,
      });
      return;
    }
    await sleep(wait.delayMs);
  }
}
