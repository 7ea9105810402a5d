/**
 * The CDK app: `cdk synth` / `cdk deploy` run this (cdk.json: `node dist/app.js`), for the project
 * whose configuration `LQ_PROJECT_CONFIG` names (`ledgerquest synth` and `deploy` set it).
 *
 * It bundles the Lambda handlers first (esbuild, a few seconds, no Docker, no network), then
 * builds one stage's stacks (`-c lq:stage=beta|prod`, default beta) and the pipeline stack, and
 * checks everything with cdk-nag's AwsSolutions pack: a finding fails the synth unless it is
 * acknowledged, with its reason, next to the construct it is about.
 *
 * Stacks are environment-agnostic unless `lq:account` and `lq:region` are given: synth needs no
 * credentials, and `cdk deploy --profile P` deploys into the profile's account and region.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { App, type AppProps, type Environment, Validations } from "aws-cdk-lib";
import { CURRENTLY_RECOMMENDED_FLAGS } from "aws-cdk-lib/cx-api";
import { bundleDirFor, readGameName } from "./bundle.js";
import { bundleLambdaHandlers, type HandlerBundles } from "./bundles.js";
import {
  CONTEXT_KEYS,
  GITHUB_DEPLOY_STACK_ID,
  PIPELINE_STACK_ID,
  STAGE_NAMES,
  type StageName,
} from "./contract.js";
import { InfraConfigError } from "./errors.js";
import { LedgerQuestNagChecks } from "./nag.js";
import { defaultSettings, settingsFromContext, stageFromContext } from "./settings.js";
import { GitHubDeployStack } from "./stacks/github-deploy.js";
import { PipelineStack } from "./stacks/pipeline.js";
import { addStageStacks, type StageStacks } from "./stage.js";

/** The repository the pipeline builds and GitHub Actions deploy from, until `lq:repository`. */
export const DEFAULT_REPOSITORY = "ledgerquest/ledgerquest-engine";

/** Stands in for the connection's ARN until `lq:connectionArn` is given (synth only). */
export const PLACEHOLDER_CONNECTION_ARN =
  "arn:aws:codeconnections:us-east-1:000000000000:connection/00000000-0000-0000-0000-000000000000";

/**
 * Feature flags set against the recommendation, each for a reason. Cross-stack references stay
 * CloudFormation exports (`Fn::ImportValue`): a producer stack cannot then be deleted, or an
 * output changed, while a consumer uses it, which is what tables and buckets need.
 */
export const PINNED_FLAGS = {
  "@aws-cdk/core:defaultCrossStackReferences": "strong",
} as const;

export interface LedgerQuestAppProps {
  readonly bundles: HandlerBundles;
  /** The rules' name of the game the bundles run (`lq:game`, `LQ_GAME`). Default: unnamed. */
  readonly game?: string;
  /** CDK context, over the recommended feature flags (tests; the CLI passes its own). */
  readonly context?: Readonly<Record<string, unknown>>;
  readonly outdir?: string;
  /** Run cdk-nag's AwsSolutions checks on synth. @default true */
  readonly nag?: boolean;
  /** Add the pipeline stack. @default true */
  readonly pipeline?: boolean;
  /** Add the GitHub Actions deploy roles' stack. @default true */
  readonly githubDeploy?: boolean;
}

export interface LedgerQuestApp {
  readonly app: App;
  readonly stage: StageStacks;
  readonly pipeline?: PipelineStack;
  readonly githubDeploy?: GitHubDeployStack;
}

function environmentFrom(app: App): Environment | undefined {
  const account = app.node.tryGetContext(CONTEXT_KEYS.account) as string | undefined;
  const region = app.node.tryGetContext(CONTEXT_KEYS.region) as string | undefined;
  if (account === undefined && region === undefined) return undefined;
  if (account === undefined || !/^\d{12}$/.test(account)) {
    throw new InfraConfigError(CONTEXT_KEYS.account, "give a 12-digit account id with lq:region");
  }
  if (region === undefined || !/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region)) {
    throw new InfraConfigError(
      CONTEXT_KEYS.region,
      "give a region such as eu-west-1 with lq:account",
    );
  }
  return { account, region };
}

/** The context every app of this package starts from: the feature flags, then `context`. */
export function appContext(
  context: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  return { ...CURRENTLY_RECOMMENDED_FLAGS, ...PINNED_FLAGS, ...context };
}

