// cdk-nag in a concrete environment (`lq:account` and `lq:region`, as a DevOps user deploys to
// their own account): CDK then writes the stack's partition, region and account into ARNs as
// literals, not as `<AWS::Partition>`, `<AWS::Region>` and `<AWS::AccountId>`. The acknowledged
// wildcards must be the same ones, by the names cdk-nag reports there, and no others.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { appContext, createLedgerQuestApp, type LedgerQuestApp } from "../src/app.js";
import { CONTEXT_KEYS } from "../src/contract.js";
import { acknowledgeIntendedWildcards, allowWildcardResource } from "../src/nag.js";
import { siteDir, stubBundles, tempDir } from "./helpers.js";

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";

interface Violation {
  readonly ruleName: string;
  readonly violatingConstructs: { readonly constructPath: string }[];
}

/** Synthesizes the app with cdk-nag on: its findings (`rule @ path`), the synth's error if any. */
function synthWithNag(pipeline: boolean): { violations: string[]; error?: string } {
  const outdir = tempDir("cdk-out-env");
  const lq = createLedgerQuestApp({
    bundles: stubBundles(),
    context: {
      [CONTEXT_KEYS.siteAssetPath]: siteDir(),
      [CONTEXT_KEYS.account]: ACCOUNT,
      [CONTEXT_KEYS.region]: REGION,
    },
    outdir,
    pipeline,
  });
  let error: string | undefined;
  try {
    lq.app.synth();
  } catch (e) {
    error = String(e);
  }
  const report = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8"));
  const violations = (report.pluginReports as { violations?: Violation[] }[]).flatMap((r) =>
    (r.violations ?? []).flatMap((v) =>
      v.violatingConstructs.map((c) => `${v.ruleName} @ ${c.constructPath}`),
    ),
  );
  return { violations, ...(error === undefined ? {} : { error }) };
}

/** The IAM5 resource findings acknowledged under `scope`. */
function resourceAcks(scope: IConstruct): string[] {
  const found: string[] = [];
  for (const node of scope.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const key of Object.keys(entry.data as Record<string, string>)) {
        const id = key.replace(/^Annotation::/, "");
        if (id.startsWith("AwsSolutions-IAM5[Resource::")) found.push(id);
      }
    }
  }
  return found;
}

describe("npm run synth in a concrete environment (lq:account, lq:region)", () => {
  beforeAll(() => {
    delete process.env.CDK_VALIDATION;
  });

  it("passes cdk-nag's checks for the stage's stacks", () => {
    const { violations, error } = synthWithNag(false);
    expect(violations).toEqual([]);
    expect(error).toBeUndefined();
  });

  it("passes cdk-nag's checks with the pipeline", () => {
    const { violations, error } = synthWithNag(true);
    expect(violations).toEqual([]);
    expect(error).toBeUndefined();
  });
});

describe("the app's acknowledged wildcards in a concrete environment", () => {
  /** The app with its intents acknowledged (cdk-nag off: only the intents run). */
  const acknowledged = (env: Record<string, string>): LedgerQuestApp => {
    const lq = createLedgerQuestApp({
      bundles: stubBundles(),
      context: { [CONTEXT_KEYS.siteAssetPath]: siteDir(), ...env },
      outdir: tempDir("cdk-out-env"),
      nag: false,
    });
    acknowledgeIntendedWildcards(lq.app);
    return lq;
  };

  it("are the environment-agnostic app's, with its account and region in place of the placeholders", () => {
    const agnostic = resourceAcks(acknowledged({}).app);
    const lq = acknowledged({ [CONTEXT_KEYS.account]: ACCOUNT, [CONTEXT_KEYS.region]: REGION });
    const concrete = resourceAcks(lq.app);
    const asPlaceholders = (id: string) =>
      id
        .replaceAll("arn:aws:", "arn:<AWS::Partition>:")
        .replaceAll(ACCOUNT, "<AWS::AccountId>")
        .replaceAll(REGION, "<AWS::Region>");
    expect(concrete.length).toBe(agnostic.length);
    expect(concrete.map(asPlaceholders).sort()).toEqual([...agnostic].sort());
    // The stacks with the env name its account and region, not the placeholders. (The pipeline's
    // stages are environment-agnostic: CDK Pipelines deploys them into the pipeline's env.)
    const pipeline = lq.pipeline as NonNullable<LedgerQuestApp["pipeline"]>;
    const withEnv = [...Object.values(lq.stage), pipeline.pipeline].flatMap(resourceAcks);
    expect(withEnv.filter((id) => id.includes(`-${ACCOUNT}-${REGION}/`)).length).toBe(1);
    expect(withEnv.filter((id) => id.includes(`:${REGION}:${ACCOUNT}:`)).length).toBeGreaterThan(5);
    for (const id of withEnv) expect(id).not.toMatch(/<AWS::(Region|AccountId)>/);
  });
});

describe("a wildcard resource pattern in a concrete environment", () => {
  const grant = (stack: Stack, resources: string[]) => {
    const role = new iam.Role(stack, "Role", {
      assumedBy: new iam.ServicePrincipal("codebuild.amazonaws.com"),
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ["logs:PutLogEvents"], resources }),
    );
    allowWildcardResource(
      role,
      /^arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:\/aws\/codebuild\/\*$/,
      "CodeBuild log groups",
    );
    return role;
  };

  it("names the stack's own partition, region and account, and no other's", () => {
    const app = new App({ context: appContext(), outdir: tempDir("nag-env") });
    const stack = new Stack(app, "Env", { env: { account: ACCOUNT, region: REGION } });
    const own = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/*`;
    grant(stack, [
      own,
      "arn:aws:logs:us-east-1:123456789012:log-group:/aws/codebuild/*",
      "arn:aws:logs:eu-west-1:210987654321:log-group:/aws/codebuild/*",
      "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/*",
    ]);
    acknowledgeIntendedWildcards(app);
    expect(resourceAcks(app)).toEqual([`AwsSolutions-IAM5[Resource::${own}]`]);
  });

  it("names the placeholders in an environment-agnostic stack", () => {
    const app = new App({ context: appContext(), outdir: tempDir("nag-env") });
    const stack = new Stack(app, "Agnostic");
    grant(stack, [
      `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:/aws/codebuild/*`,
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/codebuild/*`,
    ]);
    acknowledgeIntendedWildcards(app);
    expect(resourceAcks(app)).toEqual([
      "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/codebuild/*]",
    ]);
  });
});
