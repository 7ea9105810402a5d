// Assertion tests over every stack of the app, synthesized once (without CloudFormation's
// built-in validation and cdk-nag: nag.test.ts runs those over the whole app).
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  AUDIT_LOG,
  COMMAND_ROUTES,
  ENTITY_TABLE,
  EVENT_BUS_NAME,
  EVENT_RULES,
  gameLoopDefinition,
  QUERY_ROUTE,
  ROUTE_SELECTION_EXPRESSION,
  TARGET_REFS,
} from "@ledgerquest/runtime";
import { App } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { appContext, createLedgerQuestApp, type LedgerQuestApp } from "../src/app.js";
import { HANDLER_NAMES } from "../src/bundles.js";
import { CONTEXT_KEYS, OUTPUTS } from "../src/contract.js";
import { defaultSettings } from "../src/settings.js";
import { TICK_FUNCTION_ARN_SUBSTITUTION } from "../src/stacks/compute.js";
import { GameCoreStack } from "../src/stacks/core.js";
import {
  actionsOf,
  type FoundStatement,
  policyStatements,
  resourcesOf,
  siteDir,
  stubBundles,
  tempDir,
} from "./helpers.js";

process.env.CDK_VALIDATION = "false";

const require = createRequire(import.meta.url);
const aslValidator = require("asl-validator") as (definition: unknown) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};

/**
 * Actions that may be granted on `Resource: "*"`, because AWS documents them as taking no
 * resource (IAM service authorization reference), or because CDK Pipelines generates them.
 * Alike: src/nag.ts's STATE_MACHINE_UNSCOPED_ACTIONS; written out here, so that the test does not
 * take its answer from the code it checks.
 */
const UNSCOPED_ALLOWLIST: ReadonlySet<string> = new Set([
  // Lambda active tracing and Step Functions tracing: X-Ray has no resource types.
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "xray:GetSamplingRules",
  "xray:GetSamplingTargets",
  // Step Functions logging to CloudWatch Logs (vended logs): these take "*" only.
  "logs:CreateLogDelivery",
  "logs:GetLogDelivery",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:DescribeResourcePolicies",
  "logs:DescribeLogGroups",
  // The DynamoDB stream event source: ListStreams has no resource type.
  "dynamodb:ListStreams",
]);

/** Granted on "*" by CDK Pipelines' generated roles, in the pipeline stack only. */
const PIPELINE_ONLY_ALLOWLIST: ReadonlySet<string> = new Set([
  "cloudformation:DescribeStacks",
  "s3:ListBucket",
  "codebuild:BatchGetBuilds",
  "codebuild:StartBuild",
  "codebuild:StopBuild",
]);

let lq: LedgerQuestApp;
let site: string;
const templates: Record<string, Template> = {};

beforeAll(() => {
  site = siteDir();
  lq = createLedgerQuestApp({
    bundles: stubBundles(),
    // The rules' name of the project's game, as the app reads it from ledgerquest.config.ts.
    game: "arena@2",
    context: { [CONTEXT_KEYS.siteAssetPath]: site, [CONTEXT_KEYS.alarmEmail]: "ops@example.com" },
    outdir: tempDir("cdk-out"),
    nag: false,
  });
  const { core, api, compute, observability } = lq.stage;
  for (const stack of [core, api, compute, observability]) {
    templates[stack.stackName] = Template.fromStack(stack);
  }
  const pipeline = lq.pipeline as NonNullable<LedgerQuestApp["pipeline"]>;
  templates[pipeline.stackName] = Template.fromStack(pipeline);
  for (const stage of [pipeline.beta, pipeline.prod]) {
    for (const stack of Object.values(stage.stacks)) {
      templates[`${stage.stageName}/${stack.stackName}`] = Template.fromStack(stack);
    }
  }
});

const core = () => templates["LedgerQuest-beta-Core"] as Template;
const api = () => templates["LedgerQuest-beta-Api"] as Template;
const compute = () => templates["LedgerQuest-beta-Compute"] as Template;
const observability = () => templates["LedgerQuest-beta-Observability"] as Template;

