/**
 * Bundles each Lambda handler of a project with esbuild into `<outDir>/<handler>/index.mjs` (plus
 * lazily loaded chunks beside it), prints their sizes, and measures each bundle's cold init.
 *
 *   npx tsx packages/infra/src/bundle.ts <ledgerquest.config.ts> [outDir] [--sdk=runtime]
 *
 * The composition root is the project's, not the engine's: each game handler's entry is made
 * here, for the project's configuration, as
 *
 *   import config from "<the project's ledgerquest.config.ts>";
 *   import { lambdaHandler } from "@ledgerquest/aws/handlers/tick";
 *   export const handler = lambdaHandler(config.game);
 *
 * and the handlers that do not run the game (the authorizer, the AuditLog stream, the supervisor)
 * re-export `@ledgerquest/aws`'s `handler`.
 *
 * Choices, and why:
 * - ESM for node20 (the Node 22 Lambda runtime runs it, and so does the local stack on Node 20),
 *   minified, with external source maps (`.map` files beside the code, no URL comment in it).
 * - The AWS SDK is bundled, not left to the copy the Lambda runtime ships. That copy's version
 *   moves when AWS updates the runtime, under code tested against ours; a bundled SDK is the one
 *   the tests ran, and one minified file loads faster than the runtime's node_modules tree.
 *   `sdk: "runtime"` leaves `@aws-sdk/*` out, for comparison (about 280 KB less to load from the
 *   bundle, the same SDK code loaded from the runtime's copy instead).
 * - `module` before `main`: the SDK's ESM builds tree-shake, its CommonJS builds do not (about a
 *   quarter of the tick bundle).
 * - Code splitting: code reached only through `import()` goes to chunks loaded on first use. The
 *   SDK's credential chain imports its SSO, profile, process, web-identity and container
 *   providers that way, and Lambda's credentials come from the environment before any of them;
 *   the wiring loads the S3 client that way, since most world states never leave the world item.
 * - Packages resolve under the `@ledgerquest/source` condition: the engine's TypeScript sources
 *   (published in each package beside `dist`) are bundled with the game's, so one set of options
 *   serves this repository and an installed project alike.
 * - zod's error-message locales are dropped but English: `z` carries every locale (about 260 KB
 *   minified) and nothing here selects another.
 */
import { spawn } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Metafile, type Plugin } from "esbuild";

/**
 * The handlers, by bundle name: `game` ones are made for the project's game
 * (`lambdaHandler(config.game)` of `@ledgerquest/aws/handlers/<name>`), the others export the
 * module's own `handler`.
 */
export const HANDLER_ENTRIES = {
  authorizer: "shared",
  connect: "game",
  disconnect: "game",
  command: "game",
  query: "game",
  tick: "game",
  "audit-stream": "shared",
  supervisor: "shared",
} as const satisfies Readonly<Record<string, "game" | "shared">>;

export type HandlerName = keyof typeof HANDLER_ENTRIES;

export const HANDLER_NAMES = Object.keys(HANDLER_ENTRIES) as HandlerName[];

/** Where a project's handlers are bundled by default: a cache inside the project. */
export function bundleDirFor(configFile: string): string {
  return join(dirname(resolve(configFile)), "node_modules", ".cache", "ledgerquest", "lambda");
}

/** The entry module of `handler` for the project whose configuration is `configFile`. */
export function handlerEntry(handler: HandlerName, configFile: string): string {
  const module = `@ledgerquest/aws/handlers/${handler}`;
  if (HANDLER_ENTRIES[handler] === "shared") return `export { handler } from "${module}";\n`;
  return [
    `import config from ${JSON.stringify(configFile)};`,
    `import { lambdaHandler } from "${module}";`,
    "export const handler = lambdaHandler(config.game);",
    "",
  ].join("\n");
}

export interface BundleSize {
  readonly handler: HandlerName;
  /** The entry file, `<outDir>/<handler>/index.mjs`. */
  readonly entryFile: string;
  /** What a cold start loads: the entry and the chunks it imports statically. */
  readonly initialBytes: number;
  /** Every `.mjs` file of the bundle, lazily loaded chunks included. */
  readonly totalBytes: number;
  readonly chunks: number;
}

const zodEnglishOnly: Plugin = {
  name: "zod-english-only",
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({
      contents: 'export { default as en } from "./en.js";',
      loader: "js",
    }));
  },
};

