// The acceptance test of the whole engine as a game team meets it: every publishable package
// packed as npm would publish it, a project made by the packed create-ledgerquest in a folder
// outside the repository, installed from those tarballs only, its own tests run, its local stack
// started, a player played through the installed client SDK, its ledger verified, and the stack
// stopped with Ctrl-C. Each step prints how long it took (docs/benchmarks.md records them); the
// waits are bounds for liveness, never checks of speed. LQ_KEEP_ACCEPTANCE=1 keeps the folder.
import type { ChildProcess } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
// Alike: tutorial.test.ts's imports (the two project tests run on one harness).
import {
  INSTALL_MAX_MS,
  PACKAGES,
  packAll,
  REPO,
  run,
  STEP_MAX_MS,
  startGroup,
  stepTimer,
  stopGroup,
  tail,
  waitForOutput,
} from "./support/harness.js";

// Alike in form only: local/test/dynamodb-local.test.ts's script path and constants.
const BOT_SCRIPT = fileURLToPath(new URL("./support/acceptance-bot.mjs", import.meta.url));
const PROJECT = "acceptance-game";
const PLAYER = "player_0001";

const root = mkdtempSync(join(tmpdir(), "lq-acceptance-"));
const packs = join(root, "packs");
const project = join(root, PROJECT);
let dev: ChildProcess | undefined;
const { step, summary } = stepTimer("acceptance");

// Alike: tutorial.test.ts's afterAll (each stops what it started, then keeps or removes its folder).
afterAll(async () => {
  if (dev !== undefined && dev.exitCode === null && dev.signalCode === null && dev.pid) {
    // The test failed before stopping the stack: stop its whole group (it started it).
    process.kill(-dev.pid, "SIGKILL");
  }
  if (process.env.LQ_KEEP_ACCEPTANCE === "1") console.log(`acceptance: kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
});

describe("a new project from the packed packages, outside the repository", () => {
  it("installs from tarballs only, passes its own tests, runs on the local stack, plays, verifies, stops", {
    timeout: 15 * 60_000,
  }, async () => {
    expect(relative(REPO, root).startsWith("..")).toBe(true);

    // (a) Pack every publishable package, as built by the root's `prepare`.
    await step("pack 10 packages", async () => {
      await packAll(packs);
    });

    // (b) Scaffold with the packed create-ledgerquest, in the temporary folder.
    await step("scaffold with create-ledgerquest", async () => {
      const create = readdirSync(packs).find((f) => f.startsWith("create-ledgerquest-"));
      expect(create).toBeDefined();
      const made = await run(
        "npm",
        [
          "exec",
          "--yes",
          "--package",
          join(packs, create as string),
          "--",
          "create-ledgerquest",
          PROJECT,
          "--tarballs",
          packs,
        ],
        root,
      );
      expect(made.code, tail(made)).toBe(0);
      expect(made.output).toContain("npm install && npm start");
      expect(made.output).toContain("npm install && npm test");
      expect(existsSync(join(project, "node_modules"))).toBe(false);
    });

    // (c) Install from the tarballs: real folders, not links into the repository.
    await step("npm install", async () => {
      const installed = await run(
        "npm",
        ["install", "--no-audit", "--no-fund", "--prefer-offline"],
        project,
        INSTALL_MAX_MS,
      );
      expect(installed.code, tail(installed)).toBe(0);
      for (const [name] of PACKAGES.filter(([n]) => n.startsWith("@ledgerquest/"))) {
        const where = join(project, "node_modules", name);
        expect(existsSync(where), `${name} installed`).toBe(true);
        expect(lstatSync(where).isSymbolicLink(), `${name} is not a link`).toBe(false);
        expect(realpathSync(where).startsWith(REPO), `${name} is not in the repo`).toBe(false);
      }
    });

    // (d) The project's own tests (tsc and Vitest), and its browser client builds.
    await step("the project's npm test", async () => {
      const tested = await run("npm", ["test"], project);
      expect(tested.code, tail(tested)).toBe(0);
      expect(tested.output).toMatch(/Tests\s+\S*\s*\d+ passed/);
    });
    await step("vite build of the browser client", async () => {
      const built = await run("npx", ["vite", "build", "client", "--logLevel", "warn"], project);
      expect(built.code, tail(built)).toBe(0);
      expect(existsSync(join(project, "client", "dist", "index.html"))).toBe(true);
    });

    // (e) The local stack, with the dashboard server whose /config.json and /api/token the
    // browser client and the bot use.
    let log = { text: "" };
    const dashboard = await step("ledgerquest dev until ready", async () => {
      // Its own process group, so that SIGINT reaches it as Ctrl-C in a terminal would.
      const started = startGroup("npx", ["ledgerquest", "dev"], project);
      dev = started.child;
      log = started.log;
      const ready = await waitForOutput(
        dev,
        /watch, play and audit the world in a browser:\s+(http:\/\/\S+)/,
        log,
        STEP_MAX_MS,
      );
      expect(log.text).toContain(`world "demo" created: 3 player(s) (gems@1)`);
      return ready[1] as string;
    });

    await step("a player through @ledgerquest/client", async () => {
      copyFileSync(BOT_SCRIPT, join(project, "acceptance-bot.mjs"));
      const played = await run("node", ["acceptance-bot.mjs", dashboard, PLAYER], project);
      expect(played.code, `${tail(played)}\n--- stack:\n${log.text.slice(-3000)}`).toBe(0);
      const line = played.output.trim().split("\n").pop() ?? "";
      const result = JSON.parse(line) as {
        ok: boolean;
        moves: { result: string; x: number; y: number }[];
        goldBefore: number;
        goldAfter: number;
      };
      expect(result.ok).toBe(true);
      expect(result.moves.map((m) => m.result)).toEqual(["accepted", "accepted"]);
      expect(result.goldAfter).toBe(result.goldBefore + 2);
    });

    // (f) The ledger, checked by the CLI against the running stack.
    await step("ledgerquest verify", async () => {
      const verified = await run("npx", ["ledgerquest", "verify"], project);
      expect(verified.code, tail(verified)).toBe(0);
      expect(verified.output).toContain("result: OK");
    });

    // (g) Ctrl-C: the stack stops cleanly by itself.
    await step("stop the stack (SIGINT)", async () => {
      const child = dev as ChildProcess;
      // Running until told to stop (stopGroup takes a group that already ended as stopped).
      expect([child.exitCode, child.signalCode], log.text.slice(-3000)).toEqual([null, null]);
      // `close`: every process of the group that held its output is gone, the stack's own
      // included (npx itself may end by the signal, as in a terminal).
      expect(await stopGroup(child), log.text.slice(-3000)).toBe("ok");
      expect(log.text).toContain("interrupted: stopping");
      expect(log.text).toMatch(/\nstopped\n/);
    });

    console.log(summary());
  });
});
