// The page's world model: deltas applied in version order, and interpolation between pushes.
import { describe, expect, it } from "vitest";
import { interpolate, nearest, TELEPORT_DISTANCE, WorldModel } from "../src/model.js";

const e = (id: number, x: number, y: number, kind = "body", name?: string) => ({
  id,
  kind,
  x,
  y,
  ...(name === undefined ? {} : { name }),
});

describe("WorldModel", () => {
  it("applies a full push, then deltas: moves, additions, removals", () => {
    const m = new WorldModel();
    m.applyPush(
      { version: 1, tick: 30, full: true, changed: [e(1, 0, 0), e(2, 5, 5)], removed: [] },
      0,
    );
    expect([...m.entities.keys()]).toEqual([1, 2]);
    m.applyPush(
      { version: 2, tick: 60, full: false, changed: [e(1, 1, 0), e(3, 9, 9)], removed: [2] },
      500,
    );
    expect([...m.entities.keys()].sort()).toEqual([1, 3]);
    expect(m.entities.get(1)).toMatchObject({ x1: 1, y1: 0 });
    expect(m.tick).toBe(60);
    expect(m.version).toBe(2);
  });

  it("ignores a delta older than what it has, and a full push replaces everything", () => {
    const m = new WorldModel();
    m.applyPush({ version: 5, tick: 150, full: true, changed: [e(1, 0, 0)], removed: [] }, 0);
    expect(
      m.applyPush({ version: 4, tick: 120, full: false, changed: [e(1, 9, 9)], removed: [] }, 10),
    ).toBe(false);
    expect(m.entities.get(1)).toMatchObject({ x1: 0 });
    m.applyPush({ version: 6, tick: 180, full: true, changed: [e(7, 1, 1)], removed: [] }, 20);
    expect([...m.entities.keys()]).toEqual([7]);
  });

  it("glides from where the entity is drawn to its new position over one push interval", () => {
    const m = new WorldModel();
    m.applyPush({ version: 1, tick: 30, full: true, changed: [e(1, 0, 0)], removed: [] }, 0);
    m.applyPush({ version: 2, tick: 60, full: false, changed: [], removed: [] }, 500);
    m.applyPush({ version: 3, tick: 90, full: false, changed: [e(1, 4, 0)], removed: [] }, 1000);
    const delay = m.renderDelayMs();
    expect(delay).toBeCloseTo(500, 0);
    const one = m.entities.get(1);
    if (one === undefined) throw new Error("missing");
    // Drawn one interval behind: at the push it is still where it was, half-way half an interval later.
    expect(m.positionAt(one, 1000 - delay).x).toBeCloseTo(0);
    expect(m.positionAt(one, 1000 - delay / 2).x).toBeCloseTo(2);
    expect(m.positionAt(one, 1000).x).toBeCloseTo(4);
    expect(m.positionAt(one, 5000).x).toBeCloseTo(4);
  });

  it("snaps teleports and coins instead of gliding across the world", () => {
    const m = new WorldModel();
    m.applyPush(
      { version: 1, tick: 30, full: true, changed: [e(1, 0, 0), e(2, 0, 0, "coin")], removed: [] },
      0,
    );
    m.applyPush(
      {
        version: 2,
        tick: 60,
        full: false,
        changed: [e(1, TELEPORT_DISTANCE + 1, 0), e(2, 3, 0, "coin")],
        removed: [],
      },
      500,
    );
    for (const id of [1, 2]) {
      const t = m.entities.get(id);
      if (t === undefined) throw new Error("missing");
      expect(m.positionAt(t, 0)).toEqual({ x: t.x1, y: t.y1 });
    }
  });

  it("estimates the push interval from arrivals", () => {
    const m = new WorldModel();
    for (let i = 0; i < 20; i++) {
      m.applyPush({ version: i + 1, tick: i, full: i === 0, changed: [], removed: [] }, i * 200);
    }
    expect(m.pushIntervalMs).toBeGreaterThan(190);
    expect(m.pushIntervalMs).toBeLessThan(260);
  });

  it("finds a player's body by name, and the nearest entity of a kind", () => {
    const m = new WorldModel();
    m.replaceAll([e(1, 10, 10, "player", "p1"), e(2, 12, 10, "coin"), e(3, 30, 30, "coin")], 0, 1);
    expect(m.byName("p1")?.id).toBe(1);
    expect(nearest(m.entities.values(), "coin", 10, 10)).toMatchObject({ x: 12, distance: 2 });
    expect(nearest(m.entities.values(), "bot", 10, 10)).toBeUndefined();
  });
});

describe("interpolate", () => {
  it("is clamped to its two positions", () => {
    const s = { x0: 0, y0: 0, t0: 100, x1: 10, y1: -10, t1: 200 };
    expect(interpolate(s, 0)).toEqual({ x: 0, y: 0 });
    expect(interpolate(s, 150)).toEqual({ x: 5, y: -5 });
    expect(interpolate(s, 300)).toEqual({ x: 10, y: -10 });
  });
});
