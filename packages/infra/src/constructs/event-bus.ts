/**
 * The game's event bus and the rules on it, from the one-source definitions (`EVENT_BUS_NAME`,
 * `EVENT_RULES`, `EVENT_SOURCES` in `@ledgerquest/runtime`): the local bus runs the very same rules.
 */

import {
  compilePattern,
  EVENT_BUS_NAME,
  EVENT_RULES,
  EVENT_SOURCES,
  type EventRule,
  type EventSource,
  type RuleTargetInput,
  type TARGET_REFS,
} from "@ledgerquest/runtime";
import { Annotations, Duration, Validations } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface GameEventBusProps {
  /** @default `EVENT_BUS_NAME` (`ledgerquest.eventbus`) */
  readonly eventBusName?: string;
  /**
   * Keep the game's events in an archive for this long, so that they can be replayed onto the bus
   * after an incident. 0 keeps no archive.
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
}

/** The custom bus the game's domain events go through. */
export class GameEventBus extends Construct {
  readonly bus: events.EventBus;
  readonly archive?: events.Archive;

  constructor(scope: Construct, id: string, props: GameEventBusProps = {}) {
    super(scope, id);
    this.bus = new events.EventBus(this, "Bus", {
      eventBusName: props.eventBusName ?? EVENT_BUS_NAME,
    });
    const retention = props.archiveRetention ?? Duration.days(30);
    if (retention.toDays() > 0) {
      this.archive = this.bus.archive("Archive", {
        description: "The game's domain events, for replay after an incident",
        eventPattern: { source: Object.values(EVENT_SOURCES) },
        retention,
      });
    }
  }

  get eventBusName(): string {
    return this.bus.eventBusName;
  }

  /**
   * PutEvents on this bus, for events of `source` only (`events:source`): the tick may publish
   * gameplay events, and an operational alarm can come from nothing but the verifier.
   */
  grantPublish(grantee: iam.IGrantable, source: EventSource): iam.Grant {
    const result = iam.Grant.addToPrincipal({
      grantee,
      actions: ["events:PutEvents"],
      resourceArns: [this.bus.eventBusArn],
      conditions: { StringEquals: { "events:source": source } },
    });
    return result;
  }
}

/**
 * CDK's spelling of an event pattern: `detailType` for `detail-type` (and `detail` and the rest as
 * they are), in a fresh mutable copy (the definitions are frozen). CDK renders it back to exactly
 * the defined pattern; the tests compare the two. The pattern is first checked as `PutRule` would
 * check it (`compilePattern`: its syntax and EventBridge's size quota), so a pattern AWS would
 * refuse fails the synth, naming its fault, instead of the deployment.
 */
export function toCdkPattern(pattern: Readonly<Record<string, unknown>>): events.EventPattern {
  compilePattern(pattern);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(structuredClone(pattern))) {
    out[key === "detail-type" ? "detailType" : key] = value;
  }
  return out as events.EventPattern;
}

type TargetRef = (typeof TARGET_REFS)[keyof typeof TARGET_REFS];

/** EventBridge's input for a target, from the one-source description, field for field. */
class OneSourceTargetInput extends events.RuleTargetInput {
  constructor(private readonly input: RuleTargetInput) {
    super();
  }

  override bind(): events.RuleTargetInputProperties {
    return this.input.kind === "inputPath"
      ? { inputPath: this.input.inputPath }
      : {
          inputPathsMap: { ...this.input.inputPathsMap },
          inputTemplate: this.input.inputTemplate,
        };
  }
}

/** A target with the rule's input applied over whatever input the wrapped target had. */
class WithInput implements events.IRuleTarget {
  constructor(
    private readonly target: events.IRuleTarget,
    private readonly input: RuleTargetInput | undefined,
  ) {}

  bind(rule: events.IRule, id?: string): events.RuleTargetConfig {
    const config = this.target.bind(rule, id);
    return this.input === undefined
      ? config
      : { ...config, input: new OneSourceTargetInput(this.input) };
  }
}

/** How long and how often EventBridge retries a target before it gives the event up. */
export interface DeliveryRetry {
  /** Events older than this are given up (60 s to 24 h). */
  readonly maxEventAge: Duration;
  /** Retries after the first attempt (0 to 185). */
  readonly retryAttempts: number;
}

/**
 * Control-plane events (start a loop, supervise loops, start an export): a newer event or the
 * next schedule supersedes an old one, so an hour of retries is plenty, and the DLQ says when
 * it was not.
 */
export const CONTROL_RETRY: DeliveryRetry = { maxEventAge: Duration.hours(1), retryAttempts: 20 };

/** Alerts to the operators: worth delivering late, up to EventBridge's limits (24 h, 185). */
export const ALERT_RETRY: DeliveryRetry = { maxEventAge: Duration.hours(24), retryAttempts: 185 };

