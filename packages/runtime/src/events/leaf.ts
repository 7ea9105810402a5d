/**
 * The leaves of an event pattern: the array of match values for one field, such as
 * `["aws.ec2", { "prefix": "aws." }, { "exists": false }]`. The values are alternatives (a field
 * matches when any of them does), and each is validated and compiled once, here.
 */
import { InvalidEventPatternError } from "../errors.js";
import { type CidrBlock, cidrContains, parseCidr } from "./cidr.js";
import { NUMERIC_DECIMALS, NUMERIC_LIMIT, toMicros } from "./numbers.js";
import { matchWildcard, parseWildcard, type WildcardPattern } from "./wildcard.js";

/** A JSON value an event field can hold at a leaf. */
export type LeafValue = string | number | boolean | null;

/** A compiled test of one leaf value (one operator). */
type ValueTest = (value: LeafValue) => boolean;

/**
 * The compiled match values of one field. A present field is the list of its leaf values (one for a
 * scalar, each scalar element for an array); it matches when `anyPresent` holds or when one of its
 * values is in `exact` or passes one of `tests`. An absent field (missing, an empty array, or an
 * object, which is not a leaf) matches only when `absent` holds.
 */
export interface LeafMatcher {
  /** `{ "exists": false }` is one of the values. */
  readonly absent: boolean;
  /** `{ "exists": true }` is one of the values: any leaf value matches. */
  readonly anyPresent: boolean;
  /** The exact values (strings, numbers, booleans, null), compared with `===`. */
  readonly exact: ReadonlySet<LeafValue> | undefined;
  /** The operators other than `exists`. */
  readonly tests: readonly ValueTest[];
}

/** Receives each wildcard value of a field (from `wildcard` and `anything-but`/`wildcard`). */
export type WildcardSink = (pattern: WildcardPattern) => void;

/** The operators EventBridge documents, in the order the error messages list them. */
export const OPERATORS = [
  "prefix",
  "suffix",
  "equals-ignore-case",
  "wildcard",
  "anything-but",
  "numeric",
  "exists",
  "cidr",
] as const;

const NUMERIC_RANGE_TEXT = `numbers in numeric matching must be between -${NUMERIC_LIMIT / 1e9}.0e9 and ${NUMERIC_LIMIT / 1e9}.0e9 with at most ${NUMERIC_DECIMALS} digits after the decimal point`;

const fail = (path: string, reason: string): never => {
  throw new InvalidEventPatternError(path, reason);
};

/** A JSON object as the pattern validator accepts it: a plain object, not an array or a class. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Names a value's JSON-ish type for error messages: "null", "an array", "a string", "NaN"… */
const describe = (value: unknown): string => {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isFinite(value) ? "a number" : String(value);
  if (typeof value !== "object") return `a ${typeof value}`;
  const kind = isPlainObject(value) ? undefined : Object.getPrototypeOf(value)?.constructor?.name;
  return kind ? `a ${kind}` : "an object";
};

/**
 * Compiles the array of match values of one field. `path` is the field's place in the pattern, for
 * error messages (`detail.state`).
 */
export function compileLeaf(
  values: readonly unknown[],
  path: string,
  onWildcard: WildcardSink,
): LeafMatcher {
  if (values.length === 0)
    fail(path, "empty arrays are not allowed: list at least one match value");
  let absent = false;
  let anyPresent = false;
  let exact: Set<LeafValue> | undefined;
  const tests: ValueTest[] = [];
  values.forEach((value, index) => {
    const at = `${path}[${index}]`;
    if (
      typeof value === "string" ||
      typeof value === "boolean" ||
      value === null ||
      (typeof value === "number" && Number.isFinite(value))
    ) {
      exact ??= new Set();
      exact.add(value);
    } else if (isPlainObject(value)) {
      const compiled = compileOperator(value, at, onWildcard);
      if (compiled === "exists") anyPresent = true;
      else if (compiled === "absent") absent = true;
      else tests.push(compiled);
    } else {
      fail(
        at,
        `match values must be strings, numbers, true, false, null or operator objects, not ${describe(value)}`,
      );
    }
  });
  return { absent, anyPresent, exact, tests };
}

/** Compiles one operator object such as `{ "prefix": "us-" }`. */
function compileOperator(
  expression: Record<string, unknown>,
  path: string,
  onWildcard: WildcardSink,
): ValueTest | "exists" | "absent" {
  const keys = Object.keys(expression);
  if (keys.length !== 1) {
    fail(
      path,
      keys.length === 0
        ? "an operator object needs one operator, found none"
        : `an operator object takes exactly one operator, found ${keys.join(", ")}`,
    );
  }
  const operator = keys[0] as string;
  const operand = expression[operator];
  const at = `${path}.${operator}`;
  switch (operator) {
    case "prefix":
    case "suffix":
      return compileAffix(operator, operand, at);
    case "equals-ignore-case": {
      const expected = requireString(operand, at, "equals-ignore-case").toLowerCase();
      return (value) => typeof value === "string" && value.toLowerCase() === expected;
    }
    case "wildcard": {
      const pattern = compileWildcard(operand, at);
      onWildcard(pattern);
      return (value) => typeof value === "string" && matchWildcard(pattern, value);
    }
    case "anything-but":
      return compileAnythingBut(operand, at, onWildcard);
    case "numeric":
      return compileNumeric(operand, at);
    case "exists":
      if (typeof operand !== "boolean") fail(at, "exists takes true or false");
      return operand ? "exists" : "absent";
    case "cidr": {
      const block = compileCidr(operand, at);
      return (value) => typeof value === "string" && cidrContains(block, value);
    }
    default:
      return fail(
        path,
        `unknown operator "${operator}": EventBridge's operators are ${OPERATORS.join(", ")}`,
      );
  }
}

