/**
 * The bot client: real WebSocket players, each a client of the SDK (`@ledgerquest/client`) with
 * its own token, that play a project's game for demos and load. `ledgerquest bots` runs it
 * against the local stack; the load benchmark calls `runBots`.
 *
 * How a bot plays is the project's `bot` (`ledgerquest.config.ts`, a `BotFactory`): at a fixed
 * rate each bot asks its policy for a command, given the world as its client's store knows it
 * (the pushes, applied by the SDK), and sends it; the SDK resends a command with its id until it
 * is answered. The run counts the answers (accepted, duplicate, refused with a code).
 *
 * Bots play as existing players of the world (`player_0001`.. by default, the ids `seed` and
 * `dev` create): a bot that never sees its own player in the pushes is reported.
 *
 * Latency is measured twice: from a command's send to its ack, and to the push that shows it
 * (command to visible): the first push whose `applied` names the command's id, sent with the
 * world as it is after the tick that applied the command.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Client, WebSocketConstructor } from "@ledgerquest/client";
import type { JsonValue } from "@ledgerquest/engine";
import type { DevTokenResponse } from "@ledgerquest/local";
import type { BotCommand, BotFactory, BotPolicy } from "@ledgerquest/runtime";
import { numberedPlayerIds } from "./commands/seed.js";

export class BotsError extends Error {
  override readonly name = "BotsError";
}

/** Commands per second per bot, when not chosen: a pace a person steering keeps. */
export const DEFAULT_RATE_PER_S = 2;
/** The highest rate a bot may send at. */
export const MAX_RATE_PER_S = 50;

// ---------------------------------------------------------------------------------------------
// Tokens from the local stack's identity provider

export class DevTokenError extends Error {
  override readonly name = "DevTokenError";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function causeCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === "string" ? cause.code : String((error as Error).message);
}

/** A dev token for `playerId` from the identity provider at `idpUrl` (its `GET /token`). */
export async function fetchDevToken(
  idpUrl: string,
  playerId: string,
  options: { readonly expiresInSeconds?: number } = {},
): Promise<DevTokenResponse> {
  const url = new URL("/token", idpUrl);
  url.searchParams.set("player", playerId);
  if (options.expiresInSeconds !== undefined) {
    url.searchParams.set("expiresIn", String(options.expiresInSeconds));
  }
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new DevTokenError(
      `the local stack's identity provider at ${idpUrl} does not answer (${causeCode(error)}): is \`ledgerquest dev\` still running? Start it with \`npm start\``,
      { cause: error },
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    if (response.status === 404) {
      throw new DevTokenError(
        `the identity provider at ${idpUrl} has no token endpoint: restart \`ledgerquest dev\` from this version of the project`,
      );
    }
    const message =
      isRecord(body) && typeof body.message === "string" ? body.message : `HTTP ${response.status}`;
    throw new DevTokenError(`no token for ${JSON.stringify(playerId)}: ${message}`);
  }
  if (!isRecord(body) || typeof body.token !== "string" || typeof body.expiresAt !== "string") {
    throw new DevTokenError(
      `the identity provider at ${idpUrl} answered something that is not a token: ${text.slice(0, 200)}`,
    );
  }
  return { token: body.token, expiresAt: body.expiresAt };
}

// ---------------------------------------------------------------------------------------------
// Options and report

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

// ---------------------------------------------------------------------------------------------
// One bot

/** Distinct error messages kept; past this, further ones are counted under one entry. */
const MAX_DISTINCT_ERRORS = 50;

class ErrorTally {
  readonly #counts = new Map<string, number>();

