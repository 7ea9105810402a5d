/** What the local stack's end-to-end tests share to start a stack and a world on it. */
import { arenaModule } from "@ledgerquest/example-arena";
import { type CreateWorldInput, createWorld, type RuntimeDeps } from "@ledgerquest/runtime";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../../src/dev.js";

/** The arena on an in-memory stack, its laps back to back, logging nothing; `options` change that. */
export function startArena(options: Partial<LocalStackOptions> = {}): Promise<LocalStack> {
  return startLocalStack({
    game: arenaModule,
    inMemory: true,
    waitSeconds: 0,
    log: () => undefined,
    ...options,
  });
}

/** Creates a world on the stack's stores and starts its game loop; the stack's ports. */
export async function startWorld(stack: LocalStack, input: CreateWorldInput): Promise<RuntimeDeps> {
  const deps = stack.runtimeDeps();
  const { world } = await createWorld(deps, input);
  await stack.activate(input.worldId, world.version);
  return deps;
}
