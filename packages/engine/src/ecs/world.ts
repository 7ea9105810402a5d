import {
  DefinitionError,
  EngineError,
  EntityCapacityError,
  InvalidArgumentError,
  StaleEntityError,
  UnknownComponentError,
} from "../errors.js";
import { Rng } from "../rng.js";
import type { Command } from "../sim/command.js";
import type { SimEvent, SimEventKind } from "../sim/events.js";
import {
  allocateField,
  type ComponentDef,
  NO_ENTITY,
  type Schema,
  type Store,
  type TypedArray,
} from "./component.js";
import { type Eid, type EntityHandle, ID_MASK, MAX_ENTITIES, MAX_GENERATION } from "./entity.js";
import { QueryState } from "./query.js";

export interface WorldOptions {
  /**
   * Every component the world stores. The position in this list is the component's id, and it
   * is part of the world's snapshot format: append new components, do not reorder.
   */
  readonly components: readonly ComponentDef<Schema>[];
  /** Entity slots; at most 2^20. Default 65,536. Memory is reserved up front (no growth, no stalls). */
  readonly maxEntities?: number;
  /** Fixed simulation rate. Default 60 ticks per second. */
  readonly tickRateHz?: number;
  /** Seed of the world's random numbers (a number or a text such as the world id). Default 0. */
  readonly seed?: number | string;
}

/** Terms of a query: entities that have every `with` component and none of the `without` ones. */
export interface QueryTerms {
  readonly with: readonly ComponentDef<Schema>[];
  readonly without?: readonly ComponentDef<Schema>[];
}

const OP_ADD = 0;
const OP_REMOVE = 1;
const OP_DESTROY = 2;

/** A destroy that would take a slot's handle to this value retires the slot instead (see entity.ts). */
const RETIRED_HANDLE = MAX_GENERATION * MAX_ENTITIES;

/**
 * The world: entities, their components (struct-of-arrays in typed arrays, indexed by entity id),
 * cached queries, and the simulation context (tick, random numbers, this tick's inputs, events).
 *
 * Structural changes (add/remove component, destroy entity) made while the world is deferred
 * (inside a system, or `world.deferred(fn)`) are queued and applied in call order when the
 * outermost deferral ends, so a loop over a query never sees its own changes mid-iteration.
 * Entity creation and component data writes take effect at once.
 */
export class World {
  readonly maxEntities: number;
  readonly tickRateHz: number;
  /** Seconds per tick: exactly `1 / tickRateHz`. */
  readonly dt: number;
  readonly components: readonly ComponentDef<Schema>[];

  /** Ticks completed since the world began. */
  tick = 0;
  /** The world's random numbers; its state is in the snapshot. */
  readonly rng: Rng;
  /** Commands to apply during the current tick (set by the scheduler). */
  inputs: readonly Command[] = [];

  /** @internal per-component typed arrays. */
  readonly stores: readonly Store<Schema>[];
  /** @internal component mask words: bit `c & 31` of `masks[c >> 5][eid]` is set when eid has c. */
  readonly masks: readonly Uint32Array[];

  private readonly componentIds = new Map<ComponentDef<Schema>, number>();
  /**
   * Component id by `serial - serialBase` of `defineComponent`'s definitions (-1: not in this
   * world): the hot paths' lookup, an array read instead of a map lookup.
   */
  private readonly idBySerial: Int32Array;
  private readonly serialBase: number;
  /** Per component: its fields' typed arrays and their default values, for the reset on add. */
  private readonly fieldArrays: readonly TypedArray[][];
  private readonly fieldDefaults: readonly number[][];
  /**
   * Per component: its first field's array and default (undefined for a tag). Most components
   * have one field, and a store through a local array is several times cheaper in V8 than one
   * through the nested lists.
   */
  private readonly firstFields: readonly (TypedArray | undefined)[];
  private readonly firstDefaults: readonly number[];
  private readonly componentQueries: QueryState[][];
  private readonly queries = new Map<string, QueryState>();
  /** The same queries by `include · 2^31 + exclude` (exact in a double), when every component id is below 31. */
  private readonly smallQueries = new Map<number, QueryState>();

  /** @internal current handle of every slot ever used. */
  readonly handles: Float64Array;
  /** @internal 1 while the slot's entity lives. */
  readonly alive: Uint8Array;
  /** @internal FIFO of freed slots: reusing the oldest first keeps ids ascending in bulk churn. */
  readonly freeRing: Int32Array;
  freeHead = 0;
  freeCount = 0;
  /** @internal slots [0, highWater) have been used at least once. */
  highWater = 0;
  private liveCount = 0;

