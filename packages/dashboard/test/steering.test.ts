// Input as directions: keys, pointer targets, and when a move command goes out.
import { describe, expect, it } from "vitest";
import { differs, keyVector, MoveScheduler, pointVector, STOP } from "../src/steering.js";

describe("keyVector", () => {
  it("maps WASD and the arrows, cancels opposites, and normalizes diagonals", () => {
    expect(keyVector(["KeyD"])).toEqual({ dx: 1, dy: 0 });
    expect(keyVector(["ArrowUp"])).toEqual({ dx: 0, dy: -1 });
    expect(keyVector(["KeyA", "KeyD"])).toEqual(STOP);
    expect(keyVector(["KeyW", "ArrowUp"])).toEqual({ dx: 0, dy: -1 });
    // Rounded to 3 places, so frames stay short.
    const diagonal = keyVector(["KeyS", "ArrowRight"]);
    expect(diagonal.dx).toBeCloseTo(Math.SQRT1_2, 3);
    expect(diagonal).toEqual({ dx: diagonal.dy, dy: diagonal.dx });
    expect(keyVector(["KeyQ"])).toEqual(STOP);
  });
});

describe("pointVector", () => {
  it("points at the target and stops on arrival", () => {
    expect(pointVector({ x: 0, y: 0 }, { x: 3, y: 4 })).toEqual({ dx: 0.6, dy: 0.8 });
    expect(pointVector({ x: 0, y: 0 }, { x: 0.3, y: 0.2 })).toBe(STOP);
  });
});

describe("MoveScheduler", () => {
  it("sends a change at once, at most every 200 ms, a held direction every second, a stop always", () => {
    const s = new MoveScheduler();
    const right = { dx: 1, dy: 0 };
    const up = { dx: 0, dy: -1 };
    expect(s.next(right, 0)).toEqual(right);
    expect(s.next(right, 100)).toBeUndefined();
    expect(s.next(up, 150)).toBeUndefined(); // too soon after the last send
    expect(s.next(up, 200)).toEqual(up);
    expect(s.next(up, 900)).toBeUndefined();
    expect(s.next(up, 1200)).toEqual(up); // held: sent again
    expect(s.next(STOP, 1210)).toEqual(STOP); // a stop never waits
    expect(s.next(STOP, 5000)).toBeUndefined(); // and is not repeated
  });

  it("sends again at once after a reset (a reconnect)", () => {
    const s = new MoveScheduler();
    expect(s.next({ dx: 1, dy: 0 }, 0)).toBeDefined();
    s.reset();
    expect(s.next({ dx: 1, dy: 0 }, 10)).toEqual({ dx: 1, dy: 0 });
  });

  it("treats tiny wobbles as no change", () => {
    expect(differs({ dx: 0.6, dy: 0.8 }, { dx: 0.61, dy: 0.79 })).toBe(false);
    expect(differs({ dx: 0.6, dy: 0.8 }, { dx: 0.8, dy: 0.6 })).toBe(true);
    expect(differs(STOP, { dx: 0.01, dy: 0 })).toBe(true);
  });
});
