// The $connect authorizer with real cryptography: RS256 keys made by jose, a JWKS served over real
// HTTP from this process, and aws-jwt-verify doing the verification, as the local stack will.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { OPERATOR_GROUP } from "@ledgerquest/runtime";
import { CognitoJwtVerifier } from "aws-jwt-verify";
import type { Jwks } from "aws-jwt-verify/jwk";
import type { Context } from "aws-lambda";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { authorizerConfigSchema, type Environment, readConfig } from "../src/config.js";
import { AwsAdapterError, ConfigError, UnauthorizedError } from "../src/errors.js";
// Alike: src/index.ts's export of the authorizer (the same names).
import {
  AUTHORIZER_OPERATOR_GROUP,
  authorize,
  type ConnectAuthorizer,
  type ConnectAuthorizerEvent,
  connectAuthorizerFromConfig,
  createAuthorizerHandler,
  createTokenVerifier,
  handler,
  MAX_ACCEPTED_TOKEN_LIFETIME_S,
  MAX_ISSUED_AT_SKEW_S,
} from "../src/handlers/authorizer.js";

const METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abcdef123/dev/$connect";
const AUDIENCE = "ledgerquest-dev";
const KID = "dev-key-1";

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

let server: Server;
let issuer: string;
let jwksUri: string;
let signingKey: PrivateKey;
let forgerKey: PrivateKey;
let jwks: Jwks;
let jwksRequests = 0;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  signingKey = pair.privateKey;
  const { n, e } = await exportJWK(pair.publicKey);
  if (n === undefined || e === undefined)
    throw new Error("jose exported an RSA key without n or e");
  jwks = { keys: [{ kty: "RSA", n, e, kid: KID, alg: "RS256", use: "sig" }] };
  forgerKey = (await generateKeyPair("RS256")).privateKey;

  server = createServer((request, response) => {
    if (request.url === "/.well-known/jwks.json") {
      jwksRequests += 1;
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(jwks));
    } else {
      response.writeHead(503, { "content-type": "text/plain" });
      response.end("unavailable");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  issuer = `http://127.0.0.1:${port}`;
  jwksUri = `${issuer}/.well-known/jwks.json`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
});

beforeEach(() => {
  jwksRequests = 0;
});

function localEnv(overrides: Environment = {}): Environment {
  return {
    LQ_AUTH_PROVIDER: "jwks",
    LQ_JWT_ISSUER: issuer,
    LQ_JWT_JWKS_URI: jwksUri,
    LQ_JWT_AUDIENCE: AUDIENCE,
    ...overrides,
  };
}

function localAuthorizer(overrides: Environment = {}): ConnectAuthorizer {
  return connectAuthorizerFromConfig(readConfig(authorizerConfigSchema, localEnv(overrides)));
}

interface TokenOptions {
  readonly claims?: JWTPayload;
  readonly key?: PrivateKey;
  readonly kid?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** Seconds since the epoch. */
  readonly expiresAtS?: number;
  readonly notBeforeS?: number;
}

const nowS = () => Math.floor(Date.now() / 1000);

function token(options: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT({ sub: "player_0001", ...options.claims })
    .setProtectedHeader({ alg: "RS256", kid: options.kid ?? KID })
    .setIssuer(options.issuer ?? issuer)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresAtS ?? nowS() + 300);
  if (options.notBeforeS !== undefined) jwt.setNotBefore(options.notBeforeS);
  return jwt.sign(options.key ?? signingKey);
}

function connectEvent(
  parts: { query?: Record<string, string>; headers?: Record<string, string> } = {},
): ConnectAuthorizerEvent & { requestContext: Record<string, string> } {
  return {
    methodArn: METHOD_ARN,
    headers: { Host: "abcdef123.execute-api.eu-west-1.amazonaws.com", ...parts.headers },
    queryStringParameters: parts.query ?? null,
    multiValueQueryStringParameters: parts.query
      ? Object.fromEntries(Object.entries(parts.query).map(([key, value]) => [key, [value]]))
      : null,
    requestContext: { routeKey: "$connect", requestId: "req-1", connectionId: "conn-1=" },
  };
}