  private readonly names = new Map<string, Eid>();
  private readonly nameOf: (string | undefined)[] = [];

  private deferDepth = 0;
  /** Queued changes, three numbers each: op, eid, component (or, for a destroy, the handle). */
  private ops = new Float64Array(3 * 256);
  private opsLength = 0;
  /** Like `masks`: the components with an add queued in the current batch, per entity. */
  private readonly pendingAdds: readonly Uint32Array[];
  private pendingEvents: SimEvent[] = [];

  constructor(options: WorldOptions) {
    const maxEntities = options.maxEntities ?? 65_536;
    if (!Number.isInteger(maxEntities) || maxEntities < 1 || maxEntities > MAX_ENTITIES) {
      throw new DefinitionError(
        `maxEntities must be an integer from 1 to ${MAX_ENTITIES}, got ${maxEntities}`,
      );
    }
    const tickRateHz = options.tickRateHz ?? 60;
    if (!Number.isInteger(tickRateHz) || tickRateHz < 1 || tickRateHz > 10_000) {
      throw new DefinitionError(`tickRateHz must be an integer from 1 to 10000, got ${tickRateHz}`);
    }
    this.maxEntities = maxEntities;
    this.tickRateHz = tickRateHz;
    this.dt = 1 / tickRateHz;
    this.rng = new Rng(options.seed ?? 0);

    const seen = new Set<string>();
    const stores: Store<Schema>[] = [];
    const fieldArrays: TypedArray[][] = [];
    const fieldDefaults: number[][] = [];
    options.components.forEach((def, id) => {
      if (seen.has(def.name)) throw new DefinitionError(`component "${def.name}" is listed twice`);
      seen.add(def.name);
      this.componentIds.set(def, id);
      const store: Record<string, TypedArray> = {};
      const arrays: TypedArray[] = [];
      const defaults: number[] = [];
      for (const field of def.fields) {
        const type = def.schema[field] as Schema[string];
        const array = allocateField(type, maxEntities);
        store[field] = array;
        arrays.push(array);
        defaults.push(type === "entity" ? NO_ENTITY : 0);
      }
      stores.push(store as Store<Schema>);
      fieldArrays.push(arrays);
      fieldDefaults.push(defaults);
    });
    this.components = [...options.components];
    this.stores = stores;
    this.fieldArrays = fieldArrays;
    this.fieldDefaults = fieldDefaults;
    this.firstFields = fieldArrays.map((arrays) => arrays[0]);
    this.firstDefaults = fieldDefaults.map((defaults) => defaults[0] ?? 0);
    const serials = options.components.map((def) => def.serial ?? -1).filter((n) => n >= 0);
    this.serialBase = serials.length === 0 ? 0 : Math.min(...serials);
    const serialSpan = serials.length === 0 ? 0 : Math.max(...serials) - this.serialBase + 1;
    // Definitions made far apart would make a large table: those fall back to the map.
    this.idBySerial = new Int32Array(
      serialSpan <= Math.max(1024, 4 * options.components.length) ? serialSpan : 0,
    ).fill(-1);
    options.components.forEach((def, id) => {
      const k = (def.serial ?? -1) - this.serialBase;
      if (def.serial !== undefined && k < this.idBySerial.length) this.idBySerial[k] = id;
    });
    const words = Math.max(1, Math.ceil(options.components.length / 32));
    this.masks = Array.from({ length: words }, () => new Uint32Array(maxEntities));
    this.pendingAdds = Array.from({ length: words }, () => new Uint32Array(maxEntities));
    this.componentQueries = options.components.map(() => []);

    this.handles = new Float64Array(maxEntities);
    this.alive = new Uint8Array(maxEntities);
    this.freeRing = new Int32Array(maxEntities);
  }

  // ─── components ──────────────────────────────────────────────────────────────────────────────

  /** The id of a component in this world (its position in `options.components`). */
  componentId(def: ComponentDef<Schema>): number {
    const id = this.componentIds.get(def);
    if (id === undefined) throw new UnknownComponentError(def.name);
    return id;
  }

