/**
 * The installable packages: how long `ledgerquest --help` takes to answer from a fresh process,
 * against a bare `node -e 0` measured in the same run (the bound: within 5x), and against
 * the same CLI run from its TypeScript sources through tsx (how it ran before it was compiled);
 * and the size of each package's tarball (`npm pack --dry-run`).
 *
 * Not a rate comparison: the figures are printed as notes. The packages must be built
 * (`npm run build`, which `npm install` runs).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { Suite } from "../harness.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const RUNS = 11;

/** The packages a game team installs, by workspace folder. */
export const PUBLISHED = [
  "packages/engine",
  "packages/runtime",
  "packages/client",
  "packages/testing",
  "packages/emulators",
  "packages/aws",
  "packages/local",
  "packages/infra",
  "packages/dashboard",
  "packages/cli",
  "packages/create-ledgerquest",
] as const;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Median wall time of `RUNS` fresh processes of `args`, interleaved with the others. */
function timeAll(commands: Readonly<Record<string, readonly string[]>>): Record<string, number> {
  const samples: Record<string, number[]> = {};
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of Object.entries(commands)) {
      const started = performance.now();
      const r = spawnSync(process.execPath, [...args], { cwd: ROOT, stdio: "ignore" });
      const ms = performance.now() - started;
      if (r.status !== 0) throw new Error(`${name}: exit ${r.status}`);
      const list = samples[name] ?? [];
      list.push(ms);
      samples[name] = list;
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

function tarballKb(dir: string): {
  file: string;
  packedKb: number;
  unpackedKb: number;
  files: number;
} {
  const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--workspace", dir], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`npm pack ${dir}: ${r.stderr.slice(0, 400)}`);
  const [info] = JSON.parse(r.stdout) as {
    filename: string;
    size: number;
    unpackedSize: number;
    entryCount: number;
  }[];
  if (info === undefined) throw new Error(`npm pack ${dir}: no output`);
  return {
    file: info.filename,
    packedKb: info.size / 1024,
    unpackedKb: info.unpackedSize / 1024,
    files: info.entryCount,
  };
}

export const suite: Suite = {
  name: "packages",
  description: "The installable packages: `ledgerquest --help` cold start, and tarball sizes",
  oursName: "LedgerQuest",
  scenarios: [],
  async notes() {
    const bin = join(ROOT, "packages/cli/bin/ledgerquest.js");
    if (!existsSync(bin)) throw new Error("build the packages first: npm run build");
    const tsx = join(ROOT, "node_modules/tsx/dist/cli.mjs");
    const t = timeAll({
      node: ["-e", "0"],
      compiled: [bin, "--help"],
      tsx: [tsx, "--conditions=@ledgerquest/source", "packages/cli/src/main.ts", "--help"],
    });
    const ms = (v: number | undefined) => `${(v ?? Number.NaN).toFixed(0)} ms`;
    const ratio = (t.compiled ?? Number.NaN) / (t.node ?? Number.NaN);
    const rows = PUBLISHED.filter((d) => existsSync(join(ROOT, d, "package.json"))).map((d) => {
      const p = tarballKb(d);
      return `| ${p.file} | ${p.packedKb.toFixed(0)} KB | ${p.unpackedKb.toFixed(0)} KB | ${p.files} |`;
    });
    return [
      [
        `| \`ledgerquest --help\`, median of ${RUNS} fresh processes | time | / node -e 0 |`,
        "| --- | ---: | ---: |",
        `| node -e 0 | ${ms(t.node)} | 1.0x |`,
        `| compiled (bin/ledgerquest.js, dist/) | ${ms(t.compiled)} | ${ratio.toFixed(1)}x |`,
        `| from sources through tsx (before) | ${ms(t.tsx)} | ${((t.tsx ?? 0) / (t.node ?? 1)).toFixed(1)}x |`,
      ].join("\n"),
      `--help within 5x of node -e 0: ${ratio <= 5 ? "met" : "MISSED"} (${ratio.toFixed(1)}x)`,
      ["| tarball | packed | unpacked | files |", "| --- | ---: | ---: | ---: |", ...rows].join(
        "\n",
      ),
    ];
  },
};
