/**
 * The contract of the clock port: whole milliseconds since the epoch, never going backwards
 * between two calls (watermarks and cursors rely on it locally; across machines they do not).
 */
import { describe, expect, it } from "vitest";
import type { Clock } from "../ports/clock.js";

export function describeClockContract(name: string, setup: () => Clock): void {
  describe(`Clock contract: ${name}`, () => {
    it("tells whole milliseconds since the epoch, after 2020", () => {
      const now = setup().nowMs();
      expect(Number.isSafeInteger(now)).toBe(true);
      expect(now).toBeGreaterThan(Date.UTC(2020, 0, 1));
    });

    it("never goes backwards between calls", () => {
      const clock = setup();
      let previous = clock.nowMs();
      for (let i = 0; i < 1000; i++) {
        const now = clock.nowMs();
        expect(now).toBeGreaterThanOrEqual(previous);
        previous = now;
      }
    });

    it("sleeps at least as long as asked", async () => {
      const clock = setup();
      const before = clock.nowMs();
      await clock.sleep(20);
      // A millisecond of slack: the timer and the wall clock round apart.
      expect(clock.nowMs() - before).toBeGreaterThanOrEqual(19);
      const again = clock.nowMs();
      await clock.sleep(0);
      await clock.sleep(-5);
      expect(clock.nowMs()).toBeGreaterThanOrEqual(again);
    });
  });
}
