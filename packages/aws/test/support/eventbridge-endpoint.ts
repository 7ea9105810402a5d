/**
 * A local EventBridge endpoint: `PutEvents` over AWS JSON 1.1 (`X-Amz-Target:
 * AWSEvents.PutEvents`), as `@aws-sdk/client-eventbridge` sends it. It keeps the events it
 * accepts in the shape EventBridge hands to rules and targets, so the local stack's bus can route
 * them with the event-pattern matcher later.
 *
 * It answers as EventBridge does where that is documented: at most 10 entries per request, one
 * result per entry in request order with either an `EventId` or an `ErrorCode` and
 * `ErrorMessage`, and `FailedEntryCount`; a detail must be a JSON object; an entry is measured as
 * in "Calculating PutEvents event entry size". Tests can make chosen entries fail a number of
 * times (`failEntries`) and whole requests fail (`failRequests`).
 */
import { randomUUID } from "node:crypto";
import {
  type AwsJsonVersion,
  awsJsonError,
  awsJsonResponse,
  FaultQueue,
  type HttpRequest,
  type HttpResponse,
  isSigned,
  jsonObjectBody,
  jsonRpcOperation,
  type ListeningEndpoint,
  type ListenOptions,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  listen,
  type ServiceFault,
} from "@ledgerquest/emulators/protocol";

const VERSION: AwsJsonVersion = "1.1";
const SERVICE_TARGET = "AWSEvents";

/** One PutEvents entry as the wire carries it (`Time` in epoch seconds, fractions allowed). */
export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Time?: number;
  readonly Resources?: readonly string[];
  readonly EventBusName?: string;
  readonly TraceHeader?: string;
}

export type PutEventsResultEntry =
  | { readonly EventId: string }
  | { readonly ErrorCode: string; readonly ErrorMessage: string };

/** One PutEvents request that reached the endpoint, and how it was answered. */
export interface PutEventsCall {
  readonly entries: readonly PutEventsEntry[];
  /** Absent when the whole request failed. */
  readonly results?: readonly PutEventsResultEntry[];
}

/** An event as EventBridge delivers it to targets (and as event patterns see it). */
export interface DeliveredEvent {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": string;
  readonly source: string;
  readonly account: string;
  /** ISO 8601 to the second, as EventBridge writes it. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: { readonly [key: string]: unknown };
}

export interface AcceptedEvent {
  readonly eventBusName: string;
  /** The entry's time to the millisecond (EventBridge's `time` keeps only seconds). */
  readonly timeMs: number;
  readonly event: DeliveredEvent;
}

export interface EntryFailure {
  /** Which entries fail. */
  readonly matches: (entry: PutEventsEntry) => boolean;
  /** How many matching entries fail before they pass again (`Infinity`: all). Default 1. */
  readonly times?: number;
  /** Default `InternalFailure`, which EventBridge documents as retryable. */
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

export interface EventBridgeEndpointOptions {
  readonly account?: string;
  readonly region?: string;
  /** Entries of this size or more are refused, in bytes. Default 256 KB ("less than 256KB"). */
  readonly maxEntryBytes?: number;
  /** The time of an entry that gives none, ms. Default `Date.now`. */
  readonly nowMs?: () => number;
}

const MAX_ENTRIES = 10;
/** What a PutEvents entry's `Time` counts for in the entry size, whatever the time. */
const TIME_ENTRY_BYTES = 14;

export class EventBridgeEndpoint {
  readonly account: string;
  readonly region: string;
  readonly maxEntryBytes: number;
  readonly #nowMs: () => number;
  readonly #buses = new Set<string>(["default"]);
  readonly #calls: PutEventsCall[] = [];
  readonly #accepted: AcceptedEvent[] = [];
  readonly #entryFailures: { failure: EntryFailure; remaining: number }[] = [];
  readonly #requestFaults = new FaultQueue();
  readonly #listeners = new Set<(event: AcceptedEvent) => void>();

  constructor(options: EventBridgeEndpointOptions = {}) {
    this.account = options.account ?? LOCAL_ACCOUNT;
    this.region = options.region ?? LOCAL_REGION;
    this.maxEntryBytes = options.maxEntryBytes ?? 256 * 1024;
    this.#nowMs = options.nowMs ?? Date.now;
  }

  /** Serves this endpoint alone on a loopback port. */
  listen(options?: ListenOptions): Promise<ListeningEndpoint> {
    return listen((request) => this.handle(request), options);
  }

  /** Creates a custom event bus (the `default` bus always exists); returns its ARN. */
  createEventBus(name: string): string {
    this.#buses.add(name);
    return this.busArn(name);
  }

  busArn(name: string): string {
    return `arn:aws:events:${this.region}:${this.account}:event-bus/${name}`;
  }

  /** Every PutEvents request received, in order. */
  calls(): readonly PutEventsCall[] {
    return this.#calls;
  }

  /** Every event accepted, in order. */
  events(): readonly AcceptedEvent[] {
    return this.#accepted;
  }

