import { describe, expect, it } from "vitest";
import type { EntityView, StatePushFrame, StateQueryResult } from "../src/protocol.js";
import { type StateChange, WorldStore } from "../src/store.js";

const e = (id: number, x: number, y = 0, kind = "walker"): EntityView => ({ id, kind, x, y });

/** What every push here shares: world w1, at version 1. */
const pushAt = (tick: number) => ({ type: "state", worldId: "w1", version: 1, tick }) as const;

/** A full push at `tick`. */
function full(
  tick: number,
  changed: readonly EntityView[],
  extra: Partial<StatePushFrame> = {},
): StatePushFrame {
  return {
    ...pushAt(tick),
    full: true,
    scope: "area",
    stateHash: `h${tick}`,
    ledger: { count: tick, head: `l${tick}` },
    changed,
    removed: [],
    ...extra,
  };
}

/** A delta at `tick` that follows the frame at `baseTick`. */
function delta(
  tick: number,
  baseTick: number,
  parts: {
    readonly changed?: readonly EntityView[];
    readonly moved?: readonly number[];
    readonly removed?: readonly number[];
  } = {},
  extra: Partial<StatePushFrame> = {},
): StatePushFrame {
  return {
    ...pushAt(tick),
    full: false,
    baseTick,
    changed: parts.changed ?? [],
    ...(parts.moved === undefined ? {} : { moved: parts.moved }),
    removed: parts.removed ?? [],
    ...extra,
  };
}

function stateResult(version: number, tick: number, entities: readonly EntityView[]) {
  const result: StateQueryResult = {
    worldId: "w1",
    version,
    tick,
    stateHash: `s${tick}`,
    ledger: { count: version, head: `l${version}`, root: "r" },
    entities,
    supply: { gold: 10 },
    game: {
      rules: "tiny@1",
      bounds: { minX: 0, minY: 0, maxX: 10, maxY: 10 },
      tickMs: 50,
      kinds: {},
      quests: [],
      commands: ["move"],
    },
  };
  return result;
}

const player = {
  playerId: "p1",
  worldId: "w1",
  xp: 0,
  level: 1,
  balances: { gold: 10 },
  quests: {},
};

const ids = (store: WorldStore) => [...store.entities.keys()].sort((a, b) => a - b);

