// The dev identity provider against the project's real `$connect` authorizer: its tokens must pass
// aws-jwt-verify exactly as Cognito's do, with the JWKS fetched over real HTTP.

import {
  AwsAdapterError,
  authorize,
  authorizerConfigSchema,
  type ConnectAuthorizerEvent,
  connectAuthorizerFromConfig,
  type Environment,
  readConfig,
  type TokenVerifier,
} from "@ledgerquest/aws";
import { MAX_ACCEPTED_TOKEN_LIFETIME_S } from "@ledgerquest/aws/handlers/authorizer";
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_ACCOUNT, LOCAL_REGION } from "../src/dev.js";
import {
  DEFAULT_DEV_AUDIENCE,
  type DevIdentityProvider,
  DevIdentityProviderError,
  isLoopbackAddress,
  MAX_TOKEN_LIFETIME_S,
  startDevIdentityProvider,
} from "../src/idp.js";
import { rawRequest } from "./support/http.js";

const METHOD_ARN = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:abcdef1234/local/$connect`;

function connectEvent(token: string): ConnectAuthorizerEvent {
  return { methodArn: METHOD_ARN, headers: {}, queryStringParameters: { token } };
}

function verifierFor(env: Environment): TokenVerifier {
  return connectAuthorizerFromConfig(readConfig(authorizerConfigSchema, env)).verifier;
}

/** A request to the provider, with the `Host` and `Origin` a test writes; its JSON answer. */
async function call(
  path: string,
  options: { readonly method?: string; readonly host?: string; readonly origin?: string } = {},
): Promise<{ status: number; cacheControl: string | undefined; body: Record<string, unknown> }> {
  const answer = await rawRequest(new URL(path, idp.url).href, options);
  return { ...answer, body: JSON.parse(answer.body) as Record<string, unknown> };
}

let idp: DevIdentityProvider;
let verifier: TokenVerifier;

beforeAll(async () => {
  idp = await startDevIdentityProvider();
  verifier = verifierFor(idp.environment);
});

afterAll(async () => {
  await idp.stop();
});

describe("the dev identity provider", () => {
  it("serves its JWKS and an OpenID discovery document on loopback", async () => {
    expect(idp.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(idp.issuer).toBe(idp.url);
    expect(idp.jwksUri).toBe(`${idp.url}/.well-known/jwks.json`);
    expect(idp.audience).toBe(DEFAULT_DEV_AUDIENCE);

    const jwks = (await (await fetch(idp.jwksUri)).json()) as {
      keys: Array<Record<string, unknown>>;
    };
    expect(jwks).toEqual({
      keys: [
        {
          kty: "RSA",
          n: expect.any(String),
          e: "AQAB",
          kid: idp.keyId,
          alg: "RS256",
          use: "sig",
        },
      ],
    });
    // Only the public half is published.
    expect(Object.keys(jwks.keys[0] ?? {})).not.toContain("d");

    const discovery = await (await fetch(`${idp.url}/.well-known/openid-configuration`)).json();
    expect(discovery).toMatchObject({ issuer: idp.issuer, jwks_uri: idp.jwksUri });

    const missing = await fetch(`${idp.url}/nothing-here`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
  });

  it("issues RS256 tokens with sub, iss, aud, iat, exp and kid", async () => {
    const token = await idp.token("player_0001");
    expect(decodeProtectedHeader(token)).toEqual({ alg: "RS256", kid: idp.keyId, typ: "JWT" });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: "player_0001", iss: idp.issuer, aud: idp.audience });
    const nowS = Date.now() / 1000;
    expect(claims.iat).toBeGreaterThan(nowS - 5);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);

    const short = decodeJwt(await idp.token("player_0001", { expiresInSeconds: 60 }));
    expect((short.exp ?? 0) - (short.iat ?? 0)).toBe(60);
  });

  it("mints tokens the project's authorizer allows, with the player id from sub", async () => {
    const result = await authorize(connectEvent(await idp.token("player_0042")), verifier);
    expect(result).toEqual({ outcome: "allow", playerId: "player_0042", operator: false });
    // And from an Authorization header, the other place the authorizer looks.
    const token = await idp.token("player_0043");
    expect(
      await authorize(
        { methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${token}` } },
        verifier,
      ),
    ).toEqual({ outcome: "allow", playerId: "player_0043", operator: false });
  });

  it("mints already-expired tokens on request, which the authorizer refuses as expired", async () => {
    const token = await idp.token("player_0001", { expiresInSeconds: -30 });
    const claims = decodeJwt(token);
    expect(claims.exp).toBeLessThan(Date.now() / 1000);
    expect(claims.iat).toBeLessThan(claims.exp ?? 0);
    expect(await authorize(connectEvent(token), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "expired",
    });
  });

  it("is the only one whose signatures pass: a forged token is refused", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: idp.keyId })
      .setSubject("player_0001")
      .setIssuer(idp.issuer)
      .setAudience(idp.audience)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    expect(await authorize(connectEvent(forged), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "bad-signature",
    });
  });

  it("makes a new key on every start, so another provider's tokens name an unknown key", async () => {
    const other = await startDevIdentityProvider({ issuer: idp.issuer, audience: idp.audience });
    try {
      expect(other.keyId).not.toBe(idp.keyId);
      expect(
        await authorize(connectEvent(await other.token("player_0001")), verifier),
      ).toMatchObject({ outcome: "unauthorized", reason: "unknown-key" });
    } finally {
      await other.stop();
    }
  });

  it("uses the chosen issuer and audience, which the authorizer checks", async () => {
    const custom = await startDevIdentityProvider({
      issuer: "http://localhost:9999/pool",
      audience: "lq-client-1",
    });
    try {
      expect(custom.environment).toEqual({
        LQ_AUTH_PROVIDER: "jwks",
        LQ_JWT_ISSUER: "http://localhost:9999/pool",
        LQ_JWT_JWKS_URI: custom.jwksUri,
        LQ_JWT_AUDIENCE: "lq-client-1",
      });
      const token = await custom.token("player_0007");
      expect(decodeJwt(token)).toMatchObject({
        iss: "http://localhost:9999/pool",
        aud: "lq-client-1",
      });
      expect(await authorize(connectEvent(token), verifierFor(custom.environment))).toEqual({
        outcome: "allow",
        playerId: "player_0007",
        operator: false,
      });
      const wrongAudience = verifierFor({ ...custom.environment, LQ_JWT_AUDIENCE: "someone-else" });
      expect(await authorize(connectEvent(token), wrongAudience)).toMatchObject({
        outcome: "unauthorized",
        reason: "wrong-audience",
      });
      const wrongIssuer = verifierFor({ ...custom.environment, LQ_JWT_ISSUER: idp.issuer });
      expect(await authorize(connectEvent(token), wrongIssuer)).toMatchObject({
        outcome: "unauthorized",
        reason: "wrong-issuer",
      });
    } finally {
      await custom.stop();
    }
  });

  it("refuses bad input with a clear error", async () => {
    await expect(idp.token("not a player id!")).rejects.toThrow(DevIdentityProviderError);
    await expect(idp.token("")).rejects.toThrow(/player id must match/);
    await expect(idp.token("player_0001", { expiresInSeconds: 0 })).rejects.toThrow(
      /expiresInSeconds/,
    );
    await expect(idp.token("player_0001", { expiresInSeconds: 1.5 })).rejects.toThrow(
      /expiresInSeconds/,
    );
    await expect(startDevIdentityProvider({ issuer: "not a url" })).rejects.toThrow(
      /issuer must be an http\(s\) URL/,
    );
    await expect(startDevIdentityProvider({ audience: "a, b" })).rejects.toThrow(/audience/);
    await expect(startDevIdentityProvider({ port: Number(new URL(idp.url).port) })).rejects.toThrow(
      /could not listen .*EADDRINUSE/,
    );
  });

  it("stops idempotently, after which the authorizer cannot decide (a 500, not a 401)", async () => {
    const shortLived = await startDevIdentityProvider();
    const token = await shortLived.token("player_0001");
    const fresh = verifierFor(shortLived.environment);
    await shortLived.stop();
    await shortLived.stop();
    await expect(authorize(connectEvent(token), fresh)).rejects.toThrow(AwsAdapterError);
  });
});

