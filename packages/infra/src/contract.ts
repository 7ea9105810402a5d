/**
 * What `ledgerquest deploy` needs to know about this app without loading the CDK: the stages, the
 * context keys, the stacks' ids in deployment order, and the outputs it reads back after a
 * deployment. Plain data only (no aws-cdk-lib import), so the CLI can load it in milliseconds.
 */

export const STAGE_NAMES = ["beta", "prod"] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** The CDK context keys this app reads (all optional; `-c lq:budgetUsd=300` or cdk.json). */
export const CONTEXT_KEYS = {
  stage: "lq:stage",
  account: "lq:account",
  region: "lq:region",
  budgetUsd: "lq:budgetUsd",
  anomalyThresholdUsd: "lq:anomalyThresholdUsd",
  alarmEmail: "lq:alarmEmail",
  replicaBucketArn: "lq:replicaBucketArn",
  vpc: "lq:vpc",
  userPoolId: "lq:userPoolId",
  userPoolClientId: "lq:userPoolClientId",
  siteAssetPath: "lq:siteAssetPath",
  game: "lq:game",
  logRetentionDays: "lq:logRetentionDays",
  tickReservedConcurrency: "lq:tickReservedConcurrency",
  datadogForwarderArn: "lq:datadogForwarderArn",
  githubStages: "lq:githubStages",
  githubOidcProviderArn: "lq:githubOidcProviderArn",
  connectionArn: "lq:connectionArn",
  repository: "lq:repository",
  branch: "lq:branch",
} as const;

/** A stage's stacks, in the order they deploy (each needs the ones before it). */
export const STACK_PARTS = ["Core", "Api", "Compute", "Observability"] as const;
export type StackPart = (typeof STACK_PARTS)[number];

/** A stack's construct id and CloudFormation name: `LedgerQuest-beta-Core`. */
export function stackId(stage: StageName, part: StackPart): string {
  return `LedgerQuest-${stage}-${part}`;
}

/** The pipeline stack's id (deployed once, by hand; it deploys the stages after). */
export const PIPELINE_STACK_ID = "LedgerQuest-Pipeline";

/** The GitHub deploy roles' stack id (deployed once per account, by hand). */
export const GITHUB_DEPLOY_STACK_ID = "LedgerQuest-GitHubDeploy";

/** The CloudFormation outputs the stacks declare, by the stack part that declares them. */
export const OUTPUTS = {
  Core: {
    entityTable: "EntityTableName",
    auditLog: "AuditLogTableName",
    eventBus: "EventBusName",
    assetsBucket: "AssetsBucketName",
    backupsBucket: "BackupsBucketName",
  },
  Api: {
    websocketUrl: "WebSocketUrl",
    connectionsUrl: "ConnectionsUrl",
    userPoolId: "UserPoolId",
    userPoolClientId: "UserPoolClientId",
    siteUrl: "SiteUrl",
  },
  Compute: {
    game: "GameName",
    gameLoopArn: "GameLoopStateMachineArn",
  },
  Observability: {
    dashboardUrl: "DashboardUrl",
  },
} as const satisfies Readonly<Record<StackPart, Readonly<Record<string, string>>>>;

/** The name of the stack CDK's bootstrap deploys into every environment it deploys to. */
export const BOOTSTRAP_STACK_NAME = "CDKToolkit";
