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
    expect(view.intervalMs).toBe(750);
    // An outage is not an interval.
    view.record([], 60_000);
    expect(view.intervalMs).toBe(750);
  });

  it("a quiet spell among frames at the push rate does not move the interval", () => {
    const view = new Interpolator();
    view.record([], 0);
    for (let i = 1; i <= 8; i++) view.record([], i * 50);
    expect(view.intervalMs).toBe(50);
    view.record([], 1400); // nothing near moved for a second
    expect(view.intervalMs).toBe(50);
    expect(view.renderTimeMs(1400)).toBe(1350);
  });

  it("follows a store: every push that changes an entity becomes a state", () => {
    const store = new WorldStore();
    const view = new Interpolator();
    const stop = view.follow(store);
    const base = { type: "state" as const, worldId: "w", version: 1, removed: [] };
    store.applyPush(
      { ...base, tick: 1, full: true, scope: "area", changed: [e(1, 0), e(2, 5)] },
      1000,
    );
    store.applyPush(
      { ...base, tick: 2, full: false, baseTick: 1, changed: [], moved: [1, 10, 0] },
      2000,
    );
    expect(view.positionAt(1, 1500)).toEqual({ x: 5, y: 0 });
    // An entity the delta did not name stays where it was.
    expect(view.positionAt(2, 1500)).toEqual({ x: 5, y: 0 });
    // A keep-alive that changes nothing is not a state: the glide goes on.
    store.applyPush({ ...base, tick: 3, full: false, baseTick: 2, changed: [] }, 2500);
    expect(view.positionAt(1, 1500)).toEqual({ x: 5, y: 0 });
    // An entity that enters the area is drawn where it is; one that left is not drawn.
    store.applyPush(
      { ...base, tick: 4, full: false, baseTick: 3, changed: [e(7, 40)], removed: [2] },
      3000,
    );
    expect(view.positionAt(7, 2500)).toEqual({ x: 40, y: 0 });
    expect(view.positionAt(2, 2500)).toBeUndefined();
    expect(view.positionAt(1, 2500)).toEqual({ x: 10, y: 0 });
    stop();
    store.applyPush(
      { ...base, tick: 5, full: false, baseTick: 4, changed: [], moved: [1, 20, 0] },
      4000,
    );
    expect(view.positionAt(1, 4000)).toEqual({ x: 10, y: 0 });
  });
});

describe("lerp", () => {
  it("goes from one point to the other", () => {
    expect(lerp({ x: 0, y: 0 }, { x: 2, y: 4 }, 0.5)).toEqual({ x: 1, y: 2 });
    expect(lerp({ x: 0, y: 0 }, { x: 2, y: 4 }, -1)).toEqual({ x: 0, y: 0 });
    expect(lerp({ x: 0, y: 0 }, { x: 2, y: 4 }, 2)).toEqual({ x: 2, y: 4 });
  });
});
