// Limits per connection and per player, members and watchers, inactive worlds, deadlines and
// bounded drains, over the memory adapters (the DynamoDB adapter passes the same entity-store
// contract for the buckets and the connection cap).
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import {
  activateWorld,
  answerQuery,
  connect,
  createMemoryDeps,
  createWorld,
  DEFAULT_LIMITS,
  DRAIN_COMMANDS_MAX,
  deactivateWorld,
  disconnect,
  type EntityStore,
  type GameModule,
  gcra,
  type ManualClock,
  type MemoryClientPush,
  type MemoryCommandInbox,
  MemoryRateGate,
  type RuntimeDeps,
  replayWorld,
  resolveLimits,
  runTickBatch,
  submitCommand,
} from "../src/index.js";
import { fixtureGame } from "./support/fixture-game.js";

const WORLD = "world-1";
let deps: RuntimeDeps & { inbox: MemoryCommandInbox; clock: ManualClock; push: MemoryClientPush };
/** Calls of the store's token-taking: how many frames reached the store. */
let storeTakes = 0;

function countingStore(store: EntityStore): EntityStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property === "takeConnectionToken" && typeof value === "function") {
        return (...args: unknown[]) => {
          storeTakes++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === "function" ? (value as () => unknown).bind(target) : value;
    },
  });
}

async function setUp(game: GameModule = fixtureGame) {
  storeTakes = 0;
  const memory = createMemoryDeps(game);
  deps = { ...memory, store: countingStore(memory.store) };
  await createWorld(deps, {
    worldId: WORLD,
    players: ["player_0001", "player_0002"],
    settings: { runners: 0, coins: 4 },
  });
}

beforeEach(async () => {
  await setUp();
});

const move = (id: string) =>
  JSON.stringify({ action: "command", id, type: "move", data: { dx: 1, dy: 0 } });
const send = (connectionId: string, playerId: string, body: string, deadlineMs?: number) =>
  submitCommand(deps, {
    connectionId,
    playerId,
    body,
    ...(deadlineMs === undefined ? {} : { deadlineMs }),
  });

async function stored() {
  const all = [];
  for (let shard = 0; shard < 4; shard++)
    all.push(...(await deps.inbox.read(WORLD, shard, 0, Number.MAX_SAFE_INTEGER)));
  return all;
}

describe("the rate of a token bucket (GCRA)", () => {
  it("never lets more than burst + rate × time through, and lets a steady client through", () => {
    fc.assert(
      fc.property(
        fc.record({
          perSecond: fc.integer({ min: 1, max: 100 }),
          burst: fc.integer({ min: 1, max: 50 }),
        }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }),
        (rule, gaps) => {
          let tat: number | undefined;
          let now = 0;
          const allowed: number[] = [];
          for (const gap of gaps) {
            now += gap;
            const o = gcra(tat, now, rule);
            if (o.allowed) {
              tat = o.tatMs;
              allowed.push(now);
            } else expect(o.retryAfterMs).toBeGreaterThan(0);
          }
          // In every window [a, b], at most burst + rate × (b - a) arrivals were allowed.
          for (let i = 0; i < allowed.length; i++) {
            for (let j = i; j < allowed.length; j++) {
              const windowMs = (allowed[j] as number) - (allowed[i] as number);
              expect(j - i + 1).toBeLessThanOrEqual(
                rule.burst + (rule.perSecond * windowMs) / 1000 + 1e-9,
              );
            }
          }
        },
      ),
    );
    // A client at exactly its rate is never refused.
    const rule = { perSecond: 10, burst: 1 };
    let tat: number | undefined;
    for (let t = 0; t < 10_000; t += 100) {
      const o = gcra(tat, t, rule);
      expect(o.allowed).toBe(true);
      if (o.allowed) tat = o.tatMs;
    }
  });

  it("the in-memory gate forgets the least recently used buckets past its size", () => {
    const gate = new MemoryRateGate(2);
    const rule = { perSecond: 1, burst: 1 };
    expect(gate.take("a", rule, 0).allowed).toBe(true);
    expect(gate.take("a", rule, 0).allowed).toBe(false);
    gate.take("b", rule, 0);
    gate.take("c", rule, 0); // evicts a
    expect(gate.take("a", rule, 0).allowed).toBe(true);
  });

  it("checks a game's limits, filling in the defaults", () => {
    expect(resolveLimits(undefined)).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({ connectionsPerPlayer: 2 })).toEqual({
      ...DEFAULT_LIMITS,
      connectionsPerPlayer: 2,
    });
    expect(() => resolveLimits({ commands: { perSecond: 0, burst: 1 } })).toThrow(/commands/);
    expect(() => resolveLimits({ queries: { perSecond: 1, burst: 1, extra: 1 } as never })).toThrow(
      RangeError,
    );
  });
});

