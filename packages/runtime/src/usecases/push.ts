/**
 * Pushes: what each connection of a world is sent while its loop runs. A `WorldPusher` lives as
 * long as its Lambda container (one per world and set of dependencies) and remembers what it sent
 * each connection, so that every frame after a connection's first is a delta against the frame
 * before it (named by `baseTick`).
 *
 * What a connection is sent is its area of interest (`PushSettings` of the game): the entities
 * nearest its player's own entity, those the game sends everyone (`always`), and its own; a
 * connection whose player has no entity (a watcher) gets the whole world or nothing of it, as the
 * game says. A delta carries entities that entered the area whole, entities that only moved as
 * `[id, x, y]` triples (positions rounded to the game's decimals, so a move smaller than that is
 * no move), and the ids of entities that left it. A connection whose area did not change is sent
 * nothing until `idleMs` passed; every `keyframeMs` it gets its whole area again.
 *
 * The pusher resets (whole frames for everyone) when it sees the world's version jump, which
 * means another container's pusher sent frames it does not know of: a delta is only ever sent
 * against a frame this pusher itself delivered.
 */

import { API_GATEWAY_INTEGRATION_TIMEOUT_MS } from "../definitions/limits.js";
import { RuntimeError } from "../errors.js";
import type { ConnectionRecord, PlayerRecord } from "../ports/entity-store.js";
import type { EntityLook, EntityView, GameModule, PushSettings } from "../world/game.js";
import type { RuntimeDeps } from "./deps.js";

/** What every connection of a world is sent while its loop runs (client-protocol.md). */
export interface StatePushFrame {
  readonly type: "state";
  readonly worldId: string;
  /** The world's last committed version (the ticks after it are the running batch's). */
  readonly version: number;
  /** The world's tick this frame shows. */
  readonly tick: number;
  /**
   * `changed` is the whole view (replace what you have), else a delta against the frame this
   * connection was sent at `baseTick`.
   */
  readonly full: boolean;
  /**
   * On full frames: what the view covers, `area` (the entities near the player's own, and those
   * sent to everyone) or `world` (every entity). It changes only with a full frame.
   */
  readonly scope?: "area" | "world";
  /** The tick of the frame this delta applies to; absent on a full frame. */
  readonly baseTick?: number;
  /** The world's state hash at `tick`: on full frames and on the frame after a commit. */
  readonly stateHash?: string;
  /** The journal's size and head: on full frames, and when they changed (see `idleMs`). */
  readonly ledger?: { readonly count: number; readonly head: string };
  /**
   * Whole entities: on a full frame every entity of the view; on a delta those that entered it
   * and those that changed more than their position.
   */
  readonly changed: readonly EntityView[];
  /** On a delta: entities that only moved, as flat triples `[id, x, y, id, x, y, ...]`. */
  readonly moved?: readonly number[];
  /** On a delta: ids of the entities that left the view (went out of the area, or were destroyed). */
  readonly removed: readonly number[];
  /**
   * The ids of this player's commands the world applied since the frame before (the frame shows
   * their effect): how a client knows which of its inputs the server has taken, to reconcile
   * what it predicted.
   */
  readonly applied?: readonly string[];
  /** The player's profile: on a full frame (when known), and when it changed. */
  readonly you?: PlayerRecord;
  /** The batch that committed, on the frame that follows its commit. */
  readonly batch?: {
    readonly ticks: number;
    readonly commandsApplied: number;
    readonly ledgerEntries: number;
    /** This tick function's time for the batch: loading, simulating, committing. */
    readonly durationMs: number;
  };
  /** Held outside the system accounts, per unit: on the frame after a commit, and full frames. */
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
  /** By player: the ids of the player's commands applied since the last push. */
  readonly applied?: ReadonlyMap<string, readonly string[]>;
}

export interface PushCounts {
  /** Frames sent. */
  readonly pushed: number;
  /** Connections found gone (and removed). */
  readonly gone: number;
  /** Bytes of the frames sent. */
  readonly bytes: number;
  /** Connections sent nothing this time: nothing in their area changed (absent: none). */
  readonly idle?: number;
  /** Of the frames sent, the full ones (absent: none). */
  readonly full?: number;
}

export interface WorldPusherOptions {
  /** How often the world's connection list is read again. Default 1,000 ms. */
  readonly connectionsRefreshMs?: number;
  /** Settings instead of the game's own (`pushSettingsOf(deps.game)`), for tools and benches. */
  readonly settings?: PushSettings;
}

// ─── settings ───────────────────────────────────────────────────────────────────────────────────

/** A game's push settings with every default filled in. */
export interface ResolvedPushSettings {
  readonly hz: number;
  readonly nearest: number;
  readonly radius: number;
  readonly always: ((entity: EntityView) => boolean) | undefined;
  readonly watchers: "world" | "none";
  readonly decimals: number;
  readonly idleMs: number;
  readonly keyframeMs: number;
}

