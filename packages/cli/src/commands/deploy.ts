/**
 * `ledgerquest deploy`: the deployment guide's bootstrap.py, in TypeScript. One command from a
 * fresh clone to a running game:
 *
 *   1. check the tools and credentials (the AWS CDK CLI; a profile that resolves, or without
 *      `--profile` the SDK's default credential chain: environment variables, SSO, a web
 *      identity such as GitHub Actions' OIDC role, an instance role);
 *   2. `cdk bootstrap`, only when the environment has no CDKToolkit stack yet;
 *   3. `cdk deploy` of the stage's stacks (Core, Api, Compute, Observability), their outputs
 *      written to a file; `--require-approval never` only with `--yes`;
 *   4. with `--seed`, the sample world, created by `seedWorlds`, the code `ledgerquest seed` runs,
 *      against the tables the deployment's outputs name.
 *
 * The steps are data (`planDeploy`): `--dry-run` prints the plan and runs nothing, and a real run
 * executes the same plan. Everything that touches the machine or AWS comes through
 * `DeployEnvironment`, which tests replace (a fake `cdk` on PATH, DynamoDB Local for the seed).
 */
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BOOTSTRAP_STACK_NAME,
  CONTEXT_KEYS,
  OUTPUTS,
  STACK_PARTS,
  STAGE_NAMES,
  type StageName,
  stackId,
} from "@ledgerquest/infra/contract";
import type { RuntimeDeps } from "@ledgerquest/runtime";
import { type Command, InvalidArgumentError, Option } from "commander";
import { describeSeedResult, type SeedWorldSpec, seedWorlds } from "./seed.js";

// ─── errors ──────────────────────────────────────────────────────────────────────────────────

// Alike: cli/src/project.ts's errors and every package's (engine/src/errors.ts, runtime's,
// testing/src/errors.ts: engine's says why they are one small class per failure, not shared).
/** A deployment that could not go on; the message says what to do. */
export class DeployError extends Error {
  override readonly name: string = "DeployError";
}

/** A tool the deployment needs is not installed. */
export class MissingToolError extends DeployError {
  override readonly name = "MissingToolError";
}

/** The profile gives no usable credentials. */
export class MissingCredentialsError extends DeployError {
  override readonly name = "MissingCredentialsError";
}

/** A step (a `cdk` run, the seeding) failed. */
export class DeployStepError extends DeployError {
  override readonly name = "DeployStepError";
}

// ─── options and plan ────────────────────────────────────────────────────────────────────────

export interface DeployOptions {
  /** Default: none, the SDK's default credential chain (a CI runner's assumed role). */
  readonly profile?: string;
  /** Default: the profile's region (`~/.aws/config`), or AWS_REGION, or AWS_DEFAULT_REGION. */
  readonly region?: string;
  readonly stage: StageName;
  /** Seed the sample world after deploying. */
  readonly seed: boolean;
  /** Print the steps, run none. */
  readonly dryRun: boolean;
  /** Deploy without CDK asking to approve security-sensitive changes. */
  readonly yes: boolean;
  /** The worlds `--seed` creates: the project's (`ledgerquest.config.ts`), as `ledgerquest seed`. */
  readonly worlds?: readonly SeedWorldSpec[];
  /** CDK context for the app's settings (`lq:budgetUsd` → `300`), from `--context`. */
  readonly context?: Readonly<Record<string, string>>;
}

/** The settings `--context` may give: every `lq:` key but the stage, which is `--stage`. */
const SETTABLE_CONTEXT_KEYS: readonly string[] = Object.values(CONTEXT_KEYS).filter(
  (key) => key !== CONTEXT_KEYS.stage,
);

/**
 * Parses one `--context key=value` into `previous` (commander's collector): the key must be one of
 * the app's settings (docs/deploy.md, "Settings"), so that a typo fails before any deployment.
 */
export function parseContextOption(
  raw: string,
  previous: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const at = raw.indexOf("=");
  const key = at < 0 ? raw : raw.slice(0, at);
  if (at <= 0 || at === raw.length - 1) {
    throw new InvalidArgumentError(`expected key=value, e.g. lq:budgetUsd=300, got ${raw}`);
  }
  if (key === CONTEXT_KEYS.stage) {
    throw new InvalidArgumentError(`give the stage with --stage, not --context ${key}`);
  }
  if (!SETTABLE_CONTEXT_KEYS.includes(key)) {
    throw new InvalidArgumentError(
      `${key} is not one of the app's settings: ${SETTABLE_CONTEXT_KEYS.join(", ")} (docs/deploy.md, "Settings")`,
    );
  }
  return { ...previous, [key]: raw.slice(at + 1) };
}

