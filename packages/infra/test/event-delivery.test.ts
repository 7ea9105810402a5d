// Every EventBridge rule of a stage delivers with a retry policy, gives up into an encrypted,
// TLS-only dead-letter queue that only its own rules may write to, and is alarmed: its failed
// invocations and the queue's depth both notify the operators' topic.
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import type { LedgerQuestApp } from "../src/app.js";
import { ALERT_RETRY, CONTROL_RETRY } from "../src/constructs/event-bus.js";
import { stubApp } from "./helpers.js";

process.env.CDK_VALIDATION = "false";

type Resource = { Type: string; Properties: Record<string, unknown> };
type Resources = Record<string, Resource>;

/** The stacks that hold rules, per stage: the app's beta and the pipeline's prod. */
const stacks: Record<string, Template> = {};

beforeAll(() => {
  const lq: LedgerQuestApp = stubApp();
  stacks["beta Core"] = Template.fromStack(lq.stage.core);
  stacks["beta Compute"] = Template.fromStack(lq.stage.compute);
  const prod = (lq.pipeline as NonNullable<LedgerQuestApp["pipeline"]>).prod.stacks;
  stacks["prod Core"] = Template.fromStack(prod.core);
  stacks["prod Compute"] = Template.fromStack(prod.compute);
});

function resources(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.toJSON().Resources as Resources).filter(
    ([, r]) => r.Type === type,
  );
}

interface Target {
  readonly Arn: unknown;
  readonly RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
  readonly DeadLetterConfig?: { Arn?: unknown };
}

const ref = (id: string) => JSON.stringify({ "Fn::GetAtt": [id, "Arn"] });

describe("every EventBridge rule", () => {
  it("has a retry policy and this stack's dead-letter queue on each target", () => {
    let rules = 0;
    for (const [name, template] of Object.entries(stacks)) {
      const queues = resources(template, "AWS::SQS::Queue").map(([id]) => ref(id));
      for (const [id, rule] of resources(template, "AWS::Events::Rule")) {
        rules++;
        const targets = rule.Properties.Targets as Target[];
        expect(targets.length, `${name} ${id}`).toBeGreaterThan(0);
        for (const target of targets) {
          const retry = target.RetryPolicy;
          expect(retry, `${name} ${id}`).toBeDefined();
          expect([CONTROL_RETRY, ALERT_RETRY].map((r) => r.maxEventAge.toSeconds())).toContain(
            retry?.MaximumEventAgeInSeconds,
          );
          expect([CONTROL_RETRY, ALERT_RETRY].map((r) => r.retryAttempts)).toContain(
            retry?.MaximumRetryAttempts,
          );
          expect(queues, `${name} ${id}`).toContain(JSON.stringify(target.DeadLetterConfig?.Arn));
        }
      }
    }
    // Core: the daily export; Compute: the schedule, loop-ended, and two game rules.
    expect(rules).toBe(2 * (1 + 4));
  });

  it("alarms on its failed invocations, to the operators' topic", () => {
    for (const [name, template] of Object.entries(stacks)) {
      const alarms = resources(template, "AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
      for (const [id, rule] of resources(template, "AWS::Events::Rule")) {
        const onCustomBus = rule.Properties.EventBusName !== undefined;
        // The rule's name, as written or as a reference to the rule.
        const names = [JSON.stringify(rule.Properties.Name), JSON.stringify({ Ref: id })];
        const watching = alarms.filter(
          (a) =>
            a.Namespace === "AWS/Events" &&
            a.MetricName === "FailedInvocations" &&
            (a.Dimensions as { Name: string; Value: unknown }[]).some(
              (d) => d.Name === "RuleName" && names.includes(JSON.stringify(d.Value)),
            ),
        );
        expect(watching, `${name} ${id}`).toHaveLength(1);
        const [alarm] = watching;
        const dimensions = ((alarm?.Dimensions ?? []) as { Name: string }[])
          .map((d) => d.Name)
          .sort();
        // EventBridge reports rules of a custom bus with the bus's name too.
        expect(dimensions).toEqual(onCustomBus ? ["EventBusName", "RuleName"] : ["RuleName"]);
        expect(alarm?.Threshold).toBe(1);
        expect(JSON.stringify(alarm?.AlarmActions), `${name} ${id}`).toMatch(/OpsTopic/);
      }
    }
  });
});

describe("the dead-letter queues", () => {
  it("are encrypted, TLS only, alarmed on visible messages, and writable by their rules alone", () => {
    for (const [name, template] of Object.entries(stacks)) {
      const queues = resources(template, "AWS::SQS::Queue").filter(([id]) =>
        id.startsWith("EventDelivery"),
      );
      expect(queues, name).toHaveLength(1);
      const [queueId, queue] = queues[0] as [string, Resource];
      expect(queue.Properties.SqsManagedSseEnabled, name).toBe(true);

      const alarms = resources(template, "AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
      const depth = alarms.filter(
        (a) =>
          a.MetricName === "ApproximateNumberOfMessagesVisible" &&
          JSON.stringify(a.Dimensions).includes(queueId),
      );
      expect(depth, name).toHaveLength(1);
      expect(JSON.stringify(depth[0]?.AlarmActions), name).toMatch(/OpsTopic/);

      const [policy] = resources(template, "AWS::SQS::QueuePolicy")
        .map(([, p]) => p.Properties)
        .filter((p) => JSON.stringify(p.Queues).includes(queueId));
      const statements =
        (policy?.PolicyDocument as { Statement?: Record<string, unknown>[] } | undefined)
          ?.Statement ?? [];
      expect(statements, name).toContainEqual(
        expect.objectContaining({
          Effect: "Deny",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        }),
      );
      const allows = statements.filter((s) => s.Effect === "Allow");
      const rules = resources(template, "AWS::Events::Rule").map(([id]) => id);
      expect(allows, name).toHaveLength(rules.length);
      for (const s of allows) {
        expect(s.Principal, name).toEqual({ Service: "events.amazonaws.com" });
        expect(s.Action, name).toBe("sqs:SendMessage");
        const source = JSON.stringify(
          (s.Condition as { ArnEquals?: Record<string, unknown> }).ArnEquals?.["aws:SourceArn"],
        );
        expect(
          rules.some((id) => source === ref(id)),
          `${name}: ${source}`,
        ).toBe(true);
      }
    }
  });
});
