/**
 * What the acceptance test and the tutorial's test share: the packages a project installs, an
 * environment for the project's commands without the repository's, running a command and waiting
 * for a line, and timing steps. The waits are bounds for liveness, never checks of speed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export const REPO = realpathSync(fileURLToPath(new URL("../../../../", import.meta.url)));

/** Every package a project may install, by name and folder, in dependency order. */
export const PACKAGES = [
  ["@ledgerquest/engine", "packages/engine"],
  ["@ledgerquest/runtime", "packages/runtime"],
  ["@ledgerquest/client", "packages/client"],
  ["@ledgerquest/testing", "packages/testing"],
  ["@ledgerquest/emulators", "packages/emulators"],
  ["@ledgerquest/aws", "packages/aws"],
  ["@ledgerquest/local", "packages/local"],
  ["@ledgerquest/infra", "packages/infra"],
  ["@ledgerquest/dashboard", "packages/dashboard"],
  ["@ledgerquest/cli", "packages/cli"],
  ["create-ledgerquest", "packages/create-ledgerquest"],
] as const;

export const INSTALL_MAX_MS = 10 * 60_000;
export const STEP_MAX_MS = 3 * 60_000;

/**
 * The environment of the project's commands: this run's own, less what npm and Vitest set for the
 * repository (its bin folder on PATH, npm_* settings, VITEST, which would make the CLI import the
 * TypeScript config as if it ran under Vitest).
 */
export function projectEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
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

export interface Ran {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a command to its end (or kills it after `maxMs`), with stdout and stderr together. */
export function run(
  command: string,
  args: readonly string[],
  cwd: string,
  maxMs = STEP_MAX_MS,
  env: NodeJS.ProcessEnv = projectEnv(),
) {
  return new Promise<Ran>((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env,
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
export const tail = (ran: Ran, lines = 40) =>
  ran.output.trimEnd().split("\n").slice(-lines).join("\n");

/** Times named steps, printing each as it ends. */
export function stepTimer(label: string) {
  const timings: { step: string; ms: number }[] = [];
  async function step<T>(name: string, body: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await body();
    } finally {
      const ms = performance.now() - started;
      timings.push({ step: name, ms });
      console.log(`${label}: ${name} took ${(ms / 1000).toFixed(1)} s`);
    }
  }
  const summary = () => {
    const total = timings.reduce((sum, t) => sum + t.ms, 0);
    return `${label}: ${timings.map((t) => `${t.step} ${(t.ms / 1000).toFixed(1)} s`).join(" | ")} | total ${(total / 1000).toFixed(1)} s`;
  };
  return { step, summary };
}

/** The newest modification time of the files under `dir` (0 when it is missing). */
export function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    max = Math.max(max, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return max;
}

/** Waits for `pattern` in what `child` prints; fails if the child ends first or after `maxMs`. */
export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  log: { text: string },
  maxMs: number,
) {
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

/**
 * Packs every package into `packs` as npm would publish it (the builds the root's `prepare`
 * made), checking none is private; returns the tarballs' names.
 */
export async function packAll(packs: string): Promise<string[]> {
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
      `dist is older than src in ${stale.join(", ")}: the tarballs hold the last build (\`npm run build\` at the root makes them current)`,
    );
  }
  mkdirSync(packs, { recursive: true });
  const args = ["pack", "--pack-destination", packs, "--ignore-scripts", "--json"];
  for (const [name] of PACKAGES) args.push("--workspace", name);
  const packed = await run("npm", args, REPO);
  expect(packed.code, tail(packed)).toBe(0);
  const tarballs = readdirSync(packs).filter((f) => f.endsWith(".tgz"));
  expect(tarballs).toHaveLength(PACKAGES.length);
  return tarballs;
}

/** Starts `command` in its own process group (so SIGINT reaches it as Ctrl-C would), logging. */
export function startGroup(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = projectEnv(),
): { readonly child: ChildProcess; readonly log: { text: string } } {
  const log = { text: "" };
  const child = spawn(command, [...args], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const add = (chunk: Buffer) => {
    log.text += chunk.toString();
  };
  child.stdout?.on("data", add);
  child.stderr?.on("data", add);
  return { child, log };
}

/** Stops a group started by `startGroup` with SIGINT; resolves when its output closed. */
export async function stopGroup(child: ChildProcess, maxMs = STEP_MAX_MS): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return "ok";
  const closed = new Promise<string>((resolve) => {
    child.on("close", (code, signal) =>
      resolve(code === 0 || signal === "SIGINT" ? "ok" : `${code} ${signal}`),
    );
  });
  process.kill(-(child.pid as number), "SIGINT");
  const bound = new Promise<"still running">((resolve) =>
    setTimeout(() => resolve("still running"), maxMs).unref(),
  );
  return await Promise.race([closed, bound]);
}
