/**
 * The Lambda bundles: each handler bundled as it is deployed (esbuild, ESM, minified, the AWS SDK
 * inside), the bytes a cold start loads and the time a fresh Node process takes to import it.
 * Not a rate comparison: the figures are printed as notes. Target: the tick handler under 500 KB.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleHandlers, measureColdInit } from "@ledgerquest/infra/bundle";
import type { Suite } from "../harness.js";

const TICK_TARGET_BYTES = 500 * 1024;

/** The game the bundles are made for: the arena example, as a project would configure it. */
const ARENA_CONFIG = fileURLToPath(
  new URL("../../../examples/arena/ledgerquest.config.ts", import.meta.url),
);

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

export const suite: Suite = {
  name: "bundles",
  description:
    "Lambda handler bundles: bytes loaded at cold start, and import time in a fresh process",
  oursName: "LedgerQuest",
  scenarios: [],
  async notes() {
    const dir = await mkdtemp(join(tmpdir(), "lq-bundles-"));
    try {
      const sizes = await bundleHandlers(dir, { configFile: ARENA_CONFIG });
      const init = await measureColdInit(sizes, 5);
      const rows = sizes.map((s) => {
        const ms = init.find((i) => i.handler === s.handler)?.medianImportMs ?? Number.NaN;
        return `| ${s.handler} | ${kb(s.initialBytes)} | ${kb(s.totalBytes)} | ${s.chunks} | ${ms.toFixed(0)} ms |`;
      });
      const tick = sizes.find((s) => s.handler === "tick");
      const verdict =
        tick === undefined
          ? "tick handler: not bundled"
          : `tick handler: ${kb(tick.initialBytes)} loaded at cold start, target under ${kb(TICK_TARGET_BYTES)}: ${tick.initialBytes < TICK_TARGET_BYTES ? "met" : "MISSED"}`;
      return [
        [
          "| handler | loaded at cold start | all chunks | chunks | import (median of 5 fresh processes) |",
          "| --- | ---: | ---: | ---: | ---: |",
          ...rows,
        ].join("\n"),
        verdict,
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
