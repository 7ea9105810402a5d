/**
 * The `EventPublisher` port over EventBridge's PutEvents (`@aws-sdk/client-eventbridge`).
 *
 * PutEvents takes at most 10 entries and answers per entry: a call can succeed while some of its
 * entries failed (`FailedEntryCount`). So the publisher
 *
 * - refuses up front, without sending it, an event EventBridge could never take (an entry of
 *   256 KB or more, a detail that is not a JSON object) or whose detail holds another `eventId`
 *   than the event's;
 * - sends the rest in calls of at most 10 entries (and under 256 KB in all), in the order given,
 *   one call at a time;
 * - sends again only the entries that failed with a retryable code, after an exponential backoff
 *   with jitter, until every entry is in or it has tried `maxAttempts` times;
 * - then throws a `PublishError` naming exactly the events that are not published, and why.
 *
 * A call that fails as a whole (after the SDK's own retries: throttling, a 5xx, the network, or
 * a permanent error such as AccessDenied) ends the publish: its events and those not yet sent are
 * named in the `PublishError`, whose `cause` is the SDK's error. Events already published stay
 * published; the caller publishes again (consumers deduplicate by event id).
 *
 * On the wire, the event's id travels in the detail as `eventId`, first (EventBridge assigns its
 * own envelope ids and has no field for the producer's; docs/reference/events.md); `detail-type`,
 * `source` and `time` carry the rest. The SDK client comes from the caller, so its endpoint, region and credentials come from the
 * SDK's normal configuration (`AWS_ENDPOINT_URL_EVENTBRIDGE` for the local stack).
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from "@aws-sdk/client-eventbridge";
import {
  checkOutgoingEvent,
  chunkPutEventsEntries,
  EVENT_BUS_NAME,
  EVENT_ID_DETAIL_KEY,
  type EventPublisher,
  MAX_PUT_EVENTS_ENTRY_BYTES,
  type OutgoingEvent,
  PUT_EVENTS_MAX_ENTRIES,
  PublishError,
} from "@ledgerquest/runtime";

/**
 * EventBridge takes PutEvents entries, and calls, of less than 256 KB (its size page says "less
 * than"; measured as `putEventsEntrySize` in the runtime's event definitions measures): the
 * runtime's `MAX_PUT_EVENTS_ENTRY_BYTES`, under the name this adapter has always exported.
 */
export const PUT_EVENTS_MAX_ENTRY_BYTES = MAX_PUT_EVENTS_ENTRY_BYTES;

/** The bus the stacks create: the one-source `EVENT_BUS_NAME`. */
export const DEFAULT_EVENT_BUS_NAME = EVENT_BUS_NAME;

/**
 * Entry error codes that no retry can fix (EventBridge's PutEventsResultEntry documentation lists
 * all but the last as non-retryable; a bus that does not exist will not appear in a second).
 * Every other code, `InternalFailure` and `ThrottlingException` first, is retried.
 */
const PERMANENT_ENTRY_ERRORS: ReadonlySet<string> = new Set([
  "AccessDeniedException",
  "InvalidAccountIdException",
  "InvalidArgument",
  "MalformedDetail",
  "RedactionFailure",
  "NotAuthorizedForSourceException",
  "NotAuthorizedForDetailTypeException",
  "ResourceNotFoundException",
]);

