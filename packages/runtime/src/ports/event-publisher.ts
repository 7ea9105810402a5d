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
