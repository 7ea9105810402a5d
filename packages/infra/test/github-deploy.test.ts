// Deploying from GitHub Actions: the workflow files are valid GitHub Actions workflows (GitHub's
// own parser, @actions/workflow-parser) and agree with the deploy roles they assume; the roles'
// stack trusts only the named repository's jobs in each stage's environment, and grants no more
// than reaching the CDK bootstrap roles.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  convertWorkflowTemplate,
  NoOperationTraceWriter,
  parseWorkflow,
} from "@actions/workflow-parser";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createLedgerQuestApp } from "../src/app.js";
import { CONTEXT_KEYS, STAGE_NAMES } from "../src/contract.js";
import { InfraConfigError } from "../src/errors.js";
import {
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_ISSUER,
  githubDeployRoleName,
  githubSubject,
} from "../src/stacks/github-deploy.js";
import { siteDir, stubBundles, tempDir } from "./helpers.js";

const ROLE_EXPRESSION = ["${{", "vars.LQ_DEPLOY_ROLE_ARN", "}}"].join(" ");

const WORKFLOWS = fileURLToPath(new URL("../../../.github/workflows/", import.meta.url));

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, string>;
}

interface Job {
  readonly needs?: string | string[];
  readonly environment?: string;
  readonly permissions?: Record<string, string>;
  readonly container?: string;
  readonly steps: readonly Step[];
}

function workflowFiles(): string[] {
  return readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"));
}

function deployWorkflow(): { jobs: Record<string, Job> } {
  return parse(readFileSync(join(WORKFLOWS, "deploy.yml"), "utf8")) as {
    jobs: Record<string, Job>;
  };
}

