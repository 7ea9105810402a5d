/**
 * Makes a new game project from the template this package ships (`template/`): checks the name
 * and the folder, copies the files with the project's name filled in, and writes a package.json
 * whose `@ledgerquest/*` dependencies name a version range or, for tests and local use, the
 * tarballs `npm pack` made (with npm `overrides`, so the packages' own `@ledgerquest/*`
 * dependencies resolve to the same tarballs: none of them is on a registry yet).
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The template: `template/` of this package (`src/` and `dist/` are both one folder below). */
export const TEMPLATE_DIR = fileURLToPath(new URL("../template", import.meta.url));

/** What is written for `{{name}}` in every file of the template. */
const NAME_PLACEHOLDER = /\{\{name\}\}/g;

/** Template files that npm would drop or misread when packing, stored under another name. */
const RENAMED: Readonly<Record<string, string>> = { gitignore: ".gitignore" };

/** A project name: it names the npm package and the folder, so it is both safe and plain. */
const NAME_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

/** npm pack's file name for `@ledgerquest/<x>` at a version: `ledgerquest-<x>-<version>.tgz`. */
const TARBALL_PATTERN = /^ledgerquest-([a-z][a-z0-9-]*?)-(\d+\.\d+\.\d+[0-9A-Za-z.+-]*)\.tgz$/;

/** A project that cannot be made as asked; the message says what to do instead. */
export class ScaffoldError extends Error {
  override readonly name = "ScaffoldError";
}

export interface ScaffoldOptions {
  /** The folder to create (its last part is the project's name). */
  readonly directory: string;
  /** What `directory` is relative to. Default: the working folder. */
  readonly cwd?: string;
  /** The range every `@ledgerquest/*` dependency gets. Default: this package's own version. */
  readonly ledgerquestVersion?: string;
  /** A folder of `npm pack` tarballs: dependencies become `file:` specs of those tarballs. */
  readonly tarballs?: string;
}

export interface ScaffoldResult {
  /** The project's folder, absolute. */
  readonly dir: string;
  readonly name: string;
  /** The files written, relative to `dir`, sorted. */
  readonly files: readonly string[];
  /** The `@ledgerquest/*` dependencies (of every kind) and their specs. */
  readonly ledgerquest: Readonly<Record<string, string>>;
}

/** This package's version (the default range of the engine's packages). */
export function ownVersion(): string {
  const file = fileURLToPath(new URL("../package.json", import.meta.url));
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

/** Why `name` cannot name a project, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (NAME_PATTERN.test(name)) return undefined;
  const suggestion = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "")
    .slice(0, 64);
  return `${JSON.stringify(name)} cannot name a project: use 1 to 64 of a-z 0-9 - _, starting with a letter (it becomes the npm package's name)${suggestion === "" ? "" : `, as ${suggestion}`}`;
}

/** The tarballs in `dir` by package name (`@ledgerquest/engine` → absolute path). */
export function findTarballs(dir: string): Map<string, string> {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new ScaffoldError(`--tarballs ${dir}: there is no folder ${abs}`);
  }
  const found = new Map<string, string[]>();
  for (const file of readdirSync(abs).sort()) {
    const match = TARBALL_PATTERN.exec(file);
    if (match === null) continue;
    const name = `@ledgerquest/${match[1]}`;
    found.set(name, [...(found.get(name) ?? []), join(abs, file)]);
  }
  const out = new Map<string, string>();
  for (const [name, files] of found) {
    if (files.length > 1) {
      throw new ScaffoldError(
        `--tarballs ${dir}: ${files.length} tarballs of ${name} (${files.map((f) => basename(f)).join(", ")}): keep one`,
      );
    }
    out.set(name, files[0] as string);
  }
  return out;
}

/** Fails unless `dir` is missing or empty (a lone `.git` counts as empty). */
function checkFolder(dir: string, shown: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) {
    throw new ScaffoldError(`${shown} exists and is a file: choose another name for the project`);
  }
  const entries = readdirSync(dir).filter((e) => e !== ".git");
  if (entries.length > 0) {
    throw new ScaffoldError(
      `the folder ${shown} exists and is not empty (${entries.length} entr${entries.length === 1 ? "y" : "ies"}, such as ${entries.slice(0, 3).join(", ")}): choose another name, or empty the folder first`,
    );
  }
}

