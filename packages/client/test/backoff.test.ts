import { describe, expect, it } from "vitest";
import { backoffDelayMs, retryDelayMs } from "../src/backoff.js";

describe("backoffDelayMs", () => {
  it("doubles from baseMs, half fixed and half drawn", () => {
    const low = () => 0;
    const high = () => 0.999_999;
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, { baseMs: 100, maxMs: 10_000 }, low))).toEqual(
      [50, 100, 200, 400],
    );
    expect(
      [1, 2, 3, 4].map((a) => backoffDelayMs(a, { baseMs: 100, maxMs: 10_000 }, high)),
    ).toEqual([100, 200, 400, 800]);
  });

  it("is capped at maxMs, however many attempts (no overflow)", () => {
    for (const attempt of [10, 100, 1e6, Number.MAX_SAFE_INTEGER]) {
      const d = backoffDelayMs(attempt, { baseMs: 500, maxMs: 15_000 }, () => 0.999_999);
      expect(d).toBeLessThanOrEqual(15_000);
      expect(d).toBeGreaterThanOrEqual(7_500);
    }
  });

  it("stays within [capped / 2, capped] for any draw, and clamps a bad draw", () => {
    for (let i = 0; i <= 100; i++) {
      const d = backoffDelayMs(3, {}, () => i / 100);
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThanOrEqual(2000);
    }
    expect(backoffDelayMs(1, {}, () => 7)).toBe(500);
    expect(backoffDelayMs(1, {}, () => -1)).toBe(250);
  });
});

describe("retryDelayMs", () => {
  const options = { baseMs: 250, maxMs: 10_000, jitterMs: 50 };

  it("waits what the server said, plus jitter", () => {
    expect(retryDelayMs(1, 1200, options, () => 0)).toBe(1200);
    expect(retryDelayMs(1, 1200, options, () => 0.5)).toBe(1225);
  });

  it("never longer than maxMs, whatever the server said", () => {
    expect(retryDelayMs(1, 3_600_000, options, () => 0)).toBe(10_000);
  });

  it("backs off by itself when the server said nothing (busy)", () => {
    expect(retryDelayMs(1, undefined, options, () => 0)).toBe(125);
    expect(retryDelayMs(3, undefined, options, () => 0)).toBe(500);
  });
});
