/**
 * The parts of the events the integrations receive: the request context every event shares (ids,
 * times, stage, domain name), the method ARN the authorizer is asked about, and the header and
 * query string maps of the handshake.
 */
import { requestStyleId } from "./ids.js";
import type { WebSocketIdentity, WebSocketRequestContext } from "./types.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `requestTime`'s format, the Common Log Format's. */
export function commonLogTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

export interface ParameterMaps {
  readonly single: Record<string, string>;
  readonly multi: Record<string, string[]>;
}

export function parameterMaps(pairs: Iterable<readonly [string, string]>): ParameterMaps {
  // Names are the client's: a Map, then own properties, so `constructor` or `__proto__` is a name
  // like any other rather than a prototype's member.
  const single = new Map<string, string>();
  const multi = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    // The single-value map holds the last value, as API Gateway's does.
    single.set(name, value);
    const values = multi.get(name);
    if (values === undefined) multi.set(name, [value]);
    else values.push(value);
  }
  return { single: Object.fromEntries(single), multi: Object.fromEntries(multi) };
}

export function headerPairs(rawHeaders: readonly string[]): Array<readonly [string, string]> {
  const pairs: Array<readonly [string, string]> = [];
  // rawHeaders keeps the client's spelling of names, which API Gateway passes on unchanged.
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    pairs.push([rawHeaders[i] as string, rawHeaders[i + 1] as string]);
  }
  return pairs;
}

/** The API as its events name it: where it answers, its ARNs, its stage and id. */
export class ApiSite {
  constructor(
    readonly stage: string,
    readonly apiId: string,
    readonly port: number,
    readonly region: string,
    readonly accountId: string,
  ) {}

  methodArn(routeKey: string): string {
    return `arn:aws:execute-api:${this.region}:${this.accountId}:${this.apiId}/${this.stage}/${routeKey}`;
  }

  #domainName(): string {
    // Where this API answers, as API Gateway's domainName is where it does; with the port, so that
    // `http://${domainName}/${stage}` reaches the @connections endpoint.
    return `127.0.0.1:${this.port}`;
  }

  /** What every event's `requestContext` holds, for a fresh request id at the current time. */
  baseContext(
    connectionId: string,
    connectedAtMs: number,
    identity: WebSocketIdentity,
  ): Omit<WebSocketRequestContext, "routeKey" | "eventType"> {
    const nowMs = Date.now();
    const requestId = requestStyleId();
    return {
      extendedRequestId: requestId,
      requestTime: commonLogTime(nowMs),
      messageDirection: "IN",
      stage: this.stage,
      connectedAt: connectedAtMs,
      requestTimeEpoch: nowMs,
      identity,
      requestId,
      domainName: this.#domainName(),
      connectionId,
      apiId: this.apiId,
    };
  }
}
