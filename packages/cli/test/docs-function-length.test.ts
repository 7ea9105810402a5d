// The long functions docs/ARCHITECTURE.md names ("Long functions") are the ones whose length
// check is suppressed in the sources: an exception is added or removed in both places at once.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const SUPPRESSION = "biome-ignore lint/complexity/noExcessiveLinesPerFunction";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sources(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/** The function a suppression comment stands over: the name on the line after it. */
function functionAfter(line: string): string {
  const m =
    /\b(?:function\s+|const\s+)(#?[A-Za-z_$][\w$]*)/.exec(line) ??
    /^\s*(?:(?:private|public|protected|static|async|override|readonly)\s+)*(#?[A-Za-z_$][\w$]*)\s*\(/.exec(
      line,
    );
  return m?.[1] ?? `<no function on: ${line.trim()}>`;
}

/** `file | function` for every suppressed function in the packages' sources, sorted. */
function suppressed(): string[] {
  const out: string[] = [];
  const packages = resolve(ROOT, "packages");
  for (const pkg of readdirSync(packages)) {
    const src = join(packages, pkg, "src");
    let files: string[];
    try {
      files = sources(src);
    } catch {
      continue;
    }
    for (const file of files) {
      const lines = readFileSync(file, "utf8").split("\n");
      lines.forEach((line, i) => {
        if (line.includes(SUPPRESSION)) {
          out.push(`${relative(ROOT, file)} | ${functionAfter(lines[i + 1] ?? "")}`);
        }
      });
    }
  }
  return out.sort();
}

/** `file | function` for every row of the docs' table, sorted. */
function listed(): string[] {
  const doc = readFileSync(resolve(ROOT, "docs/ARCHITECTURE.md"), "utf8");
  const table = doc.slice(doc.indexOf("### Long functions"), doc.indexOf("## What exists now"));
  return [...table.matchAll(/^\| `([^`]+)` \| `([^`]+)` \|/gm)]
    .map((m) => `${m[1]} | ${m[2]}`)
    .sort();
}

describe("docs/ARCHITECTURE.md, Long functions", () => {
  it("lists exactly the functions whose length check the sources suppress", () => {
    const inCode = suppressed();
    expect(inCode.length).toBeGreaterThan(0);
    expect(listed()).toEqual(inCode);
  });
});
