/**
 * One client per connection to one world: connects with a token, reconnects with backoff after a
 * loss, sends typed commands that apply exactly once (a command keeps its id through resends and
 * reconnects), asks queries, and keeps the world's state in a store. Everything that happens on
 * the wire is a value: `send` and `query` resolve, they never reject.
 */
import { type BackoffOptions, backoffDelayMs, DEFAULT_BACKOFF, retryDelayMs } from "./backoff.js";
import { Emitter } from "./emitter.js";
import { ClientOptionsError, NoWebSocketError } from "./errors.js";
import { frameIds, randomSessionId } from "./ids.js";
import {
  type CommandMap,
  type ErrorFrame,
  FRAME_ID_PATTERN,
  fitsInFrame,
  type QueryParams,
  type QueryResults,
  type QueryType,
  readServerFrame,
  type ServerErrorCode,
  type StatePushFrame,
} from "./protocol.js";
import {
  globalWebSocket,
  handshakeStatus,
  messageText,
  OPEN,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./socket.js";
import { type StateChange, WorldStore } from "./store.js";

/** Gives a token for each connection attempt (a fresh one after a reconnect, if it likes). */
export type TokenProvider = () => string | Promise<string>;

export interface ReconnectOptions extends BackoffOptions {
  /**
   * Attempts in a row, after a loss, before the client gives up (status `closed`).
   * @default Infinity
   */
  readonly maxAttempts?: number;
  /**
   * Failed attempts before the first connection ever opens after which the client takes the
   * world or the token as refused (status `refused`): a browser cannot read a refused
   * handshake's HTTP status, so it cannot tell a refusal from an outage. Where the status is
   * known (`ws` in Node), 400, 403 and 404 refuse at once, and 401 after a fresh token.
   * @default 5
   */
  readonly refuseAfter?: number;
}

export interface RetryOptions {
  /**
   * Resends of one frame the server answered `rate_limited` or `busy` (or an API Gateway failure)
   * before its answer is that error.
   * @default 5
   */
  readonly maxAttempts?: number;
  /**
   * The first delay when the server gives no `retryAfterMs` (`busy`), doubling.
   * @default 250
   */
  readonly baseMs?: number;
  /**
   * The longest wait before a resend, whatever `retryAfterMs` says.
   * @default 10_000
   */
  readonly maxDelayMs?: number;
}

export interface ClientOptions {
  /** The WebSocket API's URL, without query: `wss://<api>/<stage>`, `ws://127.0.0.1:<port>/local`. */
  readonly url: string;
  /** The world to join (`?world=`). */
  readonly world: string;
  /** The player's token (a JWT), or a function that gives one for each connection attempt. */
  readonly token: string | TokenProvider;
  /**
   * The WebSocket class. Default: the global `WebSocket` (browsers, Node 22); on Node 20 pass the
   * `ws` package's class, or import `connect` from `@ledgerquest/client/node`.
   */
  readonly WebSocket?: WebSocketConstructor;
  /**
   * Reconnecting after a loss, with exponential backoff and jitter; `false` never reconnects.
   * @default { baseMs: 500, maxMs: 15_000, maxAttempts: Infinity, refuseAfter: 5 }
   */
  readonly reconnect?: false | ReconnectOptions;
  /** Resending frames refused for now (`rate_limited`, `busy`). */
  readonly retry?: RetryOptions;
  /**
   * How long a command waits for its answer, connected or not, before it resolves `timeout`.
   * @default 60_000
   */
  readonly commandTimeoutMs?: number;
  /**
   * How long a query waits for its answer before it resolves `timeout`.
   * @default 30_000
   */
  readonly queryTimeoutMs?: number;
  /**
   * Commands and queries waiting for an answer at once; one more resolves `too_many_pending`.
   * @default 1000
   */
  readonly maxPending?: number;
  /**
   * The session part of command ids (1 to 40 of `A-Za-z0-9_.:-`). Default: 16 random hex
   * digits. Give the same one after a reload only together with ids of your own.
   */
  readonly idPrefix?: string;
  /**
   * Ask `state` after every (re)connection, so that the store has the game's description, the
   * player's profile and something to show before the first push comes. (A gap in the pushes is
   * mended by the next full push, which the server sends every connection every few seconds: a
   * `state` result, the whole world at the last commit, cannot be the base of the next delta.)
   * @default true
   */
  readonly syncState?: boolean;
  /** The clock of the store's and the status's times. @default Date.now */
  readonly now?: () => number;
  /** Draws in [0, 1) for the jitter. @default Math.random */
  readonly random?: () => number;
}

/** The state of the connection. */
export type ConnectionStatus =
  | { readonly state: "connecting"; readonly attempt: number }
  /** `connection` counts the connections that opened (1 for the first). */
  | { readonly state: "connected"; readonly since: number; readonly connection: number }
  | {
      readonly state: "reconnecting";
      readonly attempt: number;
      readonly retryInMs: number;
      readonly reason: string;
    }
  /** Never got in (or got a definite no): a world that does not exist, a refused token. Final. */
  | { readonly state: "refused"; readonly reason: string; readonly httpStatus?: number }
  /** Closed by the caller, or given up after `reconnect.maxAttempts`. Final. */
  | { readonly state: "closed"; readonly reason: string };

/** Codes of failures found on the client's side. */
export type ClientFailureCode =
  /** The connection is gone for good (refused, reconnecting off or given up). */
  | "disconnected"
  /** The client was closed. */
  | "closed"
  /** No answer in time: a command may or may not have been applied; send it again with its id. */
  | "timeout"
  /** `maxPending` frames already wait for an answer. */
  | "too_many_pending";

/** Why a command or query was not done: the server's error frame, or the client's own code. */
export interface Failure {
  readonly ok: false;
  readonly id: string;
  readonly code: ServerErrorCode | ClientFailureCode;
  readonly message: string;
  /** Where the problem is (`data.dx`), when it is in a field. */
  readonly path?: string;
  /** With `rate_limited` (after the client's own retries): how long until it may send again. */
  readonly retryAfterMs?: number;
}

/** A command's answer: acknowledged (applied exactly once, at a later tick) or a failure. */
export type SendResult<K extends string = string> =
  | {
      readonly ok: true;
      readonly id: string;
      readonly type: K;
      /** `duplicate`: an earlier sending of this id was stored; the command applies once. */
      readonly result: "accepted" | "duplicate";
      /** How many times the frame was sent (more than 1 after a reconnect or a retry). */
      readonly sends: number;
    }
  | Failure;

/** A query's answer. */
export type QueryResult<T extends QueryType> =
  | { readonly ok: true; readonly id: string; readonly query: T; readonly data: QueryResults[T] }
  | Failure;

export interface SendOptions {
  /**
   * The command's id: to send again a command whose answer never came (after a `timeout`, or a
   * reload with a saved id). Default: the next of the session's ids.
   */
  readonly id?: string;
  /** @default the client's `commandTimeoutMs` */
  readonly timeoutMs?: number;
}

export interface QueryOptions {
  /** @default the client's `queryTimeoutMs` */
  readonly timeoutMs?: number;
}

/** Something that went wrong that answers nothing the caller waits for. */
export type ClientProblem =
  /** An error frame for no frame waiting (an id already answered, or none readable). */
  | { readonly kind: "server"; readonly frame: ErrorFrame }
  /** API Gateway's own failure (`Internal server error`); unanswered frames are resent. */
  | { readonly kind: "gateway"; readonly message: string }
  /** Text that is not a frame of the protocol. */
  | { readonly kind: "unreadable"; readonly text: string }
  /** A listener threw. */
  | { readonly kind: "listener"; readonly event: string; readonly cause: unknown };

export interface ClientEvents {
  /** The store applied a push or a `state` result. */
  readonly state: StateChange;
  /** Every push as it came, before the store applies it. */
  readonly push: StatePushFrame;
  readonly connection: ConnectionStatus;
  readonly problem: ClientProblem;
}

interface Pending {
  readonly id: string;
  readonly kind: "command" | "query";
  readonly text: string;
  readonly promise: Promise<unknown>;
  readonly settle: (answer: unknown) => void;
  readonly deadline: ReturnType<typeof setTimeout>;
  /** The connection it was last sent on; undefined while waiting to be (re)sent. */
  sentOn: number | undefined;
  sends: number;
  /** When it was last sent, in this client's send order (see `#gatewayFailure`). */
  sentSeq: number;
  retries: number;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Its resend waits because it was taken to be the frame an API Gateway failure answered. */
  blamed: boolean;
}

const RETRYABLE: ReadonlySet<string> = new Set(["rate_limited", "busy"]);
/** Statuses that refuse a handshake for good (400 bad request, 403 denied, 404 no such world). */
const REFUSING_STATUS: ReadonlySet<number> = new Set([400, 403, 404]);

interface Settings {
  readonly url: URL;
  readonly world: string;
  readonly token: TokenProvider;
  /** Whether each attempt may get another token (a provider was given). */
  readonly freshTokens: boolean;
  readonly WebSocket: WebSocketConstructor;
  readonly reconnect: Required<ReconnectOptions> | false;
  readonly retry: Required<RetryOptions>;
  readonly commandTimeoutMs: number;
  readonly queryTimeoutMs: number;
  readonly maxPending: number;
  readonly syncState: boolean;
  readonly now: () => number;
  readonly random: () => number;
}

function positive(option: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(v > 0) || Number.isNaN(v)) {
    throw new ClientOptionsError(option, `must be a positive number, got ${String(value)}`);
  }
  return v;
}

