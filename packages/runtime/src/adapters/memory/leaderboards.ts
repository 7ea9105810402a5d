import type { Leaderboard, LeaderboardRow, LeaderboardStore } from "../../ports/leaderboards.js";

/** Leaderboards in memory, for tests and the in-process runtime. */
export class MemoryLeaderboardStore implements LeaderboardStore {
  private readonly boards = new Map<string, Leaderboard>();

  async read(worldId: string): Promise<Leaderboard> {
    return structuredClone(this.boards.get(worldId) ?? { rev: 0, rows: [] });
  }

  async write(worldId: string, rev: number, rows: readonly LeaderboardRow[]): Promise<boolean> {
    // The check and the write without an await between: concurrent writers see each other.
    if ((this.boards.get(worldId)?.rev ?? 0) !== rev) return false;
    this.boards.set(worldId, { rev: rev + 1, rows: structuredClone([...rows]) });
    return true;
  }
}
