import { fileURLToPath } from "node:url";
import { defaultClientConditions, defineConfig } from "vite";

/**
 * The dashboard's build: a static page with relative URLs, so it can be served from any path.
 * `@ledgerquest/client` is bundled from its TypeScript source (the repository's source
 * condition, which its published package carries too), so the page never bundles a stale build.
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  clearScreen: false,
  resolve: { conditions: ["@ledgerquest/source", ...defaultClientConditions] },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 200,
  },
});
