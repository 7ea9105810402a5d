// The pusher: each connection's area of interest, sent whole and then as deltas, with the game's
// push settings. Over the memory adapters and a manual clock; frames are read as a client reads
// them (the client SDK's store applies them in packages/client/test/pushes.test.ts).
import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import {
  type ClientPush,
  createMemoryDeps,
  DEFAULT_PUSH_SETTINGS,
  defineGame,
  type EntityView,
  GameDefinitionError,
  type MemoryDeps,
  type PlayerRecord,
  type PushInput,
  type PushSettings,
  pushSettingsOf,
  RuntimeError,
  type StatePushFrame,
  WorldPusher,
} from "../src/index.js";

const WORLD = "w";

/** A game of its own whose kinds have looks (for shapes); only its push settings matter here. */
function gameWith(push?: PushSettings) {
  return defineGame({
    name: "dots@1",
    commands: { noop: z.strictObject({}) },
    rules: () => {
      throw new Error("not run here");
    },
    populate: () => undefined,
    view: () => [],
    description: {
      bounds: { minX: 0, minY: 0, maxX: 1000, maxY: 1000 },
      tickMs: 50,
      kinds: {
        dot: { shape: "circle", hw: 0.5, hh: 0.5, label: "a dot" },
        wall: { shape: "box", hw: 1, hh: 1, label: "a wall" },
      },
      quests: [],
    },
    ...(push === undefined ? {} : { push }),
  });
}

const dot = (id: number, x: number, y = 0, name?: string): EntityView => ({
  id,
  kind: "dot",
  ...(name === undefined ? {} : { name }),
  x,
  y,
});

interface Rig {
  readonly deps: MemoryDeps & { readonly clock: { advance(ms: number): void; nowMs(): number } };
  readonly pusher: WorldPusher;
  /** Pushes `view` at `tick` (version 1 unless given). */
  push(
    tick: number,
    view: readonly EntityView[],
    extra?: Partial<PushInput>,
  ): ReturnType<WorldPusher["push"]>;
  /** The frames connection `c` received since the last call. */
  frames(c: string): StatePushFrame[];
}

async function rig(
  push: PushSettings | undefined,
  connections: readonly { readonly id: string; readonly player: string }[],
): Promise<Rig> {
  const deps = createMemoryDeps(gameWith(push));
  for (const c of connections) {
    await deps.store.putConnection(
      {
        connectionId: c.id,
        playerId: c.player,
        worldId: WORLD,
        inboxShards: 1,
        connectedAtMs: 0,
        member: true,
      },
      10,
    );
    deps.push.open(c.id);
  }
  const pusher = new WorldPusher(deps, WORLD);
  const read = new Map<string, number>();
  return {
    deps,
    pusher,
    push: (tick, view, extra = {}) =>
      pusher.push({
        version: 1,
        tick,
        stateHash: `h${tick}`,
        ledger: { count: 1, head: "l1" },
        view,
        profiles: new Map(),
        ...extra,
      }),
    frames(c) {
      const all = deps.push.received(c).map((m) => JSON.parse(m) as StatePushFrame);
      const from = read.get(c) ?? 0;
      read.set(c, all.length);
      return all.slice(from);
    },
  };
}

/** Applies frames as a client does (the SDK's store, in a few lines): the view, by id. */
function apply(view: Map<number, EntityView>, frame: StatePushFrame): void {
  if (frame.full) view.clear();
  for (const e of frame.changed) view.set(e.id, e);
  const moved = frame.moved ?? [];
  for (let k = 0; k < moved.length; k += 3) {
    const before = view.get(moved[k] as number);
    if (before === undefined) throw new Error(`a move of ${moved[k]}, which the view lacks`);
    view.set(before.id, { ...before, x: moved[k + 1] as number, y: moved[k + 2] as number });
  }
  for (const id of frame.removed) view.delete(id);
}

const idsOf = (frame: StatePushFrame) => frame.changed.map((e) => e.id).sort((a, b) => a - b);

/** Dots 1..n at x = 1..n, and the player's own (id 0, named "p") at the origin. */
const line = (n: number, shift = 0) => [
  dot(0, 0, 0, "p"),
  ...Array.from({ length: n }, (_, i) => dot(i + 1, i + 1 + shift)),
];