describe("authorize against a JWKS served over HTTP", () => {
  it("allows a valid token from the query string, with the player id from sub", async () => {
    const { verifier } = localAuthorizer();
    const result = await authorize(connectEvent({ query: { token: await token() } }), verifier);
    expect(result).toEqual({ outcome: "allow", playerId: "player_0001", operator: false });
    expect(jwksRequests).toBe(1);
  });

  it("allows a valid token from an Authorization: Bearer header, whatever the header's case", async () => {
    const { verifier } = localAuthorizer();
    const jwt = await token({ claims: { sub: "player_0002" } });
    expect(
      await authorize(connectEvent({ headers: { Authorization: `Bearer ${jwt}` } }), verifier),
    ).toEqual({ outcome: "allow", playerId: "player_0002", operator: false });
    expect(
      await authorize(connectEvent({ headers: { authorization: `bearer ${jwt}` } }), verifier),
    ).toEqual({ outcome: "allow", playerId: "player_0002", operator: false });
  });

  it("fetches the JWKS once per verifier, not once per connection", async () => {
    const { verifier } = localAuthorizer();
    for (const player of ["player_0001", "player_0002", "player_0003"]) {
      const jwt = await token({ claims: { sub: player } });
      expect(await authorize(connectEvent({ query: { token: jwt } }), verifier)).toEqual({
        outcome: "allow",
        playerId: player,
        operator: false,
      });
    }
    expect(jwksRequests).toBe(1);
  });

  it("reads the player id from the configured claim", async () => {
    const { verifier, playerIdClaim } = localAuthorizer({ LQ_PLAYER_ID_CLAIM: "player_id" });
    const jwt = await token({ claims: { sub: "3f2c9a9e-user", player_id: "player_0042" } });
    expect(
      await authorize(connectEvent({ query: { token: jwt } }), verifier, playerIdClaim),
    ).toEqual({ outcome: "allow", playerId: "player_0042", operator: false });
  });

  it("answers 401 missing-token without a token, and asks the issuer nothing", async () => {
    const { verifier } = localAuthorizer();
    const result = await authorize(connectEvent(), verifier);
    expect(result).toMatchObject({ outcome: "unauthorized", reason: "missing-token" });
    expect(jwksRequests).toBe(0);
    expect(await authorize(connectEvent({ query: { token: "" } }), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "missing-token",
    });
  });

  it("answers 401 bad-signature for a token signed by another key under the real key id", async () => {
    const { verifier } = localAuthorizer();
    const forged = await token({ key: forgerKey });
    expect(await authorize(connectEvent({ query: { token: forged } }), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "bad-signature",
    });
  });

  it("answers 401 unknown-key for a token signed by a key the issuer does not publish", async () => {
    const { verifier } = localAuthorizer();
    const forged = await token({ key: forgerKey, kid: "forger-key" });
    expect(await authorize(connectEvent({ query: { token: forged } }), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "unknown-key",
    });
  });

  it("answers 401 for an unsigned (alg none) token, with or without a key id", async () => {
    const { verifier } = localAuthorizer();
    const unsigned = new UnsecuredJWT({ sub: "player_0001" })
      .setIssuer(issuer)
      .setAudience(AUDIENCE)
      .setExpirationTime(nowS() + 300)
      .encode();
    expect(await authorize(connectEvent({ query: { token: unsigned } }), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "malformed-token",
    });
    // The same with the real key id and a signature part, so only the algorithm is wrong.
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const [, payload] = unsigned.split(".");
    const withKid = `${encode({ alg: "none", kid: KID })}.${payload}.c2lnbmF0dXJl`;
    expect(await authorize(connectEvent({ query: { token: withKid } }), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "bad-signature",
    });
  });

  it("answers 401 expired for an expired token", async () => {
    const { verifier } = localAuthorizer();
    const expired = await token({ expiresAtS: nowS() - 60 });
    expect(await authorize(connectEvent({ query: { token: expired } }), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "expired",
    });
  });

  it("answers 401 not-yet-valid for a token whose nbf is in the future", async () => {
    const { verifier } = localAuthorizer();
    const early = await token({ notBeforeS: nowS() + 120 });
    expect(await authorize(connectEvent({ query: { token: early } }), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "not-yet-valid",
    });
  });

  it("answers 401 missing-expiry for a correctly signed token without exp", async () => {
    const { verifier } = localAuthorizer();
    const forever = await new SignJWT({ sub: "player_0001" })
      .setProtectedHeader({ alg: "RS256", kid: KID })
      .setIssuer(issuer)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .sign(signingKey);
    expect(await authorize(connectEvent({ query: { token: forever } }), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "missing-expiry",
    });
    // Without iat either: still refused.
    const bare = await new SignJWT({ sub: "player_0001" })
      .setProtectedHeader({ alg: "RS256", kid: KID })
      .setIssuer(issuer)
      .setAudience(AUDIENCE)
      .sign(signingKey);
    expect(await authorize(connectEvent({ query: { token: bare } }), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "missing-expiry",
    });
  });

  it("answers 401 not-yet-valid for a token issued in the future, beyond the clock skew", async () => {
    const { verifier } = localAuthorizer();
    const sign = (issuedAtS: number) =>
      new SignJWT({ sub: "player_0001" })
        .setProtectedHeader({ alg: "RS256", kid: KID })
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setIssuedAt(issuedAtS)
        .setExpirationTime(issuedAtS + 300)
        .sign(signingKey);
    const future = await sign(nowS() + MAX_ISSUED_AT_SKEW_S + 120);
    expect(await authorize(connectEvent({ query: { token: future } }), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "not-yet-valid",
    });
    // An issuer whose clock runs a few seconds ahead is tolerated.
    const slightlyAhead = await sign(nowS() + 5);
    expect(
      await authorize(connectEvent({ query: { token: slightlyAhead } }), verifier),
    ).toMatchObject({ outcome: "allow" });
  });

  it("answers 401 lifetime-too-long for a token living more than a day, and allows exactly a day", async () => {
    const { verifier } = localAuthorizer();
    const sign = (issuedAtS: number | undefined, expiresAtS: number) => {
      const jwt = new SignJWT({ sub: "player_0001" })
        .setProtectedHeader({ alg: "RS256", kid: KID })
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setExpirationTime(expiresAtS);
      if (issuedAtS !== undefined) jwt.setIssuedAt(issuedAtS);
      return jwt.sign(signingKey);
    };
    const issuedAtS = nowS();
    const cases: Array<[number | undefined, number, string]> = [
      [issuedAtS, issuedAtS + MAX_ACCEPTED_TOKEN_LIFETIME_S + 1, "lifetime-too-long"],
      [issuedAtS, issuedAtS + 365 * 86_400, "lifetime-too-long"],
      // Issued long ago and valid for years: what is left is still more than a day.
      [issuedAtS - 3600, issuedAtS + 10 * 86_400, "lifetime-too-long"],
      // Without iat, the time left counts.
      [undefined, issuedAtS + 2 * 86_400, "lifetime-too-long"],
    ];
    for (const [iat, exp, reason] of cases) {
      const jwt = await sign(iat, exp);
      expect(
        await authorize(connectEvent({ query: { token: jwt } }), verifier),
        `iat ${iat} exp ${exp}`,
      ).toMatchObject({ outcome: "unauthorized", reason });
    }
    for (const [iat, exp] of [
      [issuedAtS, issuedAtS + MAX_ACCEPTED_TOKEN_LIFETIME_S],
      [undefined, issuedAtS + 3600],
    ] as const) {
      const jwt = await sign(iat, exp);
      expect(
        await authorize(connectEvent({ query: { token: jwt } }), verifier),
        `iat ${iat} exp ${exp}`,
      ).toMatchObject({ outcome: "allow" });
    }
  });

  it.each<[string, string, TokenOptions]>([
    ["wrong-audience", "a token issued to another audience", { audience: "some-other-app" }],
    [
      "wrong-issuer",
      "a token from another issuer, even signed by the right key",
      { issuer: "https://evil.example.com" },
    ],
  ])("answers 401 %s for %s", async (reason, _what, options) => {
    const { verifier } = localAuthorizer();
    const other = await token(options);
    expect(await authorize(connectEvent({ query: { token: other } }), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason,
    });
  });

  it("answers 401 malformed-token for something that is not a JWT", async () => {
    const { verifier } = localAuthorizer();
    expect(
      await authorize(connectEvent({ query: { token: "not.a.jwt" } }), verifier),
    ).toMatchObject({ outcome: "unauthorized", reason: "malformed-token" });
  });

  it("answers 401 malformed-authorization-header for another scheme", async () => {
    const { verifier } = localAuthorizer();
    const result = await authorize(
      connectEvent({ headers: { Authorization: "Basic dXNlcjpwYXNz" } }),
      verifier,
    );
    expect(result).toMatchObject({
      outcome: "unauthorized",
      reason: "malformed-authorization-header",
    });
  });

  it("answers 401 ambiguous-token when the query and the header disagree, and allows when they agree", async () => {
    const { verifier } = localAuthorizer();
    const mine = await token();
    const theirs = await token({ claims: { sub: "player_0666" } });
    expect(
      await authorize(
        connectEvent({ query: { token: mine }, headers: { Authorization: `Bearer ${theirs}` } }),
        verifier,
      ),
    ).toMatchObject({ outcome: "unauthorized", reason: "ambiguous-token" });
    expect(
      await authorize(
        connectEvent({ query: { token: mine }, headers: { Authorization: `Bearer ${mine}` } }),
        verifier,
      ),
    ).toEqual({ outcome: "allow", playerId: "player_0001", operator: false });
  });

  it("answers 401 ambiguous-token when the token parameter is repeated with different values", async () => {
    const { verifier } = localAuthorizer();
    const event = {
      ...connectEvent({ query: { token: await token() } }),
      multiValueQueryStringParameters: {
        token: [await token(), await token({ claims: { sub: "player_0666" } })],
      },
    };
    expect(await authorize(event, verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "ambiguous-token",
    });
  });

  it.each([
    ["has a space", "player 0001"],
    ["is too long", "p".repeat(65)],
    ["is empty", ""],
    ["has a slash", "player/0001"],
    ["is a number", 1234],
  ])("answers 403 invalid-player-id when the player-id claim %s", async (_case, playerId) => {
    // A custom claim, because aws-jwt-verify itself refuses a token whose sub is not a string.
    const { verifier, playerIdClaim } = localAuthorizer({ LQ_PLAYER_ID_CLAIM: "player_id" });
    const jwt = await token({ claims: { player_id: playerId } });
    expect(
      await authorize(connectEvent({ query: { token: jwt } }), verifier, playerIdClaim),
    ).toMatchObject({ outcome: "deny", reason: "invalid-player-id" });
  });

  it("answers 403 invalid-player-id when the configured claim is absent", async () => {
    const { verifier, playerIdClaim } = localAuthorizer({ LQ_PLAYER_ID_CLAIM: "player_id" });
    const jwt = await token();
    expect(
      await authorize(connectEvent({ query: { token: jwt } }), verifier, playerIdClaim),
    ).toEqual({
      outcome: "deny",
      reason: "invalid-player-id",
      detail: "the token has no player_id claim",
    });
  });

  it("accepts a player id of exactly 64 characters", async () => {
    const { verifier } = localAuthorizer();
    const id = `player_${"x".repeat(57)}`;
    const jwt = await token({ claims: { sub: id } });
    expect(await authorize(connectEvent({ query: { token: jwt } }), verifier)).toEqual({
      outcome: "allow",
      playerId: id,
      operator: false,
    });
  });

  it("fails with an AwsAdapterError, not a 401, when the JWKS cannot be fetched", async () => {
    const { verifier } = localAuthorizer({ LQ_JWT_JWKS_URI: `${issuer}/down/jwks.json` });
    const failure = authorize(connectEvent({ query: { token: await token() } }), verifier);
    await expect(failure).rejects.toBeInstanceOf(AwsAdapterError);
    await expect(failure).rejects.not.toBeInstanceOf(UnauthorizedError);
  });
});

