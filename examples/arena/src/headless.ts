#!/usr/bin/env node
// The demo world, headless: what `npm start` runs until the local stack arrives. It runs a few
// thousand bodies for a few seconds of game time, shows progress, then prints the speed, what
// happened, and the final state hash (the same on every machine for the same options).
import { performance } from "node:perf_hooks";
import { snapshotHash, verifyJournal } from "@ledgerquest/engine";
import { SingleBar } from "cli-progress";
import { Command, InvalidArgumentError } from "commander";
import { COIN_COLLECTED, createArena, physics, pilotMoves, QUESTS } from "./game.js";

function positiveInt(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`);
    }
    return n;
  };
}

const program = new Command()
  .name("ledgerquest-demo")
  .description(
    "Run the LedgerQuest demo arena headless and print ticks per second and the final state hash.",
  )
  .option(
    "-b, --bodies <n>",
    "pucks and crates in the arena",
    positiveInt("--bodies", 30_000),
    3000,
  )
  .option("-s, --seconds <n>", "game time to simulate, seconds", positiveInt("--seconds", 3600), 10)
  .option("--seed <text>", "world seed: the same seed gives the same final hash everywhere", "demo")
  .option("--no-progress", "do not draw a progress bar")
  .showHelpAfterError();

program.parse();
const opts = program.opts<{ bodies: number; seconds: number; seed: string; progress: boolean }>();

const { sim, rules } = createArena(opts.seed, { bodies: opts.bodies });
const { economy } = rules;
const ticks = opts.seconds * sim.world.tickRateHz;
const total = sim.world.entityCount;
console.log(
  `LedgerQuest demo arena: ${total.toLocaleString("en-US")} entities (${opts.bodies.toLocaleString("en-US")} pucks and crates, bots, coins, a player), ` +
    `${opts.seconds} s of game time = ${ticks.toLocaleString("en-US")} ticks at ${sim.world.tickRateHz} Hz, seed "${opts.seed}"`,
);
console.log(`start state hash: ${sim.hash()}`);

const bar = new SingleBar({
  format: "  simulating [{bar}] {percentage}% | tick {value}/{total} | {rate} ticks/s",
  barCompleteChar: "█",
  barIncompleteChar: "░",
  hideCursor: true,
  noTTYOutput: false,
});
const showBar = opts.progress && process.stderr.isTTY === true;
if (showBar) bar.start(ticks, 0, { rate: "-" });

let coins = 0;
let coinValue = 0;
let faults = 0;
let busyMs = 0;
const started = performance.now();
for (let t = 0; t < ticks; t++) {
  const before = performance.now();
  sim.step(pilotMoves(sim.world, rules));
  busyMs += performance.now() - before;
  for (const ev of sim.world.drainEvents()) {
    if (ev.kind === "custom" && ev.code === COIN_COLLECTED) {
      coins++;
      coinValue += ev.value;
    } else if (ev.kind === "body_invalid") {
      faults++;
    }
  }
  if (showBar && (t % 10 === 9 || t === ticks - 1)) {
    bar.update(t + 1, {
      rate: Math.round(((t + 1) * 1000) / (performance.now() - started)).toLocaleString("en-US"),
    });
  }
}
if (showBar) bar.stop();

const snapshot = sim.snapshot();
const ticksPerSecond = (ticks * 1000) / busyMs;
const realtime = ticksPerSecond / sim.world.tickRateHz;
console.log(
  `ticks/s: ${Math.round(ticksPerSecond).toLocaleString("en-US")} (${(busyMs / ticks).toFixed(3)} ms per tick, ${realtime.toFixed(1)}x real time)`,
);
console.log(
  `coins collected: ${coins} (value ${coinValue}); bodies faulted: ${faults}; kinetic energy: ${physics.kineticEnergy(sim.world).toFixed(1)} J`,
);
console.log(
  `snapshot: ${(snapshot.length / 1024).toFixed(1)} KiB (${(snapshot.length / total).toFixed(1)} bytes per entity)`,
);
console.log(`final state hash: ${snapshotHash(snapshot)} (tick ${sim.tick})`);

// The ledger: every coin paid out is a transfer in the hash-chained journal. Verify it from scratch.
const ledger = economy.ledger;
const report = verifyJournal(ledger.journal, (id) => ledger.balance(id));
const transfers = ledger.journal.filter((e) => e.kind === "transfer").length;
if (report.ok) {
  console.log(
    `ledger: ${ledger.journal.length.toLocaleString("en-US")} journal entries (${transfers.toLocaleString("en-US")} transfers), verified: chain, hashes, balances and unit sums all hold`,
  );
  console.log(
    `  digest: count ${report.digest.count}, head ${report.digest.head.slice(0, 16)}…, root ${report.digest.root.slice(0, 16)}…`,
  );
} else {
  console.log(`ledger: VERIFICATION FAILED: ${report.problem.kind}: ${report.problem.detail}`);
  process.exitCode = 1;
}
const minted = (unit: string) => -(ledger.balance(`mint:${unit}`)?.balance ?? 0);
console.log(`  in circulation: ${minted("gold")} gold, ${minted("gems")} gems, ${minted("xp")} xp`);

// The quest log: the scripted player's, then how far everyone got.
const tracker = rules.quests.tracker(sim.world);
console.log(`quest log of player_0001 (level ${economy.levelOf("player_0001")}):`);
for (const q of tracker.log("player_0001")) {
  const def = QUESTS.quests.find((d) => d.id === q.quest);
  const goal =
    def?.objectives.map((o, i) => `${q.progress[i]}/${"count" in o ? o.count : 1}`).join(", ") ??
    "";
  const times = q.completions > 1 ? ` x${q.completions}` : "";
  console.log(
    `  ${q.quest.padEnd(12)} ${(def?.title ?? "").padEnd(34)} ${q.state.padEnd(9)} ${goal}${times}`,
  );
}
const completions = new Map<string, number>();
for (const player of tracker.players) {
  for (const q of tracker.log(player))
    completions.set(q.quest, (completions.get(q.quest) ?? 0) + q.completions);
}
console.log(
  `quests completed by all ${tracker.players.length} players: ${[...completions].map(([id, n]) => `${id} ${n}`).join(", ")}`,
);
