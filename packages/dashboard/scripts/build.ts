/**
 * Builds the dashboard with Vite's programmatic API into `outDir` (default `dist/` of this
 * package) and returns the absolute output folder. `ledgerquest dev` and the tests call it.
 */

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";

export const DASHBOARD_ROOT = fileURLToPath(new URL("..", import.meta.url));

export async function buildDashboard(outDir?: string): Promise<string> {
  const out = resolve(outDir ?? resolve(DASHBOARD_ROOT, "dist"));
  await build({
    configFile: resolve(DASHBOARD_ROOT, "vite.config.ts"),
    root: DASHBOARD_ROOT,
    logLevel: "warn",
    build: { outDir: out, emptyOutDir: true },
  });
  return out;
}
