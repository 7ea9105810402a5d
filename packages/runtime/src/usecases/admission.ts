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
import type { RuntimeDeps } from "./deps.js";

// Per process, per set of dependencies: a Lambda container's memory, or a test's own.
const gates = new WeakMap<RuntimeDeps, MemoryRateGate>();
const limits = new WeakMap<GameModule, PlayerLimits>();

/** The game's limits, with the defaults filled in (checked once per game). */
export function limitsOf(game: GameModule): PlayerLimits {
  let resolved = limits.get(game);
  if (resolved === undefined) {
    resolved = resolveLimits(game.limits);
    limits.set(game, resolved);
  }
  return resolved;
}

function gateOf(deps: RuntimeDeps): MemoryRateGate {
  let gate = gates.get(deps);
  if (gate === undefined) {
    gate = new MemoryRateGate();
    gates.set(deps, gate);
  }
  return gate;
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
 * Takes a token of the connection's bucket in the store (atomic across processes, and without
 * losing to the connection's own frames racing for it) and returns the connection, which must be
 * `playerId`'s.
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
  const token = await deps.store.takeConnectionToken(
    input.connectionId,
    input.bucket,
    rule,
    deps.clock.nowMs(),
  );
  if (token === undefined || token.connection.playerId !== input.playerId) {
    return {
      ok: false,
      error: errorFrame("not_in_world", "this connection is not in a world: reconnect", input.id),
    };
  }
  if (!token.ok) return rateLimited(input.bucket, token.retryAfterMs, input.id);
  return { ok: true, connection: token.connection };
}
