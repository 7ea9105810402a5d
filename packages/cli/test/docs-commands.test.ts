// The commands the docs name are the commands the CLI has: docs/ARCHITECTURE.md lists them twice
// (the layout and the packages table), and a command added or renamed must show there.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const main = resolve(import.meta.dirname, "../src/main.ts");

/** The command names `ledgerquest --help` lists, sorted. */
async function cliCommands(): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--conditions=@ledgerquest/source", "--import", "tsx", main, "--help"],
    { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" } },
  );
  const commands = stdout.slice(stdout.indexOf("Commands:"));
  return [...commands.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)]
    .map((m) => m[1] as string)
    .filter((name) => name !== "help")
    .sort();
}

/** Backticked or bare command names in `text`, among `known` words. */
function named(text: string, candidates: readonly string[]): string[] {
  return candidates.filter((c) => new RegExp(`(^|[\\s\`,(])${c}[\\s\`,.;)]`).test(text)).sort();
}

describe("docs/ARCHITECTURE.md", () => {
  it("names every command of the CLI, and no other, in the layout and in the packages table", async () => {
    const commands = await cliCommands();
    expect(commands).toContain("dev");
    const doc = readFileSync(resolve(ROOT, "docs/ARCHITECTURE.md"), "utf8");
    const layout = doc.slice(doc.indexOf("  cli/ "), doc.indexOf("  dashboard/ "));
    const row = doc.split("\n").find((l) => l.startsWith("| `packages/cli` |")) ?? "";
    // Words the docs could take for a command: the CLI's own, and names commands once had.
    const candidates = [...new Set([...commands, "bench", "cost", "restore", "play", "status"])];
    expect(named(layout, candidates), "the layout's cli/ line").toEqual(commands);
    expect(named(row, candidates), "the packages table's cli row").toEqual(commands);
  });
});
