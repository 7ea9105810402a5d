import { DefinitionError } from "../errors.js";

export interface Material {
  /** Coefficient of restitution in [0, 1]: 1 bounces without loss. A contact uses the larger of its two bodies'. */
  readonly restitution: number;
  /** Coulomb friction coefficient >= 0. A contact uses the geometric mean of its two bodies'. */
  readonly friction: number;
}

export interface Bounds {
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
}

export interface PhysicsOptions {
  /** m/s². Default (0, -9.81). */
  readonly gravity?: { readonly x: number; readonly y: number };
  /**
   * The world's walls: bodies stay inside and bounce off them with their material's restitution.
   * The broadphase grid covers exactly this rectangle. Default ±100 m square.
   */
  readonly bounds?: Bounds;
  /** Broadphase cell size in metres; about twice the typical body's half-extent. Default 2. */
  readonly cellSize?: number;
  /** Sequential-impulse passes over the contacts per tick. Default 8. */
  readonly velocityIterations?: number;
  /** Passes of positional correction per tick. Default 2. */
  readonly positionIterations?: number;
  /** Fraction of penetration removed per positional pass, in (0, 1]. Default 0.8. */
  readonly correctionFactor?: number;
  /** Penetration tolerated without correction, metres (avoids jitter). Default 0.005. */
  readonly slopM?: number;
  /** Approach speeds below this do not bounce (resting contacts stay at rest). Default 0.5 m/s. */
  readonly restitutionThresholdMps?: number;
  /**
   * Speed limit, m/s. Contacts are detected at the start of each tick, so the engine guarantees
   * no tunnelling while every collider's half-extent is at least 2 · maxSpeedMps · dt. Default 15
   * (half-extents >= 0.5 m at 60 Hz).
   */
  readonly maxSpeedMps?: number;
  /**
   * End the velocity solve with a shock-propagation pass along gravity, so that stacks and piles
   * come to rest (see Physics.shockPass). Default true; it does nothing without gravity.
   */
  readonly shockPropagation?: boolean;
  /** Materials, indexed by Body.material. Default one material: restitution 0.2, friction 0.4. */
  readonly materials?: readonly Material[];
}

export type PhysicsConfig = Required<PhysicsOptions>;

const MAX_CELLS = 1 << 22;

function check(condition: boolean, message: string): void {
  if (!condition) throw new DefinitionError(`physics options: ${message}`);
}

function finite(n: unknown): n is number {
  return typeof n === "number" && Number.isFinite(n);
}

/** Fills defaults and validates; throws DefinitionError naming the option and the rule. */
export function resolvePhysicsConfig(options: PhysicsOptions = {}): PhysicsConfig {
  const config: PhysicsConfig = {
    gravity: options.gravity ?? { x: 0, y: -9.81 },
    bounds: options.bounds ?? { minX: -100, minY: -100, maxX: 100, maxY: 100 },
    cellSize: options.cellSize ?? 2,
    velocityIterations: options.velocityIterations ?? 8,
    positionIterations: options.positionIterations ?? 2,
    correctionFactor: options.correctionFactor ?? 0.8,
    slopM: options.slopM ?? 0.005,
    restitutionThresholdMps: options.restitutionThresholdMps ?? 0.5,
    maxSpeedMps: options.maxSpeedMps ?? 15,
    shockPropagation: options.shockPropagation ?? true,
    materials: options.materials ?? [{ restitution: 0.2, friction: 0.4 }],
  };
  check(finite(config.gravity.x) && finite(config.gravity.y), "gravity must be two finite numbers");
  const b = config.bounds;
  check(
    [b.minX, b.minY, b.maxX, b.maxY].every(finite) && b.minX < b.maxX && b.minY < b.maxY,
    "bounds must be finite with minX < maxX and minY < maxY",
  );
  check(finite(config.cellSize) && config.cellSize > 0, "cellSize must be a positive number");
  const cells =
    Math.ceil((b.maxX - b.minX) / config.cellSize) * Math.ceil((b.maxY - b.minY) / config.cellSize);
  check(
    cells <= MAX_CELLS,
    `bounds / cellSize gives ${cells} grid cells; at most ${MAX_CELLS}: raise cellSize`,
  );
  check(
    Number.isInteger(config.velocityIterations) &&
      config.velocityIterations >= 1 &&
      config.velocityIterations <= 64,
    "velocityIterations must be an integer from 1 to 64",
  );
  check(
    Number.isInteger(config.positionIterations) &&
      config.positionIterations >= 0 &&
      config.positionIterations <= 16,
    "positionIterations must be an integer from 0 to 16",
  );
  check(
    finite(config.correctionFactor) && config.correctionFactor > 0 && config.correctionFactor <= 1,
    "correctionFactor must be in (0, 1]",
  );
  check(finite(config.slopM) && config.slopM >= 0, "slopM must be >= 0");
  check(
    finite(config.restitutionThresholdMps) && config.restitutionThresholdMps >= 0,
    "restitutionThresholdMps must be >= 0",
  );
  check(
    finite(config.maxSpeedMps) && config.maxSpeedMps > 0,
    "maxSpeedMps must be a positive number",
  );
  check(
    config.materials.length >= 1 && config.materials.length <= 256,
    "materials must list 1 to 256 materials",
  );
  config.materials.forEach((m, i) => {
    check(
      finite(m.restitution) && m.restitution >= 0 && m.restitution <= 1,
      `materials[${i}].restitution must be in [0, 1]`,
    );
    check(finite(m.friction) && m.friction >= 0, `materials[${i}].friction must be >= 0`);
  });
  return config;
}