/** The app with its stacks, ready to synthesize. */
export function createLedgerQuestApp(props: LedgerQuestAppProps): LedgerQuestApp {
  const appProps: AppProps = {
    context: appContext({
      ...(props.game === undefined ? {} : { [CONTEXT_KEYS.game]: props.game }),
      ...props.context,
    }),
    ...(props.outdir === undefined ? {} : { outdir: props.outdir }),
  };
  const app = new App(appProps);
  const env = environmentFrom(app);
  const stageName = stageFromContext(app.node);
  const stage = addStageStacks(app, {
    settings: settingsFromContext(app.node, stageName),
    bundles: props.bundles,
    ...(env === undefined ? {} : { env }),
  });

  let pipeline: PipelineStack | undefined;
  if (props.pipeline ?? true) {
    const connectionArn =
      (app.node.tryGetContext(CONTEXT_KEYS.connectionArn) as string | undefined) ??
      PLACEHOLDER_CONNECTION_ARN;
    pipeline = new PipelineStack(app, PIPELINE_STACK_ID, {
      stackName: PIPELINE_STACK_ID,
      description: "LedgerQuest: the delivery pipeline (beta, then prod)",
      ...(env === undefined ? {} : { env }),
      repository:
        (app.node.tryGetContext(CONTEXT_KEYS.repository) as string | undefined) ??
        DEFAULT_REPOSITORY,
      branch: (app.node.tryGetContext(CONTEXT_KEYS.branch) as string | undefined) ?? "main",
      connectionArn,
      beta: settingsFromContext(app.node, "beta"),
      prod: { ...settingsFromContext(app.node, "prod"), ...prodOnly(app) },
      bundles: props.bundles,
      logRetentionDays: defaultSettings("prod").logRetentionDays,
    });
    if (connectionArn === PLACEHOLDER_CONNECTION_ARN) {
      pipeline.node.addMetadata(
        "ledgerquest:placeholder",
        "set lq:connectionArn before deploying the pipeline",
      );
    }
  }

  const githubDeploy = (props.githubDeploy ?? true) ? addGitHubDeploy(app, env) : undefined;

  if (props.nag ?? true) {
    Validations.of(app).addPlugins(new LedgerQuestNagChecks(app));
  }
  return {
    app,
    stage,
    ...(pipeline === undefined ? {} : { pipeline }),
    ...(githubDeploy === undefined ? {} : { githubDeploy }),
  };
}

/** The stages `lq:githubStages` names (comma-separated), each once. Default: every stage. */
function githubStagesFrom(app: App): StageName[] {
  const raw = app.node.tryGetContext(CONTEXT_KEYS.githubStages) as string | undefined;
  if (raw === undefined || raw === "") return [...STAGE_NAMES];
  const stages = [...new Set(raw.split(",").map((s) => s.trim()))];
  for (const stage of stages) {
    if (!(STAGE_NAMES as readonly string[]).includes(stage)) {
      throw new InfraConfigError(
        CONTEXT_KEYS.githubStages,
        `expected stages from ${STAGE_NAMES.join(", ")}, comma-separated, got ${raw}`,
      );
    }
  }
  return stages as StageName[];
}

/** The GitHub Actions deploy roles of this account: the repository is the pipeline's. */
function addGitHubDeploy(app: App, env: Environment | undefined): GitHubDeployStack {
  const providerArn = app.node.tryGetContext(CONTEXT_KEYS.githubOidcProviderArn) as
    | string
    | undefined;
  return new GitHubDeployStack(app, GITHUB_DEPLOY_STACK_ID, {
    stackName: GITHUB_DEPLOY_STACK_ID,
    description: "LedgerQuest: the roles GitHub Actions deploys with (OIDC, no stored secret)",
    ...(env === undefined ? {} : { env }),
    repository:
      (app.node.tryGetContext(CONTEXT_KEYS.repository) as string | undefined) ?? DEFAULT_REPOSITORY,
    stages: githubStagesFrom(app),
    ...(providerArn === undefined || providerArn === "" ? {} : { oidcProviderArn: providerArn }),
  });
}

/** Settings the pipeline's prod stage takes from context beyond the shared ones (none yet). */
function prodOnly(_app: App): Record<string, never> {
  return {};
}

/** The variable `ledgerquest deploy` and `ledgerquest synth` name the project's configuration in. */
export const PROJECT_CONFIG_VARIABLE = "LQ_PROJECT_CONFIG";

async function main(): Promise<void> {
  const configFile = process.env[PROJECT_CONFIG_VARIABLE];
  if (configFile === undefined || configFile === "") {
    throw new InfraConfigError(
      PROJECT_CONFIG_VARIABLE,
      "name the project's ledgerquest.config.ts: run `ledgerquest deploy` or `ledgerquest synth` in the project, which set it",
    );
  }
  const bundleDir = bundleDirFor(resolve(configFile));
  mkdirSync(bundleDir, { recursive: true });
  const bundles = await bundleLambdaHandlers(bundleDir, configFile);
  const { app } = createLedgerQuestApp({ bundles, game: await readGameName(configFile) });
  app.synth();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
