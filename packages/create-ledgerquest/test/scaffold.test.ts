// The scaffold itself, in temporary folders: the files with the name filled in, the dependency
// specs (a version range, or tarballs with overrides), the refusals, and the command's own
// --help, --version and messages (run from the sources through tsx).
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { findTarballs, nameProblem, ownVersion, ScaffoldError, scaffold } from "../src/index.js";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
/** tsx's loader, by URL: the command runs in folders that have no node_modules. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const ROOT_PACKAGE = fileURLToPath(new URL("../../../package.json", import.meta.url));

const temp = mkdtempSync(join(tmpdir(), "create-ledgerquest-unit-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let n = 0;
/** A fresh folder path under the test's temporary folder (not created). */
const fresh = () => join(temp, `case-${n++}`);

const read = (dir: string, file: string) => readFileSync(join(dir, file), "utf8");
const json = (dir: string, file: string): unknown => JSON.parse(read(dir, file));

async function run(args: string[], cwd: string) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["--conditions=@ledgerquest/source", "--import", TSX, MAIN, ...args],
      { cwd, encoding: "utf8" },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("scaffold", () => {
  it("writes the template with the project's name filled in", async () => {
    const cwd = fresh();
    mkdirSync(cwd);
    const result = await scaffold({ directory: "my-game", cwd });
    const dir = join(cwd, "my-game");
    expect(result).toMatchObject({ dir, name: "my-game" });
    expect(result.files).toEqual(
      expect.arrayContaining([
        ".gitignore",
        "README.md",
        "client/index.html",
        "client/main.ts",
        "client/vite.config.ts",
        "ledgerquest.config.ts",
        "package.json",
        "src/game.ts",
        "test/game.test.ts",
        "tsconfig.json",
      ]),
    );
    for (const file of result.files) {
      expect(existsSync(join(dir, file)), file).toBe(true);
      expect(read(dir, file), file).not.toContain("{{");
    }
    expect(existsSync(join(dir, "gitignore"))).toBe(false);
    expect(read(dir, ".gitignore").split("\n")).toEqual(
      expect.arrayContaining(["node_modules", "dist", ".ledgerquest", "cdk.out"]),
    );
    expect(read(dir, "README.md")).toMatch(/^# my-game\n/);
    expect(read(dir, "README.md")).toContain("npm install && npm start");
    expect(read(dir, "README.md")).toContain("npm install && npm test");
    expect(read(dir, "client/index.html")).toContain("<title>my-game</title>");

    const pkg = json(dir, "package.json") as {
      name: string;
      type: string;
      engines: { node: string };
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
      overrides?: unknown;
    };
    expect(pkg.name).toBe("my-game");
    expect(pkg.type).toBe("module");
    const root = JSON.parse(readFileSync(ROOT_PACKAGE, "utf8")) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(root.engines.node);
    expect(pkg.scripts).toMatchObject({
      start: "ledgerquest dev",
      test: "tsc --noEmit && vitest run",
      client: "vite client",
      deploy: "ledgerquest deploy",
    });
    const version = ownVersion();
    expect(result.ledgerquest).toEqual({
      "@ledgerquest/client": version,
      "@ledgerquest/engine": version,
      "@ledgerquest/runtime": version,
      "@ledgerquest/cli": version,
      "@ledgerquest/testing": version,
    });
    expect(pkg.dependencies["@ledgerquest/runtime"]).toBe(version);
    expect(pkg.devDependencies["@ledgerquest/cli"]).toBe(version);
    for (const dev of ["fast-check", "typescript", "vitest", "vite", "@types/node", "ws"]) {
      expect(pkg.devDependencies[dev], dev).toBeDefined();
    }
    expect(pkg.overrides).toBeUndefined();
  });

  it("pins another version range when asked", async () => {
    const result = await scaffold({ directory: fresh(), ledgerquestVersion: "^0.2.0" });
    expect(Object.values(result.ledgerquest)).toEqual(Array(5).fill("^0.2.0"));
  });

  it("with --tarballs, names each tarball and overrides every @ledgerquest package with it", async () => {
    const packs = fresh();
    mkdirSync(packs);
    const names = ["engine", "runtime", "client", "testing", "cli", "aws", "local", "infra"];
    for (const name of [...names, "dashboard"]) {
      writeFileSync(join(packs, `ledgerquest-${name}-0.1.0.tgz`), "");
    }
    writeFileSync(join(packs, "create-ledgerquest-0.1.0.tgz"), "");
    expect(findTarballs(packs).get("@ledgerquest/dashboard")).toBe(
      join(packs, "ledgerquest-dashboard-0.1.0.tgz"),
    );
    const result = await scaffold({ directory: fresh(), tarballs: packs });
    const pkg = json(result.dir, "package.json") as {
      dependencies: Record<string, string>;
      overrides: Record<string, string>;
    };
    const file = (name: string) => `file:${join(packs, `ledgerquest-${name}-0.1.0.tgz`)}`;
    expect(pkg.dependencies["@ledgerquest/engine"]).toBe(file("engine"));
    expect(result.ledgerquest["@ledgerquest/cli"]).toBe(file("cli"));
    // Transitive ones too (the CLI's dashboard), each the same spec as where it is direct.
    expect(Object.keys(pkg.overrides)).toHaveLength(9);
    expect(pkg.overrides["@ledgerquest/dashboard"]).toBe(file("dashboard"));
    expect(pkg.overrides["@ledgerquest/engine"]).toBe(pkg.dependencies["@ledgerquest/engine"]);
  });

  it("refuses a missing tarball before writing anything", async () => {
    const packs = fresh();
    mkdirSync(packs);
    writeFileSync(join(packs, "ledgerquest-engine-0.1.0.tgz"), "");
    const dir = fresh();
    await expect(scaffold({ directory: dir, tarballs: packs })).rejects.toThrow(
      /no tarball of @ledgerquest\/(runtime|client).*npm pack --workspace/,
    );
    expect(existsSync(dir)).toBe(false);
    await expect(scaffold({ directory: fresh(), tarballs: fresh() })).rejects.toThrow(
      /there is no folder/,
    );
  });

  it("refuses a folder that is not empty, and takes an empty one", async () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");
    const error = await scaffold({ directory: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScaffoldError);
    expect((error as Error).message).toMatch(
      /exists and is not empty .*notes\.txt.*choose another name/,
    );
    expect(read(dir, "notes.txt")).toBe("mine");

    const empty = fresh();
    mkdirSync(join(empty, ".git"), { recursive: true });
    await expect(scaffold({ directory: empty })).resolves.toMatchObject({ dir: empty });
  });

  it("refuses a name npm or the game could not take, and suggests one", async () => {
    expect(nameProblem("my-game")).toBeUndefined();
    expect(nameProblem("My Game")).toMatch(/cannot name a project.*as my-game$/);
    expect(nameProblem("1st")).toMatch(/starting with a letter/);
    await expect(scaffold({ directory: join(temp, "Bad Name") })).rejects.toThrow(ScaffoldError);
    expect(existsSync(join(temp, "Bad Name"))).toBe(false);
  });
});

describe("the create-ledgerquest command", () => {
  it("--help and --version", async () => {
    const help = await run(["--help"], temp);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: create-ledgerquest [options] [folder]");
    for (const option of ["--install", "--ledgerquest-version <range>", "--tarballs <dir>"]) {
      expect(help.stdout).toContain(option);
    }
    const version = await run(["--version"], temp);
    expect(version).toMatchObject({ code: 0, stdout: `${ownVersion()}\n` });
  });

  it("creates a project, installs nothing, and prints the two commands", async () => {
    const cwd = fresh();
    mkdirSync(cwd);
    const out = await run(["game-one"], cwd);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain("cd game-one");
    expect(out.stdout).toContain("npm install && npm start");
    expect(out.stdout).toContain("npm install && npm test");
    expect(existsSync(join(cwd, "game-one", "package.json"))).toBe(true);
    expect(existsSync(join(cwd, "game-one", "node_modules"))).toBe(false);
  });

  it("says what to do when the folder is missing, taken, or badly named", async () => {
    const cwd = fresh();
    mkdirSync(join(cwd, "taken"), { recursive: true });
    writeFileSync(join(cwd, "taken", "x"), "");
    const none = await run([], cwd);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      "name the folder to create: npm create ledgerquest@latest my-game",
    );
    const taken = await run(["taken"], cwd);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^create-ledgerquest: the folder taken exists and is not empty/);
    const bad = await run(["Bad_Name!"], cwd);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("cannot name a project");
  });
});
