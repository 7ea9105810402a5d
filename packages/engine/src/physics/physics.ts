import { NO_ENTITY } from "../ecs/component.js";
import type { Eid } from "../ecs/entity.js";
import type { QueryState } from "../ecs/query.js";
import { type Resource, useResource } from "../ecs/resource.js";
import type { SystemDef } from "../ecs/schedule.js";
import type { World } from "../ecs/world.js";
import { InvalidArgumentError } from "../errors.js";
import { ByteReader, ByteWriter } from "../sim/bytes.js";
import {
  Attractor,
  Body,
  BodyKind,
  Collider,
  Faulted,
  Position,
  Sensor,
  ShapeKind,
  SLEEPING,
  Spring,
  Velocity,
} from "./components.js";
import { type PhysicsConfig, type PhysicsOptions, resolvePhysicsConfig } from "./config.js";

/** What `spawnCircle` and `spawnBox` accept. */
export interface BodySpec {
  readonly x: number;
  readonly y: number;
  readonly vx?: number;
  readonly vy?: number;
  /** Default dynamic. */
  readonly kind?: BodyKind;
  /** kg, for dynamic bodies. Default 1. */
  readonly mass?: number;
  /** Index into the configuration's materials. Default 0. */
  readonly material?: number;
  /** A trigger zone rather than a solid body. Default false. */
  readonly sensor?: boolean;
}

const SENSOR_RESOURCE = "physics.sensors";
const CONTACTS_RESOURCE = "physics.contacts";
const SLEEP_RESOURCE = "physics.sleep";
const FLAG_SENSOR = 1;
/** Asleep this step: listed for the broadphase, not moved. */
const FLAG_ASLEEP = 2;
/** Must not fall asleep this step (a spring's end). */
const FLAG_RESTLESS = 4;
/** Already in s.touched. */
const FLAG_TOUCHED = 8;
/** The most ticks a body can take to fall asleep (Body.sleep is a u8; SLEEPING is 255). */
const SLEEP_TICKS_MAX = 254;
/** A contact that no impact touched this step: soft, with friction in the substeps. */
const CONTACT_RESTING = 0;
/** A contact that took an impact impulse this step, or was separating fast (see Physics.impacts). */
const CONTACT_FAST = 1;
/** A resting contact whose impulses go to the next tick's warm start (set at the tick's end). */
const CONTACT_KEPT = 2;

interface Softness {
  readonly biasRate: number;
  readonly massScale: number;
  readonly impulseScale: number;
}

/** Sensor overlaps of the previous tick, as (sensor handle, body handle) pairs in ascending order. */
class SensorOverlaps implements Resource {
  pairs: number[] = [];

  encode(): Uint8Array {
    if (this.pairs.length === 0) return new Uint8Array(0);
    const bytes = new Uint8Array(this.pairs.length * 8);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < this.pairs.length; i++)
      view.setFloat64(i * 8, this.pairs[i] as number, true);
    return bytes;
  }

  decode(bytes: Uint8Array): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pairs = [];
    for (let off = 0; off + 8 <= bytes.byteLength; off += 8)
      this.pairs.push(view.getFloat64(off, true));
  }
}

/**
 * What the sleeping bodies and the static ones looked like at the end of the last tick: how many,
 * and an order-free 32-bit hash of each one's id, position and size. A tick that finds otherwise
 * (game code moved, resized or destroyed one of them) wakes every sleeping body, since it cannot
 * tell which island the change touched.
 */
class SleepFingerprint implements Resource {
  count = 0;
  hash = 0;

  encode(): Uint8Array {
    if (this.count === 0 && this.hash === 0) return new Uint8Array(0);
    const w = new ByteWriter(16);
    w.varuint(this.count);
    w.u32(this.hash >>> 0);
    return w.finish();
  }

  decode(bytes: Uint8Array): void {
    const r = new ByteReader(bytes);
    this.count = r.varuint("the sleeping body count");
    this.hash = r.u32("the sleeping bodies' hash") | 0;
  }
}

/**
 * The impulses of last tick's resting contacts, by pair of entity ids: the solver's warm start.
 * A resting pile carries its weight from tick to tick through these, as in Box2D and Rapier;
 * without them every tick would start from no load and deep piles would sag and creep. Values
 * are kept rounded to bfloat16, exactly as the snapshot stores them (4 bytes a contact), so a
 * restored world continues bit for bit.
 */
class ContactCache implements Resource {
  count = 0;
  capacity = 0;
  a = new Int32Array(0);
  b = new Int32Array(0);
  jn = new Float32Array(0);
  /** The friction impulse as a fraction of the friction cone (mu·jn), in 127ths. */
  jt = new Int8Array(0);
  /** Open-addressing index over the entries: slot -> entry + 1 (0 empty). */
  index = new Int32Array(0);

  /** Empties the cache, with room for `n` entries. */
  reset(n: number): void {
    if (n > this.capacity) {
      const cap = Math.max(n, this.capacity * 2, 64);
      this.a = new Int32Array(cap);
      this.b = new Int32Array(cap);
      this.jn = new Float32Array(cap);
      this.jt = new Int8Array(cap);
      this.capacity = cap;
    }
    let size = 16;
    while (size < n * 2) size *= 2;
    if (this.index.length !== size) this.index = new Int32Array(size);
    else this.index.fill(0);
    this.count = 0;
  }

  /**
   * Adds pair (a, b), a < b: the normal impulse rounded to bfloat16, the friction impulse as
   * 127ths of the cone `cone` (mu·jn); what the snapshot stores.
   */
  add(a: number, b: number, jn: number, jt: number, cone: number): void {
    const i = this.count++;
    this.a[i] = a;
    this.b[i] = b;
    this.jn[i] = fromBf16(toBf16(jn));
    const q = cone > 0 ? Math.round((127 * jt) / cone) : 0;
    this.jt[i] = q < -127 ? -127 : Math.min(q, 127);
    const mask = this.index.length - 1;
    let slot = pairHash(a, b) & mask;
    while (this.index[slot] !== 0) slot = (slot + 1) & mask;
    this.index[slot] = i + 1;
  }

  /** The entry of pair (a, b), or -1. */
  find(a: number, b: number): number {
    if (this.count === 0) return -1;
    const mask = this.index.length - 1;
    let slot = pairHash(a, b) & mask;
    for (;;) {
      const i = (this.index[slot] as number) - 1;
      if (i < 0) return -1;
      if (this.a[i] === a && this.b[i] === b) return i;
      slot = (slot + 1) & mask;
    }
  }

  encode(): Uint8Array {
    if (this.count === 0) return new Uint8Array(0);
    const order = Array.from({ length: this.count }, (_, i) => i);
    order.sort(
      (p, q) =>
        (this.a[p] as number) - (this.a[q] as number) ||
        (this.b[p] as number) - (this.b[q] as number),
    );
    const w = new ByteWriter(16 + this.count * 16);
    w.varuint(this.count);
    let prev = 0;
    for (const i of order) {
      const a = this.a[i] as number;
      const b = this.b[i] as number;
      // Pairs are stored with a < b (the broadphase lists bodies by ascending id), in one varuint
      // when a follows the previous pair's closely (as it does, sorted): (b - a - 1)·4 + step,
      // the step from the previous a up to 3, and the rest of a larger step after it.
      const step = a - prev;
      w.varuint((b - a - 1) * 4 + Math.min(step, 3));
      if (step >= 3) w.varuint(step - 3);
      w.u16(toBf16(this.jn[i] as number));
      w.u8((this.jt[i] as number) & 0xff);
      prev = a;
    }
    return w.finish();
  }

  decode(bytes: Uint8Array): void {
    const r = new ByteReader(bytes);
    const n = r.varuint("the contact count");
    this.reset(n);
    let a = 0;
    for (let i = 0; i < n; i++) {
      const head = r.varuint("a contact's pair");
      const step = head % 4;
      a += step === 3 ? 3 + r.varuint("a contact's first body") : step;
      const b = a + 1 + (head - step) / 4;
      const jn = fromBf16(r.u16("a contact's normal impulse"));
      const q = r.u8("a contact's friction impulse");
      this.add(a, b, jn, q >= 128 ? q - 256 : q, 127);
    }
  }
}

const f32Cell = new Float32Array(1);
const u32Cell = new Uint32Array(f32Cell.buffer);

function f32Bits(v: number): number {
  f32Cell[0] = v;
  return u32Cell[0] as number;
}

function bitsF32(bits: number): number {
  u32Cell[0] = bits;
  return f32Cell[0] as number;
}

/**
 * The upper 16 bits of v's nearest 32-bit float, rounded to nearest even (bfloat16: 8 bits of
 * exponent, 8 of precision, about 0.4%; plenty for a warm start, and half the bytes).
 */
function toBf16(v: number): number {
  const b = f32Bits(v);
  return (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
}

function fromBf16(bits: number): number {
  return bitsF32(bits << 16);
}

function pairHash(a: number, b: number): number {
  return Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77);
}

/**
 * The body stores' typed arrays, taken once per world: a World allocates every store at its full
 * capacity when it is made and never replaces one (snapshots restore into them), so a world's
 * view stays valid as long as the world.
 */
interface BodyArrays {
  readonly px: Float64Array;
  readonly py: Float64Array;
  readonly vx: Float64Array;
  readonly vy: Float64Array;
  readonly invMass: Float64Array;
  readonly kind: Uint8Array;
  readonly material: Uint8Array;
  readonly sleep: Uint8Array;
  readonly shape: Uint8Array;
  readonly hw: Float64Array;
  readonly hh: Float64Array;
}

const bodyArraysOf = new WeakMap<World, BodyArrays>();

/** The world's BodyArrays, made on first use. */
function bodyArrays(world: World): BodyArrays {
  let arrays = bodyArraysOf.get(world);
  if (!arrays) {
    arrays = takeBodyArrays(world);
    bodyArraysOf.set(world, arrays);
  }
  return arrays;
}

function takeBodyArrays(world: World): BodyArrays {
  const pos = world.store(Position);
  const vel = world.store(Velocity);
  const body = world.store(Body);
  const col = world.store(Collider);
  return Object.freeze({
    px: pos.x,
    py: pos.y,
    vx: vel.x,
    vy: vel.y,
    invMass: body.invMass,
    kind: body.kind,
    material: body.material,
    sleep: body.sleep,
    shape: col.shape,
    hw: col.hw,
    hh: col.hh,
  });
}

