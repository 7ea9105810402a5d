/**
 * What a run of bots is asked (its options), what it reports, and how the report and its progress
 * line print: latency percentiles (nearest rank) and the tables of `ledgerquest bots`.
 */
import type { BotFactory } from "@ledgerquest/runtime";

export interface BotsProgress {
  readonly phase: "connecting" | "playing" | "finishing";
  /** Since the bots started to connect. */
  readonly elapsedS: number;
  /** Play time asked for. */
  readonly durationS: number;
  readonly bots: number;
  readonly connected: number;
  readonly failed: number;
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly pushes: number;
  /** Median latency so far, or null before the first sample. */
  readonly p50Ms: number | null;
}

export interface BotsOptions {
  /** Where clients connect: the local stack's `ws://127.0.0.1:<port>/local`, or a `wss://` stage URL. */
  readonly websocketUrl: string;
  readonly worldId: string;
  /** A token for a player (the local IdP's `fetchDevToken`, or the stack's `token`). */
  readonly token: (playerId: string) => Promise<string>;
  readonly count: number;
  /** How each bot plays: the project's `bot` (`ledgerquest.config.ts`). */
  readonly policy: BotFactory;
  /** How long the bots play once they have connected. */
  readonly seconds: number;
  /** Commands per second per bot (the policy may skip some). Default `DEFAULT_RATE_PER_S`. */
  readonly ratePerSecond?: number;
  /** Who the bots play as. Default `player_<first>`.. (`numberedPlayerIds(count, firstPlayer)`). */
  readonly players?: readonly string[];
  /** The number of the first player when `players` is not given. Default 1. */
  readonly firstPlayer?: number;
  /** Connections opened at once: a load run should not be a connection storm. Default 25. */
  readonly connectConcurrency?: number;
  /** Per connection, token included. Default 15 s. */
  readonly connectTimeoutMs?: number;
  /**
   * After play, how long to wait for answers to the last commands and for the push that follows
   * them, before closing. Default 5 s.
   */
  readonly drainTimeoutMs?: number;
  readonly onProgress?: (progress: BotsProgress) => void;
  /** Default 1,000 ms. */
  readonly progressEveryMs?: number;
  /** Ends the run early (Ctrl-C): connecting stops, play ends, the report is still made. */
  readonly signal?: AbortSignal;
}

