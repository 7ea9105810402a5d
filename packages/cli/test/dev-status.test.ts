/**
 * The status line's clock: `ledgerquest dev` says whether the world keeps real time, and when it
 * does not, by how much it fell behind and what it gave up (from the last batch record's `clock`).
 */
import { describe, expect, it } from "vitest";
import { clockStatus } from "../src/dev.js";

describe("the dev status line's clock", () => {
  it("says real time when the last batch kept its schedule", () => {
    expect(clockStatus(60.2, { behindMsMax: 17, skippedMs: 0 })).toBe("60 ticks/s, real time");
  });

  it("a lap that started a little late and caught up still keeps real time, and says how late", () => {
    expect(clockStatus(59.9, { behindMsMax: 124, skippedMs: 0 })).toBe(
      "60 ticks/s, real time (up to 124 ms late, caught up)",
    );
  });

  it("says how far behind the world fell, and what it gave up", () => {
    expect(clockStatus(41.4, { behindMsMax: 1000, skippedMs: 3250 })).toBe(
      "41 ticks/s, BEHIND the clock by up to 1,000 ms, 3,250 ms given up",
    );
    expect(clockStatus(undefined, { behindMsMax: 400, skippedMs: 0 })).toBe(
      "BEHIND the clock by up to 400 ms",
    );
    expect(clockStatus(undefined, { behindMsMax: 40, skippedMs: 20 })).toBe(
      "BEHIND the clock by up to 40 ms, 20 ms given up",
    );
  });

  it("says nothing of the clock before a paced batch committed", () => {
    expect(clockStatus(undefined, undefined)).toBe("clock: -");
  });
});
