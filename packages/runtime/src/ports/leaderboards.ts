/**
 * The leaderboard port: a world's top players by a unit's balance, kept by the AuditLog stream
 * consumer (EntityTable's `leaderboard#<world>` in AWS). Writers of one world may run at once (its
 * journal spans stream shards), so a write names the revision it read and fails if another
 * writer moved it: the loser reads again and merges its rows into the winner's.
 */

export interface LeaderboardRow {
  readonly playerId: string;
  /** The balance ranked by. */
  readonly gold: number;
  /** The world version of the player projection the balance was read from. */
  readonly version: number;
}

export interface Leaderboard {
  /** Bumped by every write; 0 for a world whose board was never written. */
  readonly rev: number;
  readonly rows: readonly LeaderboardRow[];
}

export interface LeaderboardStore {
  /** The world's board, read consistently: `{ rev: 0, rows: [] }` for one never written. */
  read(worldId: string): Promise<Leaderboard>;
  /**
   * Writes `rows` as revision `rev + 1` if the board is still at `rev` (for `rev` 0: if it was
   * never written). `false` when another writer got there first: nothing was written.
   */
  write(worldId: string, rev: number, rows: readonly LeaderboardRow[]): Promise<boolean>;
}