export interface EventBridgePublisherOptions {
  /** The bus to publish to, by name or ARN. Default `DEFAULT_EVENT_BUS_NAME`. */
  readonly eventBusName?: string;
  /** Sends per entry, the first included, before it counts as failed. Default 4. */
  readonly maxAttempts?: number;
  /**
   * Backoff before the n-th resend (n = 1, 2, ...): a random wait in `[d/2, d]` where
   * `d = min(maxDelayMs, baseDelayMs * 2^(n-1))`. Default 100 ms, so 4 attempts wait at most
   * 0.7 s in all: a tick Lambda has seconds, not minutes, to spare.
   */
  readonly baseDelayMs?: number;
  /** Default 2,000 ms. */
  readonly maxDelayMs?: number;
  /** Entries of this size or more are refused, in bytes. Default `PUT_EVENTS_MAX_ENTRY_BYTES`. */
  readonly maxEntryBytes?: number;
  /** How to wait before a resend. Default: a timer. Tests pass one that records. */
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Pending {
  /** Position in the publish call: failures are reported in the caller's order. */
  readonly index: number;
  readonly eventId: string;
  readonly entry: PutEventsRequestEntry;
  readonly bytes: number;
  /** Why the last send failed. */
  reason: string;
}

const timer = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class EventBridgePublisher implements EventPublisher {
  readonly eventBusName: string;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxEntryBytes: number;
  readonly #client: EventBridgeClient;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(client: EventBridgeClient, options: EventBridgePublisherOptions = {}) {
    this.#client = client;
    this.eventBusName = options.eventBusName ?? DEFAULT_EVENT_BUS_NAME;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 2_000;
    this.maxEntryBytes = options.maxEntryBytes ?? PUT_EVENTS_MAX_ENTRY_BYTES;
    this.#sleep = options.sleep ?? timer;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new RangeError(`maxAttempts must be a positive integer, got ${this.maxAttempts}`);
    }
    if (this.eventBusName === "") throw new RangeError("eventBusName must not be empty");
  }

  async publish(events: readonly OutgoingEvent[]): Promise<void> {
    const failed: { index: number; eventId: string; reason: string }[] = [];
    let pending: Pending[] = [];
    events.forEach((event, index) => {
      const entry = this.toEntry(event);
      if ("reason" in entry) failed.push({ index, eventId: event.eventId, reason: entry.reason });
      else
        pending.push({
          index,
          eventId: event.eventId,
          entry: entry.entry,
          bytes: entry.bytes,
          reason: "",
        });
    });

    let cause: unknown;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) await this.#sleep(this.backoffMs(attempt - 1));
      const outcome = await this.#sendAll(pending);
      for (const p of outcome.failed)
        failed.push({ index: p.index, eventId: p.eventId, reason: p.reason });
      if (outcome.error !== undefined) {
        cause = outcome.error;
        for (const p of outcome.retry)
          failed.push({ index: p.index, eventId: p.eventId, reason: p.reason });
        break;
      }
      pending = outcome.retry;
      if (attempt === this.maxAttempts) {
        for (const p of pending) {
          failed.push({
            index: p.index,
            eventId: p.eventId,
            reason: `${p.reason} (after ${attempt} attempts)`,
          });
        }
        break;
      }
    }

    if (failed.length > 0) {
      failed.sort((a, b) => a.index - b.index);
      throw new PublishError(
        failed.map(({ eventId, reason }) => ({ eventId, reason })),
        cause === undefined ? undefined : { cause },
      );
    }
  }

  /**
   * The PutEvents entry of an event and its size, or why EventBridge could not take it. Public so
   * that a producer can check an event before it commits to publishing it.
   */
  toEntry(
    event: OutgoingEvent,
  ):
    | { readonly entry: PutEventsRequestEntry; readonly bytes: number }
    | { readonly reason: string } {
    const checked = checkOutgoingEvent(event, this.maxEntryBytes);
    if ("reason" in checked) return checked;
    const entry: PutEventsRequestEntry = {
      EventBusName: this.eventBusName,
      Source: event.source,
      DetailType: event.detailType,
      Detail: checked.detailJson,
      Time: new Date(event.timeMs),
    };
    return { entry, bytes: checked.bytes };
  }

  /** The wait before the n-th resend, ms (see `baseDelayMs`). */
  backoffMs(resend: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (resend - 1));
    // Jitter spreads the resends of Lambdas that were throttled together.
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  /**
   * Sends every pending entry once, call after call. Returns the entries to send again, those
   * that failed for good, and the error that stopped it, if a call failed as a whole (then `retry`
   * also holds the entries not sent, which cannot be published now).
   */
  async #sendAll(pending: readonly Pending[]): Promise<{
    readonly retry: Pending[];
    readonly failed: Pending[];
    readonly error?: unknown;
  }> {
    const retry: Pending[] = [];
    const failed: Pending[] = [];
    const calls = chunkPutEventsEntries(pending, this.maxEntryBytes);
    for (const [n, call] of calls.entries()) {
      let results: readonly PutEventsResultEntry[];
      try {
        const output = await this.#client.send(
          new PutEventsCommand({ Entries: call.map((p) => p.entry) }),
        );
        results = output.Entries ?? [];
      } catch (error) {
        const name = error instanceof Error ? error.name : "Error";
        const message = error instanceof Error ? error.message : String(error);
        for (const p of call)
          p.reason = `PutEvents to ${this.eventBusName} failed: ${name}: ${message}`;
        for (const p of calls.slice(n + 1).flat()) {
          p.reason = `not sent: an earlier PutEvents call failed (${name})`;
        }
        return { retry: [...retry, ...calls.slice(n).flat()], failed, error };
      }
      call.forEach((p, i) => {
        const result = results[i];
        if (result === undefined) {
          // EventBridge answers every entry; an answer short of one is a broken answer, retried.
          p.reason = "PutEvents returned no result for this entry";
          retry.push(p);
        } else if (result.ErrorCode !== undefined) {
          p.reason = `${result.ErrorCode}: ${result.ErrorMessage ?? ""}`;
          (PERMANENT_ENTRY_ERRORS.has(result.ErrorCode) ? failed : retry).push(p);
        }
      });
    }
    return { retry, failed };
  }
}

export { EVENT_ID_DETAIL_KEY, PUT_EVENTS_MAX_ENTRIES };
