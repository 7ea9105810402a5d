/**
 * The local stack's EventBridge: an endpoint on loopback speaking AWS JSON 1.1 (`X-Amz-Target:
 * AWSEvents.<Operation>`), so that `@aws-sdk/client-eventbridge` (and the AWS CLI) talk to it
 * unchanged, and a bus that routes what it accepts by the one-source rules (`EVENT_RULES`), with
 * the engine's own event-pattern matcher, to local targets.
 *
 * What it does as EventBridge does (the PutEvents API reference, "Calculating PutEvents event entry
 * size", "Amazon EventBridge events", "Transforming target input", "Retrying events"):
 *
 * - `PutEvents`: 1 to 10 entries, else the whole request is a `ValidationException`. Each entry is
 *   answered on its own, in request order, with an `EventId` or an `ErrorCode` and `ErrorMessage`
 *   (`FailedEntryCount` counts the failures): Source, DetailType and Detail are required, Detail
 *   must be a JSON object (`MalformedDetail`), the entry must be under 256 KB as AWS measures it,
 *   and its bus must exist (`ResourceNotFoundException`; `default` and the game's bus exist). An
 *   accepted entry becomes the event EventBridge delivers: `version` "0", a fresh `id`,
 *   `detail-type`, `source`, `account`, `time` (the entry's `Time` or now, ISO 8601 to the second),
 *   `region`, `resources`, `detail`.
 * - Routing: every enabled rule of the event's bus whose pattern matches (`compilePattern`) gets
 *   one delivery, to the rule's target, of the input EventBridge would send (`renderTargetInput`:
 *   the whole event, an `InputPath`, or an input transformer). Delivery is asynchronous: PutEvents
 *   answers before any target runs, as it does in AWS, and targets of one event run concurrently.
 *   A target that throws is retried with exponential backoff and jitter, a bounded number of times
 *   (`retry`); an input that cannot be rendered is not retried (EventBridge sends such an event to
 *   the dead-letter queue at once). A delivery that fails for good goes to `onDeliveryError`, as
 *   to a rule's DLQ.
 * - `PutRule` (event patterns only, validated as PutRule validates them:
 *   `InvalidEventPatternException`), `DescribeRule`, `ListRules`, `EnableRule`, `DisableRule` and
 *   `TestEventPattern`, so a developer can inspect and try the rules with the CLI.
 *
 * What it does not: verify SigV4 signatures (it only requires one), schedules, archives and
 * replays, PutTargets (a rule's target comes from the one-source definition; a rule made with
 * PutRule has none), cross-account buses, input transformer placeholders inside JSON strings and
 * the `aws.events.*` variables (`renderTargetInput` refuses them), and EventBridge's own retry
 * policy (up to 185 attempts over 24 h; locally a few within seconds). A Lambda target is invoked
 * as a function call, so its failure is retried here, where AWS would leave it to Lambda's async
 * retries; either way the handler must be idempotent (events carry `detail.eventId`).
 */
import { randomUUID } from "node:crypto";
import {
  compilePattern,
  EVENT_BUS_NAME,
  type EventPattern,
  type EventRule,
  InvalidEventPatternError,
  MAX_PUT_EVENTS_ENTRY_BYTES,
  putEventsEntrySize,
  type RuleTarget,
  renderTargetInput,
} from "@ledgerquest/runtime";
import { LocalEventBridgeError } from "./errors.js";
import {
  AwsServiceError,
  type HttpRequest,
  type HttpResponse,
  handleAwsJson,
  type JsonObject,
  type ListeningEndpoint,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  listen,
  optionalString,
  page,
  requiredString,
  type ServiceTap,
} from "./protocol.js";
import type { EventBridgeUsage } from "./usage.js";

// Alike: stepfunctions.ts (the same protocol.ts imports, closed-endpoint check and start/close
// wrapper: two services on one plumbing, each with its own operations, errors and answers).
/** The refs of the rules' targets (`GameLoop`, `LeaderboardProjector`, `OpsNotifier`). */
export type EventTargetRef = RuleTarget["ref"];