interface Scratch {
  capacity: number;
  /** The body stores' arrays (see BodyArrays). */
  arrays: BodyArrays;
  bodies: QueryState;
  attractors: QueryState;
  springs: QueryState;
  sensors: QueryState;
  ima: Float64Array;
  ax: Float64Array;
  ay: Float64Array;
  x0: Float64Array;
  y0: Float64Array;
  /** Displacement since the step's start (the drifts and projections), for contact separations. */
  dpx: Float64Array;
  dpy: Float64Array;
  flags: Uint8Array;
  /** stamp[e] === round when e was validated this step. */
  stamp: Uint32Array;
  round: number;
  cx0: Int32Array;
  cx1: Int32Array;
  cy0: Int32Array;
  cy1: Int32Array;
  list: Int32Array;
  cellStart: Int32Array;
  cellFill: Int32Array;
  entries: Int32Array;
  /** Per entry: the body's position, grown half-extents, first cells, and flags | kind << 4. */
  ex: Float64Array;
  ey: Float64Array;
  ew: Float64Array;
  eh: Float64Array;
  ecx: Int32Array;
  ecy: Int32Array;
  ekf: Uint8Array;
  // Contacts (struct of arrays, grown on demand).
  contactCap: number;
  ca: Int32Array;
  cb: Int32Array;
  cnx: Float64Array;
  cny: Float64Array;
  /** Separation at the step's start along the normal: minus the penetration depth. */
  csep: Float64Array;
  crest: Float64Array;
  cmu: Float64Array;
  /** 1 / (1/ma + 1/mb): the effective mass along the normal, and along the tangent. */
  cmass: Float64Array;
  /** Accumulated normal impulse of the substeps' solver. */
  cjn: Float64Array;
  /** Accumulated normal impulse of impacts. */
  cje: Float64Array;
  /** Accumulated friction impulse. */
  cjt: Float64Array;
  ctype: Uint8Array;
  sensorPairs: number[];
  /** The awake dynamic and kinematic bodies of this step (list holds every body). */
  movers: Int32Array;
  /** Sleeping bodies an awake one touched, to wake with their islands. */
  touched: Int32Array;
  touchedCount: number;
  /** Union-find parents over movers, for islands. */
  parent: Int32Array;
  /** Per island root: 1 if it may not sleep. */
  restless: Uint8Array;
  /** Positions as 32-bit words, for the sleep fingerprint (views of the stores). */
  xBits: Uint32Array;
  yBits: Uint32Array;
  /** The bodies query's version when the fingerprint was last taken (-1: never, here). */
  restVersion: number;
}

function makeScratch(world: World, cells: number): Scratch {
  const contactCap = 1024;
  const capacity = world.maxEntities;
  return {
    capacity,
    arrays: bodyArrays(world),
    bodies: world.query({ with: [Position, Velocity, Body, Collider], without: [Faulted] }),
    attractors: world.query([Position, Attractor]),
    springs: world.query([Spring]),
    sensors: world.query([Sensor]),
    ima: new Float64Array(capacity),
    ax: new Float64Array(capacity),
    ay: new Float64Array(capacity),
    x0: new Float64Array(capacity),
    y0: new Float64Array(capacity),
    dpx: new Float64Array(capacity),
    dpy: new Float64Array(capacity),
    flags: new Uint8Array(capacity),
    stamp: new Uint32Array(capacity),
    round: 0,
    cx0: new Int32Array(capacity),
    cx1: new Int32Array(capacity),
    cy0: new Int32Array(capacity),
    cy1: new Int32Array(capacity),
    list: new Int32Array(capacity),
    cellStart: new Int32Array(cells + 1),
    cellFill: new Int32Array(cells),
    entries: new Int32Array(1024),
    ex: new Float64Array(1024),
    ey: new Float64Array(1024),
    ew: new Float64Array(1024),
    eh: new Float64Array(1024),
    ecx: new Int32Array(1024),
    ecy: new Int32Array(1024),
    ekf: new Uint8Array(1024),
    contactCap,
    ca: new Int32Array(contactCap),
    cb: new Int32Array(contactCap),
    cnx: new Float64Array(contactCap),
    cny: new Float64Array(contactCap),
    csep: new Float64Array(contactCap),
    crest: new Float64Array(contactCap),
    cmu: new Float64Array(contactCap),
    cmass: new Float64Array(contactCap),
    cjn: new Float64Array(contactCap),
    cje: new Float64Array(contactCap),
    cjt: new Float64Array(contactCap),
    ctype: new Uint8Array(contactCap),
    movers: new Int32Array(capacity),
    touched: new Int32Array(capacity),
    touchedCount: 0,
    parent: new Int32Array(capacity),
    restless: new Uint8Array(capacity),
    xBits: new Uint32Array(0),
    yBits: new Uint32Array(0),
    restVersion: -1,
    sensorPairs: [],
  };
}

function growEntries(s: Scratch, n: number): void {
  s.entries = new Int32Array(n);
  s.ex = new Float64Array(n);
  s.ey = new Float64Array(n);
  s.ew = new Float64Array(n);
  s.eh = new Float64Array(n);
  s.ecx = new Int32Array(n);
  s.ecy = new Int32Array(n);
  s.ekf = new Uint8Array(n);
}

function growContacts(s: Scratch): void {
  const cap = s.contactCap * 2;
  const gi = (a: Int32Array) => {
    const n = new Int32Array(cap);
    n.set(a);
    return n;
  };
  const gf = (a: Float64Array) => {
    const n = new Float64Array(cap);
    n.set(a);
    return n;
  };
  s.ca = gi(s.ca);
  s.cb = gi(s.cb);
  s.cnx = gf(s.cnx);
  s.cny = gf(s.cny);
  s.csep = gf(s.csep);
  s.crest = gf(s.crest);
  s.cmu = gf(s.cmu);
  s.cmass = gf(s.cmass);
  s.cjn = gf(s.cjn);
  s.cje = gf(s.cje);
  s.cjt = gf(s.cjt);
  const t = new Uint8Array(cap);
  t.set(s.ctype);
  s.ctype = t;
  s.contactCap = cap;
}

/** Narrowphase output: normal from a to b, and penetration depth (> 0 overlapping, < 0 a gap). */
const hit = new Float64Array(3);

/**
 * Contact test of two shapes centred at (xa, ya) and (xb, yb). Returns true and fills `hit` with
 * the unit normal pointing from a to b and the penetration depth when they overlap or are closer
 * than `margin` (then the depth is minus the gap).
 */
function collide(
  margin: number,
  sa: number,
  xa: number,
  ya: number,
  hwa: number,
  hha: number,
  sb: number,
  xb: number,
  yb: number,
  hwb: number,
  hhb: number,
): boolean {
  const dx = xb - xa;
  const dy = yb - ya;
  if (sa === ShapeKind.Circle && sb === ShapeKind.Circle) {
    const r = hwa + hwb;
    const d2 = dx * dx + dy * dy;
    if (d2 >= (r + margin) * (r + margin)) return false;
    const d = Math.sqrt(d2);
    if (d > 0) {
      hit[0] = dx / d;
      hit[1] = dy / d;
    } else {
      hit[0] = 0;
      hit[1] = 1;
    }
    hit[2] = r - d;
    return true;
  }
  if (sa === ShapeKind.Box && sb === ShapeKind.Box) {
    const ox = hwa + hwb - (dx < 0 ? -dx : dx);
    if (ox <= -margin) return false;
    const oy = hha + hhb - (dy < 0 ? -dy : dy);
    if (oy <= -margin) return false;
    // Overlapping: out along the shallower axis; apart: along the axis of the gap.
    if (ox > 0 && oy > 0 ? ox < oy : ox <= 0 && (oy > 0 || ox > oy)) {
      hit[0] = dx < 0 ? -1 : 1;
      hit[1] = 0;
      hit[2] = ox;
    } else {
      hit[0] = 0;
      hit[1] = dy < 0 ? -1 : 1;
      hit[2] = oy;
    }
    return true;
  }
  if (sa === ShapeKind.Circle) return circleBox(margin, xa, ya, hwa, xb, yb, hwb, hhb, 1);
  return circleBox(margin, xb, yb, hwb, xa, ya, hwa, hha, -1);
}

/** Circle (cx, cy, r) against box (bx, by, hw, hh); `sign` 1 if the circle is body a, -1 if b. */
function circleBox(
  margin: number,
  cx: number,
  cy: number,
  r: number,
  bx: number,
  by: number,
  hw: number,
  hh: number,
  sign: number,
): boolean {
  const dx = cx - bx;
  const dy = cy - by;
  const qx = dx < -hw ? -hw : Math.min(dx, hw);
  const qy = dy < -hh ? -hh : Math.min(dy, hh);
  if (qx !== dx || qy !== dy) {
    // Centre outside the box: the normal runs from the circle's centre to the nearest box point.
    const ex = qx - dx;
    const ey = qy - dy;
    const d2 = ex * ex + ey * ey;
    if (d2 >= (r + margin) * (r + margin)) return false;
    const d = Math.sqrt(d2);
    hit[0] = (sign * ex) / d;
    hit[1] = (sign * ey) / d;
    hit[2] = r - d;
    return true;
  }
  // Centre inside the box: push out through the nearest face.
  const px = hw - (dx < 0 ? -dx : dx);
  const py = hh - (dy < 0 ? -dy : dy);
  if (px < py) {
    hit[0] = sign * (dx < 0 ? 1 : -1);
    hit[1] = 0;
    hit[2] = px + r;
  } else {
    hit[0] = 0;
    hit[1] = sign * (dy < 0 ? 1 : -1);
    hit[2] = py + r;
  }
  return true;
}

/** A 32-bit hash of a body's id and position (their exact bits); x and y are the Position stores as 32-bit words. */
function bodyHash(x: Uint32Array, y: Uint32Array, e: number): number {
  const i = e * 2;
  return (
    Math.imul(((x[i] as number) ^ (x[i + 1] as number)) + e, 0x9e3779b1) +
    Math.imul((y[i] as number) ^ (y[i + 1] as number) ^ e, 0x85ebca77)
  );
}

/** `a` as 32-bit words: `v` if it already is that view, else a new one. */
function bitsOf(a: Float64Array, v: Uint32Array): Uint32Array {
  return v.buffer === a.buffer && v.byteOffset === a.byteOffset && v.length === a.length * 2
    ? v
    : new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
}

