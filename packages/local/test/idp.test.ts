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
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_DEV_AUDIENCE,
  type DevIdentityProvider,
  DevIdentityProviderError,
  startDevIdentityProvider,
} from "../src/idp.js";

const METHOD_ARN = "arn:aws:execute-api:us-east-1:000000000000:abcdef1234/local/$connect";

function connectEvent(token: string): ConnectAuthorizerEvent {
  return { methodArn: METHOD_ARN, headers: {}, queryStringParameters: { token } };
}

function verifierFor(env: Environment): TokenVerifier {
  return connectAuthorizerFromConfig(readConfig(authorizerConfigSchema, env)).verifier;
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
    expect(result).toEqual({ outcome: "allow", playerId: "player_0042" });
    // And from an Authorization header, the other place the authorizer looks.
    const token = await idp.token("player_0043");
    expect(
      await authorize(
        { methodArn: METHOD_ARN, headers: { Authorization: `Bearer ${token}` } },
        verifier,
      ),
    ).toEqual({ outcome: "allow", playerId: "player_0043" });
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
