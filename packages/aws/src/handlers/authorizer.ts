/**
 * The API Gateway WebSocket `$connect` authorizer (a Lambda REQUEST authorizer).
 *
 * A client opens the socket with a JWT in the `token` query parameter (browsers cannot set headers
 * on a WebSocket) or, from other clients, an `Authorization: Bearer` header. The token is verified
 * with aws-jwt-verify against a Cognito user pool in the cloud, or any issuer's JWKS locally; the
 * player id is read from one claim. The answers, in API Gateway's terms:
 *
 * - allow: an IAM policy allowing `execute-api:Invoke` on the `$connect` method ARN, with the player
 *   id as `principalId` and as `context.playerId`, which the connect handler reads from
 *   `event.requestContext.authorizer.playerId`;
 * - 401, by throwing an error whose message is exactly `Unauthorized` (`UnauthorizedError`): no
 *   token, or one that authenticates nobody (malformed, forged, unknown key, expired, not yet valid,
 *   without an expiry or living longer than a day, wrong issuer, audience or token use). The client
 *   should get a fresh token and retry;
 * - 403, by returning a Deny policy: a genuine token whose player-id claim is missing or not a valid
 *   player id. A fresh token from the same account would not help;
 * - 500, by throwing anything else: the signing keys could not be fetched, or the configuration is
 *   bad. Nothing is wrong with the client; it may retry later.
 *
 * `authorize` is the testable core (event and verifier in, typed result out); `handler` is the thin
 * Lambda entry point, which builds its verifier from validated configuration on the first
 * invocation of each cold start and keeps it, so the JWKS is fetched once, not per connection.
 */

import { CognitoJwtVerifier, JwtVerifier } from "aws-jwt-verify";
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwksValidationError,
  JwkValidationError,
  JwtBaseError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureAlgorithmError,
  JwtInvalidSignatureError,
  JwtNotBeforeError,
  JwtParseError,
  JwtWithoutValidKidError,
  KidNotFoundInJwksError,
  NonRetryableFetchError,
  ParameterValidationError,
  WaitPeriodNotYetEndedJwkError,
} from "aws-jwt-verify/error";
import type { Fetcher } from "aws-jwt-verify/https";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import type { APIGatewayAuthorizerResult } from "aws-lambda";
import {
  type AuthorizerConfig,
  authorizerConfigSchema,
  DEFAULT_PLAYER_ID_CLAIM,
  readConfig,
  type TokenVerifierConfig,
} from "../config.js";
import { AwsAdapterError, UnauthorizedError } from "../errors.js";
import { LogMessage } from "../log-queries.js";
import {
  type LambdaHandler,
  logger,
  MetricName,
  recordMetric,
  withObservability,
} from "../observability.js";

/** What a player id must look like: it becomes a key in tables, logs and ledger accounts. */
export const PLAYER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The query-string parameter that carries the token. */
export const TOKEN_QUERY_PARAMETER = "token";

/**
 * The longest a token may live, in seconds: `exp` - `iat`, or `exp` - now for a token without
 * `iat`. A day, the most Cognito grants an ID or access token, so Cognito's tokens always pass; on
 * the JWKS path, which trusts whatever the configured issuer signs, a longer-lived token means a
 * misconfigured issuer (or a key used for what it should not sign), and a leaked one would open
 * connections for weeks.
 */
export const MAX_ACCEPTED_TOKEN_LIFETIME_S = 86_400;

/**
 * How far in the future `iat` may be, in seconds: the issuer's clock may run a little ahead of
 * this one. aws-jwt-verify checks `exp` and `nbf` (with no grace) but neither requires `exp` nor
 * reads `iat`, so `authorize` does both, after the signature is verified.
 */
export const MAX_ISSUED_AT_SKEW_S = 60;

/** Verifies a JWT and returns its claims; rejects with an aws-jwt-verify error otherwise. */
export interface TokenVerifier {
  verify(token: string): Promise<Readonly<Record<string, unknown>>>;
}

/**
 * The parts of API Gateway's WebSocket REQUEST authorizer event this authorizer reads. The full
 * `APIGatewayRequestAuthorizerEvent` fits it, and so does the smaller event the local gateway builds.
 */
export interface ConnectAuthorizerEvent {
  readonly methodArn: string;
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly multiValueQueryStringParameters?: Readonly<
    Record<string, readonly string[] | undefined>
  > | null;
}

