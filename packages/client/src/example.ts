/**
 * Example data for a command, from the JSON Schema of its data that a game's description carries
 * (`GameDescription.commandData`): for forms, command palettes and first hints.
 */

/**
 * An example of data a JSON Schema accepts: required properties only, each at its minimum (or 0),
 * the first of an enum, a constant, an empty string or list, false. Undefined for a schema it
 * cannot read.
 */
export function exampleOf(schema: unknown, depth = 0): unknown {
  if (typeof schema !== "object" || schema === null || depth > 8) return undefined;
  const s = schema as Record<string, unknown>;
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  const options = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(options)) return exampleOf(options[0], depth + 1);
  switch (s.type) {
    case "object": {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const required = Array.isArray(s.required) ? (s.required as string[]) : [];
      const out: Record<string, unknown> = {};
      for (const key of required) out[key] = exampleOf(properties[key], depth + 1) ?? null;
      return out;
    }
    case "integer":
    case "number": {
      const low = typeof s.minimum === "number" ? s.minimum : undefined;
      const high = typeof s.maximum === "number" ? s.maximum : undefined;
      return low !== undefined && low > 0 ? low : high !== undefined && high < 0 ? high : 0;
    }
    case "string":
      return "";
    case "boolean":
      return false;
    case "array":
      return [];
    default:
      return undefined;
  }
}
