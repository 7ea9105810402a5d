// docs/tutorial.md, followed literally: every command block with a `{"run": ...}` note is run
// (in order, in a folder outside the repository, with LEDGERQUEST_TARBALLS naming the packed
// packages, as the page says), every code block that names a `"file"` is applied where its note
// says, and the few facts the page promises are checked on the way: the new test ran, the stack
// started, the client served the edited page, the bots played, the ledger verified, the dry run
// printed its plan. LQ_KEEP_TUTORIAL=1 keeps the folder.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  INSTALL_MAX_MS,
  packAll,
  projectEnv,
  REPO,
  run,
  STEP_MAX_MS,
  startGroup,
  stepTimer,
  stopGroup,
  tail,
  waitForOutput,
} from "./support/harness.js";

const TUTORIAL = join(REPO, "docs", "tutorial.md");

/** A fenced block of the page: its language, its note (JSON after the language), its text. */
interface Block {
  readonly lang: string;
  readonly note: Readonly<Record<string, unknown>> | undefined;
  readonly text: string;
  readonly line: number;
}

/** The page's fenced blocks, in order, with their notes parsed. */
export function blocksOf(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)\s*(\{.*\})?\s*$/.exec(lines[i] ?? "");
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i] ?? "");
    blocks.push({
      lang: open[1] ?? "",
      note: open[2] === undefined ? undefined : (JSON.parse(open[2]) as Record<string, unknown>),
      text: `${body.join("\n")}\n`,
      line: start + 1,
    });
  }
  return blocks;
}

/** Applies a code block to its file, as its note says; fails when the anchor is not there once. */
function applyEdit(dir: string, block: Block): void {
  const note = block.note ?? {};
  const file = join(dir, String(note.file));
  const source = readFileSync(file, "utf8");
  const where = `docs/tutorial.md:${block.line} (${String(note.file)})`;
  if (typeof note.replace === "string") {
    const count = source.split(note.replace).length - 1;
    expect(count, `${where}: "${note.replace}" found ${count} times`).toBe(
      note.all === true ? Math.max(count, 1) : 1,
    );
    writeFileSync(file, source.split(note.replace).join(block.text.trim()));
    return;
  }
  const anchor = String(note.after ?? note.before);
  const lines = source.split("\n");
  const at = lines.flatMap((l, i) => (l.includes(anchor) ? [i] : []));
  expect(at, `${where}: the line with "${anchor}"`).toHaveLength(1);
  const index = (at[0] as number) + (note.after === undefined ? 0 : 1);
  lines.splice(index, 0, ...block.text.replace(/\n$/, "").split("\n"));
  writeFileSync(file, lines.join("\n"));
}

const root = mkdtempSync(join(tmpdir(), "lq-tutorial-"));
const packs = join(root, "packs");
const background: ChildProcess[] = [];
const { step, summary } = stepTimer("tutorial");

afterAll(async () => {
  for (const child of background.reverse()) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      await stopGroup(child, 60_000);
    }
  }
  if (process.env.LQ_KEEP_TUTORIAL === "1") console.log(`tutorial: kept ${root}`);
  else rmSync(root, { recursive: true, force: true });
});

describe("docs/tutorial.md", () => {
  it("every step works as written, from the scaffold to the dry-run deployment", {
    timeout: 20 * 60_000,
  }, async () => {
    const blocks = blocksOf(readFileSync(TUTORIAL, "utf8"));
    const steps = blocks.filter((b) => b.note !== undefined);
    expect(steps.length).toBeGreaterThan(8);
    await step("pack 10 packages", () => packAll(packs));

    const env = projectEnv({ LEDGERQUEST_TARBALLS: packs });
    let cwd = root;
    const outputs: string[] = [];
    for (const block of steps) {
      const note = block.note as Record<string, unknown>;
      const label = `docs/tutorial.md:${block.line}`;
      if (typeof note.file === "string") {
        applyEdit(cwd, block);
        continue;
      }
      if (note.run === "shell") {
        // One bash per block, as a reader types it; `cd` carries over to the next block.
        const script = `set -e\n${block.text}\npwd > "${join(root, ".cwd")}"\n`;
        const ran = await step(`${label} ${block.text.trim().split("\n")[0]}`, () =>
          run("bash", ["-c", script], cwd, INSTALL_MAX_MS, env),
        );
        expect(ran.code, `${label}\n${tail(ran)}`).toBe(0);
        cwd = resolve(readFileSync(join(root, ".cwd"), "utf8").trim());
        outputs.push(ran.output);
        continue;
      }
      if (note.run === "background") {
        const until = String(note.until);
        const started = await step(`${label} ${block.text.trim()} (until "${until}")`, async () => {
          const { child, log } = startGroup("bash", ["-c", block.text], cwd, env);
          background.push(child);
          await waitForOutput(
            child,
            new RegExp(until.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
            log,
            STEP_MAX_MS,
          );
          return log;
        });
        outputs.push(started.text);
        continue;
      }
      throw new Error(`${label}: a note the test does not know: ${JSON.stringify(note)}`);
    }

    // What the page promises along the way.
    const all = outputs.join("\n");
    // The project's tests ran, the tutorial's among them (npm test failed otherwise).
    expect(all).toMatch(/Tests\s+\S*\s*\d+ passed/);
    const tests = readFileSync(join(root, "my-game", "test", "game.test.ts"), "utf8");
    expect(tests).toContain("dashes two cells for 1 gold, paid through the ledger");
    expect(all).toMatch(/world "demo" created: 3 player\(s\) \(gems@2\)/);
    expect(all).toMatch(/commands: \d+ sent, [1-9]\d* accepted/);
    expect(all).toContain("result: OK");
    expect(all).toContain(
      "ledgerquest deploy --dry-run: stage beta, profile my-profile, region eu-west-1",
    );
    // The browser client serves the edited page: Vite compiles client/main.ts with the dash.
    const client = outputs.find((o) => o.includes("Local:")) ?? "";
    const url = /Local:\s+(http:\/\/\S+)/.exec(client)?.[1];
    expect(url, client).toBeDefined();
    const main = await (await fetch(new URL("main.ts", url))).text();
    expect(main).toContain('"dash"');
    console.log(summary());
  });
});
