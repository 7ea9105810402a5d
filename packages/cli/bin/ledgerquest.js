#!/usr/bin/env node
// The `ledgerquest` command: the compiled CLI (dist/main.js). A file of its own, committed, so that
// npm links the bin even where it installs before the package is built (a fresh clone of the
// repository builds in its `prepare`).
import("../dist/main.js").catch((error) => {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/main.js")) {
    console.error("ledgerquest: the CLI is not built: run `npm run build` (npm install does it)");
    process.exit(1);
  }
  throw error;
});