// CommonJS dependencies (the X-Ray SDK under Powertools' tracer, among others) call `require` for
// Node's built-ins, which an ESM bundle does not define.
const REQUIRE_SHIM =
  'import { createRequire as __lqCreateRequire } from "node:module"; const require = __lqCreateRequire(import.meta.url);';

function initialBytes(metafile: Metafile, entry: string): number {
  const seen = new Set<string>();
  const visit = (file: string): number => {
    if (seen.has(file)) return 0;
    seen.add(file);
    const output = metafile.outputs[file];
    if (output === undefined) return 0;
    let bytes = output.bytes;
    for (const imported of output.imports) {
      if (imported.kind === "import-statement" && !imported.external) bytes += visit(imported.path);
    }
    return bytes;
  };
  return visit(entry);
}

export interface BundleOptions {
  /** The project's `ledgerquest.config.ts`: the game the handlers run. */
  readonly configFile: string;
  /**
   * `bundled` (default): the AWS SDK is in the bundle. `runtime`: `@aws-sdk/*` is left to the
   * Lambda runtime's copy (such a bundle loads only where node can resolve the SDK).
   */
  readonly sdk?: "bundled" | "runtime";
}

/** Bundles one handler into `<outDir>/<handler>/`, replacing what was there. */
export async function bundleHandler(
  handler: HandlerName,
  outDir: string,
  options: BundleOptions,
): Promise<BundleSize> {
  const dir = join(outDir, handler);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  // The entry is written inside the project (under its node_modules' cache), so the packages it
  // imports resolve as the project's own imports do, from the project's node_modules.
  const entriesDir = join(
    dirname(resolve(options.configFile)),
    "node_modules",
    ".cache",
    "ledgerquest",
    "entries",
  );
  await mkdir(entriesDir, { recursive: true });
  const entryPath = join(entriesDir, `${handler}.ts`);
  await writeFile(entryPath, handlerEntry(handler, resolve(options.configFile)));
  const result = await build({
    entryPoints: { index: entryPath },
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    mainFields: ["module", "main"],
    conditions: ["@ledgerquest/source"],
    minify: true,
    sourcemap: "external",
    legalComments: "none",
    banner: { js: REQUIRE_SHIM },
    plugins: [zodEnglishOnly],
    external: options.sdk === "runtime" ? ["@aws-sdk/*"] : [],
    metafile: true,
    logLevel: "error",
    absWorkingDir: outDir,
  });
  const entryFile = join(dir, "index.mjs");
  const entryKey = relative(outDir, entryFile).split("\\").join("/");
  const mjs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith(".mjs"));
  return {
    handler,
    entryFile,
    initialBytes: initialBytes(result.metafile, entryKey),
    totalBytes: mjs.reduce((sum, [, output]) => sum + output.bytes, 0),
    chunks: mjs.length - 1,
  };
}

/**
 * The rules' name (`GameModule.name`) of the game `configFile` configures: its configuration
 * bundled whole (as the handlers' entries are) and evaluated once in this process.
 */
export async function readGameName(configFile: string): Promise<string> {
  const { outputFiles } = await build({
    stdin: {
      contents: `import config from ${JSON.stringify(resolve(configFile))}; export const name = config.game.name;`,
      resolveDir: dirname(resolve(configFile)),
      loader: "ts",
    },
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    conditions: ["@ledgerquest/source"],
    banner: { js: REQUIRE_SHIM },
    logLevel: "error",
  });
  const file = join(
    dirname(bundleDirFor(configFile)),
    `game-name-${process.pid}-${Date.now()}.mjs`,
  );
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, outputFiles[0]?.text ?? "");
  let name: unknown;
  try {
    ({ name } = (await import(pathToFileURL(file).href)) as { name: unknown });
  } finally {
    await rm(file, { force: true });
  }
  if (typeof name !== "string") throw new Error(`${configFile}: its game has no name`);
  return name;
}

/** Bundles every handler (or those named) into `outDir`; returns their sizes. */
export async function bundleHandlers(
  outDir: string,
  options: BundleOptions,
  handlers: readonly HandlerName[] = HANDLER_NAMES,
): Promise<BundleSize[]> {
  const sizes: BundleSize[] = [];
  // One at a time: esbuild is parallel inside, and a 2-core machine gains nothing from more.
  for (const handler of handlers) sizes.push(await bundleHandler(handler, outDir, options));
  return sizes;
}

/**
 * Configuration that passes validation and points nowhere: a cold init reads no configuration (it
 * is read on the first invocation), but a bundle must load in the environment it will run in.
 */
