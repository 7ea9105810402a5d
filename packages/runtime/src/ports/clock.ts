/**
 * The clock port: the only place the runtime learns the time. Use cases never call `Date.now()`,
 * so tests and the local stack can drive time, and the simulation itself never sees wall time
 * at all (it counts ticks).
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
  /**
   * Resolves once `ms` have passed on this clock (at once for zero or less): how a game loop
   * paced to real time waits for its next tick.
   */
  sleep(ms: number): Promise<void>;
}

/** The machine's clock. */
export const systemClock: Clock = {
  nowMs: () => Date.now(),
  // Zero or less: the next turn of the event loop (I/O first), not a timer's minimum of 1 ms.
  sleep: (ms) =>
    new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve))),
};

/**
 * A clock that moves only when told to: for tests and deterministic local runs. It starts in
 * 2100 by default: items stamped with it carry TTLs (`expires_at`) that must lie in the future,
 * or DynamoDB (Local too) may delete them during the test.
 */
export const MANUAL_CLOCK_START_MS = 4_102_444_800_000;

export class ManualClock implements Clock {
  constructor(private timeMs = MANUAL_CLOCK_START_MS) {}

  nowMs(): number {
    return this.timeMs;
  }

  advance(ms: number): void {
    this.timeMs += ms;
  }

  set(timeMs: number): void {
    this.timeMs = timeMs;
  }

  /**
   * Moves the clock on by `ms` and resolves on the next turn of the event loop, so that a paced
   * loop runs in no real time while its manual time passes exactly as it would on a real clock.
   */
  sleep(ms: number): Promise<void> {
    // Whole milliseconds, as the contract says, and never less than asked.
    if (ms > 0) this.timeMs += Math.ceil(ms);
    return new Promise((resolve) => setImmediate(resolve));
  }
}
