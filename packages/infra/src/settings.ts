/**
 * What differs between the stages (beta and prod), with the defaults each starts from, and how
 * CDK context (`-c lq:budgetUsd=300`, or cdk.json) overrides them. Every value is checked here, so a
 * typo fails the synth with the key's name instead of a failed CloudFormation deployment.
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Node } from "constructs";
import { CONTEXT_KEYS, STAGE_NAMES, type StageName } from "./contract.js";
import { InfraConfigError } from "./errors.js";

export { CONTEXT_KEYS, STAGE_NAMES, type StageName };

/** How CodeDeploy moves a function's live alias to a new version. */
export type TrafficShifting = "all-at-once" | "linear-10-percent-every-2-minutes";

/** The packaged dashboard, built by `npm run build --workspace @ledgerquest/dashboard`. */
export const DEFAULT_SITE_ASSET_PATH = resolve(
  fileURLToPath(new URL(".", import.meta.url)),
  join("..", "..", "dashboard", "dist"),
);

export interface StageSettings {
  readonly stage: StageName;
  /** Default: all at once in beta, 10% more every 2 minutes in prod. */
  readonly trafficShifting: TrafficShifting;
  /** Retention of every log group, in days. Default 14 in beta, 90 in prod. */
  readonly logRetentionDays: number;
  /** The AWS Budgets monthly limit, in US dollars. Default 50 in beta, 500 in prod. */
  readonly monthlyBudgetUsd: number;
  /** A cost anomaly of at least this impact, in US dollars, notifies. Default 10 / 50. */
  readonly anomalyThresholdUsd: number;
  /** Where alarms, budget and anomaly notifications go by email. Default: the SNS topic only. */
  readonly alarmEmail?: string;
  /**
   * A bucket in another region to replicate the assets bucket to (cross-region replication).
   * Default: none. The bucket must exist, be versioned, and trust this account.
   */
  readonly replicaBucketArn?: string;
  /** Create the VPC the deployment guide keeps for future GPU workers. Default false. */
  readonly vpc: boolean;
  /** Use this Cognito user pool (and app client) instead of creating one. */
  readonly existingUserPool?: { readonly userPoolId: string; readonly clientId: string };
  /** The dashboard's built files. Default `packages/dashboard/dist`. */
  readonly siteAssetPath: string;
  /**
   * The rules' name (`name@version`) of the game the handlers were bundled for (`LQ_GAME`): the
   * app sets it from the project's configuration. Default: unnamed (the handlers check nothing).
   */
  readonly game?: string;
  /** Steady-state requests per second across the WebSocket stage, and the burst above it. */
  readonly apiThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Refuse to delete the tables through CloudFormation. Default false in beta, true in prod. */
  readonly deletionProtection: boolean;
  /** When the daily table export runs (UTC hour). Default 3. */
  readonly exportHourUtc: number;
  /** How long table exports are kept, in days. Default 35 in beta, 365 in prod. */
  readonly exportRetentionDays: number;
  /**
   * Concurrent executions reserved for the tick function, and so its ceiling: game loops (one
   * tick at a time per world) can then never take the account's whole concurrency from
   * `$connect`, commands and queries. Undefined reserves nothing. Default none in beta, 100 in
   * prod (`TICK_RESERVED_CONCURRENCY_PROD`).
   *
   * AWS keeps at least 100 of an account's concurrency unreserved, so reserving needs an account
   * limit of at least the reservation + 100: new accounts start at 10, where any reservation fails
   * the deployment (raise the limit in Service Quotas, or set `lq:tickReservedConcurrency=none`).
   * Set it above the number of worlds that run at once: a lap over the cap is throttled.
   */
  readonly tickReservedConcurrency?: number;
  /**
   * Logs to Datadog: the ARN of a Datadog Forwarder function in the stacks' account and region.
   * Every function's log group and the game loop's get a subscription filter to it. Default: none
   * (nothing leaves CloudWatch).
   */
  readonly datadogForwarderArn?: string;
}

/** The tick's reserved concurrency in prod: 100 worlds' loops at once (see `StageSettings`). */
export const TICK_RESERVED_CONCURRENCY_PROD = 100;

/** The defaults of a stage. */
export function defaultSettings(stage: StageName): StageSettings {
  const prod = stage === "prod";
  return {
    stage,
    trafficShifting: prod ? "linear-10-percent-every-2-minutes" : "all-at-once",
    logRetentionDays: prod ? 90 : 14,
    monthlyBudgetUsd: prod ? 500 : 50,
    anomalyThresholdUsd: prod ? 50 : 10,
    vpc: false,
    siteAssetPath: DEFAULT_SITE_ASSET_PATH,
    apiThrottle: prod ? { rateLimit: 2000, burstLimit: 5000 } : { rateLimit: 200, burstLimit: 500 },
    deletionProtection: prod,
    exportHourUtc: 3,
    exportRetentionDays: prod ? 365 : 35,
    ...(prod ? { tickReservedConcurrency: TICK_RESERVED_CONCURRENCY_PROD } : {}),
  };
}

