/**
 * ObservabilityStack: what the operators look at and what wakes them.
 *
 * - a CloudWatch dashboard of the game's own metrics (Powertools EMF, namespace `LedgerQuest`,
 *   dimension `service`): tick duration, ticks per batch, commands, ledger entries, commit
 *   conflicts, chain-verification failures; and of the services under them;
 * - alarms to the operators' topic: any chain-verification failure (the ledger is the source of
 *   truth for value), commit conflicts, failed game loops and exports, the stream handler falling
 *   behind or giving records up, WebSocket integration errors;
 * - AWS Budgets (a monthly limit, actual and forecast) and Cost Anomaly Detection.
 *
 * The per-function canary alarms (errors, throttles, p99) live with the functions in ComputeStack.
 */

import { DEFAULT_SERVICE_NAME, METRICS_NAMESPACE, MetricName } from "@ledgerquest/aws";
import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import * as budgets from "aws-cdk-lib/aws-budgets";
import * as ce from "aws-cdk-lib/aws-ce";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type { Construct } from "constructs";
import { OUTPUTS } from "../contract.js";
import { qualifiedName } from "../naming.js";
import type { StageSettings } from "../settings.js";
import type { ApiStack } from "./api.js";
import type { ComputeStack } from "./compute.js";
import type { GameCoreStack } from "./core.js";

/** The cost allocation tag every resource carries (app.ts); anomaly detection watches it. */
export const COST_TAG = { key: "project", value: "ledgerquest" } as const;

/** The tag that names each resource's stage (stage.ts): a stage's budget counts its own costs. */
export const STAGE_TAG_KEY = "stage";

export interface ObservabilityStackProps extends StackProps {
  readonly settings: StageSettings;
  readonly core: GameCoreStack;
  readonly api: ApiStack;
  readonly compute: ComputeStack;
}

/** One of the game's metrics, as Powertools publishes it. */
export function gameMetric(
  name: (typeof MetricName)[keyof typeof MetricName],
  statistic: string,
  period: Duration = Duration.minutes(1),
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: DEFAULT_SERVICE_NAME },
    statistic,
    period,
  });
}

export class ObservabilityStack extends Stack {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: readonly cloudwatch.Alarm[];

  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: a named exception (docs/ARCHITECTURE.md, "Long functions")
  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { settings, core, api, compute } = props;
    const name = (n: string) => qualifiedName(settings.stage, n);
    const notify = new actions.SnsAction(core.opsTopic);

    // ─── alarms ────────────────────────────────────────────────────────────────────────────────
    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (
      id: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      evaluationPeriods = 1,
    ) => {
      const created = new cloudwatch.Alarm(this, id, {
        alarmName: name(id),
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      alarms.push(created);
      return created;
    };
    alarm(
      "ChainVerificationFailures",
      gameMetric(MetricName.ChainVerificationFailures, "Sum"),
      1,
      "A world's ledger failed verification: stop and investigate (docs/deploy.md, disaster recovery).",
    );
    alarm(
      "CommitConflicts",
      gameMetric(MetricName.CommitConflicts, "Sum", Duration.minutes(5)),
      10,
      "Tick batches lost their commit to a rival writer 10 times in 5 minutes: two loops may run one world.",
    );
    alarm(
      "GameLoopsFailed",
      compute.gameLoop.metricFailed({ period: Duration.minutes(5), statistic: "Sum" }),
      1,
      "A game loop ended in TickFailed: its world stopped ticking (its last commit stands).",
    );
    const exportsMachine = core.exports.stateMachine;
    const hourly = { period: Duration.hours(1), statistic: "Sum" } as const;
    alarm(
      "TableExportsFailed",
      new cloudwatch.MathExpression({
        // An export that DynamoDB reports FAILED fails the execution; one never done times it out.
        expression: "failed + timedOut + aborted",
        usingMetrics: {
          failed: exportsMachine.metricFailed(hourly),
          timedOut: exportsMachine.metricTimedOut(hourly),
          aborted: exportsMachine.metricAborted(hourly),
        },
        period: Duration.hours(1),
        label: "Table export executions that did not succeed",
      }),
      1,
      "The daily table export failed, timed out or was stopped: today has no backup beyond point-in-time recovery.",
    );
    const auditStream = compute.functions["audit-stream"];
    alarm(
      "AuditStreamBehind",
      auditStream.alias.metric("IteratorAge", {
        statistic: "Maximum",
        period: Duration.minutes(1),
      }),
      5 * 60 * 1000,
      "The ledger verifier is more than 5 minutes behind the journal.",
      5,
    );
    alarm(
      "AuditStreamGaveUp",
      compute.auditStreamFailures.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: "Maximum",
      }),
      1,
      "The ledger verifier gave up on stream records (their pointers are in the failures queue): replay them.",
    );
    alarm(
      "WebSocketIntegrationErrors",
      new cloudwatch.Metric({
        namespace: "AWS/ApiGateway",
        metricName: "IntegrationError",
        dimensionsMap: { ApiId: api.webSocketApi.apiId, Stage: api.webSocketStage.stageName },
        statistic: "Sum",
        period: Duration.minutes(5),
      }),
      25,
      "WebSocket messages failed in their Lambda integration 25 times in 5 minutes.",
    );
    this.alarms = alarms;