function keySchema(def: typeof ENTITY_TABLE | typeof AUDIT_LOG) {
  return [
    { AttributeName: def.partitionKey.name, KeyType: "HASH" },
    ...("sortKey" in def ? [{ AttributeName: def.sortKey.name, KeyType: "RANGE" }] : []),
  ];
}

/**
 * A definition string as CloudFormation will see it, with the partition filled in and every other
 * reference (table ARNs, bucket names) replaced by a stand-in.
 */
function definitionText(value: unknown): string {
  if (typeof value === "string") return value;
  const join = (value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  if (join === undefined) throw new Error(`not a definition: ${JSON.stringify(value)}`);
  return join[1]
    .map((part) =>
      typeof part === "string"
        ? part
        : JSON.stringify(part) === '{"Ref":"AWS::Partition"}'
          ? "aws"
          : "stand-in",
    )
    .join(join[0]);
}

function statementsOf(template: Template, stack: string): FoundStatement[] {
  return policyStatements(stack, template.toJSON());
}

/** The dynamodb actions of a function's role, by the logical id prefix of its policy. */
function roleActions(prefix: string, service = "dynamodb:"): string[] {
  return statementsOf(compute(), "compute")
    .filter((s) => s.policy.startsWith(prefix))
    .flatMap((s) => actionsOf(s.statement))
    .filter((a) => a.startsWith(service))
    .sort();
}

describe("GameCoreStack", () => {
  it("creates the tables from the one-source definitions: on demand, PITR, retained", () => {
    for (const def of [ENTITY_TABLE, AUDIT_LOG]) {
      core().hasResource("AWS::DynamoDB::Table", {
        DeletionPolicy: "Retain",
        UpdateReplacePolicy: "Retain",
        Properties: Match.objectLike({
          KeySchema: keySchema(def),
          BillingMode: "PAY_PER_REQUEST",
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: { AttributeName: def.timeToLiveAttribute, Enabled: true },
        }),
      });
    }
    core().hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: keySchema(AUDIT_LOG),
      StreamSpecification: { StreamViewType: "NEW_IMAGE" },
    });
    const index = ENTITY_TABLE.indexes[0];
    core().hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: keySchema(ENTITY_TABLE),
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey.name, KeyType: "HASH" },
            { AttributeName: index.sortKey.name, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        }),
      ],
    });
  });

  it("creates the game's event bus, qualified outside prod, with an archive", () => {
    core().hasResourceProperties("AWS::Events::EventBus", { Name: `${EVENT_BUS_NAME}.beta` });
    core().resourceCountIs("AWS::Events::Archive", 1);
    templates["Prod/LedgerQuest-prod-Core"]?.hasResourceProperties("AWS::Events::EventBus", {
      Name: EVENT_BUS_NAME,
    });
  });

  it("keeps every bucket private, versioned where it holds data, TLS only, uploads aborted after 7 days", () => {
    const buckets = core().findResources("AWS::S3::Bucket");
    expect(Object.keys(buckets).length).toBe(3);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.LifecycleConfiguration.Rules).toContainEqual(
        expect.objectContaining({
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          Status: "Enabled",
        }),
      );
      expect(bucket.DeletionPolicy).toBe("Retain");
    }
    const versioned = Object.values(buckets).filter(
      (b) => b.Properties.VersioningConfiguration?.Status === "Enabled",
    );
    expect(versioned.length).toBe(2); // assets and backups; the access-log bucket is not
    const policies = Object.values(core().findResources("AWS::S3::BucketPolicy"));
    expect(policies.length).toBe(3);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: "Deny",
          Action: "s3:*",
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        }),
      );
    }
  });

  it("replicates the assets bucket only when asked, and keeps a VPC only when asked", () => {
    expect(core().findResources("AWS::EC2::VPC")).toEqual({});
    const app = new App({ context: appContext() });
    const stack = new GameCoreStack(app, "Replicated", {
      settings: {
        ...defaultSettings("beta"),
        replicaBucketArn: "arn:aws:s3:::ledgerquest-assets-replica",
        vpc: true,
      },
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties("AWS::S3::Bucket", {
      ReplicationConfiguration: Match.objectLike({
        Rules: [
          Match.objectLike({
            Destination: { Bucket: "arn:aws:s3:::ledgerquest-assets-replica" },
            Status: "Enabled",
          }),
        ],
      }),
    });
    t.resourceCountIs("AWS::EC2::VPC", 1);
    t.resourceCountIs("AWS::EC2::NatGateway", 0);
    t.resourceCountIs("AWS::EC2::FlowLog", 1);
  });

  it("exports both tables to S3 every day through the state machine's SDK integration", () => {
    const machines = core().findResources("AWS::StepFunctions::StateMachine");
    const [machine] = Object.values(machines);
    const text = definitionText(machine?.Properties.DefinitionString);
    expect(text.match(/arn:aws:states:::aws-sdk:dynamodb:exportTableToPointInTime/g)).toHaveLength(
      2,
    );
    core().hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "cron(0 3 * * ? *)",
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp("TableExports") } })],
    });
    const exportStatements = statementsOf(core(), "core").filter((s) =>
      actionsOf(s.statement).includes("dynamodb:ExportTableToPointInTime"),
    );
    const exported = exportStatements.flatMap((s) => resourcesOf(s.statement));
    expect(exported).toHaveLength(2);
    expect(exported).not.toContain("*");
  });

  it("declares the outputs the deploy command reads", () => {
    for (const output of Object.values(OUTPUTS.Core)) core().hasOutput(output, {});
  });
});

