/**
 * The Lambda handlers' code for a project's game, bundled by `bundle.ts`: the same entries
 * and the same esbuild options as `npx tsx packages/infra/src/bundle.ts <config>` (ESM for node20,
 * module-first main fields, the zod English-only plugin, code splitting, the bundled SDK), so what
 * is deployed is what that script measures and the local stack runs from the same sources.
 *
 * Why not NodejsFunction's own bundling: it drives the esbuild CLI with one `--outfile`, which can
 * express neither code splitting (the lazily loaded S3 client and credential providers) nor an
 * esbuild plugin. So the bundles are built here, with esbuild's API on this machine (no Docker),
 * and each NodejsFunction takes its folder as `code`.
 */
import { join } from "node:path";
import {
  type BundleSize,
  bundleHandlers,
  HANDLER_ENTRIES,
  HANDLER_NAMES,
  type HandlerName,
} from "./bundle.js";
import { BundleError } from "./errors.js";

export { HANDLER_ENTRIES, HANDLER_NAMES, type HandlerName };

/** Each handler's bundle folder (`index.mjs` exporting `handler`, its chunks and source maps). */
export type HandlerBundles = Readonly<Record<HandlerName, string>>;

/**
 * Bundles the handlers (default all) into `<outDir>/<handler>/`, replacing what was there, and
 * returns every handler's folder (those not bundled now are expected there from before).
 */
export async function bundleLambdaHandlers(
  outDir: string,
  configFile: string,
  handlers: readonly HandlerName[] = HANDLER_NAMES,
): Promise<HandlerBundles> {
  let sizes: BundleSize[];
  try {
    sizes = await bundleHandlers(outDir, { configFile }, handlers);
  } catch (cause) {
    throw new BundleError(
      `bundling the Lambda handlers into ${outDir} failed: ${(cause as Error).message}`,
      { cause },
    );
  }
  if (sizes.length !== handlers.length) throw new BundleError("esbuild skipped a handler");
  return handlerFolders(outDir);
}

/** The folders `bundleLambdaHandlers(outDir)` writes, without bundling. */
export function handlerFolders(outDir: string): HandlerBundles {
  const bundles = {} as Record<HandlerName, string>;
  for (const handler of HANDLER_NAMES) bundles[handler] = join(outDir, handler);
  return bundles;
}
