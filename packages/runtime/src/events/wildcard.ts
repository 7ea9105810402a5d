/**
 * EventBridge's `wildcard` operator: `*` matches any run of characters, including none; `\*` is a
 * literal asterisk and `\\` a literal backslash. AWS (and Event Ruler, its matching library) reject
 * two consecutive `*` and a backslash before anything but `*` or `\`.
 */

/** A parsed wildcard value: the literal runs between its `*`s (`"a*b*"` → `["a", "b", ""]`). */
export interface WildcardPattern {
  /** The value as written in the pattern. */
  readonly source: string;
  /** The literal segments; there is one `*` between each two of them. */
  readonly segments: readonly string[];
}

/** Why a wildcard value was refused; `parseWildcard` returns it instead of throwing. */
export interface WildcardSyntaxProblem {
  readonly problem: string;
}

/**
 * Parses a wildcard value. Returns the pattern, or the problem that makes it invalid: consecutive
 * wildcard characters, or a backslash that does not escape `*` or `\` (positions are 0-based
 * indexes into the value).
 */
export function parseWildcard(source: string): WildcardPattern | WildcardSyntaxProblem {
  const segments: string[] = [];
  let literal = "";
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "*") {
      if (source[i + 1] === "*") {
        return { problem: `consecutive wildcard characters at position ${i} are not allowed` };
      }
      segments.push(literal);
      literal = "";
    } else if (c === "\\") {
      const next = source[i + 1];
      if (next !== "*" && next !== "\\") {
        return {
          problem: `invalid escape at position ${i}: a backslash may only escape * or \\ (write \\\\ for a backslash)`,
        };
      }
      literal += next;
      i++;
    } else {
      literal += c;
    }
  }
  segments.push(literal);
  return { source, segments };
}

/**
 * Whether `value` matches the wildcard pattern. Linear in practice: the first and last segments
 * anchor the ends and each middle segment is found left-most after the previous one, which is
 * optimal for patterns whose only metacharacter is `*`.
 */
export function matchWildcard(pattern: WildcardPattern, value: string): boolean {
  const segments = pattern.segments;
  const last = segments.length - 1;
  if (last === 0) return value === segments[0];
  const head = segments[0] as string;
  const tail = segments[last] as string;
  if (value.length < head.length + tail.length) return false;
  if (!value.startsWith(head) || !value.endsWith(tail)) return false;
  const end = value.length - tail.length;
  let at = head.length;
  for (let i = 1; i < last; i++) {
    const segment = segments[i] as string;
    const found = value.indexOf(segment, at);
    if (found < 0 || found + segment.length > end) return false;
    at = found + segment.length;
  }
  return true;
}

interface TrieNode {
  readonly id: number;
  readonly star: boolean;
  readonly literals: Map<string, TrieNode>;
  starChild: TrieNode | undefined;
}

/**
 * The complexity of a set of wildcard values on one field, as Event Ruler defines it for its
 * `MachineComplexityEvaluator`: the largest number of distinct prefixes of those values that one
 * input string can match at once. `"*a*a*a*"` has complexity 7 (the input `"aaa"` matches `*`,
 * `*a`, `*a*`, `*a*a`, `*a*a*`, `*a*a*a` and `*a*a*a*`); `"/Users/*"` has 2. Many wildcards and
 * character sequences that repeat after a wildcard raise it, which is what AWS's guidance on
 * "wildcards and event pattern complexity" asks authors to avoid.
 *
 * Computed by exploring the subsets of a prefix trie an input can reach (a subset construction),
 * over the literal characters of the values plus one character that appears in none. Exploration
 * stops at `cap` (the result is then `cap`) or after `stateBudget` subsets (the result is then
 * `cap` too: a set that large is too complex by any measure).
 */
export function wildcardComplexity(
  patterns: readonly WildcardPattern[],
  cap: number,
  stateBudget = 20_000,
): number {
  let nextId = 0;
  const newNode = (star: boolean): TrieNode => ({
    id: nextId++,
    star,
    literals: new Map(),
    starChild: undefined,
  });
  const root = newNode(false);
  const alphabet = new Set<string>();
  for (const pattern of patterns) {
    let node = root;
    pattern.segments.forEach((segment, index) => {
      if (index > 0) {
        node.starChild ??= newNode(true);
        node = node.starChild;
      }
      for (const c of segment) {
        alphabet.add(c);
        let child = node.literals.get(c);
        if (child === undefined) {
          child = newNode(false);
          node.literals.set(c, child);
        }
        node = child;
      }
    });
  }
  // A star also matches the empty string, so a node before a star implies the star's node. Stars
  // are never consecutive, so one level of closure is enough.
  const close = (nodes: Set<TrieNode>): Set<TrieNode> => {
    for (const node of [...nodes]) if (node.starChild !== undefined) nodes.add(node.starChild);
    return nodes;
  };
  const step = (nodes: readonly TrieNode[], c: string | undefined): Set<TrieNode> => {
    const next = new Set<TrieNode>();
    for (const node of nodes) {
      if (node.star) next.add(node);
      if (c !== undefined) {
        const child = node.literals.get(c);
        if (child !== undefined) next.add(child);
      }
    }
    return close(next);
  };
  const key = (nodes: readonly TrieNode[]): string => nodes.map((n) => n.id).join(",");
  const sorted = (nodes: Set<TrieNode>): TrieNode[] => [...nodes].sort((a, b) => a.id - b.id);
  const count = (nodes: readonly TrieNode[]): number =>
    nodes.length - (nodes.includes(root) ? 1 : 0);

  const start = sorted(close(new Set([root])));
  const seen = new Set<string>([key(start)]);
  const queue: TrieNode[][] = [start];
  const symbols: (string | undefined)[] = [...alphabet, undefined]; // undefined: any other character
  let max = count(start);
  if (max >= cap) return cap;
  for (let head = 0; head < queue.length; head++) {
    const nodes = queue[head] as TrieNode[];
    for (const c of symbols) {
      const next = sorted(step(nodes, c));
      if (next.length === 0) continue;
      const k = key(next);
      if (seen.has(k)) continue;
      seen.add(k);
      max = Math.max(max, count(next));
      if (max >= cap || seen.size > stateBudget) return cap;
      queue.push(next);
    }
  }
  return max;
}