describe("ApiStack", () => {
  it("routes $connect behind the JWT authorizer, and the one-source routes to the command and query handlers", () => {
    api().hasResourceProperties("AWS::ApiGatewayV2::Api", {
      ProtocolType: "WEBSOCKET",
      RouteSelectionExpression: ROUTE_SELECTION_EXPRESSION,
    });
    api().hasResourceProperties("AWS::ApiGatewayV2::Route", {
      RouteKey: "$connect",
      AuthorizationType: "CUSTOM",
      AuthorizerId: Match.anyValue(),
    });
    api().hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      AuthorizerType: "REQUEST",
      IdentitySource: ["route.request.querystring.token"],
    });
    const routes = Object.values(api().findResources("AWS::ApiGatewayV2::Route")).map(
      (r) => r.Properties.RouteKey,
    );
    expect(routes.sort()).toEqual(
      ["$connect", "$default", "$disconnect", ...COMMAND_ROUTES, QUERY_ROUTE].sort(),
    );
    // Commands and queries are answered on the socket: a route response on $default and each
    // command and query route.
    api().resourceCountIs("AWS::ApiGatewayV2::RouteResponse", 2 + COMMAND_ROUTES.length);
  });

  it("integrates each route with its handler's live alias, by name", () => {
    const uris = JSON.stringify(
      Object.values(api().findResources("AWS::ApiGatewayV2::Integration")).map(
        (i) => i.Properties.IntegrationUri,
      ),
    );
    for (const handler of ["connect", "disconnect", "command", "query"]) {
      expect(uris).toContain(`function:ledgerquest-beta-${handler}:live`);
    }
  });

  it("throttles the stage and writes JSON access logs to a log group with a retention", () => {
    api().hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      StageName: "beta",
      AutoDeploy: true,
      DefaultRouteSettings: Match.objectLike({
        ThrottlingRateLimit: defaultSettings("beta").apiThrottle.rateLimit,
        ThrottlingBurstLimit: defaultSettings("beta").apiThrottle.burstLimit,
      }),
      AccessLogSettings: Match.objectLike({
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp("connectionId"),
      }),
    });
  });

  it("creates the Cognito user pool and client", () => {
    api().resourceCountIs("AWS::Cognito::UserPool", 1);
    api().hasResourceProperties("AWS::Cognito::UserPoolClient", { GenerateSecret: false });
  });

  it("serves the dashboard from a private bucket through CloudFront with origin access control", () => {
    api().resourceCountIs("AWS::CloudFront::OriginAccessControl", 1);
    api().hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: "index.html",
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: "redirect-to-https" }),
      }),
    });
    api().resourceCountIs("Custom::CDKBucketDeployment", 1);
    // Two sources: the built page and the config.json that tells it where the API is.
    const [deployment] = Object.values(api().findResources("Custom::CDKBucketDeployment"));
    expect(deployment?.Properties.SourceObjectKeys).toHaveLength(2);
    expect(JSON.stringify(deployment?.Properties.SourceMarkers)).toMatch(/WebSocketApi/);
  });

  it("still synthesizes without a built dashboard, and says so", () => {
    const without = createLedgerQuestApp({
      bundles: stubBundles(),
      context: { [CONTEXT_KEYS.siteAssetPath]: join(tempDir("nosite"), "dist") },
      outdir: tempDir("cdk-out"),
      nag: false,
      pipeline: false,
    });
    Template.fromStack(without.stage.api).resourceCountIs("Custom::CDKBucketDeployment", 0);
    Annotations.fromStack(without.stage.api).hasWarning(
      "*",
      Match.stringLikeRegexp("dashboard is not built"),
    );
  });
});

