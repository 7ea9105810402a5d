import {
  type ComponentDef,
  fieldTypeBytes,
  fieldTypeCode,
  fieldTypeFromCode,
  type Schema,
  type TypedArray,
} from "../ecs/component.js";
import { MAX_ENTITIES } from "../ecs/entity.js";
import { encodeResources, loadResources } from "../ecs/resource.js";
import { World, type WorldOptions } from "../ecs/world.js";
import { SnapshotCorruptError, SnapshotSchemaError, SnapshotVersionError } from "../errors.js";
import { sha256, toHex } from "../hash.js";
import { ByteReader, ByteWriter } from "./bytes.js";
import { EVENT_KINDS, type SimEvent } from "./events.js";

/**
 * Snapshots: the whole world in a compact, versioned binary encoding.
 *
 * Layout of format version 1 (little-endian; "varuint" is unsigned LEB128):
 *
 *   magic "LQSN" · u16 version · u16 flags (0)
 *   32 bytes  definition fingerprint (zeros if none)
 *   f64 tick · u32 tickRateHz · u32 maxEntities · 4 × u32 random-number state
 *   components: varuint count, then per component its name, its fields (name, u8 type code)
 *   entities:  varuint highWater (slots ever used), alive bitset, non-zero generations as
 *              (varuint id delta, varuint generation), free slots in reuse order
 *   masks:     per 32-component word, run-length pairs (varuint run, varuint mask) over the slots
 *   data:      per component, per field, the values of the entities that have it, ascending id,
 *              as the field's raw bytes (so floats round-trip bit for bit)
 *   names, pending events, resources (sorted by name)
 *   32 bytes  SHA-256 of everything above: the checksum, and the world's state hash
 *
 * A physics body (Position, Velocity, Body, Collider) costs 59 bytes of data plus under one byte
 * of entity and mask bookkeeping.
 */
export const SNAPSHOT_VERSION = 1;
export const SUPPORTED_SNAPSHOT_VERSIONS: readonly number[] = [1];
const MAGIC = [0x4c, 0x51, 0x53, 0x4e]; // "LQSN"
const HASH_BYTES = 32;
const EMPTY_FINGERPRINT = new Uint8Array(32);

export interface SnapshotOptions {
  /** 32 bytes identifying the simulation definition (rules) the world runs under. */
  readonly fingerprint?: Uint8Array;
}

function membersOf(world: World, c: number): Int32Array {
  const word = world.masks[c >> 5] as Uint32Array;
  const bit = 1 << (c & 31);
  let n = 0;
  for (let e = 0; e < world.highWater; e++) if ((word[e] as number) & bit) n++;
  const out = new Int32Array(n);
  n = 0;
  for (let e = 0; e < world.highWater; e++) if ((word[e] as number) & bit) out[n++] = e;
  return out;
}

/**
 * The entities section: slots used, the alive bitset, the non-zero generations (delta-coded
 * ids), the free ring in order, and each component mask word run-length coded.
 */
function writeEntities(w: ByteWriter, world: World): void {
  const hw = world.highWater;
  w.varuint(hw);
  const aliveBits = new Uint8Array(Math.ceil(hw / 8));
  for (let e = 0; e < hw; e++)
    if (world.alive[e] === 1) aliveBits[e >> 3] = (aliveBits[e >> 3] as number) | (1 << (e & 7));
  w.bytes(aliveBits);
  const gens: number[] = [];
  for (let e = 0; e < hw; e++) {
    const g = Math.floor((world.handles[e] as number) / MAX_ENTITIES);
    if (g !== 0) gens.push(e, g);
  }
  w.varuint(gens.length / 2);
  for (let i = 0, prev = 0; i < gens.length; i += 2) {
    w.varuint((gens[i] as number) - prev);
    w.varuint(gens[i + 1] as number);
    prev = gens[i] as number;
  }
  w.varuint(world.freeCount);
  for (let i = 0; i < world.freeCount; i++)
    w.varuint(world.freeRing[(world.freeHead + i) % world.maxEntities] as number);

  for (const word of world.masks) {
    const runs: number[] = [];
    let e = 0;
    while (e < hw) {
      const v = word[e] as number;
      let end = e + 1;
      while (end < hw && word[end] === v) end++;
      runs.push(end - e, v);
      e = end;
    }
    w.varuint(runs.length / 2);
    for (const r of runs) w.varuint(r);
  }
}