  /** Calls `listener` with every event accepted from now on; returns the unsubscribe function. */
  subscribe(listener: (event: AcceptedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Matching entries fail, entry by entry, as EventBridge fails entries it could not take. */
  failEntries(failure: EntryFailure): void {
    this.#entryFailures.push({ failure, remaining: failure.times ?? 1 });
  }

  /**
   * The next `times` requests fail as a whole with `fault`, after `afterRequests` that pass
   * (and after the failures already queued).
   */
  failRequests(fault: ServiceFault, times = 1, afterRequests = 0): void {
    this.#requestFaults.add(fault, times, afterRequests);
  }

  async handle(request: HttpRequest): Promise<HttpResponse> {
    if (!isSigned(request)) {
      return awsJsonError(VERSION, {
        status: 400,
        errorType: "MissingAuthenticationTokenException",
        message: "Missing Authentication Token",
      });
    }
    const operation = jsonRpcOperation(request, SERVICE_TARGET);
    if (operation !== "PutEvents") {
      return awsJsonError(VERSION, {
        status: 400,
        errorType: "UnknownOperationException",
        message: `Operation ${String(request.headers["x-amz-target"])} is not supported by this endpoint`,
      });
    }
    const input = jsonObjectBody(request);
    const entries = input?.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      return awsJsonError(VERSION, {
        status: 400,
        errorType: "ValidationException",
        message: `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
      });
    }
    const call: { entries: readonly PutEventsEntry[]; results?: PutEventsResultEntry[] } = {
      entries: entries as PutEventsEntry[],
    };
    this.#calls.push(call);
    const fault = this.#requestFaults.take();
    if (fault !== undefined) return awsJsonError(VERSION, fault);

    const results = call.entries.map((entry) => this.#put(entry));
    call.results = results;
    return awsJsonResponse(VERSION, {
      FailedEntryCount: results.filter((r) => "ErrorCode" in r).length,
      Entries: results,
    });
  }

  #put(entry: PutEventsEntry): PutEventsResultEntry {
    const invalid = this.#invalid(entry);
    if (invalid !== undefined) return invalid;
    const busName = this.#busName(entry.EventBusName);
    if (!this.#buses.has(busName)) {
      return {
        ErrorCode: "ResourceNotFoundException",
        ErrorMessage: `Event bus ${busName} does not exist.`,
      };
    }
    const failure = this.#entryFailures.find((f) => f.remaining > 0 && f.failure.matches(entry));
    if (failure !== undefined) {
      failure.remaining -= 1;
      return {
        ErrorCode: failure.failure.errorCode ?? "InternalFailure",
        ErrorMessage: failure.failure.errorMessage ?? "Injected failure",
      };
    }
    const timeMs = entry.Time === undefined ? this.#nowMs() : Math.round(entry.Time * 1000);
    const accepted: AcceptedEvent = {
      eventBusName: busName,
      timeMs,
      event: {
        version: "0",
        id: randomUUID(),
        "detail-type": entry.DetailType as string,
        source: entry.Source as string,
        account: this.account,
        time: new Date(timeMs).toISOString().replace(/\.\d{3}Z$/, "Z"),
        region: this.region,
        resources: [...(entry.Resources ?? [])],
        detail: JSON.parse(entry.Detail as string) as { readonly [key: string]: unknown },
      },
    };
    this.#accepted.push(accepted);
    for (const listener of this.#listeners) listener(accepted);
    return { EventId: accepted.event.id };
  }

  /** Why EventBridge would refuse the entry, if it would. */
  #invalid(entry: PutEventsEntry): PutEventsResultEntry | undefined {
    for (const field of ["Source", "DetailType", "Detail"] as const) {
      const value = entry[field];
      if (typeof value !== "string" || value === "") {
        return {
          ErrorCode: "InvalidArgument",
          ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
        };
      }
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail as string);
    } catch {
      detail = undefined;
    }
    if (typeof detail !== "object" || detail === null || Array.isArray(detail)) {
      return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
    }
    const size = entrySizeBytes(entry);
    if (size >= this.maxEntryBytes) {
      // AWS does not document its answer to an oversize entry; an entry error keeps the others.
      return {
        ErrorCode: "InvalidArgument",
        ErrorMessage: `Entry size ${size} is not less than the limit of ${this.maxEntryBytes} bytes.`,
      };
    }
    return undefined;
  }

  /** The bus an entry names, by name or ARN (the default bus when it names none). */
  #busName(nameOrArn: string | undefined): string {
    if (nameOrArn === undefined || nameOrArn === "") return "default";
    const arn = /^arn:aws[a-z-]*:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(nameOrArn);
    return arn?.[1] ?? nameOrArn;
  }
}

/** An entry's size as AWS's "Calculating PutEvents event entry size" defines it. */
export function entrySizeBytes(entry: PutEventsEntry): number {
  const bytes = (text: string | undefined) =>
    text === undefined ? 0 : Buffer.byteLength(text, "utf8");
  return (
    (entry.Time === undefined ? 0 : TIME_ENTRY_BYTES) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((sum, resource) => sum + bytes(resource), 0)
  );
}
