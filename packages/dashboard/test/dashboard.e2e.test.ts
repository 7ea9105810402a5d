// The dashboard end to end, real everything: the page built by Vite, served by the local stack,
// driven in Debian's Chromium through playwright-core; a world on the local stack (DynamoDB
// Local, the game loop run by the local Step Functions, the WebSocket gateway with the project's
// handlers). A player signs in, steers with the keyboard to coins, sees gold rise in the HUD and
// the pickups in the ledger feed, finishes "Pick up 10 gold", verifies the ledger, runs the
// operator's replay check, survives a lost connection, and the page's other states show.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { arenaModule } from "@ledgerquest/example-arena";
import { type LocalStack, startLocalStack } from "@ledgerquest/local";
import { createWorld } from "@ledgerquest/runtime";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboard } from "../scripts/build.js";
import { browserInstalled } from "./browser.js";

const CHROMIUM = "/usr/bin/chromium";
const WORLD = "dash-e2e";
const PLAYER = "player_0001";
const HERE = fileURLToPath(new URL(".", import.meta.url));
const OUT = resolve(HERE, "../test-output");
/** `LQ_UPDATE_SCREENSHOTS=1` also refreshes the documentation's screenshot. */
const DOC_IMAGE = resolve(HERE, "../../../docs/images/world-view.png");

let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let dashboardUrl: string;
let distDir: string;
const pageErrors: string[] = [];

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${last})` : ""}`);
}

async function shot(name: string, target: Page = page): Promise<void> {
  // From the top: a full-page capture of a scrolled page leaves sticky elements mid-page.
  await target.evaluate(() => window.scrollTo(0, 0));
  await target.screenshot({ path: join(OUT, `${name}.png`), fullPage: true, timeout: 10_000 });
}

const installed = browserInstalled(CHROMIUM, "chromium");

beforeAll(async () => {
  if (!installed) return;
  mkdirSync(OUT, { recursive: true });
  distDir = await buildDashboard(mkdtempSync(join(tmpdir(), "lq-dashboard-")));
  stack = await startLocalStack({
    game: arenaModule,
    inMemory: true,
    ticksPerBatch: 30,
    waitSeconds: 0,
    dashboard: { directory: distDir, world: WORLD },
    log: () => undefined,
  });
  if (stack.endpoints.dashboard === undefined) throw new Error("the stack serves no dashboard");
  dashboardUrl = stack.endpoints.dashboard;

  // Dense coins and no bots: the test's player is the one collecting.
  const { world } = await createWorld(stack.runtimeDeps(), {
    worldId: WORLD,
    players: [PLAYER],
    settings: { bodies: 0, bots: 0, coins: 1500 },
  });
  await stack.activate(WORLD, world.version);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
    timeout: 30_000,
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (e) => pageErrors.push(String(e)));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (distDir) rmSync(distDir, { recursive: true, force: true });
});

interface Seen {
  me?: { x: number; y: number };
  coins: { x: number; y: number }[];
  gold?: number;
  status: string;
}

async function look(p: Page = page): Promise<Seen> {
  return p.evaluate(() => {
    const lq = window.__lq;
    const coins = (lq?.entities() ?? []).filter((e) => e.kind === "coin");
    const me = lq?.me();
    return {
      ...(me === undefined ? {} : { me }),
      coins: coins.map((c) => ({ x: c.x, y: c.y })),
      ...(lq?.player() === undefined ? {} : { gold: lq.player()?.balances.gold ?? 0 }),
      status: lq?.status() ?? "none",
    };
  });
}

/** Holds the arrow keys that point from `me` towards the nearest coin (releasing the others). */
async function steerOnce(held: Set<string>): Promise<void> {
  const seen = await look();
  if (seen.me === undefined) return;
  const { x, y } = seen.me;
  let best: { x: number; y: number } | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of seen.coins) {
    const d = Math.hypot(c.x - x, c.y - y);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const want = new Set<string>();
  if (best !== undefined) {
    if (best.x - x > 0.4) want.add("ArrowRight");
    if (best.x - x < -0.4) want.add("ArrowLeft");
    if (best.y - y > 0.4) want.add("ArrowDown");
    if (best.y - y < -0.4) want.add("ArrowUp");
  }
  for (const k of [...held]) {
    if (!want.has(k)) {
      await page.keyboard.up(k);
      held.delete(k);
    }
  }
  for (const k of want) {
    if (!held.has(k)) {
      await page.keyboard.down(k);
      held.add(k);
    }
  }
}

