// The dashboard end to end, real everything, once per game: the page built by Vite, served by a
// local stack running that game (DynamoDB Local, the game loop run by the local Step Functions,
// the WebSocket gateway with the project's handlers), driven in Debian's Chromium through
// playwright-core. The page knows neither game: it draws each from its description and plays it
// through the command panel (and, for the arena's `move`, the keyboard).
//
// Both games: sign in, the world drawn from the description (kinds, legend, HUD), play (the
// arena: steer to coins until gold rises and "Pick up 10 gold" is rewarded; the market: walk,
// gather three wood and craft a plank, all through the command panel), the ledger feed, a bad
// command's typed error, verify and the operator's replay check, a lost connection. The arena
// also: phone width with a tap to steer, a watcher, a world that does not exist, an expired
// session.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { JsonValue } from "@ledgerquest/engine";
import type { LocalStack } from "@ledgerquest/local";
import type { GameModule } from "@ledgerquest/runtime";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildDashboard } from "../scripts/build.js";
import { browserInstalled } from "./browser.js";

const CHROMIUM = "/usr/bin/chromium";
const PLAYER = "player_0001";
const HERE = fileURLToPath(new URL(".", import.meta.url));
const OUT = resolve(HERE, "../test-output");
/** `LQ_UPDATE_SCREENSHOTS=1` also refreshes the documentation's screenshot. */
const DOC_IMAGE = resolve(HERE, "../../../docs/images/world-view.png");

/** What the test knows of a game (the page knows none of it). */
interface GameCase {
  readonly name: string;
  /** The game's rules name (`GameModule.name`). */
  readonly rules: string;
  /** Imports the game (after the stack's modules were reset: see the suite's `beforeAll`). */
  readonly load: () => Promise<GameModule>;
  readonly world: string;
  readonly settings: JsonValue;
  /** The purse the player starts with, per unit. */
  readonly purse: Readonly<Record<string, number>>;
  /** Whether the page steers it with the keys (it has `move {dx, dy}`). */
  readonly steers: boolean;
  /** Plays the game through the page and checks what it changed. */
  readonly play: (page: Page) => Promise<void>;
  /** A command whose data the game's schema refuses, and the field the error names. */
  readonly bad: { readonly type: string; readonly data: string; readonly path: string };
  /** A command the game accepts that changes little. */
  readonly good: { readonly type: string; readonly data: string };
}

const GAMES: readonly GameCase[] = [
  {
    name: "arena",
    rules: "arena@2",
    load: async () => (await import("@ledgerquest/example-arena")).arenaModule,
    world: "dash-arena",
    // Dense coins and no bots: the test's player is the one collecting.
    settings: { bodies: 0, bots: 0, coins: 1500 },
    purse: { gold: 100 },
    steers: true,
    play: playArena,
    bad: { type: "move", data: '{"dx": 5, "dy": 0}', path: "data.dx" },
    good: { type: "move", data: '{"dx": 0, "dy": 0}' },
  },
  {
    name: "market",
    rules: "market@1",
    load: async () => (await import("@ledgerquest/example-market")).marketGame,
    world: "dash-market",
    settings: { startingGold: 50 },
    purse: { gold: 50 },
    steers: false,
    play: playMarket,
    bad: { type: "walk", data: '{"x": 99, "y": 0}', path: "data.x" },
    good: { type: "walk", data: '{"x": 4, "y": 4}' },
  },
];

let browser: Browser;
let distDir: string;

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
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

/** Clicks `button`, then waits until `result` says how it went (`data-ok`); the result. */
async function settledResult(page: Page, button: string, result: string) {
  await page.getByTestId(button).click();
  const element = page.getByTestId(result);
  await until(`the ${result}`, async () => {
    const ok = await element.getAttribute("data-ok");
    return ok === "true" || ok === "false" || ok === "error" ? ok : undefined;
  });
  return element;
}

async function shot(page: Page, name: string): Promise<void> {
  // From the top: a full-page capture of a scrolled page leaves sticky elements mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true, timeout: 10_000 });
}

interface Seen {
  me?: { x: number; y: number };
  status: string;
  balances?: Readonly<Record<string, number>>;
  kinds: string[];
}