/** Whether every body in the runs with a non-zero velocity is static. */
function onlyStaticsMove(
  runs: readonly number[],
  kind: Uint8Array,
  vx: Float64Array,
  vy: Float64Array,
): boolean {
  for (let r = 0; r < runs.length; r += 2) {
    const end = runs[r + 1] as number;
    for (let e = runs[r] as number; e < end; e++) {
      if ((vx[e] !== 0 || vy[e] !== 0) && kind[e] !== BodyKind.Static) return false;
    }
  }
  return true;
}

/** Union-find root, with path halving. */
function find(parent: Int32Array, e: number): number {
  let x = e;
  while (parent[x] !== x) {
    const p = parent[parent[x] as number] as number;
    parent[x] = p;
    x = p;
  }
  return x;
}

function isFiniteNumber(n: unknown): n is number {
  return typeof n === "number" && Number.isFinite(n);
}

/**
 * The physics "motor": a fixed-step rigid-body simulation of circles and axis-aligned boxes.
 *
 * One `step` (one tick of `world.dt` seconds; docs/physics.md has the why):
 * 1. Validate bodies: one whose state or parameters are non-finite is tagged `Faulted` and
 *    reported (`body_invalid`). A world where everything sleeps or is static, unchanged, with
 *    no sensor, stops here.
 * 2. Broadphase (uniform grid over the bounds) and narrowphase, contacts within a margin
 *    (speculative); a sleeping body an awake one touches wakes with its island; sensor overlaps.
 * 3. The first substep's kick.
 * 4. Impacts: the elastic rule on contacts approaching faster than the restitution threshold
 *    (each impulse from the current relative velocity with the full restitution, so an elastic
 *    contact conserves kinetic energy exactly, even in chains, which accumulated-impulse solvers
 *    do not).
 * 5. Substeps: warm start, soft contacts (an implicit stiff damped spring) with friction, drift,
 *    relax; velocity Verlet per substep. The first substep starts from last tick's impulses.
 * 6. Positional correction of fast contacts (positions only), and the world's bounds.
 * 7. A body whose new state is non-finite is put back where it was, at rest, and `Faulted`.
 * 8. Sleep: islands of still bodies fall asleep; the warm start and sleep fingerprint are kept.
 */
export class Physics {
  readonly config: PhysicsConfig;
  readonly system: SystemDef;
  private readonly cols: number;
  private readonly rows: number;
  private readonly restitutionOf: Float64Array;
  private readonly frictionOf: Float64Array;
  private readonly scratch = new WeakMap<World, Scratch>();

  constructor(options: PhysicsOptions = {}) {
    this.config = resolvePhysicsConfig(options);
    const b = this.config.bounds;
    this.cols = Math.ceil((b.maxX - b.minX) / this.config.cellSize);
    this.rows = Math.ceil((b.maxY - b.minY) / this.config.cellSize);
    this.restitutionOf = Float64Array.from(this.config.materials, (m) => m.restitution);
    this.frictionOf = Float64Array.from(this.config.materials, (m) => m.friction);
    this.system = { name: "physics", run: (world) => this.step(world) };
  }

  /** The bodies physics moves: Position, Velocity, Body and Collider, not Faulted. */
  bodies(world: World): QueryState {
    return this.scratchFor(world).bodies;
  }

  // ─── spawning ────────────────────────────────────────────────────────────────────────────────

  spawnCircle(world: World, spec: BodySpec & { readonly radius: number }): Eid {
    if (!isFiniteNumber(spec.radius) || spec.radius <= 0) {
      throw new InvalidArgumentError(`radius must be a positive finite number, got ${spec.radius}`);
    }
    return this.spawn(world, spec, ShapeKind.Circle, spec.radius, spec.radius);
  }

  spawnBox(
    world: World,
    spec: BodySpec & { readonly halfWidth: number; readonly halfHeight: number },
  ): Eid {
    for (const [name, v] of [
      ["halfWidth", spec.halfWidth],
      ["halfHeight", spec.halfHeight],
    ] as const) {
      if (!isFiniteNumber(v) || v <= 0)
        throw new InvalidArgumentError(`${name} must be a positive finite number, got ${v}`);
    }
    return this.spawn(world, spec, ShapeKind.Box, spec.halfWidth, spec.halfHeight);
  }

  private spawn(world: World, spec: BodySpec, shape: ShapeKind, hw: number, hh: number): Eid {
    const kind = spec.kind ?? BodyKind.Dynamic;
    const mass = spec.mass ?? 1;
    const material = spec.material ?? 0;
    for (const [name, v] of [
      ["x", spec.x],
      ["y", spec.y],
      ["vx", spec.vx ?? 0],
      ["vy", spec.vy ?? 0],
    ] as const) {
      if (!isFiniteNumber(v))
        throw new InvalidArgumentError(`${name} must be a finite number, got ${v}`);
    }
    if (kind !== BodyKind.Dynamic && kind !== BodyKind.Kinematic && kind !== BodyKind.Static) {
      throw new InvalidArgumentError(
        `kind must be BodyKind.Dynamic, Kinematic or Static, got ${kind}`,
      );
    }
    if (!isFiniteNumber(mass) || mass <= 0)
      throw new InvalidArgumentError(`mass must be a positive finite number, got ${mass}`);
    if (!Number.isInteger(material) || material < 0 || material >= this.config.materials.length) {
      throw new InvalidArgumentError(
        `material must index the ${this.config.materials.length} configured materials, got ${material}`,
      );
    }
    const e = world.createEntity();
    world.addComponent(e, Position);
    world.addComponent(e, Velocity);
    world.addComponent(e, Body);
    world.addComponent(e, Collider);
    if (spec.sensor) world.addComponent(e, Sensor);
    const a = bodyArrays(world);
    a.px[e] = spec.x;
    a.py[e] = spec.y;
    const moves = kind !== BodyKind.Static;
    a.vx[e] = moves ? (spec.vx ?? 0) : 0;
    a.vy[e] = moves ? (spec.vy ?? 0) : 0;
    a.invMass[e] = kind === BodyKind.Dynamic ? 1 / mass : 0;
    a.kind[e] = kind;
    a.material[e] = material;
    a.shape[e] = shape;
    a.hw[e] = hw;
    a.hh[e] = hh;
    return e;
  }

  // ─── sleeping, and commands that wake ─────────────────────────────────────────────────────────

  /** Whether body `e` sleeps (it is then skipped by the step until something wakes it). */
  isSleeping(world: World, e: Eid): boolean {
    this.checkBody(world, e, "isSleeping");
    return world.store(Body).sleep[e] === SLEEPING;
  }

  /**
   * Wakes body `e` and restarts its stillness count. The bodies it touches, and theirs (its
   * island), wake in the next step, when the body's contacts are found.
   */
  wake(world: World, e: Eid): void {
    this.checkBody(world, e, "wake");
    const body = world.store(Body);
    if (body.sleep[e] === SLEEPING) {
      // The fingerprint of sleeping bodies no longer counts this one: waking it is not a change
      // behind the motor's back (which would wake every body).
      const s = this.scratchFor(world);
      this.bitViews(s);
      const fingerprint = useResource(world, SLEEP_RESOURCE, () => new SleepFingerprint());
      fingerprint.count -= 1;
      fingerprint.hash = (fingerprint.hash - bodyHash(s.xBits, s.yBits, e)) | 0;
    }
    body.sleep[e] = 0;
  }

  /** Wakes every sleeping body. */
  wakeAll(world: World): void {
    const ids = this.bodies(world).ids();
    const sleep = world.store(Body).sleep;
    for (let i = 0; i < ids.length; i++) {
      const e = ids[i] as number;
      if (sleep[e] === SLEEPING) this.wake(world, e);
    }
  }

  /** Sets body `e`'s velocity (m/s) and wakes it and its island. */
  setVelocity(world: World, e: Eid, v: { readonly x: number; readonly y: number }): void {
    this.checkVector(v, "velocity");
    this.wake(world, e);
    if (world.store(Body).kind[e] === BodyKind.Static) return;
    world.store(Velocity).x[e] = v.x;
    world.store(Velocity).y[e] = v.y;
  }

  /**
   * Moves body `e` to `p` (m) and wakes it and its island. Moving a static body this way (or any
   * body by writing Position directly) wakes every sleeping body at the next step instead.
   */
  setPosition(world: World, e: Eid, p: { readonly x: number; readonly y: number }): void {
    this.checkVector(p, "position");
    this.wake(world, e);
    world.store(Position).x[e] = p.x;
    world.store(Position).y[e] = p.y;
  }

  /** Adds impulse `j` (N·s) to dynamic body `e`'s momentum and wakes it and its island. */
  applyImpulse(world: World, e: Eid, j: { readonly x: number; readonly y: number }): void {
    this.checkVector(j, "impulse");
    this.wake(world, e);
    const body = world.store(Body);
    if (body.kind[e] !== BodyKind.Dynamic) return;
    const im = body.invMass[e] as number;
    const v = world.store(Velocity);
    v.x[e] = (v.x[e] as number) + j.x * im;
    v.y[e] = (v.y[e] as number) + j.y * im;
  }

  /**
   * Applies force `f` (N) to dynamic body `e` for the coming tick, that is the impulse f·dt, and
   * wakes it and its island. Hold a force by applying it every tick.
   */
  applyForce(world: World, e: Eid, f: { readonly x: number; readonly y: number }): void {
    this.checkVector(f, "force");
    this.applyImpulse(world, e, { x: f.x * world.dt, y: f.y * world.dt });
  }

  private checkBody(world: World, e: Eid, what: string): void {
    if (!world.isAlive(e) || !world.hasComponent(e, Body)) {
      throw new InvalidArgumentError(`${what}: entity ${e} is not a live physics body`);
    }
  }

  private checkVector(v: { readonly x: number; readonly y: number }, what: string): void {
    if (!isFiniteNumber(v?.x) || !isFiniteNumber(v?.y)) {
      throw new InvalidArgumentError(
        `${what} must be two finite numbers, got ${JSON.stringify(v)}`,
      );
    }
  }

