import { sha256Hex } from "@ledgerquest/engine";
import { beforeEach, describe, expect, it } from "vitest";
import {
  CONNECTING_MS_MAX,
  claimQuestReward,
  connect,
  createMemoryDeps,
  createWorld,
  disconnect,
  getState,
  InvalidWorldError,
  type ManualClock,
  type MemoryDeps,
  RulesMismatchError,
  runTickBatch,
  submitCommand,
} from "../src/index.js";
import { fixtureGame, START } from "./support/fixture-game.js";

let deps: MemoryDeps & { readonly clock: ManualClock };

beforeEach(async () => {
  deps = createMemoryDeps(fixtureGame);
  await createWorld(deps, {
    worldId: "world-1",
    players: ["player_0001", "player_0002"],
    settings: { runners: 2, coins: 20 },
  });
});

/** Every command stored in the world's inbox, whatever the shard. */
async function inboxContents() {
  const all = [];
  for (let shard = 0; shard < 4; shard++)
    all.push(...(await deps.inbox.read("world-1", shard, 0, Number.MAX_SAFE_INTEGER)));
  return all;
}

const frame = (id: string, type: string, data: unknown) =>
  JSON.stringify({ action: "command", id, type, data });

describe("connect and disconnect", () => {
  it("registers a connection for the authenticated player in an existing world", async () => {
    const r = await connect(deps, {
      connectionId: "c1",
      playerId: "player_0001",
      worldId: "world-1",
    });
    expect(r).toEqual({ ok: true, worldId: "world-1", tick: 0, version: 0, member: true });
    expect(await deps.store.getConnection("c1")).toMatchObject({
      playerId: "player_0001",
      worldId: "world-1",
      inboxShards: 4,
    });
    await disconnect(deps, "c1");
    expect(await deps.store.getConnection("c1")).toBeUndefined();
  });

  it("refuses an unknown world and malformed ids, storing nothing", async () => {
    expect(
      await connect(deps, { connectionId: "c1", playerId: "player_0001", worldId: "nope" }),
    ).toMatchObject({
      ok: false,
      code: "unknown_world",
    });
    expect(
      await connect(deps, { connectionId: "c1", playerId: "a b", worldId: "world-1" }),
    ).toMatchObject({
      ok: false,
      code: "invalid_request",
    });
    expect(await deps.store.getConnection("c1")).toBeUndefined();
  });
});