  /** The typed arrays of a component, indexed by entity id. */
  store<S extends Schema>(def: ComponentDef<S>): Store<S> {
    return this.stores[this.idOf(def as unknown as ComponentDef<Schema>)] as unknown as Store<S>;
  }

  /** `componentId` through the serial table first (the hot paths' lookup). */
  private idOf(def: ComponentDef<Schema>): number {
    // Out of range (or no serial: NaN) reads undefined, and undefined >= 0 is false.
    const c = this.idBySerial[(def.serial as number) - this.serialBase] as number;
    return c >= 0 ? c : this.componentId(def);
  }

  // ─── entities ────────────────────────────────────────────────────────────────────────────────

  /** Number of live entities. */
  get entityCount(): number {
    return this.liveCount;
  }

  /** Creates an entity without components and returns its id (immediately, even when deferred). */
  createEntity(): Eid {
    let eid: number;
    if (this.freeCount > 0) {
      eid = this.freeRing[this.freeHead] as number;
      this.freeHead = this.freeHead + 1 === this.maxEntities ? 0 : this.freeHead + 1;
      this.freeCount--;
    } else if (this.highWater < this.maxEntities) {
      eid = this.highWater++;
      this.handles[eid] = eid; // generation 0
    } else {
      throw new EntityCapacityError(this.maxEntities);
    }
    this.alive[eid] = 1;
    this.liveCount++;
    return eid;
  }

  /** Destroys an entity: removes all its components and frees its slot (deferred inside systems). */
  destroyEntity(eid: Eid): void {
    if (this.alive[eid] !== 1) throw new StaleEntityError(eid);
    if (this.deferDepth > 0) this.queue(OP_DESTROY, eid, this.handles[eid] as number);
    else this.destroyNow(eid);
  }

  /** Whether the entity id names a live entity. */
  isAlive(eid: Eid): boolean {
    return eid >= 0 && eid < this.maxEntities && this.alive[eid] === 1;
  }

  /** The handle of a live entity: keep this, not the id, across ticks. */
  handle(eid: Eid): EntityHandle {
    this.assertAlive(eid);
    return this.handles[eid] as number;
  }

  /** The id of the entity a handle names; throws `StaleEntityError` if it no longer lives. */
  resolve(handle: EntityHandle): Eid {
    const eid = this.tryResolve(handle);
    if (eid < 0) throw new StaleEntityError(handle);
    return eid;
  }

  /** The id of the entity a handle names, or -1 if it no longer lives. */
  tryResolve(handle: EntityHandle): Eid {
    if (!Number.isSafeInteger(handle) || handle < 0) return -1;
    const eid = handle & ID_MASK;
    if (eid >= this.maxEntities || this.alive[eid] !== 1 || this.handles[eid] !== handle) return -1;
    return eid;
  }

  /** Gives a live entity a unique name (`player_0001`), replacing any name it had. */
  setName(eid: Eid, name: string): void {
    this.assertAlive(eid);
    const owner = this.names.get(name);
    if (owner !== undefined && owner !== eid) {
      throw new EngineError(`name "${name}" already belongs to entity ${owner}`);
    }
    const previous = this.nameOf[eid];
    if (previous !== undefined) this.names.delete(previous);
    this.names.set(name, eid);
    this.nameOf[eid] = name;
  }

  /** The id of the live entity with this name, or undefined. */
  byName(name: string): Eid | undefined {
    return this.names.get(name);
  }

  nameOfEntity(eid: Eid): string | undefined {
    return this.nameOf[eid];
  }

  // ─── component membership ────────────────────────────────────────────────────────────────────

  /**
   * Adds a component. Its fields are reset to their defaults at once (0, or `NO_ENTITY` for entity
   * fields), so values written right after this call are kept; queries see the entity when the
   * change applies. Adding a component the entity already has changes nothing.
   */
  addComponent(eid: Eid, def: ComponentDef<Schema>): void {
    if (this.alive[eid] !== 1) throw new StaleEntityError(eid);
    const c = this.idOf(def);
    const word = this.masks[c >> 5] as Uint32Array;
    const bit = 1 << (c & 31);
    const before = word[eid] as number;
    if ((before & bit) !== 0) return;
    if (this.deferDepth > 0) {
      this.queueAdd(eid, c, bit);
      return;
    }
    const f0 = this.firstFields[c];
    if (f0 !== undefined) this.resetFields(c, eid, f0);
    word[eid] = before | bit;
    const qs = this.componentQueries[c] as QueryState[];
    for (let i = 0; i < qs.length; i++) (qs[i] as QueryState).note(eid);
  }

