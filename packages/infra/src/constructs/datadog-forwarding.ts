/**
 * Logs to Datadog, opt-in: a subscription filter on each log group to the Datadog Forwarder, a
 * Lambda function the user has installed from Datadog's own CloudFormation template (it reads the
 * API key from Secrets Manager and ships logs, and traces and metrics found in them, to Datadog).
 *
 * Why the forwarder rather than the Datadog Lambda extension: it needs nothing inside the
 * functions (no layer, no API key in their environment, no change to their cold start or bundle),
 * covers the state machine's log group as well, and is removed by unsetting one setting. The
 * extension's extra (Datadog's own tracing and enhanced metrics) overlaps what X-Ray and the
 * Powertools metrics already give. docs/deploy.md, "Datadog", says how to install the forwarder.
 *
 * The forwarder must be in the same account and region as the stacks (a subscription filter's
 * Lambda destination cannot cross either), so the permission CloudWatch Logs needs to invoke it is
 * granted here, one per log group, limited to that group by its source ARN.
 */
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as destinations from "aws-cdk-lib/aws-logs-destinations";
import { Construct } from "constructs";

export interface DatadogForwardingProps {
  /** The Datadog Forwarder function's ARN, in the stacks' account and region. */
  readonly forwarderArn: string;
  /** The log groups to forward, by construct id. */
  readonly logGroups: Readonly<Record<string, logs.ILogGroup>>;
  /**
   * Which events to forward. @default every event (the forwarder filters further by its own
   * settings, e.g. `EXCLUDE_AT_MATCH`)
   */
  readonly filterPattern?: logs.IFilterPattern;
}

export class DatadogForwarding extends Construct {
  readonly forwarder: lambda.IFunction;
  readonly filters: readonly logs.SubscriptionFilter[];

  constructor(scope: Construct, id: string, props: DatadogForwardingProps) {
    super(scope, id);
    // Same environment by contract (see above): lets the destination grant logs the invoke.
    this.forwarder = lambda.Function.fromFunctionAttributes(this, "Forwarder", {
      functionArn: props.forwarderArn,
      sameEnvironment: true,
    });
    const destination = new destinations.LambdaDestination(this.forwarder);
    this.filters = Object.entries(props.logGroups).map(
      ([name, logGroup]) =>
        new logs.SubscriptionFilter(this, name, {
          logGroup,
          destination,
          filterPattern: props.filterPattern ?? logs.FilterPattern.allEvents(),
          filterName: "datadog-forwarder",
        }),
    );
  }
}
