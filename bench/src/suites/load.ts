import { arenaBot, arenaModule } from "@ledgerquest/example-arena";
/**
 * The load test on loopback: the whole local stack (`startLocalStack`), a seeded arena, and 200
 * real WebSocket players (`runBots`) sending commands for 60 s. Reports commands accepted and
 * applied, command-to-push latency and the world's ticks per second, and checks that every
 * accepted command was applied exactly once (a loss stops the bench like a wrong checksum). Not a
 * rate comparison: the figures are notes. Counts through `LQ_LOAD="bots=200,seconds=60,rate=1"`.
 */
import type { Suite } from "../harness.js";

function settings(): { bots: number; seconds: number; rate: number } {
  const out = { bots: 200, seconds: 60, rate: 1 };
  for (const part of (process.env.LQ_LOAD ?? "").split(",").filter(Boolean)) {
    const [k, v] = part.split("=");
    const n = Number(v);
    if ((k === "bots" || k === "seconds" || k === "rate") && Number.isFinite(n) && n > 0)
      out[k] = n;
    else throw new Error(`LQ_LOAD: "${part}" is not bots=N, seconds=N or rate=N`);
  }
  return out;
}

export const suite: Suite = {
  name: "load",
  description:
    "200 WebSocket players against the local stack for 60 s: commands, latency, ticks/s, nothing lost",
  oursName: "LedgerQuest",
  scenarios: [],
  async notes() {
    const { bots, seconds, rate } = settings();
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const { startLocalStack } = await import("@ledgerquest/local");
    const stack = await startLocalStack({
      game: arenaModule,
      inMemory: true,
      log: () => undefined,
    });
    try {
      const { runBots, seedWorlds } = await import("@ledgerquest/cli");
      const deps = stack.runtimeDeps();
      const worldId = "load";
      await seedWorlds(deps, {
        worlds: [{ worldId, players: bots, settings: { bodies: 1000, bots: 20, coins: 300 } }],
      });
      const before = await deps.store.getWorld(worldId);
      const startedMs = Date.now();
      const report = await runBots({
        policy: arenaBot,
        websocketUrl: stack.endpoints.websocket,
        worldId,
        token: (p) => stack.token(p),
        count: bots,
        seconds,
        ratePerSecond: rate,
        onProgress: () => undefined,
      });
      // Let the loop drain what was accepted last, then count what the batch records applied.
      await new Promise((r) => setTimeout(r, 3000));
      const after = await deps.store.getWorld(worldId);
      const elapsedS = (Date.now() - startedMs) / 1000;
      const records = await deps.journal.listBatches(
        worldId,
        (before?.version ?? 0) + 1,
        after?.version ?? 0,
      );
      const applied = records.reduce((n, b) => n + b.commandsApplied, 0);
      const { appliedCommandCounts } = await import("@ledgerquest/runtime");
      const seen = await appliedCommandCounts(
        deps,
        worldId,
        (before?.version ?? 0) + 1,
        after?.version ?? 0,
      );
      const twice = [...seen.values()].filter((n) => n > 1).length;
      const ticks = (after?.tick ?? 0) - (before?.tick ?? 0);
      const lost = report.commands.accepted - seen.size;
      const rows: [string, string][] = [
        ["bots connected (of)", `${report.connected} (${report.bots}); dropped ${report.dropped}`],
        [
          "commands sent / accepted / duplicate / rejected / unanswered",
          `${report.commands.sent} / ${report.commands.accepted} / ${report.commands.duplicate} / ${report.commands.rejected} / ${report.commands.unanswered}`,
        ],
        [
          "commands applied by the game loop (batch records)",
          `${applied} (${seen.size} distinct, ${twice} twice)`,
        ],
        ["accepted commands lost", String(lost)],
        ["state pushes received", String(report.pushes)],
        [
          "command-to-push latency p50 / p99 / max",
          `${report.latency.p50Ms ?? "-"} / ${report.latency.p99Ms ?? "-"} / ${report.latency.maxMs ?? "-"} ms (${report.latency.samples} samples)`,
        ],
        ["ticks/s of the world during the run", (ticks / elapsedS).toFixed(1)],
        ["batches committed", String(records.length)],
      ];
      if (lost > 0 || twice > 0) {
        throw new Error(
          `load: ${lost} accepted command(s) were never applied and ${twice} applied twice`,
        );
      }
      return [
        [
          `${bots} bots x ${seconds} s at ${rate} command/s each, against the local stack (game loop: 60 ticks a lap, 1 s wait)`,
          "",
          "| figure | value |",
          "| --- | ---: |",
          ...rows.map(([k, v]) => `| ${k} | ${v} |`),
        ].join("\n"),
      ];
    } finally {
      await stack.stop();
    }
  },
};
