/**
 * The fault suite, long: the same driver as `packages/local/test/faults.test.ts`
 * (`@ledgerquest/local/faults`), with more faults, more players and several seeds. Each run
 * prints its counts (faults by kind, crash points hit, restarts, commands sent, acknowledged,
 * lost, duplicated) and its checks (ledger, replay from genesis, export restored elsewhere); any
 * lost or twice-applied command, or a check that fails, stops the bench like a wrong checksum.
 * Not a rate comparison: the figures are notes. Settings through
 * `LQ_FAULTS="runs=3,faults=15,players=4,rate=4,gap=8000,seed=1"` (seed: of the first run).
 */
import type { Suite } from "../harness.js";

const KEYS = ["runs", "faults", "players", "rate", "gap", "seed"] as const;
type Key = (typeof KEYS)[number];

function settings(): Record<Key, number> {
  const out: Record<Key, number> = {
    runs: 3,
    faults: 15,
    players: 4,
    rate: 4,
    gap: 8000,
    seed: Date.now() % 1e9,
  };
  for (const part of (process.env.LQ_FAULTS ?? "").split(",").filter(Boolean)) {
    const [k, v] = part.split("=");
    const n = Number(v);
    if ((KEYS as readonly string[]).includes(k ?? "") && Number.isFinite(n) && n > 0)
      out[k as Key] = n;
    else
      throw new Error(`LQ_FAULTS: "${part}" is not one of ${KEYS.map((x) => `${x}=N`).join(", ")}`);
  }
  return out;
}

export const suite: Suite = {
  name: "faults",
  description:
    "SIGKILLs, crash points, DynamoDB Local restarts, second loops and doubled events against the local stack under load: nothing lost, nothing twice",
  oursName: "LedgerQuest",
  scenarios: [],
  async notes() {
    const s = settings();
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const { formatFaultReport, runFaults, FAULT_KINDS } = await import("@ledgerquest/local/faults");
    const rows: string[] = [];
    const failures: string[] = [];
    for (let run = 0; run < s.runs; run++) {
      const seed = s.seed + run;
      const r = await runFaults({
        game: {
          module: "@ledgerquest/example-arena",
          exportName: "arenaModule",
          settings: { bodies: 40, bots: 4, coins: 40 },
        },
        seed,
        faults: s.faults,
        gapMs: s.gap,
        players: s.players,
        ratePerSecond: s.rate,
        log: (line) => console.log(`  [faults ${seed}] ${line}`),
      });
      console.log(formatFaultReport(r));
      const c = r.commands;
      rows.push(
        `| ${seed} | ${FAULT_KINDS.map((k) => r.injected[k]).join(" / ")} | ${r.crashPoints.length} | ${r.restarts} | ${c.sent} | ${c.acknowledged} | ${c.lost} | ${c.duplicated} | ${r.check.verify === "ok" ? "ok" : "FAIL"} | ${r.check.replay.startsWith("ok") ? "ok" : "FAIL"} | ${r.check.export.startsWith("ok") ? "ok" : "FAIL"} | ${(r.durationMs / 1000).toFixed(0)} s |`,
      );
      if (!r.ok) failures.push(`seed ${seed}: ${formatFaultReport(r)}`);
    }
    if (failures.length > 0) throw new Error(`faults: a run did not hold\n${failures.join("\n")}`);
    return [
      [
        `${s.runs} run(s) of ${s.faults} faults, ${s.players} tracked players at ${s.rate} command/s each, a fault every ${s.gap / 2000}-${s.gap / 1000} s; every event delivered twice one time in five and out of order`,
        "",
        `| seed | faults (${FAULT_KINDS.join(" / ")}) | crash points hit | restarts | commands sent | acknowledged | lost | duplicated | ledger | replay | export | time |`,
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: |",
        ...rows,
      ].join("\n"),
    ];
  },
};