describe("ComputeStack", () => {
  it("runs every handler on Node 22, arm64, traced, logging to its own log group", () => {
    const functions = Object.values(compute().findResources("AWS::Lambda::Function"));
    expect(functions.length).toBe(HANDLER_NAMES.length);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
        TracingConfig: { Mode: "Active" },
        LoggingConfig: { LogGroup: expect.anything() },
      });
      expect(fn.Properties.Environment.Variables).toMatchObject({
        POWERTOOLS_SERVICE_NAME: "ledgerquest",
        POWERTOOLS_METRICS_NAMESPACE: "LedgerQuest",
      });
    }
    compute().hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "ledgerquest-beta-tick",
      MemorySize: 1024,
      Environment: {
        Variables: Match.objectLike({
          LQ_ENTITY_TABLE: Match.anyValue(),
          LQ_AUDIT_TABLE: Match.anyValue(),
          LQ_EVENT_BUS: Match.anyValue(),
          LQ_ASSETS_BUCKET: Match.anyValue(),
          LQ_WEBSOCKET_ENDPOINT: Match.anyValue(),
          LQ_GAME: "arena@2",
          // The deployed loop keeps real time: ten-second laps paced to the clock (the tick
          // handler's tests prove these settings keep the clock within 2% over a minute).
          LQ_TICKS_PER_BATCH: "600",
          LQ_WAIT_SECONDS: "0",
          LQ_PACE: "realtime",
        }),
      },
      // A lap of ten seconds, and its loading and commit, fit with room to spare.
      Timeout: 60,
    });
    compute().hasResourceProperties("AWS::Lambda::Function", {
      FunctionName: "ledgerquest-beta-authorizer",
      Environment: {
        Variables: Match.objectLike({
          LQ_AUTH_PROVIDER: "cognito",
          LQ_COGNITO_USER_POOL_ID: Match.anyValue(),
          LQ_COGNITO_CLIENT_ID: Match.anyValue(),
        }),
      },
    });
  });

  it("puts each function behind a live alias deployed by CodeDeploy with rollback alarms", () => {
    compute().resourceCountIs("AWS::Lambda::Alias", HANDLER_NAMES.length);
    compute().resourceCountIs("AWS::CodeDeploy::DeploymentGroup", HANDLER_NAMES.length);
    compute().hasResourceProperties("AWS::CodeDeploy::DeploymentGroup", {
      DeploymentConfigName: "CodeDeployDefault.LambdaAllAtOnce",
      AutoRollbackConfiguration: {
        Enabled: true,
        Events: Match.arrayWith(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]),
      },
      AlarmConfiguration: Match.objectLike({ Enabled: true, Alarms: Match.anyValue() }),
    });
    const prod = templates["Prod/LedgerQuest-prod-Compute"] as Template;
    const groups = Object.values(prod.findResources("AWS::CodeDeploy::DeploymentGroup"));
    expect(groups.length).toBe(HANDLER_NAMES.length);
    for (const group of groups) {
      expect(group.Properties.DeploymentConfigName).toBe(
        "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
      );
      expect(group.Properties.AlarmConfiguration.Alarms).toHaveLength(3);
    }
    // Errors (as a rate), throttles and p99 duration, per alias.
    const alarms = Object.values(compute().findResources("AWS::CloudWatch::Alarm"));
    const n = HANDLER_NAMES.length;
    expect(alarms.filter((a) => a.Properties.ExtendedStatistic === "p99")).toHaveLength(n);
    expect(alarms.filter((a) => a.Properties.MetricName === "Throttles")).toHaveLength(n);
    expect(alarms.filter((a) => a.Properties.Metrics !== undefined)).toHaveLength(n);
  });

  it("deploys the one-source game loop, invoking the tick's alias, traced and logged", () => {
    const [machine] = Object.values(compute().findResources("AWS::StepFunctions::StateMachine"));
    const props = machine?.Properties;
    expect(JSON.parse(props.DefinitionString)).toEqual(
      gameLoopDefinition({ tickFunctionArn: TICK_FUNCTION_ARN_SUBSTITUTION }),
    );
    expect(props.DefinitionSubstitutions.TickFunctionArn.Ref).toMatch(/^TickLive/);
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    expect(props.LoggingConfiguration.Level).toBe("ERROR");
    expect(props.StateMachineName).toBe("ledgerquest-beta-game-loop");
  });

  it("synthesizes an ASL definition that passes asl-validator", () => {
    const [machine] = Object.values(compute().findResources("AWS::StepFunctions::StateMachine"));
    const definition: string = machine?.Properties.DefinitionString ?? "";
    const synthesized = definition.replace(
      TICK_FUNCTION_ARN_SUBSTITUTION,
      "arn:aws:lambda:eu-west-1:123456789012:function:ledgerquest-beta-tick:live",
    );
    const file = join(tempDir("asl"), "game-loop.asl.json");
    writeFileSync(file, synthesized);
    const result = aslValidator(JSON.parse(synthesized));
    expect(result.errorsText()).toBe("");
    expect(result.isValid).toBe(true);

    const [exportsMachine] = Object.values(
      core().findResources("AWS::StepFunctions::StateMachine"),
    );
    const exportsResult = aslValidator(
      JSON.parse(definitionText(exportsMachine?.Properties.DefinitionString)),
    );
    expect(exportsResult.errorsText()).toBe("");
    expect(exportsResult.isValid).toBe(true);
  });

  it("creates the event rules from the one-source rules, with their patterns and inputs", () => {
    const rules = compute().findResources("AWS::Events::Rule");
    const byName = new Map(Object.values(rules).map((r) => [r.Properties.Name, r.Properties]));
    for (const rule of EVENT_RULES) {
      if (rule.target.ref === TARGET_REFS.leaderboardProjector) {
        expect(byName.has(rule.name)).toBe(false);
        continue;
      }
      const deployed = byName.get(rule.name);
      expect(deployed?.EventPattern).toEqual(rule.eventPattern);
      expect(deployed?.Description).toBe(rule.description);
      const input = rule.target.input;
      if (input?.kind === "inputTransformer") {
        expect(deployed?.Targets[0].InputTransformer).toEqual({
          InputPathsMap: input.inputPathsMap,
          InputTemplate: input.inputTemplate,
        });
      }
    }
  });

  it("feeds the AuditLog stream's journal records to the verifier's alias, failures to a queue", () => {
    compute().hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      StartingPosition: "TRIM_HORIZON",
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      // The inbox's, the claims' and the loop's records are not invoked for.
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              dynamodb: { Keys: { pk: { S: [{ prefix: "journal#" }] } } },
            }),
          },
        ],
      },
    });
    const [mapping] = Object.values(compute().findResources("AWS::Lambda::EventSourceMapping"));
    const target = JSON.stringify(mapping?.Properties.FunctionName);
    expect(target).toContain("AuditStreamLive");
  });

  it("grants each function what its intent needs beyond the tables (iam.test.ts: the tables)", () => {
    expect(roleActions("AuthorizerRole")).toEqual([]);
    // Queries only read: no write of any kind, anywhere but their own rate limit's tokens.
    expect(roleActions("QueryRole", "s3:")).toEqual(["s3:GetObject", "s3:ListBucket"]);
    expect(roleActions("QueryRole", "events:")).toEqual([]);
    expect(roleActions("QueryRole", "execute-api:")).toEqual([]);
    expect(roleActions("TickRole", "execute-api:")).toEqual(["execute-api:ManageConnections"]);
    expect(roleActions("TickRole", "events:")).toEqual(["events:PutEvents"]);
    expect(roleActions("AuditStreamRole", "events:")).toEqual(["events:PutEvents"]);
    expect(roleActions("CommandRole", "events:")).toEqual([]);
    expect(roleActions("TickRole", "s3:")).toEqual([
      "s3:GetObject",
      "s3:ListBucket",
      "s3:PutObject",
    ]);

    const statements = statementsOf(compute(), "compute");
    const push = statements.find((s) =>
      actionsOf(s.statement).includes("execute-api:ManageConnections"),
    );
    expect(JSON.stringify(push?.statement.Resource)).toContain("/beta/POST/@connections/*");
  });
});

