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
import { LOG_MUTED, QueryState } from "./query.js";

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
  /**
   * The last component the per-entity calls looked up, and what they need of it: a loop adds or
   * removes one component over many entities, and a compare is cheaper than three dependent reads.
   */
  private cachedDef: ComponentDef<Schema> | undefined;
  private cachedWord: Uint32Array;
  private cachedBit = 0;
  private cachedId = 0;
  private cachedFirst: TypedArray | undefined;
  private cachedFirstDefault = 0;
  private cachedOneField = true;
  private cachedAdds: Uint32Array;
  private cachedRemoves: Uint32Array;
  private cachedQueue: Int32Array;

  /** @internal per component: the entities whose membership changed (see `QuerySource`). */
  readonly changeLog: Int32Array[];
  /** @internal valid entries of each component's log. */
  readonly changeLength: Int32Array;
  /** @internal per component: bumped when its log is dropped; its queries then rescan. */
  readonly changeEpoch: Int32Array;
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
  /**
   * A deferred batch: the components with an add or a remove queued, per entity (like `masks`),
   * per component the entities those were queued for, and the destroys in call order. A batch's
   * result depends only on the last add or remove of each (entity, component) pair, and a destroy
   * overrides both, so these are all it needs to apply call order's result.
   */
  private readonly pendingAdds: readonly Uint32Array[];
  private readonly pendingRemoves: readonly Uint32Array[];
  private readonly queued: Int32Array[];
  private readonly queuedLength: Int32Array;
  /** Components with a non-empty queue, in the order they were first queued in the batch. */
  private readonly queuedComponents: number[] = [];
  private readonly pendingDestroy: Uint8Array;
  private destroys = new Int32Array(64);
  private destroysLength = 0;
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
    this.pendingRemoves = Array.from({ length: words }, () => new Uint32Array(maxEntities));
    this.pendingDestroy = new Uint8Array(maxEntities);
    this.queued = options.components.map(() => new Int32Array(64));
    this.queuedLength = new Int32Array(options.components.length);
    this.componentQueries = options.components.map(() => []);
    this.cachedWord = this.masks[0] as Uint32Array;
    this.cachedAdds = this.pendingAdds[0] as Uint32Array;
    this.cachedRemoves = this.pendingRemoves[0] as Uint32Array;
    this.cachedQueue = this.queued[0] ?? new Int32Array(0);
    this.changeLog = options.components.map(() => new Int32Array(64));
    this.changeLength = new Int32Array(options.components.length);
    this.changeEpoch = new Int32Array(options.components.length);

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

  /** Makes `def` the cached component of the per-entity calls. */
  private select(def: ComponentDef<Schema>): void {
    const c = this.idOf(def);
    this.cachedDef = def;
    this.cachedId = c;
    this.cachedWord = this.masks[c >> 5] as Uint32Array;
    this.cachedBit = 1 << (c & 31);
    this.cachedFirst = this.firstFields[c];
    this.cachedFirstDefault = this.firstDefaults[c] as number;
    this.cachedOneField = (this.fieldArrays[c] as TypedArray[]).length <= 1;
    this.cachedAdds = this.pendingAdds[c >> 5] as Uint32Array;
    this.cachedRemoves = this.pendingRemoves[c >> 5] as Uint32Array;
    this.cachedQueue = this.queued[c] as Int32Array;
  }

  /** Appends `eid` to component c's change log (the queries reading c settle from it). */
  private logChange(c: number, eid: Eid): void {
    const log = this.changeLog[c] as Int32Array;
    const n = this.changeLength[c] as number;
    if (n < log.length) {
      log[n] = eid;
      this.changeLength[c] = n + 1;
    } else if (n !== LOG_MUTED) {
      this.logFull(c, eid);
    }
  }

  /**
   * Component c's log is full: drop what every query has read; past a quarter of the slots in
   * use unread, drop the log (its lagging queries rescan, cheaper then); else grow it. Then log,
   * unless no query reads the log any more (muted until one rescans: see `LOG_MUTED`).
   */
  private logFull(c: number, eid: Eid): void {
    let log = this.changeLog[c] as Int32Array;
    let n = this.changeLength[c] as number;
    const epoch = this.changeEpoch[c] as number;
    const qs = this.componentQueries[c] as QueryState[];
    if (qs.length === 0) {
      this.changeLength[c] = LOG_MUTED;
      return;
    }
    let read = n;
    for (let i = 0; i < qs.length; i++) {
      const q = qs[i] as QueryState;
      const k = q.logged.indexOf(c);
      // A query at an older epoch rescans at its next read: it needs none of the log.
      if (q.epochs[k] === epoch) read = Math.min(read, q.cursors[k] as number);
    }
    if (read > 0) {
      log.copyWithin(0, read, n);
      n -= read;
      for (let i = 0; i < qs.length; i++) {
        const q = qs[i] as QueryState;
        const k = q.logged.indexOf(c);
        if (q.epochs[k] === epoch) q.cursors[k] = (q.cursors[k] as number) - read;
      }
    }
    if (n >= Math.max(64, this.highWater >> 2)) {
      // The queries that had read it all stay current at the new epoch; the others rescan.
      let current = 0;
      for (let i = 0; i < qs.length; i++) {
        const q = qs[i] as QueryState;
        const k = q.logged.indexOf(c);
        if (q.epochs[k] === epoch && q.cursors[k] === n) {
          q.epochs[k] = epoch + 1;
          q.cursors[k] = 0;
          current++;
        }
      }
      this.changeEpoch[c] = epoch + 1;
      if (current === 0) {
        this.changeLength[c] = LOG_MUTED;
        return;
      }
      n = 0;
    } else if (n === log.length) {
      const grown = new Int32Array(log.length * 2);
      grown.set(log);
      log = grown;
      this.changeLog[c] = log;
    }
    log[n] = eid;
    this.changeLength[c] = n + 1;
  }

  /** Drops component c's log: every query reading c rescans at its next read. */
  private dropLog(c: number): void {
    this.changeEpoch[c] = (this.changeEpoch[c] as number) + 1;
    this.changeLength[c] = LOG_MUTED;
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
    if (this.deferDepth > 0) this.queueDestroy(eid);
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
    if (def !== this.cachedDef) this.select(def);
    const word = this.cachedWord;
    const bit = this.cachedBit;
    const before = word[eid] as number;
    if (this.deferDepth > 0) {
      if (!this.queueAdd(eid, bit, before)) return;
    } else {
      if ((before & bit) !== 0) return;
      word[eid] = before | bit;
      this.logChange(this.cachedId, eid);
    }
    const f0 = this.cachedFirst;
    if (f0 !== undefined) {
      f0[eid] = this.cachedFirstDefault;
      if (!this.cachedOneField) this.resetFields(this.cachedId, eid, f0);
    }
  }

  /** Removes a component (no-op if absent). */
  removeComponent(eid: Eid, def: ComponentDef<Schema>): void {
    if (this.alive[eid] !== 1) throw new StaleEntityError(eid);
    if (def !== this.cachedDef) this.select(def);
    const bit = this.cachedBit;
    const word = this.cachedWord;
    const before = word[eid] as number;
    if (this.deferDepth > 0) {
      this.queueRemove(eid, bit, before);
      return;
    }
    if ((before & bit) === 0) return;
    word[eid] = before & ~bit;
    this.logChange(this.cachedId, eid);
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
    // createEntity's allocation, with the allocator's state in locals for the loop.
    const alive = this.alive;
    const ring = this.freeRing;
    const handles = this.handles;
    const max = this.maxEntities;
    let head = this.freeHead;
    let free = this.freeCount;
    let hw = this.highWater;
    for (let i = 0; i < count; i++) {
      let eid: number;
      if (free > 0) {
        eid = ring[head] as number;
        head = head + 1 === max ? 0 : head + 1;
        free--;
      } else {
        eid = hw++;
        handles[eid] = eid; // generation 0
      }
      alive[eid] = 1;
      out[i] = eid;
    }
    this.freeHead = head;
    this.freeCount = free;
    this.highWater = hw;
    this.liveCount += count;
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
    const bulk = this.bulkChange(c, n);
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
      if (!bulk) this.logChange(c, eid);
    }
  }

  // Alike: addComponentToEach above (the same bulk walk over the mask word; adding also resets the
  // fields to their defaults, and each hot loop stays free of the other's branches).
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
    const bulk = this.bulkChange(c, n);
    for (let i = 0; i < n; i++) {
      const eid = eids[i] as Eid;
      if (alive[eid] !== 1) throw new StaleEntityError(eid);
      const before = word[eid] as number;
      if ((before & bit) === 0) continue;
      word[eid] = before & ~bit;
      if (!bulk) this.logChange(c, eid);
    }
  }

  /** `destroyEntity(eid)` for each id in `eids`, in order. */
  destroyEach(eids: ArrayLike<Eid>): void {
    const n = eids.length;
    if (this.deferDepth > 0 || n * 4 <= this.highWater) {
      for (let i = 0; i < n; i++) this.destroyEntity(eids[i] as Eid);
      return;
    }
    this.destroyMany(eids, n, true);
  }

  /**
   * Destroys a large batch: clears the masks without logging, then drops the log of every
   * component cleared, so that its queries rescan once. A dead id throws when `check` is set
   * (after the ones before it are destroyed), else it is skipped.
   */
  private destroyMany(eids: ArrayLike<Eid>, n: number, check: boolean): void {
    const masks = this.masks;
    const touched = new Uint32Array(masks.length);
    // freeSlot's bookkeeping, with the allocator's state in locals for the loop.
    const alive = this.alive;
    const handles = this.handles;
    const ring = this.freeRing;
    const max = this.maxEntities;
    const named = this.nameOf.length !== 0;
    let tail = this.freeHead + this.freeCount;
    if (tail >= max) tail -= max;
    let freed = 0;
    let dead = 0;
    let stale = -1;
    for (let i = 0; i < n; i++) {
      const eid = eids[i] as Eid;
      if (alive[eid] !== 1) {
        if (!check) continue;
        stale = eid;
        break;
      }
      for (let w = 0; w < masks.length; w++) {
        const word = masks[w] as Uint32Array;
        const bits = word[eid] as number;
        if (bits !== 0) {
          touched[w] = (touched[w] as number) | bits;
          word[eid] = 0;
        }
      }
      if (named) this.forgetName(eid);
      alive[eid] = 0;
      dead++;
      // The next generation's handle: generation · 2^20 + eid, one generation up.
      const next = (handles[eid] as number) + MAX_ENTITIES;
      if (next >= RETIRED_HANDLE) continue; // retire the slot: its handles could repeat
      handles[eid] = next;
      ring[tail] = eid;
      tail = tail + 1 === max ? 0 : tail + 1;
      freed++;
    }
    this.liveCount -= dead;
    this.freeCount += freed;
    this.invalidateTouched(touched);
    if (stale >= 0) throw new StaleEntityError(stale);
  }

  /**
   * Whether a batch of `n` changes of component c should make its queries rescan instead of
   * logging each change (and if so, drops c's log).
   */
  private bulkChange(c: number, n: number): boolean {
    if (n * 4 <= this.highWater) return false;
    this.dropLog(c);
    return true;
  }

  private invalidateTouched(touched: Uint32Array): void {
    for (let w = 0; w < touched.length; w++) {
      let bits = touched[w] as number;
      while (bits !== 0) {
        const low = bits & -bits;
        bits ^= low;
        this.dropLog(w * 32 + (31 - Math.clz32(low)));
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
    const logged = [...new Set([...inc, ...exc])].sort((a, b) => a - b);
    const q = new QueryState(
      key,
      Int32Array.from(used),
      Uint32Array.from(used, (w) => incWords[w] as number),
      Uint32Array.from(used, (w) => excWords[w] as number),
      Int32Array.from(logged),
      this.maxEntities,
      this,
    );
    for (const c of logged) (this.componentQueries[c] as QueryState[]).push(q);
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

  /**
   * Applies the queued structural changes, with the result of applying them in call order: the
   * destroys first, in call order (so freed slots are reused in that order), then the last add or
   * remove of each (entity, component) pair on the entities still alive.
   */
  flush(): void {
    // Applying a change queues nothing (the world is not deferred here), so one pass is enough.
    const nd = this.destroysLength;
    if (nd !== 0) {
      const destroys = this.destroys;
      const pendingDestroy = this.pendingDestroy;
      this.destroysLength = 0;
      for (let i = 0; i < nd; i++) pendingDestroy[destroys[i] as number] = 0;
      if (nd * 4 > this.highWater) this.destroyMany(destroys, nd, false);
      else {
        for (let i = 0; i < nd; i++) {
          const eid = destroys[i] as number;
          if (this.alive[eid] === 1) this.destroyNow(eid);
        }
      }
    }
    const comps = this.queuedComponents;
    if (comps.length === 0) return;
    const alive = this.alive;
    for (let k = 0; k < comps.length; k++) {
      const c = comps[k] as number;
      const list = this.queued[c] as Int32Array;
      const n = this.queuedLength[c] as number;
      this.queuedLength[c] = 0;
      const w = c >> 5;
      const bit = 1 << (c & 31);
      const adds = this.pendingAdds[w] as Uint32Array;
      const removes = this.pendingRemoves[w] as Uint32Array;
      const word = this.masks[w] as Uint32Array;
      // A large batch makes the queries rescan once, as the bulk calls do.
      const bulk = this.bulkChange(c, n);
      for (let i = 0; i < n; i++) {
        const eid = list[i] as number;
        const a = adds[eid] as number;
        const r = removes[eid] as number;
        // An entity queued twice (add, remove, add) is applied at its first entry.
        if (((a | r) & bit) === 0) continue;
        adds[eid] = a & ~bit;
        removes[eid] = r & ~bit;
        if (alive[eid] !== 1) continue;
        const before = word[eid] as number;
        const after = (a & bit) !== 0 ? before | bit : before & ~bit;
        if (after === before) continue;
        word[eid] = after;
        if (!bulk) this.logChange(c, eid);
      }
    }
    comps.length = 0;
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

  /**
   * Queues an add of the cached component inside a deferral; `bit` is its bit in its mask word,
   * `mask` that word of the entity. Whether the entity has the component is judged as if the
   * batch so far had applied: a second add changes nothing (and must not reset values written
   * after the first), an add after a queued remove keeps the component. Returns whether the add
   * counts (the caller then resets the fields).
   */
  private queueAdd(eid: Eid, bit: number, mask: number): boolean {
    const adds = this.cachedAdds;
    const a = adds[eid] as number;
    if ((a & bit) !== 0) return false;
    if ((mask & bit) !== 0) {
      const removes = this.cachedRemoves;
      const r = removes[eid] as number;
      if ((r & bit) === 0) return false;
      // Removed earlier in the batch: the entity keeps the component, its fields reset.
      removes[eid] = r & ~bit;
      return true;
    }
    adds[eid] = a | bit;
    this.queueCached(eid);
    return true;
  }

  /** Queues a remove of the cached component inside a deferral (see `queueAdd`). */
  private queueRemove(eid: Eid, bit: number, mask: number): void {
    const adds = this.cachedAdds;
    const a = adds[eid] as number;
    if ((a & bit) !== 0) {
      // Added earlier in the batch (so absent from the mask): the add is cancelled.
      adds[eid] = a & ~bit;
      return;
    }
    if ((mask & bit) === 0) return;
    const removes = this.cachedRemoves;
    const r = removes[eid] as number;
    if ((r & bit) !== 0) return;
    removes[eid] = r | bit;
    this.queueCached(eid);
  }

  /** Appends `eid` to the cached component's queue of the batch. */
  private queueCached(eid: Eid): void {
    const c = this.cachedId;
    const list = this.cachedQueue;
    const n = this.queuedLength[c] as number;
    if (n === 0) this.queuedComponents.push(c);
    if (n < list.length) {
      list[n] = eid;
    } else {
      const grown = new Int32Array(n * 2);
      grown.set(list);
      grown[n] = eid;
      this.queued[c] = grown;
      this.cachedQueue = grown;
    }
    this.queuedLength[c] = n + 1;
  }

  /** Queues a destroy inside a deferral; destroying twice in one batch is harmless. */
  private queueDestroy(eid: Eid): void {
    if (this.pendingDestroy[eid] === 1) return;
    this.pendingDestroy[eid] = 1;
    let destroys = this.destroys;
    const n = this.destroysLength;
    if (n === destroys.length) {
      destroys = new Int32Array(n * 2);
      destroys.set(this.destroys);
      this.destroys = destroys;
    }
    destroys[n] = eid;
    this.destroysLength = n + 1;
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
        this.logChange(w * 32 + (31 - Math.clz32(low)), eid);
      }
    }
    this.freeSlot(eid);
  }

  /** The end of a destroy, once the entity's masks are clear: forget its name, free its slot. */
  private freeSlot(eid: Eid): void {
    if (eid < this.nameOf.length) this.forgetName(eid);
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

  /** Forgets the name of a slot being freed, if it has one. */
  private forgetName(eid: Eid): void {
    const name = this.nameOf[eid];
    if (name !== undefined) {
      this.names.delete(name);
      this.nameOf[eid] = undefined;
    }
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
