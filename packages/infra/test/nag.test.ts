// The whole app as `npm run synth` builds it: real bundles (esbuild), CloudFormation's built-in
// validation on, and cdk-nag's AwsSolutions pack, where any finding not acknowledged fails.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App, Stack, Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as s3 from "aws-cdk-lib/aws-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { appContext, createLedgerQuestApp, type LedgerQuestApp } from "../src/app.js";
import { bundleLambdaHandlers, type HandlerBundles } from "../src/bundles.js";
import { CONTEXT_KEYS } from "../src/contract.js";
import { LedgerQuestNagChecks } from "../src/nag.js";
import { ARENA_CONFIG, siteDir, tempDir } from "./helpers.js";

let bundles: HandlerBundles;
let lq: LedgerQuestApp;
let outdir: string;

beforeAll(async () => {
  delete process.env.CDK_VALIDATION;
  bundles = await bundleLambdaHandlers(tempDir("bundles"), ARENA_CONFIG);
  outdir = tempDir("cdk-out");
  lq = createLedgerQuestApp({
    bundles,
    context: { [CONTEXT_KEYS.siteAssetPath]: siteDir() },
    outdir,
  });
  lq.app.synth();
});

/** Every acknowledgement recorded in the tree, as `rule id → reason`. */
function acknowledgements(app: App): Map<string, string>[] {
  const found: Map<string, string>[] = [];
  for (const node of app.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && entry.data) {
        found.push(new Map(Object.entries(entry.data as Record<string, string>)));
      }
    }
  }
  return found;
}

describe("npm run synth", () => {
  it("passes cdk-nag's AwsSolutions checks, every remaining finding acknowledged with a reason", () => {
    // synth() threw in beforeAll otherwise; the report lists no plugin with violations either.
    const report = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8"));
    const failing = (report.pluginReports as { violations?: unknown[] }[]).filter(
      (r) => (r.violations ?? []).length > 0,
    );
    expect(failing).toEqual([]);
    const acks = acknowledgements(lq.app).flatMap((m) => [...m.entries()]);
    const nagAcks = acks.filter(([id]) => id.includes("AwsSolutions-"));
    expect(nagAcks.length).toBeGreaterThan(20);
    for (const [id, reason] of nagAcks) {
      expect(reason.length, id).toBeGreaterThan(40);
    }
  });

  it("fails on a finding nobody acknowledged", () => {
    const app = new App({ context: appContext(), outdir: tempDir("cdk-out-bad") });
    const stack = new Stack(app, "Careless");
    new s3.Bucket(stack, "Open", { enforceSSL: false });
    Validations.of(app).addPlugins(new LedgerQuestNagChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  it("deploys the bundles @ledgerquest/aws's bundle script builds, byte for byte", () => {
    const template = Template.fromStack(lq.stage.compute).toJSON();
    for (const [handler, dir] of Object.entries(bundles)) {
      const fn = Object.values(
        template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
      ).find(
        (r) =>
          r.Type === "AWS::Lambda::Function" &&
          r.Properties.FunctionName === `ledgerquest-beta-${handler}`,
      );
      const key = (fn?.Properties.Code as { S3Key?: string } | undefined)?.S3Key ?? "";
      const asset = join(outdir, `asset.${key.replace(/\.zip$/, "")}`, "index.mjs");
      expect(readFileSync(asset).equals(readFileSync(join(dir, "index.mjs"))), handler).toBe(true);
    }
    // The bundle is the handler: an ESM module exporting `handler`, built for Node 20+.
    const tick = readFileSync(join(bundles.tick, "index.mjs"), "utf8");
    expect(tick).toMatch(/export\s*\{[^}]*\bhandler\b/);
  });
});
