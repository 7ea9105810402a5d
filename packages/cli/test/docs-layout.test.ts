// The tree docs/ARCHITECTURE.md shows under "Layout" is the disk's: each folder and file it names
// exists, and it names every folder of the folders it lists (packages/, examples/). A package
// added, or a file moved, shows there or fails here.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");

/** Folders on disk that are no part of the tree: build output and installs. */
const NOT_LISTED = new Set(["dist", "node_modules"]);

/** One name of the tree: its path from the repository's root, its line, and its description. */
interface Entry {
  readonly path: string;
  readonly indent: number;
  /** Where the description starts on the entry's line; its continuation lines start there too. */
  readonly descriptionColumn: number | undefined;
  description: string;
  readonly line: number;
}

/** The code block under `## Layout`. */
function layoutBlock(doc: string): string[] {
  const section = doc.slice(doc.indexOf("## Layout"));
  const start = section.indexOf("```\n") + 4;
  return section.slice(start, section.indexOf("```", start)).trimEnd().split("\n");
}

/**
 * The tree's entries. A line is an entry when it starts left of the description column of the
 * entry above it (else it continues that description); its name is its first word, a folder
 * (ending in `/`) or a file, inside the nearest entry indented less.
 */
function parseLayout(lines: readonly string[]): Entry[] {
  const entries: Entry[] = [];
  const open: Entry[] = [];
  lines.forEach((text, index) => {
    const indent = text.length - text.trimStart().length;
    while ((open.at(-1)?.indent ?? -1) >= indent) open.pop();
    const parent = open.at(-1);
    if (parent?.descriptionColumn !== undefined && indent >= parent.descriptionColumn) {
      parent.description += ` ${text.trim()}`;
      return;
    }
    const match = /^(\S+)(\s+)?(.*)$/.exec(text.trimStart());
    const name = match?.[1] ?? "";
    if (!/^[\w.@-]+(\/[\w.@-]+)*\/?$/.test(name) || parent?.path.endsWith("/") === false) {
      throw new Error(`layout line ${index + 1} is not a name of the tree: ${text}`);
    }
    const description = match?.[3] ?? "";
    const entry: Entry = {
      path: `${parent?.path ?? ""}${name}`,
      indent,
      descriptionColumn: description === "" ? undefined : text.length - description.length,
      description,
      line: index + 1,
    };
    entries.push(entry);
    open.push(entry);
  });
  return entries;
}

/** Folder and file names in a description, leaving out `code` and the words around them. */
function namedPaths(description: string): string[] {
  const prose = description.replace(/`[^`]*`/g, " ");
  return [
    ...prose.matchAll(/(?<![\w./@-])([\w.-]+\/(?:[\w.-]+\/?)*|[\w.-]+\.(?:ts|md|json))(?![\w/])/g),
  ].map((m) => m[1] as string);
}

function folders(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith(".") && !NOT_LISTED.has(d.name))
    .map((d) => `${dir}${d.name}/`)
    .sort();
}

const entries = parseLayout(
  layoutBlock(readFileSync(resolve(ROOT, "docs/ARCHITECTURE.md"), "utf8")),
);

describe("docs/ARCHITECTURE.md, Layout", () => {
  it("is read as a tree of the repository's top-level folders", () => {
    const top = entries.filter((e) => e.indent === 0).map((e) => e.path);
    expect(top).toEqual(["packages/", "examples/", "bench/", "docs/"]);
    expect(entries.map((e) => e.path)).toContain("packages/emulators/src/");
  });

  it("names only folders and files that exist", () => {
    const missing = entries.filter((e) => !existsSync(join(ROOT, e.path)));
    expect(missing.map((e) => `line ${e.line}: ${e.path}`)).toEqual([]);
  });

  it("names in its descriptions only folders and files inside the folder described, or its src/", () => {
    const missing = entries.flatMap((e) =>
      namedPaths(e.description)
        .filter(
          (p) => !existsSync(join(ROOT, e.path, p)) && !existsSync(join(ROOT, e.path, "src", p)),
        )
        .map((p) => `line ${e.line} (${e.path}): ${p}`),
    );
    expect(missing).toEqual([]);
    // The check reads what it should: these names are there to be found.
    const found = entries.flatMap((e) => namedPaths(e.description).map((p) => `${e.path}${p}`));
    expect(found).toEqual(
      expect.arrayContaining([
        "packages/engine/ecs/",
        "packages/emulators/src/websocket-gateway/",
        "packages/aws/test/support/s3-local.ts",
        "docs/reference/",
      ]),
    );
  });

  it("names every folder of the folders whose contents it lists", () => {
    const listed = new Set(entries.map((e) => e.path));
    for (const top of entries.filter((e) => e.indent === 0)) {
      const children = entries.filter((e) => e.path.startsWith(top.path) && e !== top);
      if (children.length === 0) continue;
      expect(
        folders(top.path).filter((folder) => !listed.has(folder)),
        `folders of ${top.path} missing from the layout`,
      ).toEqual([]);
    }
    expect(folders("packages/").length).toBeGreaterThan(10);
  });
});
