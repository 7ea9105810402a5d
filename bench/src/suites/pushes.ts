/**
 * Pushes a player can afford: what each of 200 players in the arena is sent, and what API Gateway
 * would bill for it. The arena's demo world (1,000 pucks and crates, 20 of the game's bots, 200
 * coins) with 200 players, built through the runtime's public use cases over its memory adapters
 * (`createWorld`, `connect`, `loadWorldState`), run at 60 ticks/s of game time; each player is
 * steered by the arena's bot policy (`arenaBot`, as `ledgerquest bots` plays) from what its own
 * client knows: a client SDK `WorldStore` that applies every frame the player is sent. Every
 * third tick (20 Hz, the game's push rate) a `WorldPusher` pushes the world to the 200
 * connections; every 600 ticks a batch "commits" (the frame after it carries the batch figures
 * and the supply), as the tick function's default batch does. The push port is a tap that counts
 * each frame's bytes and hands it to that player's client.
 *
 * Figures: bytes per push per client (mean and p99 over every push and client, a push with nothing
 * to send counting 0), frames and API Gateway messages per player-hour (a message is billed per
 * 32 KB started), the pusher's time per push; against the old design, every entity to every
 * client in every frame, and against the deltas of 67f70bd (the whole world's changes to every
 * client). The clients' stores are checked against the world after every push: a client that
 * does not hold exactly what its frames say, where the world has it, stops the bench.
 *
 * Not a rate comparison: the figures are notes. Settings through
 * `LQ_PUSHES="players=200,seconds=60,rate=2"` (rate: bot commands per player per second).
 */
import type { EntityView as ClientEntityView, WorldStore } from "@ledgerquest/client";
import type { Command } from "@ledgerquest/engine";
import type { Suite } from "../harness.js";

function settings(): { players: number; seconds: number; rate: number } {
  const out = { players: 200, seconds: 60, rate: 2 };
  for (const part of (process.env.LQ_PUSHES ?? "").split(",").filter(Boolean)) {
    const [k, v] = part.split("=");
    const n = Number(v);
    if ((k === "players" || k === "seconds" || k === "rate") && Number.isFinite(n) && n > 0)
      out[k] = n;
    else throw new Error(`LQ_PUSHES: "${part}" is not players=N, seconds=N or rate=N`);
  }
  return out;
}

const TICK_HZ = 60;
/** Ticks between pushes: 20 Hz. */
const TICKS_PER_PUSH = 3;
/** Ticks per batch, the tick function's default (`maxTicks: 600`). */
const TICKS_PER_BATCH = 600;
/** API Gateway bills a WebSocket message per 32 KB started. */
const MESSAGE_UNIT_BYTES = 32 * 1024;
const WORLD = "pushes";

/** Sizes of the frames one side sent, per push and client. */
class Tally {
  readonly sizes: number[] = [];
  frames = 0;
  messages = 0;
  bytes = 0;

  /** One push to one client: `bytes` sent, or 0 for nothing. */
  add(bytes: number): void {
    this.sizes.push(bytes);
    if (bytes === 0) return;
    this.frames++;
    this.bytes += bytes;
    this.messages += Math.ceil(bytes / MESSAGE_UNIT_BYTES);
  }

  /** Counts `times` pushes of `bytes` each (one frame every client got alike). */
  addAlike(bytes: number, times: number): void {
    for (let i = 0; i < times; i++) this.add(bytes);
  }

  row(name: string, gameSeconds: number, clients: number, usdPerMessage: number): string {
    const sorted = [...this.sizes].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
    const perHour = 3600 / gameSeconds / clients;
    const cells = [
      name,
      group(this.bytes / Math.max(1, this.sizes.length)),
      group(p99),
      group(this.bytes / Math.max(1, this.frames)),
      group(this.frames * perHour),
      group(this.messages * perHour),
      `$${(this.messages * perHour * usdPerMessage).toFixed(4)}`,
      `${((this.bytes * perHour) / 1e6).toFixed(1)} MB`,
    ];
    return `| ${cells.join(" | ")} |`;
  }
}