/** `--context key=value` arguments of a `cdk` run. */
function contextArgs(context: Readonly<Record<string, string>> = {}): string[] {
  return Object.entries(context).flatMap(([key, value]) => ["--context", `${key}=${value}`]);
}

export type DeployStep =
  | {
      readonly kind: "cdk";
      readonly title: string;
      readonly args: readonly string[];
      /** Run only when the environment has no bootstrap stack. */
      readonly onlyIfNotBootstrapped?: boolean;
    }
  /** Build the dashboard where the ApiStack takes the site from (`lq:siteAssetPath`'s default). */
  | { readonly kind: "site"; readonly title: string }
  | { readonly kind: "seed"; readonly title: string; readonly worlds: readonly SeedWorldSpec[] };

export interface DeployPlan {
  readonly region: string;
  readonly stacks: readonly string[];
  readonly outputsFile: string;
  readonly steps: readonly DeployStep[];
}

/** The steps of a deployment, in order. `outputsFile` is where `cdk deploy` writes outputs. */
export function planDeploy(
  options: DeployOptions,
  region: string,
  outputsFile: string,
): DeployPlan {
  const common = [
    ...(options.profile === undefined ? [] : ["--profile", options.profile]),
    "--region",
    region,
    "--context",
    `${CONTEXT_KEYS.stage}=${options.stage}`,
    ...contextArgs(options.context),
  ];
  const stacks = STACK_PARTS.map((part) => stackId(options.stage, part));
  const steps: DeployStep[] = [
    { kind: "site", title: "the dashboard's page (the site the ApiStack deploys)" },
    {
      kind: "cdk",
      title: `bootstrap the CDK in ${region} (only if ${BOOTSTRAP_STACK_NAME} is missing)`,
      args: ["bootstrap", ...common],
      onlyIfNotBootstrapped: true,
    },
    {
      kind: "cdk",
      title: `deploy ${stacks.join(", ")}`,
      args: [
        "deploy",
        ...stacks,
        ...common,
        "--outputs-file",
        outputsFile,
        ...(options.yes ? ["--require-approval", "never"] : []),
      ],
    },
  ];
  if (options.seed) {
    const worlds = options.worlds ?? [{ worldId: "demo", players: 4 }];
    steps.push({
      kind: "seed",
      title: `seed ${worlds.map((w) => `world "${w.worldId}"`).join(", ")}`,
      worlds,
    });
  }
  return { region, stacks, outputsFile, steps };
}

// ─── the environment ─────────────────────────────────────────────────────────────────────────

/** Where a command prints. */
export interface DeployIO {
  readonly out: { write(text: string): unknown };
  readonly err: { write(text: string): unknown };
  /** A terminal to draw the progress bar on. */
  readonly terminal?: NodeJS.WriteStream;
}

export interface DeployEnvironment {
  readonly io: DeployIO;
  /** The process environment (PATH, AWS_REGION); `process.env` by default. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where `cdk` is looked for, in order. Default: the infra package's, then PATH. */
  readonly cdkSearch: readonly ("package" | "path")[];
  /** The CDK app's folder (cdk.json). Default: packages/infra. */
  readonly infraDir: string;
  /** Resolves the profile's credentials (the default chain's without one), or throws. */
  readonly checkCredentials: (profile: string | undefined) => Promise<void>;
  /** Whether the environment has a bootstrap stack; undefined when it cannot tell. */
  readonly isBootstrapped: (
    profile: string | undefined,
    region: string,
  ) => Promise<boolean | undefined>;
  /** Builds the dashboard into the folder the CDK app deploys; returns that folder. */
  readonly buildSite: () => Promise<string>;
  /** The runtime's dependencies over the deployed resources, for seeding. */
  readonly seedDeps: (
    config: import("@ledgerquest/aws").RuntimeConfig,
    target: DeployTarget,
  ) => Promise<RuntimeDeps>;
  /**
   * The project's configuration file: the CDK app bundles the handlers for its game (it is
   * handed on as `LQ_PROJECT_CONFIG`). Default: the one `ledgerquest` found.
   */
  readonly configFile?: string;
}