export const DUMMY_HANDLER_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: "eu-west-1",
  AWS_ACCESS_KEY_ID: "AKIDUMMY",
  AWS_SECRET_ACCESS_KEY: "dummy",
  LQ_ENTITY_TABLE: "EntityTable",
  LQ_AUDIT_TABLE: "AuditLog",
  LQ_EVENT_BUS: "ledgerquest.eventbus",
  LQ_ASSETS_BUCKET: "ledgerquest-assets",
  LQ_WEBSOCKET_ENDPOINT: "https://abcdef1234.execute-api.eu-west-1.amazonaws.com/prod",
  LQ_AUTH_PROVIDER: "jwks",
  LQ_JWT_ISSUER: "https://issuer.example.com",
  LQ_JWT_JWKS_URI: "https://issuer.example.com/.well-known/jwks.json",
  LQ_JWT_AUDIENCE: "ledgerquest",
  POWERTOOLS_LOG_LEVEL: "WARN",
};

export interface ImportProbe {
  /** Milliseconds from just before `import()` of the bundle to its module being evaluated. */
  readonly importMs: number;
  /** The type of the module's `handler` export. */
  readonly handlerType: string;
}

const PROBE = `
const started = performance.now();
const module = await import(process.env.LQ_BUNDLE_URL);
const importMs = performance.now() - started;
process.stdout.write(JSON.stringify({ importMs, handlerType: typeof module.handler }));
`;

/**
 * Imports a bundle in a fresh `node` process (nothing cached, as in a new Lambda environment) and
 * reports how long the import took and what `handler` is.
 */
export async function probeImport(
  entryFile: string,
  env: Readonly<Record<string, string>> = DUMMY_HANDLER_ENV,
): Promise<ImportProbe> {
  const { code, stdout, stderr } = await runFreshNode(PROBE, {
    ...env,
    LQ_BUNDLE_URL: pathToFileURL(entryFile).href,
  });
  if (code !== 0) {
    throw new Error(`importing ${entryFile} failed (exit ${code}):\n${stderr.slice(0, 4000)}`);
  }
  return JSON.parse(stdout) as ImportProbe;
}

/**
 * Runs `script` (an ES module's text) in a fresh `node` process with `env` and only the parent's
 * PATH: a bundle must not lean on anything else of this machine's.
 */
export async function runFreshNode(
  script: string,
  env: Readonly<Record<string, string>>,
): Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolveExit, reject) => {
    child.on("error", reject);
    child.on("close", resolveExit);
  });
  return { code, stdout, stderr };
}

export interface ColdInit {
  readonly handler: HandlerName;
  readonly medianImportMs: number;
  readonly runsMs: readonly number[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The median, over `runs` fresh processes, of each bundle's import time. */
export async function measureColdInit(
  bundles: readonly Pick<BundleSize, "handler" | "entryFile">[],
  runs = 5,
): Promise<ColdInit[]> {
  const out: ColdInit[] = [];
  for (const bundle of bundles) {
    const runsMs: number[] = [];
    for (let i = 0; i < runs; i++) runsMs.push((await probeImport(bundle.entryFile)).importMs);
    out.push({ handler: bundle.handler, medianImportMs: median(runsMs), runsMs });
  }
  return out;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const sdk = args.includes("--sdk=runtime") ? "runtime" : "bundled";
  const [configFile, out] = args.filter((a) => !a.startsWith("--"));
  if (configFile === undefined) {
    throw new Error("usage: bundle.ts <ledgerquest.config.ts> [outDir] [--sdk=runtime]");
  }
  const outDir = resolve(out ?? bundleDirFor(configFile));
  const sizes = await bundleHandlers(outDir, { configFile, sdk });
  const inits = await measureColdInit(sizes);
  const rows = sizes.map((s) => {
    const init = inits.find((i) => i.handler === s.handler);
    return {
      handler: s.handler,
      "cold start loads": kb(s.initialBytes),
      "all chunks": kb(s.totalBytes),
      chunks: s.chunks,
      "import (median of 5)": init === undefined ? "" : `${init.medianImportMs.toFixed(1)} ms`,
    };
  });
  console.table(rows);
  const tick = sizes.find((s) => s.handler === "tick");
  if (tick !== undefined) {
    console.log(
      `tick (SDK ${sdk}): ${kb(tick.initialBytes)} loaded at cold start (target under 500 KB), ${kb(tick.totalBytes)} in all`,
    );
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