/** CloudWatch Logs' allowed retentions, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

function text(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
    throw new InfraConfigError(key, `expected a string, got ${JSON.stringify(value)}`);
  }
  return String(value);
}

function wholeNumber(node: Node, key: string, min: number, max: number): number | undefined {
  const raw = text(node, key);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InfraConfigError(key, `expected a whole number from ${min} to ${max}, got ${raw}`);
  }
  return n;
}

function flag(node: Node, key: string): boolean | undefined {
  const raw = text(node, key);
  if (raw === undefined) return undefined;
  if (raw === "true" || raw === "false") return raw === "true";
  throw new InfraConfigError(key, `expected true or false, got ${raw}`);
}

/** The stage named by `lq:stage` (default beta). */
export function stageFromContext(node: Node): StageName {
  const stage = text(node, CONTEXT_KEYS.stage) ?? "beta";
  if (!(STAGE_NAMES as readonly string[]).includes(stage)) {
    throw new InfraConfigError(
      CONTEXT_KEYS.stage,
      `expected one of ${STAGE_NAMES.join(", ")}, got ${stage}`,
    );
  }
  return stage as StageName;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const S3_BUCKET_ARN = /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const USER_POOL_ID = /^[a-z]{2}(?:-gov)?-[a-z]+-\d_[A-Za-z0-9]+$/;
const LAMBDA_FUNCTION_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z]{2}(?:-gov)?-[a-z]+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9_$-]{1,128})?$/;

/** The settings that only switch something on, each checked. */
function optionalSettings(node: Node): Pick<StageSettings, "datadogForwarderArn"> {
  const datadogForwarderArn = text(node, CONTEXT_KEYS.datadogForwarderArn);
  if (datadogForwarderArn !== undefined && !LAMBDA_FUNCTION_ARN.test(datadogForwarderArn)) {
    throw new InfraConfigError(
      CONTEXT_KEYS.datadogForwarderArn,
      `expected the Datadog Forwarder's function ARN (arn:aws:lambda:<region>:<account>:function:<name>), got ${datadogForwarderArn}`,
    );
  }
  return datadogForwarderArn === undefined ? {} : { datadogForwarderArn };
}

/** `defaultSettings(stage)` with the overrides the context gives. */
export function settingsFromContext(node: Node, stage: StageName): StageSettings {
  const base = defaultSettings(stage);
  const alarmEmail = text(node, CONTEXT_KEYS.alarmEmail);
  if (alarmEmail !== undefined && !EMAIL.test(alarmEmail)) {
    throw new InfraConfigError(CONTEXT_KEYS.alarmEmail, `not an email address: ${alarmEmail}`);
  }
  const replicaBucketArn = text(node, CONTEXT_KEYS.replicaBucketArn);
  if (replicaBucketArn !== undefined && !S3_BUCKET_ARN.test(replicaBucketArn)) {
    throw new InfraConfigError(
      CONTEXT_KEYS.replicaBucketArn,
      `expected a bucket ARN (arn:aws:s3:::name), got ${replicaBucketArn}`,
    );
  }
  const userPoolId = text(node, CONTEXT_KEYS.userPoolId);
  const clientId = text(node, CONTEXT_KEYS.userPoolClientId);
  if ((userPoolId === undefined) !== (clientId === undefined)) {
    throw new InfraConfigError(
      userPoolId === undefined ? CONTEXT_KEYS.userPoolId : CONTEXT_KEYS.userPoolClientId,
      `give both ${CONTEXT_KEYS.userPoolId} and ${CONTEXT_KEYS.userPoolClientId} to use an existing user pool, or neither to create one`,
    );
  }
  if (userPoolId !== undefined && !USER_POOL_ID.test(userPoolId)) {
    throw new InfraConfigError(
      CONTEXT_KEYS.userPoolId,
      `expected a user pool id such as eu-west-1_AbC123xyz, got ${userPoolId}`,
    );
  }
  const retention = wholeNumber(node, CONTEXT_KEYS.logRetentionDays, 1, 3653);
  if (retention !== undefined && !(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) {
    throw new InfraConfigError(
      CONTEXT_KEYS.logRetentionDays,
      `CloudWatch Logs keeps logs for one of ${LOG_RETENTION_DAYS.join(", ")} days, not ${retention}`,
    );
  }
  const vpc = flag(node, CONTEXT_KEYS.vpc);
  const siteAssetPath = text(node, CONTEXT_KEYS.siteAssetPath);
  const { tickReservedConcurrency: baseReserved, ...rest } = base;
  const reserved =
    text(node, CONTEXT_KEYS.tickReservedConcurrency) === "none"
      ? undefined
      : (wholeNumber(node, CONTEXT_KEYS.tickReservedConcurrency, 1, 10_000) ?? baseReserved);
  return {
    ...rest,
    ...optionalSettings(node),
    ...(reserved === undefined ? {} : { tickReservedConcurrency: reserved }),
    monthlyBudgetUsd:
      wholeNumber(node, CONTEXT_KEYS.budgetUsd, 1, 1_000_000) ?? base.monthlyBudgetUsd,
    anomalyThresholdUsd:
      wholeNumber(node, CONTEXT_KEYS.anomalyThresholdUsd, 1, 1_000_000) ?? base.anomalyThresholdUsd,
    logRetentionDays: retention ?? base.logRetentionDays,
    ...(alarmEmail === undefined ? {} : { alarmEmail }),
    ...(replicaBucketArn === undefined ? {} : { replicaBucketArn }),
    ...(vpc === undefined ? {} : { vpc }),
    ...(userPoolId === undefined || clientId === undefined
      ? {}
      : { existingUserPool: { userPoolId, clientId } }),
    ...(siteAssetPath === undefined ? {} : { siteAssetPath: resolve(siteAssetPath) }),
    ...((text(node, CONTEXT_KEYS.game) ?? base.game) === undefined
      ? {}
      : { game: text(node, CONTEXT_KEYS.game) ?? base.game }),
  };
}
