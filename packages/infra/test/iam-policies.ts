// Reading the functions' DynamoDB grants out of a synthesized template, as IAM evaluates them:
// each statement expanded to (table, action, LeadingKeys patterns), the patterns matched as
// IAM's StringLike matches them.
import { AUDIT_LOG, ENTITY_TABLE } from "@ledgerquest/runtime";
import type { Template } from "aws-cdk-lib/assertions";
import { actionsOf, policyStatements, resourcesOf } from "./helpers.js";

export interface KeyGrant {
  /** `EntityTable`, `EntityTable/index/<name>` or `AuditLog`. */
  readonly table: string;
  readonly action: string;
  /** The `dynamodb:LeadingKeys` patterns; undefined when the statement has no key condition. */
  readonly keys?: readonly string[];
}

/** `audit-stream` → `AuditStream`: the construct id, and so the prefix of its logical ids. */
export function constructIdOf(handler: string): string {
  return handler.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

/** Which of the game's tables (or index) a statement's resource is, if any. */
function tableOf(resource: unknown): string | undefined {
  const text = JSON.stringify(resource);
  // Logical ids of the Core stack's constructs: Entities/EntityTable, Journal/AuditLog.
  const table = text.includes(`Entities${ENTITY_TABLE.logicalName}`)
    ? ENTITY_TABLE.logicalName
    : text.includes(`Journal${AUDIT_LOG.logicalName}`)
      ? AUDIT_LOG.logicalName
      : undefined;
  if (table === undefined || text.includes("StreamArn")) return undefined;
  const index = /\/index\/([A-Za-z0-9_.-]+)/.exec(text);
  return index === null ? table : `${table}/index/${index[1]}`;
}

const LEADING_KEYS = "dynamodb:LeadingKeys";

function keysOf(condition: unknown, where: string): readonly string[] | undefined {
  if (condition === undefined) return undefined;
  const operators = Object.keys(condition as object);
  const like = (condition as Record<string, Record<string, unknown>>)["ForAllValues:StringLike"];
  const patterns = like?.[LEADING_KEYS];
  if (operators.length !== 1 || like === undefined || Object.keys(like).length !== 1) {
    throw new Error(
      `${where}: a condition this reader does not know: ${JSON.stringify(condition)}`,
    );
  }
  return (Array.isArray(patterns) ? patterns : [patterns]).map(String);
}

/** Every DynamoDB action a function's role is granted on the game's tables, one per resource. */
export function keyGrantsOf(template: Template, handler: string): KeyGrant[] {
  const prefix = `${constructIdOf(handler)}Role`;
  const grants: KeyGrant[] = [];
  for (const found of policyStatements("compute", template.toJSON())) {
    if (!found.policy.startsWith(prefix) || found.statement.Effect !== "Allow") continue;
    for (const resource of resourcesOf(found.statement)) {
      const table = tableOf(resource);
      if (table === undefined) continue;
      const keys = keysOf(found.statement.Condition, `${handler} ${found.policy}`);
      for (const action of actionsOf(found.statement)) {
        if (action.startsWith("dynamodb:")) {
          grants.push(keys === undefined ? { table, action } : { table, action, keys });
        }
      }
    }
  }
  return grants;
}

/** IAM's StringLike: `*` any run of characters, `?` any one; everything else literally. */
export function likeMatches(pattern: string, value: string): boolean {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, "s").test(value);
}

/**
 * Whether a grant with these LeadingKeys patterns allows an item of partition key `key`: with no
 * condition, every item; with one, `ForAllValues:StringLike` (the key matches some pattern).
 */
export function keyMatches(patterns: readonly string[] | undefined, key: string): boolean {
  return patterns === undefined || patterns.some((p) => likeMatches(p, key));
}
