/**
 * Limits per connection and per player: what keeps one client from starving a world. A game sets
 * its own (`GameModule.limits`); any it leaves out take the defaults below.
 *
 * - **Commands and queries per connection**: a token bucket each (the generic cell rate algorithm,
 *   GCRA: `perSecond` on average, up to `burst` at once). The bucket's state lives on the connection
 *   item, and taking a token is the conditional write that replaces the read a command makes of its
 *   connection anyway: the limit costs one write per frame, and nothing is stored for a refused one.
 *   Before that, each process keeps the same buckets in memory (`MemoryRateGate`), so a flood from
 *   one socket is refused without a round trip at all.
 * - **Connections per player and world**: at most `connectionsPerPlayer` at once, counted in one
 *   item per player and world, atomically; so a player's commands are at most
 *   `connectionsPerPlayer × commands.perSecond`.
 *
 * Refused frames are answered with the typed `rate_limited` error frame (with `retryAfterMs`);
 * a refused `$connect` with HTTP 429.
 */
import * as z from "zod/mini";

/** A token bucket: `perSecond` on average, at most `burst` at once. */
export interface RateRule {
  readonly perSecond: number;
  readonly burst: number;
}

export interface PlayerLimits {
  /** Commands per connection. Default 20 a second, 40 at once. */
  readonly commands: RateRule;
  /** Queries per connection. Default 2 a second, 10 at once. */
  readonly queries: RateRule;
  /**
   * `verify` queries per connection, apart from the others: a verification reads the world's
   * whole journal, so anyone who may watch a world could otherwise make it read the journal on
   * demand. Default one every 10 seconds, 2 at once.
   */
  readonly verifies: RateRule;
  /** Open connections per player in one world. Default 4. */
  readonly connectionsPerPlayer: number;
}

export const DEFAULT_LIMITS: PlayerLimits = {
  commands: { perSecond: 20, burst: 40 },
  queries: { perSecond: 2, burst: 10 },
  verifies: { perSecond: 0.1, burst: 2 },
  connectionsPerPlayer: 4,
};

const rateRuleSchema = z.strictObject({
  perSecond: z.number().check(z.gte(0.001), z.lte(10_000)),
  burst: z.int().check(z.gte(1), z.lte(100_000)),
});

/** What a game may set: any part, the rest from `DEFAULT_LIMITS`. */
export const playerLimitsSchema = z.strictObject({
  commands: z.optional(rateRuleSchema),
  queries: z.optional(rateRuleSchema),
  verifies: z.optional(rateRuleSchema),
  connectionsPerPlayer: z.optional(z.int().check(z.gte(1), z.lte(100))),
});

export type PlayerLimitsInput = z.infer<typeof playerLimitsSchema>;

/** A game's limits with the defaults filled in; a bad value is a `RangeError` naming it. */
export function resolveLimits(input: PlayerLimitsInput | undefined): PlayerLimits {
  if (input === undefined) return DEFAULT_LIMITS;
  const parsed = playerLimitsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(
      `game limits: ${issue?.path.join(".") ?? ""} ${issue?.message ?? "is invalid"}`,
    );
  }
  return {
    commands: parsed.data.commands ?? DEFAULT_LIMITS.commands,
    queries: parsed.data.queries ?? DEFAULT_LIMITS.queries,
    verifies: parsed.data.verifies ?? DEFAULT_LIMITS.verifies,
    connectionsPerPlayer: parsed.data.connectionsPerPlayer ?? DEFAULT_LIMITS.connectionsPerPlayer,
  };
}

/** A bucket's state: its theoretical arrival time (GCRA), ms. */
export type GcraOutcome =
  | { readonly allowed: true; readonly tatMs: number }
  | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * The generic cell rate algorithm: one more arrival at `nowMs` against a bucket whose theoretical
 * arrival time is `tatMs` (undefined: never used). Allowed when the new theoretical arrival time is
 * at most `burst` intervals ahead of now; then the bucket's new time is returned. Refused with how
 * long until one token is back.
 */
export function gcra(
  tatMs: number | undefined,
  nowMs: number,
  rule: RateRule,
  /** Take up to this many tokens at once (as many as the bucket holds, at least one). */
  wanted = 1,
): GcraOutcome & { readonly taken?: number } {
  const intervalMs = 1000 / rule.perSecond;
  const from = Math.max(tatMs ?? nowMs, nowMs);
  const held = Math.floor((nowMs + intervalMs * rule.burst - from) / intervalMs + 1e-9);
  if (held >= 1) {
    const taken = Math.max(1, Math.min(wanted, held));
    return { allowed: true, tatMs: from + taken * intervalMs, taken };
  }
  return {
    allowed: false,
    retryAfterMs: Math.ceil(from + intervalMs - nowMs - intervalMs * rule.burst),
  };
}

/** What a bucket is for. */
export type RateBucket = "commands" | "queries" | "verifies";

/**
 * A process's own buckets, in memory: the first gate, before any store. A process sees a part of a
 * connection's frames at most, and a part of a stream that keeps to a rule keeps to it too: so a
 * client within its limits is never refused here, and a flood from one socket is refused without a
 * round trip. At most `keysMax` buckets are kept (the least recently used go first).
 */
export class MemoryRateGate {
  readonly #tats = new Map<string, number>();

  constructor(private readonly keysMax = 10_000) {}

  take(key: string, rule: RateRule, nowMs: number): GcraOutcome {
    const outcome = gcra(this.#tats.get(key), nowMs, rule);
    if (outcome.allowed) {
      this.#tats.delete(key);
      this.#tats.set(key, outcome.tatMs);
      if (this.#tats.size > this.keysMax) {
        const oldest = this.#tats.keys().next().value;
        if (oldest !== undefined) this.#tats.delete(oldest);
      }
    }
    return outcome;
  }
}

/**
 * API Gateway's integration timeout for WebSocket APIs: the longest a route's handler (the
 * authorizer and `$connect` included) runs before API Gateway answers for it.
 */
export const API_GATEWAY_INTEGRATION_TIMEOUT_MS = 29_000;