/** What a game that says nothing about pushes gets (see `PushSettings` for each). */
export const DEFAULT_PUSH_SETTINGS: ResolvedPushSettings = {
  hz: 20,
  nearest: 64,
  radius: Number.POSITIVE_INFINITY,
  always: undefined,
  watchers: "world",
  decimals: 2,
  idleMs: 1000,
  keyframeMs: 10_000,
};

/**
 * How far past the area an entity in it may go before it leaves it: 25% more distance, and 25%
 * more entities nearer. An entity at the edge then does not flap in and out (each entry costs a
 * whole entity, each exit an id).
 */
const LEAVE_SLACK = 1.25;

/**
 * How long after its `$connect` recorded it a connection may still be opening: API Gateway's
 * integration timeout bounds the `$connect` and authorizer, and a second of slack. A push to it
 * in that time that finds it gone leaves its record alone (deleting it would leave an open
 * socket whose every frame is refused `not_in_world`).
 */
export const CONNECTING_MS_MAX = API_GATEWAY_INTEGRATION_TIMEOUT_MS + 1000;

const SETTING_KEYS: ReadonlySet<string> = new Set([
  "hz",
  "nearest",
  "radius",
  "always",
  "watchers",
  "decimals",
  "idleMs",
  "keyframeMs",
]);

/** What is wrong with a game's push settings, one sentence per field (empty: nothing). */
export function pushSettingsProblems(input: unknown): string[] {
  if (input === undefined) return [];
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return ["push: must be an object ({ hz, nearest, radius, always, watchers, ... })"];
  }
  const s = input as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(s)) {
    if (!SETTING_KEYS.has(key)) {
      problems.push(`push.${key}: no such setting (${[...SETTING_KEYS].join(", ")})`);
    }
  }
  const num = (key: string, ok: (n: number) => boolean, rule: string) => {
    const v = s[key];
    if (v !== undefined && !(typeof v === "number" && !Number.isNaN(v) && ok(v))) {
      problems.push(`push.${key}: must be ${rule}, got ${String(v)}`);
    }
  };
  num("hz", (n) => n > 0 && n <= 60, "above 0 and at most 60");
  num(
    "nearest",
    (n) => n === Number.POSITIVE_INFINITY || (Number.isInteger(n) && n >= 1),
    "a whole number from 1, or Infinity",
  );
  num("radius", (n) => n > 0, "above 0 (Infinity for no limit)");
  num("decimals", (n) => Number.isInteger(n) && n >= 0 && n <= 6, "a whole number from 0 to 6");
  num("idleMs", (n) => n >= 50 && n <= 60_000, "from 50 to 60,000");
  num(
    "keyframeMs",
    (n) => n === Number.POSITIVE_INFINITY || (Number.isFinite(n) && n >= 1000),
    "at least 1,000 (or Infinity)",
  );
  if (s.always !== undefined && typeof s.always !== "function") {
    problems.push("push.always: must be a function (entity) => boolean");
  }
  if (s.watchers !== undefined && s.watchers !== "world" && s.watchers !== "none") {
    problems.push(`push.watchers: must be "world" or "none", got ${JSON.stringify(s.watchers)}`);
  }
  return problems;
}

const resolved = new WeakMap<PushSettings, ResolvedPushSettings>();

/** `settings` with the defaults filled in; settings that cannot work are a `RangeError` naming them. */
export function resolvePushSettings(settings: PushSettings | undefined): ResolvedPushSettings {
  if (settings === undefined) return DEFAULT_PUSH_SETTINGS;
  const known = resolved.get(settings);
  if (known !== undefined) return known;
  const problems = pushSettingsProblems(settings);
  if (problems.length > 0) throw new RangeError(`game push settings: ${problems.join("; ")}`);
  const d = DEFAULT_PUSH_SETTINGS;
  const out: ResolvedPushSettings = {
    hz: settings.hz ?? d.hz,
    nearest: settings.nearest ?? d.nearest,
    radius: settings.radius ?? d.radius,
    always: settings.always ?? d.always,
    watchers: settings.watchers ?? d.watchers,
    decimals: settings.decimals ?? d.decimals,
    idleMs: settings.idleMs ?? d.idleMs,
    keyframeMs: settings.keyframeMs ?? d.keyframeMs,
  };
  resolved.set(settings, out);
  return out;
}

/** The game's push settings with the defaults filled in (`hz`: the rate a batch pushes at). */
export function pushSettingsOf(game: Pick<GameModule, "push">): ResolvedPushSettings {
  return resolvePushSettings(game.push);
}

