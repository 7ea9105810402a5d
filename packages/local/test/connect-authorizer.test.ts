// The project's `$connect` authorizer Lambda at the emulated WebSocket gateway, as the local stack
// wires them: configured from the environment as in the cloud, trusting the dev identity provider,
// over real sockets. The gateway's own behaviour (events, policies, status codes) is tested with
// a stand-in authorizer in packages/emulators/test/websocket-gateway.test.ts; here, what the
// project's authorizer decides for the dev provider's tokens, and what the routes then see.
import {
  authorizerConfigSchema,
  connectAuthorizerFromConfig,
  createAuthorizerHandler,
  type Environment,
  readConfig,
  withObservability,
} from "@ledgerquest/aws";
import {
  startWebSocketGateway,
  type WebSocketAuthorizerHandler,
  type WebSocketGateway,
  type WebSocketGatewayErrorSite,
  type WebSocketRouteEvent,
} from "@ledgerquest/emulators";
import { connectClient, refusedHandshake } from "@ledgerquest/emulators/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevIdentityProvider, startDevIdentityProvider } from "../src/idp.js";

/** The project's authorizer Lambda, configured from `env` as it is in the cloud. */
function realAuthorizer(env: Environment): WebSocketAuthorizerHandler {
  return withObservability(
    createAuthorizerHandler(() =>
      connectAuthorizerFromConfig(readConfig(authorizerConfigSchema, env)),
    ),
  );
}

let idp: DevIdentityProvider;
let gateway: WebSocketGateway;
const connects: WebSocketRouteEvent[] = [];

beforeAll(async () => {
  idp = await startDevIdentityProvider();
  gateway = await startWebSocketGateway({
    stage: "test",
    handlers: {
      authorizer: realAuthorizer(idp.environment),
      $connect: async (event) => {
        connects.push(event);
        return { statusCode: 200 };
      },
      // Echoes the player the route's event carries: what the authorizer put on the connection.
      $default: async (event) => ({
        statusCode: 200,
        body: JSON.stringify({ playerId: event.requestContext.authorizer?.playerId }),
      }),
    },
    onError: () => undefined,
  });
});

afterAll(async () => {
  await gateway.stop();
  await idp.stop();
});

describe("the project's $connect authorizer at the local gateway", () => {
  it("admits a dev token, and every route sees its player in the authorizer's context", async () => {
    const client = await connectClient(`${gateway.url}?token=${await idp.token("player_0001")}`);
    expect(connects.at(-1)?.requestContext.authorizer).toMatchObject({
      playerId: "player_0001",
      principalId: "player_0001",
    });
    client.socket.send("who am I");
    expect(await client.nextJson()).toEqual({ playerId: "player_0001" });
    client.socket.close();
  });

  it("accepts the token in an Authorization header as well", async () => {
    const client = await connectClient(gateway.url, {
      Authorization: `Bearer ${await idp.token("player_0002")}`,
    });
    expect(connects.at(-1)?.requestContext.authorizer?.playerId).toBe("player_0002");
    client.socket.close();
  });

  it("refuses a connection without a token with 401, before $connect runs", async () => {
    const before = connects.length;
    expect(await refusedHandshake(`${gateway.url}?world=w1`)).toEqual({
      status: 401,
      body: JSON.stringify({ message: "Unauthorized" }),
    });
    expect(connects).toHaveLength(before);
  });

  it("refuses a forged or an expired token with 401", async () => {
    const genuine = await idp.token("player_0001");
    const [header, payload] = genuine.split(".");
    const forgedPayload = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload ?? "", "base64url").toString()),
        sub: "admin",
      }),
    ).toString("base64url");
    const forged = `${header}.${forgedPayload}.${genuine.split(".")[2]}`;
    expect((await refusedHandshake(`${gateway.url}?token=${forged}`)).status).toBe(401);

    const expired = await idp.token("player_0001", { expiresInSeconds: -60 });
    expect((await refusedHandshake(`${gateway.url}?token=${expired}`)).status).toBe(401);
    expect((await refusedHandshake(`${gateway.url}?token=not.a.jwt`)).status).toBe(401);
  });

  it("answers 403 when the authorizer denies (a genuine token without a player id)", async () => {
    const denying = await startWebSocketGateway({
      handlers: {
        authorizer: realAuthorizer({ ...idp.environment, LQ_PLAYER_ID_CLAIM: "player" }),
        $connect: async () => ({ statusCode: 200 }),
      },
    });
    try {
      const token = await idp.token("player_0001");
      expect(await refusedHandshake(`${denying.url}?token=${token}`)).toEqual({
        status: 403,
        body: JSON.stringify({ message: "Forbidden" }),
      });
    } finally {
      await denying.stop();
    }
  });

  it("answers 500 when the authorizer cannot decide (its issuer's keys are unreachable)", async () => {
    const gone = await startDevIdentityProvider();
    const token = await gone.token("player_0001");
    await gone.stop();
    const failures: WebSocketGatewayErrorSite[] = [];
    const broken = await startWebSocketGateway({
      handlers: { authorizer: realAuthorizer(gone.environment) },
      onError: (_error, site) => failures.push(site),
    });
    try {
      expect((await refusedHandshake(`${broken.url}?token=${token}`)).status).toBe(500);
      expect(failures).toEqual(["authorizer"]);
    } finally {
      await broken.stop();
    }
  });
});