async function look(page: Page): Promise<Seen> {
  return page.evaluate(() => {
    const lq = window.__lq;
    const me = lq?.me();
    const player = lq?.player();
    return {
      ...(me === undefined ? {} : { me }),
      ...(player === undefined ? {} : { balances: player.balances }),
      status: lq?.status() ?? "none",
      kinds: [...new Set((lq?.entities() ?? []).map((e) => e.kind))].sort(),
    };
  });
}

const balance = async (page: Page, unit: string) => (await look(page)).balances?.[unit] ?? 0;

const hudBalance = async (page: Page, unit: string) =>
  Number(((await page.getByTestId(`hud-balance-${unit}`).textContent()) ?? "").replace(/,/g, ""));

async function signIn(page: Page, url: string, world: string, operator: boolean): Promise<void> {
  await page.goto(`${url}?world=${world}`);
  await page.getByTestId("signin-player").fill(PLAYER);
  if (operator) await page.getByTestId("signin-operator").check();
  await page.getByTestId("signin-submit").click();
  await until("the connection", async () => (await look(page)).status === "connected");
}

/** Sends a command through the command panel; resolves with the result element's attributes. */
async function command(
  page: Page,
  type: string,
  data: string,
): Promise<{ ok: string; code: string; path: string | null; text: string }> {
  await page.getByTestId("command-type").selectOption(type);
  await page.getByTestId("command-data").fill(data);
  const result = page.getByTestId("command-result");
  await page.getByTestId("command-send").click();
  const ok = await until(`the answer to ${type} ${data}`, async () => {
    const v = await result.getAttribute("data-ok");
    return v === "true" || v === "false" ? v : undefined;
  });
  return {
    ok,
    code: (await result.getAttribute("data-code")) ?? "",
    path: await result.getAttribute("data-path"),
    text: (await result.textContent()) ?? "",
  };
}

// ─── the arena: steer to coins with the arrow keys ─────────────────────────────────────────────

/** Holds the arrow keys that point from `me` towards the nearest coin (releasing the others). */
async function steerOnce(page: Page, held: Set<string>): Promise<void> {
  const seen = await page.evaluate(() => ({
    me: window.__lq?.me(),
    coins: (window.__lq?.entities() ?? []).filter((e) => e.kind === "coin"),
  }));
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

async function playArena(page: Page): Promise<void> {
  const held = new Set<string>();
  try {
    await until(
      "gold above the starting 100",
      async () => {
        await steerOnce(page, held);
        return (await hudBalance(page, "gold")) > 100;
      },
      40_000,
      150,
    );
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
        await steerOnce(page, held);
        return (
          (await page.getByTestId("quest-first_coins").getAttribute("data-state")) === "rewarded"
        );
      },
      60_000,
      150,
    );
  } finally {
    for (const k of held) await page.keyboard.up(k);
  }
  // The reward's 5 xp, and 1 xp per coin: at least 3 coins (4 gold at most each) make 10 gold.
  expect(Number(await page.getByTestId("hud-xp").textContent())).toBeGreaterThanOrEqual(5 + 3);
}

// ─── the market: walk, gather and craft through the command panel ─────────────────────────────

async function playMarket(page: Page): Promise<void> {
  // Walk next to the tree at (3, 3): cell (4, 4), whose centre is (4.5, 4.5).
  expect(await command(page, "walk", '{"x": 4, "y": 4}')).toMatchObject({ ok: "true" });
  await until("the player at cell (4, 4)", async () => {
    const me = (await look(page)).me;
    return me?.x === 4.5 && me.y === 4.5 ? true : undefined;
  });
  for (let i = 1; i <= 3; i++) {
    const r = await command(page, "gather", '{"x": 3, "y": 3}');
    expect(r).toMatchObject({ ok: "true", code: "accepted" });
    await until(`wood ${i}`, async () =>
      (await balance(page, "item.wood")) >= i ? true : undefined,
    );
  }
  await until("the HUD's wood", async () =>
    (await hudBalance(page, "item.wood")) === 3 ? true : undefined,
  );
  // "Gather 3 wood" pays itself: rewarded in the quest log.
  await until(
    "woodcutter rewarded",
    async () =>
      (await page.getByTestId("quest-woodcutter").getAttribute("data-state")) === "rewarded",
  );
  // Craft a plank: two wood in, one plank out.
  expect(await command(page, "craft", '{"recipe": "plank"}')).toMatchObject({ ok: "true" });
  await until("a plank", async () =>
    (await balance(page, "item.plank")) === 1 ? true : undefined,
  );
  expect(await balance(page, "item.wood")).toBe(1);
  await until("the HUD's plank", async () =>
    (await hudBalance(page, "item.plank")) === 1 ? true : undefined,
  );
  // The gathering is in the ledger feed: wood minted into the player's wallet.
  const gathered = page.locator(
    '[data-testid="ledger-entry"][data-reason="gather"][data-unit="item.wood"]',
  );
  await until("a gather in the ledger feed", async () => (await gathered.count()) > 0);
  expect(await gathered.first().textContent()).toContain(`${PLAYER}:item.wood`);
}