/** Encodes the world. The last 32 bytes are the state hash (see `stateHash`). */
export function encodeSnapshot(world: World, options: SnapshotOptions = {}): Uint8Array {
  const fingerprint = options.fingerprint ?? EMPTY_FINGERPRINT;
  if (fingerprint.length !== 32) throw new RangeError("a definition fingerprint must be 32 bytes");
  const w = new ByteWriter(4096 + world.highWater * 64);
  for (const b of MAGIC) w.u8(b);
  w.u16(SNAPSHOT_VERSION);
  w.u16(0);
  w.bytes(fingerprint);
  w.f64(world.tick);
  w.u32(world.tickRateHz);
  w.u32(world.maxEntities);
  for (const word of world.rng.getState()) w.u32(word);

  w.varuint(world.components.length);
  for (const def of world.components) {
    w.string(def.name);
    w.varuint(def.fields.length);
    for (const field of def.fields) {
      w.string(field);
      w.u8(fieldTypeCode(def.schema[field] as Schema[string]));
    }
  }

  writeEntities(w, world);

  world.components.forEach((def, c) => {
    if (def.isTag) return;
    const members = membersOf(world, c);
    const store = world.stores[c] as Record<string, TypedArray>;
    for (const field of def.fields)
      w.column(store[field] as TypedArray, def.schema[field] as string, members);
  });

  const names = world.namedEntities();
  w.varuint(names.length);
  for (const [eid, name] of names) {
    w.varuint(eid);
    w.string(name);
  }

  const events = world.events;
  w.varuint(events.length);
  for (const ev of events) {
    w.u8(EVENT_KINDS.indexOf(ev.kind));
    w.f64(ev.tick);
    w.f64(ev.a);
    w.f64(ev.b);
    w.f64(ev.code);
    w.f64(ev.value);
  }

  const resources = encodeResources(world);
  w.varuint(resources.length);
  for (const [name, bytes] of resources) {
    w.string(name);
    w.varuint(bytes.length);
    w.bytes(bytes);
  }

  const body = w.finish();
  const out = new Uint8Array(body.length + HASH_BYTES);
  out.set(body);
  out.set(sha256(body), body.length);
  return out;
}

/** The state hash of a snapshot (its checksum), as 64 hex characters. */
export function snapshotHash(snapshot: Uint8Array): string {
  if (snapshot.length < HASH_BYTES) throw new SnapshotCorruptError("shorter than its checksum");
  return toHex(snapshot.subarray(snapshot.length - HASH_BYTES));
}

/** The canonical SHA-256 state hash of a world: equal worlds, equal hashes, on every machine. */
export function stateHash(world: World, options: SnapshotOptions = {}): string {
  return snapshotHash(encodeSnapshot(world, options));
}

/** What a snapshot's header says, read without decoding the world. */
export interface SnapshotInfo {
  readonly version: number;
  readonly tick: number;
  readonly tickRateHz: number;
  readonly maxEntities: number;
  readonly fingerprint: string;
  readonly hash: string;
  readonly bytes: number;
}

function checkHeader(snapshot: Uint8Array): ByteReader {
  if (!(snapshot instanceof Uint8Array)) throw new SnapshotCorruptError("not a byte array");
  for (let i = 0; i < 4; i++) {
    if (snapshot[i] !== MAGIC[i])
      throw new SnapshotCorruptError('does not start with "LQSN": not a LedgerQuest snapshot');
  }
  if (snapshot.length < 8 + 32 + HASH_BYTES)
    throw new SnapshotCorruptError(`only ${snapshot.length} bytes long`);
  const r = new ByteReader(snapshot.subarray(0, snapshot.length - HASH_BYTES));
  r.pos = 4;
  const version = r.u16("the version");
  if (!SUPPORTED_SNAPSHOT_VERSIONS.includes(version))
    throw new SnapshotVersionError(version, SUPPORTED_SNAPSHOT_VERSIONS);
  const body = snapshot.subarray(0, snapshot.length - HASH_BYTES);
  const expected = snapshot.subarray(snapshot.length - HASH_BYTES);
  const actual = sha256(body);
  for (let i = 0; i < HASH_BYTES; i++) {
    if (actual[i] !== expected[i])
      throw new SnapshotCorruptError("checksum mismatch: the bytes were changed or damaged");
  }
  return r;
}

export function readSnapshotInfo(snapshot: Uint8Array): SnapshotInfo {
  const r = checkHeader(snapshot);
  const version = SNAPSHOT_VERSION;
  r.u16("flags");
  const fingerprint = toHex(r.bytes(32, "the fingerprint"));
  const tick = r.f64("the tick");
  const tickRateHz = r.u32("the tick rate");
  const maxEntities = r.u32("maxEntities");
  return {
    version,
    tick,
    tickRateHz,
    maxEntities,
    fingerprint,
    hash: snapshotHash(snapshot),
    bytes: snapshot.length,
  };
}

function corrupt(condition: boolean, reason: string): void {
  if (!condition) throw new SnapshotCorruptError(reason);
}

/** What the clock section says: the tick, the rate, the slots and the random-number state. */
interface Clock {
  readonly tick: number;
  readonly tickRateHz: number;
  readonly maxEntities: number;
  readonly rng: [number, number, number, number];
}

