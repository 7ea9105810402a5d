/**
 * The clock port: the only place the runtime learns the time. Use cases never call `Date.now()`,
 * so tests and the local stack can drive time, and the simulation itself never sees wall time
 * at all (it counts ticks).
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  nowMs(): number;
}

/** The machine's clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

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
}
