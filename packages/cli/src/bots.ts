/**
 * The bot client: real WebSocket players, each with its own token, that play the arena for demos
 * and load. `ledgerquest bots` runs it against the local stack; the load test calls `runBots`.
 *
 * A bot is what a game client is: it connects with `?world=<id>&token=<jwt>`, keeps a local view
 * of the world from the `state` pushes (`full` replaces it, `changed` updates it, `removed`
 * deletes from it), steers its player towards the nearest coin it knows of with `move` commands
 * at a fixed rate, and counts the answers (`ack` accepted or duplicate, `error`).
 *
 * What a bot can see: pushes carry what changed in a batch, and a new connection gets no full
 * view, so a coin that lies still is unknown until something collects it and it reappears
 * elsewhere. Until a bot knows a coin (or its own position), it wanders.
 *
 * Bots play as existing players of the world (`player_0001`.. by default, the ids `seed` and
 * `dev` create): the arena ignores moves of a player it does not have, although the command is
 * accepted, so a bot that never sees its own player in the pushes is reported.
 *
 * Latency (command to push) is approximate: it is the time from sending a command to the first
 * state push that arrives after the command's ack. Acks and pushes travel on the same socket, in
 * order, so that push comes from a batch that committed after the command was queued; it is the
 * batch that applies the command unless that batch had drained its inbox before the command
 * arrived, in which case the command shows one batch later and the figure is low by up to one
 * batch period. Pushes carry no command ids, so nothing tighter can be measured from a client.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { DevTokenResponse } from "@ledgerquest/local";
import type { EntityView } from "@ledgerquest/runtime";
import WebSocket, { type RawData } from "ws";
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
  /** How long the bots play once they have connected. */
  readonly seconds: number;
  /** `move` commands per second per bot. Default `DEFAULT_RATE_PER_S`. */
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
  /** The player's gold in the last push that carried its profile (`you`), if any did. */
  readonly gold: number | null;
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
// Steering

/** A unit direction rounded to the thousandth, inside the `move` command's [-1, 1] bounds. */
function direction(dx: number, dy: number): { readonly dx: number; readonly dy: number } {
  const length = Math.sqrt(dx * dx + dy * dy);
  if (length === 0) return { dx: 0, dy: 0 };
  // Rounding and clamping: a square root's last bit could put a component a hair past 1.
  const unit = (v: number) => Math.min(1, Math.max(-1, Math.round((v / length) * 1000) / 1000));
  return { dx: unit(dx), dy: unit(dy) };
}

/**
 * Where a player should head: towards the nearest coin in `view` that is not `ignored`, from its
 * own entity (kind `player`, named after it). Undefined when it does not know where it is or
 * knows no coin.
 */
export function steer(
  view: ReadonlyMap<number, EntityView>,
  playerId: string,
  ignored: ReadonlySet<number> = new Set(),
): { readonly dx: number; readonly dy: number; readonly coin: number } | undefined {
  let me: EntityView | undefined;
  for (const e of view.values()) {
    if (e.kind === "player" && e.name === playerId) {
      me = e;
      break;
    }
  }
  if (me === undefined) return undefined;
  let best: EntityView | undefined;
  let bestD2 = Number.POSITIVE_INFINITY;
  for (const e of view.values()) {
    if (e.kind !== "coin" || ignored.has(e.id)) continue;
    const d2 = (e.x - me.x) ** 2 + (e.y - me.y) ** 2;
    if (d2 < bestD2) {
      bestD2 = d2;
      best = e;
    }
  }
  if (best === undefined) return undefined;
  return { ...direction(best.x - me.x, best.y - me.y), coin: best.id };
}

// ---------------------------------------------------------------------------------------------
// Frames from the server

interface StateFrame {
  readonly full: boolean;
  readonly changed: readonly EntityView[];
  readonly removed: readonly number[];
  readonly gold: number | null;
}

function isEntityView(value: unknown): value is EntityView {
  return (
    isRecord(value) &&
    typeof value.id === "number" &&
    typeof value.kind === "string" &&
    typeof value.x === "number" &&
    typeof value.y === "number" &&
    (value.name === undefined || typeof value.name === "string")
  );
}

/** A `state` push, checked as far as a bot relies on it; undefined if it is not one. */
function stateFrame(frame: Record<string, unknown>): StateFrame | undefined {
  const { changed, removed, full, you } = frame;
  if (!Array.isArray(changed) || !changed.every(isEntityView)) return undefined;
  if (!Array.isArray(removed) || !removed.every((id) => typeof id === "number")) return undefined;
  const balances = isRecord(you) && isRecord(you.balances) ? you.balances : undefined;
  return {
    full: full === true,
    changed,
    removed,
    gold: typeof balances?.gold === "number" ? balances.gold : null,
  };
}

