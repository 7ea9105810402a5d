import { describe, expect, it } from "vitest";
import {
  checkDeterminism,
  expectDeterministic,
  NondeterminismError,
  type ScriptedCommand,
} from "../src/index.js";
import { coinGame, makeDriftingGame } from "./support/coin-game.js";

const script: readonly ScriptedCommand[] = [
  { tick: 0, player: "alice", type: "move", data: { dx: 1, dy: 1 } },
  { tick: 2, player: "bob", type: "move", data: { dx: 0, dy: 1 } },
  { tick: 3, player: "alice", type: "buy", data: { quantity: 1 } },
  { tick: 5, player: "alice", type: "move", data: { dx: 1, dy: 0 } },
  { tick: 7, player: "bob", type: "move", data: { dx: 5, dy: 0 } }, // refused: invalid data
];

describe("checkDeterminism", () => {
  it("passes for a sound game: the repeat and the restored run hash as the first", async () => {
    const report = await checkDeterminism(coinGame, { ticks: 12, script, snapshotAt: 4 });
    expect(report.firstMismatch).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(report.hashes).toHaveLength(13);
    expect(report.refused).toEqual([expect.objectContaining({ index: 4, code: "invalid_data" })]);
    await expect(expectDeterministic(coinGame, { ticks: 12, script })).resolves.toMatchObject({
      ok: true,
    });
  });

  it("fails for a game with state outside the world, naming the first tick that differs", async () => {
    const report = await checkDeterminism(makeDriftingGame(), { ticks: 10, script });
    expect(report.ok).toBe(false);
    // The counter's sixth run doubles a coin in the first run's tick 6 (after its step: tick 6).
    expect(report.firstMismatch).toMatchObject({ tick: 6, run: "repeat" });
    expect(report.firstMismatch?.expected).toBe(report.hashes[6]);
    expect(report.firstMismatch?.actual).not.toBe(report.firstMismatch?.expected);
    await expect(expectDeterministic(makeDriftingGame(), { ticks: 10, script })).rejects.toThrow(
      NondeterminismError,
    );
    await expect(expectDeterministic(makeDriftingGame(), { ticks: 10, script })).rejects.toThrow(
      /at tick 6/,
    );
  });
});