function requireString(operand: unknown, path: string, what: string): string {
  if (typeof operand !== "string") fail(path, `${what} takes a string, not ${describe(operand)}`);
  return operand as string;
}

/** `prefix` and `suffix`: a string, or `{ "equals-ignore-case": string }`. Strings only. */
function compileAffix(operator: "prefix" | "suffix", operand: unknown, path: string): ValueTest {
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1 || keys[0] !== "equals-ignore-case") {
      fail(
        path,
        `${operator} takes a string or { "equals-ignore-case": string }, found ${keys.length === 0 ? "an empty object" : keys.join(", ")}`,
      );
    }
    const affix = requireString(
      operand["equals-ignore-case"],
      `${path}.equals-ignore-case`,
      "equals-ignore-case",
    ).toLowerCase();
    return operator === "prefix"
      ? (value) => typeof value === "string" && value.toLowerCase().startsWith(affix)
      : (value) => typeof value === "string" && value.toLowerCase().endsWith(affix);
  }
  if (typeof operand !== "string") {
    fail(
      path,
      `${operator} takes a string or { "equals-ignore-case": string }, not ${describe(operand)}`,
    );
  }
  const affix = operand as string;
  return operator === "prefix"
    ? (value) => typeof value === "string" && value.startsWith(affix)
    : (value) => typeof value === "string" && value.endsWith(affix);
}

function compileWildcard(operand: unknown, path: string): WildcardPattern {
  const parsed = parseWildcard(requireString(operand, path, "wildcard"));
  if ("problem" in parsed) fail(path, parsed.problem);
  return parsed as WildcardPattern;
}

function compileCidr(operand: unknown, path: string): CidrBlock {
  const parsed = parseCidr(requireString(operand, path, "cidr"));
  if ("problem" in parsed) fail(path, parsed.problem);
  return parsed as CidrBlock;
}

function requireNumericOperand(operand: unknown, path: string): number {
  if (typeof operand !== "number" || toMicros(operand) === undefined) {
    fail(
      path,
      typeof operand === "number"
        ? NUMERIC_RANGE_TEXT
        : "operators must alternate operator and number",
    );
  }
  return operand as number;
}

/** The string-matching operators `anything-but` can negate. */
const ANYTHING_BUT_OPTIONS: ReadonlySet<string> = new Set([
  "prefix",
  "suffix",
  "equals-ignore-case",
  "wildcard",
]);

/**
 * `anything-but`: a string, a number, a non-empty list of only strings or only numbers, or an
 * object with one of `prefix`, `suffix`, `equals-ignore-case`, `wildcard` holding a string or a
 * non-empty list of strings. It matches any present leaf value that is not excluded, whatever its
 * type: `{ "anything-but": "stopped" }` matches 5, true and null, and a string-only exclusion
 * (prefix, suffix, equals-ignore-case, wildcard) never excludes a number, boolean or null.
 */
function compileAnythingBut(operand: unknown, path: string, onWildcard: WildcardSink): ValueTest {
  if (typeof operand === "string" || typeof operand === "number") {
    const excluded = anythingButValue(operand, path);
    return (value) => value !== excluded;
  }
  if (Array.isArray(operand)) {
    if (operand.length === 0) fail(path, "an anything-but list must not be empty");
    const excluded = new Set<LeafValue>();
    let kind: "string" | "number" | undefined;
    operand.forEach((item, index) => {
      const at = `${path}[${index}]`;
      const value = anythingButValue(item, at);
      const itemKind = typeof value === "string" ? "string" : "number";
      if (kind !== undefined && itemKind !== kind) {
        fail(at, "an anything-but list must hold only strings or only numbers, not both");
      }
      kind = itemKind;
      excluded.add(value);
    });
    return (value) => !excluded.has(value);
  }
  if (!isPlainObject(operand)) {
    return fail(
      path,
      `anything-but takes a string, a number, a list of strings or of numbers, or an object with one of prefix, suffix, equals-ignore-case, wildcard; not ${describe(operand)}`,
    );
  }
  const keys = Object.keys(operand);
  const nested = keys[0] as string;
  if (keys.length !== 1 || !ANYTHING_BUT_OPTIONS.has(nested)) {
    fail(
      path,
      `an anything-but object takes exactly one of prefix, suffix, equals-ignore-case, wildcard, found ${keys.length === 0 ? "none" : keys.join(", ")}`,
    );
  }
  const at = `${path}.${nested}`;
  const strings = anythingButStrings(operand[nested], at, nested);
  switch (nested) {
    case "prefix":
      return (value) => typeof value !== "string" || !strings.some((p) => value.startsWith(p));
    case "suffix":
      return (value) => typeof value !== "string" || !strings.some((s) => value.endsWith(s));
    case "equals-ignore-case": {
      const lowered = new Set(strings.map((s) => s.toLowerCase()));
      return (value) => typeof value !== "string" || !lowered.has(value.toLowerCase());
    }
    default: {
      const patterns = strings.map((s, i) =>
        compileWildcard(s, Array.isArray(operand[nested]) ? `${at}[${i}]` : at),
      );
      for (const pattern of patterns) onWildcard(pattern);
      return (value) =>
        typeof value !== "string" || !patterns.some((pattern) => matchWildcard(pattern, value));
    }
  }
}