// ---------------------------------------------------------------------------------------------
// One bot

/** How long a bot chases a coin it does not reach before looking for another. */
const GIVE_UP_ON_COIN_MS = 12_000;
/** How long it then leaves that coin aside (it may be behind a wall). */
const IGNORE_COIN_MS = 30_000;
/** How often a wandering bot picks a new heading. */
const WANDER_EVERY_MS = 2_000;
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

class Bot {
  socket: WebSocket | undefined;
  connected = false;
  closing = false;
  error: string | undefined;
  sent = 0;
  accepted = 0;
  duplicate = 0;
  rejected = 0;
  gatewayErrors = 0;
  pushes = 0;
  seenSelf = false;
  gold: number | null = null;
  readonly latenciesMs: number[] = [];
  readonly view = new Map<number, EntityView>();
  /** Commands sent and not answered yet: id -> when sent (performance.now()). */
  readonly pending = new Map<string, number>();
  /** Send times of accepted commands waiting for the next push. */
  awaitingPush: number[] = [];
  #seq = 0;
  /** Unique per connection, so a bot replaying as the same player never reuses a command id. */
  readonly #idPrefix = `bot-${randomBytes(6).toString("hex")}`;
  #timer: NodeJS.Timeout | undefined;
  #start: NodeJS.Timeout | undefined;
  #target: { coin: number; sinceMs: number } | undefined;
  readonly #ignored = new Map<number, number>();
  #wander = { dx: 0, dy: 0, untilMs: 0 };

  constructor(
    readonly playerId: string,
    private readonly errors: ErrorTally,
  ) {}

  async connect(options: BotsOptions, timeoutMs: number): Promise<void> {
    const deadline = AbortSignal.timeout(timeoutMs);
    let token: string;
    try {
      token = await Promise.race([
        options.token(this.playerId),
        new Promise<never>((_, reject) =>
          deadline.addEventListener("abort", () =>
            reject(new BotsError(`no token within ${timeoutMs} ms`)),
          ),
        ),
      ]);
    } catch (error) {
      this.fail(`token: ${(error as Error).message}`);
      return;
    }
    const url = new URL(options.websocketUrl);
    url.searchParams.set("world", options.worldId);
    url.searchParams.set("token", token);
    try {
      this.socket = await openSocket(url.href, timeoutMs);
    } catch (error) {
      this.fail((error as Error).message);
      return;
    }
    this.connected = true;
    this.socket.on("message", (data: RawData) => this.#receive(data));
    this.socket.on("close", (code: number, reason: Buffer) => {
      if (this.closing) return;
      this.error = `the server closed the connection (${code}${reason.length > 0 ? ` ${reason.toString("utf8")}` : ""})`;
      this.errors.add(this.error);
      this.stop();
    });
    this.socket.on("error", (error: Error) => this.errors.add(`socket: ${error.message}`));
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
      this.socket?.readyState === WebSocket.OPEN &&
      (this.pending.size > 0 || this.awaitingPush.length > 0)
    );
  }

