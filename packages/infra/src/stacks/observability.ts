/**
 * ObservabilityStack: what the operators look at and what wakes them.
 *
 * - a CloudWatch dashboard of the game's own metrics (Powertools EMF, namespace `LedgerQuest`,
 *   dimension `service`): tick duration, ticks per batch, commands, ledger entries, commit
 *   conflicts, chain-verification failures; and of the services under them;
 * - alarms to the operators' topic: any chain-verification failure (the ledger is the source of
 *   truth for value), commit conflicts, failed game loops and exports, the stream handler falling
 *   behind or giving records up, WebSocket integration errors;
 * - saved Logs Insights queries for the questions operators ask of the logs (slow batches, lag
 *   behind real time, rejected commands, commit conflicts, authorizer denials, ledger problems,
 *   errors), charted on the same dashboard (`LogInsights`);
 * - AWS Budgets (a monthly limit, actual and forecast) and Cost Anomaly Detection;
 * - opt-in, the logs to Datadog through the user's Datadog Forwarder (`DatadogForwarding`).
 *
 * The per-function canary alarms (errors, throttles, p99) live with the functions in ComputeStack.
 */

import { DEFAULT_SERVICE_NAME, METRICS_NAMESPACE, MetricName } from "@ledgerquest/aws";
import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import * as budgets from "aws-cdk-lib/aws-budgets";
import * as ce from "aws-cdk-lib/aws-ce";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as sns from "aws-cdk-lib/aws-sns";
import type { Construct } from "constructs";
import { DatadogForwarding } from "../constructs/datadog-forwarding.js";
import { LogInsights } from "../constructs/log-insights.js";
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

interface GameAlarmProps {
  readonly metric: cloudwatch.IMetric;
  /** The value that alarms, reached or passed. */
  readonly threshold: number;
  /** What it means and what to do: the notification's text. */
  readonly description: string;
  /** Periods the metric must breach, in a row. @default 1 */
  readonly evaluationPeriods?: number;
}

export class ObservabilityStack extends Stack {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: readonly cloudwatch.Alarm[];
  readonly logInsights: LogInsights;
  /** Set when `settings.datadogForwarderArn` is. */
  readonly datadog?: DatadogForwarding;
  private readonly settings: StageSettings;
  /** Every alarm notifies the operators' topic, in alarm and back to OK. */
  private readonly notify: actions.SnsAction;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { settings, core, api, compute } = props;
    this.settings = settings;
    this.notify = new actions.SnsAction(core.opsTopic);

    // ─── alarms ────────────────────────────────────────────────────────────────────────────────
    this.alarms = [...this.addGameAlarms(compute), ...this.addServiceAlarms(core, api, compute)];

    // ─── logs: saved queries, and Datadog when asked ───────────────────────────────────────────
    this.logInsights = new LogInsights(this, "LogInsights", {
      folder: this.nameOf("queries"),
      functions: compute.functions,
    });
    if (settings.datadogForwarderArn !== undefined) {
      this.datadog = new DatadogForwarding(this, "Datadog", {
        forwarderArn: settings.datadogForwarderArn,
        logGroups: {
          ...Object.fromEntries(
            Object.entries(compute.functions).map(([, fn]) => [fn.node.id, fn.logGroup]),
          ),
          GameLoop: compute.gameLoopLogGroup,
        },
      });
    }

