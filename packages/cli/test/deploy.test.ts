// `ledgerquest deploy` with a fake `cdk` on PATH (a node script recording its arguments, and
// writing the outputs file a real `cdk deploy` would), and `--seed` against DynamoDB Local with
// the code `ledgerquest seed` runs.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createRuntimeDeps, ensureTables, type RuntimeConfig, tableNames } from "@ledgerquest/aws";
import { arenaModule } from "@ledgerquest/example-arena";
import { localClientConfig } from "@ledgerquest/local";
import { MemoryBlobStore, MemoryEventPublisher } from "@ledgerquest/runtime";
import { Command } from "commander";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import {
  type DeployEnvironment,
  type DeployOptions,
  type DeployTarget,
  defaultCheckCredentials,
  MissingCredentialsError,
  MissingToolError,
  planDeploy,
  profileRegion,
  registerDeploy,
  runDeploy,
} from "../src/commands/deploy.js";
import { useConfigOption } from "../src/project.js";

const client = new DynamoDBClient(localClientConfig(inject("dynamodbEndpoint")));
const tables = tableNames("deploy-");

const FAKE_CDK = `#!/usr/bin/env node
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_CDK_LOG, JSON.stringify({ args, cwd: process.cwd() }) + "\\n");
const at = args.indexOf("--outputs-file");
if (at >= 0) fs.writeFileSync(args[at + 1], process.env.FAKE_CDK_OUTPUTS);
console.log("fake cdk " + args[0]);
`;

interface Harness {
  readonly environment: DeployEnvironment;
  readonly invocations: () => string[][];
  readonly out: () => string;
  readonly published: MemoryEventPublisher;
  readonly seeded: { config?: RuntimeConfig; target?: DeployTarget };
  /** How many times the dashboard was built. */
  readonly sitesBuilt: () => number;
  /** The profiles whose credentials were checked (undefined: the default chain). */
  readonly checked: (string | undefined)[];
}

function outputs(stage: string) {
  return {
    [`LedgerQuest-${stage}-Core`]: {
      EntityTableName: tables.entityTable,
      AuditLogTableName: tables.auditLog,
      EventBusName: `ledgerquest.eventbus.${stage}`,
      AssetsBucketName: "ledgerquest-beta-assets-abc123",
      BackupsBucketName: "ledgerquest-beta-backups-abc123",
    },
    [`LedgerQuest-${stage}-Api`]: {
      WebSocketUrl: "wss://abcdef1234.execute-api.eu-west-1.amazonaws.com/beta",
      ConnectionsUrl: "https://abcdef1234.execute-api.eu-west-1.amazonaws.com/beta",
    },
    [`LedgerQuest-${stage}-Compute`]: { GameName: "arena@2" },
  };
}

function harness(
  opts: {
    bootstrapped?: boolean | undefined;
    credentials?: boolean;
    withCdk?: boolean;
    stage?: string;
  } = {},
): Harness {
  const dir = mkdtempSync(join(tmpdir(), "ledgerquest-deploy-test-"));
  const bin = join(dir, "bin");
  const infraDir = join(dir, "infra");
  mkdirSync(bin);
  mkdirSync(join(infraDir, "cdk.out"), { recursive: true });
  if (opts.withCdk ?? true) {
    writeFileSync(join(bin, "cdk"), FAKE_CDK);
    chmodSync(join(bin, "cdk"), 0o755);
  }
  const log = join(dir, "cdk.log");
  let out = "";
  const published = new MemoryEventPublisher();
  const seeded: Harness["seeded"] = {};
  const sitesBuilt: string[] = [];
  const checked: (string | undefined)[] = [];
  const environment: DeployEnvironment = {
    io: {
      out: { write: (t: string) => (out += t) },
      err: { write: (t: string) => (out += t) },
    },
    env: {
      PATH: `${bin}${delimiter}${process.env.PATH ?? ""}`,
      AWS_CONFIG_FILE: join(dir, "no-config"),
      FAKE_CDK_LOG: log,
      FAKE_CDK_OUTPUTS: JSON.stringify(outputs(opts.stage ?? "beta")),
    },
    cdkSearch: ["path"],
    infraDir,
    checkCredentials: async (profile) => {
      checked.push(profile);
      if (opts.credentials === false) {
        throw new MissingCredentialsError(`no AWS credentials for profile "${profile}"`);
      }
    },
    isBootstrapped: async () => opts.bootstrapped,
    buildSite: async () => {
      sitesBuilt.push(infraDir);
      return join(dir, "site");
    },
    seedDeps: async (config, target) => {
      seeded.config = config;
      seeded.target = target;
      // DynamoDB Local for the tables; large world states and events stay in memory.
      return {
        ...createRuntimeDeps(config, arenaModule, { dynamodb: client }),
        blobs: new MemoryBlobStore(),
        publisher: published,
      };
    },
  };
  return {
    environment,
    checked,
    sitesBuilt: () => sitesBuilt.length,
    invocations: () =>
      existsSync(log)
        ? readFileSync(log, "utf8")
            .trim()
            .split("\n")
            .map((l) => (JSON.parse(l) as { args: string[] }).args)
        : [],
    out: () => out,
    published,
    seeded,
  };
}

