/**
 * Summarizes a V8 CPU profile (`.cpuprofile`, as `node --cpu-prof` or the load bench's
 * `profile=1` write it): self time by function and by where the code lives (a package, node's
 * internals, the garbage collector), and total (inclusive) time of the functions whose names
 * are given. Usage:
 *
 *   node --import tsx bench/src/profile-summary.ts FILE [--top N] [--total name1,name2]
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a frame's code lives: a workspace package, a dependency, node itself, or V8. */
function placeOf(url: string, name: string): string {
  if (url === "") return name.startsWith("(") ? name : "(native)";
  const ours = /packages\/([^/]+)\//.exec(url);
  if (ours !== null && !url.includes("node_modules")) return `@ledgerquest/${ours[1]}`;
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/g;
  let last: string | undefined;
  for (let m = dep.exec(url); m !== null; m = dep.exec(url)) last = m[1];
  if (last !== undefined) return last;
  if (url.startsWith("node:")) return "node";
  return url;
}

function summarize(profile: Profile, top: number, totals: readonly string[]): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  let allUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    allUs += dt;
  });
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName === "" ? "(anonymous)" : functionName;
    const file = url.split("/").slice(-2).join("/");
    const key = `${name} ${file}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const place = placeOf(url, name);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
    // Inclusive: each named function once per sample's stack.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const fn = byId.get(at)?.callFrame.functionName ?? "";
      if (totals.includes(fn) && !seen.has(fn)) {
        seen.add(fn);
        inclusive.set(fn, (inclusive.get(fn) ?? 0) + us);
      }
    }
  }
  const pct = (us: number) => `${((100 * us) / allUs).toFixed(1)}%`;
  const table = (title: string, rows: [string, number][]) =>
    [
      `| ${title} | self | share |`,
      "| --- | ---: | ---: |",
      ...rows.map(([k, us]) => `| ${k} | ${(us / 1000).toFixed(0)} ms | ${pct(us)} |`),
    ].join("\n");
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  const out = [
    `${(allUs / 1e6).toFixed(1)} s sampled`,
    "",
    table("where", sorted(byPlace).slice(0, top)),
    "",
    table("function", sorted(byFunction).slice(0, top)),
  ];
  if (totals.length > 0) out.push("", table("total of", sorted(inclusive)));
  return out.join("\n");
}

const program = new Command("profile-summary")
  .description("Self time of a V8 CPU profile by function and by package")
  .argument("<file>", "a .cpuprofile file")
  .option("--top <n>", "rows per table", "30")
  .option("--total <names>", "comma-separated function names to give inclusive time of", "")
  .action((file: string, opts: { top: string; total: string }) => {
    const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
    const totals = opts.total.split(",").filter(Boolean);
    console.log(summarize(profile, Number(opts.top), totals));
  });
program.parse();