describe("ObservabilityStack", () => {
  it("charts the game's metrics on a dashboard", () => {
    const [dashboard] = Object.values(observability().findResources("AWS::CloudWatch::Dashboard"));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const metric of [
      "TickDurationMs",
      "TicksPerBatch",
      "CommandsApplied",
      "LedgerEntries",
      "CommitConflicts",
      "ChainVerificationFailures",
    ]) {
      expect(body).toContain(metric);
    }
  });

  it("alarms to the operators' topic, and watches costs", () => {
    observability().hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "ChainVerificationFailures",
      Namespace: "LedgerQuest",
      Threshold: 1,
      AlarmActions: [Match.anyValue()],
    });
    observability().hasResourceProperties("AWS::Budgets::Budget", {
      Budget: Match.objectLike({
        BudgetLimit: { Amount: defaultSettings("beta").monthlyBudgetUsd, Unit: "USD" },
        TimeUnit: "MONTHLY",
      }),
    });
    observability().resourceCountIs("AWS::CE::AnomalyMonitor", 1);
    observability().resourceCountIs("AWS::CE::AnomalySubscription", 1);
    core().hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
  });
});

describe("PipelineStack", () => {
  it("synthesizes with npm ci, npm test and cdk synth, then deploys beta, approval, prod", () => {
    const pipeline = templates["LedgerQuest-Pipeline"] as Template;
    const projects = JSON.stringify(pipeline.findResources("AWS::CodeBuild::Project"));
    expect(projects).toContain("npm ci");
    expect(projects).toContain("npm test");
    expect(projects).toContain("npm run build --workspace @ledgerquest/dashboard");
    expect(projects).toContain("npx cdk synth");
    const [cp] = Object.values(pipeline.findResources("AWS::CodePipeline::Pipeline"));
    const stages: { Name: string; Actions: { Name: string }[] }[] = cp?.Properties.Stages ?? [];
    expect(stages.map((s) => s.Name)).toEqual([
      "Source",
      "Build",
      "UpdatePipeline",
      "Assets",
      "Beta",
      "Prod",
    ]);
    const prod = stages.find((s) => s.Name === "Prod");
    expect(prod?.Actions.map((a) => a.Name)).toContain("PromoteToProd");
  });
});