/** Why a `$connect` gets a 401. */
export type UnauthorizedReason =
  | "missing-token"
  /** Two different tokens (query and header, or a repeated query parameter): which one is meant? */
  | "ambiguous-token"
  | "malformed-authorization-header"
  | "malformed-token"
  | "bad-signature"
  /** The token names a signing key the issuer does not publish. */
  | "unknown-key"
  | "expired"
  /** `nbf`, or `iat`, is in the future. */
  | "not-yet-valid"
  /** No `exp`: a token that never expires would open connections for as long as its key lives. */
  | "missing-expiry"
  /** `exp` is more than `MAX_ACCEPTED_TOKEN_LIFETIME_S` after `iat` (or after now, without `iat`). */
  | "lifetime-too-long"
  | "wrong-issuer"
  | "wrong-audience"
  | "wrong-token-use"
  | "invalid-token";

/** Why a `$connect` gets a 403. */
export type DenyReason = "invalid-player-id";

// Alike in form only (a tagged union after an error class): runtime/src/usecases/replay.ts's
// ReplayMismatch.
export type AuthorizeResult =
  | {
      readonly outcome: "allow";
      readonly playerId: string;
      /** In the operators' group (`cognito:groups`): may ask the operators' queries. */
      readonly operator: boolean;
    }
  | {
      readonly outcome: "unauthorized";
      readonly reason: UnauthorizedReason;
      /** For logs only: never sent to the client. */
      readonly detail: string;
    }
  | { readonly outcome: "deny"; readonly reason: DenyReason; readonly detail: string };

type TokenExtraction =
  | { readonly token: string }
  | { readonly reason: UnauthorizedReason; readonly detail: string };

// RFC 6750's b64token, which covers a JWT's base64url segments and dots.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

function header(event: ConnectAuthorizerEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined && value !== "") return value;
  }
  return undefined;
}

function queryTokens(event: ConnectAuthorizerEvent): readonly string[] {
  const values = [
    ...(event.multiValueQueryStringParameters?.[TOKEN_QUERY_PARAMETER] ?? []),
    event.queryStringParameters?.[TOKEN_QUERY_PARAMETER],
  ];
  return [
    ...new Set(values.filter((value): value is string => value !== undefined && value !== "")),
  ];
}

function extractToken(event: ConnectAuthorizerEvent): TokenExtraction {
  const fromQuery = queryTokens(event);
  if (fromQuery.length > 1) {
    return { reason: "ambiguous-token", detail: "the token query parameter is repeated" };
  }
  const authorization = header(event, "authorization");
  let fromHeader: string | undefined;
  if (authorization !== undefined) {
    fromHeader = BEARER.exec(authorization.trim())?.[1];
    if (fromHeader === undefined) {
      return {
        reason: "malformed-authorization-header",
        detail: "the Authorization header is not `Bearer <token>`",
      };
    }
  }
  const [queryToken] = fromQuery;
  if (queryToken !== undefined && fromHeader !== undefined && queryToken !== fromHeader) {
    return {
      reason: "ambiguous-token",
      detail: "the query parameter and the Authorization header hold different tokens",
    };
  }
  const token = queryToken ?? fromHeader;
  return token === undefined
    ? { reason: "missing-token", detail: "no token query parameter and no Authorization header" }
    : { token };
}

/**
 * The 401 reason for a verification failure, or `undefined` when the failure is the system's (the
 * JWKS could not be fetched or parsed), which must not pass for a bad token.
 */
function unauthorizedReason(error: unknown): UnauthorizedReason | undefined {
  if (error instanceof FetchError) return undefined;
  if (error instanceof JwksValidationError || error instanceof JwkValidationError) return undefined;
  if (error instanceof JwtParseError) return "malformed-token";
  if (error instanceof JwtInvalidSignatureError) return "bad-signature";
  if (error instanceof JwtInvalidSignatureAlgorithmError) return "bad-signature";
  if (
    error instanceof KidNotFoundInJwksError ||
    error instanceof JwtWithoutValidKidError ||
    // After a miss the key cache refuses new fetches for a while, so an unknown key stays unknown.
    error instanceof WaitPeriodNotYetEndedJwkError
  ) {
    return "unknown-key";
  }
  if (error instanceof JwtExpiredError) return "expired";
  if (error instanceof JwtNotBeforeError) return "not-yet-valid";
  if (error instanceof JwtInvalidIssuerError) return "wrong-issuer";
  // Every parameter is supplied when the verifier is built, so at verify time this error means
  // only that the token's `iss` matches none of the configured issuers (Cognito configures two).
  if (error instanceof ParameterValidationError) return "wrong-issuer";
  if (error instanceof JwtInvalidAudienceError || error instanceof CognitoJwtInvalidClientIdError) {
    return "wrong-audience";
  }
  if (error instanceof CognitoJwtInvalidTokenUseError) return "wrong-token-use";
  if (error instanceof JwtBaseError) return "invalid-token";
  return undefined;
}