export interface LatencySummary {
  readonly samples: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

export interface BotSummary {
  readonly playerId: string;
  readonly connected: boolean;
  /** Why it could not connect, or why its connection ended early. */
  readonly error?: string;
  readonly sent: number;
  readonly accepted: number;
  readonly duplicate: number;
  readonly rejected: number;
  readonly pushes: number;
  /** Whether its own player ever appeared in a push (see `BotsReport.unseenPlayers`). */
  readonly seenSelf: boolean;
  /** The player's balances in the last push that carried its profile (`you`), if any did. */
  readonly balances: Readonly<Record<string, number>> | null;
}

export interface BotsReport {
  readonly worldId: string;
  readonly bots: number;
  readonly connected: number;
  readonly failedToConnect: number;
  /** Connections the server closed before the end. */
  readonly dropped: number;
  /** Play time, from the end of connecting to the end of play. */
  readonly durationS: number;
  readonly ratePerSecond: number;
  readonly commands: {
    readonly sent: number;
    readonly accepted: number;
    readonly duplicate: number;
    readonly rejected: number;
    /** Sent but answered by neither an ack nor an error frame before the bots closed. */
    readonly unanswered: number;
  };
  /** API Gateway's own error frames (`Internal server error`, a timed-out integration). */
  readonly gatewayErrors: number;
  readonly pushes: number;
  /** Command to push; see the module's comment for what exactly is measured. */
  readonly latency: LatencySummary;
  /** Command to its ack. */
  readonly ackLatency: LatencySummary;
  /**
   * Players who received pushes, yet never appeared in them: the world has no such player (it
   * may watch the world, and its commands are refused with `not_a_member`).
   */
  readonly unseenPlayers: readonly string[];
  /** Distinct error messages, most frequent first. */
  readonly errors: readonly { readonly message: string; readonly count: number }[];
  readonly players: readonly BotSummary[];
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

export function summarizeLatency(samplesMs: readonly number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const round = (v: number | null) => (v === null ? null : Math.round(v));
  return {
    samples: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? null),
  };
}

function thousands(n: number): string {
  return n.toLocaleString("en-US");
}

/** The one-line progress `ledgerquest bots` keeps rewriting. */
export function progressLine(p: BotsProgress): string {
  const clock =
    p.phase === "connecting"
      ? "connecting"
      : p.phase === "finishing"
        ? "finishing"
        : `${Math.min(p.durationS, Math.floor(p.elapsedS))}s`;
  return `bots ${p.connected}/${p.bots} connected${p.failed > 0 ? ` (${p.failed} failed)` : ""} | ${clock} | sent ${thousands(p.sent)}, accepted ${thousands(p.accepted)}, rejected ${thousands(p.rejected)} | pushes ${thousands(p.pushes)} | p50 ${p.p50Ms === null ? "-" : `${thousands(p.p50Ms)} ms`}`;
}

/** The report as `ledgerquest bots` prints it. */
export function formatBotsReport(r: BotsReport): string {
  const ms = (v: number | null) => (v === null ? "-" : `${thousands(v)} ms`);
  const lines = [
    `bots: ${r.connected} of ${r.bots} connected to world "${r.worldId}", played ${r.durationS} s at ${r.ratePerSecond} command(s)/s each${r.dropped > 0 ? `; ${r.dropped} dropped by the server` : ""}`,
    `commands: ${thousands(r.commands.sent)} sent, ${thousands(r.commands.accepted)} accepted, ${thousands(r.commands.duplicate)} duplicate, ${thousands(r.commands.rejected)} rejected, ${thousands(r.commands.unanswered)} unanswered${r.gatewayErrors > 0 ? ` (${thousands(r.gatewayErrors)} gateway errors)` : ""}`,
    `pushes: ${thousands(r.pushes)} received`,
    `latency: ack p50 ${ms(r.ackLatency.p50Ms)}, p99 ${ms(r.ackLatency.p99Ms)}; shown (send to the first state push after the ack) p50 ${ms(r.latency.p50Ms)}, p99 ${ms(r.latency.p99Ms)}, max ${ms(r.latency.maxMs)} over ${thousands(r.latency.samples)} command(s)`,
  ];
  const held = r.players.filter(
    (p): p is BotSummary & { balances: Readonly<Record<string, number>> } => p.balances !== null,
  );
  const describe = (b: Readonly<Record<string, number>>) =>
    Object.entries(b)
      .filter(([, amount]) => amount !== 0)
      .map(([unit, amount]) => `${amount} ${unit}`)
      .join(" ") || "nothing";
  if (held.length > 0 && held.length <= 8) {
    lines.push(`balances: ${held.map((p) => `${p.playerId} ${describe(p.balances)}`).join(", ")}`);
  } else if (held.length > 8) {
    // A load run's hundreds of players would bury the report.
    lines.push(`balances: ${held.length} players' balances changed`);
  }
  if (r.errors.length === 0) lines.push("errors: none");
  else {
    lines.push("errors:");
    for (const e of r.errors) lines.push(`  ${e.count} x ${e.message}`);
  }
  if (r.unseenPlayers.length > 0) {
    lines.push(
      `warning: ${r.unseenPlayers.join(", ")} never appeared in the pushes: the world has no such player, so they may watch it and their commands are refused (seed a world with enough players: ledgerquest seed --world <id> --players <n>)`,
    );
  }
  if (r.connected > 0 && r.pushes === 0) {
    lines.push(
      `warning: no state pushes arrived: is world "${r.worldId}"'s game loop running? (\`ledgerquest seed\` starts the loop of a world it creates; \`ledgerquest dev\` of its own world)`,
    );
  }
  return lines.join("\n");
}
