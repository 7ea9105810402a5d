import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ReplayError, replay, replayHashes, Simulation } from "../src/index.js";
import { commandLog, demo, populate } from "./fixtures/demo.js";

const run = promisify(execFile);

function start(seed = "world-1") {
  const sim = Simulation.create(demo, seed);
  populate(sim.world, 300);
  return sim.snapshot();
}

describe("replay", () => {
  it("yields the hash of every tick, and the same seed and commands give the same sequence twice", () => {
    const snapshot = start();
    const log = commandLog(0, 120);
    const first = replayHashes(demo, snapshot, log, { untilTick: 120 });
    const second = replayHashes(demo, snapshot, log, { untilTick: 120 });
    expect(first).toHaveLength(120);
    expect(first.map((h) => h.tick)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(second).toEqual(first);
    expect(new Set(first.map((h) => h.hash)).size).toBe(120);
  });

  it("gives the same hashes across a snapshot and restore in the middle", () => {
    const snapshot = start();
    const log = commandLog(0, 120);
    const straight = replayHashes(demo, snapshot, log, { untilTick: 120 });
    const sim = Simulation.restore(demo, snapshot);
    for (let t = 0; t < 60; t++) sim.step(log.find((e) => e.tick === t)?.commands ?? []);
    const middle = sim.snapshot();
    const resumed = replayHashes(
      demo,
      middle,
      log.filter((e) => e.tick >= 60),
      { untilTick: 120 },
    );
    expect(resumed).toEqual(straight.slice(60));
  });

  it("a different command or seed changes the hashes from that tick on", () => {
    const snapshot = start();
    const log = commandLog(0, 60);
    const base = replayHashes(demo, snapshot, log, { untilTick: 60 });
    const tampered = log.map((e) =>
      e.tick === 30 ? { ...e, commands: [{ ...e.commands[0], data: { dx: 9, dy: 0 } }] } : e,
    );
    const other = replayHashes(demo, snapshot, tampered as typeof log, { untilTick: 60 });
    const firstDiff = other.findIndex((h, i) => h.hash !== base[i]?.hash);
    expect(firstDiff).toBe(30);
    expect(replayHashes(demo, start("world-2"), log, { untilTick: 1 })[0]?.hash).not.toBe(
      base[0]?.hash,
    );
  });

  it("rejects a command log out of order", () => {
    const snapshot = start();
    const bad = [
      { tick: 5, commands: [] },
      { tick: 3, commands: [] },
    ];
    expect(() => [...replay(demo, snapshot, bad)]).toThrow(ReplayError);
  });

  it("gives the same hashes in two separate Node processes", async () => {
    const child = fileURLToPath(new URL("./fixtures/replay-child.ts", import.meta.url));
    const once = () =>
      run(
        process.execPath,
        ["--conditions=@ledgerquest/source", "--import", "tsx", child, "world-1", "90"],
        { encoding: "utf8" },
      );
    const [a, b] = await Promise.all([once(), once()]);
    const ha = JSON.parse(a.stdout) as string[];
    const hb = JSON.parse(b.stdout) as string[];
    expect(ha).toHaveLength(90);
    expect(hb).toEqual(ha);
    // And the same as this process.
    const here = replayHashes(demo, start(), commandLog(0, 90), { untilTick: 90 }).map(
      (h) => h.hash,
    );
    expect(ha).toEqual(here);
  });
});