function count(option: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!(v === Number.POSITIVE_INFINITY || (Number.isInteger(v) && v >= 0))) {
    throw new ClientOptionsError(
      option,
      `must be a whole number of at least 0, got ${String(value)}`,
    );
  }
  return v;
}

function parseUrl(raw: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch (error) {
    throw new ClientOptionsError("url", `${JSON.stringify(raw)} is not a URL`, { cause: error });
  }
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new ClientOptionsError("url", `must be ws:// or wss://, got ${url.protocol}//`);
  }
  if (url.searchParams.has("world") || url.searchParams.has("token")) {
    throw new ClientOptionsError("url", "give the world and the token as options, not in the URL");
  }
  return url;
}

function reconnectSettings(
  options: ClientOptions["reconnect"],
): Required<ReconnectOptions> | false {
  if (options === false) return false;
  const baseMs = positive("reconnect.baseMs", options?.baseMs, DEFAULT_BACKOFF.baseMs);
  const maxMs = positive("reconnect.maxMs", options?.maxMs, DEFAULT_BACKOFF.maxMs);
  if (maxMs < baseMs) {
    throw new ClientOptionsError("reconnect.maxMs", `must be at least baseMs (${baseMs})`);
  }
  return {
    baseMs,
    maxMs,
    maxAttempts: count("reconnect.maxAttempts", options?.maxAttempts, Number.POSITIVE_INFINITY),
    refuseAfter: count("reconnect.refuseAfter", options?.refuseAfter, 5),
  };
}