describe("authorize against a Cognito user pool", () => {
  const userPoolId = "eu-west-1_AbC123xyz";
  const cognitoIssuer = `https://cognito-idp.eu-west-1.amazonaws.com/${userPoolId}`;

  // The pool's JWKS is put in the verifier's cache, so no request leaves this machine.
  function cognitoVerifier(tokenUse: "id" | "access") {
    const config = readConfig(authorizerConfigSchema, {
      LQ_AUTH_PROVIDER: "cognito",
      LQ_COGNITO_USER_POOL_ID: userPoolId,
      LQ_COGNITO_CLIENT_ID: "webclient123,botclient456",
      LQ_COGNITO_TOKEN_USE: tokenUse,
    });
    const verifier = createTokenVerifier(config.verifier);
    if (!(verifier instanceof CognitoJwtVerifier)) throw new Error("expected a Cognito verifier");
    verifier.cacheJwks(jwks);
    return verifier;
  }

  const accessToken = (claims: JWTPayload) =>
    new SignJWT({
      sub: "4a1c3e2b-0000-4000-8000-000000000001",
      token_use: "access",
      client_id: "botclient456",
      ...claims,
    })
      .setProtectedHeader({ alg: "RS256", kid: KID })
      .setIssuer(cognitoIssuer)
      .setIssuedAt()
      .setExpirationTime(nowS() + 300)
      .sign(signingKey);

  it("allows an access token issued to one of the app clients", async () => {
    const result = await authorize(
      connectEvent({ query: { token: await accessToken({}) } }),
      cognitoVerifier("access"),
    );
    expect(result).toEqual({
      outcome: "allow",
      playerId: "4a1c3e2b-0000-4000-8000-000000000001",
      operator: false,
    });
  });

  it("answers 401 wrong-token-use for an access token where id tokens are expected", async () => {
    const result = await authorize(
      connectEvent({ query: { token: await accessToken({}) } }),
      cognitoVerifier("id"),
    );
    expect(result).toMatchObject({ outcome: "unauthorized", reason: "wrong-token-use" });
  });

  it("answers 401 wrong-audience for a token issued to another app client", async () => {
    const result = await authorize(
      connectEvent({ query: { token: await accessToken({ client_id: "otherclient" }) } }),
      cognitoVerifier("access"),
    );
    expect(result).toMatchObject({ outcome: "unauthorized", reason: "wrong-audience" });
  });

  it("answers 401 missing-expiry for a correctly signed pool token without exp, and 401 lifetime-too-long for one living over a day", async () => {
    const claims = {
      sub: "4a1c3e2b-0000-4000-8000-000000000001",
      token_use: "access",
      client_id: "botclient456",
    };
    const forever = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: KID })
      .setIssuer(cognitoIssuer)
      .setIssuedAt()
      .sign(signingKey);
    expect(
      await authorize(connectEvent({ query: { token: forever } }), cognitoVerifier("access")),
    ).toMatchObject({ outcome: "unauthorized", reason: "missing-expiry" });
    const long = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: KID })
      .setIssuer(cognitoIssuer)
      .setIssuedAt()
      .setExpirationTime(nowS() + 30 * 86_400)
      .sign(signingKey);
    expect(
      await authorize(connectEvent({ query: { token: long } }), cognitoVerifier("access")),
    ).toMatchObject({ outcome: "unauthorized", reason: "lifetime-too-long" });
  });

  it("answers 401 wrong-issuer for a token from another user pool", async () => {
    const foreign = await new SignJWT({ sub: "x", token_use: "access", client_id: "botclient456" })
      .setProtectedHeader({ alg: "RS256", kid: KID })
      .setIssuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other")
      .setExpirationTime(nowS() + 300)
      .sign(signingKey);
    const result = await authorize(
      connectEvent({ query: { token: foreign } }),
      cognitoVerifier("access"),
    );
    expect(result).toMatchObject({ outcome: "unauthorized", reason: "wrong-issuer" });
  });
});