  // ─── the step ────────────────────────────────────────────────────────────────────────────────

  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: a named exception (docs/ARCHITECTURE.md, "Long functions")
  step(world: World): void {
    const s = this.scratchFor(world);
    const cfg = this.config;
    const dt = world.dt;
    const { px, py, vx, vy, invMass, kind, material, sleep, shape, hw, hh } = s.arrays;
    const { ima, flags, x0, y0, list, movers } = s;
    // Sleeping needs a world whose only field is uniform gravity: attractors act on every body.
    const mayRest = cfg.sleeping && s.attractors.size === 0;
    const fingerprint = useResource(world, SLEEP_RESOURCE, () => new SleepFingerprint());
    this.bitViews(s);
    if (mayRest && s.springs.size === 0 && this.atRest(world, s, fingerprint, kind, vx, vy)) {
      // Nothing awake, nothing changed, no sensor to watch: the world stays at rest this tick.
      useResource(world, CONTACTS_RESOURCE, () => new ContactCache()).reset(0);
      this.diffSensors(world, []);
      return;
    }

    // 1. Validate and gather: every body into `list` (the broadphase's), the awake dynamic and
    // kinematic ones into `movers`. A sleeping body whose velocity game code set wakes here.
    const ids = this.bodies(world).ids();
    const sensorBit = world.componentId(Sensor);
    const sensorWord = world.masks[sensorBit >> 5] as Uint32Array;
    const sensorMask = 1 << (sensorBit & 31);
    let n = 0;
    let m = 0;
    let sleepers = 0;
    let count = 0;
    let hash = 0;
    s.round = (s.round + 1) >>> 0 || 1;
    for (let i = 0; i < ids.length; i++) {
      const e = ids[i] as number;
      const k = kind[e] as number;
      const im = k === BodyKind.Dynamic ? (invMass[e] as number) : 0;
      const x = px[e] as number;
      const y = py[e] as number;
      const u = vx[e] as number;
      const w = vy[e] as number;
      const a = hw[e] as number;
      const b = hh[e] as number;
      if (
        !(x - x === 0 && y - y === 0 && u - u === 0 && w - w === 0 && im - im === 0) ||
        im < 0 ||
        !(a > 0 && b > 0 && a - a === 0 && b - b === 0) ||
        k > BodyKind.Static ||
        (material[e] as number) >= this.restitutionOf.length
      ) {
        this.fault(world, e);
        continue;
      }
      const sensor = ((sensorWord[e] as number) & sensorMask) !== 0;
      ima[e] = im;
      x0[e] = x;
      y0[e] = y;
      s.dpx[e] = 0;
      s.dpy[e] = 0;
      s.stamp[e] = s.round;
      list[n++] = e;
      if (k === BodyKind.Static) {
        flags[e] = sensor ? FLAG_SENSOR : 0;
        if (!sensor && mayRest) {
          count++;
          hash = (hash + bodyHash(s.xBits, s.yBits, e)) | 0;
        }
        continue;
      }
      if (sleep[e] === SLEEPING) {
        // It slept through the last tick: it belongs to the fingerprint, whether it wakes now or not.
        count++;
        hash = (hash + bodyHash(s.xBits, s.yBits, e)) | 0;
        if (mayRest && u === 0 && w === 0) {
          flags[e] = sensor ? FLAG_SENSOR | FLAG_ASLEEP : FLAG_ASLEEP;
          sleepers++;
          continue;
        }
        sleep[e] = 0;
      }
      flags[e] = sensor ? FLAG_SENSOR : 0;
      movers[m++] = e;
    }
    s.touchedCount = 0;
    if (sleepers > 0 && (count !== fingerprint.count || hash !== fingerprint.hash)) {
      // A sleeping or static body changed behind the motor's back: wake every sleeping body.
      for (let i = 0; i < n; i++) {
        const e = list[i] as number;
        if (((flags[e] as number) & FLAG_ASLEEP) === 0) continue;
        flags[e] = (flags[e] as number) & ~FLAG_ASLEEP;
        sleep[e] = 0;
        movers[m++] = e;
      }
      sleepers = 0;
    }
    // A spring's ends stay awake: the spring may be changed or its anchor moved at any time.
    const springs = s.springs.ids();
    if (springs.length > 0) {
      const sp = world.store(Spring);
      for (let j = 0; j < springs.length; j++) {
        const id = springs[j] as number;
        for (const end of [sp.a[id] as number, sp.b[id] as number]) {
          if (end === NO_ENTITY) continue;
          const e = world.tryResolve(end);
          if (e < 0 || !this.takesPart(e, s)) continue;
          if (((flags[e] as number) & FLAG_ASLEEP) !== 0) {
            flags[e] = (flags[e] as number) & ~FLAG_ASLEEP;
            sleep[e] = 0;
            movers[m++] = e;
            sleepers--;
          }
          flags[e] = (flags[e] as number) | FLAG_RESTLESS;
        }
      }
    }

    // 2. Broadphase and narrowphase. A sleeping body an awake mover touches wakes with the
    // sleeping bodies it touches, and theirs (its island); then the contacts are found again.
    let nc = this.findContacts(list, n, s);
    while (s.touchedCount > 0) {
      m = this.wakeTouched(s, sleep, px, py, hw, hh, shape, m);
      s.touchedCount = 0;
      nc = this.findContacts(list, n, s);
    }

    // 3. The first substep's kick, with the accelerations at the step's start.
    const fields = this.accelerate(world, movers, m, s);
    const substeps = cfg.substeps;
    const h = dt / substeps;
    const halfH = h * 0.5;
    this.kick(movers, m, s, vx, vy, h, fields);

    // 4. Impacts: the elastic rule, on every contact approaching faster than the threshold.
    if (nc > 0) this.impacts(nc, s, vx, vy, dt);

    // 5. Substeps: soft contacts with their warm start, drift, relax (velocity Verlet per substep).
    const soft = this.softness(h);
    const invH = 1 / h;
    const cache = useResource(world, CONTACTS_RESOURCE, () => new ContactCache());
    for (let sub = 0; sub < substeps; sub++) {
      if (sub > 0) this.kick(movers, m, s, vx, vy, h, fields);
      if (nc > 0) {
        if (sub === 0) this.warmFromCache(nc, s, cache);
        this.warmStart(nc, s, vx, vy);
        this.solve(nc, s, vx, vy, invH, soft, true);
      }
      this.drift(movers, m, s, kind, px, py, vx, vy, h, fields);
      if (fields) {
        // Velocity Verlet: the kick was a(x_k)·h; it should have been (a(x_k) + a(x_k+1))·h/2.
        this.kick(movers, m, s, vx, vy, -halfH, true);
        this.accelerate(world, movers, m, s);
        this.kick(movers, m, s, vx, vy, halfH, true);
      }
      if (nc > 0) this.solve(nc, s, vx, vy, invH, soft, false);
    }

    // 6. Positional correction of fast contacts (positions only, so it never adds kinetic
    // energy; resting contacts are corrected by their soft bias instead), and the world's bounds.
    if (nc > 0) this.project(nc, s, px, py);
    this.applyBounds(movers, m, s.arrays);

    // 7. Non-finite results are put back, not spread.
    for (let i = 0; i < m; i++) {
      const e = movers[i] as number;
      const x = px[e] as number;
      const y = py[e] as number;
      const u = vx[e] as number;
      const w = vy[e] as number;
      if (x - x === 0 && y - y === 0 && u - u === 0 && w - w === 0) continue;
      px[e] = x0[e] as number;
      py[e] = y0[e] as number;
      vx[e] = 0;
      vy[e] = 0;
      flags[e] = (flags[e] as number) | FLAG_RESTLESS;
      this.fault(world, e);
    }

    // 8. Sleep: still bodies count their still ticks; an island whose bodies have all been still
    // long enough falls asleep. Then the fingerprint of what sleeps, and the warm start of what
    // does not.
    if (mayRest) this.settle(world, s, movers, m, nc, sleep, kind, px, py, vx, vy);
    else for (let i = 0; i < m; i++) sleep[movers[i] as number] = 0;
    this.storeCache(nc, s, cache);
    count = 0;
    hash = 0;
    for (let i = 0; i < (mayRest ? n : 0); i++) {
      const e = list[i] as number;
      const f = flags[e] as number;
      if ((f & FLAG_ASLEEP) !== 0 || (kind[e] === BodyKind.Static && (f & FLAG_SENSOR) === 0)) {
        count++;
        hash = (hash + bodyHash(s.xBits, s.yBits, e)) | 0;
      }
    }
    fingerprint.count = count;
    fingerprint.hash = hash;
    s.restVersion = this.bodies(world).version;
    this.diffSensors(world, s.sensorPairs);
  }

  /**
   * Whether every body is asleep (velocity still zero) or static, none is a sensor, and the
   * sleeping and static bodies are as the last tick left them. This pass is the whole cost of a
   * tick at rest, so it reads as little as it can: when the bodies are the ones the fingerprint
   * was taken over (the query's version has not moved) and their count is the fingerprint's,
   * every one of them was asleep or static then, and only the motor's own calls (which update
   * the fingerprint) put a body to sleep or wake it: `Body.sleep` and `Body.kind` are not read.
   * What game code may change is read: every velocity (one sum, zero only when all are) and
   * every position (the fingerprint's hash).
   */
  private atRest(
    world: World,
    s: Scratch,
    fingerprint: SleepFingerprint,
    kind: Uint8Array,
    vx: Float64Array,
    vy: Float64Array,
  ): boolean {
    if (s.sensors.size > 0) return false;
    const query = this.bodies(world);
    // Over runs of consecutive ids (bodies spawned together are): no id array to read per body.
    const runs = query.runs();
    const { xBits, yBits } = s;
    let hash = 0;
    // Sums of absolute values: zero exactly when every term is (a NaN or an infinity stays).
    let speeds = 0;
    for (let r = 0; r < runs.length; r += 2) {
      const end = runs[r + 1] as number;
      for (let e = runs[r] as number; e < end; e++) {
        speeds += Math.abs(vx[e] as number) + Math.abs(vy[e] as number);
        // bodyHash, inlined by hand.
        const k = e * 2;
        hash =
          (hash +
            Math.imul(((xBits[k] as number) ^ (xBits[k + 1] as number)) + e, 0x9e3779b1) +
            Math.imul((yBits[k] as number) ^ (yBits[k + 1] as number) ^ e, 0x85ebca77)) |
          0;
      }
    }
    if (
      hash !== fingerprint.hash ||
      query.version !== s.restVersion ||
      query.size !== fingerprint.count
    )
      return false;
    // A static body may carry a velocity (it does not move by it): only theirs may be non-zero.
    return speeds === 0 || onlyStaticsMove(runs, kind, vx, vy);
  }

