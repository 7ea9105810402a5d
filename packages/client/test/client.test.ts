// The client's checks that need no server: options refused with the option's name, command ids,
// and the values a command resolves to when no answer can come. The wire itself is tested
// against the local stack (e2e.test.ts).
import { describe, expect, it } from "vitest";
import {
  ClientError,
  ClientOptionsError,
  createClient,
  frameIds,
  NoWebSocketError,
  randomSessionId,
  type WebSocketLike,
} from "../src/index.js";

/** A socket that never opens nor closes: frames wait for a connection that does not come. */
class SilentSocket implements WebSocketLike {
  static made: SilentSocket[] = [];
  readyState = 0;
  onopen: WebSocketLike["onopen"] = null;
  onmessage: WebSocketLike["onmessage"] = null;
  onerror: WebSocketLike["onerror"] = null;
  onclose: WebSocketLike["onclose"] = null;
  readonly sent: string[] = [];

  constructor(readonly url: string) {
    SilentSocket.made.push(this);
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(): void {
    this.onclose?.({ code: 1000, reason: "" });
  }
}

const base = {
  url: "ws://127.0.0.1:1/local",
  world: "w1",
  token: "t.t.t",
  WebSocket: SilentSocket,
};

describe("options", () => {
  it.each([
    [{ url: "http://example.com" }, "url"],
    [{ url: "not a url" }, "url"],
    [{ url: "ws://h/local?world=w1" }, "url"],
    [{ world: "" }, "world"],
    [{ world: "a b" }, "world"],
    [{ token: "" }, "token"],
    [{ reconnect: { baseMs: -1 } }, "reconnect.baseMs"],
    [{ reconnect: { baseMs: 1000, maxMs: 10 } }, "reconnect.maxMs"],
    [{ reconnect: { maxAttempts: 1.5 } }, "reconnect.maxAttempts"],
    [{ retry: { maxAttempts: -1 } }, "retry.maxAttempts"],
    [{ commandTimeoutMs: 0 }, "commandTimeoutMs"],
    [{ queryTimeoutMs: Number.NaN }, "queryTimeoutMs"],
    [{ idPrefix: "has space" }, "idPrefix"],
    [{ idPrefix: "x".repeat(41) }, "idPrefix"],
  ])("%j is refused, naming %s", (bad, option) => {
    const attempt = () => createClient({ ...base, ...bad } as never);
    expect(attempt).toThrow(ClientOptionsError);
    try {
      attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(ClientError);
      expect((error as ClientOptionsError).option).toBe(option);
      expect((error as Error).message).toMatch(new RegExp(`^${option.replace(".", "\\.")}: `));
    }
  });

  it("without a WebSocket class where the runtime has none, says how to give one", () => {
    const g = globalThis as { WebSocket?: unknown };
    const saved = g.WebSocket;
    g.WebSocket = undefined;
    try {
      expect(() => createClient({ ...base, WebSocket: undefined })).toThrow(NoWebSocketError);
      expect(() => createClient({ ...base, WebSocket: undefined })).toThrow(/ws|node/);
    } finally {
      g.WebSocket = saved;
    }
  });

  it("connects to the URL with the world and the token as query parameters", async () => {
    SilentSocket.made = [];
    const c = createClient({ ...base, token: () => "a.b.c" });
    await Promise.resolve();
    await Promise.resolve();
    const url = new URL(SilentSocket.made.at(-1)?.url ?? "");
    expect(url.pathname).toBe("/local");
    expect(url.searchParams.get("world")).toBe("w1");
    expect(url.searchParams.get("token")).toBe("a.b.c");
    await c.close();
  });
});

describe("command ids", () => {
  it("are a random session part and a counter, within the protocol's pattern", () => {
    const a = randomSessionId();
    const b = randomSessionId();
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
    const next = frameIds("s1");
    expect([next(), next(), next()]).toEqual(["s1.00000001", "s1.00000002", "s1.00000003"]);
    // In the order they were made, as text too: the server orders a player's commands that
    // arrived together by id.
    const made = Array.from({ length: 2000 }, () => next());
    expect([...made].sort()).toEqual(made);
    const long = frameIds("x".repeat(40));
    for (let i = 0; i < 1000; i++) expect(long()).toMatch(/^[A-Za-z0-9_.:-]{1,64}$/);
  });

  it("the client's are its idPrefix's", async () => {
    const c = createClient({ ...base, idPrefix: "session-7", commandTimeoutMs: 60_000 });
    const sent = c.send("move", { dx: 1 });
    expect(c.pending).toBe(1);
    await c.close();
    expect(await sent).toMatchObject({ ok: false, id: "session-7.00000001", code: "closed" });
  });
});

describe("answers that cannot come", () => {
  it("a command unanswered in time resolves timeout, saying it may have been applied", async () => {
    const c = createClient({ ...base, commandTimeoutMs: 20 });
    const result = await c.send("move", {});
    expect(result).toMatchObject({ ok: false, code: "timeout" });
    expect(!result.ok && result.message).toMatch(/same id/);
    expect(c.pending).toBe(0);
    await c.close();
  });

  it("sending an id that still waits gives that command's own answer", async () => {
    const c = createClient(base);
    const first = c.send("move", { dx: 1 }, { id: "mine-1" });
    const again = c.send("move", { dx: 1 }, { id: "mine-1" });
    expect(c.pending).toBe(1);
    await c.close();
    expect(await again).toEqual(await first);
  });

  it("past maxPending, a frame resolves too_many_pending and is not kept", async () => {
    const c = createClient({ ...base, maxPending: 2 });
    const waiting = [c.send("a", 1), c.send("b", 2)];
    expect(await c.send("c", 3)).toMatchObject({ ok: false, code: "too_many_pending" });
    expect(await c.query("state")).toMatchObject({ ok: false, code: "too_many_pending" });
    await c.close();
    expect((await Promise.all(waiting)).map((r) => r.ok || r.code)).toEqual(["closed", "closed"]);
    expect(await c.send("d", 4)).toMatchObject({ ok: false, code: "closed" });
  });

  it("data that is not JSON, or a frame over 8 KB, is refused before sending", async () => {
    const c = createClient(base);
    expect(await c.send("big", { text: "x".repeat(9000) })).toMatchObject({
      ok: false,
      code: "frame_too_large",
    });
    expect(await c.send("n", { n: 10n })).toMatchObject({
      ok: false,
      code: "invalid_data",
      path: "data",
    });
    await c.close();
  });

  it("with reconnecting off, a lost connection resolves what waits disconnected", async () => {
    SilentSocket.made = [];
    const c = createClient({ ...base, reconnect: false });
    const waiting = c.send("move", {});
    await Promise.resolve();
    await Promise.resolve();
    SilentSocket.made.at(-1)?.close();
    expect(c.status).toMatchObject({ state: "closed" });
    expect(await waiting).toMatchObject({ ok: false, code: "disconnected" });
  });
});

/** A socket that opens at once and lets the test answer frames as the server would. */
class ScriptedSocket extends SilentSocket {
  static last: ScriptedSocket | undefined;
  override readyState = 0;

