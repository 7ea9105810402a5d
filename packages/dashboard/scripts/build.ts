/**
 * The dashboard's page: built with Vite's programmatic API into `outDir` (default `dist/` of this
 * package), or, where the package is installed rather than checked out, the page it was published
 * with. `ledgerquest dev` and the tests call these.
 */

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const DASHBOARD_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The folder of the built page, `dist/` of this package. */
export const SITE_DIR = resolve(DASHBOARD_ROOT, "dist");

/** Builds the page into `outDir` (default `SITE_DIR`) and returns the absolute folder. */
export async function buildDashboard(outDir?: string): Promise<string> {
  const out = resolve(outDir ?? SITE_DIR);
  // Vite is a development dependency: an installed package serves the page it was built with.
  const { build } = await import("vite");
  await build({
    configFile: resolve(DASHBOARD_ROOT, "vite.config.ts"),
    root: DASHBOARD_ROOT,
    logLevel: "warn",
    build: { outDir: out, emptyOutDir: true },
  });
  return out;
}

/**
 * The built page: `SITE_DIR` when it is there (every build of the package makes it, and the
 * published package carries it), else built now.
 */
export async function dashboardSite(): Promise<string> {
  if (existsSync(resolve(SITE_DIR, "index.html"))) return SITE_DIR;
  return await buildDashboard();
}
