/**
 * Tracked players for the fault driver: real WebSocket clients that send commands at a steady
 * pace and keep every command's fate. A command without a final answer (none came, the
 * connection dropped, `rate_limited`, `busy`, API Gateway's "Internal server error") is sent
 * again with the same id until one comes: `accepted`, or `duplicate` (the first was accepted), as
 * a well-behaved client does. What the server acknowledged is then checked against what the world
 * applied.
 */
import WebSocket from "ws";

export type CommandFate = "pending" | "accepted" | "duplicate" | "refused";

interface Tracked {
  fate: CommandFate;
  sends: number;
  firstSentMs: number;
  lastSentMs: number;
  /** When the final answer came (0 until one does). */
  answeredMs: number;
  readonly body: string;
}

/** Answers that mean "not stored, send again". */
const RETRY_CODES: ReadonlySet<string> = new Set(["rate_limited", "busy", "not_in_world"]);

export class TrackedPlayer {
  readonly #commands = new Map<string, Tracked>();
  #socket: WebSocket | undefined;
  #next = 0;
  /** Refusals that are not a client's fault, by code: they would be bugs. */
  readonly refusals = new Map<string, number>();
  gatewayErrors = 0;

  constructor(
    readonly playerId: string,
    private readonly random: () => number,
  ) {}

  /** Connects (again) to `url` with `token`; resolves once open, rejects if refused. */
  async connect(url: string, token: string): Promise<void> {
    this.disconnect();
    const socket = new WebSocket(`${url}&token=${token}`);
    this.#socket = socket;
    socket.on("message", (data) => this.#answer(String(data)));
    socket.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("unexpected-response", (_req, res) =>
        reject(new Error(`HTTP ${res.statusCode}`)),
      );
      socket.once("error", reject);
    });
  }

  disconnect(): void {
    this.#socket?.removeAllListeners("message");
    this.#socket?.terminate();
    this.#socket = undefined;
  }

  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Sends one new command. */
  sendNew(nowMs: number): void {
    const id = `${this.playerId}-${this.#next++}`;
    const dx = Math.round((this.random() * 2 - 1) * 100) / 100;
    const dy = Math.round((this.random() * 2 - 1) * 100) / 100;
    const body = JSON.stringify({ action: "command", id, type: "move", data: { dx, dy } });
    this.#commands.set(id, {
      fate: "pending",
      sends: 0,
      firstSentMs: nowMs,
      lastSentMs: 0,
      answeredMs: 0,
      body,
    });
    this.#send(id, nowMs);
  }

  /**
   * Sends again, oldest first, up to `max` commands without a final answer: a command's n-th
   * resend waits `afterMs` × 2^(n-1), at most 16 × `afterMs`, so a client backs off from a server
   * that answers `busy` or nothing, and keeps within its rate limit, backlog or not.
   */
  resendPending(nowMs: number, afterMs: number, max: number): void {
    let sent = 0;
    for (const [id, c] of this.#commands) {
      if (sent >= max) return;
      const waitMs = afterMs * 2 ** Math.min(4, Math.max(0, c.sends - 1));
      if (c.fate === "pending" && nowMs - c.lastSentMs >= waitMs) {
        this.#send(id, nowMs);
        sent++;
      }
    }
  }

  #send(id: string, nowMs: number): void {
    const c = this.#commands.get(id);
    if (c === undefined || !this.connected) return;
    c.sends++;
    c.lastSentMs = nowMs;
    this.#socket?.send(c.body);
  }

  readonly #last: string[] = [];

  /** The last few answers, for a report of what is stuck. */
  lastAnswers(): readonly string[] {
    return [...this.#last];
  }

  #answer(text: string): void {
    if (!text.includes('"type":"state"')) {
      this.#last.push(text.slice(0, 160));
      if (this.#last.length > 3) this.#last.shift();
    }
    let frame: { type?: string; id?: string; result?: string; code?: string; message?: string };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return;
    }
    if (frame.type === "state") return;
    if (frame.type === undefined && typeof frame.message === "string") {
      // API Gateway's own answer: no id to tell which command; the resend covers it.
      this.gatewayErrors++;
      return;
    }
    const c = frame.id === undefined ? undefined : this.#commands.get(frame.id);
    if (c === undefined) return;
    if (frame.type === "ack" && (frame.result === "accepted" || frame.result === "duplicate")) {
      // The first final answer stands: a later `duplicate` for an accepted command says the same.
      if (c.fate === "pending") {
        c.fate = frame.result;
        c.answeredMs = Date.now();
      }
      return;
    }
    if (frame.type === "error" && frame.code !== undefined && !RETRY_CODES.has(frame.code)) {
      c.fate = "refused";
      this.refusals.set(frame.code, (this.refusals.get(frame.code) ?? 0) + 1);
    }
  }

  /** Commands by fate. */
  fates(): Readonly<Record<CommandFate, readonly string[]>> {
    const out: Record<CommandFate, string[]> = {
      pending: [],
      accepted: [],
      duplicate: [],
      refused: [],
    };
    for (const [id, c] of this.#commands) out[c.fate].push(id);
    return out;
  }

  /** A command's life on this side, for the report of a lost one. */
  story(id: string): string {
    const c = this.#commands.get(id);
    if (c === undefined) return `${id}: never sent`;
    return `${id}: ${c.fate} at ${c.answeredMs} after ${c.sends} send(s), first at ${c.firstSentMs}, last at ${c.lastSentMs}`;
  }

  /** Sends of commands that had been sent before: the client's own retries. */
  get resends(): number {
    let n = 0;
    for (const c of this.#commands.values()) n += Math.max(0, c.sends - 1);
    return n;
  }
}
