/**
 * The local stack's dev identity provider: the part of Cognito the `$connect` authorizer sees.
 *
 * It makes an RS256 key pair when it starts, publishes the public half as a JWKS over HTTP on
 * loopback (`/.well-known/jwks.json`, with an OpenID discovery document beside it), and signs
 * tokens for any player id. The authorizer verifies them with aws-jwt-verify exactly as it
 * verifies Cognito's, configured with `LQ_AUTH_PROVIDER=jwks` and the three variables in
 * `environment` (the config schema allows a plain-HTTP JWKS only on loopback, which is where this
 * listens).
 *
 * The private key lives only in this process's memory: tokens die with it, so a restarted stack
 * needs fresh tokens, as a real provider's clients need after a key rotation.
 *
 * Other processes on this machine (`ledgerquest token`, `ledgerquest bots`) get tokens from
 * `GET /token?player=<id>[&expiresIn=<s>][&operator=1]`, answered `{token, expiresAt}`. Anyone who can call it
 * can act as any player, so it answers only requests that come from loopback, name its own
 * loopback host and port, and carry no other page's `Origin` (`loopback-guard.ts`, the rule the
 * dashboard's `/api/token` shares): the listener is bound to 127.0.0.1 already, and the header
 * checks keep a web page that rebinds its own DNS name to 127.0.0.1 from reading tokens through
 * the visitor's browser.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PLAYER_ID_PATTERN } from "@ledgerquest/aws";
import { OPERATOR_GROUP } from "@ledgerquest/runtime";
import {
  calculateJwkThumbprint,
  exportJWK,
  type GenerateKeyPairResult,
  generateKeyPair,
  type JWK,
  SignJWT,
} from "jose";
import { foreignRequestReason, isLoopbackAddress } from "./loopback-guard.js";

export { isLoopbackAddress } from "./loopback-guard.js";

export class DevIdentityProviderError extends Error {
  override readonly name = "DevIdentityProviderError";
}

/** The audience tokens carry when none is chosen. */
export const DEFAULT_DEV_AUDIENCE = "ledgerquest-dev";

/** Cognito's default access-token lifetime. */
export const DEFAULT_TOKEN_LIFETIME_S = 3600;

export const JWKS_PATH = "/.well-known/jwks.json";
export const OPENID_CONFIGURATION_PATH = "/.well-known/openid-configuration";
/** Where other local processes get a token: `GET /token?player=<id>[&expiresIn=<s>]`. */
export const TOKEN_PATH = "/token";

/**
 * The longest lifetime `/token` grants, in seconds: a day, the most Cognito allows an access
 * token, so nothing written against the local stack relies on longer-lived tokens.
 */
export const MAX_TOKEN_LIFETIME_S = 86_400;

/** What `GET /token` answers. */
export interface DevTokenResponse {
  readonly token: string;
  /** The token's `exp` as an ISO 8601 time. */
  readonly expiresAt: string;
}

export interface DevIdentityProviderOptions {
  /** Port on 127.0.0.1; default: a free one. */
  readonly port?: number;
  /**
   * The `iss` claim of the tokens, an http(s) URL. Default: this provider's own URL
   * (`http://127.0.0.1:<port>`), as Cognito's issuer is its user pool's URL.
   */
  readonly issuer?: string;
  /** The `aud` claim of the tokens. Default `ledgerquest-dev`. */
  readonly audience?: string;
}

export interface TokenOptions {
  /**
   * Lifetime from now, in seconds; default one hour. A negative value mints a token that has
   * already expired, which is what tests of the authorizer's 401 need.
   */
  readonly expiresInSeconds?: number;
  /**
   * Cognito groups for the token's `cognito:groups` claim, e.g. `["operators"]`, which makes the
   * player an operator (the authorizer says so to the routes). Default none.
   */
  readonly groups?: readonly string[];
}

/**
 * The authorizer's variables (see `authorizerConfigSchema` in `@ledgerquest/aws`). A type alias,
 * not an interface, so that it passes where an environment (a string record) is expected.
 */
export type DevAuthorizerEnvironment = {
  readonly LQ_AUTH_PROVIDER: "jwks";
  readonly LQ_JWT_ISSUER: string;
  readonly LQ_JWT_JWKS_URI: string;
  readonly LQ_JWT_AUDIENCE: string;
};

export interface DevIdentityProvider {
  /** Where it listens, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly issuer: string;
  readonly jwksUri: string;
  readonly audience: string;
  /** The key id (`kid`) in every token's header and in the JWKS: the key's RFC 7638 thumbprint. */
  readonly keyId: string;
  /** What to set for the `$connect` authorizer to trust this provider. */
  readonly environment: DevAuthorizerEnvironment;
  /** A signed token whose `sub` is `playerId`. */
  token(playerId: string, options?: TokenOptions): Promise<string>;
  /** The same, with its expiry: what `GET /token` answers. */
  issue(playerId: string, options?: TokenOptions): Promise<DevTokenResponse>;
  stop(): Promise<void>;
}