/** One value excluded by a plain `anything-but`: a string or a number numeric matching can hold. */
function anythingButValue(item: unknown, path: string): string | number {
  if (typeof item === "string") return item;
  if (typeof item === "number") {
    if (toMicros(item) === undefined) fail(path, NUMERIC_RANGE_TEXT);
    return item;
  }
  return fail(path, `anything-but excludes strings or numbers, not ${describe(item)}`);
}

/** The strings of `anything-but` with `prefix`, `suffix`, `equals-ignore-case` or `wildcard`. */
function anythingButStrings(operand: unknown, path: string, nested: string): string[] {
  const list = Array.isArray(operand) ? operand : [operand];
  if (list.length === 0) fail(path, `an anything-but ${nested} list must not be empty`);
  return list.map((item, index) => {
    const at = Array.isArray(operand) ? `${path}[${index}]` : path;
    if (typeof item !== "string") {
      fail(at, `anything-but ${nested} takes a string or a list of strings, not ${describe(item)}`);
    }
    if (item === "" && (nested === "prefix" || nested === "suffix")) {
      fail(at, `an anything-but ${nested} must not be empty (it would exclude every string)`);
    }
    return item as string;
  });
}

const COMPARISONS = new Set(["=", "<", "<=", ">", ">="]);

/**
 * `numeric`: `["=", n]`, `["<", n]`, `["<=", n]`, `[">", n]`, `[">=", n]`, or a range
 * `[">" | ">=", low, "<" | "<=", high]` with low below high. Matches JSON numbers only, compared
 * exactly as fixed-point values (so 3.018e2 equals 301.8).
 */
function compileNumeric(operand: unknown, path: string): ValueTest {
  if (!Array.isArray(operand) || operand.length === 0) {
    return fail(path, 'numeric takes an array such as [">", 0, "<=", 5]');
  }
  const terms = operand as readonly unknown[];
  const operatorAt = (index: number): string => {
    const term = terms[index];
    if (typeof term !== "string") fail(path, "operators must alternate operator and number");
    if (!COMPARISONS.has(term as string)) {
      fail(path, `unknown comparison "${term as string}": use =, <, <=, > or >=`);
    }
    return term as string;
  };
  if (terms.length % 2 !== 0) fail(path, "operators must alternate operator and number");
  const first = operatorAt(0);
  const low = toMicros(requireNumericOperand(terms[1], path)) as number;
  if (terms.length === 2) {
    switch (first) {
      case "=":
        return (value) => typeof value === "number" && toMicros(value) === low;
      case "<":
        return (value) => lessThan(value, low, false);
      case "<=":
        return (value) => lessThan(value, low, true);
      case ">":
        return (value) => greaterThan(value, low, false);
      default:
        return (value) => greaterThan(value, low, true);
    }
  }
  if (terms.length > 4) fail(path, "numeric takes at most two comparisons (a range)");
  const second = operatorAt(2);
  if ((first !== ">" && first !== ">=") || (second !== "<" && second !== "<=")) {
    fail(
      path,
      "a range gives its lower bound first (> or >=), then its upper bound (< or <=); = stands alone",
    );
  }
  const high = toMicros(requireNumericOperand(terms[3], path)) as number;
  if (!(low < high)) fail(path, "the lower bound of a range must be below its upper bound");
  const lowInclusive = first === ">=";
  const highInclusive = second === "<=";
  return (value) => greaterThan(value, low, lowInclusive) && lessThan(value, high, highInclusive);
}

function lessThan(value: LeafValue, bound: number, inclusive: boolean): boolean {
  if (typeof value !== "number") return false;
  const micros = toMicros(value);
  return micros !== undefined && (inclusive ? micros <= bound : micros < bound);
}

function greaterThan(value: LeafValue, bound: number, inclusive: boolean): boolean {
  if (typeof value !== "number") return false;
  const micros = toMicros(value);
  return micros !== undefined && (inclusive ? micros >= bound : micros > bound);
}