/** An event as EventBridge delivers it to targets (and as event patterns see it). */
export interface EventBridgeEvent {
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

/** An event the bus accepted, with what its EventBridge envelope does not carry. */
export interface AcceptedEvent {
  readonly eventBusName: string;
  /** The entry's time to the millisecond (the envelope's `time` keeps only seconds). */
  readonly timeMs: number;
  readonly event: EventBridgeEvent;
}

/**
 * PutEvents entries the bus fails, entry by entry, as EventBridge fails entries it could not take
 * (for tests of a publisher's retries): a valid entry for an existing bus that `matches` is
 * answered with `errorCode` and not accepted.
 */
export interface EntryFailure {
  readonly matches: (entry: JsonObject) => boolean;
  /** How many matching entries fail before they pass again (`Infinity`: all). Default 1. */
  readonly times?: number;
  /** Default `InternalFailure`, which EventBridge documents as retryable. */
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/** What a target is told besides its input. */
export interface TargetDelivery {
  /** The whole event that matched, whatever input the rule renders from it. */
  readonly event: EventBridgeEvent;
  readonly ruleName: string;
  /** 1 for the first try. */
  readonly attempt: number;
}

/**
 * A rule's target: receives the rendered input (what EventBridge would send the state machine or
 * the function). Throwing, or rejecting, fails this attempt; the bus retries it.
 */
export type EventTargetHandler = (input: unknown, delivery: TargetDelivery) => unknown;

export type DeliveryStatus = "pending" | "delivered" | "failed";

/** One delivery of one event to one rule's target. */
export interface DeliveryRecord {
  readonly event: EventBridgeEvent;
  readonly ruleName: string;
  readonly targetRef: EventTargetRef;
  /** The rendered input; undefined when it could not be rendered (then `error` says why). */
  readonly input: unknown;
  readonly status: DeliveryStatus;
  /** Calls of the target so far. */
  readonly attempts: number;
  /** Why the last attempt failed (kept after a later success, for the record). */
  readonly error?: unknown;
}

export interface DeliveryRetryOptions {
  /** Calls of a failing target, the first included. Default 4. */
  readonly maxAttempts?: number;
  /**
   * Wait before the n-th retry: a random time in `[d/2, d]`, `d = min(maxDelayMs, baseDelayMs *
   * 2^(n-1))`. Default 200 ms.
   */
  readonly baseDelayMs?: number;
  /** Default 5,000 ms. */
  readonly maxDelayMs?: number;
}

/**
 * Delivery faults, for fault tests: EventBridge delivers at least once and in no particular
 * order, and every consumer must cope with both.
 */
export interface DeliveryFaults {
  /** The share of deliveries made twice, 0 to 1. Default 0. */
  readonly duplicateRatio?: number;
  /** Each delivery first waits a random time up to this, so events overtake each other. Default 0. */
  readonly delayMaxMs?: number;
  /** The source of chance, in [0, 1). Default `Math.random`. */
  readonly random?: () => number;
}

export interface LocalEventBridgeOptions {
  /** Default 0: a free port. */
  readonly port?: number;
  /** Duplicated and reordered deliveries (fault tests). Default: each once, in order. */
  readonly faults?: DeliveryFaults;
  /** The rules of the game's bus: `EVENT_RULES`. Patterns are validated here, at start. */
  readonly rules: readonly EventRule[];
  /** One handler per target the rules name, and none other. */
  readonly targets: { readonly [R in EventTargetRef]?: EventTargetHandler };
  /** The bus the rules belong to. Default `EVENT_BUS_NAME`. */
  readonly eventBusName?: string;
  readonly account?: string;
  readonly region?: string;
  readonly retry?: DeliveryRetryOptions;
  /**
   * Called once per delivery that failed for good (retries spent, or an input that could not be
   * rendered), as EventBridge sends it to a rule's dead-letter queue. Default: a line on stderr.
   */
  readonly onDeliveryError?: (delivery: DeliveryRecord) => void;
  /** How many accepted events and deliveries the logs keep (the latest). Default 1,000. */
  readonly maxLogEntries?: number;
  /** The time of an entry that gives none, ms. Default `Date.now`. */
  readonly nowMs?: () => number;
  /** Records requests per operation and fails chosen ones as a whole (tests). Default: none. */
  readonly tap?: ServiceTap;
  /** Counts accepted events in 64 KB chunks, as EventBridge bills them (the local stack's `UsageMeter`). */
  readonly usage?: EventBridgeUsage;
}

export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: readonly (
    | { readonly EventId: string }
    | { readonly ErrorCode: string; readonly ErrorMessage: string }
  )[];
}

const SERVICE_TARGET = "AWSEvents";
const MAX_ENTRIES = 10;
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const BUS_ARN = /^arn:aws[a-z-]*:events:[^:]*:[^:]*:event-bus\/(.+)$/;
/** The fields TestEventPattern requires of its event. */
const TEST_EVENT_FIELDS = ["id", "account", "source", "time", "region", "resources", "detail-type"];

interface BusRule {
  readonly name: string;
  readonly busName: string;
  description: string | undefined;
  enabled: boolean;
  pattern: EventPattern;
  patternText: string;
  /** Absent for a rule made with PutRule: it routes nowhere. */
  readonly target?: RuleTarget;
}

interface MutableDelivery {
  readonly event: EventBridgeEvent;
  readonly ruleName: string;
  readonly targetRef: EventTargetRef;
  input: unknown;
  status: DeliveryStatus;
  attempts: number;
  error?: unknown;
}

export class LocalEventBridge {
  readonly account: string;
  readonly region: string;
  readonly eventBusName: string;
  readonly #targets: { readonly [R in EventTargetRef]?: EventTargetHandler };
  readonly #faults: DeliveryFaults | undefined;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #onDeliveryError: (delivery: DeliveryRecord) => void;
  readonly #maxLogEntries: number;
  readonly #nowMs: () => number;
  readonly #usage: EventBridgeUsage | undefined;
  readonly #tap: ServiceTap | undefined;
  readonly #entryFailures: { readonly failure: EntryFailure; remaining: number }[] = [];
  readonly #buses: ReadonlySet<string>;
  /** By `<bus>/<name>`, in creation order. */
  readonly #rules = new Map<string, BusRule>();
  readonly #events: AcceptedEvent[] = [];
  readonly #deliveries: MutableDelivery[] = [];
  /** Deliveries scheduled, running, or waiting to retry. */
  #pending = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #retryTimers = new Map<NodeJS.Timeout, () => void>();
  #closed = false;

