import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { replayHashes, Simulation } from "@ledgerquest/engine";
import { describe, expect, it } from "vitest";
import { arena, COIN_COLLECTED, createArena, scriptedMoves } from "../src/game.js";

const run = promisify(execFile);

describe("the demo arena", () => {
  it("is alive: bots collect coins, nothing faults, and the player follows its commands", () => {
    const sim = createArena("test", { bodies: 400, bots: 20, coins: 150 });
    const player = sim.world.byName("player_0001") as number;
    const events = [];
    for (let t = 0; t < 600; t++) {
      sim.step(scriptedMoves(sim.tick));
      events.push(...sim.world.drainEvents());
    }
    expect(
      events.filter((e) => e.kind === "custom" && e.code === COIN_COLLECTED).length,
    ).toBeGreaterThan(0);
    expect(events.filter((e) => e.kind === "body_invalid")).toHaveLength(0);
    expect(sim.world.isAlive(player)).toBe(true);
  });

  it("replays to the same hashes from a snapshot and the scripted commands", () => {
    const sim = createArena("replay", { bodies: 200, bots: 5, coins: 20 });
    const start = sim.snapshot();
    const log = Array.from({ length: 90 }, (_, tick) => ({
      tick,
      commands: scriptedMoves(tick),
    })).filter((e) => e.commands.length > 0);
    const live: string[] = [];
    for (let t = 0; t < 90; t++) {
      sim.step(scriptedMoves(t));
      live.push(sim.hash());
    }
    expect(replayHashes(arena, start, log, { untilTick: 90 }).map((h) => h.hash)).toEqual(live);
    expect(Simulation.restore(arena, sim.snapshot()).hash()).toBe(sim.hash());
  });

  it("npm start's script runs headless, prints ticks/s and the final hash, the same on every run", async () => {
    const script = fileURLToPath(new URL("../src/headless.ts", import.meta.url));
    const args = ["--import", "tsx", script, "--bodies", "300", "--seconds", "2", "--seed", "ci"];
    const [a, b] = await Promise.all([run(process.execPath, args), run(process.execPath, args)]);
    expect(a.stdout).toMatch(/ticks\/s: [\d,]+/);
    const hash = /final state hash: ([0-9a-f]{64}) \(tick 120\)/.exec(a.stdout)?.[1];
    expect(hash).toBeDefined();
    expect(b.stdout).toContain(`final state hash: ${hash}`);
    await expect(
      run(process.execPath, [...args.slice(0, 3), "--bodies", "-5"]),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining("--bodies must be a whole number"),
    });
  });
});