  /** Removes a component (no-op if absent). */
  removeComponent(eid: Eid, def: ComponentDef<Schema>): void {
    if (this.alive[eid] !== 1) throw new StaleEntityError(eid);
    const c = this.idOf(def);
    const bit = 1 << (c & 31);
    if (this.deferDepth > 0) {
      const pending = this.pendingAdds[c >> 5] as Uint32Array;
      pending[eid] = (pending[eid] as number) & ~bit;
      this.queue(OP_REMOVE, eid, c);
      return;
    }
    const word = this.masks[c >> 5] as Uint32Array;
    const before = word[eid] as number;
    if ((before & bit) === 0) return;
    word[eid] = before & ~bit;
    const qs = this.componentQueries[c] as QueryState[];
    for (let i = 0; i < qs.length; i++) (qs[i] as QueryState).note(eid);
  }

  // ─── bulk structural changes ─────────────────────────────────────────────────────────────────
  //
  // The same changes as the per-entity calls, applied in the same order with the same result,
  // but with the lookups done once per call instead of once per entity, and, when the batch is
  // large (over a quarter of the slots in use), the affected queries told to rescan once instead
  // of noting every entity. Inside a deferral they queue exactly like the per-entity calls.

  /**
   * Creates `count` entities with the given components (fields at their defaults) and returns
   * their ids in creation order, in `out` (its length is set to `count`).
   */
  createEntities(count: number, defs: readonly ComponentDef<Schema>[], out: Eid[] = []): Eid[] {
    if (!Number.isInteger(count) || count < 0) {
      throw new InvalidArgumentError(`count must be a non-negative integer, got ${count}`);
    }
    // All or nothing: check the room and the components before creating any entity.
    if (count > this.freeCount + (this.maxEntities - this.highWater)) {
      throw new EntityCapacityError(this.maxEntities);
    }
    for (let d = 0; d < defs.length; d++) this.idOf(defs[d] as ComponentDef<Schema>);
    out.length = count;
    for (let i = 0; i < count; i++) out[i] = this.createEntity();
    for (let d = 0; d < defs.length; d++) {
      this.addComponentToEach(out, defs[d] as ComponentDef<Schema>);
    }
    return out;
  }

  /** `addComponent(eid, def)` for each id in `eids`, in order. */
  addComponentToEach(eids: ArrayLike<Eid>, def: ComponentDef<Schema>): void {
    const n = eids.length;
    if (this.deferDepth > 0) {
      for (let i = 0; i < n; i++) this.addComponent(eids[i] as Eid, def);
      return;
    }
    const c = this.idOf(def);
    const word = this.masks[c >> 5] as Uint32Array;
    const bit = 1 << (c & 31);
    const alive = this.alive;
    const f0 = this.firstFields[c];
    const d0 = this.firstDefaults[c] as number;
    const more = (this.fieldArrays[c] as TypedArray[]).length > 1;
    const qs = this.componentQueries[c] as QueryState[];
    const bulk = this.bulkNotes(qs, n);
    for (let i = 0; i < n; i++) {
      const eid = eids[i] as Eid;
      if (alive[eid] !== 1) throw new StaleEntityError(eid);
      const before = word[eid] as number;
      if ((before & bit) !== 0) continue;
      if (f0 !== undefined) {
        f0[eid] = d0;
        if (more) this.resetFields(c, eid, f0);
      }
      word[eid] = before | bit;
      if (!bulk) for (let q = 0; q < qs.length; q++) (qs[q] as QueryState).note(eid);
    }
  }

  /** `removeComponent(eid, def)` for each id in `eids`, in order. */
  removeComponentFromEach(eids: ArrayLike<Eid>, def: ComponentDef<Schema>): void {
    const n = eids.length;
    if (this.deferDepth > 0) {
      for (let i = 0; i < n; i++) this.removeComponent(eids[i] as Eid, def);
      return;
    }
    const c = this.idOf(def);
    const word = this.masks[c >> 5] as Uint32Array;
    const bit = 1 << (c & 31);
    const alive = this.alive;
    const qs = this.componentQueries[c] as QueryState[];
    const bulk = this.bulkNotes(qs, n);
    for (let i = 0; i < n; i++) {
      const eid = eids[i] as Eid;
      if (alive[eid] !== 1) throw new StaleEntityError(eid);
      const before = word[eid] as number;
      if ((before & bit) === 0) continue;
      word[eid] = before & ~bit;
      if (!bulk) for (let q = 0; q < qs.length; q++) (qs[q] as QueryState).note(eid);
    }
  }

