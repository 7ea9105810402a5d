// The dashboard's preferred port (Vite's 5173 for `ledgerquest dev`) taken when the stack starts,
// as by another stack starting at the same moment: the page is served on another port instead
// of the start failing.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { arenaModule } from "@ledgerquest/example-arena";
import { expect, it } from "vitest";
import { startLocalStack } from "../src/index.js";

it("a taken preferred dashboard port gives way to a free one; the page is served there", async () => {
  const pageDir = mkdtempSync(join(tmpdir(), "lq-page-"));
  mkdirSync(join(pageDir, "assets"));
  writeFileSync(join(pageDir, "index.html"), "<!doctype html><title>LedgerQuest</title>");
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
  const address = holder.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  const stack = await startLocalStack({
    game: arenaModule,
    inMemory: true,
    dashboard: { directory: pageDir, preferredPort: address.port },
    log: () => undefined,
  });
  try {
    const url = stack.endpoints.dashboard ?? "";
    expect(new URL(url).port).not.toBe(String(address.port));
    expect((await fetch(url)).status).toBe(200);
  } finally {
    await stack.stop();
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    rmSync(pageDir, { recursive: true, force: true });
  }
}, 120_000);
