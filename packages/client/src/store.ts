/**
 * The world as a client knows it: the entities the `state` pushes send it (its area of interest,
 * or the whole world for a watcher of a game that sends watchers the world), with the world's
 * version, tick, ledger head, supply and the player's profile. Pure: no socket.
 *
 * A `full` push replaces the view. A delta names the tick of the frame it follows (`baseTick`)
 * and applies cleanly only on top of that very frame: its `changed` entities come whole (they
 * entered the area, or changed more than their position), its `moved` triples move entities the
 * store has, its `removed` ids go. A delta that does not follow the last frame (one went astray)
 * is a gap: the store applies what it can (whole entities, moves of entities it has, removals),
 * says `consistent: false`, and is whole again at the next full push (the server sends every
 * connection one every few seconds).
 *
 * A `state` query's result always brings the game's description; when it is newer than what the
 * store shows it brings the player's profile, the supply and the ledger, and its entities (the
 * whole world, at the last commit) only while no push has been applied, so that something shows
 * before the first push comes. After that the entities are the pushes' alone: the whole world
 * laid over an area would leave entities far away standing still forever.
 */
import { Emitter } from "./emitter.js";
import type {
  EntityView,
  GameDescription,
  PlayerRecord,
  StatePushFrame,
  StateQueryResult,
} from "./protocol.js";

// Alike in form only (read-only figures): runtime/src/ports/journal.ts's BatchRecord.
/** What one push or `state` result changed, as the store's listeners see it. */
export interface StateChange {
  readonly source: "push" | "query";
  /** Whether everything was replaced (a full push, or a `state` result's entities). */
  readonly full: boolean;
  readonly version: number;
  readonly tick: number;
  /** Entities that moved or appeared, as the store now has them (every entity when `full`). */
  readonly changed: readonly EntityView[];
  /** Ids of entities that went. */
  readonly removed: readonly number[];
  /** When it was applied, on the store's clock. */
  readonly atMs: number;
  /** Whether the store's view is whole after it (false after a gap, until a full push). */
  readonly consistent: boolean;
}

/**
 * How a push or a result was taken: `applied`; `stale` (older than what the store holds: its
 * entities ignored); `gap` (a delta that does not follow the last frame: applied as far as it
 * can be, the view is not whole until the next full push).
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
  /** The tick of the last push applied: what the next delta's `baseTick` must be. */
  #frameTick: number | undefined;
  #scope: "area" | "world" | undefined;
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

  /** Every entity the store has, by id. */
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
  /** The tick of the last push applied (the frame the next delta must follow); undefined before one. */
  get frameTick(): number | undefined {
    return this.#frameTick;
  }
  /**
   * What the entities cover: `area` (near the player's own entity, as the game's area of
   * interest says), `world` (every entity), undefined before the first full push.
   */
  get scope(): "area" | "world" | undefined {
    return this.#scope;
  }
  /** The state hash, as the last push or result that carried one said (at its tick). */
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
  /** The last batch figures a push carried. */
  get batch(): NonNullable<StatePushFrame["batch"]> | undefined {
    return this.#batch;
  }
  /**
   * Whether the view is whole: exactly what the server sent, every entity of its scope as of
   * `tick` (false before the first full view, and after a gap until the next full push).
   */
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
    const follows = push.full || (push.baseTick !== undefined && push.baseTick === this.#frameTick);
    if (!follows && this.#frameTick !== undefined && push.tick < this.#frameTick) return "stale";
    let result: ApplyResult = follows ? "applied" : "gap";
    let changed: readonly EntityView[];
    let removed: readonly number[];
    if (push.full) {
      removed = this.#replace(push.changed);
      changed = push.changed;
      this.#scope = push.scope ?? this.#scope ?? "world";
    } else {
      const patched = this.#patch(push.changed, push.moved ?? [], push.removed);
      // A move of an entity the store does not have: something went astray, even if the ticks say not.
      if (!patched.complete) result = "gap";
      changed = patched.changed;
      removed = push.removed;
    }
    this.#consistent = result === "applied" && (push.full || this.#consistent);
    this.#frameTick = push.tick;
    this.#worldId = push.worldId;
    this.#version = push.version;
    this.#tick = push.tick;
    if (push.stateHash !== undefined) this.#stateHash = push.stateHash;
    if (push.ledger !== undefined) this.#ledger = push.ledger;
    if (push.you !== undefined) this.#you = push.you;
    if (push.supply !== undefined) this.#supply = push.supply;
    if (push.batch !== undefined) this.#batch = push.batch;
    this.#emit("push", push.full, changed, removed, atMs);
    return result;
  }

  /**
   * Applies a `state` query's result received at `atMs`. Its game description is always taken;
   * the rest only when it is not older than what the store shows (`stale` otherwise), and its
   * entities only before the first push (see the module's comment). Listeners hear of every
   * result, with `full` when its entities were taken.
   */
  applyState(state: StateQueryResult, atMs: number): ApplyResult {
    if (state.game !== undefined) this.#game = state.game;
    const older =
      state.version < this.#version || (state.version === this.#version && state.tick < this.#tick);
    if (older) {
      // Pushes since said more, but not necessarily who the player is.
      if (this.#you === undefined && state.player !== undefined) this.#you = state.player;
      this.#emit("query", false, [], [], atMs);
      return "stale";
    }
    this.#worldId = state.worldId;
    if (state.player !== undefined) this.#you = state.player;
    this.#supply = state.supply;
    this.#ledger = { count: state.ledger.count, head: state.ledger.head };
    if (this.#frameTick !== undefined) {
      // The pushes own the entities: take the rest, and say so to listeners (nothing moved).
      this.#emit("query", false, [], [], atMs);
      return "applied";
    }
    const removed = this.#replace(state.entities);
    this.#consistent = true;
    this.#scope = "world";
    this.#version = state.version;
    this.#tick = state.tick;
    this.#stateHash = state.stateHash;
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

  #patch(
    whole: readonly EntityView[],
    moved: readonly number[],
    removed: readonly number[],
  ): { readonly changed: readonly EntityView[]; readonly complete: boolean } {
    const changed: EntityView[] = [...whole];
    let complete = true;
    for (const e of whole) this.#entities.set(e.id, e);
    for (let k = 0; k + 2 < moved.length; k += 3) {
      const id = moved[k] as number;
      const before = this.#entities.get(id);
      if (before === undefined) {
        complete = false;
        continue;
      }
      const after = { ...before, x: moved[k + 1] as number, y: moved[k + 2] as number };
      this.#entities.set(id, after);
      changed.push(after);
    }
    for (const id of removed) this.#entities.delete(id);
    return { changed, complete };
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
