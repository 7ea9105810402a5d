/**
 * The REQUEST authorizer's answer, as API Gateway judges it: its size limit, then IAM's evaluation
 * of its policy for `execute-api:Invoke` on the method ARN, and the checks on its context. Pure
 * functions: the handshake (`handshake.ts`) turns the decision into a status.
 */

/** API Gateway's limit on a Lambda authorizer's result. */
export const API_GATEWAY_MAX_AUTHORIZER_RESULT_BYTES = 8 * 1024;

export type PolicyDecision =
  | {
      readonly effect: "allow" | "deny";
      readonly principalId: string;
      readonly context: Readonly<Record<string, string | number | boolean>>;
    }
  | { readonly problem: string };

export function globMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/-]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

export function stringList(value: unknown): readonly string[] | undefined {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
  return undefined;
}

/** IAM's evaluation, for the one action and resource that matter: an explicit Deny wins. */
export function evaluatePolicy(result: unknown, methodArn: string): PolicyDecision {
  if (typeof result !== "object" || result === null) {
    return { problem: "the authorizer returned no policy object" };
  }
  const { principalId, policyDocument, context } = result as Record<string, unknown>;
  if (typeof principalId !== "string" || principalId === "") {
    return { problem: "the authorizer's answer has no principalId" };
  }
  if (typeof policyDocument !== "object" || policyDocument === null) {
    return { problem: "the authorizer's answer has no policyDocument" };
  }
  const rawStatements = (policyDocument as Record<string, unknown>).Statement;
  const statements = Array.isArray(rawStatements) ? rawStatements : [rawStatements];
  let allowed = false;
  for (const statement of statements) {
    if (typeof statement !== "object" || statement === null) {
      return { problem: "a policy statement is not an object" };
    }
    const { Effect, Action, Resource } = statement as Record<string, unknown>;
    const actions = stringList(Action);
    const resources = stringList(Resource);
    if ((Effect !== "Allow" && Effect !== "Deny") || actions === undefined || !resources) {
      return { problem: "a policy statement lacks a valid Effect, Action or Resource" };
    }
    const applies =
      actions.some((action) => globMatches(action, "execute-api:Invoke", true)) &&
      resources.some((resource) => globMatches(resource, methodArn, false));
    if (applies && Effect === "Deny") return { effect: "deny", principalId, context: {} };
    if (applies) allowed = true;
  }
  const checked: Record<string, string | number | boolean> = {};
  if (context !== undefined && context !== null) {
    if (typeof context !== "object" || Array.isArray(context)) {
      return { problem: "the authorizer's context is not an object" };
    }
    for (const [key, value] of Object.entries(context)) {
      if (value === null || value === undefined) continue;
      if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
        // API Gateway refuses such a context with a 500 (AuthorizerConfigurationException).
        return { problem: `the authorizer's context.${key} is not a string, number or boolean` };
      }
      checked[key] = value;
    }
  }
  return { effect: allowed ? "allow" : "deny", principalId, context: checked };
}

/** The decision on the authorizer's answer: over API Gateway's size limit, a problem; else IAM's. */
export function decideAuthorizerResult(result: unknown, methodArn: string): PolicyDecision {
  const resultBytes = Buffer.byteLength(JSON.stringify(result) ?? "");
  return resultBytes > API_GATEWAY_MAX_AUTHORIZER_RESULT_BYTES
    ? {
        problem: `the authorizer's answer is ${resultBytes} bytes, over API Gateway's ${API_GATEWAY_MAX_AUTHORIZER_RESULT_BYTES}`,
      }
    : evaluatePolicy(result, methodArn);
}