describe("WorldStore", () => {
  it("a full push replaces everything; deltas then add whole entities, move and remove", () => {
    const store = new WorldStore();
    expect(store.consistent).toBe(false);
    expect(store.applyPush(full(10, [e(1, 0), e(2, 0), e(3, 0, 0, "rock")]), 100)).toBe("applied");
    expect(ids(store)).toEqual([1, 2, 3]);
    expect(store).toMatchObject({ consistent: true, scope: "area", frameTick: 10, tick: 10 });
    // Entity 4 entered the area (whole), 2 moved (only its position), 3 left.
    expect(
      store.applyPush(delta(13, 10, { changed: [e(4, 1)], moved: [2, 5, 6], removed: [3] }), 200),
    ).toBe("applied");
    expect(ids(store)).toEqual([1, 2, 4]);
    expect(store.entities.get(2)).toEqual({ id: 2, kind: "walker", x: 5, y: 6 });
    expect(store.entities.get(1)?.x).toBe(0);
    expect(store).toMatchObject({ tick: 13, frameTick: 13, consistent: true, worldId: "w1" });
    // What a delta does not carry stays as the last frame that carried it said.
    expect(store.stateHash).toBe("h10");
    expect(store.ledger).toEqual({ count: 10, head: "l10" });
    store.applyPush(delta(14, 13, {}, { ledger: { count: 11, head: "l11" } }), 250);
    expect(store.ledger).toEqual({ count: 11, head: "l11" });
    // A later full push drops what it does not name.
    expect(store.applyPush(full(20, [e(4, 2)], { scope: "world" }), 300)).toBe("applied");
    expect(ids(store)).toEqual([4]);
    expect(store.scope).toBe("world");
  });

  it("two frames at one tick (one during a batch, one after its commit) follow on", () => {
    const store = new WorldStore();
    store.applyPush(full(60, [e(1, 0)]), 0);
    expect(store.applyPush(delta(60, 60, { moved: [1, 1, 0] }, { version: 2 }), 0)).toBe("applied");
    expect(store).toMatchObject({ version: 2, consistent: true });
  });

  it("a delta that does not follow the last frame is a gap: applied as far as it can be, not whole until a full push", () => {
    const store = new WorldStore();
    store.applyPush(full(10, [e(1, 0), e(2, 0)]), 0);
    // The frame at 11 went astray: this one follows it, not 10.
    expect(
      store.applyPush(delta(12, 11, { changed: [e(5, 9)], moved: [1, 3, 0, 7, 1, 1] }), 0),
    ).toBe("gap");
    expect(store.consistent).toBe(false);
    // What it could apply: the whole entity, the move of one it has; not a move of one it lacks.
    expect(store.entities.get(1)?.x).toBe(3);
    expect(store.entities.get(5)?.x).toBe(9);
    expect(store.entities.has(7)).toBe(false);
    // A clean delta on top of a broken view leaves it broken.
    expect(store.applyPush(delta(13, 12, { moved: [1, 4, 0] }), 0)).toBe("applied");
    expect(store.consistent).toBe(false);
    // A state result cannot mend it (pushes own the entities once they come); a full push does.
    store.applyState(stateResult(1, 13, [e(1, 4), e(2, 0)]), 0);
    expect(store.consistent).toBe(false);
    expect(store.applyPush(full(14, [e(1, 4), e(2, 0)]), 0)).toBe("applied");
    expect(store.consistent).toBe(true);
    expect(ids(store)).toEqual([1, 2]);
  });

  it("a move of an entity the store does not have is a gap, whatever the ticks say", () => {
    const store = new WorldStore();
    store.applyPush(full(10, [e(1, 0)]), 0);
    expect(store.applyPush(delta(11, 10, { moved: [9, 1, 1] }), 0)).toBe("gap");
    expect(store.consistent).toBe(false);
  });

  it("the first delta ever, with no full view, is a gap", () => {
    const store = new WorldStore();
    expect(store.applyPush(delta(3, 2, { changed: [e(1, 0)] }), 0)).toBe("gap");
    expect(store.consistent).toBe(false);
    expect(store.entities.get(1)?.x).toBe(0);
  });

  it("ignores a delta older than the last frame", () => {
    const store = new WorldStore();
    store.applyPush(full(10, [e(1, 0)]), 0);
    store.applyPush(delta(11, 10, { moved: [1, 1, 0] }), 0);
    expect(store.applyPush(delta(9, 8, { moved: [1, 9, 0] }), 0)).toBe("stale");
    expect(store.entities.get(1)?.x).toBe(1);
    expect(store.consistent).toBe(true);
  });

  it("a state result before any push fills the view (the whole world); once pushes come, they own the entities", () => {
    const store = new WorldStore();
    expect(store.applyState({ ...stateResult(3, 180, [e(1, 0), e(9, 9)]), player }, 0)).toBe(
      "applied",
    );
    expect(ids(store)).toEqual([1, 9]);
    expect(store).toMatchObject({ consistent: true, scope: "world", version: 3, tick: 180 });
    expect(store.game?.rules).toBe("tiny@1");
    expect(store.you).toEqual(player);
    // The first push: the player's area, without 9.
    store.applyPush(full(190, [e(1, 1)], { version: 3 }), 0);
    expect(ids(store)).toEqual([1]);
    // A newer result brings the supply and the ledger, not its entities.
    expect(
      store.applyState({ ...stateResult(4, 240, [e(1, 5), e(9, 9)]), supply: { gold: 12 } }, 0),
    ).toBe("applied");
    expect(ids(store)).toEqual([1]);
    expect(store.entities.get(1)?.x).toBe(1);
    expect(store.supply).toEqual({ gold: 12 });
    expect(store.ledger).toEqual({ count: 4, head: "l4" });
  });

  it("an older state result is stale, yet brings the game's description and who the player is", () => {
    const store = new WorldStore();
    store.applyPush(full(200, [e(1, 0)], { version: 3 }), 0);
    const seen: StateChange[] = [];
    store.subscribe((c) => seen.push(c));
    expect(store.applyState({ ...stateResult(3, 180, [e(9, 9)]), player }, 5)).toBe("stale");
    expect(ids(store)).toEqual([1]);
    expect(store.game?.rules).toBe("tiny@1");
    expect(store.you).toEqual(player);
    expect(store.tick).toBe(200);
    expect(seen).toEqual([expect.objectContaining({ source: "query", full: false, changed: [] })]);
  });

  it("keeps the player's profile from the push that carried it", () => {
    const store = new WorldStore();
    const you = { ...player, xp: 1 };
    store.applyPush(full(1, [], { you }), 0);
    store.applyPush(delta(2, 1), 0);
    expect(store.you).toEqual(you);
    expect(store.byName("nobody")).toBeUndefined();
  });

  it("tells its listeners what changed (moved entities as the store now has them), and stops when asked", () => {
    const store = new WorldStore();
    const seen: StateChange[] = [];
    const off = store.subscribe((c) => seen.push(c));
    store.applyPush(full(1, [e(1, 0), e(2, 0)]), 10);
    store.applyPush(delta(2, 1, { changed: [e(3, 3)], moved: [2, 1, 1], removed: [1] }), 20);
    store.applyPush(delta(0, 0, { moved: [2, 9, 9] }), 30); // stale: no event
    off();
    store.applyPush(delta(3, 2, { moved: [2, 2, 2] }), 40);
    expect(seen.map((c) => [c.tick, c.full, c.changed, c.removed, c.atMs, c.source])).toEqual([
      [1, true, [e(1, 0), e(2, 0)], [], 10, "push"],
      [2, false, [e(3, 3), e(2, 1, 1)], [1], 20, "push"],
    ]);
  });

  it("a listener that throws does not stop the store", () => {
    const errors: unknown[] = [];
    const store = new WorldStore((error) => errors.push(error));
    store.subscribe(() => {
      throw new Error("boom");
    });
    expect(store.applyPush(full(1, [e(1, 0)]), 0)).toBe("applied");
    expect(errors).toHaveLength(1);
    expect(store.tick).toBe(1);
  });
});
