// How the CLI finds and loads a project's ledgerquest.config: the nearest file at or above the
// working folder, or --config; errors that name the file and say what to do; and the compiled
// path the built CLI takes for a TypeScript config (esbuild, the project's own files bundled).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  compiledConfig,
  findConfigFile,
  loadProject,
  ProjectConfigError,
  ProjectNotFoundError,
} from "../src/project.js";

const root = mkdtempSync(join(tmpdir(), "lq-project-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Just enough of a game for defineConfig's check (the config imports no package here). */
const FAKE_GAME =
  "{ name: 'fake@1', rules() {}, populate() {}, view() { return []; }, commands: { types: [] } }";

function project(name: string, config: string, file = "ledgerquest.config.mjs"): string {
  const dir = join(root, name);
  mkdirSync(join(dir, "src", "deep"), { recursive: true });
  writeFileSync(join(dir, file), config);
  return dir;
}

describe("finding the project", () => {
  it("takes the nearest config at or above the working folder, or the one --config names", () => {
    const dir = project("found", `export default { game: ${FAKE_GAME} };`);
    expect(findConfigFile(undefined, join(dir, "src", "deep"))).toBe(
      join(dir, "ledgerquest.config.mjs"),
    );
    expect(findConfigFile("ledgerquest.config.mjs", dir)).toBe(join(dir, "ledgerquest.config.mjs"));
  });

  it("says where it looked and what to do when there is none, or --config names nothing", () => {
    const empty = mkdtempSync(join(tmpdir(), "lq-no-project-"));
    try {
      expect(() => findConfigFile(undefined, empty)).toThrow(ProjectNotFoundError);
      expect(() => findConfigFile(undefined, empty)).toThrow(
        /no ledgerquest\.config\.ts in .* or a folder above it: .*npm create ledgerquest.*--config/,
      );
      expect(() => findConfigFile("nope.ts", empty)).toThrow(/--config nope\.ts: there is no file/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe("loading it", () => {
  it("loads the default export and checks it with defineConfig", async () => {
    const dir = project(
      "loads",
      `export default { game: ${FAKE_GAME}, worlds: [{ id: "w1", players: ["alice"] }] };`,
    );
    const p = await loadProject(undefined, dir);
    expect(p.dir).toBe(dir);
    expect(p.config.game.name).toBe("fake@1");
    expect(p.config.worlds).toEqual([{ id: "w1", players: ["alice"] }]);
  });

  it("names the file and the mistake: no default export, a bad world, a module that throws", async () => {
    const none = project("no-default", "export const game = 1;");
    await expect(loadProject(undefined, none)).rejects.toThrow(ProjectConfigError);
    await expect(loadProject(undefined, none)).rejects.toThrow(
      /must `export default defineConfig\(\{ game, \.\.\. \}\)`/,
    );
    const bad = project(
      "bad-world",
      `export default { game: ${FAKE_GAME}, worlds: [{ id: "a b" }] };`,
    );
    await expect(loadProject(undefined, bad)).rejects.toThrow(/worlds\[0\]\.id/);
    const throws = project("throws", "throw new Error('the game is broken');");
    await expect(loadProject(undefined, throws)).rejects.toThrow(
      /ledgerquest\.config\.mjs failed to load: the game is broken/,
    );
  });

  it("compiles a TypeScript config with the project's own files into the project's cache", async () => {
    const dir = project(
      "compiled",
      `import { game } from "./src/game.js";\nconst worlds: { id: string }[] = [{ id: "w" }];\nexport default { game, worlds };\n`,
      "ledgerquest.config.ts",
    );
    writeFileSync(
      join(dir, "src", "game.ts"),
      `export const game: { name: string } & Record<string, unknown> = ${FAKE_GAME};\n`,
    );
    const out = await compiledConfig(join(dir, "ledgerquest.config.ts"));
    expect(out.startsWith(join(dir, "node_modules", ".cache", "ledgerquest"))).toBe(true);
    const loaded = (await import(pathToFileURL(out).href)) as {
      default: { game: { name: string }; worlds: unknown };
    };
    expect(loaded.default.game.name).toBe("fake@1");
    expect(loaded.default.worlds).toEqual([{ id: "w" }]);
    // The same source gives the same file: nothing new is written for an unchanged config.
    expect(await compiledConfig(join(dir, "ledgerquest.config.ts"))).toBe(out);
  });
});
