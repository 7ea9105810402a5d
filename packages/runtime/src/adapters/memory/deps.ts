import { type Clock, ManualClock } from "../../ports/clock.js";
import type { RuntimeDeps } from "../../usecases/deps.js";
import type { GameModule } from "../../world/game.js";
import { MemoryBlobStore } from "./blob-store.js";
import { MemoryClientPush } from "./client-push.js";
import { MemoryCommandInbox } from "./command-inbox.js";
import { MemoryEntityStore } from "./entity-store.js";
import { MemoryEventPublisher } from "./event-publisher.js";
import { MemoryJournal } from "./journal.js";

/** The runtime's dependencies over the memory adapters, each typed as itself for inspection. */
export interface MemoryDeps extends RuntimeDeps {
  readonly store: MemoryEntityStore;
  readonly journal: MemoryJournal;
  readonly inbox: MemoryCommandInbox;
  readonly blobs: MemoryBlobStore;
  readonly publisher: MemoryEventPublisher;
  readonly push: MemoryClientPush;
}

/**
 * Every port over the memory adapters, for tests and single-process tools: one game, fresh stores,
 * and a manual clock unless another is given.
 */
export function createMemoryDeps(game: GameModule): MemoryDeps & { readonly clock: ManualClock };
export function createMemoryDeps<C extends Clock>(
  game: GameModule,
  clock: C,
): MemoryDeps & { readonly clock: C };
export function createMemoryDeps(game: GameModule, clock: Clock = new ManualClock()): MemoryDeps {
  return {
    store: new MemoryEntityStore(),
    journal: new MemoryJournal(),
    inbox: new MemoryCommandInbox(),
    blobs: new MemoryBlobStore(),
    publisher: new MemoryEventPublisher(),
    push: new MemoryClientPush(),
    clock,
    game,
  };
}