/** Every file of the template, relative to it, sorted. */
function templateFiles(root: string, under = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, under), { withFileTypes: true })) {
    const rel = under === "" ? entry.name : `${under}/${entry.name}`;
    if (entry.name === "node_modules") continue;
    if (entry.isDirectory()) out.push(...templateFiles(root, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

type Deps = Record<string, string>;

interface PackageJson {
  name?: string;
  dependencies?: Deps;
  devDependencies?: Deps;
  overrides?: Deps;
  [key: string]: unknown;
}

/** The template's package.json for this project: its name, and the engine's packages pinned. */
function projectPackageJson(
  template: PackageJson,
  name: string,
  spec: (pkg: string) => string,
  tarballs: ReadonlyMap<string, string> | undefined,
): { json: PackageJson; ledgerquest: Deps } {
  const ledgerquest: Deps = {};
  const pin = (deps: Deps | undefined): Deps | undefined => {
    if (deps === undefined) return undefined;
    const out: Deps = {};
    for (const [pkg, range] of Object.entries(deps)) {
      out[pkg] = pkg.startsWith("@ledgerquest/") ? spec(pkg) : range;
      if (pkg.startsWith("@ledgerquest/")) ledgerquest[pkg] = out[pkg] as string;
    }
    return out;
  };
  const json: PackageJson = { ...template, name };
  const dependencies = pin(template.dependencies);
  const devDependencies = pin(template.devDependencies);
  if (dependencies !== undefined) json.dependencies = dependencies;
  if (devDependencies !== undefined) json.devDependencies = devDependencies;
  if (tarballs !== undefined) {
    // Every tarball, so that the packages' own @ledgerquest dependencies (the CLI's aws, local,
    // infra, dashboard) come from the same folder. A direct dependency's override must be the
    // very spec it is pinned to, which it is.
    const overrides: Deps = {};
    for (const [pkg, file] of [...tarballs].sort(([a], [b]) => a.localeCompare(b))) {
      overrides[pkg] = `file:${file}`;
    }
    json.overrides = { ...(template.overrides ?? {}), ...overrides };
  }
  return { json, ledgerquest };
}

/** Makes the project (see the module's comment). Throws `ScaffoldError` and writes nothing on a bad request. */
export async function scaffold(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const cwd = options.cwd ?? process.cwd();
  const dir = resolve(cwd, options.directory);
  const name = basename(dir);
  const problem = nameProblem(name);
  if (problem !== undefined) throw new ScaffoldError(problem);
  const shown = relative(cwd, dir) || ".";
  checkFolder(dir, shown);

  const version = options.ledgerquestVersion ?? ownVersion();
  if (version.trim() === "") {
    throw new ScaffoldError("--ledgerquest-version: give a version or range, as 0.1.0 or ^0.1.0");
  }
  const tarballs = options.tarballs === undefined ? undefined : findTarballs(options.tarballs);
  const spec = (pkg: string): string => {
    if (tarballs === undefined) return version;
    const file = tarballs.get(pkg);
    if (file === undefined) {
      throw new ScaffoldError(
        `--tarballs ${options.tarballs}: no tarball of ${pkg} there: make one with \`npm pack --workspace ${pkg} --pack-destination ${options.tarballs}\``,
      );
    }
    return `file:${file}`;
  };

  const files = templateFiles(TEMPLATE_DIR);
  const template = JSON.parse(
    readFileSync(join(TEMPLATE_DIR, "package.json"), "utf8"),
  ) as PackageJson;
  // Worked out before anything is written, so a missing tarball leaves no half-made folder.
  const pkg = projectPackageJson(template, name, spec, tarballs);

  const written: string[] = [];
  await mkdir(dir, { recursive: true });
  for (const file of files) {
    const parts = file.split("/");
    const last = parts.pop() as string;
    const target = [...parts, RENAMED[last] ?? last].join("/");
    await mkdir(join(dir, ...parts), { recursive: true });
    const text =
      file === "package.json"
        ? `${JSON.stringify(pkg.json, null, 2)}\n`
        : readFileSync(join(TEMPLATE_DIR, file), "utf8").replace(NAME_PLACEHOLDER, name);
    writeFileSync(join(dir, target), text);
    written.push(target);
  }
  return { dir, name, files: written.sort(), ledgerquest: pkg.ledgerquest };
}

/** What to do next, as lines to print. */
export function nextSteps(result: ScaffoldResult, cwd: string, installed: boolean): string[] {
  const where = relative(cwd, result.dir) || ".";
  const install = installed ? "" : "npm install && ";
  return [
    `Created ${result.name} in ${result.dir}: a small game, its tests, a browser client.`,
    "",
    "Next:",
    ...(where === "." ? [] : [`  cd ${where.includes(" ") ? JSON.stringify(where) : where}`]),
    `  ${install}npm start    # the whole stack on this machine, with the dashboard`,
    `  ${install}npm test     # the game's tests: commands, the ledger, determinism`,
    "",
    "Then `npm run client` for the browser client, `npx ledgerquest verify` to check the ledger,",
    "and `npx ledgerquest deploy --profile <p> --dry-run` before deploying (see README.md).",
  ];
}