  constructor(options: Omit<LocalEventBridgeOptions, "port">) {
    this.account = options.account ?? LOCAL_ACCOUNT;
    this.region = options.region ?? LOCAL_REGION;
    this.eventBusName = options.eventBusName ?? EVENT_BUS_NAME;
    this.#buses = new Set(["default", this.eventBusName]);
    this.#targets = options.targets;
    this.#faults = options.faults;
    this.#maxAttempts = options.retry?.maxAttempts ?? 4;
    this.#baseDelayMs = options.retry?.baseDelayMs ?? 200;
    this.#maxDelayMs = options.retry?.maxDelayMs ?? 5_000;
    this.#onDeliveryError = options.onDeliveryError ?? reportDeliveryError;
    this.#maxLogEntries = options.maxLogEntries ?? 1_000;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#usage = options.usage;
    this.#tap = options.tap;
    if (!Number.isSafeInteger(this.#maxAttempts) || this.#maxAttempts < 1) {
      throw new RangeError(
        `retry.maxAttempts must be a whole number of at least 1, got ${this.#maxAttempts}`,
      );
    }
    for (const [what, value] of [
      ["retry.baseDelayMs", this.#baseDelayMs],
      ["retry.maxDelayMs", this.#maxDelayMs],
    ] as const) {
      if (!(Number.isFinite(value) && value >= 0)) {
        throw new RangeError(`${what} must be a number of milliseconds, at least 0, got ${value}`);
      }
    }
    if (!(Number.isSafeInteger(this.#maxLogEntries) && this.#maxLogEntries >= 0)) {
      throw new RangeError(
        `maxLogEntries must be a whole number, at least 0, got ${this.#maxLogEntries}`,
      );
    }
    this.#addRules(options.rules);
  }

  #addRules(rules: readonly EventRule[]): void {
    const used = new Set<EventTargetRef>();
    for (const rule of rules) {
      if (!RULE_NAME.test(rule.name)) {
        throw new LocalEventBridgeError(
          `rule name ${JSON.stringify(rule.name)} is not valid: EventBridge takes 1 to 64 letters, digits, . - _`,
        );
      }
      const key = ruleKey(this.eventBusName, rule.name);
      if (this.#rules.has(key)) {
        throw new LocalEventBridgeError(
          `two rules are named ${rule.name}: rule names are unique per bus`,
        );
      }
      let pattern: EventPattern;
      try {
        pattern = compilePattern(rule.eventPattern);
      } catch (error) {
        throw new LocalEventBridgeError(
          `rule ${rule.name} has a pattern EventBridge would refuse: ${errorText(error)}`,
          { cause: error },
        );
      }
      // Own properties only: a target named `constructor` must not find Object's.
      const ref = rule.target.ref;
      if (!Object.hasOwn(this.#targets, ref) || this.#targets[ref] === undefined) {
        throw new LocalEventBridgeError(
          `rule ${rule.name} targets ${rule.target.ref}, and targets.${rule.target.ref} is missing: give a function that receives the target's input`,
        );
      }
      used.add(rule.target.ref);
      this.#rules.set(key, {
        name: rule.name,
        busName: this.eventBusName,
        description: rule.description,
        enabled: true,
        pattern,
        patternText: JSON.stringify(rule.eventPattern),
        target: rule.target,
      });
    }
    for (const ref of Object.keys(this.#targets)) {
      if (!used.has(ref as EventTargetRef)) {
        throw new LocalEventBridgeError(
          `targets.${ref} is given but no rule targets it (rules target ${[...used].join(", ") || "nothing"}): remove it or fix its name`,
        );
      }
    }
  }

  /** The ARN of a bus of this endpoint. */
  busArn(name: string = this.eventBusName): string {
    return `arn:aws:events:${this.region}:${this.account}:event-bus/${name}`;
  }

  /** A rule's ARN: `rule/<name>` on the default bus, `rule/<bus>/<name>` on a custom one. */
  ruleArn(name: string, busName: string = this.eventBusName): string {
    const path = busName === "default" ? name : `${busName}/${name}`;
    return `arn:aws:events:${this.region}:${this.account}:rule/${path}`;
  }

  /** The latest events accepted (at most `maxLogEntries`), oldest first. */
  events(): readonly EventBridgeEvent[] {
    return this.#events.map((a) => a.event);
  }

  /** The same events, with the bus each was put on and its time to the millisecond. */
  accepted(): readonly AcceptedEvent[] {
    return [...this.#events];
  }

  /** Fails matching PutEvents entries from now on (see `EntryFailure`). */
  failEntries(failure: EntryFailure): void {
    this.#entryFailures.push({ failure, remaining: failure.times ?? 1 });
  }

  /** The latest deliveries (at most `maxLogEntries`), in the order they were made. */
  deliveries(): readonly DeliveryRecord[] {
    return this.#deliveries.map((d) => ({ ...d }));
  }

  /** Resolves once no delivery is scheduled, running or waiting to retry. */
  waitForIdle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Stops delivering: retries not yet due are given up (each goes to `onDeliveryError`), and the
   * targets running are awaited.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [timer, wake] of this.#retryTimers) {
      clearTimeout(timer);
      wake();
    }
    this.#retryTimers.clear();
    await this.waitForIdle();
  }

  handle(request: HttpRequest): Promise<HttpResponse> {
    return handleAwsJson(
      request,
      "1.1",
      SERVICE_TARGET,
      {
        PutEvents: (input) => this.putEvents(input),
        PutRule: (input) => this.#putRule(input),
        DescribeRule: (input) => this.#describeRule(input),
        ListRules: (input) => this.#listRules(input),
        EnableRule: (input) => this.#setEnabled(input, true),
        DisableRule: (input) => this.#setEnabled(input, false),
        TestEventPattern: (input) => this.#testEventPattern(input),
      },
      this.#tap,
    );
  }

  // ─── PutEvents ───────────────────────────────────────────────────────────────────────────────

  /** PutEvents, in process: the same validation, answer and routing as over HTTP. */
  putEvents(input: JsonObject): PutEventsResult {
    if (this.#closed) {
      throw new AwsServiceError(
        "InternalException",
        "the local event bus is closed: start the local stack again",
        500,
      );
    }
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw new AwsServiceError(
        "ValidationException",
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
      );
    }
    const results = entries.map((entry: unknown) => this.#putEntry(entry));
    return {
      FailedEntryCount: results.filter((r) => "ErrorCode" in r).length,
      Entries: results,
    };
  }

  #putEntry(raw: unknown): PutEventsResult["Entries"][number] {
    const entry = (typeof raw === "object" && raw !== null ? raw : {}) as JsonObject;
    const invalid = (field: string, reason: string) => ({
      ErrorCode: "InvalidArgument",
      ErrorMessage: `Parameter ${field} is not valid. Reason: ${reason}`,
    });
    for (const field of ["Source", "DetailType", "Detail"]) {
      const value = entry[field];
      if (typeof value !== "string" || value === "") {
        return invalid(field, `${field} is a required argument.`);
      }
    }
    const source = entry.Source as string;
    const detailType = entry.DetailType as string;
    const detailText = entry.Detail as string;
    let detail: unknown;
    try {
      detail = JSON.parse(detailText);
    } catch {
      detail = undefined;
    }
    if (typeof detail !== "object" || detail === null || Array.isArray(detail)) {
      return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
    }
    const time = entry.Time;
    if (
      time !== undefined &&
      time !== null &&
      !(typeof time === "number" && Number.isFinite(time))
    ) {
      return invalid("Time", "Time must be a timestamp (epoch seconds).");
    }
    const resources = entry.Resources ?? [];
    if (!Array.isArray(resources) || !resources.every((r) => typeof r === "string")) {
      return invalid("Resources", "Resources must be a list of strings (ARNs).");
    }
    const size = putEventsEntrySize({
      Source: source,
      DetailType: detailType,
      Detail: detailText,
      Time: time ?? undefined,
      Resources: resources as string[],
    });
    if (size >= MAX_PUT_EVENTS_ENTRY_BYTES) {
      // AWS does not document its answer to an oversize entry; an entry error keeps the others.
      return invalid(
        "Entry",
        `the entry is ${size} bytes; EventBridge takes entries of less than ${MAX_PUT_EVENTS_ENTRY_BYTES} bytes (256 KB).`,
      );
    }
    const busName = this.#busName(entry.EventBusName);
    if (!this.#buses.has(busName)) {
      return {
        ErrorCode: "ResourceNotFoundException",
        ErrorMessage: `Event bus ${busName} does not exist. The local bus has: ${[...this.#buses].join(", ")}.`,
      };
    }
    const injected = this.#injectedFailure(entry);
    if (injected !== undefined) return injected;
    const timeMs = typeof time === "number" ? Math.round(time * 1000) : this.#nowMs();
    const event: EventBridgeEvent = {
      version: "0",
      id: randomUUID(),
      "detail-type": detailType,
      source,
      account: this.account,
      time: new Date(timeMs).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: this.region,
      resources: [...(resources as string[])],
      detail: detail as { readonly [key: string]: unknown },
    };
    this.#log(this.#events, { eventBusName: busName, timeMs, event });
    this.#usage?.eventPut(detailType, size);
    this.#route(busName, event);
    return { EventId: event.id };
  }

  #injectedFailure(entry: JsonObject): PutEventsResult["Entries"][number] | undefined {
    const due = this.#entryFailures.find((f) => f.remaining > 0 && f.failure.matches(entry));
    if (due === undefined) return undefined;
    due.remaining -= 1;
    return {
      ErrorCode: due.failure.errorCode ?? "InternalFailure",
      ErrorMessage: due.failure.errorMessage ?? "Injected failure",
    };
  }

  #busName(nameOrArn: unknown): string {
    if (typeof nameOrArn !== "string" || nameOrArn === "") return "default";
    return BUS_ARN.exec(nameOrArn)?.[1] ?? nameOrArn;
  }