/** The options checked, with their defaults: a bad one throws `ClientOptionsError` naming it. */
function settingsOf(options: ClientOptions): Settings {
  if (typeof options !== "object" || options === null) {
    throw new ClientOptionsError("options", "give { url, world, token }");
  }
  const url = parseUrl(options.url);
  if (typeof options.world !== "string" || !/^[A-Za-z0-9_.:@-]{1,128}$/.test(options.world)) {
    throw new ClientOptionsError(
      "world",
      `must be 1 to 128 of A-Z a-z 0-9 _ . : @ -, got ${JSON.stringify(options.world)}`,
    );
  }
  const { token } = options;
  if (!(typeof token === "function" || (typeof token === "string" && token !== ""))) {
    throw new ClientOptionsError("token", "must be a token (a JWT) or a function giving one");
  }
  const WebSocket = options.WebSocket ?? globalWebSocket();
  if (WebSocket === undefined) throw new NoWebSocketError();
  if (typeof WebSocket !== "function") {
    throw new ClientOptionsError("WebSocket", "must be a WebSocket class");
  }
  const retry = options.retry ?? {};
  return {
    url,
    world: options.world,
    token: typeof token === "function" ? token : () => token,
    freshTokens: typeof token === "function",
    WebSocket,
    reconnect: reconnectSettings(options.reconnect),
    retry: {
      maxAttempts: count("retry.maxAttempts", retry.maxAttempts, 5),
      baseMs: positive("retry.baseMs", retry.baseMs, 250),
      maxDelayMs: positive("retry.maxDelayMs", retry.maxDelayMs, 10_000),
    },
    commandTimeoutMs: positive("commandTimeoutMs", options.commandTimeoutMs, 60_000),
    queryTimeoutMs: positive("queryTimeoutMs", options.queryTimeoutMs, 30_000),
    maxPending: count("maxPending", options.maxPending, 1000),
    syncState: options.syncState ?? true,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
  };
}

