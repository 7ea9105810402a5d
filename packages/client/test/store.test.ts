import { describe, expect, it } from "vitest";
import type { EntityView, StatePushFrame, StateQueryResult } from "../src/protocol.js";
import { type StateChange, WorldStore } from "../src/store.js";

const e = (id: number, x: number, y = 0, kind = "walker"): EntityView => ({ id, kind, x, y });

function push(
  version: number,
  full: boolean,
  changed: readonly EntityView[],
  removed: readonly number[] = [],
  extra: Partial<StatePushFrame> = {},
): StatePushFrame {
  return {
    type: "state",
    worldId: "w1",
    version,
    tick: version * 10,
    stateHash: `h${version}`,
    ledger: { count: version, head: `l${version}` },
    full,
    changed,
    removed,
    batch: { ticks: 10, commandsApplied: 0, ledgerEntries: 0, durationMs: 1 },
    supply: { gold: 10 },
    ...extra,
  };
}

function stateResult(version: number, entities: readonly EntityView[]): StateQueryResult {
  return {
    worldId: "w1",
    version,
    tick: version * 10,
    stateHash: `h${version}`,
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
}

const ids = (store: WorldStore) => [...store.entities.keys()].sort((a, b) => a - b);

describe("WorldStore", () => {
  it("a full push replaces everything; deltas then update, add and remove", () => {
    const store = new WorldStore();
    expect(store.consistent).toBe(false);
    expect(store.applyPush(push(5, true, [e(1, 0), e(2, 0), e(3, 0)]), 100)).toBe("applied");
    expect(ids(store)).toEqual([1, 2, 3]);
    expect(store.consistent).toBe(true);
    expect(store.applyPush(push(6, false, [e(2, 5), e(4, 1)], [3]), 200)).toBe("applied");
    expect(ids(store)).toEqual([1, 2, 4]);
    expect(store.entities.get(2)?.x).toBe(5);
    expect(store.entities.get(1)?.x).toBe(0);
    expect(store).toMatchObject({ version: 6, tick: 60, stateHash: "h6", worldId: "w1" });
    expect(store.ledger).toEqual({ count: 6, head: "l6" });
    // A later full push drops what it does not name.
    expect(store.applyPush(push(7, true, [e(4, 2)]), 300)).toBe("applied");
    expect(ids(store)).toEqual([4]);
  });

  it("ignores a push it has already seen, or an older one", () => {
    const store = new WorldStore();
    store.applyPush(push(5, true, [e(1, 0)]), 0);
    store.applyPush(push(6, false, [e(1, 1)]), 0);
    expect(store.applyPush(push(6, false, [e(1, 9)]), 0)).toBe("stale");
    expect(store.applyPush(push(4, false, [e(1, 9)]), 0)).toBe("stale");
    expect(store.applyPush(push(5, true, [e(1, 9)]), 0)).toBe("stale");
    expect(store.entities.get(1)?.x).toBe(1);
    expect(store.version).toBe(6);
  });

  it("a delta after a skipped version is applied and says the view is not whole, until a full one", () => {
    const store = new WorldStore();
    store.applyPush(push(5, true, [e(1, 0), e(2, 0)]), 0);
    expect(store.applyPush(push(8, false, [e(1, 3)]), 0)).toBe("gap");
    expect(store.consistent).toBe(false);
    expect(store.entities.get(1)?.x).toBe(3);
    // A clean delta on top of a broken view leaves it broken.
    expect(store.applyPush(push(9, false, [e(1, 4)]), 0)).toBe("applied");
    expect(store.consistent).toBe(false);
    expect(store.applyState(stateResult(9, [e(1, 4)]), 0)).toBe("applied");
    expect(store.consistent).toBe(true);
    expect(ids(store)).toEqual([1]);
  });

  it("the first delta ever, with no full view, is a gap", () => {
    const store = new WorldStore();
    expect(store.applyPush(push(3, false, [e(1, 0)]), 0)).toBe("gap");
    expect(store.consistent).toBe(false);
  });

  it("a state result replaces the view unless it is older; it brings the game and the player", () => {
    const store = new WorldStore();
    store.applyPush(push(5, true, [e(1, 0)]), 0);
    expect(store.applyState(stateResult(4, [e(9, 9)]), 0)).toBe("stale");
    expect(ids(store)).toEqual([1]);
    const player = {
      playerId: "p1",
      worldId: "w1",
      xp: 0,
      level: 1,
      balances: { gold: 10 },
      quests: {},
    };
    expect(store.applyState({ ...stateResult(5, [e(2, 1)]), player }, 0)).toBe("applied");
    expect(ids(store)).toEqual([2]);
    expect(store.game?.rules).toBe("tiny@1");
    expect(store.you).toEqual(player);
    // A push after it applies as a delta on top of it.
    expect(store.applyPush(push(6, false, [e(2, 2)]), 0)).toBe("applied");
    expect(store.consistent).toBe(true);
  });

  it("keeps the player's profile from the push that carried it", () => {
    const store = new WorldStore();
    const you = { playerId: "p1", worldId: "w1", xp: 1, level: 1, balances: {}, quests: {} };
    store.applyPush(push(1, true, [], [], { you }), 0);
    store.applyPush(push(2, false, []), 0);
    expect(store.you).toEqual(you);
    expect(store.byName("nobody")).toBeUndefined();
  });

  it("tells its listeners what changed, and stops when asked", () => {
    const store = new WorldStore();
    const seen: StateChange[] = [];
    const off = store.subscribe((c) => seen.push(c));
    store.applyPush(push(1, true, [e(1, 0), e(2, 0)]), 10);
    store.applyPush(push(2, true, [e(2, 1)]), 20);
    store.applyPush(push(2, false, [e(2, 1)]), 30); // stale: no event
    off();
    store.applyPush(push(3, false, [e(2, 2)]), 40);
    expect(seen.map((c) => [c.version, c.full, c.removed, c.atMs, c.source])).toEqual([
      [1, true, [], 10, "push"],
      [2, true, [1], 20, "push"],
    ]);
  });

  it("a listener that throws does not stop the store", () => {
    const errors: unknown[] = [];
    const store = new WorldStore((error) => errors.push(error));
    store.subscribe(() => {
      throw new Error("boom");
    });
    expect(store.applyPush(push(1, true, [e(1, 0)]), 0)).toBe("applied");
    expect(errors).toHaveLength(1);
    expect(store.version).toBe(1);
  });
});