// ─── one push's view, prepared once for every connection ───────────────────────────────────────

/**
 * A small number for each entity id the pusher has seen, the same from push to push, so that
 * what each connection has is an array by slot (not a map by id), and the latest `Known` of
 * each entity is kept from one push to the next.
 */
class Slots {
  readonly #byId = new Map<number, number>();
  /** Entity id by slot. */
  readonly ids: number[] = [];
  /** The latest `Known` of each slot's entity. */
  readonly known: (Known | undefined)[] = [];
  /** Stamps by slot, to mark one connection's entities at a time. */
  marks = new Int32Array(1024);
  #stamp = 0;

  get size(): number {
    return this.ids.length;
  }

  slotOf(id: number): number {
    let slot = this.#byId.get(id);
    if (slot === undefined) {
      slot = this.ids.length;
      this.#byId.set(id, slot);
      this.ids.push(id);
      if (slot >= this.marks.length) {
        const grown = new Int32Array(this.marks.length * 2);
        grown.set(this.marks);
        this.marks = grown;
      }
    }
    return slot;
  }

  /** A stamp no slot has yet. */
  nextStamp(): number {
    this.#stamp++;
    return this.#stamp;
  }
}

const fractionTables = new Map<number, readonly string[]>();

/** The text after the whole part of a number of `decimals` places whose fraction is `f`. */
function fractionText(f: number, decimals: number): string {
  const digits = String(f).padStart(decimals, "0").replace(/0+$/, "");
  return digits === "" ? "" : `.${digits}`;
}

/** `fractionText` of every fraction, for up to 3 decimals (a table of 1,000 at most). */
function fractionsOf(decimals: number): readonly string[] {
  if (decimals > 3) return [];
  let table = fractionTables.get(decimals);
  if (table === undefined) {
    const out: string[] = [];
    for (let f = 0; f < 10 ** decimals; f++) out.push(fractionText(f, decimals));
    table = out;
    fractionTables.set(decimals, table);
  }
  return table;
}

