/**
 * One Lambda handler as deployed: a NodejsFunction (Node 22, arm64, X-Ray active) running the
 * bundle `@ledgerquest/aws` builds, its own log group with a retention, a role with nothing but
 * what is granted to it by intent, and the `live` alias everything invokes, moved to each new
 * version by CodeDeploy, which rolls back when the alias's errors, throttles or p99 duration alarm.
 */
import { Duration, Validations } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as codedeploy from "aws-cdk-lib/aws-codedeploy";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import type { HandlerName } from "../bundles.js";
import { allowUnscopedActions, XRAY_WRITE_ACTIONS } from "../nag.js";
import { functionName, LIVE_ALIAS } from "../naming.js";
import type { StageName } from "../settings.js";

export interface CanaryAlarmThresholds {
  /** The alias's p99 duration that stops a deployment, in milliseconds. */
  readonly p99DurationMs: number;
  /**
   * The share of invocations that fail, in percent, over a minute, that stops a deployment.
   * @default 5
   */
  readonly errorRatePercent?: number;
  /**
   * Throttled invocations in a minute that stop a deployment.
   * @default 1
   */
  readonly throttles?: number;
}

export interface GameFunctionProps {
  /** The handler, by its bundle name (`HANDLER_ENTRIES` of `@ledgerquest/aws`). */
  readonly handler: HandlerName;
  /** The handler's bundle folder (`bundleLambdaHandlers`). */
  readonly codePath: string;
  readonly stage: StageName;
  readonly description: string;
  /** @default 512 */
  readonly memorySizeMb?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetentionDays: number;
  /** The CodeDeploy application the function's deployment group belongs to. */
  readonly application: codedeploy.ILambdaApplication;
  readonly deploymentConfig: codedeploy.ILambdaDeploymentConfig;
  readonly alarms: CanaryAlarmThresholds;
  /**
   * Where the canary alarms notify, besides CodeDeploy: outside a deployment nobody else watches
   * them, and a function failing between deployments is exactly what operators must hear of.
   */
  readonly alarmTopic: sns.ITopic;
  /**
   * Concurrent executions reserved for this function, which are also its ceiling. None by
   * default: the account's unreserved pool.
   */
  readonly reservedConcurrency?: number;
}

/** A handler deployed behind its `live` alias with canary deployments and automatic rollback. */
export class GameFunction extends Construct {
  readonly function: NodejsFunction;
  /** What everything invokes: API routes, the state machine, the stream's event source. */
  readonly alias: lambda.Alias;
  readonly logGroup: logs.LogGroup;
  readonly deploymentGroup: codedeploy.LambdaDeploymentGroup;
  /** The alarms that roll a deployment back (they watch the alias, so both versions' traffic). */
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: GameFunctionProps) {
    super(scope, id);
    const name = functionName(props.stage, props.handler);
    this.logGroup = new logs.LogGroup(this, "Logs", {
      logGroupName: `/aws/lambda/${name}`,
      retention: props.logRetentionDays as logs.RetentionDays,
    });
    // No managed policy: the log group is this function's own, so writing to it is all it needs.
    const role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `${name}: granted by intent in ComputeStack`,
    });
    this.logGroup.grantWrite(role);

    this.function = new NodejsFunction(this, "Function", {
      functionName: name,
      description: props.description,
      code: lambda.Code.fromAsset(props.codePath),
      handler: "index.handler",
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySizeMb ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      role,
      environment: { ...props.environment },
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
    });

    allowUnscopedActions(
      this,
      XRAY_WRITE_ACTIONS,
      "Active tracing: X-Ray's PutTraceSegments and PutTelemetryRecords take no resource (IAM service authorization reference).",
    );
    Validations.of(this.function).acknowledge({
      id: "AwsSolutions-L1",
      reason:
        "Node.js 22 is the runtime the handlers are built and tested for (bundled for node20+, so the local stack runs them too); a newer one is adopted with the test toolchain, not by the linter.",
    });

    this.alias = new lambda.Alias(this, "Live", {
      aliasName: LIVE_ALIAS,
      version: this.function.currentVersion,
      description: "What callers invoke; CodeDeploy shifts it to each new version",
    });

    this.alarms = this.rollbackAlarms(name, props.alarms);
    const notify = new cwActions.SnsAction(props.alarmTopic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(notify);
      alarm.addOkAction(notify);
    }

    this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, "Deployment", {
      application: props.application,
      alias: this.alias,
      deploymentConfig: props.deploymentConfig,
      alarms: [...this.alarms],
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    Validations.of(this.deploymentGroup).acknowledge({
      id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]",
      reason:
        "CodeDeploy's service role for Lambda deployments: the AWS-managed policy is the one AWS documents and keeps current for shifting aliases and reading alarms.",
    });
  }

  /**
   * The alarms that roll a deployment back, on the alias: error rate, throttles and p99
   * duration, each over 2 consecutive minutes.
   */
  private rollbackAlarms(name: string, limits: GameFunctionProps["alarms"]): cloudwatch.Alarm[] {
    const minute = Duration.minutes(1);
    const errorRate = new cloudwatch.MathExpression({
      expression: "IF(invocations > 0, 100 * errors / invocations, 0)",
      usingMetrics: {
        errors: this.alias.metricErrors({ period: minute, statistic: "Sum" }),
        invocations: this.alias.metricInvocations({ period: minute, statistic: "Sum" }),
      },
      period: minute,
      label: `${name} error rate (%)`,
    });
    // Alike: the three alarms below (the same evaluation, each its own metric and threshold).
    const alarmProps = {
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    } as const;
    const errors = errorRate.createAlarm(this, "ErrorRate", {
      ...alarmProps,
      alarmDescription: `${name}: more than ${limits.errorRatePercent ?? 5}% of invocations failed in 2 consecutive minutes (rolls a deployment back)`,
      threshold: limits.errorRatePercent ?? 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    const throttles = this.alias
      .metricThrottles({ period: minute, statistic: "Sum" })
      .createAlarm(this, "Throttles", {
        ...alarmProps,
        alarmDescription: `${name}: throttled in 2 consecutive minutes (rolls a deployment back)`,
        threshold: limits.throttles ?? 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    const duration = this.alias
      .metricDuration({ period: minute, statistic: "p99" })
      .createAlarm(this, "P99Duration", {
        ...alarmProps,
        alarmDescription: `${name}: p99 duration above ${limits.p99DurationMs} ms in 2 consecutive minutes (rolls a deployment back)`,
        threshold: limits.p99DurationMs,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    return [errors, throttles, duration];
  }

  get role(): iam.IRole {
    const role = this.function.role;
    if (role === undefined) throw new Error("a GameFunction always has a role");
    return role;
  }
}
