/**
 * The EventBridge event-pattern matcher of the local bus: the same patterns the CDK stacks deploy,
 * validated as `PutRule` would validate them and matched as EventBridge matches them.
 *
 * Semantics follow AWS's documentation ("Amazon EventBridge event patterns", "Event pattern
 * syntax", "Comparison operators" / "Content filtering in Amazon EventBridge event patterns",
 * "Matching null values and empty strings", "Arrays in Amazon EventBridge event patterns") and,
 * where the documentation is silent, Event Ruler (github.com/aws/event-ruler), the library
 * EventBridge's matching is built on:
 *
 * - A pattern is a JSON object. Each field holds an object (nested fields) or a non-empty array of
 *   match values; the fields of an object must all match (AND), the values of an array are
 *   alternatives (OR). Fields of the event the pattern does not name are ignored.
 * - A match value is an exact string, number, boolean or null, or an operator object: `prefix`,
 *   `suffix`, `equals-ignore-case`, `wildcard`, `anything-but`, `numeric`, `exists`, `cidr`.
 *   Strings and numbers never match each other; `null` matches a field that is explicitly null and
 *   `""` an empty string, never each other.
 * - When the event's value is an array, the field matches if any element matches. A nested pattern
 *   object applied to an array of objects must be matched by one element as a whole (Event Ruler's
 *   "array consistency": two fields are never satisfied from different elements of one array).
 *   A nested pattern object applied to a scalar finds none of its fields.
 * - `exists` looks at leaf values only: a field holding an object or an empty array does not exist;
 *   a field holding `null` does.
 * - `"$or": [{...}, {...}, ...]` (two or more objects, at any level) matches when any of the objects
 *   matches at that level, together with the other fields of the object that holds the `$or`.
 * - Keys are joined with dots: `{"a": {"b": [1]}}` and `{"a.b": [1]}` are the same pattern, and
 *   either matches `{"a": {"b": 1}}` and `{"a.b": 1}` (documented under "Considerations when
 *   creating event patterns"). A key given twice keeps its last value.
 *
 * Patterns are compiled once into a small tree of closures; matching walks only the fields the
 * pattern names, and allocates only to walk arrays of the event or to read keys containing dots.
 */
import { InvalidEventPatternError } from "../errors.js";
import { compileLeaf, isPlainObject, type LeafMatcher, type LeafValue, OPERATORS } from "./leaf.js";
import { type WildcardPattern, wildcardComplexity } from "./wildcard.js";

/** A compiled, validated event pattern. Immutable and safe to share. */
export interface EventPattern {
  /** The pattern as validated: a deep, frozen copy of the JSON that was compiled. */
  readonly pattern: Readonly<Record<string, unknown>>;
  /**
   * The largest wildcard complexity over the pattern's fields (0 without wildcards); see
   * `CompilePatternOptions.maxWildcardComplexity`.
   */
  readonly wildcardComplexity: number;
  /**
   * Whether the event matches. `event` is the event as parsed JSON (an object such as
   * `{ "source": ..., "detail-type": ..., "detail": {...} }`); anything that is not an object
   * matches nothing. Pure: it neither mutates nor retains the event.
   */
  matches(event: unknown): boolean;
}

/** Options of `compilePattern`. */
export interface CompilePatternOptions {
  /**
   * Refuse a pattern whose wildcard values on any one field are more complex than this (the
   * measure of Event Ruler's `MachineComplexityEvaluator`: how many prefixes of the field's
   * wildcard values one input can match at once). AWS rejects "too complex" wildcard patterns but
   * does not publish its threshold; the default is `DEFAULT_MAX_WILDCARD_COMPLEXITY`.
   */
  readonly maxWildcardComplexity?: number;
  /**
   * Refuse a pattern longer than this many characters of JSON (as given when given as text,
   * else as `JSON.stringify` writes it): EventBridge's "Event pattern size" quota, whose default
   * is `MAX_EVENT_PATTERN_CHARS`. Raise it only with the account's quota.
   */
  readonly maxPatternChars?: number;
}

