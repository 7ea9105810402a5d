/**
 * A game project: the folder with a `ledgerquest.config.ts` (or `.mts`, `.js`, `.mjs`) whose
 * default export is `defineConfig({ game, worlds, deploy })`. Every command that runs the game
 * (dev, seed, bots, verify, replay, export, restore, deploy) loads it from the working folder or
 * the nearest folder above, or from `--config <file>`.
 *
 * A TypeScript config is compiled with esbuild into one ES module under the project's
 * `node_modules/.cache/ledgerquest/` (so its imports of installed packages resolve from the
 * project), and imported from there: the project's own files are bundled, its dependencies are
 * not, so the game and the CLI share one copy of the engine. Under a TypeScript-aware loader (tsx,
 * Vitest) the config is imported as it is.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ProjectConfig } from "@ledgerquest/runtime";
import { CliError } from "./errors.js";

/** The names a project's configuration may have, in the order they are looked for. */
export const CONFIG_FILES = [
  "ledgerquest.config.ts",
  "ledgerquest.config.mts",
  "ledgerquest.config.js",
  "ledgerquest.config.mjs",
] as const;

export class ProjectNotFoundError extends CliError {
  override readonly name = "ProjectNotFoundError";
}

export class ProjectConfigError extends CliError {
  override readonly name = "ProjectConfigError";
}

export interface Project {
  /** The folder the configuration is in. */
  readonly dir: string;
  readonly configFile: string;
  readonly config: ProjectConfig;
}

/** The configuration file for `explicit` (a file), or the nearest one at or above `cwd`. */
export function findConfigFile(explicit: string | undefined, cwd: string = process.cwd()): string {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new ProjectNotFoundError(`--config ${explicit}: there is no file ${file}`);
    }
    return file;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILES) {
      const file = join(dir, name);
      if (existsSync(file)) return file;
    }
    if (dirname(dir) === dir) break;
  }
  throw new ProjectNotFoundError(
    `no ${CONFIG_FILES[0]} in ${resolve(cwd)} or a folder above it: run this in a game project (create one with \`npm create ledgerquest my-game\`), or pass --config <file>`,
  );
}

/** Whether this process imports TypeScript by itself (Vitest, tsx). */
function loadsTypeScript(): boolean {
  return (
    process.env.VITEST !== undefined ||
    process.execArgv.some((arg) => arg.includes("tsx")) ||
    process.env.NODE_OPTIONS?.includes("tsx") === true
  );
}

/** `file` compiled into one ES module in the project's cache; returns the module's path. */
export async function compiledConfig(file: string): Promise<string> {
  const { build } = await import("esbuild");
  const dir = dirname(file);
  const cacheDir = join(dir, "node_modules", ".cache", "ledgerquest");
  mkdirSync(cacheDir, { recursive: true });
  const result = await build({
    entryPoints: [file],
    bundle: true,
    // The project's own files are compiled in; its packages are imported as installed.
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    logLevel: "silent",
    sourcemap: "inline",
  });
  const code = result.outputFiles[0]?.text ?? "";
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 12);
  const out = join(cacheDir, `${basename(file)}.${hash}.mjs`);
  if (!existsSync(out)) {
    const { writeFile } = await import("node:fs/promises");
    await writeFile(out, code);
  }
  return out;
}

/** Loads and checks the project's configuration (see the module's comment). */
export async function loadProject(
  explicit?: string,
  cwd: string = process.cwd(),
): Promise<Project> {
  const configFile = findConfigFile(explicit, cwd);
  const typescript = /\.m?ts$/.test(configFile);
  let moduleFile = configFile;
  try {
    if (typescript && !loadsTypeScript()) moduleFile = await compiledConfig(configFile);
  } catch (error) {
    throw new ProjectConfigError(
      `${configFile} does not compile: ${(error as Error).message.split("\n").slice(0, 6).join("\n")}`,
      { cause: error },
    );
  }
  let loaded: { default?: unknown };
  try {
    loaded = (await import(pathToFileURL(moduleFile).href)) as { default?: unknown };
  } catch (error) {
    throw new ProjectConfigError(`${configFile} failed to load: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const config = loaded.default as ProjectConfig | undefined;
  if (
    config === undefined ||
    typeof config !== "object" ||
    config === null ||
    !("game" in config)
  ) {
    throw new ProjectConfigError(
      `${configFile} must \`export default defineConfig({ game, ... })\` (defineConfig from @ledgerquest/runtime)`,
    );
  }
  const { defineConfig } = await import("@ledgerquest/runtime");
  try {
    defineConfig(config);
  } catch (error) {
    throw new ProjectConfigError((error as Error).message, { cause: error });
  }
  return { dir: dirname(configFile), configFile, config };
}

let configOption: string | undefined;
let current: Promise<Project> | undefined;

/** Sets where `currentProject` looks (the program's `--config`, before any command runs). */
export function useConfigOption(file: string | undefined): void {
  if (file !== configOption) current = undefined;
  configOption = file;
}

/** The project this command runs in (loaded once per process). */
export function currentProject(): Promise<Project> {
  current ??= loadProject(configOption);
  return current;
}

/**
 * The runtime's dependencies over the services the environment names (the local stack's, after
 * `useTarget`, or a deployment's), running the project's game.
 */
export async function projectRuntimeDeps(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<import("@ledgerquest/runtime").RuntimeDeps> {
  const project = await currentProject();
  const { createRuntimeDeps, readConfig, runtimeConfigSchema } = await import("@ledgerquest/aws");
  return createRuntimeDeps(readConfig(runtimeConfigSchema, env), project.config.game);
}