// ─── the tests ────────────────────────────────────────────────────────────────────────────────

const installed = browserInstalled(CHROMIUM, "chromium");

beforeAll(async () => {
  if (!installed) return;
  mkdirSync(OUT, { recursive: true });
  distDir = await buildDashboard(mkdtempSync(join(tmpdir(), "lq-dashboard-")));
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
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (distDir) rmSync(distDir, { recursive: true, force: true });
});

describe.skipIf(!installed)("the dashboard", () => {
  describe.each(GAMES)("with the $name game", (g) => {
    let stack: LocalStack;
    let page: Page;
    let url: string;
    const pageErrors: string[] = [];
    const name = (step: string) => `${g.name}-${step}`;

    beforeAll(async () => {
      // A stack's handlers are the Lambda modules, which read their configuration once (a cold
      // start): each game's stack gets them fresh, as a new Lambda container would.
      vi.resetModules();
      const { startLocalStack } = await import("@ledgerquest/local");
      const { createWorld } = await import("@ledgerquest/runtime");
      stack = await startLocalStack({
        game: await g.load(),
        inMemory: true,
        ticksPerBatch: 30,
        waitSeconds: 0,
        dashboard: { directory: distDir, world: g.world },
        log: () => undefined,
      });
      if (stack.endpoints.dashboard === undefined) throw new Error("the stack serves no dashboard");
      url = stack.endpoints.dashboard;
      const { world } = await createWorld(stack.runtimeDeps(), {
        worldId: g.world,
        players: [PLAYER],
        settings: g.settings,
      });
      await stack.activate(g.world, world.version);
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.on("pageerror", (e) => pageErrors.push(String(e)));
    }, 120_000);

    afterAll(async () => {
      await page?.context().close();
      await stack?.stop();
    });

    it("signs in and draws the world from the game's description", async () => {
      await page.goto(`${url}?world=${g.world}`);
      await shot(page, name("01-sign-in"));
      await signIn(page, url, g.world, true);
      await until("the player's entity in the view", async () => (await look(page)).me);
      expect(await page.getByTestId("identity-player").textContent()).toBe(PLAYER);
      const game = await until("the game's description", () =>
        page.evaluate(() => window.__lq?.game()),
      );
      expect(game.rules).toBe(g.rules);
      // Every entity is of a kind the description has, and the view draws every kind it has.
      const kinds = Object.keys(game.kinds);
      const seen = await look(page);
      expect(seen.kinds.length).toBeGreaterThan(1);
      for (const k of seen.kinds) expect(kinds).toContain(k);
      await until("every kind drawn", async () => {
        const drawn = await page.evaluate(() => window.__lq?.drawn() ?? {});
        return seen.kinds.every((k) => (drawn[k] ?? 0) > 0) ? true : undefined;
      });
      // An operator sees the whole world: the pushes bring the area near the player (the game's
      // area of interest), the `state` query the rest, every 2 s. Unticked: the area alone.
      const scope = () => page.evaluate(() => window.__lq?.scope());
      const drawnCoins = () => page.evaluate(() => window.__lq?.drawn().coin ?? 0);
      await until("the whole world", async () => ((await scope()) === "world" ? true : undefined));
      if (g.name === "arena") {
        await until("every coin drawn", async () =>
          (await drawnCoins()) === 1500 ? true : undefined,
        );
        await page.getByTestId("whole-world").uncheck();
        await until("the player's area alone", async () =>
          (await scope()) === "area" && (await drawnCoins()) <= 80 ? true : undefined,
        );
        expect(await page.getByTestId("view-scope").textContent()).toContain("near you");
        await page.getByTestId("whole-world").check();
        await until("the whole world again", async () =>
          (await drawnCoins()) === 1500 ? true : undefined,
        );
      }
      // The legend: each kind, labelled as the game labels it.
      for (const [kind, lookOf] of Object.entries(game.kinds)) {
        const item = page.locator(`[data-testid="legend"] li[data-kind="${kind}"]`);
        expect(await item.textContent()).toBe(lookOf.label || kind);
      }
      // The HUD shows the purse, whatever its units; the game panel explains the game.
      for (const [unit, amount] of Object.entries(g.purse)) {
        await until(`the HUD's ${unit}`, async () =>
          (await hudBalance(page, unit)) === amount ? true : undefined,
        );
      }
      expect(await page.getByTestId("game-rules").textContent()).toContain(g.rules);
      const listed = await page.locator('[data-testid="game-commands"] li').allTextContents();
      expect(listed).toEqual(game.commands);
      expect(await page.getByTestId("steering-hint").getAttribute("data-steering")).toBe(
        String(g.steers),
      );
      // The quest book, from the description.
      for (const q of game.quests as { id: string }[]) {
        expect(await page.getByTestId(`quest-${q.id}`).count()).toBe(1);
      }
      await shot(page, name("02-connected"));
    }, 90_000);

    it("plays the game through the page, and the ledger feed shows it", async () => {
      await g.play(page);
      await shot(page, name("03-played"));
      await page
        .locator(".canvas-wrap")
        .screenshot({ path: join(OUT, `${name("world-view")}.png`), timeout: 10_000 });
      if (g.name === "arena" && process.env.LQ_UPDATE_SCREENSHOTS === "1") {
        mkdirSync(resolve(DOC_IMAGE, ".."), { recursive: true });
        await copyFile(join(OUT, `${name("world-view")}.png`), DOC_IMAGE);
      }
    }, 150_000);

    it("sends any command from the command panel; a bad one shows its typed error", async () => {
      const bad = await command(page, g.bad.type, g.bad.data);
      expect(bad).toMatchObject({ ok: "false", code: "invalid_data", path: g.bad.path });
      expect(bad.text).toContain(`invalid_data at ${g.bad.path}`);
      const notJson = await command(page, g.bad.type, "{oops");
      expect(notJson).toMatchObject({ ok: "false", code: "invalid_data", path: "data" });
      expect(notJson.text).toContain("not JSON");
      const good = await command(page, g.good.type, g.good.data);
      expect(good).toMatchObject({ ok: "true", code: "accepted" });
      // The history, newest first: the good one, the text that was not JSON, the bad one.
      const history = await page.getByTestId("command-history").locator("li").allTextContents();
      expect(history.slice(0, 3).map((l) => l.split(" → ")[1])).toEqual([
        "accepted",
        "invalid_data",
        "invalid_data",
      ]);
      await shot(page, name("04-commands"));
    }, 60_000);

    it("verifies the ledger and runs the operator's replay check", async () => {
      const verify = await settledResult(page, "verify-button", "verify-result");
      expect(await verify.textContent()).toContain("✓ Verified");
      await until(
        "the worlds table",
        async () =>
          (await page.locator(`[data-testid="worlds-table"] tr[data-world="${g.world}"]`).count()) >
          0,
      );
      const replay = await settledResult(page, "replay-run", "replay-result");
      expect(await replay.textContent()).toContain("✓ Replay matches");
      // The charts have points (uPlot draws a canvas per chart).
      expect(await page.locator('[data-testid="chart-ticks"] canvas').count()).toBeGreaterThan(0);
      await shot(page, name("05-verified"));
      expect(pageErrors).toEqual([]);
    }, 90_000);

    it("says when the connection is lost, reconnects by itself and catches up", async () => {
      const before = await page.evaluate(() => window.__lq?.version() ?? -1);
      await stack.stopGateway();
      const status = page.getByTestId("status");
      await until("the lost-connection notice", async () =>
        /Connection lost — reconnecting in \d+s \(attempt \d+\)/.test(
          (await status.textContent()) ?? "",
        ),
      );
      await shot(page, name("06-connection-lost"));
      // It keeps trying while the gateway is down (later attempts, longer waits).
      await until("a second attempt", async () =>
        /\(attempt [2-9]\d*\)/.test((await status.textContent()) ?? ""),
      );
      await stack.startGateway();
      await until("the reconnection", async () => (await look(page)).status === "connected");
      await until("pushes again after the reconnection", async () =>
        (await page.evaluate(() => window.__lq?.version() ?? -1)) > before ? true : undefined,
      );
      await shot(page, name("07-reconnected"));
      expect(pageErrors).toEqual([]);
    }, 90_000);

    it.runIf(g.steers)(
      "works at phone width: the panels stack under the canvas, a tap steers",
      async () => {
        const phone = await browser.newContext({
          viewport: { width: 390, height: 844 },
          deviceScaleFactor: 2,
          hasTouch: true,
          isMobile: true,
        });
        try {
          const p = await phone.newPage();
          p.setDefaultTimeout(15_000);
          await signIn(p, url, g.world, false);
          const me = await until("the player's entity", async () => (await look(p)).me);
          const canvas = await p.getByTestId("world-canvas").boundingBox();
          const hud = await p.getByTestId("panel-hud").boundingBox();
          if (canvas === null || hud === null) throw new Error("not laid out");
          expect(hud.y).toBeGreaterThanOrEqual(canvas.y + canvas.height);
          expect(canvas.width).toBeLessThanOrEqual(390);
          // Tap well to the left of the player: it heads there.
          const bounds = await p.evaluate(() => window.__lq?.game()?.bounds);
          const w = bounds ? bounds.maxX - bounds.minX : 200;
          const scale = canvas.width / w;
          const targetX = Math.max(5, me.x - 30);
          await p.touchscreen.tap(canvas.x + targetX * scale, canvas.y + canvas.height / 2);
          await until("the player moving left after the tap", async () => {
            const now = (await look(p)).me;
            return now !== undefined && now.x < me.x - 2 ? true : undefined;
          });
          await shot(p, name("08-phone"));
        } finally {
          await phone.close();
        }
      },
      90_000,
    );

    it.runIf(g.name === "arena")(
      "tells a player not in the world, a world that does not exist, and an expired session",
      async () => {
        const other = await browser.newContext({ viewport: { width: 1024, height: 768 } });
        try {
          const p = await other.newPage();
          p.setDefaultTimeout(15_000);
          // Not in this world, and no operator: watching, with the operator tools explained.
          await p.goto(`${url}?world=${g.world}`);
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
          expect(await p.getByTestId("command-send").isDisabled()).toBe(true);
          await shot(p, name("09-watching"));
          await p.getByTestId("signout").click();
          await p.getByTestId("signin-form").waitFor();

          // A world that does not exist.
          await p.goto(`${url}?world=no-such-world`);
          await p.getByTestId("signin-submit").click();
          await until("the refusal", async () => (await p.getByTestId("refused").count()) > 0);
          expect(await p.getByTestId("status").getAttribute("data-state")).toBe("refused");
          await shot(p, name("10-world-not-found"));

          // An expired session: the page says so and asks to sign in again.
          const r = await fetch(`${stack.endpoints.idp}/token?player=${PLAYER}&expiresIn=-60`);
          const { token } = (await r.json()) as { token: string };
          await p.evaluate((t) => {
            sessionStorage.setItem("ledgerquest.session", JSON.stringify({ token: t }));
          }, token);
          await p.goto(`${url}?world=${g.world}`);
          await until("the expired-session notice", async () =>
            (await p.getByTestId("status").textContent())?.includes(
              "Your session expired — sign in again",
            ),
          );
          await p.getByTestId("signin-form").waitFor();
          await shot(p, name("11-session-expired"));
        } finally {
          await other.close();
        }
      },
      90_000,
    );
  });
});
