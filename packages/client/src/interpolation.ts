/**
 * Drawing between pushes: pushes come at the game's rate (20 a second by default), a screen
 * redraws sixty times a second or more. An `Interpolator` keeps the last two states it was given,
 * each with the time it arrived, and gives every entity's position at a time between them,
 * linearly. Render at `renderTimeMs(now)` (about one push interval ago) so that the time falls
 * between the two.
 *
 * Entities come and go as they enter and leave the player's area: one that appears is drawn
 * where it is (no glide from nowhere), one that went is no longer drawn. A frame that changes no
 * entity (a quiet area's keep-alive, a `state` result that only brings the profile) is not a new
 * state: it would stop the glide and count as a push interval.
 */
import type { EntityView } from "./protocol.js";
import type { WorldStore } from "./store.js";

export interface InterpolationOptions {
  /**
   * A move longer than this (world units) between two states is a jump, drawn at once, not a
   * glide across the world (a coin collected and put elsewhere, a respawn).
   * @default Infinity
   */
  readonly teleportDistance?: number;
  /**
   * Bounds of the render delay (the estimated push interval).
   * @default { minMs: 50, maxMs: 3000 }
   */
  readonly delay?: { readonly minMs?: number; readonly maxMs?: number };
}

/**
 * The push interval is the median of this many recent samples: a quiet spell (no frame for a
 * second while nothing near moved) is one long sample among short ones, and moves it not at all.
 */
const INTERVAL_SAMPLES = 9;
/** A gap longer than this between two states is an outage, not an interval. */
const INTERVAL_SAMPLE_MAX_MS = 10_000;

export class Interpolator {
  #previous = new Map<number, EntityView>();
  #current = new Map<number, EntityView>();
  #t0 = Number.NaN;
  #t1 = Number.NaN;
  #intervalMs: number | undefined;
  readonly #samples: number[] = [];
  readonly #teleport: number;
  readonly #minDelayMs: number;
  readonly #maxDelayMs: number;

  constructor(options: InterpolationOptions = {}) {
    this.#teleport = options.teleportDistance ?? Number.POSITIVE_INFINITY;
    this.#minDelayMs = options.delay?.minMs ?? 50;
    this.#maxDelayMs = options.delay?.maxMs ?? 3000;
  }

  /**
   * Follows `store`: records its whole view after every change it applies that changes an
   * entity. Returns the function that stops following.
   */
  follow(store: WorldStore): () => void {
    if (store.version >= 0) this.record(store.entities.values(), Number.NaN);
    return store.subscribe((change) => {
      if (!change.full && change.changed.length === 0 && change.removed.length === 0) return;
      this.record(store.entities.values(), change.atMs);
    });
  }

  /** A new state, known at `atMs`: the one before becomes the start of the glide. */
  record(entities: Iterable<EntityView>, atMs: number): void {
    if (!Number.isNaN(this.#t1) && !Number.isNaN(atMs)) {
      const sample = atMs - this.#t1;
      if (sample > 0 && sample < INTERVAL_SAMPLE_MAX_MS) {
        this.#samples.push(sample);
        if (this.#samples.length > INTERVAL_SAMPLES) this.#samples.shift();
        const sorted = [...this.#samples].sort((a, b) => a - b);
        const mid = sorted.length >> 1;
        this.#intervalMs =
          sorted.length % 2 === 1
            ? (sorted[mid] as number)
            : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
      }
    }
    this.#previous = this.#current;
    this.#t0 = this.#t1;
    this.#current = new Map();
    for (const e of entities) this.#current.set(e.id, e);
    this.#t1 = atMs;
  }

  /** The estimated time between states (the median of the last few), once two have come. */
  get intervalMs(): number | undefined {
    return this.#intervalMs;
  }

  /** The time to draw at, at clock time `nowMs`: one estimated interval back, within the bounds. */
  renderTimeMs(nowMs: number): number {
    const delay = Math.min(
      this.#maxDelayMs,
      Math.max(this.#minDelayMs, this.#intervalMs ?? this.#minDelayMs),
    );
    return nowMs - delay;
  }

  /**
   * Where entity `id` is at `atMs`: between its positions in the last two states, clamped to
   * them; its latest position when it is new, was not moved, or jumped. `undefined` for an
   * entity the latest state does not have.
   */
  positionAt(id: number, atMs: number): { readonly x: number; readonly y: number } | undefined {
    const to = this.#current.get(id);
    if (to === undefined) return undefined;
    const from = this.#previous.get(id);
    if (from === undefined) return { x: to.x, y: to.y };
    return lerp(from, to, this.#fraction(atMs), this.#teleport);
  }

  /** Every entity of the latest state, at its position at `atMs`. */
  entitiesAt(atMs: number): EntityView[] {
    const a = this.#fraction(atMs);
    const out: EntityView[] = [];
    for (const to of this.#current.values()) {
      const from = this.#previous.get(to.id);
      const at = from === undefined ? to : lerp(from, to, a, this.#teleport);
      out.push(at.x === to.x && at.y === to.y ? to : { ...to, x: at.x, y: at.y });
    }
    return out;
  }

  /** How far from the previous state to the latest `atMs` is, in [0, 1]. */
  #fraction(atMs: number): number {
    const t0 = this.#t0;
    const t1 = this.#t1;
    if (Number.isNaN(t0) || Number.isNaN(t1) || t1 <= t0 || atMs >= t1) return 1;
    if (atMs <= t0) return 0;
    return (atMs - t0) / (t1 - t0);
  }
}

/** The point a fraction `a` of the way from `from` to `to`; `to` itself for a jump. */
export function lerp(
  from: { readonly x: number; readonly y: number },
  to: { readonly x: number; readonly y: number },
  a: number,
  teleportDistance = Number.POSITIVE_INFINITY,
): { readonly x: number; readonly y: number } {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  if (a >= 1 || Math.sqrt(dx * dx + dy * dy) > teleportDistance) return { x: to.x, y: to.y };
  if (a <= 0) return { x: from.x, y: from.y };
  return { x: from.x + dx * a, y: from.y + dy * a };
}