  add(message: string): void {
    const key =
      this.#counts.has(message) || this.#counts.size < MAX_DISTINCT_ERRORS
        ? message
        : "(other errors)";
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  list(): { readonly message: string; readonly count: number }[] {
    return [...this.#counts]
      .map(([message, count]) => ({ message, count }))
      .sort((a, b) => b.count - a.count || a.message.localeCompare(b.message));
  }
}

function numericBalances(you: unknown): Record<string, number> | null {
  if (!isRecord(you) || !isRecord(you.balances)) return null;
  const out: Record<string, number> = {};
  for (const [unit, amount] of Object.entries(you.balances)) {
    if (typeof amount === "number") out[unit] = amount;
  }
  return out;
}

/** One bot: a client of the SDK playing one player with the project's policy. */
class Bot {
  client: Client | undefined;
  connected = false;
  closing = false;
  error: string | undefined;
  sent = 0;
  accepted = 0;
  duplicate = 0;
  rejected = 0;
  unanswered = 0;
  gatewayErrors = 0;
  pushes = 0;
  seenSelf = false;
  balances: Record<string, number> | null = null;
  readonly latenciesMs: number[] = [];
  readonly ackLatenciesMs: number[] = [];
  /** Commands sent and not answered yet. */
  inFlight = 0;
  /** Send times of commands, by id, until a push names them as applied. */
  readonly awaitingPush = new Map<string, number>();
  #sequence = 0;
  /** Tells this bot's command ids from any earlier run's (the world remembers ids for days). */
  readonly #idPrefix = randomUUID().slice(0, 8);
  #timer: NodeJS.Timeout | undefined;
  #start: NodeJS.Timeout | undefined;
  readonly #policy: BotPolicy;

  constructor(
    readonly playerId: string,
    policy: BotFactory,
    private readonly errors: ErrorTally,
  ) {
    this.#policy = policy(playerId);
  }

  async connect(options: BotsOptions, timeoutMs: number): Promise<void> {
    const [{ createClient }, { default: WebSocket }] = await Promise.all([
      import("@ledgerquest/client"),
      import("ws"),
    ]);
    const client = createClient({
      url: options.websocketUrl,
      world: options.worldId,
      token: () => options.token(this.playerId),
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      // A bot whose connection drops is reported as dropped, not quietly reconnected.
      reconnect: false,
    });
    this.client = client;
    client.on("push", (frame) => {
      const nowMs = performance.now();
      this.pushes += 1;
      for (const id of frame.applied ?? []) {
        const sentMs = this.awaitingPush.get(id);
        if (sentMs === undefined) continue;
        this.latenciesMs.push(nowMs - sentMs);
        this.awaitingPush.delete(id);
      }
    });
    client.on("state", () => {
      if (!this.seenSelf && client.store.byName(this.playerId) !== undefined) this.seenSelf = true;
      const balances = numericBalances(client.store.you);
      if (balances !== null) this.balances = balances;
    });
    client.on("problem", (problem) => {
      if (problem.kind === "gateway") {
        // API Gateway's own frames answer a failed integration; the client resends.
        this.gatewayErrors += 1;
        this.errors.add(`gateway: ${problem.message}`);
      } else if (problem.kind === "server") {
        this.errors.add(`server: ${problem.frame.code}: ${problem.frame.message}`);
      } else if (problem.kind === "unreadable") {
        this.errors.add(`an unreadable frame: ${problem.text.slice(0, 120)}`);
      } else {
        this.errors.add(`a listener threw on ${problem.event}`);
      }
    });
    client.on("connection", (status) => {
      if (this.closing || !this.connected) return;
      if (status.state === "closed" || status.state === "refused") {
        this.error = `the connection ended (${status.state})`;
        this.errors.add(this.error);
        this.stop();
      }
    });
    const status = await client.ready(timeoutMs);
    if (status.state === "connected") {
      this.connected = true;
      return;
    }
    const reason = (status as { readonly reason?: unknown }).reason;
    this.fail(typeof reason === "string" ? reason : `the connection is ${status.state}`);
    await client.close();
  }

  fail(message: string): void {
    this.error = message;
    this.errors.add(`connect: ${message}`);
  }

  /** Starts sending at `ratePerS`, from a random phase so that bots do not send in lockstep. */
  play(ratePerS: number): void {
    if (!this.connected) return;
    const intervalMs = 1000 / ratePerS;
    this.#start = setTimeout(() => {
      this.#send();
      this.#timer = setInterval(() => this.#send(), intervalMs);
    }, Math.random() * intervalMs);
  }

  stop(): void {
    clearTimeout(this.#start);
    clearInterval(this.#timer);
  }

  /** Whether answers or a push are still due. */
  waiting(): boolean {
    return (
      this.connected &&
      this.client?.status.state === "connected" &&
      (this.inFlight > 0 || this.awaitingPush.size > 0)
    );
  }

  async close(): Promise<void> {
    this.stop();
    this.closing = true;
    await this.client?.close();
  }

  summary(): BotSummary {
    return {
      playerId: this.playerId,
      connected: this.connected,
      ...(this.error === undefined ? {} : { error: this.error }),
      sent: this.sent,
      accepted: this.accepted,
      duplicate: this.duplicate,
      rejected: this.rejected,
      pushes: this.pushes,
      seenSelf: this.seenSelf,
      balances: this.balances,
    };
  }

  #send(): void {
    const client = this.client;
    if (client === undefined || client.status.state !== "connected") return;
    let command: BotCommand | undefined;
    try {
      command = this.#policy(
        {
          worldId: client.store.worldId ?? "",
          tick: client.store.tick,
          player: this.playerId,
          entities: [...client.store.entities.values()],
          ...(client.store.you === undefined
            ? {}
            : { you: client.store.you as unknown as JsonValue }),
          nowMs: performance.now(),
        },
        Math.random,
      );
    } catch (error) {
      this.errors.add(`the bot policy threw: ${(error as Error).message}`);
      return;
    }
    if (command === undefined) return;
    const sentMs = performance.now();
    this.sent += 1;
    this.inFlight += 1;
    // Ids of this run's own (a player's ids are remembered by the world for days).
    const id = `${this.#idPrefix}-${(this.#sequence++).toString(36)}`;
    this.awaitingPush.set(id, sentMs);
    void client.send(command.type, command.data ?? null, { id }).then((result) => {
      this.inFlight -= 1;
      if (result.ok) {
        this.ackLatenciesMs.push(performance.now() - sentMs);
        if (result.result === "duplicate") this.duplicate += 1;
        else this.accepted += 1;
      } else if (result.code === "closed" || result.code === "disconnected") {
        this.unanswered += 1;
        this.awaitingPush.delete(id);
      } else {
        this.rejected += 1;
        this.awaitingPush.delete(id);
        this.errors.add(`rejected (${result.code}): ${result.message}`);
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The run

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

// ---------------------------------------------------------------------------------------------
// Printing

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
