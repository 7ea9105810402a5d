/**
 * What the definitions share for validating with zod: `zod/mini`, whose functions bundlers can
 * tree-shake (classic `zod`'s methods cannot be: about 195 KB minified against about 24 KB for the
 * same schemas), with English messages.
 *
 * `zod/mini` loads no locale, and its default messages would all be "Invalid input". This module
 * configures English when it loads, and the definitions parse through its `safeParse`, so no parse
 * can run before that (an import only for its effect could be dropped by a bundler, since the
 * package declares no side effects).
 */
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";

z.config(en());

/**
 * Parses `value` with any zod 4 schema, classic (`zod`) or mini (`zod/mini`), with English
 * default messages.
 */
export function safeParse<S extends z.core.$ZodType>(
  schema: S,
  value: unknown,
): z.util.SafeParseResult<z.output<S>> {
  return z.safeParse(schema, value);
}

/** An issue's path as a client reads it: `data.items[2].count`. */
export function pathOf(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path)
    out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out;
}
