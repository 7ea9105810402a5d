// How wildcard findings are acknowledged (nag.ts): by the exact resource a grant means, or an
// anchored pattern, never by a tail that other resources share. Without cdk-nag's full run
// (nag.test.ts does that, slowly): `acknowledgeIntendedWildcards` is what runs before it.
import { App, Stack, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { appContext, type LedgerQuestApp } from "../src/app.js";
import { InfraConfigError } from "../src/errors.js";
import { acknowledgeIntendedWildcards, allowWildcardResource } from "../src/nag.js";
import { stubApp, tempDir } from "./helpers.js";

process.env.CDK_VALIDATION = "false";

/** The IAM5 resource findings acknowledged under `scope`, as [finding id, reason], per policy. */
function resourceAcks(scope: IConstruct): [string, string][] {
  const found: [string, string][] = [];
  for (const node of scope.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
        // Validations keys an acknowledgement by its kind: `Annotation::<rule id>`.
        const id = key.replace(/^Annotation::/, "");
        if (id.startsWith("AwsSolutions-IAM5[Resource::")) found.push([id, reason]);
      }
    }
  }
  return found;
}

const finding = (resource: string) => `AwsSolutions-IAM5[Resource::${resource}]`;

describe("a wildcard resource intent", () => {
  it("acknowledges the resource it names and nothing that merely ends like it", () => {
    const app = new App({ context: appContext(), outdir: tempDir("nag-intents") });
    const stack = new Stack(app, "Intents");
    const bucket = new s3.Bucket(stack, "Artifacts");
    const role = new iam.Role(stack, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["s3:GetObject"],
        resources: [bucket.arnForObjects("*")],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["iam:PassRole"],
        resources: [`arn:aws:iam::${stack.account}:role/*`],
      }),
    );
    allowWildcardResource(role, bucket.arnForObjects("*"), "objects of the artifact bucket");
    acknowledgeIntendedWildcards(app);

    const acks = resourceAcks(app);
    expect(acks.map(([, reason]) => reason)).toEqual(["objects of the artifact bucket"]);
    expect(acks[0]?.[0]).toMatch(/^AwsSolutions-IAM5\[Resource::<Artifacts\w+\.Arn>\/\*\]$/);
    expect(acks.some(([id]) => id === finding("arn:aws:iam::<AWS::AccountId>:role/*"))).toBe(false);
  });

  it("refuses a pattern that is not anchored at both ends, and a resource with no wildcard", () => {
    const stack = new Stack(new App({ context: appContext() }), "Refused");
    expect(() => allowWildcardResource(stack, /\/\*$/, "any objects")).toThrow(InfraConfigError);
    expect(() => allowWildcardResource(stack, /^arn:.*\/\*/, "no end anchor")).toThrow(
      InfraConfigError,
    );
    expect(() => allowWildcardResource(stack, "arn:aws:s3:::bucket", "no wildcard")).toThrow(
      InfraConfigError,
    );
  });
});

describe("the app's intents", () => {
  let lq: LedgerQuestApp;

  beforeAll(() => {
    lq = stubApp();
    acknowledgeIntendedWildcards(lq.app);
  });

  it("acknowledge the pipeline's role/* as the bootstrap roles, not as the artifact bucket's objects", () => {
    const pipeline = lq.pipeline as NonNullable<LedgerQuestApp["pipeline"]>;
    const acks = resourceAcks(pipeline.pipeline);
    const roles = acks.find(([id]) => id === finding("arn:*:iam::<AWS::AccountId>:role/*"))?.[1];
    expect(roles).toMatch(/CDK bootstrap roles/);
    expect(roles).not.toMatch(/artifact bucket/);
    // Every acknowledged artifact-bucket reason is on the artifact bucket's objects.
    for (const [id, reason] of acks) {
      if (reason.includes("objects of the pipeline's artifact bucket")) {
        expect(id).toMatch(
          /^AwsSolutions-IAM5\[Resource::<PipelineArtifactsBucket\w+\.Arn>\/\*\]$/,
        );
      }
    }
  });

  it("acknowledge the functions' world-state objects and pushes by their exact resources", () => {
    const acks = resourceAcks(lq.stage.compute);
    const byReason = (text: string) =>
      acks.filter(([, reason]) => reason.includes(text)).map(([id]) => id);
    for (const id of byReason("worlds/")) expect(id).toMatch(/Assets\w+\.Arn>\/worlds\/\*\]$/);
    expect(byReason("worlds/").length).toBe(2); // query and tick
    for (const id of byReason("POST to any connection")) {
      expect(id).toMatch(/\/beta\/POST\/@connections\/\*\]$/);
    }
  });
});
