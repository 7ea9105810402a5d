import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** The dashboard's build: a static page with relative URLs, so it can be served from any path. */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 200,
  },
});
