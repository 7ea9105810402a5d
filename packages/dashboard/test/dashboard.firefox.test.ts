// The dashboard in Firefox: Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core
// (playwright-core's BiDi client asks for commands newer than the ESR has; see ADR 0009). The
// same page and stack as the Chromium test, fewer steps: sign in, see the world drawn, move with
// the keyboard, and verify the ledger.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { arenaModule } from "@ledgerquest/example-arena";
import { type LocalStack, startLocalStack } from "@ledgerquest/local";
import { createWorld } from "@ledgerquest/runtime";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../scripts/build.js";
import { browserInstalled } from "./browser.js";

const FIREFOX = "/usr/bin/firefox-esr";
const WORLD = "dash-firefox";
const PLAYER = "player_0001";
const OUT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../test-output");

let stack: LocalStack;
let browser: Browser;
let page: Page;
let distDir: string;
const pageErrors: string[] = [];

async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const look = () =>
  page.evaluate(() => {
    const lq = window.__lq;
    return { status: lq?.status() ?? "none", me: lq?.me(), entities: lq?.entities().length ?? 0 };
  });

const installed = browserInstalled(FIREFOX, "firefox-esr");

beforeAll(async () => {
  if (!installed) return;
  mkdirSync(OUT, { recursive: true });
  distDir = await buildDashboard(mkdtempSync(join(tmpdir(), "lq-dashboard-ff-")));
  stack = await startLocalStack({
    game: arenaModule,
    inMemory: true,
    ticksPerBatch: 30,
    waitSeconds: 0,
    dashboard: { directory: distDir, world: WORLD },
    log: () => undefined,
  });
  const { world } = await createWorld(stack.runtimeDeps(), {
    worldId: WORLD,
    players: [PLAYER],
    settings: { bodies: 20, bots: 2, coins: 300 },
  });
  await stack.activate(WORLD, world.version);
  browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: FIREFOX,
    headless: true,
    // The window's own size: the ESR has no viewport emulation (`setViewport`) over BiDi.
    defaultViewport: null,
    args: ["--width=1280", "--height=860"],
    timeout: 60_000,
  });
  page = await browser.newPage();
  page.on("pageerror", (e) => pageErrors.push(String(e)));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (distDir) rmSync(distDir, { recursive: true, force: true });
});

describe.skipIf(!installed)("the dashboard in Firefox", () => {
  it("signs in, draws the world, moves with the keyboard and verifies the ledger", async () => {
    await page.goto(`${stack.endpoints.dashboard}?world=${WORLD}`);
    await page.waitForSelector('[data-testid="signin-player"]');
    await page.$eval('[data-testid="signin-player"]', (e) => {
      (e as HTMLInputElement).value = "";
    });
    await page.type('[data-testid="signin-player"]', PLAYER);
    await page.click('[data-testid="signin-submit"]');
    const start = await until("connected, with the player drawn", async () => {
      const seen = await look();
      // A player is sent its area (the game's nearest entities, the walls), not all 320.
      return seen.status === "connected" && seen.me !== undefined && seen.entities > 20
        ? seen.me
        : undefined;
    });
    await page.screenshot({ path: join(OUT, "firefox-01-connected.png") });

    // Hold the arrow that points away from the nearer wall until the body has moved.
    const key = start.x < 100 ? "ArrowRight" : "ArrowLeft";
    await page.keyboard.down(key);
    try {
      await until(
        "the player's body to move",
        async () => {
          const me = (await look()).me;
          return me !== undefined && Math.abs(me.x - start.x) > 1 ? me : undefined;
        },
        30_000,
      );
    } finally {
      await page.keyboard.up(key);
    }

    await page.click('[data-testid="verify-button"]');
    const ok = await until("the verify result", async () => {
      const v = await page.$eval('[data-testid="verify-result"]', (e) => e.getAttribute("data-ok"));
      return v === "true" || v === "false" ? v : undefined;
    });
    expect(ok).toBe("true");
    await page.screenshot({ path: join(OUT, "firefox-02-verified.png") });
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
