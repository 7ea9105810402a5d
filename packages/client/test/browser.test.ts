// The browser entry carries nothing of Node: bundled for the browser platform it builds with no
// Node module and no engine or runtime code, and its sources type-check with the DOM's library
// and without Node's types (tsconfig.browser.json). The built dist, where present, imports only
// its own files.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), "..");
const ROOT = join(PACKAGE, "..", "..");

describe("the browser entry", () => {
  it("bundles for the browser platform, with no Node module, engine or runtime in it", async () => {
    const result = await build({
      entryPoints: [join(PACKAGE, "src", "index.ts")],
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.every((path) => path.startsWith("packages/client/src/"))).toBe(true);
    const code = result.outputFiles[0]?.text ?? "";
    expect(code).not.toMatch(/\bnode:|\brequire\(|\bprocess\.|\bBuffer\b/);
  });

  it("type-checks with the DOM's library and without Node's types", async () => {
    const tsc = join(ROOT, "node_modules", ".bin", "tsc");
    const run = promisify(execFile)(tsc, ["-p", join(PACKAGE, "tsconfig.browser.json")], {
      cwd: ROOT,
    });
    await expect(run).resolves.toBeDefined();
  });

  it("the built dist, if built, imports only its own files", () => {
    const dist = join(PACKAGE, "dist");
    if (!existsSync(dist)) return;
    for (const file of readdirSync(dist).filter((f) => f.endsWith(".js") && f !== "node.js")) {
      const text = readFileSync(join(dist, file), "utf8");
      // Statements only (a line that starts with import or export), not text in strings.
      const specifiers = [
        ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/gm),
        ...text.matchAll(/^\s*import\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']/gm),
      ].map((m) => m[1] ?? m[2]);
      for (const s of specifiers) expect(s, `${file} imports ${s}`).toMatch(/^\.\//);
    }
  });
});