/**
 * EventBridge's default quota on an event pattern's size, in characters ("Event pattern size",
 * Amazon EventBridge quotas; adjustable per account and region). `PutRule` refuses a longer
 * pattern, so the local bus does too.
 */
export const MAX_EVENT_PATTERN_CHARS = 2048;

/**
 * The engine's default limit on wildcard complexity. Generous, because AWS's threshold is
 * unpublished and refusing locally a pattern AWS accepts would be worse than accepting one it
 * refuses (the deploy would still refuse it), yet it stops pathological sets of wildcards. Lower it
 * with `maxWildcardComplexity` to be stricter.
 */
export const DEFAULT_MAX_WILDCARD_COMPLEXITY = 100;

/**
 * The most alternatives a pattern may expand to through `$or` (the product of the `$or` arrays'
 * lengths). An engine guard against patterns that would compile to thousands of branches; AWS
 * documents no such number.
 */
export const MAX_PATTERN_ALTERNATIVES = 1000;

/** Names that cannot be field names inside `$or` (Event Ruler's reserved words). */
const RESERVED_IN_OR = new Set<string>([
  ...OPERATORS,
  "exactly",
  "html",
  "regex",
  "not-wildcard",
  "not-equals-ignore-case",
  "date-after",
  "date-on-or-after",
  "date-before",
  "date-on-or-before",
  "in-date-range",
  "ip-address-in-range",
  "ip-address-not-in-range",
  "=",
  "<",
  "<=",
  ">",
  ">=",
]);

const ROOT = "<pattern>";

/**
 * Validates an event pattern and compiles it for fast matching. `pattern` is the parsed JSON object
 * or its JSON text (as `PutRule`'s `EventPattern` carries it). Throws `InvalidEventPatternError`,
 * naming the place in the pattern and the reason, for anything EventBridge would refuse.
 */
export function compilePattern(
  pattern: unknown,
  options: CompilePatternOptions = {},
): EventPattern {
  const maxChars = options.maxPatternChars ?? MAX_EVENT_PATTERN_CHARS;
  if (!(Number.isInteger(maxChars) && maxChars >= 1)) {
    throw new RangeError(`maxPatternChars must be a whole number of at least 1, got ${maxChars}`);
  }
  let json = pattern;
  if (typeof pattern === "string") {
    try {
      json = JSON.parse(pattern);
    } catch (cause) {
      throw new InvalidEventPatternError(ROOT, "the pattern is not valid JSON", { cause });
    }
  }
  if (!isPlainObject(json)) {
    throw new InvalidEventPatternError(ROOT, "an event pattern must be a JSON object");
  }
  // Characters, not UTF-16 units: the quota counts what a person would.
  const chars = [...(typeof pattern === "string" ? pattern : JSON.stringify(json))].length;
  if (chars > maxChars) {
    throw new InvalidEventPatternError(
      ROOT,
      `the pattern is ${chars} characters long; EventBridge takes at most ${maxChars} (its event pattern size quota)`,
    );
  }
  const maxComplexity = options.maxWildcardComplexity ?? DEFAULT_MAX_WILDCARD_COMPLEXITY;
  if (!(Number.isInteger(maxComplexity) && maxComplexity >= 1)) {
    throw new RangeError(
      `maxWildcardComplexity must be a whole number of at least 1, got ${maxComplexity}`,
    );
  }

  const compiler = new Compiler();
  const alternatives: Alternative[] = [];
  compiler.object(json, [], "", alternatives, false);
  const complexity = compiler.checkWildcards(maxComplexity);
  const roots = alternatives.map(buildTree);
  return new CompiledPattern(deepFreeze(structuredClone(json)), complexity, roots);
}