/**
 * What is wrong with a verified token's lifetime, if anything: no `exp`, an `iat` in the future, or
 * a lifetime over `MAX_ACCEPTED_TOKEN_LIFETIME_S`. aws-jwt-verify has already refused a past `exp`,
 * a future `nbf` and claims of the wrong type.
 */
function lifetimeProblem(
  claims: Readonly<Record<string, unknown>>,
  nowS: number,
): { readonly reason: UnauthorizedReason; readonly detail: string } | undefined {
  const exp = Object.hasOwn(claims, "exp") ? claims.exp : undefined;
  if (typeof exp !== "number" || !Number.isFinite(exp)) {
    return { reason: "missing-expiry", detail: "the token has no exp claim" };
  }
  const iat = Object.hasOwn(claims, "iat") ? claims.iat : undefined;
  const issuedAtS = typeof iat === "number" && Number.isFinite(iat) ? iat : undefined;
  if (issuedAtS !== undefined && issuedAtS > nowS + MAX_ISSUED_AT_SKEW_S) {
    return {
      reason: "not-yet-valid",
      detail: `the token was issued in the future (iat ${new Date(issuedAtS * 1000).toISOString()})`,
    };
  }
  const lifetimeS = exp - (issuedAtS ?? nowS);
  if (lifetimeS > MAX_ACCEPTED_TOKEN_LIFETIME_S) {
    return {
      reason: "lifetime-too-long",
      detail: `the token lives ${Math.round(lifetimeS)} s, more than ${MAX_ACCEPTED_TOKEN_LIFETIME_S} s`,
    };
  }
  return undefined;
}

/**
 * Decides a `$connect`: finds the token, verifies it, and checks the player id in
 * `playerIdClaim`. Resolves to the decision; rejects with an `AwsAdapterError` only when the
 * decision could not be made (the signing keys are unavailable).
 */
export async function authorize(
  event: ConnectAuthorizerEvent,
  verifier: TokenVerifier,
  playerIdClaim: string = DEFAULT_PLAYER_ID_CLAIM,
): Promise<AuthorizeResult> {
  const extraction = extractToken(event);
  if (!("token" in extraction)) return { outcome: "unauthorized", ...extraction };

  let claims: Readonly<Record<string, unknown>>;
  try {
    claims = await verifier.verify(extraction.token);
  } catch (error) {
    const reason = unauthorizedReason(error);
    if (reason === undefined) {
      throw new AwsAdapterError("could not verify the token: the signing keys are unavailable", {
        cause: error,
      });
    }
    return {
      outcome: "unauthorized",
      reason,
      detail: error instanceof Error ? error.message : String(error),
    };
  }

  const lifetime = lifetimeProblem(claims, Date.now() / 1000);
  if (lifetime !== undefined) return { outcome: "unauthorized", ...lifetime };

  // Own properties only: a claim named by configuration must not be found on the prototype.
  const playerId = Object.hasOwn(claims, playerIdClaim) ? claims[playerIdClaim] : undefined;
  if (typeof playerId !== "string" || !PLAYER_ID_PATTERN.test(playerId)) {
    return {
      outcome: "deny",
      reason: "invalid-player-id",
      detail:
        playerId === undefined
          ? `the token has no ${playerIdClaim} claim`
          : `the token's ${playerIdClaim} claim is not a player id (${PLAYER_ID_PATTERN})`,
    };
  }
  const groups = claims["cognito:groups"];
  const operator = Array.isArray(groups) && groups.includes(AUTHORIZER_OPERATOR_GROUP);
  return { outcome: "allow", playerId, operator };
}

/** The authorizer's answer for a player allowed to connect. */
export function allowPolicy(
  playerId: string,
  methodArn: string,
  operator = false,
): APIGatewayAuthorizerResult {
  return {
    principalId: playerId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: methodArn }],
    },
    // API Gateway passes context values as strings, numbers or booleans, to every route.
    context: { playerId, operator },
  };
}

/**
 * The group whose members are operators: the runtime's `OPERATOR_GROUP`, repeated here so that
 * the authorizer's bundle does not load the runtime (a test keeps the two equal).
 */
export const AUTHORIZER_OPERATOR_GROUP = "operators";

