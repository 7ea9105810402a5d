/**
 * Reading a JWT's claims on the page: who signed in, whether an operator, and when the token
 * expires. Not verified: the server verifies; the page only reads. Pure: no DOM, so it is tested
 * in Node.
 */

/** The claims of a JWT, decoded without verifying it (the server verifies; the page only reads). */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const part = token.split(".")[1];
  if (part === undefined) return undefined;
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const json = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    return typeof json === "object" && json !== null && !Array.isArray(json)
      ? (json as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** When the token expires (ms since the epoch), if it says. */
export function tokenExpiresAtMs(token: string): number | undefined {
  const exp = decodeJwtPayload(token)?.exp;
  return typeof exp === "number" ? exp * 1000 : undefined;
}

/** Whether the token's `exp` has passed at `nowMs` (with a little slack for clock skew). */
export function tokenExpired(token: string, nowMs: number, skewMs = 5_000): boolean {
  const at = tokenExpiresAtMs(token);
  return at !== undefined && at + skewMs <= nowMs;
}

/** The token's player (`sub`, as the server reads it) and whether it is an operator. */
export function tokenIdentity(token: string): { player?: string; operator: boolean } {
  const claims = decodeJwtPayload(token) ?? {};
  const sub = typeof claims.sub === "string" ? claims.sub : undefined;
  const username = typeof claims.username === "string" ? claims.username : undefined;
  const groups = claims["cognito:groups"];
  const operator = Array.isArray(groups) && groups.includes("operators");
  const player = sub ?? username;
  return player === undefined ? { operator } : { player, operator };
}