describe("submit command", () => {
  beforeEach(async () => {
    await connect(deps, { connectionId: "c1", playerId: "player_0001", worldId: "world-1" });
  });

  it("accepts a valid command once; a replayed command id is a duplicate and stores nothing", async () => {
    const body = frame("m1", "move", { dx: 1, dy: 0 });
    expect(
      await submitCommand(deps, { connectionId: "c1", playerId: "player_0001", body }),
    ).toEqual({
      ok: true,
      result: "accepted",
      id: "m1",
    });
    expect(
      await submitCommand(deps, { connectionId: "c1", playerId: "player_0001", body }),
    ).toEqual({
      ok: true,
      result: "duplicate",
      id: "m1",
    });
    const stored = await inboxContents();
    expect(stored.map((c) => [c.playerId, c.commandId, c.type])).toEqual([
      ["player_0001", "m1", "move"],
    ]);
  });

  it("answers bad input with a typed error frame and stores nothing", async () => {
    const cases: [string | null, string][] = [
      [null, "not_json"],
      ["{not json", "not_json"],
      [JSON.stringify({ action: "command", id: "x1" }), "invalid_frame"],
      [frame("x2", "teleport", {}), "unknown_command"],
      [frame("x3", "move", { dx: "1", dy: 0 }), "invalid_data"],
      [frame("x4", "move", { dx: 1e308 * 10, dy: 0 }), "invalid_data"],
      [frame("x5", "move", { dx: 2, dy: 0 }), "invalid_data"],
      [frame("x6", "move", { dx: 0, dy: 0, extra: true }), "invalid_data"],
      [frame("x7", "move", { dx: 0.5, dy: 0, note: "x".repeat(9000) }), "frame_too_large"],
      [frame("x8", "move", { dx: 1, dy: 0, entity: "player_0002" }), "forbidden"],
    ];
    for (const [body, code] of cases) {
      const r = await submitCommand(deps, { connectionId: "c1", playerId: "player_0001", body });
      expect(r.ok, String(body).slice(0, 60)).toBe(false);
      if (!r.ok) expect(r.error.code, String(body).slice(0, 60)).toBe(code);
    }
    expect(await inboxContents()).toEqual([]);
  });

  it("a player's identity comes from the connection, not from the frame", async () => {
    const body = JSON.stringify({
      action: "command",
      id: "s1",
      type: "move",
      data: { dx: 1, dy: 0 },
      actor: "player_0002",
    });
    const r = await submitCommand(deps, { connectionId: "c1", playerId: "player_0001", body });
    expect(r.ok).toBe(false); // an unknown field is refused outright
    // And a connection cannot be used by another identity.
    const other = await submitCommand(deps, {
      connectionId: "c1",
      playerId: "player_0002",
      body: frame("s2", "move", { dx: 1, dy: 0 }),
    });
    expect(other).toMatchObject({ ok: false, error: { code: "not_in_world" } });
    expect(await inboxContents()).toEqual([]);
  });

  it("commands reach the world at the next batch, applied once, as the actor's own", async () => {
    await submitCommand(deps, {
      connectionId: "c1",
      playerId: "player_0001",
      body: frame("go", "move", { dx: 1, dy: 0, entity: "player_0001" }),
    });
    deps.clock.advance(1000);
    const r = await runTickBatch(deps, { worldId: "world-1", token: "t#1", maxTicks: 30 });
    expect(r.commandsApplied).toBe(1);
    const state = await getState(deps, {
      worldId: "world-1",
      playerId: "player_0001",
      entities: true,
    });
    const me = state?.entities?.find((e) => e.name === "player_0001");
    expect(me?.x).toBeGreaterThan(START.x); // it started at the centre (START) and moved right
    expect(state?.player).toMatchObject({ playerId: "player_0001", worldId: "world-1" });
    deps.clock.advance(1000);
    const again = await runTickBatch(deps, { worldId: "world-1", token: "t#2", maxTicks: 30 });
    expect(again.commandsApplied).toBe(0);
  });

  it("pushes state deltas to the world's connections after a batch", async () => {
    deps.push.open("c1");
    deps.clock.advance(10); // the batch commits after the player connected
    const r = await runTickBatch(deps, { worldId: "world-1", token: "t#1", maxTicks: 10 });
    expect(r.pushed).toBe(1);
    const [message] = deps.push.received("c1");
    const state = JSON.parse(message ?? "{}") as {
      type: string;
      tick: number;
      changed: unknown[];
      full: boolean;
    };
    // A connection made since the last commit gets the whole world: it has nothing to apply a delta to.
    expect(state).toMatchObject({ type: "state", tick: 10, full: true });
    const everything = state.changed.length;
    expect(everything).toBeGreaterThan(10);
    deps.clock.advance(1000);
    await runTickBatch(deps, { worldId: "world-1", token: "t#1b", maxTicks: 10 });
    const next = JSON.parse(deps.push.received("c1")[1] ?? "{}") as {
      full: boolean;
      changed: unknown[];
      moved?: number[];
    };
    expect(next.full).toBe(false);
    // Entities that entered come whole, those that only moved as [id, x, y] triples.
    const named = next.changed.length + (next.moved?.length ?? 0) / 3;
    expect(named).toBeGreaterThan(0);
    expect(named).toBeLessThan(everything);
    // A gone connection is removed, once it is past the time a connection may take to open.
    deps.push.close("c1");
    deps.clock.advance(CONNECTING_MS_MAX);
    const r2 = await runTickBatch(deps, { worldId: "world-1", token: "t#2", maxTicks: 10 });
    expect(r2.gone).toBe(1);
    expect(await deps.store.getConnection("c1")).toBeUndefined();
  });

  it("a connection whose $connect has not returned is kept when a push finds it gone, then sent everything", async () => {
    // Recorded by $connect, not yet open: API Gateway answers a post to it Gone.
    deps.clock.advance(10);
    const early = await runTickBatch(deps, { worldId: "world-1", token: "t#1", maxTicks: 10 });
    expect(early).toMatchObject({ pushed: 0, gone: 0 });
    expect(await deps.store.getConnection("c1")).toMatchObject({ playerId: "player_0001" });
    const body = frame("o1", "move", { dx: 1, dy: 0 });
    expect(
      await submitCommand(deps, { connectionId: "c1", playerId: "player_0001", body }),
    ).toMatchObject({ ok: true, result: "accepted" });

    deps.push.open("c1");
    deps.clock.advance(CONNECTING_MS_MAX - 1000);
    const later = await runTickBatch(deps, { worldId: "world-1", token: "t#2", maxTicks: 10 });
    expect(later).toMatchObject({ pushed: 1, gone: 0 });
    expect(JSON.parse(deps.push.received("c1")[0] ?? "{}")).toMatchObject({ full: true });
  });
});

