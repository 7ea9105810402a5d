// The operators' log tooling in the templates: the saved Logs Insights queries and their
// dashboard widgets, over the right log groups; Datadog forwarding off by default, and on (with
// cdk-nag clean) when a forwarder is named; a bad forwarder ARN refused at synth, naming the key.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LOG_QUERIES } from "@ledgerquest/aws";
import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { createLedgerQuestApp } from "../src/app.js";
import { CONTEXT_KEYS } from "../src/contract.js";
import { InfraConfigError } from "../src/errors.js";
import { siteDir, stubBundles, tempDir } from "./helpers.js";

const FORWARDER = "arn:aws:lambda:eu-west-1:123456789012:function:DatadogForwarder";

function synth(context: Record<string, string> = {}, nag = false) {
  const outdir = tempDir("cdk-out-logs");
  const lq = createLedgerQuestApp({
    bundles: stubBundles(),
    context: { [CONTEXT_KEYS.siteAssetPath]: siteDir(), ...context },
    outdir,
    nag,
    pipeline: false,
  });
  const { compute, observability } = lq.stage;
  return {
    lq,
    outdir,
    compute: Template.fromStack(compute),
    observability: Template.fromStack(observability),
  };
}

/** The export name behind a cross-stack reference (`Fn::ImportValue`). */
function importedName(value: unknown): string {
  const imported = (value as { "Fn::ImportValue"?: string })["Fn::ImportValue"];
  if (typeof imported !== "string") throw new Error(`not an import: ${JSON.stringify(value)}`);
  return imported;
}

describe("saved Logs Insights queries", () => {
  const { observability, compute } = synth();

  it("saves each query, in the stage's folder, over the log groups of the functions it names", () => {
    const definitions = observability.findResources("AWS::Logs::QueryDefinition");
    expect(Object.keys(definitions)).toHaveLength(LOG_QUERIES.length);
    const byName = new Map(
      Object.values(definitions).map((d) => [d.Properties.Name as string, d.Properties]),
    );
    // The function log groups' logical ids in the compute stack, by their fixed names.
    const groups = compute.findResources("AWS::Logs::LogGroup");
    const groupIdByName = new Map(
      Object.entries(groups).map(([id, g]) => [g.Properties.LogGroupName as string, id]),
    );
    for (const query of LOG_QUERIES) {
      const props = byName.get(`ledgerquest-beta-queries/${query.id}`);
      expect(props, query.id).toBeDefined();
      expect(props?.QueryString).toBe(query.query);
      const names = ((props?.LogGroupNames ?? []) as unknown[]).map(importedName);
      expect(names).toHaveLength(query.handlers.length);
      query.handlers.forEach((handler, i) => {
        const groupId = groupIdByName.get(`/aws/lambda/ledgerquest-beta-${handler}`);
        expect(groupId, handler).toBeDefined();
        expect(names[i]).toContain(groupId);
      });
    }
  });

  it("charts every query on the game's dashboard", () => {
    const dashboards = observability.findResources("AWS::CloudWatch::Dashboard");
    const body = JSON.stringify(Object.values(dashboards)[0]?.Properties.DashboardBody);
    for (const query of LOG_QUERIES) {
      expect(body).toContain(JSON.stringify(query.title).slice(1, -1));
    }
    expect(body.match(/"type\\":\\"log\\"/g)?.length).toBe(LOG_QUERIES.length);
  });

  it("forwards nothing to Datadog unless asked", () => {
    observability.resourceCountIs("AWS::Logs::SubscriptionFilter", 0);
  });
});

describe("Datadog forwarding", () => {
  it("subscribes every function's log group and the game loop's to the forwarder, cdk-nag clean", () => {
    const { lq, outdir, observability, compute } = synth(
      { [CONTEXT_KEYS.datadogForwarderArn]: FORWARDER },
      true,
    );
    lq.app.synth();
    const report = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8"));
    const violations = (report.pluginReports as { violations?: unknown[] }[]).flatMap(
      (r) => r.violations ?? [],
    );
    expect(violations).toEqual([]);

    const groups = Object.keys(compute.findResources("AWS::Logs::LogGroup"));
    const filters = Object.values(observability.findResources("AWS::Logs::SubscriptionFilter"));
    expect(filters).toHaveLength(groups.length);
    expect(filters.map((f) => f.Properties.DestinationArn)).toEqual(filters.map(() => FORWARDER));
    expect(filters.map((f) => f.Properties.FilterPattern)).toEqual(filters.map(() => ""));
    const subscribed = filters.map((f) => importedName(f.Properties.LogGroupName)).sort();
    for (const group of groups) expect(subscribed.some((name) => name.includes(group))).toBe(true);
    // CloudWatch Logs may invoke the forwarder, each grant limited to one log group.
    observability.resourcePropertiesCountIs(
      "AWS::Lambda::Permission",
      {
        Action: "lambda:InvokeFunction",
        FunctionName: FORWARDER,
        Principal: Match.stringLikeRegexp("logs"),
        SourceArn: Match.anyValue(),
      },
      groups.length,
    );
  });

  it("refuses a forwarder that is not a Lambda function ARN, naming the setting", () => {
    expect(() => synth({ [CONTEXT_KEYS.datadogForwarderArn]: "DatadogForwarder" })).toThrow(
      InfraConfigError,
    );
    expect(() => synth({ [CONTEXT_KEYS.datadogForwarderArn]: "DatadogForwarder" })).toThrow(
      /lq:datadogForwarderArn/,
    );
  });
});
