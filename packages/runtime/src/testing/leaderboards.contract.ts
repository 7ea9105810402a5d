/**
 * The contract of the leaderboard port (ports/leaderboards.ts): a write lands only on the revision
 * it read, so of concurrent writers exactly one wins each revision; worlds are independent.
 */
import { describe, expect, it } from "vitest";
import type { LeaderboardRow, LeaderboardStore } from "../ports/leaderboards.js";
import { worldIds } from "./harness.js";

export interface LeaderboardsFixture {
  readonly leaderboards: LeaderboardStore;
}

const row = (playerId: string, gold: number, version = 1): LeaderboardRow => ({
  playerId,
  gold,
  version,
});

// Alike: chain-records.contract.ts's head (a store of one item per world, fresh worlds per test).
export function describeLeaderboardsContract(
  name: string,
  setup: () => Promise<LeaderboardsFixture>,
): void {
  const world = worldIds("boardworld");

  describe(`LeaderboardStore contract: ${name}`, () => {
    it("reads an empty board at revision 0 for a world never written", async () => {
      const { leaderboards } = await setup();
      expect(await leaderboards.read(world())).toEqual({ rev: 0, rows: [] });
    });

    it("writes on the revision read, and refuses a stale one without writing", async () => {
      const { leaderboards } = await setup();
      const w = world();
      expect(await leaderboards.write(w, 0, [row("a", 5), row("b", 3)])).toBe(true);
      expect(await leaderboards.read(w)).toEqual({ rev: 1, rows: [row("a", 5), row("b", 3)] });
      expect(await leaderboards.write(w, 0, [row("c", 9)])).toBe(false);
      expect(await leaderboards.write(w, 2, [row("c", 9)])).toBe(false);
      expect(await leaderboards.write(w, 1, [row("c", 9, 2)])).toBe(true);
      expect(await leaderboards.read(w)).toEqual({ rev: 2, rows: [row("c", 9, 2)] });
    });

    it("lets exactly one of concurrent writers of a revision win", async () => {
      const { leaderboards } = await setup();
      const w = world();
      const results = await Promise.all(
        ["a", "b", "c", "d"].map((p) => leaderboards.write(w, 0, [row(p, 1)])),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const board = await leaderboards.read(w);
      expect(board.rev).toBe(1);
      expect(board.rows).toHaveLength(1);
    });

    it("keeps worlds apart", async () => {
      const { leaderboards } = await setup();
      const a = world();
      await leaderboards.write(a, 0, [row("a", 1)]);
      expect(await leaderboards.read(world())).toEqual({ rev: 0, rows: [] });
    });
  });
}
