/**
 * The event publisher port: domain events out to the bus (EventBridge in AWS). Delivery is at
 * least once: a publisher retries what failed, and a batch retried after a crash publishes again,
 * so every event carries a deterministic id for consumers to deduplicate by.
 */
export interface OutgoingEvent {
  readonly eventId: string;
  /** `ledgerquest.game`, ... */
  readonly source: string;
  /** `Quest Completed`, `Level Up`, ... */
  readonly detailType: string;
  readonly detail: { readonly [key: string]: unknown };
  /** The event's time (ms since epoch). */
  readonly timeMs: number;
}

export interface EventPublisher {
  /**
   * Publishes all the events or throws `PublishError` naming the ones that could not be
   * published after retries (those published stay published).
   */
  publish(events: readonly OutgoingEvent[]): Promise<void>;
}

/** EventBridge's limit of entries in one PutEvents call: every publisher batches by it. */
export const PUT_EVENTS_MAX_ENTRIES = 10;

/**
 * The detail key that carries the event's id to consumers (EventBridge assigns its own envelope
 * ids, which differ between two publications of one event).
 */
export const EVENT_ID_DETAIL_KEY = "eventId";

/**
 * Splits entries, in order, into calls of at most `PUT_EVENTS_MAX_ENTRIES` whose sizes add up to
 * less than `maxCallBytes`: AWS words the 256 KB limit as one for "the total entry size" of a
 * request as well as for one entry, so a call never carries more than one entry's worth.
 */
export function chunkPutEventsEntries<T extends { readonly bytes: number }>(
  entries: readonly T[],
  maxCallBytes: number,
): T[][] {
  const calls: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (
      current.length === PUT_EVENTS_MAX_ENTRIES ||
      (current.length > 0 && bytes + entry.bytes >= maxCallBytes)
    ) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.bytes;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}