describe("create world", () => {
  it("is idempotent and validates its input", async () => {
    const again = await createWorld(deps, { worldId: "world-1", players: ["player_0001"] });
    expect(again.result).toBe("exists");
    // The state at creation is kept for replays, content-addressed.
    const genesis = again.world.genesis;
    expect(genesis?.key).toBe(`worlds/world-1/genesis/${genesis?.sha256}`);
    const bytes = await deps.blobs.get(genesis?.key ?? "");
    expect(bytes && sha256Hex(bytes)).toBe(genesis?.sha256);
    await expect(createWorld(deps, { worldId: "bad id", players: [] })).rejects.toBeInstanceOf(
      InvalidWorldError,
    );
    await expect(
      createWorld(deps, { worldId: "w2", players: [], inboxShards: 0 }),
    ).rejects.toBeInstanceOf(InvalidWorldError);
  });
});

describe("claim quest reward", () => {
  beforeEach(async () => {
    await connect(deps, { connectionId: "c1", playerId: "player_0001", worldId: "world-1" });
  });

  async function setQuest(state: string) {
    const profile = await deps.store.getPlayer("world-1", "player_0001");
    if (profile === undefined) throw new Error("no profile");
    const { version: _v, ...rest } = profile;
    await deps.store.putProjections(
      "world-1",
      99,
      [],
      [{ ...rest, quests: { ...rest.quests, bounty: { state } } }],
    );
  }

  it("queues a claim for a completed quest, once per claim id", async () => {
    await setQuest("completed");
    const claim = {
      connectionId: "c1",
      playerId: "player_0001",
      questId: "bounty",
      claimId: "claim-1",
    };
    expect(await claimQuestReward(deps, claim)).toEqual({
      ok: true,
      result: "accepted",
      id: "claim-1",
    });
    expect(await claimQuestReward(deps, claim)).toEqual({
      ok: true,
      result: "duplicate",
      id: "claim-1",
    });
    const stored = await inboxContents();
    expect(stored.map((c) => [c.type, c.data])).toEqual([["quest.claim", { quest: "bounty" }]]);
  });

  it("answers impossible claims with a typed result and queues nothing", async () => {
    const claim = {
      connectionId: "c1",
      playerId: "player_0001",
      questId: "bounty",
      claimId: "claim-2",
    };
    expect(await claimQuestReward(deps, { ...claim, questId: "dragons" })).toMatchObject({
      ok: false,
      code: "unknown_quest",
    });
    await setQuest("active");
    expect(await claimQuestReward(deps, claim)).toMatchObject({ ok: false, code: "not_completed" });
    await setQuest("rewarded");
    expect(await claimQuestReward(deps, claim)).toMatchObject({
      ok: false,
      code: "already_claimed",
    });
    await setQuest("completed");
    expect(await claimQuestReward(deps, { ...claim, claimId: "bad id!" })).toMatchObject({
      ok: false,
      code: "invalid_request",
    });
    expect(await claimQuestReward(deps, { ...claim, connectionId: "nope" })).toMatchObject({
      ok: false,
      code: "not_in_world",
    });
    expect(await inboxContents()).toEqual([]);
  });

  it("a fresh world's profiles list the game's quests, bounty among them", async () => {
    const profile = await deps.store.getPlayer("world-1", "player_0001");
    expect(Object.keys(profile?.quests ?? {}).sort()).toEqual(["bounty", "first_coins"]);
    // A player starts with xp 0 and gold 100, paid through the ledger.
    expect(profile).toMatchObject({ xp: 0, level: 1, balances: { gold: 100, xp: 0 } });
    expect((await deps.store.getAccount("world-1", "player_0001:gold"))?.balance).toBe(100);
  });
});

describe("rules", () => {
  it("a world made under other rules is refused with a typed error that says what to do", async () => {
    const other = {
      ...deps,
      game: {
        ...fixtureGame,
        rules: (ledger: Parameters<typeof fixtureGame.rules>[0], worldId: string) => {
          const r = fixtureGame.rules(ledger, worldId);
          return { ...r, definition: { ...r.definition, name: "fixture@2" } };
        },
      },
    };
    await expect(
      runTickBatch(other, { worldId: "world-1", token: "t#1", maxTicks: 10 }),
    ).rejects.toBeInstanceOf(RulesMismatchError);
    await expect(getState(other, { worldId: "world-1", entities: true })).rejects.toThrow(
      /deploy the version/,
    );
    expect((await deps.store.getWorld("world-1"))?.version).toBe(0);
  });
});