    // ─── the dashboard ─────────────────────────────────────────────────────────────────────────
    const graph = (title: string, metrics: cloudwatch.IMetric[], width = 8) =>
      new cloudwatch.GraphWidget({ title, left: metrics, width, height: 6 });
    const fns = Object.values(compute.functions);
    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: name("game"),
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          graph("Tick duration (ms)", [
            gameMetric(MetricName.TickDurationMs, "p50"),
            gameMetric(MetricName.TickDurationMs, "p99"),
          ]),
          graph("Ticks per batch", [
            gameMetric(MetricName.TicksPerBatch, "Average"),
            gameMetric(MetricName.TicksPerBatch, "Minimum"),
          ]),
          graph("Commands", [
            gameMetric(MetricName.CommandsApplied, "Sum"),
            gameMetric(MetricName.CommandsRejected, "Sum"),
          ]),
        ],
        [
          graph("Ledger entries", [gameMetric(MetricName.LedgerEntries, "Sum")]),
          graph("Commit conflicts and retries", [
            gameMetric(MetricName.CommitConflicts, "Sum"),
            gameMetric(MetricName.CommitRetries, "Sum"),
          ]),
          graph("Chain-verification failures", [
            gameMetric(MetricName.ChainVerificationFailures, "Sum"),
          ]),
        ],
        [
          graph(
            "Lambda errors (live aliases)",
            fns.map((f) => f.alias.metricErrors({ statistic: "Sum" })),
          ),
          graph(
            "Lambda p99 duration (ms)",
            fns.map((f) => f.alias.metricDuration({ statistic: "p99" })),
          ),
          graph("Game loops", [
            compute.gameLoop.metricStarted({ statistic: "Sum" }),
            compute.gameLoop.metricFailed({ statistic: "Sum" }),
            compute.gameLoop.metricSucceeded({ statistic: "Sum" }),
          ]),
        ],
        [
          graph("Connections", [
            gameMetric(MetricName.ConnectionsRejected, "Sum"),
            ...["ConnectCount", "MessageCount"].map(
              (metricName) =>
                new cloudwatch.Metric({
                  namespace: "AWS/ApiGateway",
                  metricName,
                  dimensionsMap: {
                    ApiId: api.webSocketApi.apiId,
                    Stage: api.webSocketStage.stageName,
                  },
                  statistic: "Sum",
                }),
            ),
          ]),
          graph("DynamoDB throttles", [
            core.entities.table.metric("ThrottledRequests", { statistic: "Sum" }),
            core.journal.table.metric("ThrottledRequests", { statistic: "Sum" }),
          ]),
          new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms, width: 8, height: 6 }),
        ],
      ],
    });

    // ─── costs ─────────────────────────────────────────────────────────────────────────────────
    new budgets.CfnBudget(this, "MonthlyBudget", {
      budget: {
        budgetName: name("monthly"),
        budgetType: "COST",
        timeUnit: "MONTHLY",
        budgetLimit: { amount: settings.monthlyBudgetUsd, unit: "USD" },
        // This project's resources of this stage, not the whole account: both tags must be
        // activated as cost allocation tags (Billing console), as for the anomaly monitor.
        filterExpression: {
          and: [
            { tags: { key: COST_TAG.key, values: [COST_TAG.value], matchOptions: ["EQUALS"] } },
            { tags: { key: STAGE_TAG_KEY, values: [settings.stage], matchOptions: ["EQUALS"] } },
          ],
        },
      },
      notificationsWithSubscribers: [
        { type: "ACTUAL", threshold: 80 },
        { type: "FORECASTED", threshold: 100 },
      ].map((n) => ({
        notification: {
          notificationType: n.type,
          comparisonOperator: "GREATER_THAN",
          threshold: n.threshold,
          thresholdType: "PERCENTAGE",
        },
        subscribers: [{ subscriptionType: "SNS", address: core.opsTopic.topicArn }],
      })),
    });
    const monitor = new ce.CfnAnomalyMonitor(this, "CostAnomalyMonitor", {
      monitorName: name("costs"),
      monitorType: "CUSTOM",
      // A custom monitor of the project's tag: an account has room for one service-wide monitor
      // only, which is often taken. The tag must be activated as a cost allocation tag.
      monitorSpecification: JSON.stringify({
        Tags: { Key: COST_TAG.key, Values: [COST_TAG.value], MatchOptions: ["EQUALS"] },
      }),
    });
    new ce.CfnAnomalySubscription(this, "CostAnomalySubscription", {
      subscriptionName: name("cost-anomalies"),
      frequency: "IMMEDIATE",
      monitorArnList: [monitor.attrMonitorArn],
      subscribers: [{ type: "SNS", address: core.opsTopic.topicArn }],
      thresholdExpression: JSON.stringify({
        Dimensions: {
          Key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
          MatchOptions: ["GREATER_THAN_OR_EQUAL"],
          Values: [String(settings.anomalyThresholdUsd)],
        },
      }),
    });

    new CfnOutput(this, OUTPUTS.Observability.dashboardUrl, {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.dashboard.dashboardName}`,
    });
  }
}
