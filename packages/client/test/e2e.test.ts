// The client against the real local stack, over real WebSockets: tokens from the dev identity
// provider, the tiny game's loop run by the local Step Functions, the gateway stopped and
// started under a command in flight. Waits are bounded for liveness, never speed checks.
import type { LocalStack } from "@ledgerquest/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, createClient } from "../src/index.js";
import type { StatePushFrame } from "../src/protocol.js";
import { lossyWebSocket } from "./support/lossy-socket.js";
import { NodeWebSocket, startTinyStack, startWorld, until } from "./support/stack.js";
import { STARTING_GOLD, startOf, type TinyCommands } from "./support/tiny-game.js";

const P1 = "player_0001";
const P2 = "player_0002";
const PLAYERS = [P1, P2];

let stack: LocalStack;
const clients: Client<TinyCommands>[] = [];

beforeAll(async () => {
  stack = await startTinyStack();
}, 180_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await stack?.stop();
});

/** A client of the tiny game for `player` in `world`, closed after the tests. */
function client(
  world: string,
  player: string,
  extra: Partial<Parameters<typeof createClient>[0]> = {},
): Client<TinyCommands> {
  const c = createClient<TinyCommands>({
    url: stack.endpoints.websocket,
    world,
    token: () => stack.token(player),
    WebSocket: NodeWebSocket,
    reconnect: { baseMs: 100, maxMs: 1000 },
    ...extra,
  });
  clients.push(c);
  return c;
}

/** Where `player`'s walker is in the client's store, once it knows. */
function walker(c: Client<TinyCommands>, player: string): { x: number; y: number } | undefined {
  const e = c.store.byName(player);
  return e === undefined ? undefined : { x: e.x, y: e.y };
}

/** A token in the operators' group, from the identity provider's HTTP endpoint. */
async function operatorToken(player: string): Promise<string> {
  const response = await fetch(`${stack.endpoints.idp}/token?player=${player}&operator=1`);
  const body = (await response.json()) as { token: string };
  return body.token;
}

describe("commands", () => {
  it("a command is acknowledged, then a push shows it applied once; the first push is whole", async () => {
    await startWorld(stack, "client-cmd", PLAYERS);
    const c = client("client-cmd", P1);
    const pushes: StatePushFrame[] = [];
    c.on("push", (p) => pushes.push(p));
    expect((await c.ready(60_000)).state).toBe("connected");
    await until("the first push", () => pushes[0]);
    expect(pushes[0]?.full).toBe(true);
    await until("the walker in the store", () => walker(c, P1));
    expect(walker(c, P1)).toEqual(startOf(0));

    const ack = await c.send("move", { dx: 1, dy: -1 });
    expect(ack).toMatchObject({ ok: true, type: "move", result: "accepted", sends: 1 });
    const start = startOf(0);
    await until("the move applied", () => {
      const at = walker(c, P1);
      return at?.x === start.x + 1 ? at : undefined;
    });
    expect(walker(c, P1)).toEqual({ x: start.x + 1, y: start.y - 1 });
    // Later pushes are deltas, each on the frame before it (its `baseTick`), onto a whole view;
    // a whole frame comes again only every few seconds (the game's keyframeMs).
    const seen = pushes.length;
    await until("two more pushes", () => (pushes.length >= seen + 2 ? true : undefined));
    expect(pushes.some((p) => !p.full)).toBe(true);
    for (const [k, p] of pushes.entries()) {
      if (k > 0 && !p.full) expect(p.baseTick).toBe(pushes[k - 1]?.tick);
    }
    expect(c.store.consistent).toBe(true);
    expect(walker(c, P1)).toEqual({ x: start.x + 1, y: start.y - 1 });
  });

  it("refusals are typed values: invalid_data with its path, unknown_command, not_a_member", async () => {
    await startWorld(stack, "client-errors", PLAYERS);
    const c = client("client-errors", P1);
    expect((await c.ready(60_000)).state).toBe("connected");

    const tooFar = await c.send("move", { dx: 5, dy: 0 });
    expect(tooFar).toMatchObject({ ok: false, code: "invalid_data", path: "data.dx" });
    // @ts-expect-error: `dx` must be a number; the server refuses it all the same.
    const notANumber = await c.send("move", { dx: "east", dy: 0 });
    expect(notANumber).toMatchObject({ ok: false, code: "invalid_data", path: "data.dx" });
    // @ts-expect-error: the tiny game has no `fly` command.
    const unknown = await c.send("fly", {});
    expect(unknown).toMatchObject({ ok: false, code: "unknown_command", path: "type" });
    const badId = await c.send("wave", {}, { id: "not an id!" });
    expect(badId).toMatchObject({ ok: false, code: "invalid_frame", path: "id" });

    // A signed-in player who is not one of the world's players watches, but may not command.
    const watcher = client("client-errors", "player_0099");
    expect((await watcher.ready(60_000)).state).toBe("connected");
    expect(await watcher.send("wave", {})).toMatchObject({ ok: false, code: "not_a_member" });
  });

  it("frames refused with rate_limited are sent again with their ids, and each applies once", async () => {
    await startWorld(stack, "client-flood", PLAYERS);
    const c = client("client-flood", P1, { retry: { maxAttempts: 200 } });
    expect((await c.ready(60_000)).state).toBe("connected");
    await until("the walker in the store", () => walker(c, P1));
    // The tiny game allows 5 commands at once: 20 sent together outrun the bucket.
    const acks = await Promise.all(
      Array.from({ length: 20 }, () => c.send("move", { dx: 1, dy: 0 })),
    );
    expect(acks.map((a) => a.ok && a.result)).toEqual(Array(20).fill("accepted"));
    expect(acks.some((a) => a.ok && a.sends > 1)).toBe(true);
    expect(new Set(acks.map((a) => a.id)).size).toBe(20);
    const start = startOf(0);
    await until("the twenty moves applied", () =>
      walker(c, P1)?.x === start.x + 20 ? true : undefined,
    );
    const deps = stack.runtimeDeps();
    const batches = await deps.journal.listBatches("client-flood", 1, 10_000);
    expect(batches.reduce((n, b) => n + b.commandsApplied, 0)).toBe(20);
  });
});

