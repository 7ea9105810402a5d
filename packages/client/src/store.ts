/**
 * The world as a client knows it: the entities from `state` pushes (a `full` push replaces them,
 * a delta's `changed` updates and adds, its `removed` deletes) and from `state` query results,
 * with the world's version, tick, ledger head, supply and the player's profile. Pure: no socket.
 *
 * A delta is relative to the push before it, so it applies cleanly only on top of the version
 * just before its own. A push that skips versions (one lost, which a best-effort push can be) is
 * still applied, the store says `consistent: false`, and the client asks `state` to mend it; a
 * `full` push or a `state` result makes it whole again.
 */
import { Emitter } from "./emitter.js";
import type {
  EntityView,
  GameDescription,
  PlayerRecord,
  StatePushFrame,
  StateQueryResult,
} from "./protocol.js";

/** What one push or `state` result changed, as the store's listeners see it. */
export interface StateChange {
  readonly source: "push" | "query";
  /** Whether everything was replaced (a full push or a `state` result). */
  readonly full: boolean;
  readonly version: number;
  readonly tick: number;
  /** Entities that moved or appeared (every entity when `full`). */
  readonly changed: readonly EntityView[];
  /** Ids of entities that went. */
  readonly removed: readonly number[];
  /** When it was applied, on the store's clock. */
  readonly atMs: number;
  /** Whether the store's view is whole after it (false after a skipped version). */
  readonly consistent: boolean;
}

/**
 * How a push or a result was taken: `applied`; `stale` (older than what the store holds:
 * ignored); `gap` (a delta after a skipped version: applied, the view is not whole).
 */
export type ApplyResult = "applied" | "stale" | "gap";

export interface StoreEvents {
  readonly state: StateChange;
}

export class WorldStore {
  readonly #entities = new Map<number, EntityView>();
  readonly #events: Emitter<StoreEvents>;
  #worldId: string | undefined;
  #version = -1;
  #tick = 0;
  #stateHash: string | undefined;
  #ledger: { readonly count: number; readonly head: string } | undefined;
  #you: PlayerRecord | undefined;
  #supply: { readonly [unit: string]: number } = {};
  #game: GameDescription | undefined;
  #batch: NonNullable<StatePushFrame["batch"]> | undefined;
  #consistent = false;

  /** `onListenerError` gets what a listener throws (it does not reach the caller of `apply`). */
  constructor(onListenerError: (error: unknown) => void = () => undefined) {
    this.#events = new Emitter<StoreEvents>((error) => onListenerError(error));
  }

  /** Every entity, by id. */
  get entities(): ReadonlyMap<number, EntityView> {
    return this.#entities;
  }
  get worldId(): string | undefined {
    return this.#worldId;
  }
  /** The world version the view is at; -1 before anything was applied. */
  get version(): number {
    return this.#version;
  }
  get tick(): number {
    return this.#tick;
  }
  get stateHash(): string | undefined {
    return this.#stateHash;
  }
  get ledger(): { readonly count: number; readonly head: string } | undefined {
    return this.#ledger;
  }
  /** The player's profile, as the last push that carried it (or the last `state` result) said. */
  get you(): PlayerRecord | undefined {
    return this.#you;
  }
  /** What is in circulation, per unit. */
  get supply(): { readonly [unit: string]: number } {
    return this.#supply;
  }
  /** The game's description, from the last `state` result that had it. */
  get game(): GameDescription | undefined {
    return this.#game;
  }
  /** The last push's batch figures. */
  get batch(): NonNullable<StatePushFrame["batch"]> | undefined {
    return this.#batch;
  }
  /** Whether the view is whole: every entity as of `version` (false before the first full view). */
  get consistent(): boolean {
    return this.#consistent;
  }

  /** The entity named `name` (a player's own, named after the player). */
  byName(name: string): EntityView | undefined {
    for (const e of this.#entities.values()) if (e.name === name) return e;
    return undefined;
  }

  /** Calls `listener` after every applied push or result, until the returned function is called. */
  subscribe(listener: (change: StateChange) => void): () => void {
    return this.#events.on("state", listener);
  }

  /** Applies a `state` push received at `atMs`. */
  applyPush(push: StatePushFrame, atMs: number): ApplyResult {
    if (
      push.full ? push.version < this.#version && this.#consistent : push.version <= this.#version
    )
      return "stale";
    const result: ApplyResult = push.full || push.version === this.#version + 1 ? "applied" : "gap";
    const removed = push.full
      ? this.#replace(push.changed)
      : this.#patch(push.changed, push.removed);
    this.#consistent = result === "applied" && (push.full || this.#consistent);
    this.#worldId = push.worldId;
    this.#version = push.version;
    this.#tick = push.tick;
    this.#stateHash = push.stateHash;
    this.#ledger = push.ledger;
    if (push.you !== undefined) this.#you = push.you;
    if (push.supply !== undefined) this.#supply = push.supply;
    if (push.batch !== undefined) this.#batch = push.batch;
    this.#emit("push", push.full, push.changed, removed, atMs);
    return result;
  }

  /** Applies a `state` query's result received at `atMs`: the whole view, unless it is older. */
  applyState(state: StateQueryResult, atMs: number): ApplyResult {
    if (state.version < this.#version) return "stale";
    const removed = this.#replace(state.entities);
    this.#consistent = true;
    this.#worldId = state.worldId;
    this.#version = state.version;
    this.#tick = state.tick;
    this.#stateHash = state.stateHash;
    this.#ledger = { count: state.ledger.count, head: state.ledger.head };
    if (state.player !== undefined) this.#you = state.player;
    this.#supply = state.supply;
    if (state.game !== undefined) this.#game = state.game;
    this.#emit("query", true, state.entities, removed, atMs);
    return "applied";
  }

  /** Forgets every listener. */
  clearListeners(): void {
    this.#events.clear();
  }

  #replace(entities: readonly EntityView[]): number[] {
    const seen = new Set<number>();
    for (const e of entities) {
      seen.add(e.id);
      this.#entities.set(e.id, e);
    }
    const removed: number[] = [];
    for (const id of this.#entities.keys()) if (!seen.has(id)) removed.push(id);
    for (const id of removed) this.#entities.delete(id);
    return removed;
  }

  #patch(changed: readonly EntityView[], removed: readonly number[]): readonly number[] {
    for (const e of changed) this.#entities.set(e.id, e);
    for (const id of removed) this.#entities.delete(id);
    return removed;
  }

  #emit(
    source: StateChange["source"],
    full: boolean,
    changed: readonly EntityView[],
    removed: readonly number[],
    atMs: number,
  ): void {
    this.#events.emit("state", {
      source,
      full,
      version: this.#version,
      tick: this.#tick,
      changed,
      removed,
      atMs,
      consistent: this.#consistent,
    });
  }
}
