import { arenaModule } from "@ledgerquest/example-arena";
/**
 * One client floods a world with 1,000 commands at once, in rounds, against the whole local stack
 * (`measureFlood` of `@ledgerquest/local/faults`, the floods test's own measure): the world's
 * versions per second while flooded against the same world unflooded just before, and what the
 * flooder got (the rest is `rate_limited`). The target, from the issue that brought the limits:
 * the world within 20% of its unflooded pace. Run it on a quiet machine: the windows are wall
 * time. Settings through `LQ_FLOODS="rounds=5,frames=1000"`.
 */
import type { Suite } from "../harness.js";

function settings(): { rounds: number; frames: number } {
  const out = { rounds: 5, frames: 1000 };
  for (const part of (process.env.LQ_FLOODS ?? "").split(",").filter(Boolean)) {
    const [k, v] = part.split("=");
    const n = Number(v);
    if ((k === "rounds" || k === "frames") && Number.isInteger(n) && n > 0) out[k] = n;
    else throw new Error(`LQ_FLOODS: "${part}" is not rounds=N or frames=N`);
  }
  return out;
}

export const suite: Suite = {
  name: "floods",
  description:
    "1,000 commands at once from one client: the world's pace flooded against unflooded (target: within 20%)",
  oursName: "LedgerQuest",
  scenarios: [],
  async notes() {
    const { rounds, frames } = settings();
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const { startLocalStack } = await import("@ledgerquest/local");
    const { floodClient, formatFloodRound, measureFlood } = await import(
      "@ledgerquest/local/faults"
    );
    const stack = await startLocalStack({
      game: arenaModule,
      inMemory: true,
      ticksPerBatch: 15,
      waitSeconds: 0,
      pace: true,
      log: () => undefined,
    });
    try {
      const { createWorld } = await import("@ledgerquest/runtime");
      const deps = stack.runtimeDeps();
      const worldId = "floods";
      const { world } = await createWorld(deps, {
        worldId,
        players: ["player_0001", "player_0002"],
        settings: { bodies: 200, bots: 10, coins: 100 },
      });
      await stack.activate(worldId, world.version);
      await new Promise((r) => setTimeout(r, 5000));
      const url = async (p: string) =>
        `${stack.endpoints.websocket}?world=${worldId}&token=${await stack.token(p)}`;
      const flooder = await floodClient(await url("player_0001"));
      const other = await floodClient(await url("player_0002"));
      const measured = await measureFlood({ deps, worldId, flooder, other, rounds, frames });
      flooder.ws.close();
      other.ws.close();
      const ratios = measured.map((r) => r.floodedPerS / r.unfloodedPerS);
      const worst = Math.min(...ratios);
      return [
        [
          `${rounds} round(s) of ${frames} commands at once from one client, against the local stack (15-tick laps paced to the clock: 4 versions/s unflooded on a quiet machine); another player sends 4 a second`,
          "",
          "| round | accepted | rate_limited | versions/s unflooded | versions/s flooded | ratio |",
          "| ---: | ---: | ---: | ---: | ---: | ---: |",
          ...measured.map(
            (r, i) =>
              `| ${i + 1} | ${r.accepted} | ${r.rateLimited} | ${r.unfloodedPerS.toFixed(2)} | ${r.floodedPerS.toFixed(2)} | ${(ratios[i] ?? 0).toFixed(2)} |`,
          ),
          "",
          `worst round: ${(worst * 100).toFixed(0)}% of the unflooded pace (target: at least 80%) ${worst >= 0.8 ? "met" : "NOT met"}`,
          ...measured.map((r, i) => formatFloodRound(r, i + 1)),
        ].join("\n"),
      ];
    } finally {
      await stack.stop();
    }
  },
};