/** Where a deployment goes: a profile (none: the default credential chain) and a region. */
export interface DeployTarget {
  readonly profile?: string;
  readonly region: string;
}

const INFRA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "infra");

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The `cdk` executable: the infra package's pinned CLI first, then PATH's. */
export function findCdk(environment: Pick<DeployEnvironment, "env" | "cdkSearch" | "infraDir">) {
  for (const where of environment.cdkSearch) {
    const dirs =
      where === "package"
        ? [
            join(environment.infraDir, "node_modules", ".bin"),
            join(environment.infraDir, "..", "..", "node_modules", ".bin"),
            // Installed: node_modules/@ledgerquest/infra -> node_modules/.bin
            join(environment.infraDir, "..", "..", ".bin"),
          ]
        : (environment.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
    for (const dir of dirs) {
      const file = join(dir, "cdk");
      if (existsSync(file) && isExecutable(file)) return file;
    }
  }
  throw new MissingToolError(
    "the AWS CDK CLI (cdk) is not installed: run `npm install` in the repository (it pins aws-cdk 2.1148.1 in packages/infra), or put `cdk` on PATH",
  );
}

/** The profile's region from `~/.aws/config` (or AWS_CONFIG_FILE), if it names one. */
export function profileRegion(
  profile: string,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const file = env.AWS_CONFIG_FILE ?? join(homedir(), ".aws", "config");
  if (!existsSync(file)) return undefined;
  const section = profile === "default" ? ["default", "profile default"] : [`profile ${profile}`];
  let inSection = false;
  for (const raw of readFileSync(file, "utf8").split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      inSection = section.includes((header[1] as string).trim());
      continue;
    }
    const setting = /^region\s*=\s*(\S+)/.exec(line);
    if (inSection && setting) return setting[1];
  }
  return undefined;
}

/** The credentials of a profile, or of the SDK's default chain without one. */
async function credentialsOf(profile: string | undefined) {
  const { fromIni, fromNodeProviderChain } = await import("@aws-sdk/credential-providers");
  return profile === undefined ? fromNodeProviderChain() : fromIni({ profile });
}

/** Resolves the credentials a deployment would use, or throws saying how to provide them. */
export async function defaultCheckCredentials(profile: string | undefined): Promise<void> {
  try {
    await (await credentialsOf(profile))();
  } catch (cause) {
    const why = (cause as Error).message;
    throw new MissingCredentialsError(
      profile === undefined
        ? `no AWS credentials in the default chain (${why}): pass --profile <name>, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or in GitHub Actions assume the deploy role with aws-actions/configure-aws-credentials (docs/deploy.md, "Deploying from GitHub Actions")`
        : `no AWS credentials for profile "${profile}" (${why}): configure it with \`aws configure --profile ${profile}\` or sign in with \`aws sso login --profile ${profile}\``,
      { cause },
    );
  }
}

interface CloudFormationModule {
  CloudFormationClient: new (config: {
    region: string;
    credentials: unknown;
  }) => { send(command: unknown): Promise<unknown>; destroy(): void };
  DescribeStacksCommand: new (input: { StackName: string }) => unknown;
}

