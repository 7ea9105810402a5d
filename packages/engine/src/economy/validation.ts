import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

// zod/mini loads no locale, and its default messages would then all be "Invalid input". Every
// definition schema is built on this module, so English is configured before any is parsed.
z.config(en());

/**
 * Helpers shared by the declarative definitions (economy, quests): zod schemas whose messages
 * say what is wanted and what was given, and the conversion of failures into issues that name
 * the path (`economy.items[2].price`) and the reason (`must be a positive integer, got -5`).
 *
 * Validation runs at load, at the boundary; nothing here runs inside a tick.
 */

/** One problem of a definition: where (`quests[1].objectives[0].count`) and why. */
export interface DefinitionIssue {
  readonly path: string;
  readonly message: string;
}

/** `root` followed by the path: numbers as `[i]`, keys as `.key`. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `.${String(p)}`;
  return out;
}

/** A short, readable rendering of a given value for an error message. */
export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") {
    const s = JSON.stringify(value);
    return s.length > 40 ? `${s.slice(0, 37)}..."` : s;
  }
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object") return "an object";
  return typeof value;
}

/** The one-line message of a list of issues: `path: reason; path: reason`. */
export function describeIssues(issues: readonly DefinitionIssue[]): string {
  const shown = issues.slice(0, 20).map((i) => `${i.path}: ${i.message}`);
  if (issues.length > shown.length) shown.push(`(and ${issues.length - shown.length} more)`);
  return shown.join("; ");
}

/** An error function for zod: "is required" when missing, else `<want>, got <value>`. */
export function want(what: string): (issue: { readonly input?: unknown }) => string {
  return (issue) =>
    issue.input === undefined ? "is required" : `${what}, got ${show(issue.input)}`;
}

/** A positive safe integer. */
export function positiveInt() {
  const error = want("must be a positive integer");
  return z
    .number({ error })
    .check(z.refine((v) => Number.isSafeInteger(v) && v > 0, { error: (i) => error(i) }));
}

/** A safe integer ≥ 0. */
export function nonNegativeInt() {
  const error = want("must be an integer ≥ 0");
  return z
    .number({ error })
    .check(z.refine((v) => Number.isSafeInteger(v) && v >= 0, { error: (i) => error(i) }));
}

/** An integer in [min, max]. */
export function intRange(min: number, max: number) {
  const error = want(`must be an integer from ${min} to ${max}`);
  return z.number({ error }).check(
    z.refine((v) => Number.isSafeInteger(v) && v >= min && v <= max, {
      error: (i) => error(i),
    }),
  );
}

/** A string matching `pattern`, described as `what` in the message. */
export function pattern(re: RegExp, what: string) {
  const error = want(`must be ${what}`);
  return z.string({ error }).check(z.regex(re, { error: (i) => error(i) }));
}

/** Non-empty display text of at most `max` characters. */
export function text(max: number) {
  const error = want(`must be a text of 1 to ${max} characters`);
  return z
    .string({ error })
    .check(z.refine((s) => s.length >= 1 && s.length <= max, { error: (i) => error(i) }));
}

export function bool() {
  return z.boolean({ error: want("must be true or false") });
}

/** A list; `what` describes it when the value is not one. */
export function list<T extends z.core.SomeType>(item: T, what = "must be a list") {
  return z.array(item, { error: want(what) });
}

/** Converts a zod failure into issues under `root`, in the order zod found them. */
export function zodIssues(root: string, error: z.core.$ZodError): DefinitionIssue[] {
  const out: DefinitionIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path as readonly PropertyKey[];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        out.push({ path: formatPath(root, [...path, key]), message: "is not a known field" });
      continue;
    }
    if (issue.code === "invalid_union" && "options" in issue && Array.isArray(issue.options)) {
      const options = (issue.options as unknown[]).map((o) => JSON.stringify(o)).join(", ");
      out.push({ path: formatPath(root, path), message: `must be one of ${options}` });
      continue;
    }
    if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
      const input = (issue as { input?: unknown }).input;
      const expected = issue.expected === "object" ? "an object" : issue.expected;
      out.push({
        path: formatPath(root, path),
        message: input === undefined ? "is required" : `must be ${expected}, got ${show(input)}`,
      });
      continue;
    }
    out.push({ path: formatPath(root, path), message: issue.message });
  }
  return out;
}
