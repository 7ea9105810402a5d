import { describe, expect, it } from "vitest";
import { Interpolator, lerp } from "../src/interpolation.js";
import type { EntityView } from "../src/protocol.js";
import { WorldStore } from "../src/store.js";

const e = (id: number, x: number, y = 0): EntityView => ({ id, kind: "walker", x, y });

describe("Interpolator", () => {
  it("glides between the last two states by time, clamped to them", () => {
    const view = new Interpolator();
    view.record([e(1, 0, 0)], 1000);
    view.record([e(1, 10, 20)], 2000);
    expect(view.positionAt(1, 1000)).toEqual({ x: 0, y: 0 });
    expect(view.positionAt(1, 1250)).toEqual({ x: 2.5, y: 5 });
    expect(view.positionAt(1, 1500)).toEqual({ x: 5, y: 10 });
    expect(view.positionAt(1, 2000)).toEqual({ x: 10, y: 20 });
    // Never before the first nor past the last: no extrapolation.
    expect(view.positionAt(1, 0)).toEqual({ x: 0, y: 0 });
    expect(view.positionAt(1, 9000)).toEqual({ x: 10, y: 20 });
  });

  it("a new entity stands where it appeared; one that went is not drawn", () => {
    const view = new Interpolator();
    view.record([e(1, 0), e(2, 0)], 0);
    view.record([e(1, 4), e(3, 7)], 100);
    expect(view.positionAt(3, 50)).toEqual({ x: 7, y: 0 });
    expect(view.positionAt(2, 50)).toBeUndefined();
    expect(view.entitiesAt(50).map((x) => [x.id, x.x])).toEqual([
      [1, 2],
      [3, 7],
    ]);
  });

  it("a jump longer than teleportDistance is drawn at once", () => {
    const view = new Interpolator({ teleportDistance: 5 });
    view.record([e(1, 0), e(2, 0)], 0);
    view.record([e(1, 100), e(2, 4)], 100);
    expect(view.positionAt(1, 50)).toEqual({ x: 100, y: 0 });
    expect(view.positionAt(2, 50)).toEqual({ x: 2, y: 0 });
  });

  it("renders about one push interval back, within bounds", () => {
    const view = new Interpolator({ delay: { minMs: 50, maxMs: 3000 } });
    expect(view.renderTimeMs(10_000)).toBe(9950);
    view.record([], 0);
    view.record([], 1000);
    expect(view.intervalMs).toBe(1000);
    expect(view.renderTimeMs(10_000)).toBe(9000);
    view.record([], 1500);
    expect(view.intervalMs).toBeCloseTo(850);
    // An outage is not an interval.
    view.record([], 60_000);
    expect(view.intervalMs).toBeCloseTo(850);
  });

  it("follows a store: every applied push becomes a state", () => {
    const store = new WorldStore();
    const view = new Interpolator();
    const stop = view.follow(store);
    const base = {
      type: "state" as const,
      worldId: "w",
      tick: 0,
      stateHash: "h",
      ledger: { count: 0, head: "x" },
      removed: [],
      batch: { ticks: 1, commandsApplied: 0, ledgerEntries: 0, durationMs: 0 },
      supply: {},
    };
    store.applyPush({ ...base, version: 1, full: true, changed: [e(1, 0), e(2, 5)] }, 1000);
    store.applyPush({ ...base, version: 2, full: false, changed: [e(1, 10)] }, 2000);
    expect(view.positionAt(1, 1500)).toEqual({ x: 5, y: 0 });
    // An entity the delta did not name stays where it was.
    expect(view.positionAt(2, 1500)).toEqual({ x: 5, y: 0 });
    stop();
    store.applyPush({ ...base, version: 3, full: false, changed: [e(1, 20)] }, 3000);
    expect(view.positionAt(1, 3000)).toEqual({ x: 10, y: 0 });
  });
});

describe("lerp", () => {
  it("goes from one point to the other", () => {
    expect(lerp({ x: 0, y: 0 }, { x: 2, y: 4 }, 0.5)).toEqual({ x: 1, y: 2 });
    expect(lerp({ x: 0, y: 0 }, { x: 2, y: 4 }, -1)).toEqual({ x: 0, y: 0 });
    expect(lerp({ x: 0, y: 0 }, { x: 2, y: 4 }, 2)).toEqual({ x: 2, y: 4 });
  });
});