/** The flags and the definition section: the fingerprint must be the expected one, if given. */
function readDefinition(r: ByteReader, expected: Uint8Array | undefined): void {
  const flags = r.u16("flags");
  corrupt(flags === 0, `unknown flags ${flags}`);
  const fingerprint = r.bytes(32, "the fingerprint");
  if (expected) {
    const same = fingerprint.every((b, i) => b === expected[i]);
    if (!same) {
      throw new SnapshotSchemaError(
        `snapshot was taken under simulation definition ${toHex(fingerprint)}, not ${toHex(expected)}: load it with the rules it was made with`,
      );
    }
  }
}

/** The clock section: tick, tick rate, maxEntities and the random-number state, checked. */
function readClock(r: ByteReader): Clock {
  const tick = r.f64("the tick");
  corrupt(Number.isSafeInteger(tick) && tick >= 0, `tick ${tick} is not a non-negative integer`);
  const tickRateHz = r.u32("the tick rate");
  const maxEntities = r.u32("maxEntities");
  corrupt(
    maxEntities >= 1 && maxEntities <= MAX_ENTITIES,
    `maxEntities ${maxEntities} is out of range`,
  );
  const rng: [number, number, number, number] = [r.u32(), r.u32(), r.u32(), r.u32()];
  corrupt((rng[0] | rng[1] | rng[2] | rng[3]) !== 0, "random-number state is all zero");
  return { tick, tickRateHz, maxEntities, rng };
}

/** The components section: each component's name and fields must be those of `defs`, in order. */
function readComponents(r: ByteReader, defs: readonly ComponentDef<Schema>[]): void {
  const count = r.varuint("the component count");
  if (count !== defs.length) {
    throw new SnapshotSchemaError(
      `snapshot has ${count} components, the world ${defs.length}: the component list must match the one the snapshot was taken with`,
    );
  }
  for (let c = 0; c < count; c++) {
    const def = defs[c] as ComponentDef<Schema>;
    const name = r.string("a component name");
    const nf = r.varuint("a field count");
    const fields: string[] = [];
    for (let f = 0; f < nf; f++) {
      const field = r.string("a field name");
      const type = fieldTypeFromCode(r.u8("a field type"));
      corrupt(type !== undefined, `component ${name} field ${field} has an unknown type code`);
      fields.push(`${field}:${type}`);
    }
    const expected = def.fields.map((f) => `${f}:${def.schema[f]}`);
    if (name !== def.name || fields.join(",") !== expected.join(",")) {
      throw new SnapshotSchemaError(
        `component #${c} is ${name}{${fields.join(", ")}} in the snapshot but ${def.name}{${expected.join(", ")}} in the world`,
      );
    }
  }
}

/** The world the snapshot is decoded into, at the clock's tick and random-number state. */
function newWorld(defs: readonly ComponentDef<Schema>[], clock: Clock): World {
  const { maxEntities, tickRateHz } = clock;
  let world: World;
  try {
    world = new World({ components: defs, maxEntities, tickRateHz });
  } catch (cause) {
    throw new SnapshotCorruptError(`its world options are invalid (tickRateHz ${tickRateHz})`, {
      cause,
    });
  }
  world.tick = clock.tick;
  world.rng.setState(clock.rng);
  return world;
}

/** The entities section: highWater, the alive bitset, the generations and the free ring. */
function readEntities(r: ByteReader, world: World): void {
  const maxEntities = world.maxEntities;
  const hw = r.varuint("highWater");
  corrupt(hw <= maxEntities, `highWater ${hw} exceeds maxEntities ${maxEntities}`);
  world.highWater = hw;
  const aliveBits = r.bytes(Math.ceil(hw / 8), "the alive bitset");
  let live = 0;
  for (let e = 0; e < hw; e++) {
    if (((aliveBits[e >> 3] as number) >> (e & 7)) & 1) {
      world.alive[e] = 1;
      live++;
    }
  }
  world.setLiveCount(live);
  const nGen = r.varuint("the generation count");
  corrupt(nGen <= hw, "more generations than slots");
  for (let i = 0, eid = 0; i < nGen; i++) {
    eid += r.varuint("a slot id");
    const g = r.varuint("a generation");
    corrupt(eid < hw && g > 0, `generation entry for slot ${eid} is invalid`);
    world.handles[eid] = g * MAX_ENTITIES + eid;
  }
  for (let e = 0; e < hw; e++) if (world.handles[e] === 0) world.handles[e] = e;
  const free = r.varuint("the free count");
  corrupt(free <= hw, "more free slots than slots");
  world.freeHead = 0;
  world.freeCount = free;
  for (let i = 0; i < free; i++) {
    const e = r.varuint("a free slot");
    corrupt(e < hw && world.alive[e] === 0, `free slot ${e} is invalid`);
    world.freeRing[i] = e;
  }
}