  /**
   * Wakes the touched sleeping bodies and every sleeping body connected to them by contact (the
   * same margin as the solver's), in a deterministic order; returns the new mover count.
   */
  private wakeTouched(
    s: Scratch,
    sleep: Uint8Array,
    px: Float64Array,
    py: Float64Array,
    hw: Float64Array,
    hh: Float64Array,
    shape: Uint8Array,
    moverCount: number,
  ): number {
    const { flags, touched, movers, cellStart, entries, cx0, cx1, cy0, cy1 } = s;
    const cols = this.cols;
    const margin = this.config.contactMarginM;
    let m = moverCount;
    let top = s.touchedCount;
    for (let i = 0; i < top; i++) {
      const e = touched[i] as number;
      flags[e] = (flags[e] as number) & ~(FLAG_ASLEEP | FLAG_TOUCHED);
      sleep[e] = 0;
      movers[m++] = e;
    }
    // touched[] doubles as the flood's stack.
    while (top > 0) {
      const e = touched[--top] as number;
      for (let r = cy0[e] as number; r <= (cy1[e] as number); r++) {
        for (let q = cx0[e] as number; q <= (cx1[e] as number); q++) {
          const cell = r * cols + q;
          for (let k = cellStart[cell] as number; k < (cellStart[cell + 1] as number); k++) {
            const o = entries[k] as number;
            if (((flags[o] as number) & (FLAG_ASLEEP | FLAG_SENSOR)) !== FLAG_ASLEEP) continue;
            if (
              !collide(
                margin,
                shape[e] as number,
                px[e] as number,
                py[e] as number,
                hw[e] as number,
                hh[e] as number,
                shape[o] as number,
                px[o] as number,
                py[o] as number,
                hw[o] as number,
                hh[o] as number,
              )
            )
              continue;
            flags[o] = (flags[o] as number) & ~FLAG_ASLEEP;
            sleep[o] = 0;
            movers[m++] = o;
            touched[top++] = o;
          }
        }
      }
    }
    return m;
  }

  /**
   * Counts still ticks and puts islands to sleep. An island is a set of awake dynamic bodies
   * connected by contacts; a contact with an awake kinematic body that is not yet still, or a
   * spring's end, keeps its island awake. A kinematic body sleeps on its own once still.
   */
  private settle(
    world: World,
    s: Scratch,
    movers: Int32Array,
    m: number,
    nc: number,
    sleep: Uint8Array,
    kind: Uint8Array,
    px: Float64Array,
    py: Float64Array,
    vx: Float64Array,
    vy: Float64Array,
  ): void {
    const { flags, x0, y0, parent, restless, ca, cb } = s;
    const ticks = this.sleepTicks(world);
    const v2 = this.config.sleepSpeedMps * this.config.sleepSpeedMps;
    const d2 = v2 * world.dt * world.dt;
    for (let i = 0; i < m; i++) {
      const e = movers[i] as number;
      parent[e] = e;
      restless[e] = 0;
      const u = vx[e] as number;
      const w = vy[e] as number;
      const dx = (px[e] as number) - (x0[e] as number);
      const dy = (py[e] as number) - (y0[e] as number);
      const still = u * u + w * w <= v2 && dx * dx + dy * dy <= d2;
      if (!still || ((flags[e] as number) & FLAG_RESTLESS) !== 0) sleep[e] = 0;
      else if ((sleep[e] as number) < ticks) sleep[e] = (sleep[e] as number) + 1;
    }
    for (let c = 0; c < nc; c++) {
      const a = ca[c] as number;
      const b = cb[c] as number;
      const ka = kind[a] as number;
      const kb = kind[b] as number;
      if (ka === BodyKind.Dynamic && kb === BodyKind.Dynamic) {
        const ra = find(parent, a);
        const rb = find(parent, b);
        if (ra !== rb) {
          if (ra < rb) parent[rb] = ra;
          else parent[ra] = rb;
        }
      } else if (ka === BodyKind.Kinematic && (sleep[a] as number) < ticks) {
        restless[b] = 1;
      } else if (kb === BodyKind.Kinematic && (sleep[b] as number) < ticks) {
        restless[a] = 1;
      }
    }
    const springs = s.springs.ids();
    if (springs.length > 0) {
      const sp = world.store(Spring);
      for (let j = 0; j < springs.length; j++) {
        const id = springs[j] as number;
        const a = world.tryResolve(sp.a[id] as number);
        const bh = sp.b[id] as number;
        const b = bh === NO_ENTITY ? -1 : world.tryResolve(bh);
        if (a < 0 || b < 0 || !this.takesPart(a, s) || !this.takesPart(b, s)) continue;
        if (kind[a] !== BodyKind.Dynamic || kind[b] !== BodyKind.Dynamic) continue;
        const ra = find(parent, a);
        const rb = find(parent, b);
        if (ra < rb) parent[rb] = ra;
        else if (rb < ra) parent[ra] = rb;
      }
    }
    // restless[root] |= any member not yet still long enough, or held awake.
    for (let i = 0; i < m; i++) {
      const e = movers[i] as number;
      if (kind[e] !== BodyKind.Dynamic) continue;
      const r = find(parent, e);
      if ((sleep[e] as number) < ticks || restless[e] === 1)
        restless[r] = 2 | (restless[r] as number);
    }
    for (let i = 0; i < m; i++) {
      const e = movers[i] as number;
      const dynamic = kind[e] === BodyKind.Dynamic;
      if (
        dynamic ? ((restless[find(parent, e)] as number) & 2) !== 0 : (sleep[e] as number) < ticks
      )
        continue;
      sleep[e] = SLEEPING;
      vx[e] = 0;
      vy[e] = 0;
      flags[e] = (flags[e] as number) | FLAG_ASLEEP;
    }
  }

  /** Ticks of stillness before an island sleeps, at this world's tick rate. */
  private sleepTicks(world: World): number {
    const ticks = Math.ceil(this.config.timeToSleepSeconds * world.tickRateHz - 1e-9);
    return Math.max(1, Math.min(SLEEP_TICKS_MAX, ticks));
  }

  /** Keeps s.xBits, s.yBits as 32-bit views of the Position stores. */
  private bitViews(s: Scratch): void {
    s.xBits = bitsOf(s.arrays.px, s.xBits);
    s.yBits = bitsOf(s.arrays.py, s.yBits);
  }

  /** v += a·t for every dynamic body: gravity alone, or the accelerations `accelerate` stored. */
  private kick(
    list: Int32Array,
    n: number,
    s: Scratch,
    vx: Float64Array,
    vy: Float64Array,
    t: number,
    fields: boolean,
  ): void {
    const ima = s.ima;
    if (!fields) {
      const gx = this.config.gravity.x * t;
      const gy = this.config.gravity.y * t;
      for (let i = 0; i < n; i++) {
        const e = list[i] as number;
        if (ima[e] === 0) continue;
        vx[e] = (vx[e] as number) + gx;
        vy[e] = (vy[e] as number) + gy;
      }
      return;
    }
    const { ax, ay } = s;
    for (let i = 0; i < n; i++) {
      const e = list[i] as number;
      if (ima[e] === 0) continue;
      vx[e] = (vx[e] as number) + (ax[e] as number) * t;
      vy[e] = (vy[e] as number) + (ay[e] as number) * t;
    }
  }

  /**
   * x += (v - a·h/2)·h for every moving body, after the speed limit. The substep's kick a·h came
   * before the contact solve; the body moves with the velocity of the middle of the substep, so
   * a free body follows velocity Verlet exactly (and constant gravity without error).
   */
  private drift(
    list: Int32Array,
    n: number,
    s: Scratch,
    kind: Uint8Array,
    px: Float64Array,
    py: Float64Array,
    vx: Float64Array,
    vy: Float64Array,
    h: number,
    fields: boolean,
  ): void {
    const maxSpeed = this.config.maxSpeedMps;
    const max2 = maxSpeed * maxSpeed;
    const { ima, ax, ay, dpx, dpy } = s;
    const halfH = h * 0.5;
    const gx = this.config.gravity.x * halfH;
    const gy = this.config.gravity.y * halfH;
    for (let i = 0; i < n; i++) {
      const e = list[i] as number;
      if (kind[e] === BodyKind.Static) continue;
      let u = vx[e] as number;
      let w = vy[e] as number;
      if (ima[e] === 0) {
        px[e] = (px[e] as number) + u * h;
        py[e] = (py[e] as number) + w * h;
        dpx[e] = (dpx[e] as number) + u * h;
        dpy[e] = (dpy[e] as number) + w * h;
        continue;
      }
      const s2 = u * u + w * w;
      if (s2 > max2) {
        const f = maxSpeed / Math.sqrt(s2);
        u *= f;
        w *= f;
        vx[e] = u;
        vy[e] = w;
      }
      if (fields) {
        u -= (ax[e] as number) * halfH;
        w -= (ay[e] as number) * halfH;
      } else {
        u -= gx;
        w -= gy;
      }
      px[e] = (px[e] as number) + u * h;
      py[e] = (py[e] as number) + w * h;
      dpx[e] = (dpx[e] as number) + u * h;
      dpy[e] = (dpy[e] as number) + w * h;
    }
  }