  /** The request's `EventBusName` (default `default`); a bus that does not exist is refused. */
  #existingBus(input: JsonObject): string {
    const busName = this.#busName(optionalString(input, "EventBusName"));
    if (!this.#buses.has(busName)) {
      throw new AwsServiceError(
        "ResourceNotFoundException",
        `Event bus ${busName} does not exist.`,
      );
    }
    return busName;
  }

  #log<T>(log: T[], item: T): void {
    log.push(item);
    if (log.length > this.#maxLogEntries) log.splice(0, log.length - this.#maxLogEntries);
  }

  // ─── routing and delivery ────────────────────────────────────────────────────────────────────

  /** Matches now (the rules as they are when the event arrives), delivers later. */
  #route(busName: string, event: EventBridgeEvent): void {
    for (const rule of this.#rules.values()) {
      if (rule.busName !== busName || !rule.enabled || rule.target === undefined) continue;
      if (!rule.pattern.matches(event)) continue;
      const target = rule.target;
      const faults = this.#faults;
      const random = faults?.random ?? Math.random;
      const copies = 1 + (faults !== undefined && random() < (faults.duplicateRatio ?? 0) ? 1 : 0);
      for (let copy = 0; copy < copies; copy++) {
        const delivery: MutableDelivery = {
          event,
          ruleName: rule.name,
          targetRef: target.ref,
          input: undefined,
          status: "pending",
          attempts: 0,
        };
        this.#log(this.#deliveries, delivery);
        this.#pending += 1;
        const run = () => {
          void this.#deliver(delivery, target).finally(() => this.#settled());
        };
        // After this turn: PutEvents answers before any target runs.
        if (faults?.delayMaxMs === undefined) setImmediate(run);
        else setTimeout(run, random() * faults.delayMaxMs);
      }
    }
  }

  async #deliver(delivery: MutableDelivery, target: RuleTarget): Promise<void> {
    const handler = this.#targets[target.ref] as EventTargetHandler;
    try {
      delivery.input = renderTargetInput(target.input, delivery.event);
    } catch (error) {
      // EventBridge does not retry an input it cannot build: the event goes to the DLQ.
      delivery.error = error;
      this.#fail(delivery);
      return;
    }
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      if (this.#closed) {
        delivery.error = new LocalEventBridgeError(
          `the local bus was closed before attempt ${attempt}; last error: ${errorText(delivery.error)}`,
          { cause: delivery.error },
        );
        break;
      }
      delivery.attempts = attempt;
      try {
        await handler(delivery.input, {
          event: delivery.event,
          ruleName: delivery.ruleName,
          attempt,
        });
        delivery.status = "delivered";
        return;
      } catch (error) {
        delivery.error = error;
      }
      if (attempt < this.#maxAttempts) await this.#sleep(this.backoffMs(attempt));
    }
    this.#fail(delivery);
  }

  #fail(delivery: MutableDelivery): void {
    delivery.status = "failed";
    try {
      this.#onDeliveryError({ ...delivery });
    } catch (error) {
      // The hook runs in the background: throwing there would crash the process, not the caller.
      console.error(`[local eventbridge] onDeliveryError threw: ${errorText(error)}`);
    }
  }

  /** The wait before the n-th retry, ms (see `DeliveryRetryOptions.baseDelayMs`). */
  backoffMs(retry: number): number {
    const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (retry - 1));
    // Jitter keeps retries of many events that failed together from arriving together.
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#retryTimers.delete(timer);
        resolve();
      }, ms);
      this.#retryTimers.set(timer, resolve);
    });
  }

  #settled(): void {
    this.#pending -= 1;
    if (this.#pending > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  // ─── rules ───────────────────────────────────────────────────────────────────────────────────

  #ruleOf(input: JsonObject): BusRule {
    const name = requiredString(input, "Name");
    const busName = this.#busName(optionalString(input, "EventBusName"));
    const rule = this.#rules.get(ruleKey(busName, name));
    if (rule === undefined) {
      throw new AwsServiceError(
        "ResourceNotFoundException",
        `Rule ${name} does not exist on EventBus ${busName}.`,
      );
    }
    return rule;
  }

  #putRule(input: JsonObject): { RuleArn: string } {
    const name = requiredString(input, "Name");
    if (!RULE_NAME.test(name)) {
      throw new AwsServiceError(
        "ValidationException",
        `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ (1 to 64 characters)`,
      );
    }
    if (input.ScheduleExpression !== undefined) {
      throw new AwsServiceError(
        "ValidationException",
        "ScheduleExpression is not supported by the local bus: give an EventPattern",
      );
    }
    const patternText = requiredString(input, "EventPattern");
    const pattern = this.#compile(patternText);
    const busName = this.#existingBus(input);
    const state = optionalString(input, "State") ?? "ENABLED";
    if (state !== "ENABLED" && state !== "DISABLED") {
      throw new AwsServiceError(
        "ValidationException",
        `State must be ENABLED or DISABLED on the local bus, got ${state}`,
      );
    }
    const description = optionalString(input, "Description");
    const key = ruleKey(busName, name);
    const existing = this.#rules.get(key);
    if (existing !== undefined) {
      // PutRule replaces a rule's settings and keeps its targets, as in AWS.
      existing.pattern = pattern;
      existing.patternText = patternText;
      existing.enabled = state === "ENABLED";
      existing.description = description;
    } else {
      this.#rules.set(key, {
        name,
        busName,
        description,
        enabled: state === "ENABLED",
        pattern,
        patternText,
      });
    }
    return { RuleArn: this.ruleArn(name, busName) };
  }

  #compile(patternText: string): EventPattern {
    try {
      return compilePattern(patternText);
    } catch (error) {
      if (error instanceof InvalidEventPatternError) {
        throw new AwsServiceError(
          "InvalidEventPatternException",
          `Event pattern is not valid. Reason: ${error.path}: ${error.reason}`,
        );
      }
      throw error;
    }
  }

  #describe(rule: BusRule): JsonObject {
    return {
      Name: rule.name,
      Arn: this.ruleArn(rule.name, rule.busName),
      EventPattern: rule.patternText,
      State: rule.enabled ? "ENABLED" : "DISABLED",
      ...(rule.description === undefined ? {} : { Description: rule.description }),
      EventBusName: rule.busName,
    };
  }

  #describeRule(input: JsonObject): JsonObject {
    return { ...this.#describe(this.#ruleOf(input)), CreatedBy: this.account };
  }

  #listRules(input: JsonObject): JsonObject {
    const busName = this.#existingBus(input);
    const prefix = optionalString(input, "NamePrefix") ?? "";
    const limit = input.Limit ?? 100;
    if (!(Number.isSafeInteger(limit) && (limit as number) >= 1 && (limit as number) <= 100)) {
      throw new AwsServiceError(
        "ValidationException",
        "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value between 1 and 100",
      );
    }
    const rules = [...this.#rules.values()]
      .filter((r) => r.busName === busName && r.name.startsWith(prefix))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const { items, nextToken } = page(
      rules,
      limit as number,
      optionalString(input, "NextToken"),
      "ValidationException",
    );
    return {
      Rules: items.map((r) => this.#describe(r)),
      ...(nextToken === undefined ? {} : { NextToken: nextToken }),
    };
  }

  #setEnabled(input: JsonObject, enabled: boolean): JsonObject {
    this.#ruleOf(input).enabled = enabled;
    return {};
  }

  #testEventPattern(input: JsonObject): { Result: boolean } {
    const pattern = this.#compile(requiredString(input, "EventPattern"));
    let event: unknown;
    try {
      event = JSON.parse(requiredString(input, "Event"));
    } catch {
      event = undefined;
    }
    const missing =
      typeof event === "object" && event !== null && !Array.isArray(event)
        ? TEST_EVENT_FIELDS.filter((f) => !Object.hasOwn(event as object, f))
        : TEST_EVENT_FIELDS;
    if (missing.length > 0) {
      throw new AwsServiceError(
        "ValidationException",
        `Parameter Event is not valid: it must be a JSON object with ${missing.join(", ")}`,
      );
    }
    return { Result: pattern.matches(event) };
  }
}