/** Compiles `pattern` and tests one event against it. Compile once with `compilePattern` instead
 * when the same pattern is matched against many events. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern).matches(event);
}

// ---------------------------------------------------------------------------------------------
// Compilation: JSON → alternatives (one per $or branch combination) → trees.

/** One alternative of a pattern: each dotted field path and its match values (as Event Ruler). */
type Alternative = Map<string, LeafMatcher>;

/** The wildcard values of one field path, for the complexity check. */
interface WildcardField {
  readonly at: string;
  readonly patterns: WildcardPattern[];
}

function childPath(parent: string, key: string): string {
  const plain = /^[\w$-]+$/.test(key);
  if (!plain) return `${parent}[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

class Compiler {
  private readonly wildcards = new Map<string, WildcardField>();

  /**
   * Parses a pattern object into `alternatives`, in key order, as Event Ruler's JsonRuleCompiler
   * does: a leaf is written into every current alternative (replacing one of the same path), and
   * `$or` replaces the alternatives with one copy per branch.
   */
  object(
    node: Record<string, unknown>,
    segments: readonly string[],
    at: string,
    alternatives: Alternative[],
    insideOr: boolean,
  ): void {
    const keys = Object.keys(node);
    if (keys.length === 0) {
      throw new InvalidEventPatternError(at || ROOT, "empty objects are not allowed");
    }
    for (const key of keys) {
      const value = node[key];
      const keyAt = childPath(at, key);
      if (key === "$or") {
        this.or(value, segments, keyAt, alternatives);
        continue;
      }
      if (insideOr && RESERVED_IN_OR.has(key)) {
        throw new InvalidEventPatternError(
          keyAt,
          `"${key}" is an operator name and cannot be a field name inside $or (operators go inside a field's array, e.g. "field": [{ "${key}": ... }])`,
        );
      }
      const path = [...segments, key];
      if (isPlainObject(value)) {
        this.object(value, path, keyAt, alternatives, insideOr);
      } else if (Array.isArray(value)) {
        const dotted = path.join(".");
        const leaf = compileLeaf(value, keyAt, (pattern) => this.wildcard(dotted, keyAt, pattern));
        if (alternatives.length === 0) alternatives.push(new Map());
        for (const alternative of alternatives) alternative.set(dotted, leaf);
      } else {
        throw new InvalidEventPatternError(
          keyAt,
          `a field must hold an array of match values or an object of fields, not ${value === null ? "null" : typeof value}`,
        );
      }
    }
  }

  private or(
    value: unknown,
    segments: readonly string[],
    at: string,
    alternatives: Alternative[],
  ): void {
    if (!Array.isArray(value)) {
      throw new InvalidEventPatternError(at, "$or takes an array of at least two objects");
    }
    if (value.length < 2) {
      throw new InvalidEventPatternError(at, "$or needs at least two objects");
    }
    const before = alternatives.map((alternative) => new Map(alternative));
    alternatives.length = 0;
    value.forEach((branch, index) => {
      const branchAt = `${at}[${index}]`;
      if (!isPlainObject(branch)) {
        throw new InvalidEventPatternError(branchAt, "each $or entry must be an object of fields");
      }
      const branchAlternatives =
        before.length === 0 ? [new Map()] : before.map((alternative) => new Map(alternative));
      this.object(branch, segments, branchAt, branchAlternatives, true);
      alternatives.push(...branchAlternatives);
      if (alternatives.length > MAX_PATTERN_ALTERNATIVES) {
        throw new InvalidEventPatternError(
          at,
          `the pattern expands to more than ${MAX_PATTERN_ALTERNATIVES} alternatives through $or; split it into several rules`,
        );
      }
    });
  }

  private wildcard(dotted: string, at: string, pattern: WildcardPattern): void {
    let field = this.wildcards.get(dotted);
    if (field === undefined) {
      field = { at, patterns: [] };
      this.wildcards.set(dotted, field);
    }
    if (!field.patterns.some((p) => p.source === pattern.source)) field.patterns.push(pattern);
  }

  /** Throws when a field's wildcards exceed the limit; returns the largest complexity. */
  checkWildcards(max: number): number {
    let largest = 0;
    for (const field of this.wildcards.values()) {
      const complexity = wildcardComplexity(field.patterns, max + 1);
      if (complexity > max) {
        throw new InvalidEventPatternError(
          field.at,
          `the wildcard values are too complex (complexity above ${max}): use fewer wildcard characters or fewer repeating character sequences after a wildcard character`,
        );
      }
      largest = Math.max(largest, complexity);
    }
    return largest;
  }
}