  /**
   * The elastic rule for impacts: passes over the contacts in which every contact approaching
   * faster than the restitution threshold gets the impulse that reverses its relative normal
   * velocity times the restitution, computed from the current velocities. Each such impulse
   * conserves momentum, and kinetic energy when the restitution is 1, so elastic chains (Newton's
   * cradle) are exact. Friction rides on the impact's accumulated impulse. A contact that took
   * an impact impulse is an impact contact for the rest of the step: no soft bias, no friction
   * in the substeps, positional correction by projection.
   */
  private impacts(nc: number, s: Scratch, vx: Float64Array, vy: Float64Array, dt: number): void {
    const threshold = this.config.restitutionThresholdMps;
    const { ca, cb, cnx, cny, csep, crest, cmu, cmass, cje, cjt, ctype, ima } = s;
    for (let it = 0; it < this.config.velocityIterations; it++) {
      let any = false;
      for (let c = 0; c < nc; c++) {
        const a = ca[c] as number;
        const b = cb[c] as number;
        const nx = cnx[c] as number;
        const ny = cny[c] as number;
        let rvx = (vx[b] as number) - (vx[a] as number);
        let rvy = (vy[b] as number) - (vy[a] as number);
        const vn = rvx * nx + rvy * ny;
        // An impact: approaching faster than the threshold, and touching within this tick.
        const impact = vn < -threshold && (csep[c] as number) + vn * dt < 0;
        if (!impact && ctype[c] === CONTACT_RESTING) continue;
        const ia = ima[a] as number;
        const ib = ima[b] as number;
        if (impact) {
          const j = -(1 + (crest[c] as number)) * vn * (cmass[c] as number);
          vx[a] = (vx[a] as number) - j * nx * ia;
          vy[a] = (vy[a] as number) - j * ny * ia;
          vx[b] = (vx[b] as number) + j * nx * ib;
          vy[b] = (vy[b] as number) + j * ny * ib;
          cje[c] = (cje[c] as number) + j;
          ctype[c] = CONTACT_FAST;
          any = true;
          rvx = (vx[b] as number) - (vx[a] as number);
          rvy = (vy[b] as number) - (vy[a] as number);
        }
        const mu = cmu[c] as number;
        if (mu > 0) {
          // Tangent t = (-ny, nx); the accumulated friction impulse stays within the cone mu·jn.
          // Alike: the friction step of `solve` below (the same clamp and impulse). Written out in
          // both, as the normal impulses are: the per-contact inner loops of the solver, where a
          // call would take a dozen arguments.
          const vt = -rvx * ny + rvy * nx;
          const old = cjt[c] as number;
          const limit = mu * (cje[c] as number);
          let acc = old - vt * (cmass[c] as number);
          acc = acc < -limit ? -limit : Math.min(acc, limit);
          const d = acc - old;
          if (d !== 0) {
            cjt[c] = acc;
            const tx = -ny * d;
            const ty = nx * d;
            vx[a] = (vx[a] as number) - tx * ia;
            vy[a] = (vy[a] as number) - ty * ia;
            vx[b] = (vx[b] as number) + tx * ib;
            vy[b] = (vy[b] as number) + ty * ib;
          }
        }
      }
      if (!any) break;
    }
    // With the impacts' velocities: a touching contact separating faster than the threshold
    // resolves itself (a push-out would only add energy), and one still closing faster than it
    // (more impacts in a chain than passes) is next tick's impact; both are fast contacts.
    for (let c = 0; c < nc; c++) {
      if (ctype[c] === CONTACT_FAST) continue;
      const a = ca[c] as number;
      const b = cb[c] as number;
      const sep = csep[c] as number;
      const vn =
        ((vx[b] as number) - (vx[a] as number)) * (cnx[c] as number) +
        ((vy[b] as number) - (vy[a] as number)) * (cny[c] as number);
      if ((sep < 0 && vn > threshold) || (vn < -threshold && sep + vn * dt < 0))
        ctype[c] = CONTACT_FAST;
    }
  }

  /** The soft-contact coefficients for substeps of h seconds (a damped spring, solved implicitly). */
  private softness(h: number): Softness {
    const hertz = Math.min(this.config.contactHertz, 0.25 / h);
    const omega = 2 * Math.PI * hertz;
    const a1 = 2 * this.config.contactDampingRatio + h * omega;
    const a2 = h * omega * a1;
    const a3 = 1 / (1 + a2);
    return { biasRate: omega / a1, massScale: a2 * a3, impulseScale: a3 };
  }

  /**
   * One pass of the contact solver over every contact, at the separation tracked from the
   * step's start. With `useBias`, a resting contact's penetration is pushed out by a soft
   * constraint (a stiff, heavily damped spring, solved implicitly, at most contactPushMaxMps);
   * without it (the relax pass) only approach is removed, so the push-out velocity does not
   * outlive the substep. Normal impulses are accumulated and clamped to push only; friction
   * (resting contacts) accumulates within the cone of the accumulated normal impulse.
   */
  private solve(
    nc: number,
    s: Scratch,
    vx: Float64Array,
    vy: Float64Array,
    invH: number,
    soft: Softness,
    useBias: boolean,
  ): void {
    const { ca, cb, cnx, cny, csep, cmu, cmass, cjn, cjt, ctype, ima, dpx, dpy } = s;
    const pushMax = this.config.contactPushMaxMps;
    const threshold = this.config.restitutionThresholdMps;
    const { biasRate } = soft;
    const softMass = useBias ? soft.massScale : 1;
    const softImpulse = useBias ? soft.impulseScale : 0;
    for (let c = 0; c < nc; c++) {
      const a = ca[c] as number;
      const b = cb[c] as number;
      const nx = cnx[c] as number;
      const ny = cny[c] as number;
      const sep =
        (csep[c] as number) +
        ((dpx[b] as number) - (dpx[a] as number)) * nx +
        ((dpy[b] as number) - (dpy[a] as number)) * ny;
      const resting = ctype[c] === CONTACT_RESTING;
      let bias = 0;
      let massScale = 1;
      let impulseScale = 0;
      let rvx = (vx[b] as number) - (vx[a] as number);
      let rvy = (vy[b] as number) - (vy[a] as number);
      const vn = rvx * nx + rvy * ny;
      if (sep > 0) {
        // Apart: approach is allowed up to closing the gap within a substep. A contact closing
        // faster than the restitution threshold is next tick's impact: the relax pass leaves it
        // alone rather than stop it inelastically.
        if (!useBias && vn < -threshold) continue;
        bias = sep * invH;
      } else if (useBias && resting) {
        bias = Math.max(biasRate * sep, -pushMax);
        massScale = softMass;
        impulseScale = softImpulse;
      }
      const ia = ima[a] as number;
      const ib = ima[b] as number;
      const m = cmass[c] as number;
      const old = cjn[c] as number;
      let acc = old - m * massScale * (vn + bias) - impulseScale * old;
      if (acc < 0) acc = 0;
      const j = acc - old;
      if (j !== 0) {
        cjn[c] = acc;
        vx[a] = (vx[a] as number) - j * nx * ia;
        vy[a] = (vy[a] as number) - j * ny * ia;
        vx[b] = (vx[b] as number) + j * nx * ib;
        vy[b] = (vy[b] as number) + j * ny * ib;
        rvx = (vx[b] as number) - (vx[a] as number);
        rvy = (vy[b] as number) - (vy[a] as number);
      }
      const mu = cmu[c] as number;
      if (mu === 0) continue;
      const vt = -rvx * ny + rvy * nx;
      const oldT = cjt[c] as number;
      const limit = mu * acc;
      let accT = oldT - vt * m;
      accT = accT < -limit ? -limit : Math.min(accT, limit);
      const d = accT - oldT;
      if (d !== 0) {
        cjt[c] = accT;
        const tx = -ny * d;
        const ty = nx * d;
        vx[a] = (vx[a] as number) - tx * ia;
        vy[a] = (vy[a] as number) - ty * ia;
        vx[b] = (vx[b] as number) + tx * ib;
        vy[b] = (vy[b] as number) + ty * ib;
      }
    }
  }

  /**
   * Substep 0 starts from last tick's impulses of the same pairs, fast contacts included (the
   * solver takes back what a separating contact does not need; a column whose velocities are
   * still settling must not lose its load).
   */
  private warmFromCache(nc: number, s: Scratch, cache: ContactCache): void {
    const { ca, cb, cjn, cjt } = s;
    for (let c = 0; c < nc; c++) {
      cjn[c] = 0;
      cjt[c] = 0;
      const i = cache.find(ca[c] as number, cb[c] as number);
      if (i < 0) continue;
      const jn = cache.jn[i] as number;
      cjn[c] = jn;
      cjt[c] = (((cache.jt[i] as number) * (s.cmu[c] as number)) / 127) * jn;
    }
  }

  /**
   * Keeps this tick's contact impulses for the next tick's warm start; not those of bodies that
   * fell asleep (an island that wakes starts from no load, and a sleeping world's snapshot
   * carries no contacts).
   */
  private storeCache(nc: number, s: Scratch, cache: ContactCache): void {
    const { ca, cb, cjn, cje, cjt, ctype, flags } = s;
    // Mark the kept contacts (ctype 2) in a first pass, so the cache is sized once.
    let k = 0;
    for (let c = 0; c < nc; c++) {
      // A contact that took an impact this tick is left out: a bounce is no load to carry over.
      if (
        (cjn[c] !== 0 || cjt[c] !== 0) &&
        cje[c] === 0 &&
        (((flags[ca[c] as number] as number) | (flags[cb[c] as number] as number)) &
          FLAG_ASLEEP) ===
          0
      ) {
        ctype[c] = CONTACT_KEPT;
        k++;
      }
    }
    cache.reset(k);
    for (let c = 0; c < nc; c++) {
      if (ctype[c] === CONTACT_KEPT)
        cache.add(
          ca[c] as number,
          cb[c] as number,
          cjn[c] as number,
          cjt[c] as number,
          (s.cmu[c] as number) * (cjn[c] as number),
        );
    }
  }

  /** Applies the accumulated impulses, the substep's warm start. */
  private warmStart(nc: number, s: Scratch, vx: Float64Array, vy: Float64Array): void {
    const { ca, cb, cnx, cny, cjn, cjt, ima } = s;
    for (let c = 0; c < nc; c++) {
      const jn = cjn[c] as number;
      const jt = cjt[c] as number;
      if (jn === 0 && jt === 0) continue;
      const a = ca[c] as number;
      const b = cb[c] as number;
      const nx = cnx[c] as number;
      const ny = cny[c] as number;
      const jx = nx * jn - ny * jt;
      const jy = ny * jn + nx * jt;
      const ia = ima[a] as number;
      const ib = ima[b] as number;
      vx[a] = (vx[a] as number) - jx * ia;
      vy[a] = (vy[a] as number) - jy * ia;
      vx[b] = (vx[b] as number) + jx * ib;
      vy[b] = (vy[b] as number) + jy * ib;
    }
  }

  /**
   * Projects contacts apart (positions only), `positionIterations` passes: a fast contact's
   * penetration beyond `slopM`, and a resting contact's beyond `penetrationMaxM` (the soft
   * contact pushes out the rest; this bounds what a violent landing can press in).
   */
  private project(nc: number, s: Scratch, px: Float64Array, py: Float64Array): void {
    const { ca, cb, cnx, cny, csep, ctype, ima, dpx, dpy } = s;
    const slop = this.config.slopM;
    const deep = this.config.penetrationMaxM;
    const factor = this.config.correctionFactor;
    for (let it = 0; it < this.config.positionIterations; it++) {
      for (let c = 0; c < nc; c++) {
        const allowed = ctype[c] === CONTACT_FAST ? slop : deep;
        const a = ca[c] as number;
        const b = cb[c] as number;
        const nx = cnx[c] as number;
        const ny = cny[c] as number;
        const sep =
          (csep[c] as number) +
          ((dpx[b] as number) - (dpx[a] as number)) * nx +
          ((dpy[b] as number) - (dpy[a] as number)) * ny;
        const pen = -sep - allowed;
        if (pen <= 0) continue;
        const ia = ima[a] as number;
        const ib = ima[b] as number;
        const corr = (factor * pen) / (ia + ib);
        px[a] = (px[a] as number) - nx * corr * ia;
        py[a] = (py[a] as number) - ny * corr * ia;
        px[b] = (px[b] as number) + nx * corr * ib;
        py[b] = (py[b] as number) + ny * corr * ib;
        dpx[a] = (dpx[a] as number) - nx * corr * ia;
        dpy[a] = (dpy[a] as number) - ny * corr * ia;
        dpx[b] = (dpx[b] as number) + nx * corr * ib;
        dpy[b] = (dpy[b] as number) + ny * corr * ib;
      }
    }
  }