  /** `destroyEntity(eid)` for each id in `eids`, in order. */
  destroyEach(eids: ArrayLike<Eid>): void {
    const n = eids.length;
    if (this.deferDepth > 0 || n * 4 <= this.highWater) {
      for (let i = 0; i < n; i++) this.destroyEntity(eids[i] as Eid);
      return;
    }
    // A large batch: clear the masks without notes, then have every query that reads a cleared
    // component rescan once.
    const masks = this.masks;
    const touched = new Uint32Array(masks.length);
    for (let i = 0; i < n; i++) {
      const eid = eids[i] as Eid;
      if (this.alive[eid] !== 1) {
        this.invalidateTouched(touched);
        throw new StaleEntityError(eid);
      }
      for (let w = 0; w < masks.length; w++) {
        const word = masks[w] as Uint32Array;
        const bits = word[eid] as number;
        if (bits !== 0) {
          touched[w] = (touched[w] as number) | bits;
          word[eid] = 0;
        }
      }
      this.freeSlot(eid);
    }
    this.invalidateTouched(touched);
  }

  /** Whether a batch of `n` changes should make the queries rescan instead of noting each one. */
  private bulkNotes(qs: readonly QueryState[], n: number): boolean {
    if (n * 4 <= this.highWater) return false;
    for (let q = 0; q < qs.length; q++) (qs[q] as QueryState).invalidate();
    return true;
  }

  private invalidateTouched(touched: Uint32Array): void {
    for (let w = 0; w < touched.length; w++) {
      let bits = touched[w] as number;
      while (bits !== 0) {
        const low = bits & -bits;
        bits ^= low;
        const qs = this.componentQueries[w * 32 + (31 - Math.clz32(low))] as QueryState[];
        for (let q = 0; q < qs.length; q++) (qs[q] as QueryState).invalidate();
      }
    }
  }

  hasComponent(eid: Eid, def: ComponentDef<Schema>): boolean {
    const c = this.idOf(def);
    return (((this.masks[c >> 5] as Uint32Array)[eid] as number) & (1 << (c & 31))) !== 0;
  }

  /** Ids of the components an entity has, ascending. */
  componentsOf(eid: Eid): number[] {
    const out: number[] = [];
    for (let c = 0; c < this.components.length; c++) {
      if (((this.masks[c >> 5] as Uint32Array)[eid] as number) & (1 << (c & 31))) out.push(c);
    }
    return out;
  }

  // ─── queries ─────────────────────────────────────────────────────────────────────────────────

  /** The cached query for these terms, created (and filled from existing entities) on first use. */
  query(terms: QueryTerms | readonly ComponentDef<Schema>[]): QueryState {
    // Systems may well ask for their query every tick: find it by bit masks when they fit.
    const list = isTermList(terms);
    const withList = list ? terms : terms.with;
    const withoutList = list ? undefined : terms.without;
    let incBits = 0;
    let excBits = 0;
    let small = withList.length !== 0;
    for (let i = 0; small && i < withList.length; i++) {
      const c = this.idOf(withList[i] as ComponentDef<Schema>);
      if (c < 31) incBits |= 1 << c;
      else small = false;
    }
    if (withoutList !== undefined) {
      for (let i = 0; small && i < withoutList.length; i++) {
        const c = this.idOf(withoutList[i] as ComponentDef<Schema>);
        if (c < 31) excBits |= 1 << c;
        else small = false;
      }
    }
    const smallKey = incBits * 2_147_483_648 + excBits;
    if (small) {
      const found = this.smallQueries.get(smallKey);
      if (found !== undefined) return found;
    }
    const t: QueryTerms = list ? { with: terms } : terms;
    const inc = t.with.map((d) => this.componentId(d));
    const exc = (t.without ?? []).map((d) => this.componentId(d));
    if (inc.length === 0) throw new DefinitionError("a query needs at least one `with` component");
    const key = `${[...inc].sort((a, b) => a - b).join(",")}|${[...exc].sort((a, b) => a - b).join(",")}`;
    const existing = this.queries.get(key);
    if (existing) {
      if (small) this.smallQueries.set(smallKey, existing);
      return existing;
    }

    const wordCount = this.masks.length;
    const incWords = new Uint32Array(wordCount);
    const excWords = new Uint32Array(wordCount);
    for (const c of inc) incWords[c >> 5] = (incWords[c >> 5] as number) | (1 << (c & 31));
    for (const c of exc) excWords[c >> 5] = (excWords[c >> 5] as number) | (1 << (c & 31));
    const used: number[] = [];
    for (let w = 0; w < wordCount; w++) if (incWords[w] !== 0 || excWords[w] !== 0) used.push(w);
    // Filled from the existing entities at its first read.
    const q = new QueryState(
      key,
      Int32Array.from(used),
      Uint32Array.from(used, (w) => incWords[w] as number),
      Uint32Array.from(used, (w) => excWords[w] as number),
      this.maxEntities,
      this,
    );
    for (const c of new Set([...inc, ...exc])) (this.componentQueries[c] as QueryState[]).push(q);
    this.queries.set(key, q);
    if (small) this.smallQueries.set(smallKey, q);
    return q;
  }