const ALGORITHM = "RS256";

function assertHttpUrl(value: string, what: string): void {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new DevIdentityProviderError(
      `${what} must be an http(s) URL, got ${JSON.stringify(value)}`,
    );
  }
}

function sendJson(
  response: ServerResponse,
  status: number,
  payload: unknown,
  // Verifiers cache the keys; a short max-age keeps a restarted provider's new key reachable.
  cacheControl = "public, max-age=60",
): void {
  const body = JSON.stringify(payload);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "cache-control": cacheControl,
  });
  response.end(body);
}

class TokenRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The lifetime `/token` was asked for, in seconds (default one hour). */
function requestedLifetimeS(value: string | null): number {
  if (value === null) return DEFAULT_TOKEN_LIFETIME_S;
  const lifetimeS = /^-?\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (
    !Number.isSafeInteger(lifetimeS) ||
    lifetimeS === 0 ||
    Math.abs(lifetimeS) > MAX_TOKEN_LIFETIME_S
  ) {
    throw new TokenRequestError(
      400,
      "invalid_expires_in",
      `expiresIn must be a non-zero whole number of seconds from -${MAX_TOKEN_LIFETIME_S} to ${MAX_TOKEN_LIFETIME_S} (negative: an already-expired token), got ${JSON.stringify(value)}`,
    );
  }
  return lifetimeS;
}

/** The key the provider signs with, and its public half as the JWKS publishes it. */
interface SigningKey {
  readonly privateKey: GenerateKeyPairResult["privateKey"];
  readonly keyId: string;
  readonly jwk: JWK;
}

async function generateSigningKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(ALGORITHM);
  const exported = await exportJWK(publicKey);
  const keyId = await calculateJwkThumbprint(exported);
  return { privateKey, keyId, jwk: { ...exported, kid: keyId, alg: ALGORITHM, use: "sig" } };
}

/**
 * Where the provider listens and what its tokens and discovery document say; `port`, and
 * `issuer` and `jwksUri` unless chosen, are known once it listens.
 */
interface ProviderSite {
  port: number;
  issuer: string;
  jwksUri: string;
  readonly audience: string;
  readonly key: SigningKey;
}

async function issueToken(
  site: ProviderSite,
  playerId: string,
  tokenOptions: TokenOptions,
): Promise<DevTokenResponse> {
  // A token the authorizer would deny anyway is a mistake on the caller's side: say so here.
  if (!PLAYER_ID_PATTERN.test(playerId)) {
    throw new DevIdentityProviderError(
      `player id must match ${PLAYER_ID_PATTERN}, got ${JSON.stringify(playerId)}`,
    );
  }
  const lifetimeS = tokenOptions.expiresInSeconds ?? DEFAULT_TOKEN_LIFETIME_S;
  if (!Number.isSafeInteger(lifetimeS) || lifetimeS === 0) {
    throw new DevIdentityProviderError(
      `expiresInSeconds must be a non-zero whole number of seconds, got ${lifetimeS}`,
    );
  }
  const nowS = Math.floor(Date.now() / 1000);
  // An expired token is issued in the past, before its expiry, so that it is otherwise valid.
  const issuedAtS = lifetimeS > 0 ? nowS : nowS + lifetimeS - 60;
  const groups = tokenOptions.groups ?? [];
  const token = await new SignJWT(groups.length === 0 ? {} : { "cognito:groups": [...groups] })
    .setProtectedHeader({ alg: ALGORITHM, kid: site.key.keyId, typ: "JWT" })
    .setSubject(playerId)
    .setIssuer(site.issuer)
    .setAudience(site.audience)
    .setIssuedAt(issuedAtS)
    .setExpirationTime(nowS + lifetimeS)
    .setJti(randomUUID())
    .sign(site.key.privateKey);
  return { token, expiresAt: new Date((nowS + lifetimeS) * 1000).toISOString() };
}

type Issue = (playerId: string, tokenOptions?: TokenOptions) => Promise<DevTokenResponse>;

