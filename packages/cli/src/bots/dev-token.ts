/** Tokens from the local stack's identity provider (its `GET /token`), for bots and tests. */
import type { DevTokenResponse } from "@ledgerquest/local";
import { isRecord } from "./json.js";

export class DevTokenError extends Error {
  override readonly name = "DevTokenError";
}

function causeCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === "string" ? cause.code : String((error as Error).message);
}

/** A dev token for `playerId` from the identity provider at `idpUrl` (its `GET /token`). */
export async function fetchDevToken(
  idpUrl: string,
  playerId: string,
  options: { readonly expiresInSeconds?: number } = {},
): Promise<DevTokenResponse> {
  const url = new URL("/token", idpUrl);
  url.searchParams.set("player", playerId);
  if (options.expiresInSeconds !== undefined) {
    url.searchParams.set("expiresIn", String(options.expiresInSeconds));
  }
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new DevTokenError(
      `the local stack's identity provider at ${idpUrl} does not answer (${causeCode(error)}): is \`ledgerquest dev\` still running? Start it with \`npm start\``,
      { cause: error },
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    if (response.status === 404) {
      throw new DevTokenError(
        `the identity provider at ${idpUrl} has no token endpoint: restart \`ledgerquest dev\` from this version of the project`,
      );
    }
    const message =
      isRecord(body) && typeof body.message === "string" ? body.message : `HTTP ${response.status}`;
    throw new DevTokenError(`no token for ${JSON.stringify(playerId)}: ${message}`);
  }
  if (!isRecord(body) || typeof body.token !== "string" || typeof body.expiresAt !== "string") {
    throw new DevTokenError(
      `the identity provider at ${idpUrl} answered something that is not a token: ${text.slice(0, 200)}`,
    );
  }
  return { token: body.token, expiresAt: body.expiresAt };
}
