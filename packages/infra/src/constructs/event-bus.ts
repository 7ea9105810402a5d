/**
 * The game's event bus and the rules on it, from the one-source definitions (`EVENT_BUS_NAME`,
 * `EVENT_RULES`, `EVENT_SOURCES` in `@ledgerquest/runtime`): the local bus runs the very same rules.
 */

import {
  EVENT_BUS_NAME,
  EVENT_RULES,
  EVENT_SOURCES,
  type EventRule,
  type EventSource,
  type RuleTargetInput,
  type TARGET_REFS,
} from "@ledgerquest/runtime";
import { Annotations, Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
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
 * the defined pattern; the tests compare the two.
 */
export function toCdkPattern(pattern: Readonly<Record<string, unknown>>): events.EventPattern {
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

export interface GameEventRulesProps {
  readonly bus: events.IEventBus;
  /**
   * The target of each rule, by the rule's target ref. A rule whose ref has no target here is not
   * created, and a synth note says so.
   */
  readonly targets: Partial<Record<TargetRef, events.IRuleTarget>>;
  /** @default EVENT_RULES */
  readonly rules?: readonly EventRule[];
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
      rules[def.name] = new events.Rule(this, def.name, {
        ruleName: def.name,
        description: def.description,
        eventBus: props.bus,
        eventPattern: toCdkPattern(def.eventPattern),
        targets: [new WithInput(target, def.target.input)],
      });
    }
    this.rules = rules;
  }
}