describe("commands per connection", () => {
  beforeEach(async () => {
    await connect(deps, { connectionId: "c1", playerId: "player_0001", worldId: WORLD });
    await connect(deps, { connectionId: "c2", playerId: "player_0002", worldId: WORLD });
  });

  it("takes a burst, refuses the rest with rate_limited and stores nothing of it, then takes the rate", async () => {
    const { burst, perSecond } = DEFAULT_LIMITS.commands;
    const results = [];
    for (let i = 0; i < burst + 25; i++)
      results.push(await send("c1", "player_0001", move(`m${i}`)));
    const accepted = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok);
    expect(accepted).toHaveLength(burst);
    expect(refused).toHaveLength(25);
    for (const r of refused) {
      if (r.ok) continue;
      expect(r.error.code).toBe("rate_limited");
      expect(r.error.retryAfterMs).toBeGreaterThan(0);
    }
    expect(await stored()).toHaveLength(burst);
    // The flood beyond the burst never reached the store: the in-process gate refused it. And
    // the burst itself took two store writes: each leases a second's worth of tokens (20),
    // which this process hands out.
    expect(storeTakes).toBe(burst / perSecond);
    // Another player keeps its own pace.
    expect(await send("c2", "player_0002", move("other"))).toMatchObject({ ok: true });
    // A second later, a second's worth more.
    deps.clock.advance(1000);
    let more = 0;
    for (let i = 0; i < perSecond + 5; i++)
      if ((await send("c1", "player_0001", move(`n${i}`))).ok) more++;
    expect(more).toBe(perSecond);
  });

  it("a game sets its own limits", async () => {
    await setUp({ ...fixtureGame, limits: { commands: { perSecond: 1, burst: 2 } } });
    await connect(deps, { connectionId: "c1", playerId: "player_0001", worldId: WORLD });
    const r = [];
    for (let i = 0; i < 4; i++) r.push((await send("c1", "player_0001", move(`m${i}`))).ok);
    expect(r).toEqual([true, true, false, false]);
  });

  it("queries have their own bucket", async () => {
    const { burst } = DEFAULT_LIMITS.queries;
    const q = (id: string) =>
      answerQuery(deps, {
        connectionId: "c1",
        playerId: "player_0001",
        operator: false,
        body: JSON.stringify({ action: "query", id, type: "ledger", data: { limit: 1 } }),
      });
    const answers = [];
    for (let i = 0; i < burst + 3; i++) answers.push(await q(`q${i}`));
    expect(answers.filter((a) => a.type === "result")).toHaveLength(burst);
    expect(answers.filter((a) => a.type === "error" && a.code === "rate_limited")).toHaveLength(3);
    // Commands are still welcome.
    expect(await send("c1", "player_0001", move("after"))).toMatchObject({ ok: true });
  });
});

