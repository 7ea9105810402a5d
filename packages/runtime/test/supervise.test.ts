// The loop supervisor and the loops' own ownership rule, over the memory adapters: every active
// world gets exactly one running loop, a duplicate loop yields to the world's owner within a lap,
// and a loop that took over from a dead owner runs at once.
import { beforeEach, describe, expect, it } from "vitest";
import {
  createMemoryDeps,
  createWorld,
  executionOfToken,
  LOOP_START_SLOT_MS,
  loopExecutionName,
  loopNamePrefix,
  type ManualClock,
  type MemoryEntityStore,
  MemoryWorkflowStarter,
  type RuntimeDeps,
  runTickBatch,
  superviseGameLoops,
} from "../src/index.js";
import { fixtureGame } from "./support/fixture-game.js";

let deps: RuntimeDeps & { store: MemoryEntityStore; clock: ManualClock };
let loops: MemoryWorkflowStarter;
const supervise = (worldIds?: readonly string[]) =>
  superviseGameLoops(
    { store: deps.store, loops, clock: deps.clock },
    worldIds === undefined ? {} : { worldIds },
  );
const slot = () => Math.floor(deps.clock.nowMs() / LOOP_START_SLOT_MS);
const LEASE_MS = 30_000;

beforeEach(async () => {
  deps = createMemoryDeps(fixtureGame);
  loops = new MemoryWorkflowStarter();
  for (const worldId of ["alpha", "beta.1", "gamma"]) {
    await createWorld(deps, {
      worldId,
      players: ["player_0001"],
      settings: { runners: 0, coins: 2 },
      active: worldId !== "gamma",
    });
  }
});

/** One lap of `execution`'s loop: a batch of a few ticks. */
const lap = (worldId: string, execution: string, iteration: number, predecessor = "") =>
  runTickBatch(deps, {
    worldId,
    token: `${execution}#${iteration}`,
    maxTicks: 3,
    loop: { execution, predecessor, leaseMs: LEASE_MS },
  });

describe("the loop supervisor", () => {
  it("starts one loop for every active world that has none, named validly, and none for inactive ones", async () => {
    const report = await supervise();
    expect(report.checked).toBe(2);
    expect(report.running).toBe(0);
    expect(report.starts.map((s) => [s.worldId, s.execution, s.result])).toEqual([
      ["alpha", loopExecutionName("alpha", `s${slot()}`), "started"],
      ["beta.1", loopExecutionName("beta.1", `s${slot()}`), "started"],
    ]);
    for (const e of loops.executions()) expect(e.name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(loops.executions().map((e) => e.input)).toEqual([
      { worldId: "alpha", iteration: 0, predecessor: "", namePrefix: "alpha" },
      { worldId: "beta.1", iteration: 0, predecessor: "", namePrefix: loopNamePrefix("beta.1") },
    ]);

    // Again, and from an event naming a world: those loops run, nothing more starts.
    const again = await supervise();
    expect(again.running).toBe(2);
    expect(again.starts).toEqual([]);
    expect((await supervise(["alpha", "gamma", "nowhere"])).inactive).toEqual(["gamma", "nowhere"]);
    expect(loops.executions()).toHaveLength(2);
  });

  it("starts a stopped loop again, taking over from the world's last owner", async () => {
    await supervise(["alpha"]);
    const [first] = loops.executions();
    if (first === undefined) throw new Error("no loop started");
    const r = await lap("alpha", first.name, 0);
    expect(r.outcome).toBe("committed");
    loops.finish(first.name, "FAILED");

    // The same slot: that name is spent, so nothing starts (at most a start a slot).
    const sameMinute = await supervise(["alpha"]);
    expect(sameMinute.starts.map((s) => s.result)).toEqual(["exists"]);

    deps.clock.advance(LOOP_START_SLOT_MS);
    const next = await supervise();
    const start = next.starts.find((s) => s.worldId === "alpha");
    expect(start).toMatchObject({ result: "started", predecessor: first.name });
    // The new loop runs at once, though the dead owner's lease is still fresh.
    const taken = await lap("alpha", start?.execution ?? "", 0, first.name);
    expect(taken.outcome).toBe("committed");
    const world = await deps.store.getWorld("alpha");
    expect(executionOfToken(world?.lastBatchToken ?? "")).toBe(start?.execution);
  });
});

describe("the loop supervisor when a service fails", () => {
  it("looks after every other world, and reports the one it could not", async () => {
    const failing = {
      ...deps.store,
      getWorld: async (id: string) => {
        if (id === "alpha") throw new Error("throttled");
        return await deps.store.getWorld(id);
      },
      listActiveWorlds: (after?: string) => deps.store.listActiveWorlds(after),
    };
    const report = await superviseGameLoops({ store: failing, loops, clock: deps.clock });
    expect(report.failures.map((f) => f.worldId)).toEqual(["alpha"]);
    expect(report.starts.map((s) => s.worldId)).toEqual(["beta.1"]);
  });
});

describe("one owner per world", () => {
  it("a second loop yields to the owner while its lease is fresh, having run and written nothing", async () => {
    expect((await lap("alpha", "alpha--s1", 0)).outcome).toBe("committed");
    const before = await deps.store.getWorld("alpha");
    const dup = await lap("alpha", "alpha--s2", 0);
    expect(dup).toMatchObject({ outcome: "superseded", active: false, ticks: 0 });
    expect(await deps.store.getWorld("alpha")).toEqual(before);
    // The owner carries on.
    expect((await lap("alpha", "alpha--s1", 1)).outcome).toBe("committed");
  });

  it("a continue-as-new successor takes over from its predecessor at once", async () => {
    await lap("alpha", "alpha--s1", 0);
    const next = await lap("alpha", "alpha--t3", 0, "alpha--s1");
    expect(next.outcome).toBe("committed");
    // And now the predecessor, were it still running, is the one that yields.
    expect((await lap("alpha", "alpha--s1", 1)).outcome).toBe("superseded");
  });

  it("once the owner's lease runs out, another loop takes the world, and the old owner yields", async () => {
    await lap("alpha", "alpha--s1", 0);
    deps.clock.advance(LEASE_MS + 1);
    expect((await lap("alpha", "alpha--s2", 0)).outcome).toBe("committed");
    expect((await lap("alpha", "alpha--s1", 1)).outcome).toBe("superseded");
  });

  it("a world just created has no owner: the first loop takes it", async () => {
    expect((await lap("alpha", "alpha--s7", 0)).outcome).toBe("committed");
  });
});