/**
 * The masks section: each mask word's runs must cover the slots exactly; then no dead slot may
 * have a component, and no slot a component bit beyond the world's components.
 */
function readMasks(r: ByteReader, world: World): void {
  const hw = world.highWater;
  for (const word of world.masks) {
    const runs = r.varuint("a mask run count");
    let e = 0;
    for (let i = 0; i < runs; i++) {
      const len = r.varuint("a mask run");
      const v = r.varuint("a mask");
      corrupt(len > 0 && e + len <= hw && v <= 0xffffffff, "mask runs do not cover the slots");
      word.fill(v, e, e + len);
      e += len;
    }
    corrupt(e === hw, "mask runs do not cover the slots");
  }
  for (let e = 0; e < hw; e++) {
    if (world.alive[e] === 1) continue;
    for (const word of world.masks) corrupt(word[e] === 0, `dead slot ${e} has components`);
  }
  const maxBits = world.components.length;
  for (let e = 0; e < hw; e++) {
    for (let wi = 0; wi < world.masks.length; wi++) {
      const v = (world.masks[wi] as Uint32Array)[e] as number;
      const validBits = Math.min(32, maxBits - wi * 32);
      corrupt(validBits >= 32 || v >>> validBits === 0, `slot ${e} has an unknown component`);
    }
  }
}

/** The data section: per non-tag component, per field, the values of the entities that have it. */
function readData(r: ByteReader, world: World, defs: readonly ComponentDef<Schema>[]): void {
  defs.forEach((def, c) => {
    if (def.isTag) return;
    const members = membersOf(world, c);
    const store = world.stores[c] as Record<string, TypedArray>;
    for (const field of def.fields) {
      const type = def.schema[field] as Schema[string];
      r.column(
        store[field] as TypedArray,
        type,
        fieldTypeBytes(type),
        members,
        `${def.name}.${field}`,
      );
    }
  });
}

/** The names section: each name on a live slot, no name twice. */
function readNames(r: ByteReader, world: World): void {
  const hw = world.highWater;
  const nNames = r.varuint("the name count");
  const names: [number, string][] = [];
  const seen = new Set<string>();
  for (let i = 0; i < nNames; i++) {
    const eid = r.varuint("a named slot");
    const name = r.string("a name");
    corrupt(eid < hw && world.alive[eid] === 1 && !seen.has(name), `name "${name}" is invalid`);
    seen.add(name);
    names.push([eid, name]);
  }
  world.restoreNames(names);
}

/** The events section: the pending events, each of a known kind. */
function readEvents(r: ByteReader, world: World): void {
  const nEvents = r.varuint("the event count");
  const events: SimEvent[] = [];
  for (let i = 0; i < nEvents; i++) {
    const kind = EVENT_KINDS[r.u8("an event kind")];
    corrupt(kind !== undefined, "unknown event kind");
    events.push({
      kind: kind as SimEvent["kind"],
      tick: r.f64("an event tick"),
      a: r.f64("an event entity"),
      b: r.f64("an event entity"),
      code: r.f64("an event code"),
      value: r.f64("an event value"),
    });
  }
  world.restoreEvents(events);
}

/** The resources section: each resource's name and bytes, loaded into the world. */
function readResources(r: ByteReader, world: World): void {
  const nResources = r.varuint("the resource count");
  const resources: [string, Uint8Array][] = [];
  for (let i = 0; i < nResources; i++) {
    const name = r.string("a resource name");
    const len = r.varuint("a resource length");
    resources.push([name, r.bytes(len, `resource ${name}`)]);
  }
  loadResources(world, resources);
}

/**
 * Decodes a snapshot into a new world with the given components (which must be those the
 * snapshot was taken with, in the same order, with the same fields). The world continues exactly
 * where the original was: same entities, handles, data, random numbers, events and resources.
 * Throws SnapshotCorruptError, SnapshotVersionError or SnapshotSchemaError, never a bare error.
 * Reads the sections in the format's order (docs/reference/snapshot.md), each checked as read.
 */
export function decodeSnapshot(
  snapshot: Uint8Array,
  options: Pick<WorldOptions, "components"> & SnapshotOptions,
): World {
  const r = checkHeader(snapshot);
  readDefinition(r, options.fingerprint);
  const clock = readClock(r);
  const defs = options.components;
  readComponents(r, defs);
  const world = newWorld(defs, clock);
  readEntities(r, world);
  readMasks(r, world);
  readData(r, world, defs);
  readNames(r, world);
  readEvents(r, world);
  readResources(r, world);
  corrupt(r.remaining === 0, `${r.remaining} unexpected bytes after the last section`);
  world.rebuildQueries();
  return world;
}