function ruleKey(busName: string, name: string): string {
  return `${busName}/${name}`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function reportDeliveryError(delivery: DeliveryRecord): void {
  console.error(
    `[local eventbridge] ${delivery.event["detail-type"]} event ${delivery.event.id} was not delivered to ${delivery.targetRef} (rule ${delivery.ruleName}) after ${delivery.attempts} attempt(s): ${errorText(delivery.error)}`,
  );
}

export interface RunningLocalEventBridge extends ListeningEndpoint {
  readonly bus: LocalEventBridge;
  /** The bus's ARN. */
  readonly eventBusArn: string;
  events(): readonly EventBridgeEvent[];
  accepted(): readonly AcceptedEvent[];
  deliveries(): readonly DeliveryRecord[];
  waitForIdle(): Promise<void>;
  failEntries(failure: EntryFailure): void;
}

/**
 * Starts the local EventBridge on loopback. Throws `LocalEventBridgeError` if a rule's pattern is
 * one EventBridge would refuse, a rule names a target with no handler, or a handler has no rule.
 * `close()` stops listening, then stops delivering (see `LocalEventBridge.close`).
 */
export async function startLocalEventBridge(
  options: LocalEventBridgeOptions,
): Promise<RunningLocalEventBridge> {
  const bus = new LocalEventBridge(options);
  const endpoint = await listen((request) => bus.handle(request), { port: options.port });
  let closing: Promise<void> | undefined;
  return {
    url: endpoint.url,
    port: endpoint.port,
    bus,
    eventBusArn: bus.busArn(),
    events: () => bus.events(),
    accepted: () => bus.accepted(),
    deliveries: () => bus.deliveries(),
    waitForIdle: () => bus.waitForIdle(),
    failEntries: (failure) => bus.failEntries(failure),
    // Idempotent: a test may close early, and its cleanup closes again.
    close: () => {
      closing ??= (async () => {
        await endpoint.close();
        await bus.close();
      })();
      return closing;
    },
  };
}