/** The view of one push: positions rounded, shapes known, and an index to find what is near. */
class PreparedView {
  readonly views: readonly EntityView[];
  readonly count: number;
  /** Ids, as a plain array: small ids stay small integers (a typed array of doubles would box them). */
  readonly ids: number[];
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** Half extents (a circle's radius in `hw`); 0 for an entity of unknown look (a point). */
  readonly hw: Float64Array;
  readonly hh: Float64Array;
  readonly circle: Uint8Array;
  /** Entity index by the entity's name (the first entity of a name). */
  readonly byName = new Map<string, number>();
  /** Indexes of the entities every connection is sent. */
  readonly always: readonly number[];
  readonly #isAlways: Uint8Array;
  readonly #settings: ResolvedPushSettings;
  readonly #scale: number;
  readonly #fractions: readonly string[];
  readonly #statics: (string | undefined)[];
  readonly #wholes: (EntityView | undefined)[];
  #grid: Grid | undefined;
  #all: number[] | undefined;
  #scratch: { readonly distance: Float64Array; readonly found: Int32Array } | undefined;
  readonly #known: (Known | undefined)[];
  readonly #slots: Slots;
  /** Each entity's slot (see `Slots`). */
  readonly slot: Int32Array;
  readonly #wholeTexts: (string | undefined)[] = [];
  readonly #movedTexts: (string | undefined)[] = [];

  constructor(
    views: readonly EntityView[],
    settings: ResolvedPushSettings,
    looks: Readonly<Record<string, EntityLook>> | undefined,
    /** The pusher's slots: what the last pushes knew of each entity, kept if it did not change. */
    slots: Slots,
  ) {
    const n = views.length;
    this.views = views;
    this.count = n;
    this.#settings = settings;
    this.#scale = 10 ** settings.decimals;
    this.#fractions = fractionsOf(settings.decimals);
    this.ids = new Array<number>(n);
    this.x = new Float64Array(n);
    this.y = new Float64Array(n);
    this.hw = new Float64Array(n);
    this.hh = new Float64Array(n);
    this.circle = new Uint8Array(n);
    this.#isAlways = new Uint8Array(n);
    this.#statics = new Array(n);
    this.#wholes = new Array(n);
    this.#known = new Array(n);
    this.#slots = slots;
    this.slot = new Int32Array(n);
    const always: number[] = [];
    for (let i = 0; i < n; i++) {
      const e = views[i] as EntityView;
      this.ids[i] = e.id;
      this.slot[i] = slots.slotOf(e.id);
      this.x[i] = this.round(e.x);
      this.y[i] = this.round(e.y);
      const look = looks?.[e.kind];
      this.hw[i] = Math.abs(e.hw ?? look?.hw ?? 0);
      this.hh[i] = Math.abs(e.hh ?? look?.hh ?? e.hw ?? look?.hw ?? 0);
      this.circle[i] = (e.shape ?? look?.shape) === "circle" ? 1 : 0;
      if (e.name !== undefined && !this.byName.has(e.name)) this.byName.set(e.name, i);
      if (settings.always?.(e) === true) {
        always.push(i);
        this.#isAlways[i] = 1;
      }
    }
    this.always = always;
  }

  round(v: number): number {
    return Math.round(v * this.#scale) / this.#scale;
  }

  /**
   * A rounded position as JSON writes it, from its whole number of hundredths (say) rather than
   * from the double: a few times faster, and the same text (the shortest that reads back).
   */
  #decimal(v: number): string {
    const n = Math.round(v * this.#scale);
    const abs = Math.abs(n);
    if (!(abs < 1e15)) return num(v);
    const whole = Math.floor(abs / this.#scale);
    const fraction = abs - whole * this.#scale;
    const text = `${whole}${this.#fractions[fraction] ?? fractionText(fraction, this.#settings.decimals)}`;
    return n < 0 ? `-${text}` : text;
  }

  id(i: number): number {
    return this.ids[i] as number;
  }

  isAlways(i: number): boolean {
    return this.#isAlways[i] === 1;
  }

  /** Everything of entity `i` but its position, as text: a change means it is sent whole. */
  statics(i: number): string {
    let s = this.#statics[i];
    if (s === undefined) {
      const e = this.views[i] as unknown as Record<string, unknown>;
      s = "";
      for (const key in e) {
        if (key === "x" || key === "y") continue;
        const v = e[key];
        s += `${key}\u0000${typeof v === "object" ? JSON.stringify(v) : String(v)}\u0000`;
      }
      this.#statics[i] = s;
    }
    return s;
  }

  /** Entity `i` as it is sent whole: its view with the rounded position. */
  whole(i: number): EntityView {
    let w = this.#wholes[i];
    if (w === undefined) {
      const e = this.views[i] as EntityView;
      const x = this.x[i] as number;
      const y = this.y[i] as number;
      w = e.x === x && e.y === y ? e : { ...e, x, y };
      this.#wholes[i] = w;
    }
    return w;
  }

  /** Distance from a point to entity `i`'s shape (0 inside it). */
  distance(px: number, py: number, i: number): number {
    const dx = Math.abs((this.x[i] as number) - px);
    const dy = Math.abs((this.y[i] as number) - py);
    const hw = this.hw[i] as number;
    if (this.circle[i] === 1) return Math.max(0, Math.sqrt(dx * dx + dy * dy) - hw);
    const ox = Math.max(0, dx - hw);
    const oy = Math.max(0, dy - (this.hh[i] as number));
    return Math.sqrt(ox * ox + oy * oy);
  }

  /** Buffers for one area query at a time: distances by entity, and the entities found. */
  scratch(): { readonly distance: Float64Array; readonly found: Int32Array } {
    this.#scratch ??= {
      distance: new Float64Array(this.count),
      found: new Int32Array(this.count),
    };
    return this.#scratch;
  }

  /** What a connection has of entity `i` once it is sent this push (see `Known`). */
  known(i: number): Known {
    let k = this.#known[i];
    if (k === undefined) {
      const x = this.x[i] as number;
      const y = this.y[i] as number;
      const statics = this.statics(i);
      const slot = this.slot[i] as number;
      const before = this.#slots.known[slot];
      k =
        before !== undefined && before.x === x && before.y === y && before.statics === statics
          ? before
          : { x, y, statics };
      this.#known[i] = k;
      this.#slots.known[slot] = k;
    }
    return k;
  }

  /** Entity `i` whole, as JSON. */
  wholeText(i: number): string {
    let t = this.#wholeTexts[i];
    if (t === undefined) {
      t = JSON.stringify(this.whole(i));
      this.#wholeTexts[i] = t;
    }
    return t;
  }

  /** Entity `i`'s move, as the JSON of its triple's numbers (`id,x,y`). */
  movedText(i: number): string {
    let t = this.#movedTexts[i];
    if (t === undefined) {
      t = `${num(this.id(i))},${this.#decimal(this.x[i] as number)},${this.#decimal(this.y[i] as number)}`;
      this.#movedTexts[i] = t;
    }
    return t;
  }

  /** Every entity's index. */
  all(): readonly number[] {
    this.#all ??= Array.from({ length: this.count }, (_, i) => i);
    return this.#all;
  }

  grid(): Grid {
    this.#grid ??= new Grid(this, this.#settings);
    return this.#grid;
  }
}

/**
 * A uniform grid over one push's entities (cells half as wide as the area that holds the
 * `nearest` entities where they are spread evenly), its cells' entities stored one after the
 * other. Entities wider than half a cell are looked at for every query.
 */
class Grid {
  readonly cellSize: number;
  readonly minX: number;
  readonly minY: number;
  readonly nx: number;
  readonly ny: number;
  /** Cell c's entities are `items[starts[c]]` to `items[starts[c + 1] - 1]`; cells by row of y. */
  readonly starts: Int32Array;
  readonly items: Int32Array;
  readonly large: readonly number[];
  /** A distance past which every entity has been found. */
  readonly span: number;
  /** The first search distance: the one that holds `nearest` entities spread evenly. */
  readonly firstReach: number;

  constructor(view: PreparedView, settings: ResolvedPushSettings) {
    const n = view.count;
    let minX = Number.POSITIVE_INFINITY;
    let minY = Number.POSITIVE_INFINITY;
    let maxX = Number.NEGATIVE_INFINITY;
    let maxY = Number.NEGATIVE_INFINITY;
    let extent = 0;
    // An entity where no number says (NaN, Infinity: a game's bug) is never near anything; it
    // must not stretch the grid either.
    const placed = (i: number) =>
      Number.isFinite((view.x[i] as number) + (view.y[i] as number)) &&
      Number.isFinite((view.hw[i] as number) + (view.hh[i] as number));
    for (let i = 0; i < n; i++) {
      if (!placed(i)) continue;
      const x = view.x[i] as number;
      const y = view.y[i] as number;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      extent = Math.max(extent, view.hw[i] as number, view.hh[i] as number);
    }
    if (minX > maxX) {
      minX = 0;
      minY = 0;
      maxX = 0;
      maxY = 0;
    }
    const width = maxX - minX;
    const height = maxY - minY;
    this.span = Math.sqrt(width * width + height * height) + 2 * extent;
    // Entities along a line (or at one point) still spread over an area, for the first guess.
    const side = Math.max(width, height, 1e-6);
    const area = Math.max(width, side / 16) * Math.max(height, side / 16);
    const want = Math.ceil(settings.nearest * LEAVE_SLACK);
    const evenReach = Number.isFinite(want)
      ? Math.sqrt((want * area) / (Math.PI * Math.max(1, n)))
      : Number.POSITIVE_INFINITY;
    this.firstReach = Math.max(Math.min(evenReach, settings.radius * LEAVE_SLACK, this.span), 1e-6);
    // Half the first reach, but never more cells than a few per entity.
    const cell = Math.max(this.firstReach / 2, Math.sqrt(area / (4 * n + 64)), 1e-6);
    this.cellSize = cell;
    this.minX = minX;
    this.minY = minY;
    this.nx = Math.floor(width / cell) + 1;
    this.ny = Math.floor(height / cell) + 1;
    const cellOf = new Int32Array(n);
    const counts = new Int32Array(this.nx * this.ny + 1);
    const large: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!placed(i)) {
        cellOf[i] = -1;
        continue;
      }
      if (Math.max(view.hw[i] as number, view.hh[i] as number) > cell / 2) {
        large.push(i);
        cellOf[i] = -1;
        continue;
      }
      const cx = Math.min(this.nx - 1, Math.floor(((view.x[i] as number) - minX) / cell));
      const cy = Math.min(this.ny - 1, Math.floor(((view.y[i] as number) - minY) / cell));
      const c = cy * this.nx + cx;
      cellOf[i] = c;
      counts[c + 1] = (counts[c + 1] as number) + 1;
    }
    for (let c = 0; c < this.nx * this.ny; c++) {
      counts[c + 1] = (counts[c + 1] as number) + (counts[c] as number);
    }
    this.starts = counts.slice();
    const items = new Int32Array(counts[this.nx * this.ny] as number);
    for (let i = 0; i < n; i++) {
      const c = cellOf[i] as number;
      if (c < 0) continue;
      items[counts[c] as number] = i;
      counts[c] = (counts[c] as number) + 1;
    }
    this.items = items;
    this.large = large;
  }
}

