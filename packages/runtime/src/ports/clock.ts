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

/** A clock that moves only when told to: for tests and deterministic local runs. */
export class ManualClock implements Clock {
  constructor(private timeMs = 1_700_000_000_000) {}

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
