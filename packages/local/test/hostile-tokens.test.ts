// Tokens a client should not get in with, end to end: a real WebSocket handshake at the local
// gateway, the project's real `$connect` authorizer Lambda (aws-jwt-verify against a JWKS served
// over real HTTP), as the local stack wires them. The tokens are correctly signed by the trusted
// key, so only their lifetime is wrong: no `exp`, a lifetime of a month, an `iat` in the future.
// Alike: aws's test/authorizer.test.ts (a JWKS server and keys of its own); tests share no code
// across packages.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  authorizerConfigSchema,
  connectAuthorizerFromConfig,
  createAuthorizerHandler,
  readConfig,
  withObservability,
} from "@ledgerquest/aws";
// Alike: connect-authorizer.test.ts's imports (the same real authorizer behind the same gateway);
// each file sets up the one case it tests.
import {
  startWebSocketGateway,
  type WebSocketAuthorizerHandler,
  type WebSocketGateway,
  type WebSocketRouteEvent,
} from "@ledgerquest/emulators";
import { handshakeStatus } from "@ledgerquest/emulators/testing";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const AUDIENCE = "ledgerquest-hostile";
const KID = "hostile-key";

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

let jwksServer: Server;
let issuer: string;
let signingKey: PrivateKey;
let gateway: WebSocketGateway;
const connects: WebSocketRouteEvent[] = [];

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  signingKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: "RS256", use: "sig" };
  jwksServer = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
  const env = {
    LQ_AUTH_PROVIDER: "jwks",
    LQ_JWT_ISSUER: issuer,
    LQ_JWT_JWKS_URI: `${issuer}/.well-known/jwks.json`,
    LQ_JWT_AUDIENCE: AUDIENCE,
  };
  const authorizer: WebSocketAuthorizerHandler = withObservability(
    createAuthorizerHandler(() =>
      connectAuthorizerFromConfig(readConfig(authorizerConfigSchema, env)),
    ),
  );
  gateway = await startWebSocketGateway({
    stage: "hostile",
    handlers: {
      authorizer,
      $connect: async (event) => {
        connects.push(event);
        return { statusCode: 200 };
      },
      $disconnect: async () => ({ statusCode: 200 }),
      $default: async () => ({ statusCode: 200 }),
    },
    onError: () => undefined,
  });
});

afterAll(async () => {
  await gateway?.stop();
  jwksServer?.closeAllConnections();
  await new Promise<void>((resolve) => jwksServer?.close(() => resolve()));
});

const nowS = () => Math.floor(Date.now() / 1000);

function sign(claims: { iat?: number; exp?: number }): Promise<string> {
  return new SignJWT({ sub: "player_0001", ...claims })
    .setProtectedHeader({ alg: "RS256", kid: KID })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .sign(signingKey);
}

/** The handshake's HTTP status with `token`: 101 when the socket opened. */
function handshake(token: string): Promise<number> {
  return handshakeStatus(`${gateway.url}?token=${token}`);
}

describe("a correctly signed token with a bad lifetime at the local gateway", () => {
  it("is refused with 401 and never reaches $connect; a sound one connects", async () => {
    const before = connects.length;
    expect(await handshake(await sign({ iat: nowS() })), "no exp").toBe(401);
    expect(await handshake(await sign({})), "neither iat nor exp").toBe(401);
    expect(await handshake(await sign({ iat: nowS(), exp: nowS() + 30 * 86_400 })), "a month").toBe(
      401,
    );
    expect(
      await handshake(await sign({ iat: nowS() + 3600, exp: nowS() + 7200 })),
      "issued in an hour",
    ).toBe(401);
    expect(connects.length).toBe(before);

    expect(await handshake(await sign({ iat: nowS(), exp: nowS() + 300 })), "sound").toBe(101);
    expect(connects.length).toBe(before + 1);
  });
});
