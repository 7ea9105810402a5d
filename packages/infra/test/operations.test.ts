// What an operator relies on between deployments: alarms that reach the topic, a ceiling on the
// game loops' concurrency, exports that are known to have finished, a budget of the stage's own
// costs, a user pool client with no OAuth flow, and the deployment guide's alarm count.
import { readFileSync } from "node:fs";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { appContext, type LedgerQuestApp } from "../src/app.js";
import { EXPORT_TIMEOUT } from "../src/constructs/table-exports.js";
import { CONTEXT_KEYS } from "../src/contract.js";
import { InfraConfigError } from "../src/errors.js";
import {
  defaultSettings,
  settingsFromContext,
  TICK_RESERVED_CONCURRENCY_PROD,
} from "../src/settings.js";
import { stubApp } from "./helpers.js";

process.env.CDK_VALIDATION = "false";

type Resource = { Type: string; Properties: Record<string, unknown> };

let lq: LedgerQuestApp;
let beta: Record<"core" | "api" | "compute" | "observability", Template>;
let prod: Record<"core" | "api" | "compute" | "observability", Template>;

function templates(stacks: LedgerQuestApp["stage"]) {
  return {
    core: Template.fromStack(stacks.core),
    api: Template.fromStack(stacks.api),
    compute: Template.fromStack(stacks.compute),
    observability: Template.fromStack(stacks.observability),
  };
}

function app(context: Record<string, string> = {}): LedgerQuestApp {
  return stubApp(context);
}

beforeAll(() => {
  lq = app();
  beta = templates(lq.stage);
  prod = templates((lq.pipeline as NonNullable<LedgerQuestApp["pipeline"]>).prod.stacks);
});

function resourcesOf(template: Template, type: string): Resource[] {
  return Object.values(template.toJSON().Resources as Record<string, Resource>).filter(
    (r) => r.Type === type,
  );
}

function tickFunction(template: Template): Resource | undefined {
  return resourcesOf(template, "AWS::Lambda::Function").find((f) =>
    String(f.Properties.FunctionName).endsWith("-tick"),
  );
}

describe("the canary alarms", () => {
  it("notify the operators' topic, not only CodeDeploy", () => {
    const groups = resourcesOf(beta.compute, "AWS::CodeDeploy::DeploymentGroup");
    const canaryIds = groups.flatMap(
      (g) =>
        (g.Properties.AlarmConfiguration as { Alarms: { Name: { Ref: string } }[] }).Alarms.map(
          (a) => a.Name.Ref,
        ) ?? [],
    );
    const alarms = beta.compute.toJSON().Resources as Record<string, Resource>;
    expect(canaryIds.length).toBe(3 * groups.length);
    for (const id of canaryIds) {
      const props = alarms[id]?.Properties ?? {};
      expect(JSON.stringify(props.AlarmActions), id).toMatch(/OpsTopic/);
      expect(JSON.stringify(props.OKActions), id).toMatch(/OpsTopic/);
    }
  });
});

describe("the tick function's reserved concurrency", () => {
  it("caps game loops in prod by default, and reserves nothing in beta", () => {
    expect(TICK_RESERVED_CONCURRENCY_PROD).toBe(100);
    expect(tickFunction(prod.compute)?.Properties.ReservedConcurrentExecutions).toBe(100);
    expect(tickFunction(beta.compute)?.Properties).not.toHaveProperty(
      "ReservedConcurrentExecutions",
    );
    // Only the tick: $connect, commands and queries share what is left.
    for (const fn of resourcesOf(prod.compute, "AWS::Lambda::Function")) {
      if (!String(fn.Properties.FunctionName).endsWith("-tick")) {
        expect(fn.Properties, String(fn.Properties.FunctionName)).not.toHaveProperty(
          "ReservedConcurrentExecutions",
        );
      }
    }
  });

  it("is set by lq:tickReservedConcurrency, `none` to reserve nothing, and checked", () => {
    const node = (context: Record<string, string>) =>
      new App({ context: appContext(context) }).node;
    const key = CONTEXT_KEYS.tickReservedConcurrency;
    expect(settingsFromContext(node({ [key]: "20" }), "beta").tickReservedConcurrency).toBe(20);
    expect(settingsFromContext(node({ [key]: "none" }), "prod")).not.toHaveProperty(
      "tickReservedConcurrency",
    );
    expect(defaultSettings("prod").tickReservedConcurrency).toBe(TICK_RESERVED_CONCURRENCY_PROD);
    for (const bad of ["0", "-1", "2.5", "lots"]) {
      expect(() => settingsFromContext(node({ [key]: bad }), "prod"), bad).toThrow(
        InfraConfigError,
      );
    }
    const custom = app({ [key]: "7" });
    expect(tickFunction(Template.fromStack(custom.stage.compute))?.Properties).toMatchObject({
      ReservedConcurrentExecutions: 7,
    });
  });
});

