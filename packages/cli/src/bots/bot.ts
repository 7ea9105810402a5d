/**
 * One bot: a client of the SDK (`@ledgerquest/client`) playing one player with the project's
 * policy, counting its answers and timing its commands to the ack and to the push that shows them.
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Client, WebSocketConstructor } from "@ledgerquest/client";
import type { JsonValue } from "@ledgerquest/engine";
import type { BotCommand, BotFactory, BotPolicy } from "@ledgerquest/runtime";
import { isRecord } from "./json.js";
import type { BotSummary, BotsOptions } from "./report.js";

/** Distinct error messages kept; past this, further ones are counted under one entry. */
const MAX_DISTINCT_ERRORS = 50;

export class ErrorTally {
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
export class Bot {
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