async function defaultIsBootstrapped(
  profile: string | undefined,
  region: string,
): Promise<boolean | undefined> {
  // Optional: without the CloudFormation client, `cdk bootstrap` runs, which is idempotent.
  const name = "@aws-sdk/client-cloudformation";
  let cfn: CloudFormationModule;
  try {
    cfn = (await import(name)) as CloudFormationModule;
  } catch {
    return undefined;
  }
  const client = new cfn.CloudFormationClient({
    region,
    credentials: await credentialsOf(profile),
  });
  try {
    await client.send(new cfn.DescribeStacksCommand({ StackName: BOOTSTRAP_STACK_NAME }));
    return true;
  } catch (error) {
    if (/does not exist/.test((error as Error).message)) return false;
    throw new DeployStepError(
      `could not look up the ${BOOTSTRAP_STACK_NAME} stack in ${region}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}

async function defaultSeedDeps(
  config: import("@ledgerquest/aws").RuntimeConfig,
  target: DeployTarget,
): Promise<RuntimeDeps> {
  // The SDK clients read these when they are made, as for `ledgerquest seed --aws`.
  if (target.profile !== undefined) process.env.AWS_PROFILE = target.profile;
  process.env.AWS_REGION = target.region;
  const [{ createRuntimeDeps }, { currentProject }] = await Promise.all([
    import("@ledgerquest/aws"),
    import("../project.js"),
  ]);
  return createRuntimeDeps(config, (await currentProject()).config.game);
}

export function defaultDeployEnvironment(): DeployEnvironment {
  return {
    io: {
      out: process.stdout,
      err: process.stderr,
      ...(process.stderr.isTTY ? { terminal: process.stderr } : {}),
    },
    env: process.env,
    cdkSearch: ["package", "path"],
    infraDir: INFRA_DIR,
    checkCredentials: defaultCheckCredentials,
    isBootstrapped: defaultIsBootstrapped,
    buildSite: async () => {
      // The default output folder is the one the ApiStack's `lq:siteAssetPath` defaults to.
      const { dashboardSite } = await import("@ledgerquest/dashboard");
      return await dashboardSite();
    },
    seedDeps: defaultSeedDeps,
  };
}

// ─── running ─────────────────────────────────────────────────────────────────────────────────

/** Runs `cdk` with `args` in the app's folder; its output goes through `line`. */
function runCdk(
  cdk: string,
  args: readonly string[],
  environment: DeployEnvironment,
  line: (text: string) => void,
): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cdk, [...args], {
      cwd: environment.infraDir,
      env: {
        ...environment.env,
        CDK_DISABLE_VERSION_CHECK: "true",
        ...(environment.configFile === undefined
          ? {}
          : { LQ_PROJECT_CONFIG: environment.configFile }),
      } as NodeJS.ProcessEnv,
      stdio: ["inherit", "pipe", "pipe"],
    });
    for (const stream of [child.stdout, child.stderr]) {
      let pending = "";
      stream.setEncoding("utf8").on("data", (chunk: string) => {
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const l of lines) line(l);
      });
      stream.on("end", () => {
        if (pending !== "") line(pending);
      });
    }
    child.on("error", (error) =>
      reject(new DeployStepError(`could not run ${cdk}: ${error.message}`, { cause: error })),
    );
    child.on("close", (code) => {
      if (code === 0) resolveRun();
      else
        reject(
          new DeployStepError(
            `\`cdk ${args[0]}\` failed (exit ${code}): read its output above; fix and run \`ledgerquest deploy\` again (it picks up where it stopped)`,
          ),
        );
    });
  });
}

/** The runtime configuration of a deployment, from `cdk deploy`'s outputs file. */
export async function configFromOutputs(
  outputsFile: string,
  stage: StageName,
): Promise<import("@ledgerquest/aws").RuntimeConfig> {
  if (!existsSync(outputsFile)) {
    throw new DeployStepError(`cdk deploy wrote no outputs file (${outputsFile})`);
  }
  const outputs = JSON.parse(readFileSync(outputsFile, "utf8")) as Record<
    string,
    Record<string, string> | undefined
  >;
  const of = (part: (typeof STACK_PARTS)[number], key: string): string | undefined =>
    outputs[stackId(stage, part)]?.[key];
  const env = {
    LQ_ENTITY_TABLE: of("Core", OUTPUTS.Core.entityTable),
    LQ_AUDIT_TABLE: of("Core", OUTPUTS.Core.auditLog),
    LQ_EVENT_BUS: of("Core", OUTPUTS.Core.eventBus),
    LQ_ASSETS_BUCKET: of("Core", OUTPUTS.Core.assetsBucket),
    LQ_WEBSOCKET_ENDPOINT: of("Api", OUTPUTS.Api.connectionsUrl),
    LQ_GAME: of("Compute", OUTPUTS.Compute.game),
  };
  const { readConfig, runtimeConfigSchema } = await import("@ledgerquest/aws");
  try {
    return readConfig(runtimeConfigSchema, env);
  } catch (cause) {
    throw new DeployStepError(
      `the deployment's outputs (${outputsFile}) do not configure the runtime: ${(cause as Error).message}`,
      { cause },
    );
  }
}

interface StepProgress {
  start(index: number, title: string): void;
  log(text: string): void;
  stop(): void;
}

