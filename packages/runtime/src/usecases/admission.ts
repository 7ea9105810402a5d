/**
 * Admission of a frame on a connection: the per-connection limits (definitions/limits.ts), checked
 * in memory first and then on the connection item, which also tells whose connection it is. A
 * refused frame is answered with a typed error frame and stores nothing.
 */
import { type CommandErrorFrame, errorFrame } from "../definitions/commands.js";
import {
  MemoryRateGate,
  type PlayerLimits,
  type RateBucket,
  resolveLimits,
} from "../definitions/limits.js";
import type { ConnectionRecord } from "../ports/entity-store.js";
import type { GameModule } from "../world/game.js";
import { keptFor, type RuntimeDeps } from "./deps.js";

// Per process, per set of dependencies: a Lambda container's memory, or a test's own.
const gates = new WeakMap<RuntimeDeps, MemoryRateGate>();
const limits = new WeakMap<GameModule, PlayerLimits>();

/** The game's limits, with the defaults filled in (checked once per game). */
export function limitsOf(game: GameModule): PlayerLimits {
  return keptFor(limits, game, () => resolveLimits(game.limits));
}

function gateOf(deps: RuntimeDeps): MemoryRateGate {
  return keptFor(gates, deps, () => new MemoryRateGate());
}

export type Admission =
  | { readonly ok: true; readonly connection: ConnectionRecord }
  | { readonly ok: false; readonly error: CommandErrorFrame };

function rateLimited(bucket: RateBucket, retryAfterMs: number, id?: string): Admission {
  return {
    ok: false,
    error: {
      ...errorFrame(
        "rate_limited",
        `too many ${bucket} on this connection: send again in ${retryAfterMs} ms`,
        id,
      ),
      retryAfterMs,
    },
  };
}

/**
 * The cheap first gate, before any store: this process's own bucket for the connection.
 * `undefined` when the frame may go on. `id`: the frame's, for the error frame.
 */
export function gateFrame(
  deps: RuntimeDeps,
  connectionId: string,
  bucket: RateBucket,
  id?: string,
): Admission | undefined {
  const rule = limitsOf(deps.game)[bucket];
  const outcome = gateOf(deps).take(`${bucket}/${connectionId}`, rule, deps.clock.nowMs());
  return outcome.allowed ? undefined : rateLimited(bucket, outcome.retryAfterMs, id);
}

/**
 * Tokens a process took from a connection's bucket in the store and hands out itself: one write
 * buys the next few frames. They lapse after `LEASE_MS`, so a process never holds more than a
 * moment's worth of another process's share, and the store's bucket stays the one authority
 * across processes (a lapsed token is simply not used: a client is at worst refused a little
 * early, never let through more than its limit).
 */
interface Lease {
  readonly connection: ConnectionRecord;
  tokens: number;
  readonly expiresMs: number;
}

/**
 * How long leased tokens stay usable. Long enough that a player sending a command a second
 * costs one store write per lease, not one per command (at 1 s, 200 such players were 200
 * writes a second of the command path's 240); short enough that tokens a process leased and no
 * longer needs are back in the bucket's refill within a few seconds.
 */
export const LEASE_MS = 5000;

/** Per process, per set of dependencies, per connection and bucket. */
const leases = new WeakMap<RuntimeDeps, Map<string, Lease>>();

function leasesOf(deps: RuntimeDeps): Map<string, Lease> {
  return keptFor(leases, deps, () => new Map());
}

/**
 * How many tokens one store write takes: a second's worth of the rule (the default 20 commands),
 * within the burst, at least one; a connection that sends less leaves the rest to lapse, which
 * costs it nothing it would have used (the bucket refills at the same rate meanwhile).
 */
function leaseSize(rule: { readonly perSecond: number; readonly burst: number }): number {
  return Math.max(1, Math.min(rule.burst, Math.floor(rule.perSecond)));
}

/**
 * Takes a token of the connection's bucket (atomic across processes, and without losing to the
 * connection's own frames racing for it) and returns the connection, which must be `playerId`'s.
 * A token this process leased a moment ago is used first; otherwise one store write leases a few.
 */
export async function admitFrame(
  deps: RuntimeDeps,
  input: {
    readonly connectionId: string;
    readonly playerId: string;
    readonly bucket: RateBucket;
    readonly id?: string;
  },
): Promise<Admission> {
  const rule = limitsOf(deps.game)[input.bucket];
  const nowMs = deps.clock.nowMs();
  const key = `${input.bucket}/${input.connectionId}`;
  const held = leasesOf(deps);
  const fromLease = (): Admission | undefined => {
    const lease = held.get(key);
    if (lease === undefined || lease.tokens <= 0 || nowMs >= lease.expiresMs) return undefined;
    if (lease.connection.playerId !== input.playerId) return notInWorld(input.id);
    lease.tokens--;
    return { ok: true, connection: lease.connection };
  };
  const leased = fromLease();
  if (leased !== undefined) return leased;
  const token = await deps.store.takeConnectionToken(
    input.connectionId,
    input.bucket,
    rule,
    nowMs,
    leaseSize(rule),
  );
  if (token === undefined || token.connection.playerId !== input.playerId)
    return notInWorld(input.id);
  if (!token.ok) {
    // Frames of one connection racing each other: another's write may have leased the tokens
    // this one found gone. Use those before refusing.
    return fromLease() ?? rateLimited(input.bucket, token.retryAfterMs, input.id);
  }
  if (token.tokens > 1) {
    const current = held.get(key);
    if (current !== undefined && nowMs < current.expiresMs) {
      // A racing frame leased too: pool the tokens, none is lost.
      current.tokens += token.tokens - 1;
    } else {
      // Bounded: a process keeps leases of the connections it served in the last moment.
      if (held.size >= LEASES_MAX) {
        for (const [k, l] of held) if (nowMs >= l.expiresMs) held.delete(k);
        if (held.size >= LEASES_MAX) held.clear();
      }
      held.set(key, {
        connection: token.connection,
        tokens: token.tokens - 1,
        expiresMs: nowMs + LEASE_MS,
      });
    }
  }
  return { ok: true, connection: token.connection };
}

/** Leases kept per process at most. */
const LEASES_MAX = 10_000;

function notInWorld(id: string | undefined): Admission {
  return {
    ok: false,
    error: errorFrame("not_in_world", "this connection is not in a world: reconnect", id),
  };
}