  private fault(world: World, e: Eid): void {
    world.addComponent(e, Faulted);
    world.emit("body_invalid", world.handle(e));
  }

  private scratchFor(world: World): Scratch {
    let s = this.scratch.get(world);
    if (!s) {
      s = makeScratch(world, this.cols * this.rows);
      this.scratch.set(world, s);
    }
    return s;
  }

  /**
   * Fills s.ax, s.ay with each dynamic body's acceleration at its current position, and returns
   * true, when the world has attractors or springs; returns false (and fills nothing) when gravity
   * is the only field, which `kick` then applies directly.
   */
  private accelerate(world: World, list: Int32Array, n: number, s: Scratch): boolean {
    const attractors = s.attractors.ids();
    const springs = s.springs.ids();
    if (attractors.length === 0 && springs.length === 0) return false;
    const { px, py, vx, vy } = s.arrays;
    const { ax, ay, ima } = s;
    const gx = this.config.gravity.x;
    const gy = this.config.gravity.y;
    for (let i = 0; i < n; i++) {
      const e = list[i] as number;
      ax[e] = gx;
      ay[e] = gy;
    }
    if (attractors.length > 0) {
      const att = world.store(Attractor);
      for (let j = 0; j < attractors.length; j++) {
        const a = attractors[j] as number;
        const strength = att.strength[a] as number;
        const soft2 = (att.softening[a] as number) * (att.softening[a] as number);
        const cx = px[a] as number;
        const cy = py[a] as number;
        for (let i = 0; i < n; i++) {
          const e = list[i] as number;
          if (ima[e] === 0 || e === a) continue;
          const dx = cx - (px[e] as number);
          const dy = cy - (py[e] as number);
          const r2 = dx * dx + dy * dy + soft2;
          if (r2 === 0) continue;
          const f = strength / (r2 * Math.sqrt(r2));
          ax[e] = (ax[e] as number) + f * dx;
          ay[e] = (ay[e] as number) + f * dy;
        }
      }
    }
    if (springs.length > 0) {
      const sp = world.store(Spring);
      for (let j = 0; j < springs.length; j++) {
        const id = springs[j] as number;
        const a = world.tryResolve(sp.a[id] as number);
        if (a < 0 || !this.takesPart(a, s)) continue;
        const bHandle = sp.b[id] as number;
        let b = -1;
        let bx = sp.ax[id] as number;
        let by = sp.ay[id] as number;
        let bvx = 0;
        let bvy = 0;
        if (bHandle !== NO_ENTITY) {
          b = world.tryResolve(bHandle);
          if (b < 0 || !this.takesPart(b, s)) continue;
          bx = px[b] as number;
          by = py[b] as number;
          bvx = vx[b] as number;
          bvy = vy[b] as number;
        }
        const dx = bx - (px[a] as number);
        const dy = by - (py[a] as number);
        const len = Math.sqrt(dx * dx + dy * dy);
        const ux = len > 0 ? dx / len : 0;
        const uy = len > 0 ? dy / len : 1;
        const rel = (bvx - (vx[a] as number)) * ux + (bvy - (vy[a] as number)) * uy;
        // Positive f pulls a towards b.
        const f =
          (sp.k[id] as number) * (len - (sp.rest[id] as number)) + (sp.damping[id] as number) * rel;
        const ia = ima[a] as number;
        ax[a] = (ax[a] as number) + f * ux * ia;
        ay[a] = (ay[a] as number) + f * uy * ia;
        if (b >= 0) {
          const ib = ima[b] as number;
          ax[b] = (ax[b] as number) - f * ux * ib;
          ay[b] = (ay[b] as number) - f * uy * ib;
        }
      }
    }
    return true;
  }

  /** Whether a spring end is a body validated this tick (others have stale scratch). */
  private takesPart(e: Eid, s: Scratch): boolean {
    return s.stamp[e] === s.round;
  }

  private cellOf(v: number, min: number, count: number): number {
    const c = Math.floor((v - min) / this.config.cellSize);
    return c < 0 ? 0 : c >= count ? count - 1 : c;
  }

  /**
   * Uniform-grid broadphase and narrowphase over every listed body; fills the contact arrays (pairs
   * of awake bodies), s.sensorPairs, and s.touched (sleeping bodies an awake mover touches).
   */
  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: a named exception (docs/ARCHITECTURE.md, "Long functions")
  private findContacts(list: Int32Array, n: number, s: Scratch): number {
    const { px, py, hw, hh, shape, kind, material } = s.arrays;
    const { flags, cx0, cx1, cy0, cy1, cellStart, cellFill } = s;
    const b = this.config.bounds;
    const cols = this.cols;
    const rows = this.rows;
    const cells = cols * rows;

    // Counting sort of (body, cell) entries by cell, each box grown by half the contact margin.
    const margin = this.config.contactMarginM;
    const grow = margin * 0.5;
    cellStart.fill(0);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const e = list[i] as number;
      const x = px[e] as number;
      const y = py[e] as number;
      const a = this.cellOf(x - (hw[e] as number) - grow, b.minX, cols);
      const z = this.cellOf(x + (hw[e] as number) + grow, b.minX, cols);
      const c = this.cellOf(y - (hh[e] as number) - grow, b.minY, rows);
      const d = this.cellOf(y + (hh[e] as number) + grow, b.minY, rows);
      cx0[e] = a;
      cx1[e] = z;
      cy0[e] = c;
      cy1[e] = d;
      for (let r = c; r <= d; r++) {
        for (let q = a; q <= z; q++)
          cellStart[r * cols + q + 1] = (cellStart[r * cols + q + 1] as number) + 1;
      }
      total += (z - a + 1) * (d - c + 1);
    }
    for (let i = 0; i < cells; i++)
      cellStart[i + 1] = (cellStart[i + 1] as number) + (cellStart[i] as number);
    if (s.entries.length < total) growEntries(s, Math.max(total, s.entries.length * 2));
    // Each entry carries a copy of what the pair tests read, so a cell's pairs read memory in
    // order rather than through the ids.
    const { entries, ex, ey, ew, eh, ecx, ecy, ekf } = s;
    cellFill.set(cellStart.subarray(0, cells));
    for (let i = 0; i < n; i++) {
      const e = list[i] as number;
      const x = px[e] as number;
      const y = py[e] as number;
      const w = (hw[e] as number) + grow;
      const h = (hh[e] as number) + grow;
      const x0 = cx0[e] as number;
      const y0 = cy0[e] as number;
      const kf = (flags[e] as number) | ((kind[e] as number) << 4);
      for (let r = y0; r <= (cy1[e] as number); r++) {
        for (let q = x0; q <= (cx1[e] as number); q++) {
          const cell = r * cols + q;
          const k = cellFill[cell] as number;
          entries[k] = e;
          ex[k] = x;
          ey[k] = y;
          ew[k] = w;
          eh[k] = h;
          ecx[k] = x0;
          ecy[k] = y0;
          ekf[k] = kf;
          cellFill[cell] = k + 1;
        }
      }
    }

