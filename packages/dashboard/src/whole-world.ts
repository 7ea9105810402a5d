/**
 * The whole world for an operator. Pushes bring each connection only the area near its player
 * (the game's area of interest), so an operator who is also a player would see only that. This
 * layer asks the `state` query (the whole world, as of the last commit) every few seconds, one
 * at a time, while it is on and connected, and the view lays the pushed area over it: near the
 * player the entities move at the push rate, the rest as the commits go (drawn faded).
 *
 * When the pushes already bring the whole world (a watcher of a game that sends watchers the
 * world, or a game with no area limits) the layer is not needed and asks nothing.
 */
import {
  type EntityView,
  Interpolator,
  type QueryResult,
  type StateQueryResult,
} from "@ledgerquest/client";

/** How often the whole world is asked for. Within the default limit of 2 queries a second. */
export const WHOLE_WORLD_EVERY_MS = 2000;

export interface WholeWorldDeps {
  /** The SDK's `state` query. */
  readonly state: () => Promise<QueryResult<"state">>;
  /** Whether a query can go now (connected). */
  readonly connected: () => boolean;
  /** The page's clock (the interpolation's). */
  readonly now: () => number;
  readonly teleportDistance: number;
  readonly everyMs?: number;
}

export class WholeWorld {
  readonly #deps: WholeWorldDeps;
  readonly #interpolator: Interpolator;
  #on = false;
  #loaded = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #asking = false;
  #far = new Set<number>();

  constructor(deps: WholeWorldDeps) {
    this.#deps = deps;
    this.#interpolator = new Interpolator({ teleportDistance: deps.teleportDistance });
  }

  /** Whether it is on (asking) and has a world to show. */
  get showing(): boolean {
    return this.#on && this.#loaded;
  }

  get on(): boolean {
    return this.#on;
  }

  /** Turns the layer on (asking at once) or off (forgetting what it had). */
  setOn(on: boolean): void {
    if (on === this.#on) return;
    this.#on = on;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (on) void this.#ask();
    else this.#loaded = false;
  }

  /** Stops for good. */
  stop(): void {
    this.setOn(false);
  }

  /**
   * The entities to draw at page time `now`: the pushed `area` (interpolated by the caller), and
   * every other entity of the last whole world (interpolated between the last two).
   */
  entitiesAt(now: number, area: readonly EntityView[]): EntityView[] {
    this.#far = new Set();
    if (!this.showing) return [...area];
    const near = new Set<number>();
    for (const e of area) near.add(e.id);
    const out = [...area];
    const t = this.#interpolator.renderTimeMs(now);
    for (const e of this.#interpolator.entitiesAt(t)) {
      if (near.has(e.id)) continue;
      out.push(e);
      this.#far.add(e.id);
    }
    return out;
  }

  /** Whether the last `entitiesAt` took entity `id` from the whole world (not the pushed area). */
  far(id: number): boolean {
    return this.#far.has(id);
  }

  async #ask(): Promise<void> {
    if (!this.#on || this.#asking) return;
    if (this.#deps.connected()) {
      this.#asking = true;
      try {
        const r = await this.#deps.state();
        if (r.ok && this.#on) this.#take(r.data);
      } finally {
        this.#asking = false;
      }
    }
    if (this.#on) {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => void this.#ask(), this.#deps.everyMs ?? WHOLE_WORLD_EVERY_MS);
    }
  }

  #take(state: StateQueryResult): void {
    this.#interpolator.record(state.entities, this.#deps.now());
    this.#loaded = true;
  }
}