/** The principal of a Deny: the claim that failed is untrusted text, kept out of API Gateway. */
export const DENIED_PRINCIPAL_ID = "anonymous";

/** The authorizer's answer for a 403. */
export function denyPolicy(methodArn: string): APIGatewayAuthorizerResult {
  return {
    principalId: DENIED_PRINCIPAL_ID,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Deny", Resource: methodArn }],
    },
  };
}

// aws-jwt-verify's own fetcher speaks HTTPS only (Node's `https.request`), and the local stack's
// dev identity provider serves its JWKS over plain HTTP on localhost (config allows http only
// there). The errors are aws-jwt-verify's, so they are told apart from token errors the same way.
const JWKS_FETCH_TIMEOUT_MS = 3_000;

const httpJwksFetcher: Fetcher = {
  async fetch(uri: string): Promise<ArrayBuffer> {
    let response: Response;
    try {
      response = await fetch(uri, {
        signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
        redirect: "error",
      });
    } catch (error) {
      throw new FetchError(uri, error instanceof Error ? error.message : String(error));
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new NonRetryableFetchError(uri, `Status code is ${response.status}, expected 200`);
    }
    try {
      return await response.arrayBuffer();
    } catch (error) {
      throw new FetchError(uri, error instanceof Error ? error.message : String(error));
    }
  },
};

/**
 * A verifier for the configured issuer. It caches the issuer's JWKS in memory, fetching it on first
 * use and again only for a key id it has not seen (a key rotation), so build one per process.
 */
export function createTokenVerifier(config: TokenVerifierConfig): TokenVerifier {
  if (config.provider === "cognito") {
    return CognitoJwtVerifier.create({
      userPoolId: config.userPoolId,
      clientId: [...config.clientIds],
      tokenUse: config.tokenUse,
    });
  }
  const properties = {
    issuer: config.issuer,
    jwksUri: config.jwksUri,
    audience: [...config.audiences],
  };
  return new URL(config.jwksUri).protocol === "http:"
    ? JwtVerifier.create(properties, {
        jwksCache: new SimpleJwksCache({ fetcher: httpJwksFetcher }),
      })
    : JwtVerifier.create(properties);
}

/** What the handler needs: a verifier and the claim holding the player id. */
export interface ConnectAuthorizer {
  readonly verifier: TokenVerifier;
  readonly playerIdClaim: string;
}

export function connectAuthorizerFromConfig(config: AuthorizerConfig): ConnectAuthorizer {
  return {
    verifier: createTokenVerifier(config.verifier),
    playerIdClaim: config.playerIdClaim,
  };
}

/**
 * The Lambda handler around `authorize`. `load` runs on the first invocation and its result is kept
 * for the life of the process; if it throws (bad configuration), the invocation fails with a 500
 * and the next one tries again.
 */
export function createAuthorizerHandler(
  load: () => ConnectAuthorizer,
): LambdaHandler<ConnectAuthorizerEvent, APIGatewayAuthorizerResult> {
  let authorizer: ConnectAuthorizer | undefined;
  return async (event) => {
    let result: AuthorizeResult;
    try {
      authorizer ??= load();
      result = await authorize(event, authorizer.verifier, authorizer.playerIdClaim);
    } catch (error) {
      logger.error("the $connect authorizer could not decide", { error });
      throw error;
    }
    switch (result.outcome) {
      case "allow":
        logger.debug("connection authorized", { playerId: result.playerId });
        return allowPolicy(result.playerId, event.methodArn, result.operator);
      case "deny":
        // A genuine token without a usable player id points at the identity provider's setup.
        logger.warn(LogMessage.ConnectionDenied, { reason: result.reason, detail: result.detail });
        recordMetric(MetricName.ConnectionsRejected, 1);
        return denyPolicy(event.methodArn);
      case "unauthorized":
        logger.info(LogMessage.ConnectionUnauthorized, {
          reason: result.reason,
          detail: result.detail,
        });
        recordMetric(MetricName.ConnectionsRejected, 1);
        throw new UnauthorizedError(result.reason);
    }
  };
}

/** The Lambda entry point, configured from the environment (see `authorizerConfigSchema`). */
/**
 * A fresh Lambda entry point, configured from the environment on its first call: one per
 * deployment (`handler`), or one per local stack, each reading the environment it was started in.
 */
export function lambdaHandler(): LambdaHandler<ConnectAuthorizerEvent, APIGatewayAuthorizerResult> {
  return withObservability(
    createAuthorizerHandler(() => connectAuthorizerFromConfig(readConfig(authorizerConfigSchema))),
  );
}

export const handler = lambdaHandler();