  constructor(url: string) {
    super(url);
    ScriptedSocket.last = this;
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }

  /** A frame from the server. */
  answer(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  override close(): void {
    this.readyState = 3;
    super.close();
  }

  /** The ids of the frames sent, in order. */
  ids(): string[] {
    return this.sent.map((text) => (JSON.parse(text) as { id: string }).id);
  }
}

describe("API Gateway's own failures (a frame answered `Internal server error`, naming none)", () => {
  const gatewayFailure = { message: "Internal server error", connectionId: "c", requestId: "r" };
  const scripted = {
    ...base,
    WebSocket: ScriptedSocket,
    syncState: false,
    random: () => 0,
    retry: { baseMs: 5, maxDelayMs: 5 },
  };
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(check()).toBe(true);
  };

  it("one failure resends one frame, the one sent longest ago, not every frame in flight", async () => {
    const c = createClient(scripted);
    await c.ready(1000);
    const socket = ScriptedSocket.last as ScriptedSocket;
    const sent = [1, 2, 3].map((n) => c.send("move", n, { id: `f-${n}` }));
    expect(socket.ids()).toEqual(["f-1", "f-2", "f-3"]);
    socket.answer(gatewayFailure);
    await until(() => socket.sent.length === 4);
    await new Promise((r) => setTimeout(r, 60));
    expect(socket.ids()).toEqual(["f-1", "f-2", "f-3", "f-1"]);
    for (const id of ["f-1", "f-2", "f-3"]) socket.answer({ type: "ack", id, result: "accepted" });
    expect((await Promise.all(sent)).map((r) => r.ok)).toEqual([true, true, true]);
    await c.close();
  });

  it("a frame answered before its resend passes the failure to the next oldest", async () => {
    const c = createClient({ ...scripted, retry: { baseMs: 40, maxDelayMs: 40 } });
    await c.ready(1000);
    const socket = ScriptedSocket.last as ScriptedSocket;
    const first = c.send("a", 1, { id: "g-1" });
    const second = c.send("b", 2, { id: "g-2" });
    socket.answer(gatewayFailure);
    // g-1 was not the frame that failed after all: its ack comes before its resend.
    socket.answer({ type: "ack", id: "g-1", result: "accepted" });
    expect(await first).toMatchObject({ ok: true });
    await until(() => socket.sent.length === 3);
    expect(socket.ids()).toEqual(["g-1", "g-2", "g-2"]);
    socket.answer({ type: "ack", id: "g-2", result: "accepted" });
    expect(await second).toMatchObject({ ok: true });
    await c.close();
  });
});
