/**
 * The WebSocket to the world: connects with the token, reconnects after a loss with exponential
 * backoff and jitter (and says so), matches query results and acks to their frames, and tells the
 * page what state it is in. A browser cannot read the HTTP status of a refused handshake, so a
 * refusal is told apart from a loss by what is known: an expired token, or a socket that never
 * opened for this world.
 */
import { reconnectDelayMs, tokenExpired } from "./backoff.js";
import {
  type AckFrame,
  type ClientErrorFrame,
  classifyFrame,
  frameIdFactory,
  type QueryData,
  type QueryResults,
  type QueryType,
  type StatePushFrame,
} from "./protocol.js";

export type ConnectionStatus =
  | { readonly state: "connecting"; readonly attempt: number }
  | { readonly state: "connected"; readonly since: number }
  | {
      readonly state: "lost";
      readonly attempt: number;
      readonly retryAt: number;
      readonly reason: string;
    }
  /** The token's `exp` passed (checked before every attempt). */
  | { readonly state: "expired" }
  /** Never got in: the world does not exist (404) or the token was refused (401/403). */
  | { readonly state: "refused"; readonly reason: string }
  | { readonly state: "closed" };

/** A query or command the server answered with an error frame (or that could not be sent). */
export class FrameError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = "FrameError";
  }
}

export interface ConnectionOptions {
  /** The WebSocket API's URL (`wss://.../stage`), without query. */
  readonly url: string;
  readonly world: string;
  readonly token: string;
  readonly onStatus: (status: ConnectionStatus) => void;
  readonly onPush: (push: StatePushFrame) => void;
  /** After every successful (re)connection: the page asks `state` again. */
  readonly onOpen: () => void;
  /** Error frames that answer nothing the page is waiting for, and API Gateway's own failures. */
  readonly onStrayError?: (error: ClientErrorFrame | { code: "gateway"; message: string }) => void;
  /** Handshake failures before the first open that mean "refused" rather than "lost". Default 2. */
  readonly refuseAfter?: number;
  readonly queryTimeoutMs?: number;
  /** Overrides for tests: the clock and the socket class. */
  readonly now?: () => number;
  readonly WebSocketImpl?: typeof WebSocket;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class Connection {
  readonly #o: ConnectionOptions;
  readonly #nextId = frameIdFactory("q");
  readonly #nextCommandId = frameIdFactory("c");
  readonly #pending = new Map<string, Pending>();
  #ws: WebSocket | undefined;
  #attempt = 0;
  #everOpened = false;
  #failuresBeforeOpen = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #status: ConnectionStatus = { state: "connecting", attempt: 1 };

  constructor(options: ConnectionOptions) {
    this.#o = options;
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  get connected(): boolean {
    return this.#status.state === "connected";
  }

  start(): void {
    this.#closed = false;
    this.#open();
  }

  /** Reconnect now (the "retry now" button), forgetting the backoff. */
  retryNow(): void {
    if (this.#closed) return;
    clearTimeout(this.#retryTimer);
    this.#attempt = 0;
    this.#failuresBeforeOpen = 0;
    this.#ws?.close();
    this.#open();
  }

  /** Closes for good (sign out). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    const ws = this.#ws;
    this.#ws = undefined;
    ws?.close(1000, "signed out");
    this.#failAll("closed", "the connection was closed");
    this.#setStatus({ state: "closed" });
  }

  /** Asks a query; resolves with its result `data`, rejects with a FrameError. */
  query<T extends QueryType>(type: T, data?: QueryData[T]): Promise<QueryResults[T]> {
    const id = this.#nextId();
    return this.#request(id, { action: "query", id, type, ...(data ? { data } : {}) }) as Promise<
      QueryResults[T]
    >;
  }

  /** Sends a command with a fresh id; resolves with the ack. */
  command(type: string, data: unknown): Promise<AckFrame> {
    const id = this.#nextCommandId();
    return this.#request(id, { action: "command", id, type, data }) as Promise<AckFrame>;
  }

  #request(id: string, frame: object): Promise<unknown> {
    const ws = this.#ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new FrameError("not_connected", "not connected"));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new FrameError("timeout", "no answer from the server in time"));
      }, this.#o.queryTimeoutMs ?? 30_000);
      this.#pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify(frame));
    });
  }

  #open(): void {
    if (this.#closed) return;
    if (tokenExpired(this.#o.token, this.#now())) {
      this.#setStatus({ state: "expired" });
      return;
    }
    this.#attempt++;
    this.#setStatus({ state: "connecting", attempt: this.#attempt });
    const url = new URL(this.#o.url);
    url.searchParams.set("world", this.#o.world);
    url.searchParams.set("token", this.#o.token);
    const Impl = this.#o.WebSocketImpl ?? WebSocket;
    let ws: WebSocket;
    try {
      ws = new Impl(url.toString());
    } catch (error) {
      this.#setStatus({ state: "refused", reason: (error as Error).message });
      return;
    }
    this.#ws = ws;
    let opened = false;
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      opened = true;
      this.#everOpened = true;
      this.#attempt = 0;
      this.#failuresBeforeOpen = 0;
      this.#setStatus({ state: "connected", since: this.#now() });
      this.#o.onOpen();
    };
    ws.onmessage = (event) => {
      if (this.#ws !== ws) return;
      this.#onMessage(String(event.data));
    };
    ws.onclose = (event) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      this.#failAll("not_connected", "the connection was lost");
      if (this.#closed) return;
      if (!opened) this.#failuresBeforeOpen++;
      if (tokenExpired(this.#o.token, this.#now())) {
        this.#setStatus({ state: "expired" });
        return;
      }
      if (!this.#everOpened && this.#failuresBeforeOpen >= (this.#o.refuseAfter ?? 2)) {
        this.#setStatus({
          state: "refused",
          reason: `could not join world "${this.#o.world}": it does not exist (404), or the sign-in was refused (401)`,
        });
        return;
      }
      const delay = reconnectDelayMs(this.#attempt + 1);
      const reason = opened
        ? `closed (${event.code}${event.reason ? `: ${event.reason}` : ""})`
        : "the server did not answer";
      this.#setStatus({
        state: "lost",
        attempt: this.#attempt + 1,
        retryAt: this.#now() + delay,
        reason,
      });
      this.#retryTimer = setTimeout(() => this.#open(), delay);
    };
  }

  #onMessage(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return;
    }
    const f = classifyFrame(json);
    if (f === undefined) return;
    switch (f.kind) {
      case "state":
        this.#o.onPush(f.frame);
        return;
      case "result":
      case "ack": {
        const p = this.#take(f.frame.id);
        p?.resolve(f.kind === "result" ? f.frame.data : f.frame);
        return;
      }
      case "error": {
        const p = f.frame.id === undefined ? undefined : this.#take(f.frame.id);
        if (p !== undefined) p.reject(new FrameError(f.frame.code, f.frame.message, f.frame.path));
        else this.#o.onStrayError?.(f.frame);
        return;
      }
      case "failure":
        this.#o.onStrayError?.({ code: "gateway", message: f.frame.message });
        return;
    }
  }

  #take(id: string): Pending | undefined {
    const p = this.#pending.get(id);
    if (p === undefined) return undefined;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    return p;
  }

  #failAll(code: string, message: string): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.reject(new FrameError(code, message));
    }
  }

  #setStatus(status: ConnectionStatus): void {
    this.#status = status;
    this.#o.onStatus(status);
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }
}