async function releaseAll(held: Set<string>): Promise<void> {
  for (const k of held) await page.keyboard.up(k);
  held.clear();
}

const hudGold = async (p: Page = page) =>
  Number(((await p.getByTestId("hud-gold").textContent()) ?? "").replace(/,/g, ""));

describe.skipIf(!installed)("the dashboard", () => {
  it("signs in, plays, pays through the ledger, completes a quest, verifies and replays", async () => {
    await page.goto(`${dashboardUrl}?world=${WORLD}`);
    await page.getByTestId("signin-player").fill(PLAYER);
    await page.getByTestId("signin-operator").check();
    await shot("01-sign-in");
    await page.getByTestId("signin-submit").click();
    await until("the connection", async () => (await look()).status === "connected");
    await until("the player's body in the view", async () => (await look()).me);
    await until("the HUD's starting purse", async () => (await hudGold()) === 100);
    expect(await page.getByTestId("identity-player").textContent()).toBe(PLAYER);
    await shot("02-connected");

    // Steer to coins with the arrow keys, held, until the gold rises.
    const held = new Set<string>();
    try {
      await until(
        "gold above the starting 100",
        async () => {
          await steerOnce(held);
          return (await hudGold()) > 100;
        },
        30_000,
        150,
      );
      await shot("03-gold-rises");
      // The pickup is in the ledger feed: a gold transfer from the mint to the player.
      const pickup = page.locator(
        '[data-testid="ledger-entry"][data-reason="pickup"][data-unit="gold"]',
      );
      await until("a pickup in the ledger feed", async () => (await pickup.count()) > 0);
      expect(await pickup.first().textContent()).toContain(`mint:gold → ${PLAYER}:gold`);

      // "Pick up 10 gold" completes and pays itself (auto claim): rewarded in the quest log.
      await until(
        "first_coins rewarded in the quest log",
        async () => {
          await steerOnce(held);
          return (
            (await page.getByTestId("quest-first_coins").getAttribute("data-state")) === "rewarded"
          );
        },
        40_000,
        150,
      );
    } finally {
      await releaseAll(held);
    }
    expect(await page.getByTestId("quest-state-first_coins").textContent()).toBe("Rewarded");
    // The reward's 5 xp, and 1 xp per coin: at least 3 coins (4 gold at most each) make 10 gold.
    expect(Number(await page.getByTestId("hud-xp").textContent())).toBeGreaterThanOrEqual(5 + 3);
    await shot("04-quest-rewarded");
    await page
      .locator(".canvas-wrap")
      .screenshot({ path: join(OUT, "world-view.png"), timeout: 10_000 });
    if (process.env.LQ_UPDATE_SCREENSHOTS === "1") {
      mkdirSync(resolve(DOC_IMAGE, ".."), { recursive: true });
      await copyFile(join(OUT, "world-view.png"), DOC_IMAGE);
    }

    // Verify: the server checks the whole journal against the digest and the balances.
    await page.getByTestId("verify-button").click();
    const verify = page.getByTestId("verify-result");
    await until("the verify result", async () => {
      const ok = await verify.getAttribute("data-ok");
      return ok === "true" || ok === "false" || ok === "error" ? ok : undefined;
    });
    expect(await verify.textContent()).toContain("✓ Verified");
    await shot("05-verified");

    // The operator's tools: the worlds table and a replay check of the last ticks.
    await until(
      "the worlds table",
      async () =>
        (await page.locator(`[data-testid="worlds-table"] tr[data-world="${WORLD}"]`).count()) > 0,
    );
    await page.getByTestId("replay-run").click();
    const replay = page.getByTestId("replay-result");
    await until(
      "the replay result",
      async () => {
        const ok = await replay.getAttribute("data-ok");
        return ok === "true" || ok === "false" || ok === "error" ? ok : undefined;
      },
      30_000,
    );
    expect(await replay.textContent()).toContain("✓ Replay matches");
    // The charts have points (uPlot draws a canvas per chart).
    expect(await page.locator('[data-testid="chart-ticks"] canvas').count()).toBeGreaterThan(0);
    await shot("06-operator");
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it("says when the connection is lost, reconnects by itself and catches up", async () => {
    const before = await page.evaluate(() => window.__lq?.version() ?? -1);
    await stack.stopGateway();
    const status = page.getByTestId("status");
    await until("the lost-connection notice", async () =>
      /Connection lost — reconnecting in \d+s \(attempt \d+\)/.test(
        (await status.textContent()) ?? "",
      ),
    );
    await shot("07-connection-lost");
    // It keeps trying while the gateway is down (later attempts, longer waits).
    await until(
      "a second attempt",
      async () => /\(attempt [2-9]\d*\)/.test((await status.textContent()) ?? ""),
      10_000,
    );
    await stack.startGateway();
    await until("the reconnection", async () => (await look()).status === "connected", 30_000);
    await until("pushes again after the reconnection", async () =>
      (await page.evaluate(() => window.__lq?.version() ?? -1)) > before ? true : undefined,
    );
    await shot("08-reconnected");
  }, 60_000);

  it("works at phone width: the panels stack under the canvas, a tap steers", async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      hasTouch: true,
      isMobile: true,
    });
    try {
      const p = await phone.newPage();
      p.setDefaultTimeout(15_000);
      await p.goto(`${dashboardUrl}?world=${WORLD}`);
      await p.getByTestId("signin-player").fill(PLAYER);
      await p.getByTestId("signin-submit").click();
      await until("the phone's connection", async () => (await look(p)).status === "connected");
      const me = await until("the player's body", async () => (await look(p)).me);
      const canvas = await p.getByTestId("world-canvas").boundingBox();
      const hud = await p.getByTestId("panel-hud").boundingBox();
      if (canvas === null || hud === null) throw new Error("not laid out");
      expect(hud.y).toBeGreaterThanOrEqual(canvas.y + canvas.height);
      expect(canvas.width).toBeLessThanOrEqual(390);
      // Tap well to the left of the player: it heads there.
      const game = await p.evaluate(() => window.__lq?.game()?.bounds);
      const w = game ? game.maxX - game.minX : 200;
      const scale = canvas.width / w;
      const targetX = Math.max(5, me.x - 30);
      await p.touchscreen.tap(canvas.x + targetX * scale, canvas.y + canvas.height / 2);
      await until("the player moving left after the tap", async () => {
        const now = (await look(p)).me;
        return now !== undefined && now.x < me.x - 2 ? true : undefined;
      });
      await shot("09-phone", p);
    } finally {
      await phone.close();
    }
  }, 60_000);

  it("tells a player not in the world, a world that does not exist, and an expired session", async () => {
    const other = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    try {
      const p = await other.newPage();
      p.setDefaultTimeout(15_000);
      // Not in this world, and no operator: watching, with the operator tools explained.
      await p.goto(`${dashboardUrl}?world=${WORLD}`);
      await p.getByTestId("signin-player").fill("player_0099");
      await p.getByTestId("signin-submit").click();
      await until("watching", async () =>
        /player_0099 is not in this world/.test(
          (await p.getByTestId("world-banner").textContent()) ?? "",
        ),
      );
      await until(
        "the operator panel's refusal",
        async () => (await p.getByTestId("operator-forbidden").count()) > 0,
      );
      await shot("10-watching", p);
      await p.getByTestId("signout").click();
      await p.getByTestId("signin-form").waitFor();

      // A world that does not exist.
      await p.goto(`${dashboardUrl}?world=no-such-world`);
      await p.getByTestId("signin-submit").click();
      await until("the refusal", async () => (await p.getByTestId("refused").count()) > 0, 20_000);
      expect(await p.getByTestId("status").getAttribute("data-state")).toBe("refused");
      await shot("11-world-not-found", p);

      // An expired session: the page says so and asks to sign in again.
      const r = await fetch(`${stack.endpoints.idp}/token?player=${PLAYER}&expiresIn=-60`);
      const { token } = (await r.json()) as { token: string };
      await p.evaluate((t) => {
        sessionStorage.setItem("ledgerquest.session", JSON.stringify({ token: t }));
      }, token);
      await p.goto(`${dashboardUrl}?world=${WORLD}`);
      await until("the expired-session notice", async () =>
        (await p.getByTestId("status").textContent())?.includes(
          "Your session expired — sign in again",
        ),
      );
      await p.getByTestId("signin-form").waitFor();
      await shot("12-session-expired", p);
    } finally {
      await other.close();
    }
  }, 60_000);
});