/** A failure value. */
function failure(
  id: string,
  code: Failure["code"],
  message: string,
  extra: { readonly path?: string | undefined; readonly retryAfterMs?: number | undefined } = {},
): Failure {
  return {
    ok: false,
    id,
    code,
    message,
    ...(extra.path === undefined ? {} : { path: extra.path }),
    ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }),
  };
}

/**
 * A client of one world. Make one with `createClient` (connects at once) or `connect` (waits for
 * the first connection); `close` it when done.
 *
 * @typeParam C - The game's commands by type (`CommandsOf<typeof game>`), for typed `send`.
 */
export class Client<C extends CommandMap = CommandMap> {
  /** The world as the pushes and `state` results say. */
  readonly store: WorldStore;
  /** The session part of this client's command ids. */
  readonly idPrefix: string;
  readonly #s: Settings;
  readonly #events: Emitter<ClientEvents>;
  readonly #commandId: () => string;
  readonly #queryId = frameIds("q");
  /** Commands and queries waiting for an answer, in the order they were made. */
  readonly #pending = new Map<string, Pending>();
  #status: ConnectionStatus = { state: "connecting", attempt: 1 };
  #socket: WebSocketLike | undefined;
  #connections = 0;
  #sends = 0;
  #attempt = 0;
  #everOpened = false;
  #failuresBeforeOpen = 0;
  #unauthorizedInRow = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #syncing = false;
  /** Counts `#open` calls: an attempt overtaken while it awaited its token stops there. */
  #opens = 0;