    // Pairs within each cell. A pair is tested only in the cell holding the lower-left corner of
    // the two boxes' overlap, so a pair sharing several cells is reported once, in cell order.
    const sensorPairs = s.sensorPairs;
    sensorPairs.length = 0;
    let nc = 0;
    const restOf = this.restitutionOf;
    const fricOf = this.frictionOf;
    for (let cell = 0; cell < cells; cell++) {
      const start = cellStart[cell] as number;
      const end = cellStart[cell + 1] as number;
      if (end - start < 2) continue;
      const cellX = cell % cols;
      const cellY = (cell - cellX) / cols;
      for (let i = start; i < end - 1; i++) {
        const a = entries[i] as number;
        const ka = (ekf[i] as number) >> 4;
        const xa = ex[i] as number;
        const ya = ey[i] as number;
        const wa = ew[i] as number;
        const ha = eh[i] as number;
        const fa = (ekf[i] as number) & 15;
        const ax0 = ecx[i] as number;
        const ay0 = ecy[i] as number;
        for (let j = i + 1; j < end; j++) {
          const kb = (ekf[j] as number) >> 4;
          const fb = (ekf[j] as number) & 15;
          const sensorPair = (fa ^ fb) & FLAG_SENSOR;
          const asleep = (fa | fb) & FLAG_ASLEEP;
          if (sensorPair === 0) {
            if (fa & FLAG_SENSOR) continue; // two sensors
            if (asleep !== 0) {
              // A sleeping body near an awake one that moves (dynamic or kinematic) wakes.
              if ((fa & fb & FLAG_ASLEEP) !== 0 || (fa & FLAG_ASLEEP ? kb : ka) === BodyKind.Static)
                continue;
            } else if (ka !== BodyKind.Dynamic && kb !== BodyKind.Dynamic) continue;
          } else if ((fa & FLAG_SENSOR ? kb : ka) === BodyKind.Static) {
            continue; // sensors report moving bodies only
          }
          const xb = ex[j] as number;
          const yb = ey[j] as number;
          const dx = xa - xb;
          const dy = ya - yb;
          if (
            (dx < 0 ? -dx : dx) >= wa + (ew[j] as number) ||
            (dy < 0 ? -dy : dy) >= ha + (eh[j] as number)
          )
            continue;
          // The cell of the overlap's lower-left corner: cellOf is monotonic, so it is the larger
          // of the two boxes' first cells on each axis.
          if (
            Math.max(ax0, ecx[j] as number) !== cellX ||
            Math.max(ay0, ecy[j] as number) !== cellY
          )
            continue;
          const bb = entries[j] as number;
          if (
            !collide(
              margin,
              shape[a] as number,
              xa,
              ya,
              hw[a] as number,
              hh[a] as number,
              shape[bb] as number,
              xb,
              yb,
              hw[bb] as number,
              hh[bb] as number,
            )
          )
            continue;
          if (asleep !== 0 && sensorPair === 0) {
            const z = fa & FLAG_ASLEEP ? a : bb;
            if (((flags[z] as number) & FLAG_TOUCHED) === 0) {
              flags[z] = (flags[z] as number) | FLAG_TOUCHED;
              s.touched[s.touchedCount++] = z;
            }
            continue;
          }
          if (sensorPair !== 0) {
            if ((hit[2] as number) <= 0) continue; // a sensor reports overlaps, not nearness
            if (fa & FLAG_SENSOR) sensorPairs.push(a, bb);
            else sensorPairs.push(bb, a);
            continue;
          }
          if (nc === s.contactCap) growContacts(s);
          s.ca[nc] = a;
          s.cb[nc] = bb;
          s.cnx[nc] = hit[0] as number;
          s.cny[nc] = hit[1] as number;
          const ra = restOf[material[a] as number] as number;
          const rb = restOf[material[bb] as number] as number;
          s.crest[nc] = Math.max(ra, rb);
          s.cmu[nc] = Math.sqrt(
            (fricOf[material[a] as number] as number) * (fricOf[material[bb] as number] as number),
          );
          s.csep[nc] = -(hit[2] as number);
          s.cmass[nc] = 1 / ((s.ima[a] as number) + (s.ima[bb] as number));
          s.cjn[nc] = 0;
          s.cje[nc] = 0;
          s.cjt[nc] = 0;
          s.ctype[nc] = CONTACT_RESTING;
          nc++;
        }
      }
    }
    return nc;
  }

  private diffSensors(world: World, eidPairs: number[]): void {
    const state = useResource(world, SENSOR_RESOURCE, () => new SensorOverlaps());
    if (eidPairs.length === 0 && state.pairs.length === 0) return;
    const current: [number, number][] = [];
    for (let i = 0; i < eidPairs.length; i += 2) {
      current.push([world.handle(eidPairs[i] as number), world.handle(eidPairs[i + 1] as number)]);
    }
    current.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    const prev = state.pairs;
    // Merge the two sorted lists: pairs only in prev exited, pairs only in current entered.
    let i = 0;
    let j = 0;
    while (i < prev.length || j < current.length) {
      const ps = i < prev.length ? (prev[i] as number) : Number.POSITIVE_INFINITY;
      const pb = i < prev.length ? (prev[i + 1] as number) : Number.POSITIVE_INFINITY;
      const cur = current[j];
      const cs = cur ? cur[0] : Number.POSITIVE_INFINITY;
      const cbh = cur ? cur[1] : Number.POSITIVE_INFINITY;
      if (ps === cs && pb === cbh) {
        i += 2;
        j++;
      } else if (ps < cs || (ps === cs && pb < cbh)) {
        world.emit("sensor_exit", ps, pb);
        i += 2;
      } else {
        world.emit("sensor_enter", cs, cbh);
        j++;
      }
    }
    state.pairs = current.flat();
  }

  private applyBounds(list: Int32Array, n: number, arrays: BodyArrays): void {
    const b = this.config.bounds;
    const threshold = this.config.restitutionThresholdMps;
    const { px, py, vx, vy, kind, material, hw, hh } = arrays;
    for (let i = 0; i < n; i++) {
      const e = list[i] as number;
      const k = kind[e] as number;
      if (k === BodyKind.Static) continue;
      const w = hw[e] as number;
      const h = hh[e] as number;
      const rest =
        k === BodyKind.Dynamic ? (this.restitutionOf[material[e] as number] as number) : 0;
      const x = px[e] as number;
      const y = py[e] as number;
      if (x - w < b.minX) {
        px[e] = b.minX + w;
        const u = vx[e] as number;
        if (u < 0) vx[e] = -u > threshold ? -u * rest : 0;
      } else if (x + w > b.maxX) {
        px[e] = b.maxX - w;
        const u = vx[e] as number;
        if (u > 0) vx[e] = u > threshold ? -u * rest : 0;
      }
      if (y - h < b.minY) {
        py[e] = b.minY + h;
        const v = vy[e] as number;
        if (v < 0) vy[e] = -v > threshold ? -v * rest : 0;
      } else if (y + h > b.maxY) {
        py[e] = b.maxY - h;
        const v = vy[e] as number;
        if (v > 0) vy[e] = v > threshold ? -v * rest : 0;
      }
    }
  }

  // ─── measurements (for tests, benchmarks and dashboards; not used by the step) ────────────────

  /** Total kinetic energy of dynamic bodies, joules. */
  kineticEnergy(world: World): number {
    const ids = this.bodies(world).ids();
    const { vx, vy, invMass, kind } = this.scratchFor(world).arrays;
    let sum = 0;
    for (let i = 0; i < ids.length; i++) {
      const e = ids[i] as number;
      const im = invMass[e] as number;
      if (kind[e] !== BodyKind.Dynamic || im === 0) continue;
      const u = vx[e] as number;
      const w = vy[e] as number;
      sum += (0.5 * (u * u + w * w)) / im;
    }
    return sum;
  }

  /** Potential energy of dynamic bodies in gravity, attractors and springs, joules. */
  potentialEnergy(world: World): number {
    const ids = this.bodies(world).ids();
    const { px, py, invMass, kind } = this.scratchFor(world).arrays;
    const g = this.config.gravity;
    let sum = 0;
    const attractors = world.query([Position, Attractor]).ids();
    const att = world.store(Attractor);
    for (let i = 0; i < ids.length; i++) {
      const e = ids[i] as number;
      const im = invMass[e] as number;
      if (kind[e] !== BodyKind.Dynamic || im === 0) continue;
      const m = 1 / im;
      sum -= m * (g.x * (px[e] as number) + g.y * (py[e] as number));
      for (let j = 0; j < attractors.length; j++) {
        const a = attractors[j] as number;
        if (a === e) continue;
        const dx = (px[a] as number) - (px[e] as number);
        const dy = (py[a] as number) - (py[e] as number);
        const soft = att.softening[a] as number;
        sum -= ((att.strength[a] as number) * m) / Math.sqrt(dx * dx + dy * dy + soft * soft);
      }
    }
    const springs = world.query([Spring]).ids();
    const sp = world.store(Spring);
    for (let j = 0; j < springs.length; j++) {
      const id = springs[j] as number;
      const a = world.tryResolve(sp.a[id] as number);
      if (a < 0) continue;
      const bHandle = sp.b[id] as number;
      const b = bHandle === NO_ENTITY ? -1 : world.tryResolve(bHandle);
      if (bHandle !== NO_ENTITY && b < 0) continue;
      const bx = b >= 0 ? (px[b] as number) : (sp.ax[id] as number);
      const by = b >= 0 ? (py[b] as number) : (sp.ay[id] as number);
      const dx = bx - (px[a] as number);
      const dy = by - (py[a] as number);
      const stretch = Math.sqrt(dx * dx + dy * dy) - (sp.rest[id] as number);
      sum += 0.5 * (sp.k[id] as number) * stretch * stretch;
    }
    return sum;
  }

  /** Total linear momentum of dynamic bodies, kg·m/s. */
  momentum(world: World): { x: number; y: number } {
    const ids = this.bodies(world).ids();
    const { vx, vy, invMass, kind } = this.scratchFor(world).arrays;
    let x = 0;
    let y = 0;
    for (let i = 0; i < ids.length; i++) {
      const e = ids[i] as number;
      const im = invMass[e] as number;
      if (kind[e] !== BodyKind.Dynamic || im === 0) continue;
      x += (vx[e] as number) / im;
      y += (vy[e] as number) / im;
    }
    return { x, y };
  }

  /** Adds a spring from body `a` to body `b`, or to the fixed point `anchor`; returns the spring's entity. */
  addSpring(
    world: World,
    spec: {
      readonly a: Eid;
      readonly b?: Eid;
      readonly anchor?: { readonly x: number; readonly y: number };
      readonly k: number;
      readonly rest?: number;
      readonly damping?: number;
    },
  ): Eid {
    const rest = spec.rest ?? 0;
    const damping = spec.damping ?? 0;
    if (!isFiniteNumber(spec.k) || spec.k < 0)
      throw new InvalidArgumentError(`spring k must be >= 0, got ${spec.k}`);
    if (!isFiniteNumber(rest) || rest < 0)
      throw new InvalidArgumentError(`spring rest must be >= 0, got ${rest}`);
    if (!isFiniteNumber(damping) || damping < 0)
      throw new InvalidArgumentError(`spring damping must be >= 0, got ${damping}`);
    if ((spec.b === undefined) === (spec.anchor === undefined)) {
      throw new InvalidArgumentError(
        "a spring needs exactly one of b (a body) or anchor (a point)",
      );
    }
    const anchor = spec.anchor ?? { x: 0, y: 0 };
    if (!isFiniteNumber(anchor.x) || !isFiniteNumber(anchor.y))
      throw new InvalidArgumentError("spring anchor must be finite");
    const ha = world.handle(spec.a);
    const hb = spec.b === undefined ? NO_ENTITY : world.handle(spec.b);
    const e = world.createEntity();
    world.addComponent(e, Spring);
    const sp = world.store(Spring);
    sp.a[e] = ha;
    sp.b[e] = hb;
    sp.ax[e] = anchor.x;
    sp.ay[e] = anchor.y;
    sp.k[e] = spec.k;
    sp.rest[e] = rest;
    sp.damping[e] = damping;
    return e;
  }

  /** Adds a point attractor at (x, y); returns its entity. */
  addAttractor(
    world: World,
    spec: {
      readonly x: number;
      readonly y: number;
      readonly strength: number;
      readonly softening?: number;
    },
  ): Eid {
    const softening = spec.softening ?? 0.1;
    for (const v of [spec.x, spec.y, spec.strength, softening]) {
      if (!isFiniteNumber(v))
        throw new InvalidArgumentError("attractor x, y, strength and softening must be finite");
    }
    if (softening <= 0)
      throw new InvalidArgumentError(`attractor softening must be > 0, got ${softening}`);
    const e = world.createEntity();
    world.addComponent(e, Position);
    world.addComponent(e, Attractor);
    world.store(Position).x[e] = spec.x;
    world.store(Position).y[e] = spec.y;
    world.store(Attractor).strength[e] = spec.strength;
    world.store(Attractor).softening[e] = softening;
    return e;
  }
}

export function createPhysics(options: PhysicsOptions = {}): Physics {
  return new Physics(options);
}
