/**
 * A stage's stacks, wired together: Core, then Api, then Compute, then Observability. The app
 * adds them straight to itself for `cdk deploy` (with `-c lq:stage=beta`); the pipeline adds them
 * inside a CDK `Stage` per environment. Both go through `addStageStacks`, so they are the same.
 */
import { type Environment, Stage, type StageProps, Tags } from "aws-cdk-lib";
import type { Construct } from "constructs";
import type { HandlerBundles } from "./bundles.js";
import { type StackPart, stackId } from "./contract.js";
import type { StageSettings } from "./settings.js";
import { ApiStack } from "./stacks/api.js";
import { ComputeStack } from "./stacks/compute.js";
import { GameCoreStack } from "./stacks/core.js";
import { COST_TAG, ObservabilityStack, STAGE_TAG_KEY } from "./stacks/observability.js";

export interface StageStacks {
  readonly core: GameCoreStack;
  readonly api: ApiStack;
  readonly compute: ComputeStack;
  readonly observability: ObservabilityStack;
}

export interface StageStacksProps {
  readonly settings: StageSettings;
  readonly bundles: HandlerBundles;
  /** @default environment-agnostic: the account and region the deploying credentials name */
  readonly env?: Environment;
  /** See `ApiStackProps.manageApiGatewayAccountRole`. @default true */
  readonly manageApiGatewayAccountRole?: boolean;
}

/** Adds a stage's four stacks to `scope` (an App or a Stage). */
export function addStageStacks(scope: Construct, props: StageStacksProps): StageStacks {
  const { settings } = props;
  const common = (part: StackPart) => ({
    stackName: stackId(settings.stage, part),
    description: `LedgerQuest ${settings.stage}: ${DESCRIPTIONS[part]}`,
    ...(props.env === undefined ? {} : { env: props.env }),
    terminationProtection: settings.stage === "prod",
  });
  const id = (part: StackPart) => stackId(settings.stage, part);
  const core = new GameCoreStack(scope, id("Core"), { ...common("Core"), settings });
  const api = new ApiStack(scope, id("Api"), {
    ...common("Api"),
    settings,
    ...(props.manageApiGatewayAccountRole === undefined
      ? {}
      : { manageApiGatewayAccountRole: props.manageApiGatewayAccountRole }),
  });
  const compute = new ComputeStack(scope, id("Compute"), {
    ...common("Compute"),
    settings,
    core,
    api,
    bundles: props.bundles,
  });
  const observability = new ObservabilityStack(scope, id("Observability"), {
    ...common("Observability"),
    settings,
    core,
    api,
    compute,
  });
  for (const stack of [core, api, compute, observability]) {
    Tags.of(stack).add(COST_TAG.key, COST_TAG.value);
    Tags.of(stack).add(STAGE_TAG_KEY, settings.stage);
  }
  return { core, api, compute, observability };
}

const DESCRIPTIONS: Readonly<Record<StackPart, string>> = {
  Core: "event bus, tables, buckets, backups",
  Api: "WebSocket API, authorizer, user pool, dashboard site",
  Compute: "Lambda handlers, game loop, event rules, stream processing",
  Observability: "dashboard, alarms, budgets",
};

export interface LedgerQuestStageProps extends StageProps {
  readonly settings: StageSettings;
  readonly bundles: HandlerBundles;
}

/** A stage as a CDK Stage, for CDK Pipelines. */
export class LedgerQuestStage extends Stage {
  readonly stacks: StageStacks;

  constructor(scope: Construct, id: string, props: LedgerQuestStageProps) {
    super(scope, id, props);
    this.stacks = addStageStacks(this, {
      settings: props.settings,
      bundles: props.bundles,
      // Stages that share the pipeline's account share its account-wide API Gateway logging
      // role, which the beta stage manages; a stage in an account of its own manages its own.
      manageApiGatewayAccountRole: props.settings.stage === "beta" || props.env !== undefined,
    });
  }
}