describe("push settings", () => {
  it("default to 20 Hz, the 64 nearest, the whole world to watchers, 2 decimals", () => {
    expect(pushSettingsOf(gameWith())).toBe(DEFAULT_PUSH_SETTINGS);
    expect(DEFAULT_PUSH_SETTINGS).toMatchObject({
      hz: 20,
      nearest: 64,
      radius: Number.POSITIVE_INFINITY,
      watchers: "world",
      decimals: 2,
      idleMs: 1000,
      keyframeMs: 10_000,
    });
    expect(pushSettingsOf(gameWith({ hz: 10, radius: 30 }))).toMatchObject({
      hz: 10,
      radius: 30,
      nearest: 64,
    });
  });

  it("that cannot work are refused when the game is defined, naming each field", () => {
    const bad = (push: unknown) => () => gameWith(push as PushSettings);
    expect(bad({ hz: 0 })).toThrow(GameDefinitionError);
    expect(bad({ hz: 0 })).toThrow(/push\.hz: must be above 0 and at most 60, got 0/);
    expect(bad({ hz: 61 })).toThrow(/push\.hz/);
    expect(bad({ nearest: 2.5 })).toThrow(/push\.nearest: must be a whole number from 1/);
    expect(bad({ radius: -1 })).toThrow(/push\.radius/);
    expect(bad({ decimals: 7 })).toThrow(/push\.decimals/);
    expect(bad({ idleMs: 10 })).toThrow(/push\.idleMs/);
    expect(bad({ keyframeMs: 10 })).toThrow(/push\.keyframeMs/);
    expect(bad({ watchers: "some" })).toThrow(/push\.watchers: must be "world" or "none"/);
    expect(bad({ always: true })).toThrow(/push\.always: must be a function/);
    expect(bad({ rate: 5 })).toThrow(/push\.rate: no such setting/);
    expect(bad({ hz: Number.NaN, radius: 0 })).toThrow(/push\.hz.*; push\.radius/);
    // Unbounded areas are a choice, not a mistake.
    expect(
      pushSettingsOf(
        gameWith({ nearest: Number.POSITIVE_INFINITY, keyframeMs: Number.POSITIVE_INFINITY }),
      ),
    ).toMatchObject({ nearest: Number.POSITIVE_INFINITY });
    // A game module made by hand is checked when its pusher is made.
    expect(() => pushSettingsOf({ push: { hz: -1 } })).toThrow(RangeError);
  });
});

