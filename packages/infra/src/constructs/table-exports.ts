/**
 * Disaster recovery: a daily export of the tables to S3, through a state machine whose tasks call
 * DynamoDB's `ExportTableToPointInTime` with Step Functions' AWS SDK integration (no Lambda to
 * keep), started by an EventBridge schedule. An export reads the table's point-in-time backup, not
 * the table, so it costs no read capacity and never slows the game. docs/deploy.md says how to
 * restore from one.
 *
 * DynamoDB runs an export in the background and answers its start at once, so starting one proves
 * nothing: each branch then polls `DescribeExport` (a Wait and a Choice in a loop) until the
 * export is COMPLETED, and fails the execution when it FAILED. The execution's failure, or its
 * timeout, is what the TableExportsFailed alarm watches.
 */
import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import {
  allowUnscopedActions,
  allowWildcardResource,
  STATE_MACHINE_UNSCOPED_ACTIONS,
} from "../nag.js";
import { CONTROL_RETRY, type EventDelivery } from "./event-bus.js";

/** How long a branch waits between two looks at its export. Exports take minutes at least. */
export const EXPORT_POLL_INTERVAL = Duration.minutes(5);

/**
 * The longest a day's exports may take before the execution times out (and alarms). Exports of
 * large tables take hours; one not done in 12 overlaps the next day's.
 */
export const EXPORT_TIMEOUT = Duration.hours(12);

/** A table to export, and the folder of the bucket its exports go under. */
export interface ExportedTable {
  readonly table: { readonly tableArn: string };
  readonly prefix: string;
}

export interface TableExportsProps {
  readonly tables: readonly ExportedTable[];
  readonly bucket: s3.IBucket;
  readonly stateMachineName: string;
  /** @default 3 (03:00 UTC every day) */
  readonly hourUtc?: number;
  readonly logRetentionDays: number;
  /** The schedule's target retry policy, dead-letter queue and alarms. */
  readonly delivery: EventDelivery;
}

export class TableExports extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: TableExportsProps) {
    super(scope, id);
    const exports = new sfn.Parallel(this, "ExportTables", {
      comment:
        "Export each table at a point in time, and wait until DynamoDB says each export completed",
    });
    const throttled = {
      errors: ["DynamoDb.LimitExceededException", "DynamoDb.InternalServerErrorException"],
      interval: Duration.minutes(1),
      maxAttempts: 5,
      backoffRate: 2,
    };
    for (const exported of props.tables) {
      exports.branch(this.exportOf(exported, props.bucket, throttled));
    }

    const logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetentionDays as logs.RetentionDays,
    });
    this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(exports),
      comment: "Daily point-in-time exports of the game's tables to S3 (disaster recovery)",
      timeout: EXPORT_TIMEOUT,
      tracingEnabled: true,
      // Once a day: every event is cheap, and a failed export is worth reading in full.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    // What DynamoDB needs of the caller to write an export into the bucket.
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["s3:PutObject", "s3:PutObjectAcl", "s3:AbortMultipartUpload"],
        resources: [props.bucket.arnForObjects("*")],
      }),
    );

    allowWildcardResource(
      this.stateMachine,
      props.bucket.arnForObjects("*"),
      "DynamoDB writes each export as many objects under a folder it names itself, in the backups bucket only.",
    );
    allowUnscopedActions(
      this.stateMachine,
      STATE_MACHINE_UNSCOPED_ACTIONS,
      "Step Functions' logging (CloudWatch Logs vended-log delivery) and X-Ray tracing: these actions take no resource (Step Functions developer guide).",
    );

    this.schedule = new events.Rule(this, "Daily", {
      description: "Start the daily export of the game's tables",
      schedule: events.Schedule.cron({ minute: "0", hour: String(props.hourUtc ?? 3) }),
      targets: [
        new targets.SfnStateMachine(this.stateMachine, props.delivery.targetProps(CONTROL_RETRY)),
      ],
    });
    props.delivery.watch("DailyTableExports", this.schedule);
  }

  /** One table's branch: start its export, then poll DescribeExport until it completes or fails. */
  private exportOf(
    exported: TableExportsProps["tables"][number],
    bucket: s3.IBucket,
    throttled: sfn.RetryProps,
  ): sfn.IChainable {
    const name = exported.prefix;
    const exportsOfTable = `${exported.table.tableArn}/export/*`;
    const wait = new sfn.Wait(this, `Wait for ${name}`, {
      time: sfn.WaitTime.duration(EXPORT_POLL_INTERVAL),
    });
    const describe = new tasks.CallAwsService(this, `Describe ${name} export`, {
      service: "dynamodb",
      action: "describeExport",
      parameters: { "ExportArn.$": "$.exportArn" },
      iamResources: [exportsOfTable],
      iamAction: "dynamodb:DescribeExport",
      resultSelector: {
        "exportArn.$": "$.ExportDescription.ExportArn",
        "status.$": "$.ExportDescription.ExportStatus",
      },
    }).addRetry(throttled);
    const done = new sfn.Choice(this, `${name} export done?`)
      .when(
        sfn.Condition.stringEquals("$.status", "COMPLETED"),
        new sfn.Succeed(this, `${name} exported`),
      )
      .when(
        sfn.Condition.stringEquals("$.status", "FAILED"),
        new sfn.Fail(this, `${name} export failed`, {
          error: "TableExportFailed",
          cause: `DynamoDB could not export ${name}: DescribeExport of the export in this execution's history says why (FailureCode, FailureMessage)`,
        }),
      )
      .otherwise(wait);
    const chain = new tasks.CallAwsService(this, `Export ${name}`, {
      service: "dynamodb",
      action: "exportTableToPointInTime",
      parameters: {
        TableArn: exported.table.tableArn,
        S3Bucket: bucket.bucketName,
        // One folder per table and day: `entity-table/2026-11-24T03:00:00Z/AWSDynamoDB/...`.
        "S3Prefix.$": `States.Format('${exported.prefix}/{}', $$.Execution.StartTime)`,
        ExportFormat: "DYNAMODB_JSON",
        ExportType: "FULL_EXPORT",
      },
      iamResources: [exported.table.tableArn],
      iamAction: "dynamodb:ExportTableToPointInTime",
      resultSelector: {
        "exportArn.$": "$.ExportDescription.ExportArn",
        "status.$": "$.ExportDescription.ExportStatus",
      },
    })
      .addRetry(throttled)
      .next(wait)
      .next(describe)
      .next(done);
    allowWildcardResource(
      this,
      exportsOfTable,
      `DescribeExport names an export by its ARN, made by DynamoDB under its table (${name}): the exports of this one table.`,
    );
    return chain;
  }
}
