// The acceptance test of the whole engine as a game team meets it: every publishable package
// packed as npm would publish it, a project made by the packed create-ledgerquest in a folder
// outside the repository, installed from those tarballs only, its own tests run, its local stack
// started, a player played through the installed client SDK, its ledger verified, and the stack
// stopped with Ctrl-C. Each step prints how long it took (docs/benchmarks.md records them); the
// waits are bounds for liveness, never checks of speed. LQ_KEEP_ACCEPTANCE=1 keeps the folder.
import { type ChildProcess, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const REPO = realpathSync(fileURLToPath(new URL("../../../", import.meta.url)));
const BOT_SCRIPT = fileURLToPath(new URL("./support/acceptance-bot.mjs", import.meta.url));

/** Every package a project may install, by name and folder, in dependency order. */
const PACKAGES = [
  ["@ledgerquest/engine", "packages/engine"],
  ["@ledgerquest/runtime", "packages/runtime"],
  ["@ledgerquest/client", "packages/client"],
  ["@ledgerquest/testing", "packages/testing"],
  ["@ledgerquest/aws", "packages/aws"],
  ["@ledgerquest/local", "packages/local"],
  ["@ledgerquest/infra", "packages/infra"],
  ["@ledgerquest/dashboard", "packages/dashboard"],
  ["@ledgerquest/cli", "packages/cli"],
  ["create-ledgerquest", "packages/create-ledgerquest"],
] as const;

const PROJECT = "acceptance-game";
const INSTALL_MAX_MS = 10 * 60_000;
const STEP_MAX_MS = 3 * 60_000;
const PLAYER = "player_0001";

const root = mkdtempSync(join(tmpdir(), "lq-acceptance-"));
const packs = join(root, "packs");
const project = join(root, PROJECT);
let dev: ChildProcess | undefined;

afterAll(async () => {
  if (dev !== undefined && dev.exitCode === null && dev.signalCode === null && dev.pid) {
    // The test failed before stopping the stack: stop its whole group (it started it).
    process.kill(-dev.pid, "SIGKILL");
  }
  if (process.env.LQ_KEEP_ACCEPTANCE === "1") console.log(`acceptance: kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
});

/**
 * The environment of the project's commands: this run's own, less what npm and Vitest set for the
 * repository (its bin folder on PATH, npm_* settings, VITEST, which would make the CLI import the
 * TypeScript config as if it ran under Vitest).
 */
function projectEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|INIT_CWD$|NODE_OPTIONS$|NODE_ENV$|TEST$|FORCE_COLOR$)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !dir.startsWith(REPO))
    .join(delimiter);
  // Plain output, to read.
  return { ...env, NO_COLOR: "1", ...extra };
}

interface Ran {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a command to its end (or kills it after `maxMs`), with stdout and stderr together. */
function run(command: string, args: readonly string[], cwd: string, maxMs = STEP_MAX_MS) {
  return new Promise<Ran>((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: projectEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => {
      output += `\n[killed after ${maxMs} ms]`;
      child.kill("SIGKILL");
    }, maxMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The last lines of a command's output, for an assertion's message. */
const tail = (ran: Ran, lines = 40) => ran.output.trimEnd().split("\n").slice(-lines).join("\n");

const timings: { step: string; ms: number }[] = [];

async function step<T>(name: string, body: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await body();
  } finally {
    const ms = performance.now() - started;
    timings.push({ step: name, ms });
    console.log(`acceptance: ${name} took ${(ms / 1000).toFixed(1)} s`);
  }
}

/** The newest modification time of the files under `dir` (0 when it is missing). */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    max = Math.max(max, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return max;
}

/** Waits for `pattern` in what `child` prints; fails if the child ends first or after `maxMs`. */
function waitForOutput(child: ChildProcess, pattern: RegExp, log: { text: string }, maxMs: number) {
  return new Promise<RegExpMatchArray>((resolve, reject) => {
    const check = () => {
      const match = log.text.match(pattern);
      if (match === null) return;
      done();
      resolve(match);
    };
    const ended = () => {
      done();
      reject(new Error(`the stack ended before it was ready:\n${log.text.slice(-4000)}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new Error(`the stack printed no ${pattern} in ${maxMs} ms:\n${log.text.slice(-4000)}`),
      );
    }, maxMs);
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off("data", check);
      child.off("exit", ended);
    };
    child.stdout?.on("data", check);
    child.on("exit", ended);
    check();
  });
}

describe("a new project from the packed packages, outside the repository", () => {
  it("installs from tarballs only, passes its own tests, runs on the local stack, plays, verifies, stops", {
    timeout: 15 * 60_000,
  }, async () => {
    expect(relative(REPO, root).startsWith("..")).toBe(true);

    // (a) Pack every publishable package, as built by the root's `prepare`.
    await step("pack 10 packages", async () => {
      const stale: string[] = [];
      for (const [name, dir] of PACKAGES) {
        const pkg = JSON.parse(readFileSync(join(REPO, dir, "package.json"), "utf8")) as {
          name: string;
          private?: boolean;
          files?: string[];
        };
        expect(pkg.name).toBe(name);
        expect(pkg.private, `${name} must not be private`).not.toBe(true);
        expect(pkg.files, `${name} lists its files`).toContain("dist");
        // A build older than its sources packs old code: say so (a step below may fail on it).
        if (newest(join(REPO, dir, "dist")) < newest(join(REPO, dir, "src"))) stale.push(dir);
      }
      if (stale.length > 0) {
        console.warn(
          `acceptance: dist is older than src in ${stale.join(", ")}: the tarballs hold the last build (\`npm run build\` at the root makes them current)`,
        );
      }
      mkdirSync(packs);
      const args = ["pack", "--pack-destination", packs, "--ignore-scripts", "--json"];
      for (const [name] of PACKAGES) args.push("--workspace", name);
      const packed = await run("npm", args, REPO);
      expect(packed.code, tail(packed)).toBe(0);
      const tarballs = readdirSync(packs).filter((f) => f.endsWith(".tgz"));
      expect(tarballs).toHaveLength(PACKAGES.length);
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
    const log = { text: "" };
    const dashboard = await step("ledgerquest dev until ready", async () => {
      dev = spawn("npx", ["ledgerquest", "dev"], {
        cwd: project,
        env: projectEnv(),
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group, so that SIGINT reaches it as Ctrl-C in a terminal would.
        detached: true,
      });
      const add = (chunk: Buffer) => {
        log.text += chunk.toString();
      };
      dev.stdout?.on("data", add);
      dev.stderr?.on("data", add);
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
      // `close`: every process of the group that held its output is gone, the stack's own
      // included (npx itself may end by the signal, as in a terminal).
      const closed = new Promise<string>((resolve) => {
        child.on("close", (code, signal) =>
          resolve(code === 0 || signal === "SIGINT" ? "ok" : `${code} ${signal}`),
        );
      });
      process.kill(-(child.pid as number), "SIGINT");
      const bound = new Promise<"still running">((resolve) =>
        setTimeout(() => resolve("still running"), STEP_MAX_MS).unref(),
      );
      expect(await Promise.race([closed, bound]), log.text.slice(-3000)).toBe("ok");
      expect(log.text).toContain("interrupted: stopping");
      expect(log.text).toMatch(/\nstopped\n/);
    });

    const total = timings.reduce((sum, t) => sum + t.ms, 0);
    console.log(
      `acceptance (create-ledgerquest): ${timings.map((t) => `${t.step} ${(t.ms / 1000).toFixed(1)} s`).join(" | ")} | total ${(total / 1000).toFixed(1)} s`,
    );
  });
});