export interface EventDeliveryProps {
  /** Where the alarms go (the operators' topic). */
  readonly alarmTopic: sns.ITopic;
  /** Prefix of the alarms' names, e.g. `ledgerquest-beta-`. */
  readonly alarmNamePrefix: string;
  /** What the queue is for, in its alarm's name: `event-rules` → `...-event-rules-dead-letters`. */
  readonly name: string;
}

/**
 * What makes a rule's deliveries visible when they fail: a dead-letter queue for the events
 * EventBridge gives up on (encrypted, TLS only, writable by EventBridge from the rules that use it
 * and nothing else: CDK adds one `aws:SourceArn` statement per rule), an alarm on the queue, and
 * an alarm on each watched rule's `FailedInvocations`, both to the operators' topic.
 */
export class EventDelivery extends Construct {
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly #action: actions.SnsAction;
  readonly #prefix: string;

  constructor(scope: Construct, id: string, props: EventDeliveryProps) {
    super(scope, id);
    this.#action = new actions.SnsAction(props.alarmTopic);
    this.#prefix = props.alarmNamePrefix;
    this.deadLetterQueue = new sqs.Queue(this, "DeadLetters", {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason:
        "This queue is itself the dead-letter queue of EventBridge rule targets; its messages are events an operator reads and replays, never consumed automatically.",
    });
    this.#alarm(
      "DeadLettersVisible",
      `${props.name}-dead-letters`,
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: "Maximum",
      }),
      "EventBridge gave events up (their targets failed past the retries): they are in the dead-letter queue, read them and replay what still matters.",
    );
  }

  /** A target's retry policy and dead-letter queue, for `new targets.LambdaFunction(fn, ...)`. */
  targetProps(retry: DeliveryRetry): {
    readonly deadLetterQueue: sqs.IQueue;
    readonly maxEventAge: Duration;
    readonly retryAttempts: number;
  } {
    return { deadLetterQueue: this.deadLetterQueue, ...retry };
  }

  /**
   * Alarms when `rule` fails to invoke its target for good (AWS/Events `FailedInvocations`, with
   * `EventBusName` for a rule on a custom bus as EventBridge reports it).
   */
  watch(id: string, rule: events.Rule, bus?: events.IEventBus): cloudwatch.Alarm {
    return this.#alarm(
      `${id}FailedInvocations`,
      `rule-${id}-failed`,
      new cloudwatch.Metric({
        namespace: "AWS/Events",
        metricName: "FailedInvocations",
        dimensionsMap: {
          ...(bus === undefined ? {} : { EventBusName: bus.eventBusName }),
          RuleName: rule.ruleName,
        },
        statistic: "Sum",
        period: Duration.minutes(5),
      }),
      `EventBridge rule ${id} failed to invoke its target (after its retries): see the dead-letter queue.`,
    );
  }

  #alarm(
    id: string,
    name: string,
    metric: cloudwatch.IMetric,
    description: string,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.#prefix}${name}`,
      alarmDescription: description,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.#action);
    alarm.addOkAction(this.#action);
    this.alarms.push(alarm);
    return alarm;
  }
}

export interface GameEventRulesProps {
  readonly bus: events.IEventBus;
  /**
   * The target of each rule, by the rule's target ref. A rule whose ref has no target here is not
   * created, and a synth note says so.
   */
  readonly targets: Partial<Record<TargetRef, events.IRuleTarget>>;
  /** @default EVENT_RULES */
  readonly rules?: readonly EventRule[];
  /** Alarms on each rule's failed invocations (the targets carry its dead-letter queue). */
  readonly delivery: EventDelivery;
}

/** The rules of `EVENT_RULES` on the bus, each with its pattern and its target's input. */
export class GameEventRules extends Construct {
  readonly rules: Readonly<Record<string, events.Rule>>;

  constructor(scope: Construct, id: string, props: GameEventRulesProps) {
    super(scope, id);
    const rules: Record<string, events.Rule> = {};
    for (const def of props.rules ?? EVENT_RULES) {
      const target = props.targets[def.target.ref];
      if (target === undefined) {
        Annotations.of(this).addInfo(
          `rule ${def.name} is not deployed: no target for ${def.target.ref} in this deployment`,
        );
        continue;
      }
      const rule = new events.Rule(this, def.name, {
        ruleName: def.name,
        description: def.description,
        eventBus: props.bus,
        eventPattern: toCdkPattern(def.eventPattern),
        targets: [new WithInput(target, def.target.input)],
      });
      props.delivery.watch(def.name, rule, props.bus);
      rules[def.name] = rule;
    }
    this.rules = rules;
  }
}