describe("a lost connection", () => {
  it("a command whose ack was lost is resent with the same id after the gateway comes back, and applies once", async () => {
    await startWorld(stack, "client-outage", PLAYERS);
    let dropAckOf: string | undefined;
    let dropped = false;
    const c = client("client-outage", P1, {
      // Loses the first ack of the chosen command: the server stored it, the client never heard.
      WebSocket: lossyWebSocket((text) => {
        const frame = JSON.parse(text) as { type?: string; id?: string };
        if (dropped || frame.type !== "ack" || frame.id !== dropAckOf) return false;
        dropped = true;
        return true;
      }),
    });
    expect((await c.ready(60_000)).state).toBe("connected");
    await until("the walker in the store", () => walker(c, P1));
    const statuses: string[] = [];
    c.on("connection", (s) => statuses.push(s.state));

    dropAckOf = `${c.idPrefix}.00000001`;
    const inFlight = c.send("move", { dx: 1, dy: 0 });
    await until("the ack lost", () => (dropped ? true : undefined));
    expect(c.pending).toBe(1);

    await stack.stopGateway();
    await until("the client to see the loss", () =>
      c.status.state === "reconnecting" ? true : undefined,
    );
    // Sent while the gateway is down: it waits for the connection.
    const whileDown = c.send("move", { dx: 0, dy: 1 });
    await stack.startGateway();

    const first = await inFlight;
    expect(first).toMatchObject({ ok: true, id: dropAckOf, result: "duplicate" });
    // Sent once before the outage and again on the new connection; a busy machine may add a
    // resend (a slow reconnect, an API Gateway failure answered), never a second application.
    expect(first.ok && first.sends).toBeGreaterThanOrEqual(2);
    // Sent once the gateway is back; a busy machine may resend it too (its ack is slow to come),
    // so how many sends is the machine's: that it applies once is checked below.
    expect(await whileDown).toMatchObject({ ok: true, result: "accepted" });
    expect(statuses).toContain("connected");

    // Applied exactly once each: the walker stepped one right and one down, no more.
    const start = startOf(0);
    await until("both moves applied", () => {
      const at = walker(c, P1);
      return at?.x === start.x + 1 && at.y === start.y + 1 ? true : undefined;
    });
    const deps = stack.runtimeDeps();
    const batches = await deps.journal.listBatches("client-outage", 1, 10_000);
    expect(batches.reduce((n, b) => n + b.commandsApplied, 0)).toBe(2);
    expect(walker(c, P1)).toEqual({ x: start.x + 1, y: start.y + 1 });
  });

  it("after a reconnect the first push is whole again, and the store follows on", async () => {
    await startWorld(stack, "client-resume", PLAYERS);
    const c = client("client-resume", P2, { syncState: false });
    const pushes: StatePushFrame[] = [];
    c.on("push", (p) => pushes.push(p));
    expect((await c.ready(60_000)).state).toBe("connected");
    await until("a push", () => pushes[0]);
    await stack.stopGateway();
    await until("the loss", () => (c.status.state === "reconnecting" ? true : undefined));
    const before = pushes.length;
    await stack.startGateway();
    await until("connected again", () => (c.status.state === "connected" ? true : undefined));
    const after = await until("a push after the reconnect", () => pushes[before]);
    expect(after.full).toBe(true);
    expect(walker(c, P2)).toEqual(startOf(1));
    expect(c.store.consistent).toBe(true);
  });

  it("a world that does not exist is refused, and what waits resolves disconnected", async () => {
    const c = client("no-such-world", P1);
    const waiting = c.send("wave", {});
    const status = await c.ready(60_000);
    expect(status).toMatchObject({ state: "refused", httpStatus: 404 });
    expect(await waiting).toMatchObject({ ok: false, code: "disconnected" });
  });
});

