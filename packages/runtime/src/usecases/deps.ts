import type { BlobStore } from "../ports/blob-store.js";
import type { ClientPush } from "../ports/client-push.js";
import type { Clock } from "../ports/clock.js";
import type { CommandInbox } from "../ports/command-inbox.js";
import type { EntityStore } from "../ports/entity-store.js";
import type { EventPublisher } from "../ports/event-publisher.js";
import type { Journal } from "../ports/journal.js";
import type { GameModule } from "../world/game.js";

/** Everything the use cases talk to: the ports, and the game. */
export interface RuntimeDeps {
  readonly store: EntityStore;
  readonly journal: Journal;
  readonly inbox: CommandInbox;
  readonly blobs: BlobStore;
  readonly publisher: EventPublisher;
  readonly push: ClientPush;
  readonly clock: Clock;
  readonly game: GameModule;
}

/**
 * What a process keeps for one set of dependencies (a Lambda container's, a test's own): made on
 * first use, and gone with the dependencies.
 */
export function keptFor<K extends object, T>(cache: WeakMap<K, T>, key: K, make: () => T): T {
  let kept = cache.get(key);
  if (kept === undefined) {
    kept = make();
    cache.set(key, kept);
  }
  return kept;
}
