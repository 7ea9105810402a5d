/**
 * The message routes' concurrency limit, as a Lambda function's: invocations in flight at most, a
 * bounded line of messages waiting their turn for a bounded time, and the count of those throttled.
 */
import { WebSocketGatewayError } from "../errors.js";

export class InvocationSlots {
  #messagesInFlight = 0;
  #throttled = 0;
  readonly #waiting: (() => void)[] = [];
  #throttleReportedMs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly messageConcurrencyMax: number,
    readonly messageQueueMax: number,
    readonly messageQueueWaitMsMax: number,
  ) {}

  /**
   * Takes an invocation slot, waiting in line if all are taken; false when the line is full or
   * the wait outlasts `messageQueueWaitMsMax` (the message is then throttled).
   */
  async take(): Promise<boolean> {
    if (this.#messagesInFlight < this.messageConcurrencyMax && this.#waiting.length === 0) {
      this.#messagesInFlight++;
      return true;
    }
    if (this.#waiting.length >= this.messageQueueMax) return false;
    // The slot is handed over by `release`; a message still waiting when its time is up
    // leaves the line and is throttled rather than run for a client that has likely given up.
    return await new Promise<boolean>((resolve) => {
      const turn = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const at = this.#waiting.indexOf(turn);
        if (at >= 0) this.#waiting.splice(at, 1);
        resolve(false);
      }, this.messageQueueWaitMsMax);
      this.#waiting.push(turn);
    });
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#messagesInFlight--;
  }

  /**
   * Counts a throttled message of `routeKey`; what to log about it, once a second at most (with
   * the count since), else `undefined`.
   */
  throttle(routeKey: string): WebSocketGatewayError | undefined {
    this.#throttled++;
    const nowMs = Date.now();
    if (nowMs - this.#throttleReportedMs < 1000) return undefined;
    this.#throttleReportedMs = nowMs;
    return new WebSocketGatewayError(
      `${routeKey} throttled: ${this.#messagesInFlight} invocations in flight (${this.#throttled} throttled so far)`,
    );
  }
}