describe("the daily table exports", () => {
  interface State {
    readonly Type: string;
    readonly Resource?: string;
    readonly Next?: string;
    readonly Choices?: { Variable: string; StringEquals: string; Next: string }[];
    readonly Default?: string;
    readonly Error?: string;
  }

  it("wait for each export to finish, and fail the execution when one failed", () => {
    const [machine] = resourcesOf(beta.core, "AWS::StepFunctions::StateMachine");
    const definition = JSON.stringify(machine?.Properties.DefinitionString);
    // The definition is a Fn::Join; its JSON text is in the string parts.
    const text = JSON.parse(definition)
      ["Fn::Join"][1].map((part: unknown) => (typeof part === "string" ? part : "0"))
      .join("");
    const asl = JSON.parse(text) as {
      States: Record<string, { Branches: { StartAt: string; States: Record<string, State> }[] }>;
    };
    const parallel = Object.values(asl.States)[0];
    expect(parallel?.Branches).toHaveLength(2);
    for (const branch of parallel?.Branches ?? []) {
      const states = Object.values(branch.States);
      const start = branch.States[branch.StartAt];
      expect(start?.Resource).toMatch(/aws-sdk:dynamodb:exportTableToPointInTime$/);
      const describe = states.find((s) => s.Resource?.endsWith("aws-sdk:dynamodb:describeExport"));
      expect(describe).toBeDefined();
      const choice = states.find((s) => s.Type === "Choice");
      const on = (status: string) =>
        branch.States[choice?.Choices?.find((c) => c.StringEquals === status)?.Next ?? ""];
      expect(on("COMPLETED")?.Type).toBe("Succeed");
      expect(on("FAILED")).toMatchObject({ Type: "Fail", Error: "TableExportFailed" });
      // Anything else (IN_PROGRESS) waits and looks again.
      expect(branch.States[choice?.Default ?? ""]?.Type).toBe("Wait");
    }
    expect(JSON.parse(text).TimeoutSeconds).toBe(EXPORT_TIMEOUT.toSeconds());
  });

  it("may describe the exports of the two tables and nothing else", () => {
    const statements = resourcesOf(beta.core, "AWS::IAM::Policy").flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
          .Statement,
    );
    const describe = statements.filter((s) => JSON.stringify(s.Action).includes("DescribeExport"));
    const resources = describe.flatMap((s) =>
      Array.isArray(s.Resource) ? s.Resource : [s.Resource],
    );
    expect(resources).toHaveLength(2);
    for (const r of resources) expect(JSON.stringify(r)).toMatch(/\/export\/\*"\]\]\}$/);
  });

  it("alarm when an execution fails, times out or is stopped", () => {
    const alarm = resourcesOf(beta.observability, "AWS::CloudWatch::Alarm").find((a) =>
      String(a.Properties.AlarmName).endsWith("TableExportsFailed"),
    );
    const metrics = JSON.stringify(alarm?.Properties.Metrics);
    for (const name of ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"]) {
      expect(metrics).toContain(name);
    }
  });
});

describe("each stage's budget", () => {
  it("counts this project's resources of this stage, by their cost allocation tags", () => {
    for (const [stage, template] of [
      ["beta", beta.observability],
      ["prod", prod.observability],
    ] as const) {
      const [budget] = resourcesOf(template, "AWS::Budgets::Budget");
      const props = (budget?.Properties.Budget ?? {}) as Record<string, unknown>;
      expect(props.FilterExpression).toEqual({
        And: [
          { Tags: { Key: "project", Values: ["ledgerquest"], MatchOptions: ["EQUALS"] } },
          { Tags: { Key: "stage", Values: [stage], MatchOptions: ["EQUALS"] } },
        ],
      });
    }
  });
});

describe("the Cognito app client", () => {
  it("has no OAuth flow: no implicit grant, no callback URL", () => {
    const [client] = resourcesOf(beta.api, "AWS::Cognito::UserPoolClient");
    const props = client?.Properties ?? {};
    expect(props.AllowedOAuthFlowsUserPoolClient).toBe(false);
    expect(props).not.toHaveProperty("AllowedOAuthFlows");
    expect(props).not.toHaveProperty("CallbackURLs");
    expect(props).not.toHaveProperty("LogoutURLs");
    expect(props.ExplicitAuthFlows).toEqual(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]);
  });
});

describe("docs/deploy.md", () => {
  it("counts the alarms a stage deploys", () => {
    const count = Object.values(beta).reduce(
      (n, template) => n + resourcesOf(template, "AWS::CloudWatch::Alarm").length,
      0,
    );
    const guide = readFileSync(new URL("../../../docs/deploy.md", import.meta.url), "utf8");
    const said = /(\d+) alarms \(\$0\.10 each\)/.exec(guide);
    expect(Number(said?.[1])).toBe(count);
  });
});