describe("queries", () => {
  it("state, ledger and verify as a player; replay and worlds as an operator, refused to a player", async () => {
    await startWorld(stack, "client-query", PLAYERS);
    const c = client("client-query", P1);
    expect((await c.ready(60_000)).state).toBe("connected");

    const state = await c.state();
    if (!state.ok) throw new Error(`state: ${state.code} ${state.message}`);
    expect(state.data.worldId).toBe("client-query");
    expect(state.data.game?.rules).toBe("tiny@1");
    expect(state.data.game?.commands).toEqual(["move", "wave"]);
    expect(state.data.player?.balances.gold).toBe(STARTING_GOLD);
    expect(state.data.entities.find((e) => e.name === P1)).toMatchObject(startOf(0));
    expect(c.store.game?.rules).toBe("tiny@1");
    expect(c.store.you?.balances.gold).toBe(STARTING_GOLD);

    const ledger = await c.ledger(10);
    if (!ledger.ok) throw new Error(`ledger: ${ledger.code}`);
    expect(ledger.data.count).toBeGreaterThanOrEqual(2);
    expect(
      ledger.data.entries.some(
        (e) => e.kind === "transfer" && e.reason === "starting_gold" && e.amount === STARTING_GOLD,
      ),
    ).toBe(true);

    const verify = await c.verify();
    if (!verify.ok) throw new Error(`verify: ${verify.code}`);
    expect(verify.data).toMatchObject({ ok: true, worldId: "client-query", problems: [] });
    expect(verify.data.units.find((u) => u.unit === "gold")?.held).toBe(
      STARTING_GOLD * PLAYERS.length,
    );

    expect(await c.worlds()).toMatchObject({ ok: false, code: "forbidden" });
    expect(await c.query("ledger", { limit: 1000 })).toMatchObject({
      ok: false,
      code: "invalid_data",
      path: "data.limit",
    });

    const operator = client("client-query", "operator_1", {
      token: () => operatorToken("operator_1"),
    });
    expect((await operator.ready(60_000)).state).toBe("connected");
    const worlds = await operator.worlds();
    if (!worlds.ok) throw new Error(`worlds: ${worlds.code} ${worlds.message}`);
    expect(worlds.data.worlds.map((w) => w.worldId)).toContain("client-query");
    const replay = await operator.replay();
    if (!replay.ok) throw new Error(`replay: ${replay.code} ${replay.message}`);
    expect(replay.data).toMatchObject({ ok: true, worldId: "client-query" });
    expect(replay.data.mismatch).toBeUndefined();
  });
});
