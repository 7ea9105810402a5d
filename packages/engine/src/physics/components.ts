import { defineComponent } from "../ecs/component.js";

/** Centre of a body, in metres (y up). */
export const Position = defineComponent("Position", { x: "f64", y: "f64" });

/** Linear velocity, metres per second. Bodies translate only: there is no angular motion. */
export const Velocity = defineComponent("Velocity", { x: "f64", y: "f64" });

export const BodyKind = {
  /** Moved by forces and contacts. */
  Dynamic: 0,
  /** Moved only by its velocity, which game code sets; pushes dynamic bodies, never pushed. */
  Kinematic: 1,
  /** Never moves. */
  Static: 2,
} as const;
export type BodyKind = (typeof BodyKind)[keyof typeof BodyKind];

/** `Body.sleep` of a sleeping body. */
export const SLEEPING = 255;

/**
 * A rigid body. `invMass` is 1 / mass in 1/kg (0 for kinematic and static bodies); `material`
 * indexes the physics configuration's materials (restitution, friction). `sleep` counts the ticks
 * the body has been still (up to the ticks it takes to fall asleep), and is SLEEPING (255) while
 * it sleeps; the motor owns it (wake a body with Physics.wake, see docs/physics.md), and `kind`,
 * which is set when the body is spawned (to change it, spawn another body).
 */
export const Body = defineComponent("Body", {
  invMass: "f64",
  kind: "u8",
  material: "u8",
  sleep: "u8",
});

export const ShapeKind = {
  Circle: 0,
  /** An axis-aligned box. */
  Box: 1,
} as const;
export type ShapeKind = (typeof ShapeKind)[keyof typeof ShapeKind];

/**
 * A collision shape centred on the body's position: a circle of radius `hw` (then `hh` equals
 * `hw`) or an axis-aligned box of half-width `hw` and half-height `hh`, in metres.
 */
export const Collider = defineComponent("Collider", { shape: "u8", hw: "f64", hh: "f64" });

/** A trigger zone: overlaps are reported as sensor_enter / sensor_exit events, never resolved. */
export const Sensor = defineComponent("Sensor");

/** A body whose state would have become non-finite; physics skips it until game code clears this. */
export const Faulted = defineComponent("Faulted");

/**
 * A point attractor at the entity's Position: accelerates dynamic bodies towards it by
 * `strength / (d² + softening²)` (m/s², `strength` in m³/s²), the softened inverse square law.
 */
export const Attractor = defineComponent("Attractor", { strength: "f64", softening: "f64" });

/**
 * A linear spring (Hooke) from body `a` to body `b`, or to the fixed point (`ax`, `ay`) when `b`
 * is NO_ENTITY. `k` in N/m, `rest` in m, `damping` in N·s/m (0 keeps the spring conservative).
 */
export const Spring = defineComponent("Spring", {
  a: "entity",
  b: "entity",
  ax: "f64",
  ay: "f64",
  k: "f64",
  rest: "f64",
  damping: "f64",
});

/** Every physics component, in the order worlds should list them. */
export const physicsComponents = [
  Position,
  Velocity,
  Body,
  Collider,
  Sensor,
  Faulted,
  Attractor,
  Spring,
] as const;
