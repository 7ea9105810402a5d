/**
 * Lambda's event filtering, as an event source mapping applies its `FilterCriteria` to the records
 * of a stream: a record reaches the function when it matches any of the filters' patterns, and a
 * record that matches none is dropped (its position passes, nothing is invoked or billed).
 *
 * A pattern is a JSON object shaped like the record. Each leaf is a list of matchers, and a
 * record's value there must match one of them; every key of the pattern must match. Emulated
 * matchers: a literal (string, number, boolean, null), `{prefix}`, `{suffix}`, `{exists}`,
 * `{"anything-but": literal | literals}` and `{"equals-ignore-case"}`. Not emulated (a pattern
 * that uses them is refused when the poller starts, never silently passed): `numeric`, `cidr`,
 * `wildcard`, `$or`, and `anything-but` over prefixes.
 */

import { LocalStackError } from "./errors.js";

export class EventFilterError extends LocalStackError {
  override readonly name = "EventFilterError";
}

type Matcher = (value: unknown, present: boolean) => boolean;

type Literal = string | number | boolean | null;

function isLiteral(value: unknown): value is Literal {
  return (
    value === null ||
    typeof value === "string" ||
    typeof value === "number" ||
    typeof value === "boolean"
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A record's value equals a literal, or (an array value) contains it, as Lambda compares. */
function equalsLiteral(value: unknown, literal: Literal): boolean {
  return Array.isArray(value) ? value.some((v) => v === literal) : value === literal;
}

function compileMatcher(rule: unknown, path: string): Matcher {
  if (isLiteral(rule)) return (value, present) => present && equalsLiteral(value, rule);
  if (!isPlainObject(rule) || Object.keys(rule).length !== 1) {
    throw new EventFilterError(
      `filter pattern at ${path}: ${JSON.stringify(rule)} is neither a value nor a matcher of one key`,
    );
  }
  const [name, arg] = Object.entries(rule)[0] as [string, unknown];
  const text = (): string => {
    if (typeof arg !== "string")
      throw new EventFilterError(`filter pattern at ${path}: "${name}" takes a string`);
    return arg;
  };
  switch (name) {
    case "prefix": {
      const prefix = text();
      return (value, present) => present && typeof value === "string" && value.startsWith(prefix);
    }
    case "suffix": {
      const suffix = text();
      return (value, present) => present && typeof value === "string" && value.endsWith(suffix);
    }
    case "equals-ignore-case": {
      const lower = text().toLowerCase();
      return (value, present) =>
        present && typeof value === "string" && value.toLowerCase() === lower;
    }
    case "exists": {
      if (typeof arg !== "boolean")
        throw new EventFilterError(`filter pattern at ${path}: "exists" takes true or false`);
      return (_value, present) => present === arg;
    }
    case "anything-but": {
      const excluded = Array.isArray(arg) ? arg : [arg];
      if (!excluded.every(isLiteral)) {
        throw new EventFilterError(
          `filter pattern at ${path}: "anything-but" is emulated over values only, not ${JSON.stringify(arg)}`,
        );
      }
      return (value, present) => present && !excluded.some((l) => equalsLiteral(value, l));
    }
    default:
      throw new EventFilterError(
        `filter pattern at ${path}: the "${name}" matcher is not emulated by the local stack (emulated: values, prefix, suffix, exists, anything-but, equals-ignore-case)`,
      );
  }
}

type CompiledPattern = (record: unknown) => boolean;

function compilePattern(pattern: unknown, path: string): CompiledPattern {
  if (!isPlainObject(pattern) || Object.keys(pattern).length === 0) {
    throw new EventFilterError(`filter pattern at ${path}: expected an object with keys`);
  }
  const checks: ((record: Record<string, unknown> | undefined) => boolean)[] = [];
  for (const [key, rule] of Object.entries(pattern)) {
    const at = `${path}.${key}`;
    if (key.startsWith("$")) {
      throw new EventFilterError(`filter pattern at ${at}: "${key}" is not emulated`);
    }
    if (Array.isArray(rule)) {
      if (rule.length === 0)
        throw new EventFilterError(`filter pattern at ${at}: a list of matchers may not be empty`);
      const matchers = rule.map((r, i) => compileMatcher(r, `${at}[${i}]`));
      checks.push((record) => {
        const present = record !== undefined && Object.hasOwn(record, key);
        const value = present ? record[key] : undefined;
        return matchers.some((m) => m(value, present));
      });
    } else {
      const inner = compilePattern(rule, at);
      checks.push((record) => inner(record?.[key]));
    }
  }
  return (record) => {
    const object = isPlainObject(record) ? record : undefined;
    return checks.every((check) => check(object));
  };
}

/**
 * Compiles filter patterns (each as an object, or as the JSON text CloudFormation carries) into
 * a test of a record: true when it matches any. Throws `EventFilterError` naming what is not
 * emulated or malformed.
 */
export function compileEventFilters(
  patterns: readonly (string | Readonly<Record<string, unknown>>)[],
): (record: unknown) => boolean {
  const compiled = patterns.map((p, i) => {
    let pattern: unknown = p;
    if (typeof p === "string") {
      try {
        pattern = JSON.parse(p);
      } catch (error) {
        throw new EventFilterError(`filter ${i} is not JSON`, { cause: error });
      }
    }
    return compilePattern(pattern, `filter ${i}`);
  });
  return (record) => compiled.some((match) => match(record));
}