describe("verifications", () => {
  it("have a small bucket of their own: the journal is not read on demand", async () => {
    await connect(deps, { connectionId: "c1", playerId: "player_0001", worldId: WORLD });
    const ask = (id: string, type: string) =>
      answerQuery(deps, {
        connectionId: "c1",
        playerId: "player_0001",
        operator: false,
        body: JSON.stringify({ action: "query", id, type }),
      });
    const { burst } = DEFAULT_LIMITS.verifies;
    const answers = [];
    for (let i = 0; i <= burst; i++) answers.push(await ask(`v${i}`, "verify"));
    expect(answers.filter((a) => a.type === "result")).toHaveLength(burst);
    expect(answers.at(-1)).toMatchObject({ type: "error", code: "rate_limited", id: `v${burst}` });
    // Other queries are not held up by it.
    expect(await ask("s1", "state")).toMatchObject({ type: "result" });
  });
});

describe("connections per player", () => {
  it("refuses the player's connection past the cap with too_many_connections, and frees a place on disconnect", async () => {
    const max = DEFAULT_LIMITS.connectionsPerPlayer;
    for (let i = 0; i < max; i++) {
      expect(
        await connect(deps, { connectionId: `c${i}`, playerId: "player_0001", worldId: WORLD }),
      ).toMatchObject({ ok: true });
    }
    expect(
      await connect(deps, { connectionId: "extra", playerId: "player_0001", worldId: WORLD }),
    ).toMatchObject({ ok: false, code: "too_many_connections" });
    expect(await deps.store.getConnection("extra")).toBeUndefined();
    // Other players are not counted against it.
    expect(
      await connect(deps, { connectionId: "p2", playerId: "player_0002", worldId: WORLD }),
    ).toMatchObject({ ok: true });
    await disconnect(deps, "c0");
    expect(
      await connect(deps, { connectionId: "extra", playerId: "player_0001", worldId: WORLD }),
    ).toMatchObject({ ok: true });
  });
});

describe("members and watchers", () => {
  it("a player who is not in the world may watch it, but its commands are refused and change nothing", async () => {
    const r = await connect(deps, { connectionId: "w1", playerId: "stranger", worldId: WORLD });
    expect(r).toMatchObject({ ok: true, member: false });
    deps.push.open("w1");
    const before = await deps.store.getWorld(WORLD);
    for (const body of [
      move("m1"),
      JSON.stringify({
        action: "command",
        id: "q1",
        type: "quest.accept",
        data: { quest: "bounty" },
      }),
    ]) {
      expect(await send("w1", "stranger", body)).toMatchObject({
        ok: false,
        error: { code: "not_a_member" },
      });
    }
    expect(await stored()).toEqual([]);
    deps.clock.advance(1000);
    await runTickBatch(deps, { worldId: WORLD, token: "t#1", maxTicks: 5 });
    const after = await deps.store.getWorld(WORLD);
    // The world ran, but knows no more players than before.
    expect(await deps.store.getPlayer(WORLD, "stranger")).toBeUndefined();
    expect(after?.version).toBe((before?.version ?? 0) + 1);
    // Watching is fine: a query answers.
    const state = await answerQuery(deps, {
      connectionId: "w1",
      playerId: "stranger",
      operator: false,
      body: JSON.stringify({ action: "query", id: "s", type: "ledger", data: { limit: 1 } }),
    });
    expect(state).toMatchObject({ type: "result" });
  });
});

describe("a world that is not running", () => {
  it("refuses commands with world_inactive, storing nothing, until it is activated again", async () => {
    await connect(deps, { connectionId: "c1", playerId: "player_0001", worldId: WORLD });
    await deactivateWorld(deps, WORLD);
    expect(await send("c1", "player_0001", move("m1"))).toMatchObject({
      ok: false,
      error: { code: "world_inactive" },
    });
    expect(await stored()).toEqual([]);
    await activateWorld(deps, WORLD);
    expect(await send("c1", "player_0001", move("m1"))).toMatchObject({ ok: true });
  });

  it("a world created inactive takes no commands", async () => {
    await createWorld(deps, {
      worldId: "sleeping",
      players: ["player_0001"],
      settings: { runners: 0, coins: 1 },
      active: false,
    });
    await connect(deps, { connectionId: "c9", playerId: "player_0001", worldId: "sleeping" });
    expect(await send("c9", "player_0001", move("m1"))).toMatchObject({
      ok: false,
      error: { code: "world_inactive" },
    });
  });
});

