/**
 * Numbers as EventBridge's numeric matching sees them.
 *
 * AWS documents numeric matching ("numeric", and numbers inside "anything-but") as limited to
 * values between -5.0e9 and +5.0e9 inclusive with at most six digits to the right of the decimal
 * point. Event Ruler, the matching library behind EventBridge, turns such a number into an exact
 * fixed-point form (micro-units) and compares those; a number outside the domain cannot be put in
 * that form, so it never satisfies a numeric comparison.
 *
 * Here the fixed-point form is an integer count of millionths held in a double: the largest,
 * 5e9 × 1e6 = 5e15, is below 2^53, so every such integer is exact and comparisons are exact too.
 */

/** The largest magnitude numeric matching accepts: 5.0e9. */
export const NUMERIC_LIMIT = 5e9;

/** Numeric matching is exact to this many digits after the decimal point. */
export const NUMERIC_DECIMALS = 6;

const MICROS_PER_UNIT = 1e6;

/**
 * The number as an exact count of millionths, or `undefined` when numeric matching cannot
 * represent it: not finite, outside ±5.0e9, or with more than six decimal places in its shortest
 * decimal form (the form `JSON.stringify` writes and the form JSON text like `301.8` parses back
 * from). Integers take a fast path; other numbers go through their decimal text, so the result is
 * exact where `n * 1e6` would round.
 */
export function toMicros(n: number): number | undefined {
  if (Number.isInteger(n)) {
    // |n| ≤ 5e9 so |n × 1e6| ≤ 5e15 < 2^53: the product is exact.
    return n >= -NUMERIC_LIMIT && n <= NUMERIC_LIMIT ? n * MICROS_PER_UNIT : undefined;
  }
  if (!(n >= -NUMERIC_LIMIT && n <= NUMERIC_LIMIT)) return undefined; // also NaN and ±Infinity
  // Fast path: when r / 1e6 (correctly rounded) gives n back, n is the double nearest to the
  // six-decimal value r / 10^6, and that value is n's only one (six-decimal values within ±5e9 are
  // 1e-6 apart, more than the spacing of doubles there). When n × 1e6 rounded the wrong way (only
  // possible above about 2.2e9) the text below decides.
  const rounded = Math.round(n * MICROS_PER_UNIT);
  if (rounded / MICROS_PER_UNIT === n) return rounded;
  // For 1e-6 ≤ |n| < 1e21 the shortest form has no exponent; a smaller non-zero magnitude is written
  // with one ("1e-7") and has more than six decimals anyway.
  const text = String(n < 0 ? -n : n);
  if (text.includes("e")) return undefined;
  const dot = text.indexOf(".");
  const fraction = text.slice(dot + 1);
  if (fraction.length > NUMERIC_DECIMALS) return undefined;
  const whole = Number(text.slice(0, dot));
  const millionths = Number(fraction.padEnd(NUMERIC_DECIMALS, "0"));
  const magnitude = whole * MICROS_PER_UNIT + millionths; // both parts exact, sum < 2^53
  return n < 0 ? -magnitude : magnitude;
}