/** `ledgerquest deploy` through commander, over a harness, in the arena example's project. */
function deployProgram(): { h: Harness; program: Command } {
  const h = harness({ bootstrapped: true });
  const program = new Command().exitOverride();
  registerDeploy(program, h.environment);
  // The project: the arena example's configuration, as `--config` names it.
  useConfigOption(
    fileURLToPath(new URL("../../../examples/arena/ledgerquest.config.ts", import.meta.url)),
  );
  return { h, program };
}

const base: DeployOptions = {
  profile: "lq-test",
  region: "eu-west-1",
  stage: "beta",
  seed: false,
  dryRun: false,
  yes: false,
};

const STACKS = [
  "LedgerQuest-beta-Core",
  "LedgerQuest-beta-Api",
  "LedgerQuest-beta-Compute",
  "LedgerQuest-beta-Observability",
];
const COMMON = ["--profile", "lq-test", "--region", "eu-west-1", "--context", "lq:stage=beta"];

beforeAll(async () => {
  await ensureTables(client, tables);
});

describe("ledgerquest deploy", () => {
  it("bootstraps when the bootstrap stack is missing, then deploys the stage's stacks", async () => {
    const h = harness({ bootstrapped: false });
    const plan = await runDeploy(base, h.environment);
    expect(h.invocations()).toEqual([
      ["bootstrap", ...COMMON],
      ["deploy", ...STACKS, ...COMMON, "--outputs-file", plan.outputsFile],
    ]);
    expect(h.out()).toContain("deployed LedgerQuest-beta-Core");
    // The site is built first, so the ApiStack deploys this checkout's dashboard.
    expect(h.sitesBuilt()).toBe(1);
  });

  it("skips the bootstrap when the environment has one", async () => {
    const h = harness({ bootstrapped: true });
    await runDeploy(base, h.environment);
    expect(h.invocations().map((args) => args[0])).toEqual(["deploy"]);
    expect(h.out()).toContain("bootstrap skipped");
  });

  it("bootstraps anyway (idempotent) when it cannot tell", async () => {
    const h = harness({ bootstrapped: undefined });
    await runDeploy(base, h.environment);
    expect(h.invocations().map((args) => args[0])).toEqual(["bootstrap", "deploy"]);
  });

  it("passes --require-approval never only with --yes, and the stage as context", async () => {
    const without = harness({ bootstrapped: true });
    await runDeploy(base, without.environment);
    expect(without.invocations()[0]).not.toContain("--require-approval");

    const h = harness({ bootstrapped: true, stage: "prod" });
    await runDeploy({ ...base, stage: "prod", yes: true, region: "us-east-2" }, h.environment);
    const [deploy] = h.invocations();
    expect(deploy?.slice(0, 5)).toEqual([
      "deploy",
      "LedgerQuest-prod-Core",
      "LedgerQuest-prod-Api",
      "LedgerQuest-prod-Compute",
      "LedgerQuest-prod-Observability",
    ]);
    expect(deploy).toEqual(expect.arrayContaining(["--require-approval", "never"]));
    expect(deploy?.[deploy.indexOf("--require-approval") + 1]).toBe("never");
    expect(deploy?.[deploy.indexOf("--region") + 1]).toBe("us-east-2");
    expect(deploy?.[deploy.indexOf("--context") + 1]).toBe("lq:stage=prod");
  });

  it("--dry-run prints every step and runs nothing", async () => {
    const h = harness({ bootstrapped: false });
    const plan = await runDeploy({ ...base, dryRun: true, seed: true, yes: true }, h.environment);
    expect(h.invocations()).toEqual([]);
    expect(h.seeded.config).toBeUndefined();
    expect(h.sitesBuilt()).toBe(0);
    expect(plan.steps.map((s) => s.kind)).toEqual(["site", "cdk", "cdk", "seed"]);
    const out = h.out();
    expect(out).toContain("nothing will run");
    expect(out).toContain("bootstrap --profile lq-test --region eu-west-1");
    expect(out).toContain("deploy LedgerQuest-beta-Core");
    expect(out).toContain("--require-approval never");
    expect(out).toContain('seed world "demo"');
  });

  it("--seed seeds the deployed tables with the code of `ledgerquest seed`", async () => {
    const h = harness({ bootstrapped: true });
    const world = {
      worldId: "deploy-seeded",
      players: 2,
      settings: { bodies: 10, bots: 1, coins: 5 },
    };
    await runDeploy({ ...base, seed: true, worlds: [world] }, h.environment);
    expect(h.seeded.config).toMatchObject({
      tables: tables,
      eventBus: "ledgerquest.eventbus.beta",
      websocketEndpoint: "https://abcdef1234.execute-api.eu-west-1.amazonaws.com/beta",
      game: "arena@2",
    });
    expect(h.seeded.target).toEqual({ profile: "lq-test", region: "eu-west-1" });
    const deps = createRuntimeDeps(h.seeded.config as RuntimeConfig, arenaModule, {
      dynamodb: client,
    });
    const seededWorld = await deps.store.getWorld("deploy-seeded");
    expect(seededWorld?.worldId).toBe("deploy-seeded");
    expect(await deps.store.getPlayer("deploy-seeded", "player_0002")).toBeDefined();
    expect(h.published.published.map((e) => e.detailType)).toEqual(["World Activated"]);
    expect(h.out()).toContain('world "deploy-seeded": created');

    // Idempotent, as `ledgerquest seed` is: a second deploy finds the world.
    const again = harness({ bootstrapped: true });
    await runDeploy({ ...base, seed: true, worlds: [world] }, again.environment);
    expect(again.out()).toContain('world "deploy-seeded": exists');
  });

  it("says what to do when credentials or tools are missing, and runs nothing", async () => {
    const noCreds = harness({ credentials: false });
    await expect(runDeploy(base, noCreds.environment)).rejects.toThrow(/credentials.*lq-test/);
    expect(noCreds.invocations()).toEqual([]);

    const noCdk = harness({ withCdk: false });
    await expect(
      runDeploy(base, { ...noCdk.environment, env: { PATH: "/nonexistent" } }),
    ).rejects.toThrow(MissingToolError);

    const noRegion = harness();
    await expect(
      runDeploy({ ...base, region: undefined } as DeployOptions, noRegion.environment),
    ).rejects.toThrow(/--region/);
  });

  it("reads the profile's region from the AWS config file", () => {
    const dir = mkdtempSync(join(tmpdir(), "ledgerquest-aws-config-"));
    const file = join(dir, "config");
    writeFileSync(
      file,
      "[default]\nregion = us-east-1\n[profile lq-test]\nregion = ap-southeast-2\n",
    );
    expect(profileRegion("lq-test", { AWS_CONFIG_FILE: file })).toBe("ap-southeast-2");
    expect(profileRegion("default", { AWS_CONFIG_FILE: file })).toBe("us-east-1");
    expect(profileRegion("other", { AWS_CONFIG_FILE: file })).toBeUndefined();
  });

  it("parses its options through commander", async () => {
    const { h, program } = deployProgram();
    await program.parseAsync(
      ["deploy", "--profile", "lq-test", "--region", "eu-west-1", "--stage", "prod", "--dry-run"],
      { from: "user" },
    );
    useConfigOption(undefined);
    expect(h.invocations()).toEqual([]);
    expect(h.out()).toContain("stage prod, profile lq-test, region eu-west-1");
    expect(planDeploy({ ...base, seed: true }, "eu-west-1", "o.json").steps).toHaveLength(4);
    program.configureOutput({ writeErr: () => {} });
    await expect(
      program.parseAsync(["deploy", "--profile", "p", "--stage", "qa"], { from: "user" }),
    ).rejects.toThrow(/qa/);
  });

  it("without --profile, deploys with the default credential chain and the environment's region", async () => {
    const h = harness({ bootstrapped: true });
    const env = { ...h.environment.env, AWS_REGION: "ap-southeast-2" };
    const plan = await runDeploy(
      { stage: "beta", seed: true, dryRun: false, yes: true, worlds: base.worlds ?? [] },
      { ...h.environment, env },
    );
    expect(plan.region).toBe("ap-southeast-2");
    expect(h.checked).toEqual([undefined]);
    const runs = h.invocations();
    expect(runs.map((args) => args[0])).toEqual(["deploy"]);
    for (const args of runs) {
      expect(args).not.toContain("--profile");
      expect(args.join(" ")).toContain("--region ap-southeast-2");
    }
    expect(h.seeded.target).toEqual({ region: "ap-southeast-2" });
    // No region anywhere: it says where one goes.
    await expect(
      runDeploy({ stage: "beta", seed: false, dryRun: true, yes: false }, h.environment),
    ).rejects.toThrow("no region: pass --region, or set AWS_REGION");
  });

  it("checks the default chain's credentials for real, and says how to give some", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ledgerquest-deploy-creds-"));
    const isolated = {
      AWS_CONFIG_FILE: join(dir, "config"),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, "credentials"),
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_PROFILE: "",
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
      AWS_SESSION_TOKEN: "",
      AWS_WEB_IDENTITY_TOKEN_FILE: "",
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: "",
      AWS_CONTAINER_CREDENTIALS_FULL_URI: "",
    };
    for (const [name, value] of Object.entries(isolated)) vi.stubEnv(name, value);
    try {
      await expect(defaultCheckCredentials(undefined)).rejects.toThrow(
        /no AWS credentials in the default chain .*--profile.*configure-aws-credentials/,
      );
      // What a CI step's assumed role leaves in the environment.
      vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE");
      vi.stubEnv("AWS_SECRET_ACCESS_KEY", "secret");
      vi.stubEnv("AWS_SESSION_TOKEN", "token");
      await expect(defaultCheckCredentials(undefined)).resolves.toBeUndefined();
      await expect(defaultCheckCredentials("nobody")).rejects.toThrow(/profile "nobody"/);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("passes --context settings to every cdk run, and refuses a key the app does not read", async () => {
    const { h, program } = deployProgram();
    const forwarder = "arn:aws:lambda:eu-west-1:123456789012:function:DatadogForwarder";
    await program.parseAsync(
      [
        "deploy",
        "--profile",
        "lq-test",
        "--region",
        "eu-west-1",
        "--context",
        `lq:datadogForwarderArn=${forwarder}`,
        "--context",
        "lq:budgetUsd=300",
        "--dry-run",
      ],
      { from: "user" },
    );
    useConfigOption(undefined);
    expect(h.out()).toContain(
      `--context lq:datadogForwarderArn=${forwarder} --context lq:budgetUsd=300`,
    );
    const plan = planDeploy({ ...base, context: { "lq:budgetUsd": "300" } }, "eu-west-1", "o.json");
    for (const step of plan.steps) {
      if (step.kind === "cdk") expect(step.args.join(" ")).toContain("--context lq:budgetUsd=300");
    }
    program.configureOutput({ writeErr: () => {} });
    await expect(
      program.parseAsync(["deploy", "--profile", "p", "--context", "lq:budgetUSD=3"], {
        from: "user",
      }),
    ).rejects.toThrow(/lq:budgetUSD is not one of the app's settings: .*lq:budgetUsd/);
    await expect(
      program.parseAsync(["deploy", "--profile", "p", "--context", "lq:stage=prod"], {
        from: "user",
      }),
    ).rejects.toThrow(/--stage/);
    await expect(
      program.parseAsync(["deploy", "--profile", "p", "--context", "lq:budgetUsd"], {
        from: "user",
      }),
    ).rejects.toThrow(/key=value/);
  });
});