describe("deadlines", () => {
  it("past its deadline, a command is answered busy and nothing is stored", async () => {
    await connect(deps, { connectionId: "c1", playerId: "player_0001", worldId: WORLD });
    const late = deps.clock.nowMs() - 1;
    expect(await send("c1", "player_0001", move("m1"), late)).toMatchObject({
      ok: false,
      error: { code: "busy", id: "m1" },
    });
    expect(await stored()).toEqual([]);
    expect(await send("c1", "player_0001", move("m1"), deps.clock.nowMs() + 5000)).toMatchObject({
      ok: true,
      result: "accepted",
    });
  });
});

describe("bounded drains", () => {
  it("works a backlog off over several drains, each command applied once, and replays the same", async () => {
    // A backlog as a loop that was down would leave it: straight into one shard, past any limit.
    const count = DRAIN_COMMANDS_MAX * 2 + 500;
    const world = await deps.store.getWorld(WORLD);
    const startMs = deps.clock.nowMs();
    for (let i = 0; i < count; i++) {
      await deps.inbox.submit({
        worldId: WORLD,
        shard: 0,
        playerId: "player_0001",
        commandId: `b${i}`,
        type: "move",
        data: { dx: i % 2 === 0 ? 1 : -1, dy: 0 },
        // Ten commands to a millisecond: a drain can end between them.
        nowMs: startMs + 1 + Math.floor(i / 10),
      });
    }
    deps.clock.advance(count);
    const r = await runTickBatch(deps, {
      worldId: WORLD,
      token: "t#1",
      maxTicks: 5,
      drainIntervalMs: 0,
    });
    expect(r.commandsApplied).toBe(count);
    const record = await deps.journal.getBatch(WORLD, (world?.version ?? 0) + 1);
    const perDrain = (record?.drains ?? []).filter((d) => d.shard === 0);
    expect(perDrain.length).toBeGreaterThanOrEqual(3);
    for (const d of perDrain) {
      const got = await deps.inbox.read(WORLD, 0, d.fromMs, d.toMs);
      expect(got.length).toBeLessThanOrEqual(DRAIN_COMMANDS_MAX);
    }
    // The record's ranges are the batch's inputs: a replay applies exactly them.
    const replay = await replayWorld(deps, WORLD, {});
    expect(replay.ok).toBe(true);
  });
});

describe("deactivating a world while a batch runs", () => {
  it("applies a command accepted after the batch's last drain before the loop ends", async () => {
    await connect(deps, { connectionId: "c1", playerId: "player_0001", worldId: WORLD });
    deps.clock.advance(1000);
    // The batch's only drain happens at its first tick; the command comes after it...
    const inbox = deps.inbox;
    let drained = false;
    const lateInbox = Object.create(inbox) as typeof inbox;
    lateInbox.read = async (...args: Parameters<typeof inbox.read>) => {
      const got = await inbox.read(...args);
      if (!drained) {
        drained = true;
        // ...accepted while the batch still runs, then the world is deactivated.
        deps.clock.advance(5);
        expect(await send("c1", "player_0001", move("late"))).toMatchObject({ ok: true });
        await deactivateWorld(deps, WORLD);
      }
      return got;
    };
    const lapDeps = { ...deps, inbox: lateInbox };
    // The batch's commit finds the world deactivated: a conflict, retried as the loop does.
    await expect(
      runTickBatch(lapDeps, { worldId: WORLD, token: "t#1", maxTicks: 3, drainIntervalMs: 1e9 }),
    ).rejects.toThrow(/moved while this batch committed/);
    const retried = await runTickBatch(deps, { worldId: WORLD, token: "t#1", maxTicks: 3 });
    // The world is inactive, but a command it accepted waits: the loop must go on.
    expect(retried.active).toBe(true);
    deps.clock.advance(1000);
    const last = await runTickBatch(deps, { worldId: WORLD, token: "t#2", maxTicks: 3 });
    expect(last.commandsApplied).toBe(1);
    expect(last.active).toBe(false);
  });
});