async function serveToken(
  request: IncomingMessage,
  response: ServerResponse,
  query: URLSearchParams,
  site: ProviderSite,
  issue: Issue,
): Promise<void> {
  // Tokens are secrets: no cache may keep one.
  const noStore = "no-store";
  try {
    const foreign = isLoopbackAddress(request.socket.remoteAddress)
      ? foreignRequestReason(request.headers, site.port)
      : "it comes from another machine";
    if (foreign !== undefined) {
      throw new TokenRequestError(
        403,
        "forbidden",
        `the dev token endpoint serves this machine only, and ${foreign}`,
      );
    }
    if (request.method !== "GET") {
      throw new TokenRequestError(405, "method_not_allowed", `use GET ${TOKEN_PATH}?player=<id>`);
    }
    const player = query.get("player");
    if (player === null || !PLAYER_ID_PATTERN.test(player)) {
      throw new TokenRequestError(
        400,
        "invalid_player",
        `name the player in ?player=<id>, matching ${PLAYER_ID_PATTERN}; got ${player === null ? "none" : JSON.stringify(player)}`,
      );
    }
    const lifetimeS = requestedLifetimeS(query.get("expiresIn"));
    // `operator=1` (or true): a token in the operators' group, for the operator's queries.
    const operator = ["1", "true"].includes(query.get("operator") ?? "");
    sendJson(
      response,
      200,
      await issue(player, {
        expiresInSeconds: lifetimeS,
        ...(operator ? { groups: [OPERATOR_GROUP] } : {}),
      }),
      noStore,
    );
  } catch (error) {
    if (error instanceof TokenRequestError) {
      sendJson(response, error.status, { error: error.code, message: error.message }, noStore);
    } else {
      sendJson(response, 500, { error: "internal", message: String(error) }, noStore);
    }
  }
}

function serve(
  request: IncomingMessage,
  response: ServerResponse,
  site: ProviderSite,
  issue: Issue,
): void {
  const url = new URL(request.url ?? "/", "http://localhost");
  const path = url.pathname;
  if (path === TOKEN_PATH) {
    void serveToken(request, response, url.searchParams, site, issue);
  } else if (request.method !== "GET" && request.method !== "HEAD") {
    sendJson(response, 405, { error: "method_not_allowed" });
  } else if (path === JWKS_PATH) {
    sendJson(response, 200, { keys: [site.key.jwk] });
  } else if (path === OPENID_CONFIGURATION_PATH) {
    sendJson(response, 200, {
      issuer: site.issuer,
      jwks_uri: site.jwksUri,
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: [ALGORITHM],
    });
  } else {
    sendJson(response, 404, { error: "not_found", message: `no such path: ${path}` });
  }
}

async function listen(server: Server, port: number | undefined): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new DevIdentityProviderError(
          `the dev identity provider could not listen on 127.0.0.1:${port ?? 0}: ${error.code ?? error.message}`,
          { cause: error },
        ),
      ),
    );
    server.listen(port ?? 0, "127.0.0.1", () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export async function startDevIdentityProvider(
  options: DevIdentityProviderOptions = {},
): Promise<DevIdentityProvider> {
  if (options.issuer !== undefined) assertHttpUrl(options.issuer, "issuer");
  const audience = options.audience ?? DEFAULT_DEV_AUDIENCE;
  // The same rule the authorizer's LQ_JWT_AUDIENCE applies to each item, so a token minted here
  // can always be accepted there.
  if (!/^[\x21-\x2b\x2d-\x7e]{1,256}$/.test(audience)) {
    throw new DevIdentityProviderError(
      `audience must be 1-256 printable characters without spaces or commas, got ${JSON.stringify(audience)}`,
    );
  }

  const key = await generateSigningKey();
  const site: ProviderSite = { port: 0, issuer: options.issuer ?? "", jwksUri: "", audience, key };
  const issue = (playerId: string, tokenOptions: TokenOptions = {}) =>
    issueToken(site, playerId, tokenOptions);

  const server = createServer((request: IncomingMessage, response: ServerResponse) =>
    serve(request, response, site, issue),
  );
  const port = await listen(server, options.port);
  let stopping: Promise<void> | undefined;
  const url = `http://127.0.0.1:${port}`;
  const issuer = options.issuer ?? url;
  const jwksUri = `${url}${JWKS_PATH}`;
  site.port = port;
  site.issuer = issuer;
  site.jwksUri = jwksUri;

  return {
    url,
    issuer,
    jwksUri,
    audience,
    keyId: key.keyId,
    environment: {
      LQ_AUTH_PROVIDER: "jwks",
      LQ_JWT_ISSUER: issuer,
      LQ_JWT_JWKS_URI: jwksUri,
      LQ_JWT_AUDIENCE: audience,
    },
    token: async (playerId, tokenOptions) => (await issue(playerId, tokenOptions)).token,
    issue,
    stop(): Promise<void> {
      // Idempotent: a second close of a Node server fails with ERR_SERVER_NOT_RUNNING.
      stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}