describe("the Lambda handler", () => {
  let output: string[];

  // The handler logs through Powertools, which writes to the process's streams: capture them, so
  // the test run stays quiet and the log lines can be checked.
  beforeEach(() => {
    output = [];
    const capture = (chunk: string | Uint8Array) => {
      output.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    };
    vi.spyOn(process.stdout, "write").mockImplementation(capture);
    vi.spyOn(process.stderr, "write").mockImplementation(capture);
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  const context = {
    functionName: "ledgerquest-authorizer",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:ledgerquest-authorizer",
    memoryLimitInMB: "256",
    awsRequestId: "aws-req-1",
    getRemainingTimeInMillis: () => 3_000,
  } as Context;

  // Tests here are alike (a handler, a token, the whole answer): one per kind of answer.
  it("answers an IAM Allow policy with the player id as principal and in the context", async () => {
    const authorizerHandler = createAuthorizerHandler(() => localAuthorizer());
    const result = await authorizerHandler(
      connectEvent({ query: { token: await token() } }),
      context,
    );
    expect(result).toEqual({
      principalId: "player_0001",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: METHOD_ARN }],
      },
      context: { playerId: "player_0001", operator: false },
    });
  });

  it("marks members of the operators' group as operators in the context", async () => {
    const authorizerHandler = createAuthorizerHandler(() => localAuthorizer());
    const answer = async (groups: unknown) =>
      (
        await authorizerHandler(
          connectEvent({ query: { token: await token({ claims: { "cognito:groups": groups } }) } }),
          context,
        )
      ).context;
    expect(await answer(["players", "operators"])).toEqual({
      playerId: "player_0001",
      operator: true,
    });
    expect(await answer(["players"])).toMatchObject({ operator: false });
    expect(await answer("operators")).toMatchObject({ operator: false });
    expect(AUTHORIZER_OPERATOR_GROUP).toBe(OPERATOR_GROUP);
  });

  it("throws exactly Unauthorized (API Gateway's 401) without a valid token", async () => {
    const authorizerHandler = createAuthorizerHandler(() => localAuthorizer());
    const failure = authorizerHandler(
      connectEvent({ query: { token: await token({ expiresAtS: nowS() - 1 }) } }),
      context,
    );
    await expect(failure).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(failure).rejects.toMatchObject({ message: "Unauthorized", reason: "expired" });
  });

  it("answers a Deny policy (API Gateway's 403) for a genuine token without a valid player id", async () => {
    const authorizerHandler = createAuthorizerHandler(() => localAuthorizer());
    const result = await authorizerHandler(
      connectEvent({ query: { token: await token({ claims: { sub: "not a player" } }) } }),
      context,
    );
    expect(result).toEqual({
      principalId: "anonymous",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Deny", Resource: METHOD_ARN }],
      },
    });
  });

  it("builds its verifier once and keeps it across invocations", async () => {
    const load = vi.fn(() => localAuthorizer());
    const authorizerHandler = createAuthorizerHandler(load);
    const event = connectEvent({ query: { token: await token() } });
    await authorizerHandler(event, context);
    await authorizerHandler(event, context);
    expect(load).toHaveBeenCalledTimes(1);
    expect(jwksRequests).toBe(1);
  });

  it("fails every invocation with the ConfigError while the configuration is bad", async () => {
    const load = vi.fn(() =>
      connectAuthorizerFromConfig(readConfig(authorizerConfigSchema, { LQ_AUTH_PROVIDER: "jwks" })),
    );
    const authorizerHandler = createAuthorizerHandler(load);
    const event = connectEvent({ query: { token: await token() } });
    await expect(authorizerHandler(event, context)).rejects.toBeInstanceOf(ConfigError);
    await expect(authorizerHandler(event, context)).rejects.toBeInstanceOf(ConfigError);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("is wired to the environment and logs with the request id, without EMF outside Lambda", async () => {
    for (const [name, value] of Object.entries(localEnv())) vi.stubEnv(name, value);
    const allowed = await handler(connectEvent({ query: { token: await token() } }), context);
    expect(allowed.principalId).toBe("player_0001");

    await expect(handler(connectEvent(), context)).rejects.toBeInstanceOf(UnauthorizedError);
    const lines = output.flatMap((chunk) => chunk.split("\n")).filter((line) => line !== "");
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toContainEqual(
      expect.objectContaining({
        level: "INFO",
        message: "connection unauthorized",
        reason: "missing-token",
        correlation_id: "req-1",
        connection_id: "conn-1=",
        function_request_id: "aws-req-1",
      }),
    );
    // A rejection records a metric, but metrics stay off outside Lambda: no EMF document appears.
    expect(records.filter((record) => "_aws" in record)).toEqual([]);
  });
});