describe("the dev identity provider's token endpoint (GET /token, for other local processes)", () => {
  it("answers a token the authorizer allows, with its expiry, and no cache may keep it", async () => {
    const { status, cacheControl, body } = await call("/token?player=player_0007");
    expect(status).toBe(200);
    expect(cacheControl).toBe("no-store");
    expect(body).toEqual({ token: expect.any(String), expiresAt: expect.any(String) });
    const token = body.token as string;
    const claims = decodeJwt(token);
    expect(claims.sub).toBe("player_0007");
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
    expect(Date.parse(body.expiresAt as string)).toBe((claims.exp ?? 0) * 1000);
    expect(await authorize(connectEvent(token), verifier)).toEqual({
      outcome: "allow",
      playerId: "player_0007",
      operator: false,
    });
    // `operator=1`: a token in the operators' group, which the authorizer says on to the routes.
    const asOperator = (await (
      await fetch(`${idp.url}/token?player=player_0007&operator=1`)
    ).json()) as { token: string };
    expect(decodeJwt(asOperator.token)["cognito:groups"]).toEqual(["operators"]);
    expect(await authorize(connectEvent(asOperator.token), verifier)).toMatchObject({
      outcome: "allow",
      operator: true,
    });
  });

  it("takes a lifetime in seconds, negative for an already-expired token", async () => {
    const short = await call("/token?player=player_0001&expiresIn=60");
    const claims = decodeJwt(short.body.token as string);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(60);

    const expired = await call("/token?player=player_0001&expiresIn=-30");
    expect(expired.status).toBe(200);
    expect(Date.parse(expired.body.expiresAt as string)).toBeLessThan(Date.now());
    expect(await authorize(connectEvent(expired.body.token as string), verifier)).toMatchObject({
      outcome: "unauthorized",
      reason: "expired",
    });
    // `localhost` is this machine too.
    const local = await call("/token?player=player_0001", {
      host: `localhost:${new URL(idp.url).port}`,
    });
    expect(local.status).toBe(200);
  });

  it("refuses a bad or missing player id with a JSON error saying what to send", async () => {
    for (const query of [
      "",
      "?player=",
      "?player=not%20a%20player!",
      `?player=${"p".repeat(65)}`,
    ]) {
      const { status, body } = await call(`/token${query}`);
      expect(status, query).toBe(400);
      expect(body, query).toEqual({
        error: "invalid_player",
        message: expect.stringMatching(/\?player=<id>, matching/),
      });
    }
  });

  it("refuses a lifetime that is zero, fractional, not a number or over a day", async () => {
    for (const value of ["0", "1.5", "soon", "", `${MAX_TOKEN_LIFETIME_S + 1}`, "-86401", "1e3"]) {
      const { status, body } = await call(`/token?player=player_0001&expiresIn=${value}`);
      expect(status, value).toBe(400);
      expect(body, value).toMatchObject({ error: "invalid_expires_in" });
      expect(body.message, value).toMatch(/expiresIn must be a non-zero whole number/);
    }
  });

  it("grants at most the lifetime the authorizer accepts, so its longest token still connects", async () => {
    expect(MAX_TOKEN_LIFETIME_S).toBeLessThanOrEqual(MAX_ACCEPTED_TOKEN_LIFETIME_S);
    const { body } = await call(`/token?player=player_0001&expiresIn=${MAX_TOKEN_LIFETIME_S}`);
    expect(await authorize(connectEvent(body.token as string), verifier)).toMatchObject({
      outcome: "allow",
      playerId: "player_0001",
    });
  });

  it("answers GET only", async () => {
    const { status, body } = await call("/token?player=player_0001", { method: "POST" });
    expect(status).toBe(405);
    expect(body).toMatchObject({
      error: "method_not_allowed",
      message: expect.stringMatching(/GET/),
    });
  });

  it("refuses a request for another host name (a web page rebinding its DNS name to 127.0.0.1)", async () => {
    for (const host of ["evil.example", `evil.example:${new URL(idp.url).port}`, "10.0.0.1"]) {
      const { status, cacheControl, body } = await call("/token?player=player_0001", { host });
      expect(status, host).toBe(403);
      expect(cacheControl).toBe("no-store");
      expect(body, host).toEqual({
        error: "forbidden",
        message: expect.stringMatching(/serves this machine only/),
      });
    }
  });

  it("refuses a loopback name with another port: the Host must be this provider's own", async () => {
    const port = Number(new URL(idp.url).port);
    const otherPort = port === 65535 ? port - 1 : port + 1;
    for (const host of [
      `127.0.0.1:${otherPort}`,
      `localhost:${otherPort}`,
      "localhost",
      "127.0.0.2",
    ]) {
      const { status, body } = await call("/token?player=player_0001", { host });
      expect(status, host).toBe(403);
      expect(body, host).toEqual({
        error: "forbidden",
        message: expect.stringMatching(/serves this machine only.*Host/),
      });
    }
    for (const host of [`127.0.0.1:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect((await call("/token?player=player_0001", { host })).status, host).toBe(200);
    }
  });

  // Alike: dashboard-server.test.ts's (the same origins refused by the other loopback server).
  it("refuses a request a web page on another origin sends, and answers its own origin", async () => {
    const port = new URL(idp.url).port;
    for (const origin of [
      "http://evil.example:5173",
      `http://evil.example:${port}`,
      "null",
      `http://localhost:${port}`,
      `https://127.0.0.1:${port}`,
    ]) {
      const { status, cacheControl, body } = await call("/token?player=player_0001", { origin });
      expect(status, origin).toBe(403);
      expect(cacheControl, origin).toBe("no-store");
      expect(body, origin).toEqual({
        error: "forbidden",
        message: expect.stringMatching(/serves this machine only.*another origin/),
      });
    }
    const own = await call("/token?player=player_0001", { origin: idp.url });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ token: expect.any(String) });
  });

  it("knows a loopback address from another", () => {
    for (const address of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) {
      expect(isLoopbackAddress(address), address).toBe(true);
    }
    for (const address of [undefined, "", "10.0.0.1", "::ffff:10.0.0.1", "127.0.0.1.evil", "::2"]) {
      expect(isLoopbackAddress(address), String(address)).toBe(false);
    }
  });
});
