/** A run of bots: validated options, connecting in waves, play for a time, the report. */
import { performance } from "node:perf_hooks";
import { numberedPlayerIds } from "../commands/seed.js";
import { Bot, ErrorTally } from "./bot.js";
import {
  type BotsOptions,
  type BotsProgress,
  type BotsReport,
  percentile,
  summarizeLatency,
} from "./report.js";

export class BotsError extends Error {
  override readonly name = "BotsError";
}

/** Commands per second per bot, when not chosen: a pace a person steering keeps. */
export const DEFAULT_RATE_PER_S = 2;
/** The highest rate a bot may send at. */
export const MAX_RATE_PER_S = 50;

async function validate(
  options: BotsOptions,
  players: readonly string[],
  ratePerS: number,
): Promise<void> {
  if (!Number.isInteger(options.count) || options.count < 1) {
    throw new BotsError(`count must be a whole number of at least 1, got ${options.count}`);
  }
  if (!(Number.isFinite(options.seconds) && options.seconds > 0)) {
    throw new BotsError(`seconds must be a positive number, got ${options.seconds}`);
  }
  if (!(Number.isFinite(ratePerS) && ratePerS > 0 && ratePerS <= MAX_RATE_PER_S)) {
    throw new BotsError(
      `ratePerSecond must be above 0 and at most ${MAX_RATE_PER_S}, got ${ratePerS}`,
    );
  }
  if (players.length !== options.count) {
    throw new BotsError(
      `${options.count} bots need ${options.count} players, got ${players.length}`,
    );
  }
  // The authorizer's own rule for the ids a token may name; loaded here, not at the top, so that
  // registering the command does not load the AWS SDK.
  const { PLAYER_ID_PATTERN } = await import("@ledgerquest/aws");
  const bad = players.find((p) => !PLAYER_ID_PATTERN.test(p));
  if (bad !== undefined) {
    throw new BotsError(
      `player id ${JSON.stringify(bad)} must match ${PLAYER_ID_PATTERN} (what a token can name)`,
    );
  }
  if (new Set(players).size !== players.length) {
    throw new BotsError("each bot needs a player of its own: the players list has repeats");
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Connects the bots, `connectConcurrency` at a time (a stopped run fails the ones left). */
async function connectAll(bots: readonly Bot[], options: BotsOptions): Promise<void> {
  const timeoutMs = options.connectTimeoutMs ?? 15_000;
  const queue = [...bots];
  const connectors = Array.from(
    { length: Math.min(options.connectConcurrency ?? 25, bots.length) },
    async () => {
      for (let bot = queue.shift(); bot !== undefined; bot = queue.shift()) {
        if (options.signal?.aborted) bot.fail("the run was stopped before this bot connected");
        else await bot.connect(options, timeoutMs);
      }
    },
  );
  await Promise.all(connectors);
}

/** Connects the bots, lets them play for `seconds`, closes them, and reports. */
export async function runBots(options: BotsOptions): Promise<BotsReport> {
  const ratePerS = options.ratePerSecond ?? DEFAULT_RATE_PER_S;
  const players = options.players ?? numberedPlayerIds(options.count, options.firstPlayer ?? 1);
  await validate(options, players, ratePerS);
  const errors = new ErrorTally();
  const bots = players.map((p) => new Bot(p, options.policy, errors));
  const startedMs = performance.now();
  let phase: BotsProgress["phase"] = "connecting";
  const progress = (): BotsProgress => {
    const all = bots.flatMap((b) => b.latenciesMs).sort((a, b) => a - b);
    const p50 = percentile(all, 50);
    return {
      phase,
      elapsedS: (performance.now() - startedMs) / 1000,
      durationS: options.seconds,
      bots: bots.length,
      connected: bots.filter((b) => b.connected).length,
      failed: bots.filter((b) => !b.connected && b.error !== undefined).length,
      sent: sum(bots, (b) => b.sent),
      accepted: sum(bots, (b) => b.accepted),
      rejected: sum(bots, (b) => b.rejected),
      pushes: sum(bots, (b) => b.pushes),
      p50Ms: p50 === null ? null : Math.round(p50),
    };
  };
  const onProgress = options.onProgress;
  const ticker =
    onProgress === undefined
      ? undefined
      : setInterval(() => onProgress(progress()), options.progressEveryMs ?? 1000);
  let playMs = 0;
  try {
    await connectAll(bots, options);

    phase = "playing";
    const playStartMs = performance.now();
    for (const bot of bots) bot.play(ratePerS);
    await sleep(options.seconds * 1000, options.signal);
    for (const bot of bots) bot.stop();
    playMs = performance.now() - playStartMs;

    // The last commands' answers and the push after them are part of the run.
    phase = "finishing";
    const drainUntilMs = performance.now() + (options.drainTimeoutMs ?? 5_000);
    while (bots.some((b) => b.waiting()) && performance.now() < drainUntilMs) {
      await sleep(50, options.signal);
      if (options.signal?.aborted) break;
    }
  } finally {
    clearInterval(ticker);
    await Promise.all(bots.map((b) => b.close()));
  }
  onProgress?.(progress());

  const connected = bots.filter((b) => b.connected);
  return {
    worldId: options.worldId,
    bots: bots.length,
    connected: connected.length,
    failedToConnect: bots.length - connected.length,
    dropped: connected.filter((b) => b.error !== undefined).length,
    durationS: Math.round(playMs) / 1000,
    ratePerSecond: ratePerS,
    commands: {
      sent: sum(bots, (b) => b.sent),
      accepted: sum(bots, (b) => b.accepted),
      duplicate: sum(bots, (b) => b.duplicate),
      rejected: sum(bots, (b) => b.rejected),
      unanswered: sum(bots, (b) => b.unanswered + b.inFlight),
    },
    gatewayErrors: sum(bots, (b) => b.gatewayErrors),
    pushes: sum(bots, (b) => b.pushes),
    latency: summarizeLatency(bots.flatMap((b) => b.latenciesMs)),
    ackLatency: summarizeLatency(bots.flatMap((b) => b.ackLatenciesMs)),
    unseenPlayers: connected.filter((b) => !b.seenSelf && b.pushes >= 2).map((b) => b.playerId),
    errors: errors.list(),
    players: bots.map((b) => b.summary()),
  };
}

function sum(bots: readonly Bot[], of: (bot: Bot) => number): number {
  let total = 0;
  for (const b of bots) total += of(b);
  return total;
}