  // ─── deferral ────────────────────────────────────────────────────────────────────────────────

  /** Runs `fn` with structural changes deferred until it returns (nests). */
  deferred<T>(fn: () => T): T {
    this.deferDepth++;
    try {
      return fn();
    } finally {
      this.deferDepth--;
      if (this.deferDepth === 0) this.flush();
    }
  }

  /** @internal open deferrals (`deferred` calls, a running system); changes apply at 0. */
  get deferralDepth(): number {
    return this.deferDepth;
  }

  /** @internal enter/leave deferral without a closure (the scheduler's hot path). */
  beginDefer(): void {
    this.deferDepth++;
  }

  /** @internal */
  endDefer(): void {
    this.deferDepth--;
    if (this.deferDepth === 0) this.flush();
  }

  /**
   * @internal closes the deferrals opened since the depth was `depth` (left open when a system
   * threw), applying the queued changes if no deferral remains.
   */
  endDeferTo(depth: number): void {
    if (this.deferDepth <= depth) return;
    this.deferDepth = depth;
    if (depth === 0) this.flush();
  }

  /** Applies queued structural changes in call order. */
  flush(): void {
    const length = this.opsLength;
    if (length === 0) return;
    // Applying a change queues nothing (the world is not deferred here), so one pass is enough.
    const ops = this.ops;
    this.opsLength = 0;
    for (let i = 0; i < length; i += 3) {
      const op = ops[i] as number;
      const eid = ops[i + 1] as number;
      const arg = ops[i + 2] as number;
      if (op === OP_DESTROY) {
        // Destroying twice in one batch is harmless: the second finds the slot already freed.
        if (this.alive[eid] === 1 && this.handles[eid] === arg) this.destroyNow(eid);
        continue;
      }
      const bit = 1 << (arg & 31);
      if (op === OP_ADD) {
        const pending = this.pendingAdds[arg >> 5] as Uint32Array;
        pending[eid] = (pending[eid] as number) & ~bit;
      }
      if (this.alive[eid] !== 1) continue;
      const word = this.masks[arg >> 5] as Uint32Array;
      const before = word[eid] as number;
      const after = op === OP_ADD ? before | bit : before & ~bit;
      if (after === before) continue;
      word[eid] = after;
      const qs = this.componentQueries[arg] as QueryState[];
      for (let q = 0; q < qs.length; q++) (qs[q] as QueryState).note(eid);
    }
  }

  /** Appends a change to the queue, growing it when full. */
  private queue(op: number, eid: Eid, arg: number): void {
    let ops = this.ops;
    const n = this.opsLength;
    if (n + 3 > ops.length) {
      ops = new Float64Array(ops.length * 2);
      ops.set(this.ops);
      this.ops = ops;
    }
    ops[n] = op;
    ops[n + 1] = eid;
    ops[n + 2] = arg;
    this.opsLength = n + 3;
  }

  // ─── events ──────────────────────────────────────────────────────────────────────────────────

  /** Records an event for consumers outside the simulation (kept in the snapshot until drained). */
  emit(
    kind: SimEventKind,
    a: EntityHandle,
    b: EntityHandle = NO_ENTITY,
    code = 0,
    value = 0,
  ): void {
    this.pendingEvents.push({ kind, tick: this.tick, a, b, code, value });
  }

