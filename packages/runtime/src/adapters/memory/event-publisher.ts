import { MAX_PUT_EVENTS_ENTRY_BYTES } from "../../definitions/events.js";
import { PublishError } from "../../errors.js";
import {
  checkOutgoingEvent,
  chunkPutEventsEntries,
  type EventPublisher,
  type OutgoingEvent,
} from "../../ports/event-publisher.js";

/**
 * An `EventPublisher` that delivers to an in-process bus, for use-case tests and single-process
 * runs. It behaves as the EventBridge adapter does, so a test against it says something about
 * production:
 *
 * - events go out in calls of at most `PUT_EVENTS_MAX_ENTRIES`, in the order given;
 * - an event EventBridge would refuse (an entry of 256 KB or more, a detail that is not a JSON
 *   object) or whose detail holds another `eventId` than the event's is refused before anything
 *   is sent, and named in the `PublishError` while the others are published;
 * - a failed delivery (injected with `failNext`) is retried, alone, up to `maxAttempts` times in
 *   all; what still fails is named in the `PublishError`.
 *
 * What it delivers is what a consumer receives: a JSON copy of the event whose detail carries the
 * event's id as `eventId` (docs/reference/events.md). The copy also keeps a caller that mutates
 * its event afterwards from changing what was published.
 */

export interface MemoryEventPublisherOptions {
  /** Deliveries tried per event, the first included, before it counts as failed. Default 4. */
  readonly maxAttempts?: number;
  /** Entries of this size or more are refused, in bytes. Default `MAX_PUT_EVENTS_ENTRY_BYTES`. */
  readonly maxEntryBytes?: number;
}

export type PublishedEventsListener = (events: readonly OutgoingEvent[]) => void;

interface Pending {
  readonly index: number;
  readonly event: OutgoingEvent;
  readonly bytes: number;
  reason: string;
}

export class MemoryEventPublisher implements EventPublisher {
  readonly maxAttempts: number;
  readonly maxEntryBytes: number;
  readonly #published: OutgoingEvent[] = [];
  readonly #calls: OutgoingEvent[][] = [];
  /** Deliveries still to fail, by event id. */
  readonly #faults = new Map<string, number>();
  readonly #listeners = new Set<PublishedEventsListener>();

  constructor(options: MemoryEventPublisherOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.maxEntryBytes = options.maxEntryBytes ?? MAX_PUT_EVENTS_ENTRY_BYTES;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be a positive integer, got ${this.maxAttempts}`);
    }
  }

  async publish(events: readonly OutgoingEvent[]): Promise<void> {
    const failed: { index: number; eventId: string; reason: string }[] = [];
    let pending: Pending[] = [];
    events.forEach((event, index) => {
      const checked = checkEvent(event, this.maxEntryBytes);
      if ("reason" in checked)
        failed.push({ index, eventId: event.eventId, reason: checked.reason });
      else pending.push({ index, event: checked.event, bytes: checked.bytes, reason: "" });
    });

    for (let attempt = 1; attempt <= this.maxAttempts && pending.length > 0; attempt++) {
      const again: Pending[] = [];
      for (const call of chunkPutEventsEntries(pending, this.maxEntryBytes)) {
        this.#calls.push(call.map((p) => p.event));
        const delivered: OutgoingEvent[] = [];
        for (const p of call) {
          const remaining = this.#faults.get(p.event.eventId) ?? 0;
          if (remaining > 0) {
            this.#faults.set(p.event.eventId, remaining - 1);
            p.reason = "InternalFailure: injected failure";
            again.push(p);
          } else {
            delivered.push(p.event);
          }
        }
        this.#published.push(...delivered);
        if (delivered.length > 0) for (const listener of this.#listeners) listener(delivered);
      }
      pending = again;
    }

    for (const p of pending) {
      failed.push({
        index: p.index,
        eventId: p.event.eventId,
        reason: `${p.reason} (after ${this.maxAttempts} attempts)`,
      });
    }
    if (failed.length > 0) {
      failed.sort((a, b) => a.index - b.index);
      throw new PublishError(failed.map(({ eventId, reason }) => ({ eventId, reason })));
    }
  }

  /** Everything delivered so far, in delivery order, as consumers see it (with `detail.eventId`). */
  get published(): readonly OutgoingEvent[] {
    return this.#published;
  }

  /** Every call made to the bus: the events in it, failed ones included, in order. */
  get calls(): readonly (readonly OutgoingEvent[])[] {
    return this.#calls;
  }

  /** The next `times` deliveries of this event fail (transiently); `Infinity` for all of them. */
  failNext(eventId: string, times = 1): void {
    this.#faults.set(eventId, times);
  }

  /** Calls `listener` with each call's delivered events; returns the unsubscribe function. */
  subscribe(listener: PublishedEventsListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Forgets what was published and called (not the listeners nor pending faults). */
  clear(): void {
    this.#published.length = 0;
    this.#calls.length = 0;
  }
}

/**
 * The event as a consumer will see it (a JSON copy, the id in the detail) and the size of its
 * PutEvents entry, or why it cannot be published (`checkOutgoingEvent`, as every publisher).
 */
function checkEvent(
  event: OutgoingEvent,
  maxEntryBytes: number,
): { readonly event: OutgoingEvent; readonly bytes: number } | { readonly reason: string } {
  const checked = checkOutgoingEvent(event, maxEntryBytes);
  if ("reason" in checked) return checked;
  return {
    event: {
      eventId: event.eventId,
      source: event.source,
      detailType: event.detailType,
      detail: JSON.parse(checked.detailJson) as { [key: string]: unknown },
      timeMs: event.timeMs,
    },
    bytes: checked.bytes,
  };
}
