/**
 * Pushes: what each connection of a world is sent while its loop runs. A `WorldPusher` lives for
 * one tick batch (one Lambda invocation) and remembers what it sent to each connection, so every
 * frame after a connection's first is a delta against what that connection already has (named by
 * `baseTick`); a connection it has sent nothing yet gets a whole view.
 */

import { RuntimeError } from "../errors.js";
import type { ConnectionRecord, PlayerRecord } from "../ports/entity-store.js";
import type { EntityView } from "../world/game.js";
import type { RuntimeDeps } from "./deps.js";

/** What every connection of a world is sent while its loop runs (client-protocol.md). */
export interface StatePushFrame {
  readonly type: "state";
  readonly worldId: string;
  /** The world's last committed version (the ticks after it are the running batch's). */
  readonly version: number;
  /** The world's tick this frame shows. */
  readonly tick: number;
  readonly stateHash: string;
  readonly ledger: { readonly count: number; readonly head: string };
  /**
   * `changed` is the whole view (replace what you have), else a delta against the frame this
   * connection was sent at `baseTick`: what moved or appeared, and what went.
   */
  readonly full: boolean;
  /** The tick of the frame this delta applies to; absent on a full frame. */
  readonly baseTick?: number;
  readonly changed: readonly EntityView[];
  readonly removed: readonly number[];
  /** The player's profile, when it changed since the last frame. */
  readonly you?: PlayerRecord;
  /** The batch that committed, on the frame that follows its commit. */
  readonly batch?: {
    readonly ticks: number;
    readonly commandsApplied: number;
    readonly ledgerEntries: number;
    /** This tick function's time for the batch: loading, simulating, committing. */
    readonly durationMs: number;
  };
  /** Held outside the system accounts, per unit. */
  readonly supply?: Readonly<Record<string, number>>;
}

/** What a push shows: the world as of `tick`, and what went with it. */
export interface PushInput {
  readonly version: number;
  readonly tick: number;
  readonly stateHash: string;
  readonly ledger: { readonly count: number; readonly head: string };
  readonly view: readonly EntityView[];
  /** Profiles of players whose profile changed since the last push. */
  readonly profiles: ReadonlyMap<string, PlayerRecord>;
  readonly batch?: StatePushFrame["batch"];
  readonly supply?: Readonly<Record<string, number>>;
}

export interface PushCounts {
  /** Frames sent. */
  readonly pushed: number;
  /** Connections found gone (and removed). */
  readonly gone: number;
  /** Bytes of the frames sent. */
  readonly bytes: number;
}

export interface WorldPusherOptions {
  /** How often the world's connection list is read again. Default 1,000 ms. */
  readonly connectionsRefreshMs?: number;
}

/** Entities that changed or appeared since `before`, and those that went (all of them without `before`). */
export function viewDelta(
  before: readonly EntityView[] | undefined,
  after: readonly EntityView[],
): {
  readonly full: boolean;
  readonly changed: readonly EntityView[];
  readonly removed: readonly number[];
} {
  if (before === undefined) return { full: true, changed: after, removed: [] };
  const old = new Map<number, EntityView>();
  for (const e of before) old.set(e.id, e);
  const changed: EntityView[] = [];
  for (const e of after) {
    const o = old.get(e.id);
    old.delete(e.id);
    if (o === undefined || o.x !== e.x || o.y !== e.y || o.kind !== e.kind) changed.push(e);
  }
  return { full: false, changed, removed: [...old.keys()].sort((a, b) => a - b) };
}

interface Sent {
  readonly tick: number;
  readonly view: readonly EntityView[];
}

export class WorldPusher {
  readonly #deps: RuntimeDeps;
  readonly #worldId: string;
  readonly #refreshMs: number;
  readonly #sent = new Map<string, Sent>();
  #connections: readonly ConnectionRecord[] = [];
  #listedAtMs = Number.NEGATIVE_INFINITY;

  constructor(deps: RuntimeDeps, worldId: string, options: WorldPusherOptions = {}) {
    this.#deps = deps;
    this.#worldId = worldId;
    this.#refreshMs = options.connectionsRefreshMs ?? 1000;
  }

  /** Reads the connection list now, not at the next refresh (after a commit, say). */
  invalidateConnections(): void {
    this.#listedAtMs = Number.NEGATIVE_INFINITY;
  }

  async #listConnections(): Promise<readonly ConnectionRecord[]> {
    const now = this.#deps.clock.nowMs();
    if (now - this.#listedAtMs >= this.#refreshMs) {
      this.#connections = await this.#deps.store.listConnections(this.#worldId);
      this.#listedAtMs = now;
    }
    return this.#connections;
  }

  /** Sends every connection of the world what it has not seen of `input`. */
  async push(input: PushInput): Promise<PushCounts> {
    const connections = await this.#listConnections();
    let pushed = 0;
    let gone = 0;
    let bytes = 0;
    const goneIds = new Set<string>();
    await Promise.all(
      connections.map(async (c) => {
        const last = this.#sent.get(c.connectionId);
        const delta = viewDelta(last?.view, input.view);
        const frame: StatePushFrame = {
          type: "state",
          worldId: this.#worldId,
          version: input.version,
          tick: input.tick,
          stateHash: input.stateHash,
          ledger: input.ledger,
          ...delta,
          ...(last === undefined ? {} : { baseTick: last.tick }),
          ...(input.profiles.has(c.playerId)
            ? { you: input.profiles.get(c.playerId) as PlayerRecord }
            : {}),
          ...(input.batch === undefined ? {} : { batch: input.batch }),
          ...(input.supply === undefined ? {} : { supply: input.supply }),
        };
        const message = JSON.stringify(frame);
        try {
          if ((await this.#deps.push.post(c.connectionId, message)) === "gone") {
            gone++;
            goneIds.add(c.connectionId);
            this.#sent.delete(c.connectionId);
            await this.#deps.store.deleteConnection(c.connectionId);
          } else {
            pushed++;
            bytes += Buffer.byteLength(message);
            this.#sent.set(c.connectionId, { tick: input.tick, view: input.view });
          }
        } catch (error) {
          // A push is best effort: the next one sends what this one did not (the connection's
          // base stays the last frame it was sent). Only the adapters' typed failures are
          // expected here; anything else is a bug.
          if (!(error instanceof RuntimeError)) throw error;
        }
      }),
    );
    if (goneIds.size > 0)
      this.#connections = this.#connections.filter((c) => !goneIds.has(c.connectionId));
    return { pushed, gone, bytes };
  }
}