  /** Events not yet drained, oldest first. */
  get events(): readonly SimEvent[] {
    return this.pendingEvents;
  }

  /** Takes and returns the pending events. */
  drainEvents(): SimEvent[] {
    const out = this.pendingEvents;
    this.pendingEvents = [];
    return out;
  }

  // ─── internals ───────────────────────────────────────────────────────────────────────────────

  private assertAlive(eid: Eid): void {
    if (this.alive[eid] !== 1) throw new StaleEntityError(eid);
  }

  /** Queues an add inside a deferral; `bit` is the component's bit in its mask word. */
  private queueAdd(eid: Eid, c: number, bit: number): void {
    // A second add before the batch applies must not reset values written after the first.
    const pending = this.pendingAdds[c >> 5] as Uint32Array;
    const queued = pending[eid] as number;
    if ((queued & bit) !== 0) return;
    pending[eid] = queued | bit;
    const f0 = this.firstFields[c];
    if (f0 !== undefined) this.resetFields(c, eid, f0);
    this.queue(OP_ADD, eid, c);
  }

  /** Resets an entity's fields of component c to their defaults; `f0` is its first field's array. */
  private resetFields(c: number, eid: Eid, f0: TypedArray): void {
    f0[eid] = this.firstDefaults[c] as number;
    const arrays = this.fieldArrays[c] as TypedArray[];
    if (arrays.length === 1) return;
    const defaults = this.fieldDefaults[c] as number[];
    for (let i = 1; i < arrays.length; i++) {
      const array = arrays[i] as TypedArray;
      array[eid] = defaults[i] as number;
    }
  }

  private destroyNow(eid: Eid): void {
    const masks = this.masks;
    for (let w = 0; w < masks.length; w++) {
      const word = masks[w] as Uint32Array;
      let bits = word[eid] as number;
      if (bits === 0) continue;
      word[eid] = 0;
      while (bits !== 0) {
        const low = bits & -bits;
        bits ^= low;
        const qs = this.componentQueries[w * 32 + (31 - Math.clz32(low))] as QueryState[];
        for (let i = 0; i < qs.length; i++) (qs[i] as QueryState).note(eid);
      }
    }
    this.freeSlot(eid);
  }

  /** The end of a destroy, once the entity's masks are clear: forget its name, free its slot. */
  private freeSlot(eid: Eid): void {
    if (eid < this.nameOf.length) {
      const name = this.nameOf[eid];
      if (name !== undefined) {
        this.names.delete(name);
        this.nameOf[eid] = undefined;
      }
    }
    this.alive[eid] = 0;
    this.liveCount--;
    // The next generation's handle: generation · 2^20 + eid, one generation up.
    const next = (this.handles[eid] as number) + MAX_ENTITIES;
    if (next >= RETIRED_HANDLE) return; // retire the slot: its handles could repeat
    this.handles[eid] = next;
    let tail = this.freeHead + this.freeCount;
    if (tail >= this.maxEntities) tail -= this.maxEntities;
    this.freeRing[tail] = eid;
    this.freeCount++;
  }

  /** @internal used by snapshot decoding to rebuild allocator and names exactly. */
  restoreNames(entries: readonly (readonly [Eid, string])[]): void {
    this.names.clear();
    this.nameOf.length = 0;
    for (const [eid, name] of entries) {
      this.names.set(name, eid);
      this.nameOf[eid] = name;
    }
  }

  /** @internal */
  namedEntities(): [Eid, string][] {
    const out: [Eid, string][] = [];
    for (let eid = 0; eid < this.nameOf.length; eid++) {
      const name = this.nameOf[eid];
      if (name !== undefined) out.push([eid, name]);
    }
    return out;
  }

  /** @internal */
  setLiveCount(n: number): void {
    this.liveCount = n;
  }

  /** @internal */
  restoreEvents(events: SimEvent[]): void {
    this.pendingEvents = events;
  }

  /** @internal snapshot decoding sets masks directly, then rebuilds queries. */
  rebuildQueries(): void {
    for (const q of this.queries.values()) q.invalidate();
  }
}

function isTermList(
  terms: QueryTerms | readonly ComponentDef<Schema>[],
): terms is readonly ComponentDef<Schema>[] {
  return Array.isArray(terms);
}

/** Creates a world. */
export function createWorld(options: WorldOptions): World {
  return new World(options);
}
