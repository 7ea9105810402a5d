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
  /** At most this many passes of the impact rule over the contacts per tick. Default 8. */
  readonly velocityIterations?: number;
  /**
   * Substeps per tick: each integrates (velocity Verlet), solves the resting contacts once with
   * their soft push-out and once without (relax). Default 4.
   */
  readonly substeps?: number;
  /** Stiffness of resting contacts as a spring's frequency, Hz (capped at a quarter of the substep rate). Default 60. */
  readonly contactHertz?: number;
  /** Damping ratio of resting contacts' springs (above 1: no bounce). Default 10. */
  readonly contactDampingRatio?: number;
  /** Fastest push-out of a penetration, m/s. Default 3. */
  readonly contactPushMaxMps?: number;
  /**
   * Bodies closer than this, metres, are in contact before they touch (speculative contacts:
   * the solver lets them close the gap, no more), so resting contacts persist. Default 0.01.
   */
  readonly contactMarginM?: number;
  /** Passes of positional correction of impact contacts per tick. Default 2. */
  readonly positionIterations?: number;
  /** Fraction of an impact contact's penetration removed per positional pass, in (0, 1]. Default 0.8. */
  readonly correctionFactor?: number;
  /** Penetration of impact contacts tolerated without correction, metres. Default 0.005. */
  readonly slopM?: number;
  /**
   * Resting contacts deeper than this, metres, are projected back to it (positions only); the soft
   * contact pushes out shallower penetration (and settles under heavy loads at a few cm). Default 0.1.
   */
  readonly penetrationMaxM?: number;
  /**
   * Contacts approaching faster than this are impacts (they bounce with the restitution, the
   * elastic rule); slower ones are resting contacts (no bounce). Default 1 m/s (as Box2D); 0 makes every
   * approach an impact (exactly elastic worlds).
   */
  readonly restitutionThresholdMps?: number;
  /**
   * Speed limit, m/s. Contacts are detected at the start of each tick, so the engine guarantees
   * no tunnelling while every collider's half-extent is at least 2 · maxSpeedMps · dt. Default 15
   * (half-extents >= 0.5 m at 60 Hz).
   */
  readonly maxSpeedMps?: number;
  /**
   * Bodies at rest fall asleep in islands (bodies connected by contacts): a sleeping body costs
   * almost nothing per tick until a contact, a command or a change wakes it. Default true.
   */
  readonly sleeping?: boolean;
  /** A body slower than this (and moving less than this per second) is still, m/s. Default 0.05. */
  readonly sleepSpeedMps?: number;
  /** An island falls asleep when all its bodies have been still this long, seconds (at most 254 ticks). Default 0.5. */
  readonly timeToSleepSeconds?: number;
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

/** The options that are one number. */
type NumberOption = {
  [K in keyof PhysicsConfig]: PhysicsConfig[K] extends number ? K : never;
}[keyof PhysicsConfig];

function positive(config: PhysicsConfig, key: NumberOption): void {
  check(finite(config[key]) && config[key] > 0, `${key} must be a positive number`);
}

function nonNegative(config: PhysicsConfig, key: NumberOption): void {
  check(finite(config[key]) && config[key] >= 0, `${key} must be >= 0`);
}

/** Fills defaults and validates; throws DefinitionError naming the option and the rule. */
export function resolvePhysicsConfig(options: PhysicsOptions = {}): PhysicsConfig {
  const config = withDefaults(options);
  checkGeometry(config);
  checkSolver(config);
  checkSleepAndMaterials(config);
  return config;
}

// Alike: its lines, one option each (`options.x ?? its default`).
function withDefaults(options: PhysicsOptions): PhysicsConfig {
  return {
    gravity: options.gravity ?? { x: 0, y: -9.81 },
    bounds: options.bounds ?? { minX: -100, minY: -100, maxX: 100, maxY: 100 },
    cellSize: options.cellSize ?? 2,
    velocityIterations: options.velocityIterations ?? 8,
    substeps: options.substeps ?? 4,
    contactHertz: options.contactHertz ?? 60,
    contactDampingRatio: options.contactDampingRatio ?? 10,
    contactPushMaxMps: options.contactPushMaxMps ?? 3,
    contactMarginM: options.contactMarginM ?? 0.01,
    positionIterations: options.positionIterations ?? 2,
    correctionFactor: options.correctionFactor ?? 0.8,
    slopM: options.slopM ?? 0.005,
    penetrationMaxM: options.penetrationMaxM ?? 0.1,
    restitutionThresholdMps: options.restitutionThresholdMps ?? 1,
    maxSpeedMps: options.maxSpeedMps ?? 15,
    sleeping: options.sleeping ?? true,
    sleepSpeedMps: options.sleepSpeedMps ?? 0.05,
    timeToSleepSeconds: options.timeToSleepSeconds ?? 0.5,
    materials: options.materials ?? [{ restitution: 0.2, friction: 0.4 }],
  };
}

/** Gravity, bounds and the grid they make with the cell size. */
function checkGeometry(config: PhysicsConfig): void {
  check(finite(config.gravity.x) && finite(config.gravity.y), "gravity must be two finite numbers");
  const b = config.bounds;
  check(
    [b.minX, b.minY, b.maxX, b.maxY].every(finite) && b.minX < b.maxX && b.minY < b.maxY,
    "bounds must be finite with minX < maxX and minY < maxY",
  );
  positive(config, "cellSize");
  const cells =
    Math.ceil((b.maxX - b.minX) / config.cellSize) * Math.ceil((b.maxY - b.minY) / config.cellSize);
  check(
    cells <= MAX_CELLS,
    `bounds / cellSize gives ${cells} grid cells; at most ${MAX_CELLS}: raise cellSize`,
  );
}

/** The solver's iterations, contact model and limits. */
function checkSolver(config: PhysicsConfig): void {
  check(
    Number.isInteger(config.velocityIterations) &&
      config.velocityIterations >= 1 &&
      config.velocityIterations <= 64,
    "velocityIterations must be an integer from 1 to 64",
  );
  check(
    Number.isInteger(config.substeps) && config.substeps >= 1 && config.substeps <= 16,
    "substeps must be an integer from 1 to 16",
  );
  positive(config, "contactHertz");
  nonNegative(config, "contactDampingRatio");
  positive(config, "contactPushMaxMps");
  nonNegative(config, "contactMarginM");
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
  nonNegative(config, "slopM");
  nonNegative(config, "penetrationMaxM");
  nonNegative(config, "restitutionThresholdMps");
  positive(config, "maxSpeedMps");
}

function checkSleepAndMaterials(config: PhysicsConfig): void {
  check(typeof config.sleeping === "boolean", "sleeping must be true or false");
  nonNegative(config, "sleepSpeedMps");
  positive(config, "timeToSleepSeconds");
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
}
