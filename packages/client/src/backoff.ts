/**
 * Delays before trying again: reconnecting after a lost connection, and resending a command the
 * server answered `rate_limited` or `busy`. Pure, so it is tested without a socket.
 */

/** Exponential backoff with jitter, capped. */
export interface BackoffOptions {
  /**
   * The first delay, before jitter.
   * @default 500
   */
  readonly baseMs?: number;
  /**
   * The longest delay, before jitter.
   * @default 15_000
   */
  readonly maxMs?: number;
}

export const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 15_000 } as const;

/**
 * The delay before attempt `attempt` (1, 2, ...): `baseMs * 2^(attempt - 1)`, capped at `maxMs`,
 * with "equal jitter" (half fixed, half drawn): a crowd of clients dropped at once does not come
 * back at once, and none comes back at once either. `random` draws from [0, 1).
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const max = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
  // 2^31 is far past any cap: the exponent is bounded so the power never overflows.
  const exponent = Math.min(31, Math.max(0, Math.floor(attempt) - 1));
  const capped = Math.min(max, base * 2 ** exponent);
  const draw = Math.min(Math.max(random(), 0), 1);
  return Math.round(capped / 2 + draw * (capped / 2));
}

/**
 * The delay before resending a frame the server refused for now: `retryAfterMs` when the server
 * said (`rate_limited`), else the backoff of `attempt`; never more than `maxMs`, plus up to
 * `jitterMs` so that frames refused together do not all come back in the same instant.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  options: { readonly baseMs: number; readonly maxMs: number; readonly jitterMs: number },
  random: () => number = Math.random,
): number {
  const told =
    retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0
      ? retryAfterMs
      : backoffDelayMs(attempt, options, random);
  return Math.round(Math.min(options.maxMs, told) + random() * options.jitterMs);
}