  /** Checks the options (throwing `ClientOptionsError`) and starts connecting. */
  constructor(options: ClientOptions) {
    this.#s = settingsOf(options);
    this.#events = new Emitter<ClientEvents>((cause, event) => {
      if (event !== "problem") this.#problem({ kind: "listener", event: String(event), cause });
    });
    this.store = new WorldStore((cause) =>
      this.#problem({ kind: "listener", event: "state", cause }),
    );
    this.store.subscribe((change) => this.#events.emit("state", change));
    this.idPrefix = options.idPrefix ?? randomSessionId();
    this.#commandId = frameIds(this.idPrefix);
    void this.#open();
  }

  /** The connection's state now. */
  get status(): ConnectionStatus {
    return this.#status;
  }

  /** Commands and queries sent or queued, and not answered yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Calls `listener` on every `event` (`state`, `push`, `connection`, `problem`) until the
   * returned function is called.
   */
  on<K extends keyof ClientEvents>(
    event: K,
    listener: (value: ClientEvents[K]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Resolves when the client is connected, or can no longer be (`refused`, `closed`), or after
   * `timeoutMs`: with the status then.
   */
  ready(timeoutMs = Number.POSITIVE_INFINITY): Promise<ConnectionStatus> {
    const done = (s: ConnectionStatus) =>
      s.state === "connected" || s.state === "refused" || s.state === "closed";
    if (done(this.#status)) return Promise.resolve(this.#status);
    return new Promise((resolve) => {
      const timer =
        timeoutMs === Number.POSITIVE_INFINITY
          ? undefined
          : setTimeout(() => finish(this.#status), timeoutMs);
      const off = this.on("connection", (s) => {
        if (done(s)) finish(s);
      });
      function finish(s: ConnectionStatus) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    });
  }

  /**
   * Sends command `type` with `data`. Resolves with the ack (`accepted`, or `duplicate` when an
   * earlier sending of the same id was stored: either way it applies once) or a failure; never
   * rejects. Until answered, the command is resent with the same id after a reconnect, and after
   * `rate_limited` or `busy` (at most `retry.maxAttempts` times). Sending an id that is still
   * waiting gives that command's own answer.
   */
  send<K extends keyof C & string>(
    type: K,
    data: C[K],
    options: SendOptions = {},
  ): Promise<SendResult<K>> {
    const id = options.id ?? this.#commandId();
    const waiting = this.#pending.get(id);
    if (waiting?.kind === "command") return waiting.promise as Promise<SendResult<K>>;
    const frame = this.#frameText(id, () => ({ action: "command", id, type, data }));
    if (typeof frame !== "string") return Promise.resolve(frame);
    const timeoutMs = options.timeoutMs ?? this.#s.commandTimeoutMs;
    return this.#request(id, "command", frame, timeoutMs, (answer) => {
      const a = answer as { readonly result: "accepted" | "duplicate" };
      return { ok: true, id, type, result: a.result, sends: this.#pending.get(id)?.sends ?? 1 };
    }) as Promise<SendResult<K>>;
  }

  /** Asks query `type`; resolves with its result or a failure, never rejects. */
  query<T extends QueryType>(
    type: T,
    data?: QueryParams[T],
    options: QueryOptions = {},
  ): Promise<QueryResult<T>> {
    const id = this.#queryId();
    const frame = this.#frameText(id, () => ({
      action: "query",
      id,
      type,
      ...(data === undefined ? {} : { data }),
    }));
    if (typeof frame !== "string") return Promise.resolve(frame);
    const timeoutMs = options.timeoutMs ?? this.#s.queryTimeoutMs;
    return this.#request(id, "query", frame, timeoutMs, (answer) => {
      const a = answer as { readonly data: QueryResults[T] };
      if (type === "state") this.store.applyState(a.data as QueryResults["state"], this.#s.now());
      return { ok: true, id, query: type, data: a.data };
    }) as Promise<QueryResult<T>>;
  }

  /** The world as of its last commit, with the player's profile and the game's description (also applied to the store). */
  state(options?: QueryOptions): Promise<QueryResult<"state">> {
    return this.query("state", undefined, options);
  }

  /** The newest journal entries, newest first (`limit` 1 to 200, default 50). */
  ledger(limit?: number, options?: QueryOptions): Promise<QueryResult<"ledger">> {
    return this.query("ledger", limit === undefined ? undefined : { limit }, options);
  }

  /** A verification of the world's whole ledger (the hash chain, conservation, the projections). */
  verify(options?: QueryOptions): Promise<QueryResult<"verify">> {
    return this.query("verify", undefined, options);
  }

  /** Operators: a re-simulation of a tick range (at most 3,600 ticks), compared with the record. */
  replay(range?: QueryParams["replay"], options?: QueryOptions): Promise<QueryResult<"replay">> {
    return this.query("replay", range, options);
  }

  /** Operators: the worlds, with their connections. */
  worlds(options?: QueryOptions): Promise<QueryResult<"worlds">> {
    return this.query("worlds", undefined, options);
  }

  /** Reconnects now (a "retry now" button), forgetting the backoff. Not after `close`. */
  reconnectNow(): void {
    if (this.#final()) return;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#attempt = 0;
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000, "reconnecting");
    void this.#open();
  }

  /**
   * Closes the connection for good: frames still waiting resolve `closed` (a command among them
   * may or may not have been applied: send it again with its id from a new client to know).
   * Resolves when the socket has closed, or after a second.
   */
  close(): Promise<void> {
    if (this.#status.state === "closed") return Promise.resolve();
    clearTimeout(this.#reconnectTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    this.#setStatus({ state: "closed", reason: "closed by the client" });
    this.#settleAll("closed", "the client was closed before the answer came");
    if (socket === undefined || socket.readyState === 3) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 1000);
      socket.onclose = () => {
        clearTimeout(timer);
        resolve();
      };
      socket.onmessage = null;
      // Not null: `ws` throws an error event nobody listens to (closing a socket still opening).
      socket.onerror = () => undefined;
      socket.close(1000, "closed by the client");
    });
  }

  // ─── requests ───────────────────────────────────────────────────────────────────────────────

  /** The frame's text, or why it cannot be sent (checked here: the server could not answer it). */
  #frameText(id: string, build: () => object): string | Failure {
    if (this.#final()) {
      return this.#status.state === "closed" && this.#status.reason === "closed by the client"
        ? failure(id, "closed", "the client is closed")
        : failure(id, "disconnected", `the connection is gone: ${this.#reason()}`);
    }
    if (!FRAME_ID_PATTERN.test(id)) {
      return failure(id, "invalid_frame", "an id is 1 to 64 of A-Z a-z 0-9 _ . : -", {
        path: "id",
      });
    }
    if (this.#pending.size >= this.#s.maxPending) {
      return failure(
        id,
        "too_many_pending",
        `${this.#s.maxPending} frames already wait for an answer`,
      );
    }
    let text: string;
    try {
      text = JSON.stringify(build());
    } catch (error) {
      return failure(id, "invalid_data", `the data is not JSON: ${(error as Error).message}`, {
        path: "data",
      });
    }
    if (!fitsInFrame(text)) {
      return failure(id, "frame_too_large", "the frame is larger than 8 KB");
    }
    return text;
  }

  #request(
    id: string,
    kind: Pending["kind"],
    text: string,
    timeoutMs: number,
    ok: (answer: unknown) => unknown,
  ): Promise<unknown> {
    let settle!: (answer: unknown) => void;
    const promise = new Promise<unknown>((resolve) => {
      settle = (answer) => {
        const p = this.#pending.get(id);
        if (p === undefined) return;
        const value =
          typeof answer === "object" && answer !== null && (answer as Failure).ok === false
            ? answer
            : ok(answer);
        this.#pending.delete(id);
        clearTimeout(p.deadline);
        clearTimeout(p.retryTimer);
        // Answered while blamed for a gateway failure: the failure was another frame's.
        if (p.blamed && p.retryTimer !== undefined) this.#blameOldest();
        resolve(value);
      };
    });
    const deadline = setTimeout(
      () =>
        settle(
          failure(
            id,
            "timeout",
            kind === "command"
              ? `no answer in ${timeoutMs} ms: it may or may not have been applied; send it again with the same id to know`
              : `no answer in ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    const p: Pending = {
      id,
      kind,
      text,
      promise,
      settle,
      deadline,
      sentOn: undefined,
      sends: 0,
      sentSeq: 0,
      retries: 0,
      retryTimer: undefined,
      blamed: false,
    };
    this.#pending.set(id, p);
    this.#transmit(p);
    return promise;
  }

  /** Sends `p` if the socket is open; otherwise it waits for the next connection. */
  #transmit(p: Pending): void {
    p.retryTimer = undefined;
    p.blamed = false;
    const socket = this.#socket;
    if (socket === undefined || socket.readyState !== OPEN || !this.#pending.has(p.id)) return;
    try {
      socket.send(p.text);
    } catch {
      return; // The socket is going; its close sends it again on the next connection.
    }
    p.sentOn = this.#connections;
    p.sends += 1;
    p.sentSeq = ++this.#sends;
  }

  /** Sends again, after a delay, a frame the server refused for now; or gives its answer. */
  #retryLater(p: Pending, code: string, retryAfterMs: number | undefined, give: () => void): void {
    if (p.retries >= this.#s.retry.maxAttempts) {
      give();
      return;
    }
    p.retries += 1;
    p.sentOn = undefined;
    p.blamed = false;
    clearTimeout(p.retryTimer);
    const delay = retryDelayMs(
      p.retries,
      code === "rate_limited" ? retryAfterMs : undefined,
      { baseMs: this.#s.retry.baseMs, maxMs: this.#s.retry.maxDelayMs, jitterMs: 50 },
      this.#s.random,
    );
    p.retryTimer = setTimeout(() => this.#transmit(p), delay);
  }

  #settleAll(code: ClientFailureCode, message: string): void {
    for (const p of [...this.#pending.values()]) p.settle(failure(p.id, code, message));
  }

  // ─── the connection ─────────────────────────────────────────────────────────────────────────

  async #open(): Promise<void> {
    if (this.#final()) return;
    this.#attempt += 1;
    const open = ++this.#opens;
    this.#setStatus({ state: "connecting", attempt: this.#attempt });
    let token: string;
    try {
      token = await this.#s.token();
      if (typeof token !== "string" || token === "") throw new TypeError("it gave no token");
    } catch (error) {
      if (open === this.#opens) {
        this.#lost(`the token provider failed: ${(error as Error).message}`, undefined, false);
      }
      return;
    }
    if (this.#final() || open !== this.#opens) return;
    const url = new URL(this.#s.url.href);
    url.searchParams.set("world", this.#s.world);
    url.searchParams.set("token", token);
    let socket: WebSocketLike;
    try {
      socket = new this.#s.WebSocket(url.href);
    } catch (error) {
      this.#lost(`the socket could not be made: ${(error as Error).message}`, undefined, false);
      return;
    }
    this.#socket = socket;
    this.#wire(socket);
  }

  #wire(socket: WebSocketLike): void {
    let opened = false;
    let httpStatus: number | undefined;
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      opened = true;
      this.#opened();
    };
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      this.#receive(event.data);
    };
    socket.onerror = (event) => {
      httpStatus ??= handshakeStatus(event);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      const reason = opened
        ? `the connection closed (${event.code}${event.reason ? `: ${event.reason}` : ""})`
        : httpStatus === undefined
          ? "the server did not let the connection in (no answer, or a refusal)"
          : `the server refused the connection (HTTP ${httpStatus})`;
      this.#lost(reason, httpStatus, opened);
    };
  }

  #opened(): void {
    this.#connections += 1;
    this.#attempt = 0;
    this.#failuresBeforeOpen = 0;
    this.#unauthorizedInRow = 0;
    this.#everOpened = true;
    this.#setStatus({ state: "connected", since: this.#s.now(), connection: this.#connections });
    // Everything unanswered goes again, in the order it was made, with its own id.
    for (const p of [...this.#pending.values()]) {
      if (p.sentOn !== this.#connections && p.retryTimer === undefined) this.#transmit(p);
    }
    if (this.#s.syncState) void this.#sync();
  }

  /** Asks `state` (once at a time), which the store applies. */
  async #sync(): Promise<void> {
    if (this.#syncing) return;
    this.#syncing = true;
    try {
      await this.query("state");
    } finally {
      this.#syncing = false;
    }
  }

  /** After a connection attempt failed or a connection closed: reconnect later, or give up. */
  #lost(reason: string, httpStatus: number | undefined, opened: boolean): void {
    if (this.#final()) return;
    if (!opened) this.#failuresBeforeOpen += 1;
    const reconnect = this.#s.reconnect;
    const refusal = this.#refusal(httpStatus);
    if (refusal !== undefined) {
      this.#end({
        state: "refused",
        reason: `${reason}: ${refusal}`,
        ...this.#statusOf(httpStatus),
      });
      return;
    }
    if (reconnect === false) {
      this.#end({ state: "closed", reason: `${reason}; reconnecting is off` });
      return;
    }
    if (!this.#everOpened && this.#failuresBeforeOpen >= reconnect.refuseAfter) {
      this.#end({
        state: "refused",
        reason: `${reason}; ${this.#failuresBeforeOpen} attempts never got in: does world "${this.#s.world}" exist, and is the token valid?`,
        ...this.#statusOf(httpStatus),
      });
      return;
    }
    if (this.#attempt >= reconnect.maxAttempts) {
      this.#end({ state: "closed", reason: `${reason}; gave up after ${this.#attempt} attempts` });
      return;
    }
    const retryInMs = backoffDelayMs(this.#attempt + 1, reconnect, this.#s.random);
    this.#setStatus({ state: "reconnecting", attempt: this.#attempt + 1, retryInMs, reason });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#open();
    }, retryInMs);
  }

  /** Why a handshake's HTTP status is a final no, or undefined when trying again may help. */
  #refusal(httpStatus: number | undefined): string | undefined {
    if (httpStatus === 401) {
      this.#unauthorizedInRow += 1;
      // A fresh token from the provider may be let in; the same string token never will.
      const fresh = this.#unauthorizedInRow < 2 && this.#s.freshTokens;
      return fresh ? undefined : "the token was refused (expired, forged or missing)";
    }
    if (httpStatus !== undefined && REFUSING_STATUS.has(httpStatus)) {
      return httpStatus === 404
        ? `world "${this.#s.world}" does not exist`
        : httpStatus === 403
          ? "the token is valid, but the authorizer denies it"
          : "the request was refused";
    }
    return undefined;
  }

  #statusOf(httpStatus: number | undefined): { readonly httpStatus?: number } {
    return httpStatus === undefined ? {} : { httpStatus };
  }

  #end(status: Extract<ConnectionStatus, { state: "refused" | "closed" }>): void {
    clearTimeout(this.#reconnectTimer);
    this.#setStatus(status);
    this.#settleAll("disconnected", `the connection is gone: ${status.reason}`);
  }

  #final(): boolean {
    return this.#status.state === "refused" || this.#status.state === "closed";
  }

  #reason(): string {
    const s = this.#status;
    return "reason" in s ? s.reason : s.state;
  }

  #setStatus(status: ConnectionStatus): void {
    this.#status = status;
    this.#events.emit("connection", status);
  }

  #problem(problem: ClientProblem): void {
    this.#events.emit("problem", problem);
  }

  // ─── frames from the server ─────────────────────────────────────────────────────────────────

  #receive(data: unknown): void {
    const text = messageText(data);
    const frame = text === undefined ? undefined : readServerFrame(text);
    if (frame === undefined) {
      this.#problem({ kind: "unreadable", text: (text ?? String(data)).slice(0, 200) });
      return;
    }
    switch (frame.kind) {
      case "state": {
        this.#events.emit("push", frame.frame);
        this.store.applyPush(frame.frame, this.#s.now());
        return;
      }
      case "ack":
      case "result": {
        const p = this.#pending.get(frame.frame.id);
        if (p?.kind === (frame.kind === "ack" ? "command" : "query")) p.settle(frame.frame);
        return;
      }
      case "error":
        this.#refused(frame.frame);
        return;
      case "gateway":
        this.#gatewayFailure(frame.frame.message);
        return;
    }
  }

  #refused(frame: ErrorFrame): void {
    const p = frame.id === undefined ? undefined : this.#pending.get(frame.id);
    if (p === undefined) {
      this.#problem({ kind: "server", frame });
      return;
    }
    const give = () =>
      p.settle(
        failure(p.id, frame.code, frame.message, {
          path: frame.path,
          retryAfterMs: frame.retryAfterMs,
        }),
      );
    if (RETRYABLE.has(frame.code)) this.#retryLater(p, frame.code, frame.retryAfterMs, give);
    else give();
  }

  /**
   * API Gateway's own failure answers one frame without naming it. One failure, one resend: the
   * frame sent longest ago on this connection and not yet answered is taken to be the one, and
   * sent again later (a command keeps its id, so it still applies once). If that frame is answered
   * before its resend, the failure was another's and passes to the next oldest. Resending every
   * unanswered frame instead multiplies a throttled server's load by the frames in flight, and
   * each resend that is throttled again did the same: the retry storm that kept an overloaded
   * local stack at a tenth of its capacity.
   */
  #gatewayFailure(message: string): void {
    this.#problem({ kind: "gateway", message });
    this.#blameOldest();
  }

  #blameOldest(): void {
    let oldest: Pending | undefined;
    for (const p of this.#pending.values()) {
      if (p.sentOn !== this.#connections || p.retryTimer !== undefined) continue;
      if (oldest === undefined || p.sentSeq < oldest.sentSeq) oldest = p;
    }
    if (oldest === undefined) return;
    const p = oldest;
    this.#retryLater(p, "busy", undefined, () => undefined);
    p.blamed = p.retryTimer !== undefined;
  }
}

/**
 * Makes a client of `options.world` and starts connecting; commands sent before the connection
 * opens wait for it. Throws `ClientOptionsError` for options that cannot work, nothing else.
 *
 * @typeParam C - The game's commands (`CommandsOf<typeof game>`): `send` checks type and data.
 */
export function createClient<C extends CommandMap = CommandMap>(options: ClientOptions): Client<C> {
  return new Client<C>(options);
}

/**
 * `createClient`, then waits until the first connection opens or can no longer (see `ready`):
 * check `client.status.state` (`connected`, `refused`, `closed`).
 */
export async function connect<C extends CommandMap = CommandMap>(
  options: ClientOptions & { readonly readyTimeoutMs?: number },
): Promise<Client<C>> {
  const client = new Client<C>(options);
  await client.ready(options.readyTimeoutMs);
  return client;
}
