import type { EntityHandle } from "../ecs/entity.js";

/**
 * What the simulation reports to the world outside it. Events name entities by handle, so an
 * event still means the right entity after that entity is destroyed. Events wait in the world
 * (and in its snapshot) until a consumer drains them.
 */
export type SimEventKind =
  /** A body began to overlap a sensor. `a` is the sensor, `b` the body. */
  | "sensor_enter"
  /** A body stopped overlapping a sensor (or either was destroyed). `a` sensor, `b` body. */
  | "sensor_exit"
  /**
   * A body's state would have become non-finite (NaN or Infinity) this tick. The body was put
   * back where it was, at rest, and tagged `Faulted`, so the fault does not spread. `a` is the body.
   */
  | "body_invalid"
  /** Raised by game code with `world.emit`: `code` and `value` are the game's to define. */
  | "custom";

export interface SimEvent {
  readonly kind: SimEventKind;
  readonly tick: number;
  readonly a: EntityHandle;
  readonly b: EntityHandle;
  /** A game-defined code (custom events) or 0. */
  readonly code: number;
  /** A game-defined number (custom events) or 0. */
  readonly value: number;
}

export const EVENT_KINDS: readonly SimEventKind[] = [
  "sensor_enter",
  "sensor_exit",
  "body_invalid",
  "custom",
];