describe("the GitHub Actions workflows", () => {
  it("are valid workflows by GitHub's own parser", async () => {
    const files = workflowFiles();
    expect(files).toContain("deploy.yml");
    for (const file of files) {
      const content = readFileSync(join(WORKFLOWS, file), "utf8");
      const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
      expect(
        parsed.context.errors.getErrors().map((e) => e.message),
        file,
      ).toEqual([]);
      if (parsed.value === undefined) throw new Error(`${file}: nothing parsed`);
      const template = await convertWorkflowTemplate(parsed.context, parsed.value);
      expect(template.errors ?? [], file).toEqual([]);
      expect(template.jobs.length, file).toBeGreaterThan(0);
    }
  });

  it("catches a broken workflow (the check can fail)", () => {
    const broken =
      "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: a\n        shell-script: b\n";
    const parsed = parseWorkflow(
      { name: "broken.yml", content: broken },
      new NoOperationTraceWriter(),
    );
    expect(parsed.context.errors.getErrors().length).toBeGreaterThan(0);
  });

  it("test with CI's script, then deploy beta, then prod, each as its stage's role", () => {
    const { jobs } = deployWorkflow();
    expect(jobs.test?.steps.some((s) => s.run === "bash .ci/run")).toBe(true);
    const order = ["test", "synth", "deploy-beta", "deploy-prod"];
    order.slice(1).forEach((job, i) => {
      expect([jobs[job]?.needs].flat(), job).toContain(order[i]);
    });
    const deployJobs = Object.entries(jobs).filter(([, job]) =>
      job.steps.some((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@")),
    );
    expect(deployJobs.map(([id]) => id)).toEqual(["deploy-beta", "deploy-prod"]);
    for (const [id, job] of deployJobs) {
      const stage = job.environment ?? "";
      expect(STAGE_NAMES, id).toContain(stage);
      // The OIDC token is asked for in this job only, and the role is the environment's.
      expect(job.permissions?.["id-token"], id).toBe("write");
      const credentials = job.steps.find((s) =>
        s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
      );
      // The environment's variable (an expression of the workflow, not of this test).
      expect(credentials?.with?.["role-to-assume"]).toBe(ROLE_EXPRESSION);
      const deploy = job.steps.find((s) => s.run?.includes("ledgerquest deploy"));
      expect(deploy?.run, id).toContain(`--stage ${stage}`);
      expect(deploy?.run, id).not.toContain("--profile");
    }
    // Nothing else may ask for an OIDC token.
    for (const [id, job] of Object.entries(jobs)) {
      if (!deployJobs.some(([d]) => d === id))
        expect(job.permissions?.["id-token"], id).toBeUndefined();
    }
  });
});

function synth(context: Record<string, string> = {}) {
  const lq = createLedgerQuestApp({
    bundles: stubBundles(),
    context: { [CONTEXT_KEYS.siteAssetPath]: siteDir(), ...context },
    outdir: tempDir("cdk-out-github"),
    nag: false,
    pipeline: false,
  });
  if (lq.githubDeploy === undefined) throw new Error("no GitHub deploy stack");
  return Template.fromStack(lq.githubDeploy);
}

describe("the GitHub deploy roles' stack", () => {
  it("trusts only the repository's jobs in each stage's environment, through GitHub's OIDC provider", () => {
    const template = synth({ [CONTEXT_KEYS.repository]: "acme/space-game" });
    template.hasResourceProperties("AWS::IAM::OIDCProvider", {
      Url: `https://${GITHUB_OIDC_ISSUER}`,
      ClientIdList: [GITHUB_OIDC_AUDIENCE],
    });
    const roles = Object.values(template.findResources("AWS::IAM::Role"));
    expect(roles.map((r) => r.Properties.RoleName).sort()).toEqual(
      STAGE_NAMES.map(githubDeployRoleName).sort(),
    );
    for (const stage of STAGE_NAMES) {
      const role = roles.find((r) => r.Properties.RoleName === githubDeployRoleName(stage));
      const trust = role?.Properties.AssumeRolePolicyDocument.Statement;
      expect(trust).toHaveLength(1);
      expect(trust[0].Action).toBe("sts:AssumeRoleWithWebIdentity");
      expect(trust[0].Condition).toEqual({
        StringEquals: {
          [`${GITHUB_OIDC_ISSUER}:aud`]: GITHUB_OIDC_AUDIENCE,
          [`${GITHUB_OIDC_ISSUER}:sub`]: githubSubject("acme/space-game", stage),
        },
      });
      expect(githubSubject("acme/space-game", stage)).toBe(
        `repo:acme/space-game:environment:${stage}`,
      );
    }
  });

  it("lets the roles reach the CDK bootstrap roles and stack, and nothing else", () => {
    const template = synth();
    const statements = Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
      (p) =>
        p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      const actions = [statement.Action].flat().sort();
      const resources = JSON.stringify(statement.Resource);
      expect(resources).not.toContain('"*"');
      if (actions.includes("sts:AssumeRole")) {
        expect(actions).toEqual(["sts:AssumeRole", "sts:TagSession"]);
        expect(resources.match(/:role\/cdk-hnb659fds-[a-z-]+-role-/g)).toHaveLength(4);
      } else {
        expect(actions).toEqual(["cloudformation:DescribeStacks"]);
        expect(resources).toContain(":stack/CDKToolkit/*");
      }
    }
  });

  it("serves the stages an account receives, with the account's existing provider if given", () => {
    const providerArn = `arn:aws:iam::123456789012:oidc-provider/${GITHUB_OIDC_ISSUER}`;
    const template = synth({
      [CONTEXT_KEYS.githubStages]: "prod",
      [CONTEXT_KEYS.githubOidcProviderArn]: providerArn,
    });
    template.resourceCountIs("AWS::IAM::OIDCProvider", 0);
    const roles = Object.values(template.findResources("AWS::IAM::Role"));
    expect(roles.map((r) => r.Properties.RoleName)).toEqual([githubDeployRoleName("prod")]);
    expect(JSON.stringify(roles[0]?.Properties.AssumeRolePolicyDocument)).toContain(providerArn);
  });

  it("refuses stages and repositories it does not know, naming the setting", () => {
    expect(() => synth({ [CONTEXT_KEYS.githubStages]: "beta,qa" })).toThrow(InfraConfigError);
    expect(() => synth({ [CONTEXT_KEYS.githubStages]: "beta,qa" })).toThrow(/lq:githubStages/);
    expect(() => synth({ [CONTEXT_KEYS.repository]: "not a repository" })).toThrow(/lq:repository/);
  });
});
