import { describe, expect, it } from "vitest";
import {
  connect,
  createMemoryDeps,
  createWorld,
  exportWorld,
  getState,
  RestoreError,
  restoreWorld,
  runTickBatch,
  submitCommand,
} from "../src/index.js";
import { fixtureGame } from "./support/fixture-game.js";

function fresh() {
  return createMemoryDeps(fixtureGame);
}

async function playedWorld() {
  const deps = fresh();
  await createWorld(deps, {
    worldId: "w1",
    players: ["player_0001"],
    settings: { runners: 4, coins: 30 },
  });
  await connect(deps, { connectionId: "c1", playerId: "player_0001", worldId: "w1" });
  deps.push.open("c1"); // a connection that is gone would be removed by the first push
  for (let b = 0; b < 3; b++) {
    for (let i = 0; i < 3; i++) {
      const body = JSON.stringify({
        action: "command",
        id: `m${b}-${i}`,
        type: "move",
        data: { dx: 1 - i, dy: 0.5 },
      });
      await submitCommand(deps, { connectionId: "c1", playerId: "player_0001", body });
      deps.clock.advance(10);
    }
    deps.clock.advance(1000);
    await runTickBatch(deps, { worldId: "w1", token: `t#${b}`, maxTicks: 200 });
  }
  return deps;
}

describe("export and restore", () => {
  it("round-trips a world: the restored one reads the same and runs on to the same hashes", async () => {
    const original = await playedWorld();
    const doc = JSON.parse(JSON.stringify(await exportWorld(original, "w1")));
    expect(doc.journal.length).toBeGreaterThan(0);
    expect(doc.batches).toHaveLength(3);
    expect(doc.inbox).toHaveLength(9);
    const target = fresh();
    target.clock.set(original.clock.nowMs());
    const report = await restoreWorld(target, doc);
    expect(report).toMatchObject({ worldId: "w1", version: 3, tick: 600, batches: 3, commands: 9 });
    for (const deps of [original, target])
      expect(await getState(deps, { worldId: "w1", playerId: "player_0001" })).toEqual(
        await getState(original, { worldId: "w1", playerId: "player_0001" }),
      );
    expect(await target.journal.readEntries("w1", 0, 10_000)).toEqual(
      await original.journal.readEntries("w1", 0, 10_000),
    );
    // The next batch, with the same inputs, gives the same world in both.
    const [a, b] = [
      await runTickBatch(original, { worldId: "w1", token: "next", maxTicks: 100 }),
      await runTickBatch(target, { worldId: "w1", token: "next", maxTicks: 100 }),
    ];
    expect(b.stateHash).toBe(a.stateHash);
    expect((await target.store.getWorld("w1"))?.ledger).toEqual(
      (await original.store.getWorld("w1"))?.ledger,
    );
  });

  it("refuses an altered export, and a world that exists, writing nothing", async () => {
    const original = await playedWorld();
    const doc = await exportWorld(original, "w1");
    const transfer = doc.journal.findIndex((e) => e.kind === "transfer");
    const altered = {
      ...doc,
      journal: doc.journal.map((e, i) =>
        i === transfer && e.kind === "transfer" ? { ...e, amount: e.amount + 1 } : e,
      ),
    };
    const target = fresh();
    await expect(restoreWorld(target, altered)).rejects.toBeInstanceOf(RestoreError);
    await expect(
      restoreWorld(target, {
        ...doc,
        world: {
          ...doc.world,
          state: { ...doc.world.state, hex: `00${doc.world.state.hex.slice(2)}` },
        },
      }),
    ).rejects.toBeInstanceOf(RestoreError);
    await expect(restoreWorld(target, { ...doc, format: "zip" } as never)).rejects.toBeInstanceOf(
      RestoreError,
    );
    expect(await target.store.getWorld("w1")).toBeUndefined();
    expect(await target.journal.readEntries("w1", 0, 10)).toEqual([]);
    await expect(restoreWorld(original, doc)).rejects.toThrow(/already exists/);
  });
});