async function stepProgress(io: DeployIO, total: number): Promise<StepProgress> {
  if (io.terminal !== undefined) {
    try {
      const bars = await import("cli-progress");
      const multibar = new bars.MultiBar(
        {
          format: "deploy [{bar}] {value}/{total} steps | {title}",
          stream: io.terminal,
          hideCursor: true,
          clearOnComplete: false,
        },
        bars.Presets.shades_classic,
      );
      const bar = multibar.create(total, 0, { title: "" });
      return {
        start(index, title) {
          bar.update(index, { title });
        },
        log(text) {
          multibar.log(`${text}\n`);
        },
        stop() {
          bar.update(total, { title: "done" });
          multibar.stop();
        },
      };
    } catch {
      // cli-progress missing: plain lines below.
    }
  }
  return {
    start(index, title) {
      io.err.write(`[${index + 1}/${total}] ${title}\n`);
    },
    log(text) {
      io.err.write(`  ${text}\n`);
    },
    stop() {},
  };
}

function describeArgs(cdk: string, args: readonly string[]): string {
  return [cdk, ...args].map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(" ");
}

/** Plans and, unless `dryRun`, runs a deployment. Returns the plan. */
export async function runDeploy(
  options: DeployOptions,
  environment: DeployEnvironment = defaultDeployEnvironment(),
): Promise<DeployPlan> {
  const { io } = environment;
  const region =
    options.region ??
    (options.profile === undefined ? undefined : profileRegion(options.profile, environment.env)) ??
    environment.env.AWS_REGION ??
    environment.env.AWS_DEFAULT_REGION;
  if (region === undefined) {
    throw new DeployError(
      options.profile === undefined
        ? "no region: pass --region, or set AWS_REGION"
        : `no region: pass --region, or set one for profile "${options.profile}" (\`aws configure set region eu-west-1 --profile ${options.profile}\`)`,
    );
  }
  // Beside the cloud assembly (git-ignored), where it can be read after the run.
  const outputsFile = join(environment.infraDir, "cdk.out", `outputs-${options.stage}.json`);
  const plan = planDeploy(options, region, outputsFile);
  const cdk = findCdk(environment);

  if (options.dryRun) {
    io.out.write(
      `ledgerquest deploy --dry-run: stage ${options.stage}, ${options.profile === undefined ? "the default credential chain" : `profile ${options.profile}`}, region ${region}; nothing will run\n`,
    );
    plan.steps.forEach((step, i) => {
      io.out.write(`  ${i + 1}. ${step.title}\n`);
      if (step.kind === "cdk") io.out.write(`     ${describeArgs(cdk, step.args)}\n`);
      else if (step.kind === "site")
        io.out.write("     the dashboard's built page (@ledgerquest/dashboard dist/)\n");
      else
        io.out.write(
          `     seedWorlds (as \`ledgerquest seed --aws\`) against the tables in ${plan.outputsFile}\n`,
        );
    });
    return plan;
  }

  await environment.checkCredentials(options.profile);
  const progress = await stepProgress(io, plan.steps.length);
  try {
    for (const [i, step] of plan.steps.entries()) {
      progress.start(i, step.title);
      if (step.kind === "cdk") {
        if (step.onlyIfNotBootstrapped === true) {
          const bootstrapped = await environment.isBootstrapped(options.profile, region);
          if (bootstrapped === true) {
            progress.log(`${BOOTSTRAP_STACK_NAME} exists in ${region}: bootstrap skipped`);
            continue;
          }
          if (bootstrapped === undefined) {
            progress.log(
              `cannot look ${BOOTSTRAP_STACK_NAME} up (no @aws-sdk/client-cloudformation): bootstrapping, which changes nothing if it is there`,
            );
          }
        }
        await runCdk(cdk, step.args, environment, (line) => progress.log(line));
      } else if (step.kind === "site") {
        progress.log(`dashboard built into ${await environment.buildSite()}`);
      } else {
        const config = await configFromOutputs(plan.outputsFile, options.stage);
        const target = {
          ...(options.profile === undefined ? {} : { profile: options.profile }),
          region,
        };
        const deps = await environment.seedDeps(config, target);
        const results = await seedWorlds(deps, { worlds: step.worlds });
        for (const [i, result] of results.entries()) {
          const spec = step.worlds[i] as SeedWorldSpec;
          for (const line of describeSeedResult(result, spec)) progress.log(line);
        }
      }
    }
  } finally {
    progress.stop();
  }
  io.out.write(
    `deployed ${plan.stacks.join(", ")} to ${region}${options.seed ? ", seeded" : ""}; outputs in ${plan.outputsFile}\n`,
  );
  return plan;
}

// ─── the command ─────────────────────────────────────────────────────────────────────────────

