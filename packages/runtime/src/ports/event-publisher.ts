/**
 * The event publisher port: domain events out to the bus (EventBridge in AWS). Delivery is at
 * least once: a publisher retries what failed, and a batch retried after a crash publishes again,
 * so every event carries a deterministic id for consumers to deduplicate by.
 */
import { putEventsEntrySize } from "../definitions/events.js";

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

/**
 * What every publisher checks before sending an event, so that all refuse the same events for
 * the same reasons: the detail as it goes on the wire (a JSON object whose first key is the
 * event's id, `EVENT_ID_DETAIL_KEY`) and the PutEvents entry's size as EventBridge counts it
 * (`putEventsEntrySize`, with a Time), or why EventBridge could not take it: a detail that is not
 * a JSON object or names another id, an empty source or detail type, a time that is not a
 * number, an entry of `maxEntryBytes` or more.
 */
export function checkOutgoingEvent(
  event: OutgoingEvent,
  maxEntryBytes: number,
): { readonly detailJson: string; readonly bytes: number } | { readonly reason: string } {
  const { detail } = event;
  if (typeof detail !== "object" || detail === null || Array.isArray(detail)) {
    return { reason: "detail must be a JSON object" };
  }
  if (Object.hasOwn(detail, EVENT_ID_DETAIL_KEY) && detail[EVENT_ID_DETAIL_KEY] !== event.eventId) {
    return {
      reason: `detail.${EVENT_ID_DETAIL_KEY} ${JSON.stringify(detail[EVENT_ID_DETAIL_KEY])} is not the event's id`,
    };
  }
  if (event.source === "" || event.detailType === "") {
    return { reason: "source and detailType must not be empty" };
  }
  if (!Number.isFinite(event.timeMs))
    return { reason: `timeMs is not a finite number: ${event.timeMs}` };
  let detailJson: string;
  try {
    detailJson = JSON.stringify({ [EVENT_ID_DETAIL_KEY]: event.eventId, ...detail });
  } catch (error) {
    return {
      reason: `detail is not JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const bytes = putEventsEntrySize({
    Source: event.source,
    DetailType: event.detailType,
    Detail: detailJson,
    Time: 0,
  });
  if (bytes >= maxEntryBytes) {
    return {
      reason: `entry is ${bytes} bytes; EventBridge takes less than ${maxEntryBytes} bytes`,
    };
  }
  return { detailJson, bytes };
}
