#!/usr/bin/env node
// The demo world, headless: what `npm start` runs until the local stack arrives. It runs a few
// thousand bodies for a few seconds of game time, shows progress, then prints the speed, what
// happened, and the final state hash (the same on every machine for the same options).
import { performance } from "node:perf_hooks";
import { snapshotHash } from "@ledgerquest/engine";
import { SingleBar } from "cli-progress";
import { Command, InvalidArgumentError } from "commander";
import { COIN_COLLECTED, createArena, physics, scriptedMoves } from "./game.js";

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

const sim = createArena(opts.seed, { bodies: opts.bodies });
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
  sim.step(scriptedMoves(sim.tick));
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