/** Whether entity `a` ranks before `b`: nearer, or as near with a smaller id. */
function before(distance: Float64Array, view: PreparedView, a: number, b: number): boolean {
  const da = distance[a] as number;
  const db = distance[b] as number;
  return da < db || (da === db && view.id(a) < view.id(b));
}

/**
 * Reorders `list[from..to)` so that its `k`th element (counting from `from`) is where a sort
 * would put it, with none after it ranking before it (Hoare's selection; no full sort needed).
 */
function select(
  list: Int32Array,
  from: number,
  to: number,
  k: number,
  distance: Float64Array,
  view: PreparedView,
): void {
  let lo = from;
  let hi = to - 1;
  const target = from + k;
  while (lo < hi) {
    const pivot = list[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (before(distance, view, list[i] as number, pivot)) i++;
      while (before(distance, view, pivot, list[j] as number)) j--;
      if (i <= j) {
        const t = list[i] as number;
        list[i] = list[j] as number;
        list[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return;
  }
}

/**
 * The entities a viewer at entity `self` is sent: itself, the `always` ones, and its area (the
 * `nearest` within `radius`); an entity it already has (`had`) stays until it is past the slack:
 * farther than 1.25 x `radius`, or no longer among the 1.25 x `nearest` nearest.
 */
function areaOf(
  view: PreparedView,
  settings: ResolvedPushSettings,
  self: number,
  had: readonly (Known | undefined)[] | undefined,
): number[] {
  const out: number[] = [self];
  for (const i of view.always) if (i !== self) out.push(i);
  const grid = view.grid();
  const px = view.x[self] as number;
  const py = view.y[self] as number;
  const leaveCount = Math.ceil(settings.nearest * LEAVE_SLACK);
  const leaveRadius = settings.radius * LEAVE_SLACK;
  const { distance, found } = view.scratch();
  const { cellSize, minX, minY, nx, ny, starts, items, large } = grid;
  // Small entities reach half a cell past their centre's cell.
  const margin = cellSize / 2;
  let count = 0;
  let reach = grid.firstReach;
  for (;;) {
    count = 0;
    const consider = (i: number): void => {
      if (i === self || view.isAlways(i)) return;
      const d = view.distance(px, py, i);
      if (d <= reach) {
        distance[i] = d;
        found[count++] = i;
      }
    };
    for (const i of large) consider(i);
    const x0 = Math.max(0, Math.floor((px - reach - margin - minX) / cellSize));
    const x1 = Math.min(nx - 1, Math.floor((px + reach + margin - minX) / cellSize));
    const y0 = Math.max(0, Math.floor((py - reach - margin - minY) / cellSize));
    const y1 = Math.min(ny - 1, Math.floor((py + reach + margin - minY) / cellSize));
    for (let cy = y0; cy <= y1; cy++) {
      const row = cy * nx;
      const end = starts[row + x1 + 1] as number;
      // A row's cells are stored one after the other: one run from x0 to x1.
      for (let k = starts[row + x0] as number; k < end; k++) consider(items[k] as number);
    }
    if (count >= leaveCount || reach >= leaveRadius || reach >= grid.span) break;
    reach = Math.min(reach * 1.5, leaveRadius);
  }
  // The `nearest` first, then the rest of the `leaveCount` first, each in no particular order.
  const first = Math.min(count, settings.nearest);
  const kept = Math.min(count, leaveCount);
  if (count > first) select(found, 0, count, first - 1, distance, view);
  if (count > kept) select(found, first, count, kept - first - 1, distance, view);
  for (let r = 0; r < kept; r++) {
    const i = found[r] as number;
    const d = distance[i] as number;
    if (d > leaveRadius) continue;
    if ((r < first && d <= settings.radius) || had?.[view.slot[i] as number] !== undefined) {
      out.push(i);
    }
  }
  return out;
}

// ─── the pusher ─────────────────────────────────────────────────────────────────────────────────

/**
 * What a connection was last sent of an entity. One object per entity and push, shared by every
 * connection, and kept from push to push while the entity does not change: a connection that
 * has the very object has the entity as it is.
 */
interface Known {
  readonly x: number;
  readonly y: number;
  readonly statics: string;
}

/** What a connection was last sent. */
interface Sent {
  tick: number;
  scope: "area" | "world";
  /** What it has of each entity, by slot; updated in place (a failed post forgets the record). */
  readonly known: (Known | undefined)[];
  /** The slots of the entities it has. */
  readonly members: readonly number[];
  atMs: number;
  fullAtMs: number;
  ledger: { readonly count: number; readonly head: string } | undefined;
  ledgerAtMs: number;
}

/** A frame for one connection, as text, and what the connection has once it arrives. */
interface Planned {
  readonly message: string;
  readonly full: boolean;
  readonly sent: Sent;
}

/** A number as JSON writes it. */
function num(v: number): string {
  return Number.isFinite(v) ? String(v) : "null";
}

export class WorldPusher {
  readonly #deps: RuntimeDeps;
  readonly #worldId: string;
  readonly #refreshMs: number;
  readonly #settings: ResolvedPushSettings;
  readonly #looks: Readonly<Record<string, EntityLook>> | undefined;
  readonly #sent = new Map<string, Sent>();
  /** The latest profile of each player this pusher was told of, for full frames. */
  readonly #profiles = new Map<string, PlayerRecord>();
  #slots = new Slots();
  #supply: Readonly<Record<string, number>> | undefined;
  #last: { readonly version: number; readonly tick: number } | undefined;
  #connections: readonly ConnectionRecord[] = [];
  #listedAtMs = Number.NEGATIVE_INFINITY;
  /** The push under way: pushes run one after the other, each a delta on the one before. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: RuntimeDeps, worldId: string, options: WorldPusherOptions = {}) {
    this.#deps = deps;
    this.#worldId = worldId;
    this.#refreshMs = options.connectionsRefreshMs ?? 1000;
    this.#settings =
      options.settings === undefined
        ? pushSettingsOf(deps.game)
        : resolvePushSettings(options.settings);
    this.#looks = deps.game.describe?.().kinds;
  }

  /** The settings this pusher sends by. */
  get settings(): ResolvedPushSettings {
    return this.#settings;
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
      // Forget connections that went, so memory follows the live ones.
      const live = new Set(this.#connections.map((c) => c.connectionId));
      for (const id of [...this.#sent.keys()]) if (!live.has(id)) this.#sent.delete(id);
    }
    return this.#connections;
  }

  /**
   * Forgets every connection's frames when pushes do not follow on from this pusher's own: the
   * world went back (a restore), or it committed a version this pusher did not push (another
   * container ran a batch, and its frames are what the clients have now).
   */
  #followOn(input: PushInput): void {
    const last = this.#last;
    this.#last = { version: input.version, tick: input.tick };
    if (last === undefined) return;
    const next = input.version === last.version + 1 && input.batch !== undefined;
    if (input.tick < last.tick || (input.version !== last.version && !next)) this.#sent.clear();
  }

  /**
   * Sends every connection of the world what it has not seen of `input` in its area. Pushes run
   * one at a time, in the order they were called (a call waits for the one before it).
   */
  push(input: PushInput): Promise<PushCounts> {
    const run = this.#queue.then(() => this.#push(input));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #push(input: PushInput): Promise<PushCounts> {
    const connections = await this.#listConnections();
    const now = this.#deps.clock.nowMs();
    this.#followOn(input);
    for (const [player, profile] of input.profiles) this.#profiles.set(player, profile);
    if (input.supply !== undefined) this.#supply = input.supply;
    if (this.#slots.size > 2 * input.view.length + 1024) {
      // Slots of entities long gone pile up: start afresh (every connection gets a full frame).
      this.#slots = new Slots();
      this.#sent.clear();
    }
    const view = new PreparedView(input.view, this.#settings, this.#looks, this.#slots);
    let pushed = 0;
    let gone = 0;
    let bytes = 0;
    let idle = 0;
    let full = 0;
    const goneIds = new Set<string>();
    await Promise.all(
      connections.map(async (c) => {
        const planned = this.#frameFor(c, input, view, now);
        if (planned === undefined) {
          idle++;
          return;
        }
        // Until the post is known to have arrived, the connection has nothing the next frame
        // could be a delta of: a frame that may or may not have arrived is followed by a whole one.
        this.#sent.delete(c.connectionId);
        try {
          if ((await this.#deps.push.post(c.connectionId, planned.message)) === "gone") {
            // Recorded by its `$connect`, which has not returned yet: API Gateway answers Gone
            // until it has. Not gone; the next push finds it open (and sends it everything).
            if (now - c.connectedAtMs < CONNECTING_MS_MAX) return;
            gone++;
            goneIds.add(c.connectionId);
            await this.#deps.store.deleteConnection(c.connectionId);
          } else {
            pushed++;
            if (planned.full) full++;
            bytes += Buffer.byteLength(planned.message);
            this.#sent.set(c.connectionId, planned.sent);
          }
        } catch (error) {
          // A push is best effort. Only the adapters' typed failures are expected here;
          // anything else is a bug.
          if (!(error instanceof RuntimeError)) throw error;
        }
      }),
    );
    if (goneIds.size > 0)
      this.#connections = this.#connections.filter((c) => !goneIds.has(c.connectionId));
    return {
      pushed,
      gone,
      bytes,
      ...(idle > 0 ? { idle } : {}),
      ...(full > 0 ? { full } : {}),
    };
  }

  /** The frame connection `c` is due; undefined when nothing is. */
  /**
   * What the connection is sent: the whole world (a watcher, where the game says so, or a player
   * with an unbounded area), else its player's area (or what every client sees, for a watcher).
   */
  #areaFor(
    c: ConnectionRecord,
    view: PreparedView,
    last: Sent | undefined,
  ): { scope: "area" | "world"; area: readonly number[] } {
    const s = this.#settings;
    const self = view.byName.get(c.playerId);
    const unbounded =
      s.nearest === Number.POSITIVE_INFINITY && s.radius === Number.POSITIVE_INFINITY;
    const scope: "area" | "world" =
      (self === undefined && s.watchers === "world") || (self !== undefined && unbounded)
        ? "world"
        : "area";
    const area: readonly number[] =
      scope === "world"
        ? view.all()
        : self === undefined
          ? view.always
          : areaOf(view, s, self, last?.scope === scope ? last.known : undefined);
    return { scope, area };
  }

  /**
   * The area's entities against what the connection has (`known`, updated in place): the slots
   * now in its area, the entities new or changed beyond position (whole), the ones only moved,
   * and the ids of those that left it (ascending).
   */
  #diff(
    view: PreparedView,
    area: readonly number[],
    known: (Known | undefined)[],
    had: readonly number[],
  ): { members: number[]; changed: string[]; moved: string[]; removed: number[] } {
    const slots = this.#slots;
    const members: number[] = [];
    const changed: string[] = [];
    const moved: string[] = [];
    const stamp = slots.nextStamp();
    const marks = slots.marks;
    for (const i of area) {
      const slot = view.slot[i] as number;
      if (marks[slot] === stamp) continue;
      marks[slot] = stamp;
      members.push(slot);
      const current = view.known(i);
      const before = known[slot];
      if (before === current) continue;
      known[slot] = current;
      if (before === undefined || before.statics !== current.statics) {
        changed.push(view.wholeText(i));
      } else moved.push(view.movedText(i));
    }
    const removed: number[] = [];
    if (had.length > 0) {
      for (const slot of had) {
        if (marks[slot] === stamp) continue;
        removed.push(slots.ids[slot] as number);
        known[slot] = undefined;
      }
      removed.sort((a, b) => a - b);
    }
    return { members, changed, moved, removed };
  }

  #frameFor(
    c: ConnectionRecord,
    input: PushInput,
    view: PreparedView,
    now: number,
  ): Planned | undefined {
    const s = this.#settings;
    const last = this.#sent.get(c.connectionId);
    const { scope, area } = this.#areaFor(c, view, last);
    const whole = last === undefined || last.scope !== scope || now - last.fullAtMs >= s.keyframeMs;

    // What the connection has, brought up to date in place (see `Sent.known`).
    const known = whole || last === undefined ? [] : last.known;
    const had: readonly number[] = whole || last === undefined ? [] : last.members;
    const { members, changed, moved, removed } = this.#diff(view, area, known, had);

    const you =
      input.profiles.get(c.playerId) ?? (whole ? this.#profiles.get(c.playerId) : undefined);
    const supply = input.supply ?? (whole ? this.#supply : undefined);
    const ledgerChanged =
      last?.ledger === undefined ||
      last.ledger.count !== input.ledger.count ||
      last.ledger.head !== input.ledger.head;
    const ledgerDue =
      whole ||
      (ledgerChanged && (input.batch !== undefined || now - (last?.ledgerAtMs ?? 0) >= s.idleMs));
    const applied = input.applied?.get(c.playerId);
    const due =
      whole ||
      (applied !== undefined && applied.length > 0) ||
      changed.length > 0 ||
      moved.length > 0 ||
      removed.length > 0 ||
      you !== undefined ||
      input.batch !== undefined ||
      input.supply !== undefined ||
      ledgerDue ||
      now - (last?.atMs ?? 0) >= s.idleMs;
    if (!due) return undefined;

    // The frame's text is put together from each entity's, made once a push for every
    // connection: the same as `JSON.stringify` of the `StatePushFrame`, in a tenth of the time.
    const head = JSON.stringify({
      type: "state",
      worldId: this.#worldId,
      version: input.version,
      tick: input.tick,
      full: whole,
      ...(whole ? { scope } : { baseTick: (last as Sent).tick }),
      ...(whole || input.batch !== undefined ? { stateHash: input.stateHash } : {}),
      ...(ledgerDue ? { ledger: input.ledger } : {}),
    });
    const tail = JSON.stringify({
      ...(applied === undefined || applied.length === 0 ? {} : { applied }),
      ...(you === undefined ? {} : { you }),
      ...(input.batch === undefined ? {} : { batch: input.batch }),
      ...(supply === undefined ? {} : { supply }),
    });
    const message =
      `${head.slice(0, -1)},"changed":[${changed.join(",")}]` +
      (moved.length > 0 ? `,"moved":[${moved.join(",")}]` : "") +
      `,"removed":[${removed.join(",")}]` +
      (tail === "{}" ? "}" : `,${tail.slice(1)}`);
    return {
      message,
      full: whole,
      sent: {
        tick: input.tick,
        scope,
        known,
        members,
        atMs: now,
        fullAtMs: whole ? now : (last as Sent).fullAtMs,
        ledger: ledgerDue ? input.ledger : last?.ledger,
        ledgerAtMs: ledgerDue ? now : (last?.ledgerAtMs ?? now),
      },
    };
  }
}
