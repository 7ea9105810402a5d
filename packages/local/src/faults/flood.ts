/**
 * One client flooding a world with commands, measured: rounds of an unflooded window and a flooded
 * one (the world's committed versions per second in each), while another player sends at a
 * person's pace. Used by the floods test (which checks that every frame is answered and only the
 * admitted ones are stored) and by `npm run bench -- --only floods` (which reports the pace).
 * Rounds keep a window that other work on the machine happened to hit apart from a flood that
 * slows the world: a flood slows every round.
 */
import type { RuntimeDeps } from "@ledgerquest/runtime";
import WebSocket from "ws";

/** A frame a client was sent, but state pushes. */
export interface Answer {
  readonly type: string;
  readonly id?: string;
  readonly code?: string;
  readonly result?: string;
  /** API Gateway's own answers (no `type`): "Internal server error" for a throttled message. */
  readonly message?: string;
}

export interface FloodClient {
  readonly ws: WebSocket;
  /** Every frame but state pushes, in arrival order. */
  readonly answers: Answer[];
}

/** Connects `url` (with its `?world=` and `&token=`), keeping what it is answered. */
export function floodClient(url: string): Promise<FloodClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const answers: Answer[] = [];
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as Answer;
      if (frame.type !== "state") answers.push(frame);
    });
    ws.once("open", () => resolve({ ws, answers }));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

export interface FloodRound {
  /** The world's versions per second before the flood, and while it went on. */
  readonly unfloodedPerS: number;
  readonly floodedPerS: number;
  /** Until the last flooded frame was answered. */
  readonly floodMs: number;
  readonly accepted: number;
  readonly rateLimited: number;
  /**
   * Answered by the gateway itself: a message that waited too long for an invocation slot is
   * throttled, as Lambda throttles, and API Gateway answers "Internal server error" (the client
   * sends it again). None on a quiet machine; a few when the machine's cores are shared.
   */
  readonly throttled: number;
  /** Answers of the flooded frames, in arrival order. */
  readonly answers: readonly Answer[];
}

export interface FloodOptions {
  readonly deps: RuntimeDeps;
  readonly worldId: string;
  readonly flooder: FloodClient;
  /** A player sending `pacedCommands` commands a round, 4 a second. */
  readonly other: FloodClient;
  readonly rounds: number;
  /** Frames the flooder sends at once each round. Default 1,000. */
  readonly frames?: number;
  /** Each measuring window. Default 4 s. */
  readonly windowMs?: number;
  readonly pacedCommands?: number;
  /** How long to wait for every flooded frame's answer. Default 60 s. */
  readonly answersWithinMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const move = (id: string) =>
  JSON.stringify({ action: "command", id, type: "move", data: { dx: 1, dy: 0 } });

export async function measureFlood(options: FloodOptions): Promise<readonly FloodRound[]> {
  const frames = options.frames ?? 1000;
  const windowMs = options.windowMs ?? 4000;
  const paced = options.pacedCommands ?? 8;
  const version = async () => (await options.deps.store.getWorld(options.worldId))?.version ?? 0;
  const pace = async () => {
    const from = await version();
    const startMs = Date.now();
    await sleep(windowMs);
    return ((await version()) - from) / ((Date.now() - startMs) / 1000);
  };
  const rounds: FloodRound[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const before = options.flooder.answers.length;
    const unfloodedPerS = await pace();
    const floodStartMs = Date.now();
    for (let i = 0; i < frames; i++) options.flooder.ws.send(move(`f${round}-${i}`));
    const steady = (async () => {
      for (let i = 0; i < paced; i++) {
        options.other.ws.send(move(`o${round}-${i}`));
        await sleep(250);
      }
    })();
    const floodedPerS = await pace();
    await steady;
    const deadline = Date.now() + (options.answersWithinMs ?? 60_000);
    while (options.flooder.answers.length < before + frames && Date.now() < deadline)
      await sleep(50);
    const answers = options.flooder.answers.slice(before);
    rounds.push({
      unfloodedPerS,
      floodedPerS,
      floodMs: Date.now() - floodStartMs,
      accepted: answers.filter((a) => a.type === "ack" && a.result === "accepted").length,
      rateLimited: answers.filter((a) => a.type === "error" && a.code === "rate_limited").length,
      throttled: answers.filter(
        (a) => a.type === undefined && a.message === "Internal server error",
      ).length,
      answers,
    });
  }
  return rounds;
}

/** A round as one line. */
export function formatFloodRound(r: FloodRound, n: number): string {
  return `flood ${n}: ${r.accepted} accepted, ${r.rateLimited} rate_limited, ${r.throttled} throttled by the gateway, of ${r.answers.length} answered in ${r.floodMs} ms; world ${r.unfloodedPerS.toFixed(2)} versions/s unflooded, ${r.floodedPerS.toFixed(2)} while flooded (${((r.floodedPerS / r.unfloodedPerS) * 100).toFixed(0)}%)`;
}
