// The dashboard's server over real HTTP, with the real dev identity provider minting its tokens:
// `/api/token` answers the page's own requests and refuses, with 403, a request for another host
// (a web page that rebinds its DNS name to 127.0.0.1) or from another page's origin.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ListeningEndpoint } from "@ledgerquest/emulators/protocol";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDashboardServer } from "../src/dashboard-server.js";
import { type DevIdentityProvider, startDevIdentityProvider } from "../src/idp.js";
import { rawRequest } from "./support/http.js";

let idp: DevIdentityProvider;
let dashboard: ListeningEndpoint;
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "lq-dashboard-"));
  await writeFile(join(directory, "index.html"), "<!doctype html><title>LedgerQuest</title>");
  idp = await startDevIdentityProvider();
  dashboard = await startDashboardServer({
    directory,
    config: { websocketUrl: "ws://127.0.0.1:1/local", world: "demo", auth: "dev" },
    issueToken: idp.issue,
  });
});

afterAll(async () => {
  await dashboard?.close();
  await idp?.stop();
  await rm(directory, { recursive: true, force: true });
});

/** A GET of the dashboard, with the `Host` and `Origin` a test writes. */
function get(
  path: string,
  headers: { readonly host?: string; readonly origin?: string } = {},
): Promise<{ status: number; cacheControl: string | undefined; body: string }> {
  return rawRequest(`http://127.0.0.1:${dashboard.port}${path}`, headers);
}

const TOKEN_PATH = "/api/token?player=player_0003";

describe("the dashboard's /api/token", () => {
  it("gives the page on its own loopback host a token, whichever loopback name it was opened by", async () => {
    const port = dashboard.port;
    const asked: Array<{ host?: string; origin?: string }> = [
      {},
      { host: `localhost:${port}` },
      { host: `[::1]:${port}` },
      { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` },
      { host: `localhost:${port}`, origin: `http://localhost:${port}` },
    ];
    for (const headers of asked) {
      const { status, cacheControl, body } = await get(TOKEN_PATH, headers);
      expect(status, JSON.stringify(headers)).toBe(200);
      expect(cacheControl).toBe("no-store");
      const { token } = JSON.parse(body) as { token: string };
      expect(decodeJwt(token).sub).toBe("player_0003");
    }
  });

  it("refuses a request for another host: a web page that rebinds its DNS name to 127.0.0.1", async () => {
    const port = dashboard.port;
    const otherPort = port === 65535 ? port - 1 : port + 1;
    for (const host of [
      "evil.example:5173",
      `evil.example:${port}`,
      "evil.example",
      `127.0.0.1:${otherPort}`,
      `localhost:${otherPort}`,
      "localhost",
      "10.0.0.1",
    ]) {
      const { status, cacheControl, body } = await get(TOKEN_PATH, { host });
      expect(status, host).toBe(403);
      expect(cacheControl, host).toBe("no-store");
      expect(JSON.parse(body), host).toEqual({
        error: "forbidden",
        message: expect.stringMatching(/serves its own page only.*Host/),
      });
    }
  });

  it("refuses a request from a page on another origin", async () => {
    const port = dashboard.port;
    for (const origin of [
      "http://evil.example:5173",
      `http://evil.example:${port}`,
      "null",
      // Another loopback name is another origin: that page could not read the answer anyway.
      `http://localhost:${port}`,
      `https://127.0.0.1:${port}`,
      `http://127.0.0.1:${port === 65535 ? port - 1 : port + 1}`,
    ]) {
      const { status, body } = await get(TOKEN_PATH, { host: `127.0.0.1:${port}`, origin });
      expect(status, origin).toBe(403);
      expect(JSON.parse(body), origin).toEqual({
        error: "forbidden",
        message: expect.stringMatching(/serves its own page only.*another origin/),
      });
    }
  });

  it("still answers a bad player id with 400, and serves the page and its config to anyone", async () => {
    const bad = await get("/api/token?player=a%20b");
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: "invalid_player" });
    // The page and /config.json hold no secret.
    expect((await get("/", { host: "evil.example:5173" })).status).toBe(200);
    expect((await get("/config.json")).status).toBe(200);
  });
});
