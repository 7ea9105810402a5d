/**
 * Running an integration as Lambda would: with a Lambda context, the integration timeout, and its
 * failure captured rather than thrown; invocations under way are tracked so that stopping the
 * gateway lets them finish.
 */
import { lambdaContext } from "../lambda-context.js";
import type { WebSocketGatewayErrorSite, WebSocketLambdaHandler } from "./types.js";

export type Invocation<T> =
  | { readonly kind: "returned"; readonly value: T }
  | { readonly kind: "threw"; readonly error: unknown }
  | { readonly kind: "timed-out" };

/** Whether a Lambda proxy answer is an object at all. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The gateway's integrations runner. */
export class Invoker {
  /** Handler invocations under way, so that `stop` lets them finish. */
  readonly #inflight = new Set<Promise<unknown>>();

  constructor(
    readonly timeoutMs: number,
    readonly region: string,
    readonly accountId: string,
  ) {}

  /** Settles once every invocation under way now has. */
  settled(): Promise<PromiseSettledResult<unknown>[]> {
    return Promise.allSettled([...this.#inflight]);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inflight.add(promise);
    void promise.finally(() => this.#inflight.delete(promise)).catch(() => {});
    return promise;
  }

  /** Runs a handler as Lambda would: with a context, a timeout, and its failure captured. */
  async invoke<E, R>(
    site: WebSocketGatewayErrorSite,
    handler: WebSocketLambdaHandler<E, R>,
    event: E,
  ): Promise<Invocation<R>> {
    const functionName = `ledgerquest-local-${site.replace("$", "")}`;
    const context = lambdaContext(functionName, this.timeoutMs, {
      region: this.region,
      accountId: this.accountId,
    });
    const run = this.#track(
      (async (): Promise<Invocation<R>> => {
        try {
          return { kind: "returned", value: await handler(event, context) };
        } catch (error) {
          return { kind: "threw", error };
        }
      })(),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<Invocation<R>>((resolve) => {
      timer = setTimeout(() => resolve({ kind: "timed-out" }), this.timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