/**
 * A node of a compiled pattern: the match values at this path (if any) and the nested fields.
 * `absent` is the node's result for a missing value, precomputed; `dotted` lists the dotted keys
 * (`"state.status"`) an event object could use for the nested fields instead of nesting.
 */
interface Node {
  leaf: LeafMatcher | undefined;
  readonly keys: string[];
  readonly nodes: Node[];
  absent: boolean;
  childrenAbsent: boolean;
  dotted: string[] | undefined;
}

function newNode(): Node {
  return {
    leaf: undefined,
    keys: [],
    nodes: [],
    absent: true,
    childrenAbsent: true,
    dotted: undefined,
  };
}

function buildTree(alternative: Alternative): Node {
  const root = newNode();
  for (const [dotted, leaf] of alternative) {
    let node = root;
    for (const segment of dotted.split(".")) {
      const index = node.keys.indexOf(segment);
      if (index >= 0) {
        node = node.nodes[index] as Node;
      } else {
        const child = newNode();
        node.keys.push(segment);
        node.nodes.push(child);
        node = child;
      }
    }
    node.leaf = leaf;
  }
  finish(root);
  return root;
}

/** Fills in `absent`, `childrenAbsent` and `dotted`; returns the node's descendant paths. */
function finish(node: Node): string[] {
  const below: string[] = [];
  const dotted: string[] = [];
  node.childrenAbsent = true;
  node.keys.forEach((key, i) => {
    const child = node.nodes[i] as Node;
    const paths = finish(child);
    node.childrenAbsent &&= child.absent;
    below.push(key);
    for (const path of paths) {
      below.push(`${key}.${path}`);
      dotted.push(`${key}.${path}`);
    }
  });
  node.absent = (node.leaf === undefined || node.leaf.absent) && node.childrenAbsent;
  node.dotted = dotted.length > 0 ? dotted : undefined;
  return below;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Matching.

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The event's own value at `key`. A plain read is much faster than `Object.hasOwn` on the hot
 * path; what it can pick up from `Object.prototype` is a function (never a JSON value) or, for
 * `__proto__`, the prototype itself, and both are filtered out.
 */
const own = (object: JsonObject, key: string): unknown => {
  const value = object[key];
  if (value === undefined || typeof value === "function") return undefined;
  return key === "__proto__" && !Object.hasOwn(object, key) ? undefined : value;
};

class CompiledPattern implements EventPattern {
  constructor(
    readonly pattern: Readonly<Record<string, unknown>>,
    readonly wildcardComplexity: number,
    private readonly roots: readonly Node[],
  ) {}

  matches(event: unknown): boolean {
    if (!isObject(event)) return false;
    for (const root of this.roots) if (matchObject(root, event)) return true;
    return false;
  }
}

/** Whether the value satisfies the node's own match values and its nested fields. */
function matchNode(node: Node, value: unknown): boolean {
  if (value === undefined) return node.absent;
  if (node.leaf !== undefined && !matchLeaf(node.leaf, value)) return false;
  if (node.keys.length === 0) return true;
  if (isObject(value)) return matchObject(node, value);
  if (Array.isArray(value)) return matchElements(node, value);
  return node.childrenAbsent;
}

/** All nested fields of the node against one event object. */
function matchObject(node: Node, object: JsonObject): boolean {
  let source = object;
  const dotted = node.dotted;
  if (dotted !== undefined) {
    for (const key of dotted) {
      // Dotted keys are never inherited, so a plain read detects them (and is fast when missing).
      if (source[key] !== undefined) {
        source = expandDottedKeys(object);
        break;
      }
    }
  }
  const keys = node.keys;
  const nodes = node.nodes;
  for (let i = 0; i < keys.length; i++) {
    if (!matchNode(nodes[i] as Node, own(source, keys[i] as string))) return false;
  }
  return true;
}

/**
 * The nested fields of the node against an array: some element (nested arrays are flattened) must
 * satisfy all of them on its own. An element that is not an object has none of the fields, and so
 * does an array without elements.
 */
function matchElements(node: Node, array: readonly unknown[]): boolean {
  return (
    someElement(
      array,
      (item): item is unknown => item !== undefined,
      (item) => (isObject(item) ? matchObject(node, item) : node.childrenAbsent),
    ) ?? node.childrenAbsent
  );
}

/** The match values of one field against the event's value there (not `undefined`). */
function matchLeaf(leaf: LeafMatcher, value: unknown): boolean {
  if (!Array.isArray(value)) {
    return isLeafValue(value) ? matchLeafValue(leaf, value) : leaf.absent;
  }
  return someElement(value, isLeafValue, (item) => matchLeafValue(leaf, item)) ?? leaf.absent;
}

/**
 * Whether some element of `array` (nested arrays flattened) of the kind `counts` passes `test`;
 * `undefined` when the array holds no element of that kind.
 */
function someElement<T>(
  array: readonly unknown[],
  counts: (item: unknown) => item is T,
  test: (item: T) => boolean,
): boolean | undefined {
  let saw = false;
  const stack: (readonly unknown[])[] = [array];
  while (stack.length > 0) {
    const items = stack.pop() as readonly unknown[];
    for (const item of items) {
      if (Array.isArray(item)) {
        stack.push(item);
      } else if (counts(item)) {
        saw = true;
        if (test(item)) return true;
      }
    }
  }
  return saw ? false : undefined;
}

function isLeafValue(value: unknown): value is LeafValue {
  const type = typeof value;
  return type === "string" || type === "number" || type === "boolean" || value === null;
}

function matchLeafValue(leaf: LeafMatcher, value: LeafValue): boolean {
  if (leaf.anyPresent) return true;
  if (leaf.exact?.has(value)) return true;
  const tests = leaf.tests;
  for (let i = 0; i < tests.length; i++)
    if ((tests[i] as (v: LeafValue) => boolean)(value)) return true;
  return false;
}

/**
 * A view of an event object with its dotted keys nested, as EventBridge reads them: `{"a.b": 1}`
 * becomes `{"a": {"b": 1}}`. Where a dotted key meets a key of its own (`{"a": {...}, "a.b": 1}`),
 * two objects are merged and anything else becomes an array of both (either may match). The event
 * is not modified; nested objects are reused, and their own dotted keys are expanded when reached.
 */
function expandDottedKeys(object: JsonObject): JsonObject {
  const out: JsonObject = Object.create(null);
  const nested = new Map<string, JsonObject>();
  for (const key of Object.keys(object)) {
    const dot = key.indexOf(".");
    if (dot < 0) {
      out[key] = object[key];
      continue;
    }
    const head = key.slice(0, dot);
    let sub = nested.get(head);
    if (sub === undefined) {
      sub = Object.create(null) as JsonObject;
      nested.set(head, sub);
    }
    const rest = key.slice(dot + 1);
    sub[rest] = rest in sub ? combine(sub[rest], object[key]) : object[key];
  }
  for (const [head, sub] of nested) {
    out[head] = head in out ? combine(out[head], sub) : sub;
  }
  return out;
}

function combine(a: unknown, b: unknown): unknown {
  if (isObject(a) && isObject(b)) {
    const merged: JsonObject = Object.create(null);
    for (const key of Object.keys(a)) merged[key] = a[key];
    for (const key of Object.keys(b))
      merged[key] = key in merged ? combine(merged[key], b[key]) : b[key];
    return merged;
  }
  return [a, b];
}
