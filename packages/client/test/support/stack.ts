/**
 * The local stack for the client's end-to-end tests: every service in this process on free
 * ports, running the tiny game, a world created and its game loop started. Waiting is bounded
 * (a liveness bound, so a broken stack fails rather than hangs), never a speed check.
 */
import { type LocalStack, type LocalStackOptions, startLocalStack } from "@ledgerquest/local";
import { createWorld, getState } from "@ledgerquest/runtime";
import WebSocket from "ws";
import type { WebSocketConstructor } from "../../src/socket.js";
import { tinyGame } from "./tiny-game.js";

/** `ws`'s class, as the client takes it (Node 20 has no global WebSocket). */
export const NodeWebSocket: WebSocketConstructor = WebSocket;

/**
 * Polls `probe` until it gives a value, for at most `timeoutMs`.
 * Alike: packages/local/test/support/wait.ts's until; tests share no code across packages.
 */
export async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts the stack with the tiny game. */
export async function startTinyStack(): Promise<LocalStack> {
  const options: LocalStackOptions = {
    game: tinyGame,
    inMemory: true,
    ticksPerBatch: 10,
    waitSeconds: 0,
    log: () => undefined,
  };
  return await startLocalStack(options);
}

/** Creates `worldId` with `players`, starts its loop and waits for its first batch. */
export async function startWorld(
  stack: LocalStack,
  worldId: string,
  players: readonly string[],
): Promise<void> {
  const deps = stack.runtimeDeps();
  const { world } = await createWorld(deps, { worldId, players });
  await stack.activate(worldId, world.version);
  await until(
    `world ${worldId}'s first batch`,
    async () => ((await getState(deps, { worldId }))?.version ?? 0) >= 1 || undefined,
  );
}
