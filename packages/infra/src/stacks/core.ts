/**
 * GameCoreStack: what holds the game's data and carries its events. The tables and buckets are
 * kept when the stack goes (RemovalPolicy.RETAIN): deleting a deployment never deletes a ledger.
 *
 * - the event bus `ledgerquest.eventbus` (with a 30-day archive for replays);
 * - `EntityTable` and `AuditLog`, keys from the one-source definitions, on demand, PITR on;
 * - the assets bucket (world states too large for their item), optionally replicated to a bucket
 *   in another region;
 * - the backups bucket and the daily table exports (disaster recovery);
 * - the operators' SNS topic (alarms, budgets, ledger-integrity events);
 * - a VPC only when asked (`vpc: true`): nothing in the game needs one today; the deployment
 *   guide keeps it for future GPU workers.
 */

import { EVENT_BUS_NAME } from "@ledgerquest/runtime";
import { CfnOutput, Duration, Stack, type StackProps, Validations } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type { Construct } from "constructs";
import { EventDelivery, GameEventBus } from "../constructs/event-bus.js";
import { EntityTable, Journal } from "../constructs/game-tables.js";
import { secureBucket } from "../constructs/secure-bucket.js";
import { TableExports } from "../constructs/table-exports.js";
import { OUTPUTS } from "../contract.js";
import { qualifiedName, stateMachineName } from "../naming.js";
import type { StageSettings } from "../settings.js";

export interface GameCoreStackProps extends StackProps {
  readonly settings: StageSettings;
}

/**
 * The bus name of a stage: the one-source name in prod, qualified elsewhere, so beta and prod can
 * share an account (rule names are per bus and need no qualifying).
 */
export function eventBusNameOf(settings: StageSettings): string {
  return settings.stage === "prod" ? EVENT_BUS_NAME : `${EVENT_BUS_NAME}.${settings.stage}`;
}

export class GameCoreStack extends Stack {
  readonly entities: EntityTable;
  readonly journal: Journal;
  readonly events: GameEventBus;
  readonly assets: s3.Bucket;
  readonly backups: s3.Bucket;
  readonly accessLogs: s3.Bucket;
  readonly opsTopic: sns.Topic;
  readonly exports: TableExports;
  readonly vpc?: ec2.Vpc;

  constructor(scope: Construct, id: string, props: GameCoreStackProps) {
    super(scope, id, props);
    const { settings } = props;

    this.events = new GameEventBus(this, "Events", { eventBusName: eventBusNameOf(settings) });
    const tableProps = { deletionProtection: settings.deletionProtection };
    this.entities = new EntityTable(this, "Entities", tableProps);
    this.journal = new Journal(this, "Journal", tableProps);

    this.accessLogs = secureBucket(this, "AccessLogs", {
      // Logs are append-only records; versions would only double their cost.
      versioned: false,
      lifecycleRules: [{ id: "expire-access-logs", expiration: Duration.days(90) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "This is the server-access-log bucket of the others; logging it into itself would loop.",
    });

    this.assets = secureBucket(this, "Assets", {
      accessLogs: { bucket: this.accessLogs, prefix: "assets/" },
      lifecycleRules: [
        {
          id: "expire-replaced-states",
          // World states are content-addressed: an old version is a state no world points at.
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
      ...(settings.replicaBucketArn === undefined
        ? {}
        : {
            replicationRules: [
              {
                destination: s3.Bucket.fromBucketArn(this, "Replica", settings.replicaBucketArn),
                priority: 1,
              },
            ],
          }),
    });

    this.backups = this.backupsBucket(settings);
    this.opsTopic = this.operationsTopic(settings);

    this.exports = new TableExports(this, "TableExports", {
      tables: [
        { table: this.entities.table, prefix: "entity-table" },
        { table: this.journal.table, prefix: "audit-log" },
      ],
      bucket: this.backups,
      stateMachineName: stateMachineName(settings.stage, "table-exports"),
      hourUtc: settings.exportHourUtc,
      logRetentionDays: settings.logRetentionDays,
      delivery: new EventDelivery(this, "EventDelivery", {
        alarmTopic: this.opsTopic,
        alarmNamePrefix: qualifiedName(settings.stage, ""),
        name: "table-export-schedule",
      }),
    });

    const out = OUTPUTS.Core;
    new CfnOutput(this, out.entityTable, { value: this.entities.table.tableName });
    new CfnOutput(this, out.auditLog, { value: this.journal.table.tableName });
    new CfnOutput(this, out.eventBus, { value: this.events.eventBusName });
    new CfnOutput(this, out.assetsBucket, { value: this.assets.bucketName });
    new CfnOutput(this, out.backupsBucket, { value: this.backups.bucketName });

    if (settings.vpc) {
      this.vpc = new ec2.Vpc(this, "Vpc", {
        maxAzs: 2,
        // Isolated subnets and gateway endpoints: the future workers reach S3 and DynamoDB
        // without NAT gateways, which would cost more than everything else here at rest.
        natGateways: 0,
        subnetConfiguration: [
          { name: "workers", subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
        ],
        gatewayEndpoints: {
          S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
          DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
        },
        flowLogs: {
          rejected: {
            destination: ec2.FlowLogDestination.toCloudWatchLogs(
              new logs.LogGroup(this, "VpcFlowLogs", {
                retention: settings.logRetentionDays as logs.RetentionDays,
              }),
            ),
            trafficType: ec2.FlowLogTrafficType.REJECT,
          },
        },
      });
    }
  }

  /** Where operations notify: alarms, and (ObservabilityStack) AWS Budgets and Cost Anomaly Detection. */
  private operationsTopic(settings: GameCoreStackProps["settings"]): sns.Topic {
    const topic = new sns.Topic(this, "OpsTopic", {
      topicName: qualifiedName(settings.stage, "ops"),
      displayName: `LedgerQuest ${settings.stage} operations`,
      enforceSSL: true,
    });
    // AWS Budgets and Cost Anomaly Detection publish here too (ObservabilityStack).
    for (const service of ["budgets.amazonaws.com", "costalerts.amazonaws.com"]) {
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: service.split(".")[0],
          principals: [new iam.ServicePrincipal(service)],
          actions: ["sns:Publish"],
          resources: [topic.topicArn],
          conditions: { StringEquals: { "aws:SourceAccount": this.account } },
        }),
      );
    }
    if (settings.alarmEmail !== undefined) {
      topic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail));
    }
    Validations.of(topic).acknowledge({
      id: "AwsSolutions-SNS2",
      reason:
        "Notifications carry alarm names and figures, no player data. The AWS-managed SNS key cannot be used by CloudWatch, EventBridge, Budgets or Cost Anomaly Detection, so encryption would need a customer key ($1 a month per stage) for nothing secret.",
    });
    return topic;
  }

  /** The table exports' bucket: exports age into Glacier Instant Retrieval after 30 days. */
  private backupsBucket(settings: GameCoreStackProps["settings"]): s3.Bucket {
    return secureBucket(this, "Backups", {
      accessLogs: { bucket: this.accessLogs, prefix: "backups/" },
      lifecycleRules: [
        {
          id: "age-table-exports",
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(30),
            },
          ],
          expiration: Duration.days(Math.max(settings.exportRetentionDays, 31)),
          noncurrentVersionExpiration: Duration.days(7),
        },
      ],
    });
  }
}