    // ─── the dashboard ─────────────────────────────────────────────────────────────────────────
    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: this.nameOf("game"),
      defaultInterval: Duration.hours(3),
      widgets: [
        ...gameWidgets(),
        ...serviceWidgets(core, api, compute, this.alarms),
        ...this.logInsights.widgets(),
      ],
    });

    // ─── costs ─────────────────────────────────────────────────────────────────────────────────
    this.addBudget(core.opsTopic);
    this.addCostAnomalyDetection(core.opsTopic);

    new CfnOutput(this, OUTPUTS.Observability.dashboardUrl, {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${this.dashboard.dashboardName}`,
    });
  }

  /** A fixed name of this stage: `ledgerquest-<stage>-<n>`. */
  private nameOf(n: string): string {
    return qualifiedName(this.settings.stage, n);
  }

  /**
   * An alarm named after its id, when the metric reaches the threshold; missing data is not
   * breaching. It notifies the operators' topic when it fires and when it is OK again.
   */
  private addAlarm(id: string, props: GameAlarmProps): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: this.nameOf(id),
      alarmDescription: props.description,
      metric: props.metric,
      threshold: props.threshold,
      evaluationPeriods: props.evaluationPeriods ?? 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.notify);
    alarm.addOkAction(this.notify);
    return alarm;
  }

  /** The game's own alarms: the ledger's chain, rival commits, game loops that failed. */
  private addGameAlarms(compute: ComputeStack): cloudwatch.Alarm[] {
    return [
      this.addAlarm("ChainVerificationFailures", {
        metric: gameMetric(MetricName.ChainVerificationFailures, "Sum"),
        threshold: 1,
        description:
          "A world's ledger failed verification: stop and investigate (docs/deploy.md, disaster recovery).",
      }),
      this.addAlarm("CommitConflicts", {
        metric: gameMetric(MetricName.CommitConflicts, "Sum", Duration.minutes(5)),
        threshold: 10,
        description:
          "Tick batches lost their commit to a rival writer 10 times in 5 minutes: two loops may run one world.",
      }),
      this.addAlarm("GameLoopsFailed", {
        metric: compute.gameLoop.metricFailed({ period: Duration.minutes(5), statistic: "Sum" }),
        threshold: 1,
        description:
          "A game loop ended in TickFailed: its world stopped ticking (its last commit stands).",
      }),
    ];
  }

  /**
   * The services' alarms: the daily table export, the AuditLog stream handler falling behind or
   * giving records up, WebSocket messages failing in their integration.
   */
  private addServiceAlarms(
    core: GameCoreStack,
    api: ApiStack,
    compute: ComputeStack,
  ): cloudwatch.Alarm[] {
    const exportsMachine = core.exports.stateMachine;
    const hourly = { period: Duration.hours(1), statistic: "Sum" } as const;
    const auditStream = compute.functions["audit-stream"];
    return [
      this.addAlarm("TableExportsFailed", {
        metric: new cloudwatch.MathExpression({
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
        threshold: 1,
        description:
          "The daily table export failed, timed out or was stopped: today has no backup beyond point-in-time recovery.",
      }),
      this.addAlarm("AuditStreamBehind", {
        metric: auditStream.alias.metric("IteratorAge", {
          statistic: "Maximum",
          period: Duration.minutes(1),
        }),
        threshold: 5 * 60 * 1000,
        description: "The ledger verifier is more than 5 minutes behind the journal.",
        evaluationPeriods: 5,
      }),
      this.addAlarm("AuditStreamGaveUp", {
        metric: compute.auditStreamFailures.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: "Maximum",
        }),
        threshold: 1,
        description:
          "The ledger verifier gave up on stream records (their pointers are in the failures queue): replay them.",
      }),
      this.addAlarm("WebSocketIntegrationErrors", {
        metric: webSocketMetric(api, "IntegrationError", Duration.minutes(5)),
        threshold: 25,
        description: "WebSocket messages failed in their Lambda integration 25 times in 5 minutes.",
      }),
    ];
  }

  /**
   * The stage's monthly AWS Budget (`settings.monthlyBudgetUsd`) over this project's resources of
   * this stage, by their tags: the operators' topic hears of 80% spent and of 100% forecast.
   */
  private addBudget(topic: sns.ITopic): void {
    const { settings } = this;
    new budgets.CfnBudget(this, "MonthlyBudget", {
      budget: {
        budgetName: this.nameOf("monthly"),
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
        subscribers: [{ subscriptionType: "SNS", address: topic.topicArn }],
      })),
    });
  }

  /**
   * Cost Anomaly Detection over the project's cost tag: the operators' topic hears at once of an
   * anomaly of at least `settings.anomalyThresholdUsd`.
   */
  private addCostAnomalyDetection(topic: sns.ITopic): void {
    const monitor = new ce.CfnAnomalyMonitor(this, "CostAnomalyMonitor", {
      monitorName: this.nameOf("costs"),
      monitorType: "CUSTOM",
      // A custom monitor of the project's tag: an account has room for one service-wide monitor
      // only, which is often taken. The tag must be activated as a cost allocation tag.
      monitorSpecification: JSON.stringify({
        Tags: { Key: COST_TAG.key, Values: [COST_TAG.value], MatchOptions: ["EQUALS"] },
      }),
    });
    new ce.CfnAnomalySubscription(this, "CostAnomalySubscription", {
      subscriptionName: this.nameOf("cost-anomalies"),
      frequency: "IMMEDIATE",
      monitorArnList: [monitor.attrMonitorArn],
      subscribers: [{ type: "SNS", address: topic.topicArn }],
      thresholdExpression: JSON.stringify({
        Dimensions: {
          Key: "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
          MatchOptions: ["GREATER_THAN_OR_EQUAL"],
          Values: [String(this.settings.anomalyThresholdUsd)],
        },
      }),
    });
  }
}

/** One of API Gateway's metrics of the WebSocket stage, summed. */
function webSocketMetric(api: ApiStack, metricName: string, period?: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: "AWS/ApiGateway",
    metricName,
    dimensionsMap: { ApiId: api.webSocketApi.apiId, Stage: api.webSocketStage.stageName },
    statistic: "Sum",
    ...(period === undefined ? {} : { period }),
  });
}

/** A graph of a dashboard row: a third of its width by default. */
function graph(title: string, metrics: cloudwatch.IMetric[], width = 8): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left: metrics, width, height: 6 });
}

/** The dashboard's rows of the game's own metrics: ticks, commands, the ledger. */
function gameWidgets(): cloudwatch.IWidget[][] {
  return [
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
  ];
}

/** The dashboard's rows of the services under the game, and the state of `alarms`. */
function serviceWidgets(
  core: GameCoreStack,
  api: ApiStack,
  compute: ComputeStack,
  alarms: readonly cloudwatch.Alarm[],
): cloudwatch.IWidget[][] {
  const fns = Object.values(compute.functions);
  return [
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
        ...["ConnectCount", "MessageCount"].map((metricName) => webSocketMetric(api, metricName)),
      ]),
      graph("DynamoDB throttles", [
        core.entities.table.metric("ThrottledRequests", { statistic: "Sum" }),
        core.journal.table.metric("ThrottledRequests", { statistic: "Sum" }),
      ]),
      new cloudwatch.AlarmStatusWidget({
        title: "Alarms",
        alarms: [...alarms],
        width: 8,
        height: 6,
      }),
    ],
  ];
}
