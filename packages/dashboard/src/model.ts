/**
 * The world as the page knows it: entities from `state` pushes (deltas applied in version order)
 * and from `state` query results, with what the renderer needs to interpolate between pushes.
 * Pure: no DOM, so it is tested in Node.
 */
import type { EntityView } from "./protocol.js";

/** An entity with its last two known positions and when they were known (ms, the page's clock). */
export interface TrackedEntity {
  readonly id: number;
  kind: string;
  name: string | undefined;
  /** The entity's own shape, for kinds whose members differ (walls, zones). */
  shape: { readonly shape: "circle" | "box"; readonly hw: number; readonly hh: number } | undefined;
  /** Where it was at `t0`. */
  x0: number;
  y0: number;
  t0: number;
  /** Where it was at `t1` (the latest push that moved it). */
  x1: number;
  y1: number;
  t1: number;
}

/** A jump longer than this (world units) between two pushes is a teleport: no gliding across. */
export const TELEPORT_DISTANCE = 20;

/** Kinds whose moves are always teleports (a collected coin reappears elsewhere). */
const ALWAYS_SNAP = new Set(["coin"]);

/** Smoothing of the push-interval estimate (exponential moving average weight of a new sample). */
const INTERVAL_EMA = 0.3;
const MIN_DELAY_MS = 50;
const MAX_DELAY_MS = 3000;

export class WorldModel {
  readonly entities = new Map<number, TrackedEntity>();
  /** The world version of the last delta applied (pushes come in version order). */
  version = -1;
  tick = 0;
  /** When the last push arrived, and the estimated time between pushes. */
  lastPushAt = Number.NaN;
  pushIntervalMs = 500;

  /** Replaces everything with `entities` as of `now` (a full push or a `state` result). */
  replaceAll(entities: readonly EntityView[], now: number, version?: number): void {
    const seen = new Set<number>();
    for (const e of entities) {
      seen.add(e.id);
      this.#upsert(e, now);
    }
    for (const id of [...this.entities.keys()]) if (!seen.has(id)) this.entities.delete(id);
    if (version !== undefined) this.version = version;
  }

  /**
   * Applies a push: `full` replaces the world; otherwise `changed` moves or adds and `removed`
   * deletes. A push older than what is known is ignored (`false`).
   */
  applyPush(
    push: {
      readonly version: number;
      readonly tick: number;
      readonly full: boolean;
      readonly changed: readonly EntityView[];
      readonly removed: readonly number[];
    },
    now: number,
  ): boolean {
    if (push.version <= this.version && !push.full) return false;
    this.#notePush(now);
    if (push.full) this.replaceAll(push.changed, now);
    else {
      for (const e of push.changed) this.#upsert(e, now);
      for (const id of push.removed) this.entities.delete(id);
    }
    this.version = push.version;
    this.tick = push.tick;
    return true;
  }

  /** How far behind the newest push the view renders: about one push interval. */
  renderDelayMs(): number {
    return Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, this.pushIntervalMs));
  }

  /** Where `e` is drawn at page time `renderAt`. */
  positionAt(e: TrackedEntity, renderAt: number): { x: number; y: number } {
    return interpolate(e, renderAt);
  }

  /** The entity named `name` (a player's own body). */
  byName(name: string): TrackedEntity | undefined {
    for (const e of this.entities.values()) if (e.name === name) return e;
    return undefined;
  }

  #notePush(now: number): void {
    if (!Number.isNaN(this.lastPushAt)) {
      const sample = now - this.lastPushAt;
      if (sample > 0 && sample < 10_000) {
        this.pushIntervalMs = this.pushIntervalMs * (1 - INTERVAL_EMA) + sample * INTERVAL_EMA;
      }
    }
    this.lastPushAt = now;
  }

  #upsert(e: EntityView, now: number): void {
    const known = this.entities.get(e.id);
    const shape =
      e.shape === undefined
        ? undefined
        : { shape: e.shape, hw: e.hw ?? 0.5, hh: e.hh ?? e.hw ?? 0.5 };
    if (known === undefined) {
      this.entities.set(e.id, {
        id: e.id,
        kind: e.kind,
        name: e.name,
        shape,
        x0: e.x,
        y0: e.y,
        t0: now,
        x1: e.x,
        y1: e.y,
        t1: now,
      });
      return;
    }
    const jump = Math.hypot(e.x - known.x1, e.y - known.y1);
    const snap = ALWAYS_SNAP.has(e.kind) || jump > TELEPORT_DISTANCE || known.kind !== e.kind;
    // Glide from where it is drawn right now to the new position, over one push interval: the
    // view renders one interval behind, so it reaches (x, y) about when the next push arrives.
    const renderAt = now - this.renderDelayMs();
    const from = snap ? { x: e.x, y: e.y } : interpolate(known, renderAt);
    known.x0 = from.x;
    known.y0 = from.y;
    known.t0 = renderAt;
    known.x1 = e.x;
    known.y1 = e.y;
    known.t1 = now;
    known.kind = e.kind;
    known.name = e.name;
    known.shape = shape;
  }
}

/** Linear interpolation between an entity's two known positions, clamped to them. */
export function interpolate(
  e: Pick<TrackedEntity, "x0" | "y0" | "t0" | "x1" | "y1" | "t1">,
  at: number,
): { x: number; y: number } {
  if (at >= e.t1 || e.t1 <= e.t0) return { x: e.x1, y: e.y1 };
  if (at <= e.t0) return { x: e.x0, y: e.y0 };
  const a = (at - e.t0) / (e.t1 - e.t0);
  return { x: e.x0 + (e.x1 - e.x0) * a, y: e.y0 + (e.y1 - e.y0) * a };
}

/** The nearest entity of `kind` to (x, y), with its distance. */
export function nearest(
  entities: Iterable<{ readonly kind: string; readonly x1: number; readonly y1: number }>,
  kind: string,
  x: number,
  y: number,
): { x: number; y: number; distance: number } | undefined {
  let best: { x: number; y: number; distance: number } | undefined;
  for (const e of entities) {
    if (e.kind !== kind) continue;
    const d = Math.hypot(e.x1 - x, e.y1 - y);
    if (best === undefined || d < best.distance) best = { x: e.x1, y: e.y1, distance: d };
  }
  return best;
}
