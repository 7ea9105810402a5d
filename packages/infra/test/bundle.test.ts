import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BundleSize,
  bundleHandlers,
  DUMMY_HANDLER_ENV,
  HANDLER_NAMES,
  probeImport,
  runFreshNode,
} from "../src/bundle.js";
import { ARENA_CONFIG } from "./helpers.js";

let outDir: string;
let sizes: BundleSize[];

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), "ledgerquest-bundles-"));
  sizes = await bundleHandlers(outDir, { configFile: ARENA_CONFIG });
});

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

/** Runs `script` (an ES module body) in a fresh node with the dummy deployment environment. */
async function runNode(script: string, env: Record<string, string>): Promise<string> {
  const { code, stdout, stderr } = await runFreshNode(script, { ...DUMMY_HANDLER_ENV, ...env });
  if (code !== 0) throw new Error(`node exited with ${code}: ${stderr.slice(0, 2000)}`);
  return stdout;
}

describe("handler bundles", () => {
  it("bundles every handler into <outDir>/<handler>/index.mjs with its source map", async () => {
    expect(sizes.map((s) => s.handler)).toEqual(HANDLER_NAMES);
    for (const size of sizes) {
      expect(size.entryFile).toBe(join(outDir, size.handler, "index.mjs"));
      const files = await readdir(join(outDir, size.handler));
      expect(files).toEqual(expect.arrayContaining(["index.mjs", "index.mjs.map"]));
      expect(size.initialBytes).toBeGreaterThan(0);
      expect(size.totalBytes).toBeGreaterThanOrEqual(size.initialBytes);
    }
    // The S3 client and the SDK's unused credential providers load on first use, not at start.
    const tick = sizes.find((s) => s.handler === "tick");
    expect(tick?.totalBytes).toBeGreaterThan(tick?.initialBytes ?? Number.POSITIVE_INFINITY);
  });

  it.each(HANDLER_NAMES)("%s loads in a fresh process and exports handler", async (name) => {
    const bundle = sizes.find((s) => s.handler === name);
    if (bundle === undefined) throw new Error(`no bundle for ${name}`);
    const probe = await probeImport(bundle.entryFile);
    expect(probe.handlerType).toBe("function");
  });

  it("the tick bundle runs: bad input fails with its typed error and an English message", async () => {
    const tick = sizes.find((s) => s.handler === "tick");
    if (tick === undefined) throw new Error("no tick bundle");
    const out = await runNode(
      `const { handler } = await import(${JSON.stringify(pathToFileURL(tick.entryFile).href)});
       const context = { functionName: "tick", getRemainingTimeInMillis: () => 60000 };
       try { await handler({ worldId: "w1", iteration: -1 }, context); console.log("resolved"); }
       catch (error) { console.log(JSON.stringify({ name: error.name, message: error.message })); }`,
      { POWERTOOLS_LOG_LEVEL: "SILENT" },
    );
    const result = JSON.parse(out.trim().split("\n").at(-1) ?? "") as {
      name: string;
      message: string;
    };
    expect(result.name).toBe("InvalidTickInputError");
    expect(result.message).toMatch(/iteration: must be a whole number of laps/);
    expect(result.message).toMatch(/executionName: Invalid input: expected string/);
  });
});