describe("WorldPusher", () => {
  it("sends a player the entities nearest its own, whole, then deltas: moves as triples, entries whole, exits by id", async () => {
    const r = await rig({ nearest: 5 }, [{ id: "c1", player: "p" }]);
    await r.push(10, line(20));
    const [first] = r.frames("c1");
    expect(first).toMatchObject({
      type: "state",
      worldId: WORLD,
      tick: 10,
      full: true,
      scope: "area",
      stateHash: "h10",
      ledger: { count: 1, head: "l1" },
      removed: [],
    });
    expect(first?.baseTick).toBeUndefined();
    expect(idsOf(first as StatePushFrame)).toEqual([0, 1, 2, 3, 4, 5]);
    // Its own entity comes first.
    expect(first?.changed[0]).toEqual(dot(0, 0, 0, "p"));

    // Dot 2 moves; the player walks right: 6 and 7 come into its five nearest.
    const next = line(20).map((e) =>
      e.id === 0 ? { ...e, x: 2.25 } : e.id === 2 ? { ...e, y: 0.5 } : e,
    );
    await r.push(13, next);
    const [second] = r.frames("c1");
    expect(second).toMatchObject({ tick: 13, full: false, baseTick: 10, changed: [] });
    expect(second?.stateHash).toBeUndefined();
    expect(second?.ledger).toBeUndefined();
    // Only positions for what it had; dot 1 is still among the 1.25 x 5 nearest, so it stays.
    expect(second?.moved).toEqual([0, 2.25, 0, 2, 2, 0.5]);
    expect(second?.removed).toEqual([]);

    await r.push(
      16,
      next.map((e) => (e.id === 0 ? { ...e, x: 6 } : e)),
    );
    const [third] = r.frames("c1");
    // Now 1 and 2 are past the slack: gone; 6, 7 and 8 entered, whole.
    expect(third?.changed.map((e) => e.id)).toEqual([6, 7, 8]);
    expect(third?.changed[0]).toEqual(dot(6, 6));
    expect(third?.removed).toEqual([1, 2]);
    expect(third?.moved).toEqual([0, 6, 0]);
  });

  it("a client applying every frame has exactly the entities of its area, where they are", async () => {
    const r = await rig({ nearest: 4, radius: 10 }, [{ id: "c1", player: "p" }]);
    const view = new Map<number, EntityView>();
    let world = line(30);
    for (let t = 1; t <= 40; t++) {
      // The player walks right a unit per push, the dots drift.
      world = world.map((e) => ({
        ...e,
        x: e.id === 0 ? t : Math.round((e.x + 0.1 * ((e.id % 3) - 1)) * 100) / 100,
      }));
      await r.push(t, world);
      for (const f of r.frames("c1")) apply(view, f);
      for (const e of view.values()) {
        const now = world.find((w) => w.id === e.id) as EntityView;
        expect(e).toEqual(now);
      }
      // Its own, and its 4 nearest (within 10), at least; 1.25 x 4 more at most. (Ties at the
      // 4th distance may go either way: distances are computed, not exact.)
      const distances = world
        .filter((e) => e.id !== 0)
        .map((e) => ({ id: e.id, d: Math.max(0, Math.abs(e.x - t) - 0.5) }))
        .filter((n) => n.d <= 10)
        .sort((a, b) => a.d - b.d);
      const fourth = distances[3]?.d ?? Number.POSITIVE_INFINITY;
      for (const n of distances) if (n.d < fourth - 1e-9) expect(view.has(n.id)).toBe(true);
      const near = distances.filter((n) => n.d <= fourth + 1e-9 && view.has(n.id));
      expect(near.length).toBeGreaterThanOrEqual(Math.min(4, distances.length));
      expect(view.has(0)).toBe(true);
      expect(view.size).toBeLessThanOrEqual(1 + 5);
    }
  });

  it("keeps to the radius, and sends everyone the entities the game says to", async () => {
    const r = await rig({ nearest: 100, radius: 3, always: (e) => e.kind === "wall" }, [
      { id: "c1", player: "p" },
    ]);
    const wall: EntityView = { id: 99, kind: "wall", x: 500, y: 500, shape: "box", hw: 2, hh: 8 };
    await r.push(1, [...line(10), wall]);
    expect(idsOf(r.frames("c1")[0] as StatePushFrame)).toEqual([0, 1, 2, 3, 99]);
  });

  it("measures to an entity's shape: a long wall whose centre is far is near", async () => {
    const r = await rig({ nearest: 100, radius: 3 }, [{ id: "c1", player: "p" }]);
    const wall: EntityView = { id: 50, kind: "wall", x: 0, y: 40, shape: "box", hw: 1, hh: 38 };
    await r.push(1, [dot(0, 0, 0, "p"), wall, dot(1, 0, 20)]);
    expect(idsOf(r.frames("c1")[0] as StatePushFrame)).toEqual([0, 50]);
  });

  it("rounds positions to the game's decimals: a smaller move is no move, and a quiet area gets a frame only every idleMs", async () => {
    const r = await rig({ nearest: 5, decimals: 1, idleMs: 1000 }, [{ id: "c1", player: "p" }]);
    await r.push(
      1,
      line(3).map((e) => ({ ...e, x: e.x + 0.04 })),
    );
    expect(r.frames("c1")[0]?.changed[1]).toEqual(dot(1, 1));
    r.deps.clock.advance(50);
    const counts = await r.push(
      2,
      line(3).map((e) => ({ ...e, x: e.x + 0.01 })),
    );
    expect(counts).toMatchObject({ pushed: 0, idle: 1 });
    expect(r.frames("c1")).toEqual([]);
    r.deps.clock.advance(1000);
    await r.push(3, line(3));
    const [alive] = r.frames("c1");
    expect(alive).toMatchObject({ tick: 3, baseTick: 1, changed: [], removed: [] });
    expect(alive?.moved).toBeUndefined();
  });

  it("writes rounded positions as JSON would write the rounded numbers", async () => {
    for (const decimals of [0, 1, 3]) {
      const r = await rig({ nearest: 200, decimals }, [{ id: "c1", player: "p" }]);
      let seed = 11;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      const spots = Array.from({ length: 150 }, () => (random() - 0.5) * 10 ** (random() * 6));
      const at = (k: number) => spots.map((v, i) => dot(i + 1, v + k * 0.37, -v));
      await r.push(1, [dot(0, 0, 0, "p"), ...at(0)]);
      await r.push(2, [dot(0, 0, 0, "p"), ...at(1)]);
      const text = r.deps.push.received("c1")[1] as string;
      const frame = JSON.parse(text) as StatePushFrame;
      const scale = 10 ** decimals;
      const expected = at(1).flatMap((e) => [
        e.id,
        // JSON has no -0.
        Math.round(e.x * scale) / scale + 0,
        Math.round(e.y * scale) / scale + 0,
      ]);
      // Those whose rounded position did not change are not in it.
      const moved = frame.moved ?? [];
      expect(moved.length).toBeGreaterThan(0);
      for (let k = 0; k < moved.length; k += 3) {
        const id = moved[k] as number;
        expect(moved.slice(k, k + 3)).toEqual(expected.slice((id - 1) * 3, id * 3));
      }
      expect(text).toContain(`"moved":${JSON.stringify(moved)}`);
    }
  });

  it("gives a watcher the whole world by default, or only what everyone gets", async () => {
    const everyone = await rig({ nearest: 2 }, [{ id: "w1", player: "nobody" }]);
    await everyone.push(1, line(5));
    const [whole] = everyone.frames("w1");
    expect(whole).toMatchObject({ full: true, scope: "world" });
    expect(idsOf(whole as StatePushFrame)).toEqual([0, 1, 2, 3, 4, 5]);

    const none = await rig({ nearest: 2, watchers: "none", always: (e) => e.id === 3 }, [
      { id: "w1", player: "nobody" },
    ]);
    await none.push(1, line(5));
    const [little] = none.frames("w1");
    expect(little).toMatchObject({ full: true, scope: "area" });
    expect(idsOf(little as StatePushFrame)).toEqual([3]);
  });

  it("a player whose entity appears gets a full frame of its new scope", async () => {
    const r = await rig({ nearest: 1 }, [{ id: "c1", player: "p" }]);
    await r.push(1, line(3).slice(1));
    expect(r.frames("c1")[0]).toMatchObject({ scope: "world" });
    await r.push(2, line(3));
    const [mine] = r.frames("c1");
    expect(mine).toMatchObject({ full: true, scope: "area" });
    expect(idsOf(mine as StatePushFrame)).toEqual([0, 1]);
  });

  it("sends each connection its whole area again every keyframeMs", async () => {
    const r = await rig({ nearest: 2, keyframeMs: 5000 }, [{ id: "c1", player: "p" }]);
    await r.push(1, line(5));
    r.deps.clock.advance(4000);
    await r.push(2, line(5, 0.5));
    r.deps.clock.advance(1000);
    await r.push(3, line(5, 1));
    expect(r.frames("c1").map((f) => f.full)).toEqual([true, false, true]);
  });

  it("starts again whole when the world's version jumps or its tick goes back (frames it did not send)", async () => {
    const r = await rig({ nearest: 2 }, [{ id: "c1", player: "p" }]);
    await r.push(10, line(3), { version: 4 });
    // Its own commit (version 5, with the batch) follows on; the next batch runs at 5.
    const batch = { ticks: 10, commandsApplied: 0, ledgerEntries: 0, durationMs: 1 };
    await r.push(20, line(3, 0.5), { version: 5, batch });
    await r.push(23, line(3, 1), { version: 5 });
    // Version 7: another container committed 6 and pushed its frames.
    await r.push(40, line(3, 2), { version: 7 });
    await r.push(41, line(3, 3), { version: 7 });
    // A restore: the tick goes back.
    await r.push(30, line(3, 4), { version: 8, batch });
    expect(r.frames("c1").map((f) => [f.tick, f.full])).toEqual([
      [10, true],
      [20, false],
      [23, false],
      [40, true],
      [41, false],
      [30, true],
    ]);
  });

  it("after a post that failed, the next frame is whole (the failed one may have arrived)", async () => {
    const deps0 = await rig({ nearest: 2 }, [{ id: "c1", player: "p" }]);
    const memory = deps0.deps.push;
    let fail = false;
    const flaky: ClientPush = {
      post: async (id, message) => {
        if (fail) throw new RuntimeError("the endpoint timed out");
        return memory.post(id, message);
      },
    };
    const pusher = new WorldPusher({ ...deps0.deps, push: flaky }, WORLD);
    const input = (tick: number, view: readonly EntityView[]): PushInput => ({
      version: 1,
      tick,
      stateHash: "h",
      ledger: { count: 1, head: "l" },
      view,
      profiles: new Map(),
    });
    await pusher.push(input(1, line(3)));
    fail = true;
    expect(await pusher.push(input(2, line(3, 0.5)))).toMatchObject({ pushed: 0 });
    fail = false;
    await pusher.push(input(3, line(3, 1)));
    expect(deps0.frames("c1").map((f) => [f.tick, f.full])).toEqual([
      [1, true],
      [3, true],
    ]);
  });

  it("the frame after a commit carries the batch, the supply, the state hash and the ledger; the profile goes to its player", async () => {
    const r = await rig({ nearest: 2 }, [
      { id: "c1", player: "p" },
      { id: "c2", player: "q" },
    ]);
    const you: PlayerRecord = {
      playerId: "p",
      worldId: WORLD,
      xp: 3,
      level: 1,
      balances: { gold: 5 },
      quests: {},
    };
    await r.push(1, line(3));
    r.frames("c1");
    r.frames("c2");
    const batch = { ticks: 60, commandsApplied: 2, ledgerEntries: 1, durationMs: 3 };
    await r.push(60, line(3), {
      version: 2,
      ledger: { count: 2, head: "l2" },
      profiles: new Map([["p", you]]),
      batch,
      supply: { gold: 5 },
    });
    const [mine] = r.frames("c1");
    expect(mine).toMatchObject({
      full: false,
      stateHash: "h60",
      ledger: { count: 2, head: "l2" },
      batch,
      supply: { gold: 5 },
      you,
    });
    const [theirs] = r.frames("c2");
    expect(theirs).toMatchObject({ batch, supply: { gold: 5 } });
    expect(theirs?.you).toBeUndefined();
    // A new connection's first frame carries the latest profile and supply the pusher knows.
    await r.deps.store.putConnection(
      { connectionId: "c3", playerId: "p", worldId: WORLD, inboxShards: 1, connectedAtMs: 0 },
      10,
    );
    r.deps.push.open("c3");
    r.pusher.invalidateConnections();
    await r.push(61, line(3), { version: 2 });
    expect(r.frames("c3")[0]).toMatchObject({ full: true, you, supply: { gold: 5 } });
  });

  it("sends the ledger's head between commits at most every idleMs", async () => {
    const r = await rig({ nearest: 2, idleMs: 1000 }, [{ id: "c1", player: "p" }]);
    await r.push(1, line(3));
    r.deps.clock.advance(50);
    await r.push(2, line(3, 0.5), { ledger: { count: 2, head: "l2" } });
    r.deps.clock.advance(1000);
    await r.push(3, line(3, 1), { ledger: { count: 3, head: "l3" } });
    const frames = r.frames("c1");
    expect(frames.map((f) => f.ledger?.count)).toEqual([1, undefined, 3]);
  });

  it("an entity where no number says (a game's bug) is near nothing, and stretches nothing", async () => {
    const r = await rig({ nearest: 3 }, [{ id: "c1", player: "p" }]);
    const broken: EntityView[] = [
      dot(90, Number.NaN),
      dot(91, 1, Number.POSITIVE_INFINITY),
      { id: 92, kind: "wall", x: 2, y: 0, shape: "box", hw: Number.POSITIVE_INFINITY, hh: 1 },
    ];
    await r.push(1, [...line(10), ...broken]);
    expect(idsOf(r.frames("c1")[0] as StatePushFrame)).toEqual([0, 1, 2, 3]);
  });

  it("finds what is near among many entities as a scan of all of them would", async () => {
    // A grid query and a brute-force scan agree, for viewers anywhere (inside, at an edge, far out).
    const r = await rig({ nearest: 7, radius: 40 }, [
      { id: "a", player: "pa" },
      { id: "b", player: "pb" },
      { id: "c", player: "pc" },
    ]);
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const at = (max: number) => Math.round(random() * max * 100) / 100;
    const dots = Array.from({ length: 600 }, (_, i) => dot(i + 10, at(300), at(200)));
    const viewers = [dot(1, 150, 100, "pa"), dot(2, 0, 0, "pb"), dot(3, 900, 900, "pc")] as const;
    await r.push(1, [...viewers, ...dots]);
    for (const [c, v] of [
      ["a", viewers[0]],
      ["b", viewers[1]],
      ["c", viewers[2]],
    ] as const) {
      const expected = dots
        .map((e) => ({ id: e.id, d: Math.max(0, Math.hypot(e.x - v.x, e.y - v.y) - 0.5) }))
        .filter((n) => n.d <= 40)
        .sort((a, b) => a.d - b.d || a.id - b.id)
        .slice(0, 7)
        .map((n) => n.id);
      const got = idsOf(r.frames(c)[0] as StatePushFrame).filter((id) => id >= 10);
      expect(got).toEqual([...expected].sort((a, b) => a - b));
    }
  });
});