describe("every stack", () => {
  it("grants nothing on Resource '*' but the actions AWS documents as unscoped", () => {
    const offenders: string[] = [];
    let checked = 0;
    for (const [name, template] of Object.entries(templates)) {
      for (const found of statementsOf(template, name)) {
        checked++;
        if (found.statement.Effect !== "Allow" || !resourcesOf(found.statement).includes("*")) {
          continue;
        }
        for (const action of actionsOf(found.statement)) {
          const allowed =
            UNSCOPED_ALLOWLIST.has(action) ||
            (name === "LedgerQuest-Pipeline" && PIPELINE_ONLY_ALLOWLIST.has(action));
          if (!allowed) offenders.push(`${name} ${found.policy}: ${action} on *`);
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
    expect(offenders).toEqual([]);
  });

  it("sets a retention on every log group, and no Lambda logs to a group without one", () => {
    for (const [name, template] of Object.entries(templates)) {
      const groups = template.findResources("AWS::Logs::LogGroup");
      for (const [id, group] of Object.entries(groups)) {
        expect(group.Properties?.RetentionInDays, `${name} ${id}`).toBeGreaterThan(0);
      }
      expect(template.findResources("Custom::LogRetention"), name).toEqual({});
      for (const [id, fn] of Object.entries(template.findResources("AWS::Lambda::Function"))) {
        expect(fn.Properties.LoggingConfig?.LogGroup, `${name} ${id}`).toBeDefined();
      }
    }
  });
});