  async close(): Promise<void> {
    this.stop();
    this.closing = true;
    const socket = this.socket;
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 3_000);
      socket.once("close", () => {
        clearTimeout(force);
        resolve();
      });
      socket.close(1000, "bots done");
    });
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
      gold: this.gold,
    };
  }

  #send(): void {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) return;
    const nowMs = performance.now();
    for (const [coin, untilMs] of this.#ignored) if (untilMs <= nowMs) this.#ignored.delete(coin);
    let heading = steer(this.view, this.playerId, new Set(this.#ignored.keys()));
    if (heading !== undefined) {
      if (this.#target?.coin !== heading.coin) {
        this.#target = { coin: heading.coin, sinceMs: nowMs };
      } else if (nowMs - this.#target.sinceMs > GIVE_UP_ON_COIN_MS) {
        this.#ignored.set(heading.coin, nowMs + IGNORE_COIN_MS);
        this.#target = undefined;
        heading = undefined;
      }
    }
    let move: { dx: number; dy: number };
    if (heading === undefined) {
      if (nowMs >= this.#wander.untilMs) {
        const angle = Math.random() * 2 * Math.PI;
        this.#wander = {
          ...direction(Math.cos(angle), Math.sin(angle)),
          untilMs: nowMs + WANDER_EVERY_MS,
        };
      }
      move = { dx: this.#wander.dx, dy: this.#wander.dy };
    } else {
      move = { dx: heading.dx, dy: heading.dy };
    }
    this.#seq += 1;
    const id = `${this.#idPrefix}-${this.#seq}`;
    this.pending.set(id, nowMs);
    this.sent += 1;
    socket.send(JSON.stringify({ action: "command", id, type: "move", data: move }));
  }

  #receive(data: RawData): void {
    const nowMs = performance.now();
    let frame: unknown;
    try {
      frame = JSON.parse(rawText(data));
    } catch {
      this.errors.add("a frame that is not JSON");
      return;
    }
    if (!isRecord(frame)) {
      this.errors.add("a frame that is not a JSON object");
      return;
    }
    if (frame.type === "ack") {
      const id = typeof frame.id === "string" ? frame.id : "";
      const sentMs = this.pending.get(id);
      this.pending.delete(id);
      if (frame.result === "duplicate") this.duplicate += 1;
      else {
        this.accepted += 1;
        if (sentMs !== undefined) this.awaitingPush.push(sentMs);
      }
    } else if (frame.type === "error") {
      if (typeof frame.id === "string") this.pending.delete(frame.id);
      this.rejected += 1;
      this.errors.add(`rejected (${String(frame.code)}): ${String(frame.message)}`);
    } else if (frame.type === "state") {
      const state = stateFrame(frame);
      if (state === undefined) {
        this.errors.add("a state push without changed/removed entity lists");
        return;
      }
      this.pushes += 1;
      for (const sentMs of this.awaitingPush) this.latenciesMs.push(nowMs - sentMs);
      this.awaitingPush = [];
      this.#apply(state);
    } else if (typeof frame.message === "string") {
      // API Gateway's own frames ({message, connectionId, requestId}) answer a failed integration;
      // they name no command, so the command stays unanswered.
      this.gatewayErrors += 1;
      this.errors.add(`gateway: ${frame.message}`);
    } else {
      this.errors.add(`an unexpected frame: ${JSON.stringify(frame).slice(0, 120)}`);
    }
  }

  #apply(state: StateFrame): void {
    if (state.full) this.view.clear();
    for (const id of state.removed) this.view.delete(id);
    for (const e of state.changed) {
      this.view.set(e.id, e);
      // A coin that moved was collected and reappeared: worth chasing again.
      if (e.kind === "coin") this.#ignored.delete(e.id);
      if (e.kind === "player" && e.name === this.playerId) this.seenSelf = true;
    }
    if (state.gold !== null) this.gold = state.gold;
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

/** Opens a socket; a refused handshake is an error with its status and the server's message. */
function openSocket(url: string, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { handshakeTimeout: timeoutMs });
    socket.once("open", () => resolve(socket));
    socket.once("unexpected-response", (request, response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let message = text.slice(0, 200);
        try {
          const body: unknown = JSON.parse(text);
          if (isRecord(body) && typeof body.message === "string") message = body.message;
        } catch {
          // Not JSON: the text itself says it.
        }
        reject(new BotsError(`HTTP ${response.statusCode}${message === "" ? "" : `: ${message}`}`));
        request.destroy();
      });
    });
    socket.once("error", (error: Error) => reject(new BotsError(error.message)));
  });
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
  const bots = players.map((p) => new Bot(p, errors));
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
      unanswered: sum(bots, (b) => b.pending.size),
    },
    gatewayErrors: sum(bots, (b) => b.gatewayErrors),
    pushes: sum(bots, (b) => b.pushes),
    latency: summarizeLatency(bots.flatMap((b) => b.latenciesMs)),
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
    `latency: p50 ${ms(r.latency.p50Ms)}, p99 ${ms(r.latency.p99Ms)}, max ${ms(r.latency.maxMs)} over ${thousands(r.latency.samples)} command(s) (send to the first state push after the ack)`,
  ];
  const gold = r.players.filter((p): p is BotSummary & { gold: number } => p.gold !== null);
  if (gold.length > 0 && gold.length <= 8) {
    lines.push(`gold: ${gold.map((p) => `${p.playerId} ${p.gold}`).join(", ")}`);
  } else if (gold.length > 8) {
    // A load run's hundreds of players would bury the report: their spread says enough.
    const amounts = gold.map((p) => p.gold);
    lines.push(
      `gold: ${gold.length} players' purses changed, from ${Math.min(...amounts)} to ${Math.max(...amounts)}`,
    );
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