/** `ledgerquest deploy`. `environment` replaces parts of the real one (tests). */
export function registerDeploy(
  program: Command,
  environment: Partial<DeployEnvironment> = {},
): void {
  program
    .command("deploy")
    .description(
      "Deploy LedgerQuest to AWS with the CDK: bootstrap the environment if needed, deploy the stage's stacks, optionally seed the sample world",
    )
    .option(
      "--profile <name>",
      "the AWS profile to deploy with (~/.aws/config); without it, the SDK's default credential chain (environment variables, SSO, a CI runner's assumed role)",
    )
    .option("--region <region>", "the region to deploy to (default: the profile's)")
    .addOption(
      new Option("--stage <stage>", "the stage to deploy").choices(STAGE_NAMES).default("beta"),
    )
    .option("--seed", "create the sample world after deploying (as `ledgerquest seed`)", false)
    .option(
      "--context <key=value>",
      "set one of the app's settings, e.g. lq:budgetUsd=300 (repeatable; docs/deploy.md, Settings)",
      parseContextOption,
    )
    .option("--dry-run", "print every step and run none", false)
    .option(
      "--yes",
      "do not ask to approve security-sensitive changes (cdk deploy --require-approval never)",
      false,
    )
    .addHelpText(
      "after",
      "\nExamples:\n  ledgerquest deploy --profile dev --dry-run\n  ledgerquest deploy --profile dev --region eu-west-1 --seed\n  ledgerquest deploy --profile prod --stage prod --yes\n  ledgerquest deploy --region eu-west-1 --stage beta --yes   (CI: the default credential chain)\n\nSee docs/deploy.md.",
    )
    .action(
      async (opts: {
        profile?: string;
        region?: string;
        stage: StageName;
        seed: boolean;
        dryRun: boolean;
        yes: boolean;
        context?: Record<string, string>;
      }) => {
        const env: DeployEnvironment = { ...defaultDeployEnvironment(), ...environment };
        try {
          const { currentProject } = await import("../project.js");
          const { worldSpecsOf } = await import("./seed.js");
          const project = await currentProject();
          await runDeploy(
            {
              worlds: await worldSpecsOf(project.config),
              ...(opts.profile === undefined ? {} : { profile: opts.profile }),
              ...(opts.region === undefined ? {} : { region: opts.region }),
              stage: opts.stage,
              seed: opts.seed,
              dryRun: opts.dryRun,
              yes: opts.yes,
              ...(opts.context === undefined ? {} : { context: opts.context }),
            },
            { ...env, configFile: env.configFile ?? project.configFile },
          );
        } catch (error) {
          env.io.err.write(`deploy: ${(error as Error).message}\n`);
          process.exitCode = 1;
        }
      },
    );
}

/** `ledgerquest synth`: the project's CloudFormation templates, checked by cdk-nag, no AWS account. */
export function registerSynth(
  program: Command,
  environment: Partial<DeployEnvironment> = {},
): void {
  program
    .command("synth")
    .description(
      "Synthesize the project's CloudFormation templates (its handlers bundled for its game, every stack checked by cdk-nag); needs no AWS account",
    )
    .addOption(
      new Option("--stage <stage>", "the stage to synthesize").choices(STAGE_NAMES).default("beta"),
    )
    .option(
      "--context <key=value>",
      "set one of the app's settings, e.g. lq:datadogForwarderArn=arn:... (repeatable)",
      parseContextOption,
    )
    .addHelpText(
      "after",
      "\nThe templates are written to cdk.out in @ledgerquest/infra's folder; `ledgerquest deploy` deploys them.",
    )
    .action(async (opts: { stage: StageName; context?: Record<string, string> }) => {
      const env: DeployEnvironment = { ...defaultDeployEnvironment(), ...environment };
      try {
        const { currentProject } = await import("../project.js");
        const project = await currentProject();
        const cdk = findCdk(env);
        env.io.out.write(
          `synthesizing ${project.config.game.name} (${project.configFile}), stage ${opts.stage}\n`,
        );
        await runCdk(
          cdk,
          [
            "synth",
            "--quiet",
            "--context",
            `${CONTEXT_KEYS.stage}=${opts.stage}`,
            ...contextArgs(opts.context),
          ],
          { ...env, configFile: env.configFile ?? project.configFile },
          (line) => env.io.out.write(`${line}\n`),
        );
        env.io.out.write(`templates in ${join(env.infraDir, "cdk.out")}\n`);
      } catch (error) {
        env.io.err.write(`synth: ${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