function group(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** The frame the old design sent: every entity, to every client, every time. */
function wholeFrameBytes(version: number, tick: number, view: readonly ClientEntityView[]): number {
  return Buffer.byteLength(wholeFrameText(version, tick, view));
}

function wholeFrameText(version: number, tick: number, view: readonly ClientEntityView[]): string {
  return JSON.stringify({
    type: "state",
    worldId: WORLD,
    version,
    tick,
    stateHash: "0".repeat(64),
    ledger: { count: 0, head: "0".repeat(64) },
    full: true,
    changed: view,
    removed: [],
  });
}

/** The frame of 67f70bd: what moved or appeared in the whole world (whole entities), what went. */
function worldDeltaBytes(
  version: number,
  tick: number,
  before: readonly ClientEntityView[],
  after: readonly ClientEntityView[],
): number {
  const old = new Map(before.map((e) => [e.id, e]));
  const changed: ClientEntityView[] = [];
  for (const e of after) {
    const o = old.get(e.id);
    old.delete(e.id);
    if (o === undefined || o.x !== e.x || o.y !== e.y || o.kind !== e.kind) changed.push(e);
  }
  return Buffer.byteLength(
    JSON.stringify({
      type: "state",
      worldId: WORLD,
      version,
      tick,
      stateHash: "0".repeat(64),
      ledger: { count: 0, head: "0".repeat(64) },
      full: false,
      baseTick: tick - TICKS_PER_PUSH,
      changed,
      removed: [...old.keys()],
    }),
  );
}

/**
 * CPU per frame posted to a player, the two ways a push can leave: PostToConnection through the
 * AWS SDK (what a deployment's tick function does, here to the local gateway's `@connections`)
 * and straight into the gateway of the same process (what the local stack does). `connections`
 * real WebSocket clients in this process receive every frame: their share is in both figures.
 */
async function postingCost(
  connections: number,
  frameBytes: number,
): Promise<{ readonly sdkUs: number; readonly inProcessUs: number; readonly posts: number }> {
  const [
    { ApiGatewayManagementApiClient },
    { ApiGatewayClientPush },
    local,
    { default: WebSocket },
  ] = await Promise.all([
    import("@aws-sdk/client-apigatewaymanagementapi"),
    import("@ledgerquest/aws"),
    import("@ledgerquest/local"),
    import("ws"),
  ]);
  const gateway = await local.startWebSocketGateway({ handlers: {} });
  const sockets: InstanceType<typeof WebSocket>[] = [];
  const client = new ApiGatewayManagementApiClient({
    endpoint: gateway.managementEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    for (let i = 0; i < connections; i++) {
      const socket = new WebSocket(gateway.url);
      await new Promise((resolve, reject) => {
        socket.once("open", resolve);
        socket.once("error", reject);
      });
      sockets.push(socket);
    }
    const ids = gateway.connections().map((c) => c.connectionId);
    const frame = JSON.stringify({ type: "state", pad: "x".repeat(Math.max(0, frameBytes - 27)) });
    const rounds = 20;
    const cpuPerPostUs = async (push: {
      post(id: string, m: string): Promise<unknown>;
    }): Promise<number> => {
      // One round unmeasured: connections, JIT.
      await Promise.all(ids.map((id) => push.post(id, frame)));
      const before = process.cpuUsage();
      for (let r = 0; r < rounds; r++) await Promise.all(ids.map((id) => push.post(id, frame)));
      const used = process.cpuUsage(before);
      return (used.user + used.system) / (rounds * ids.length);
    };
    const sdkUs = await cpuPerPostUs(new ApiGatewayClientPush(client));
    const inProcessUs = await cpuPerPostUs(new local.GatewayClientPush(gateway));
    return { sdkUs, inProcessUs, posts: rounds * ids.length };
  } finally {
    client.destroy();
    for (const socket of sockets) socket.terminate();
    await gateway.stop();
  }
}

export const suite: Suite = {
  name: "pushes",
  description:
    "200 players in the arena: bytes per push per client and API Gateway messages per player-hour, area of interest against every entity to everyone (target: mean under 2 KB)",
  oursName: "LedgerQuest",
  scenarios: [],
  async notes() {
    const { players: playerCount, seconds, rate } = settings();
    const { arenaBot, arenaModule } = await import("@ledgerquest/example-arena");
    const runtime = await import("@ledgerquest/runtime");
    const { WorldStore: Store } = await import("@ledgerquest/client");
    const { AWS_PRICES, costUsd } = await import("./aws-prices.js");
    const usdPerMessage = costUsd(AWS_PRICES.webSocketMessage, 1);

    const deps = runtime.createMemoryDeps(arenaModule);
    const players = Array.from(
      { length: playerCount },
      (_, i) => `player_${String(i + 1).padStart(4, "0")}`,
    );
    await runtime.createWorld(deps, {
      worldId: WORLD,
      players,
      settings: { bodies: 1000, bots: 20, coins: 200 },
    });
    const clients = new Map<string, WorldStore>();
    const inbox = new Map<string, string[]>();
    for (const p of players) {
      const connected = await runtime.connect(deps, {
        connectionId: `c-${p}`,
        playerId: p,
        worldId: WORLD,
      });
      if (!connected.ok) throw new Error(`connect ${p}: ${connected.message}`);
      clients.set(`c-${p}`, new Store());
      inbox.set(`c-${p}`, []);
    }
    const ours = new Tally();
    let sentThisPush = new Map<string, number>();
    const tap: import("@ledgerquest/runtime").ClientPush = {
      post: async (connectionId, message) => {
        sentThisPush.set(connectionId, Buffer.byteLength(message));
        inbox.get(connectionId)?.push(message);
        return "sent";
      },
    };
    const pusher = new runtime.WorldPusher({ ...deps, push: tap }, WORLD);
    const world = await deps.store.getWorld(WORLD);
    if (world === undefined) throw new Error("the world was not created");
    const loaded = await runtime.loadWorldState(deps, world);
    const { sim, ledger } = loaded;

    // Each bot asks its policy at `rate` a second, from a random phase, like `ledgerquest bots`.
    let seed = 1;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const bots = players.map((p) => ({
      player: p,
      policy: arenaBot(p),
      nextMs: random() * (1000 / rate),
    }));
    const whole = new Tally();
    const worldDeltas = new Tally();
    let version = world.version;
    let ledgerSeq = ledger.size;
    let commandSeq = 0;
    let previousView: readonly ClientEntityView[] | undefined;
    let pushMs = 0;
    let pushCpuMs = 0;
    let wholeJsonMs = 0;
    let pushes = 0;
    let fullFrames = 0;
    let gaps = 0;
    const ticks = Math.round(seconds * TICK_HZ);
    const startedMs = performance.now();
    for (let t = 1; t <= ticks; t++) {
      const nowMs = (t * 1000) / TICK_HZ;
      const commands: Command[] = [];
      for (const bot of bots) {
        if (nowMs < bot.nextMs) continue;
        bot.nextMs += 1000 / rate;
        const store = clients.get(`c-${bot.player}`) as WorldStore;
        const wanted = bot.policy(
          {
            worldId: WORLD,
            tick: store.tick,
            player: bot.player,
            entities: [...store.entities.values()],
            ...(store.you === undefined ? {} : { you: store.you as never }),
            nowMs,
          },
          random,
        );
        if (wanted === undefined) continue;
        commands.push({
          id: `bot-${commandSeq++}`,
          type: wanted.type,
          actor: bot.player,
          data: wanted.data ?? null,
        });
      }
      runtime.runTick(sim, commands);
      if (t % TICKS_PER_PUSH !== 0) continue;

      // The players whose profile the ticks since the last push changed.
      const touched = new Set<string>();
      for (const e of ledger.entriesSince(ledgerSeq)) {
        for (const account of e.kind === "account" ? [e.id] : [e.debit, e.credit]) {
          const owner = ledger.account(account)?.owner;
          if (owner?.startsWith("player_")) touched.add(owner);
        }
      }
      ledgerSeq = ledger.size;
      const committed = t % TICKS_PER_BATCH === 0;
      if (committed) version++;
      const view = arenaModule.view(sim);
      const digest = ledger.digest();
      const input: import("@ledgerquest/runtime").PushInput = {
        version,
        tick: sim.tick,
        stateHash: sim.hash(),
        ledger: { count: digest.count, head: digest.head },
        view,
        profiles: new Map(
          [...touched].sort().map((p) => [p, runtime.playerRecord(loaded, WORLD, p)]),
        ),
        ...(committed
          ? {
              batch: {
                ticks: TICKS_PER_BATCH,
                commandsApplied: 0,
                ledgerEntries: 0,
                durationMs: 0,
              },
              supply: runtime.supplyOf(ledger),
            }
          : {}),
      };
      sentThisPush = new Map();
      deps.clock.advance(1000 / (TICK_HZ / TICKS_PER_PUSH));
      const before = performance.now();
      const cpu = process.cpuUsage();
      const counts = await pusher.push(input);
      const used = process.cpuUsage(cpu);
      pushMs += performance.now() - before;
      pushCpuMs += (used.user + used.system) / 1000;
      pushes++;
      fullFrames += counts.full ?? 0;
      for (const p of players) ours.add(sentThisPush.get(`c-${p}`) ?? 0);

      // Every client applies what it was sent, and holds the world as it is, where it is.
      for (const [connectionId, messages] of inbox) {
        const store = clients.get(connectionId) as WorldStore;
        for (const m of messages) {
          if (store.applyPush(JSON.parse(m), nowMs) === "gap") gaps++;
        }
        messages.length = 0;
      }
      const byId = new Map(view.map((e) => [e.id, e]));
      for (const [connectionId, store] of clients) {
        for (const e of store.entities.values()) {
          const now = byId.get(e.id);
          if (now === undefined || now.x !== e.x || now.y !== e.y || now.kind !== e.kind) {
            throw new Error(
              `${connectionId} at tick ${sim.tick}: holds ${JSON.stringify(e)}, the world ${JSON.stringify(now)}`,
            );
          }
        }
        if (store.byName(connectionId.slice(2)) === undefined) {
          throw new Error(`${connectionId} at tick ${sim.tick}: does not hold its own entity`);
        }
      }
      if (gaps > 0) throw new Error(`a client's store found a gap at tick ${sim.tick}`);

      // The old design wrote this frame for each client: time it once.
      const jsonStart = performance.now();
      const wholeText = wholeFrameText(version, sim.tick, view);
      wholeJsonMs += performance.now() - jsonStart;
      whole.addAlike(Buffer.byteLength(wholeText), players.length);
      worldDeltas.addAlike(
        previousView === undefined
          ? wholeFrameBytes(version, sim.tick, view)
          : worldDeltaBytes(version, sim.tick, previousView, view),
        players.length,
      );
      previousView = view;
    }
    const elapsedS = (performance.now() - startedMs) / 1000;
    const s = pusher.settings;
    const shown = [
      `${s.hz} Hz`,
      `the ${s.nearest} nearest`,
      ...(Number.isFinite(s.radius) ? [`within ${s.radius}`] : []),
      ...(s.always === undefined ? [] : ["walls and the shrine to everyone"]),
      `${s.decimals} decimals`,
      `idle ${s.idleMs} ms`,
      `keyframes every ${s.keyframeMs} ms`,
    ].join(", ");
    const area = [...clients.values()].map((s) => s.entities.size);
    const meanArea = area.reduce((a, b) => a + b, 0) / area.length;
    const ratio = (whole.bytes / Math.max(1, ours.bytes)).toFixed(0);
    const meanBytes = ours.bytes / Math.max(1, ours.sizes.length);
    const posting = await postingCost(players.length, Math.round(meanBytes));
    const postsPerS = players.length * 20;
    return [
      [
        `${players.length} players in the arena (${sim.world.entityCount.toLocaleString("en-US")} entities: 1,000 pucks and crates, 20 game bots, 200 coins, walls, the shrine), ${seconds} s of game time at ${TICK_HZ} ticks/s, pushed at 20 Hz (${pushes} pushes), each player steered by the arena's bot policy at ${rate} command(s)/s from its own client's store; the arena's push settings: ${shown}`,
        "",
        `| design | bytes per push per client, mean | p99 | bytes per frame sent | frames per player-hour | API Gateway messages (32 KB units) per player-hour | their cost per player-hour (${AWS_PRICES.region}) | downloaded per player-hour |`,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ours.row("area of interest, deltas (this design)", seconds, players.length, usdPerMessage),
        worldDeltas.row(
          "the whole world's deltas to everyone (67f70bd)",
          seconds,
          players.length,
          usdPerMessage,
        ),
        whole.row(
          "every entity to every client, every frame (anchor)",
          seconds,
          players.length,
          usdPerMessage,
        ),
        "",
        `mean ${group(meanBytes)} bytes per push per client (target: under 2,048) ${meanBytes < 2048 ? "met" : "NOT met"}; ${ratio}x fewer bytes than every entity to everyone; a client holds ${meanArea.toFixed(0)} entities on average (its own, its area, walls and the shrine); ${fullFrames} full frames (first frames and keyframes); every client's store matched the world after every push (0 gaps)`,
        `the pusher took ${(pushCpuMs / pushes).toFixed(2)} ms of CPU (${(pushMs / pushes).toFixed(2)} ms wall) per push for ${players.length} connections (areas, deltas, frames' text; posting to the tap); the old design's JSON of the whole world, once per client, would take ${((wholeJsonMs / pushes) * players.length).toFixed(1)} ms (${(wholeJsonMs / pushes).toFixed(2)} ms measured once per push, times ${players.length}); ${elapsedS.toFixed(0)} s wall time for the whole run`,
      ].join("\n"),
      [
        `Posting the frames (${posting.posts.toLocaleString("en-US")} frames of ${group(Math.round(meanBytes))} bytes to ${players.length} real WebSocket clients in this process, CPU per frame):`,
        "",
        "| how a frame leaves | CPU per frame | CPU for 200 players at 20 Hz |",
        "| --- | ---: | ---: |",
        `| PostToConnection through the AWS SDK (a deployment's tick function) | ${posting.sdkUs.toFixed(0)} µs | ${((posting.sdkUs * postsPerS) / 1e6).toFixed(2)} s a second |`,
        `| into the gateway of the same process (the local stack, \`GatewayClientPush\`) | ${posting.inProcessUs.toFixed(0)} µs | ${((posting.inProcessUs * postsPerS) / 1e6).toFixed(2)} s a second |`,
      ].join("\n"),
    ];
  },
};
