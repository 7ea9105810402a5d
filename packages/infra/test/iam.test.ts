// What each function may do to which items of the two tables, read from the synthesized
// templates: the actions, and the `dynamodb:LeadingKeys` patterns that bound them.
//
// Why template assertions: DynamoDB Local ignores IAM entirely, so the local stack and every
// DynamoDB test run as if all were allowed. A missing grant (the command's watermark GetItem) is
// an AccessDenied only in AWS; a too-wide one (any role writing journal items) is never seen at
// all. The synthesized policies are the only place where either shows before a deployment: this
// file pins what they allow, and iam-local-path.test.ts checks every request the handlers really
// send against them.
import { AUDIT_LOG, ENTITY_TABLE } from "@ledgerquest/runtime";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import type { LedgerQuestApp } from "../src/app.js";
import { actionsOf, policyStatements, stubApp } from "./helpers.js";
import { constructIdOf, type KeyGrant, keyGrantsOf, keyMatches } from "./iam-policies.js";

process.env.CDK_VALIDATION = "false";

let lq: LedgerQuestApp;
/** Every stage's compute template: the app's beta stage, and the pipeline's beta and prod. */
const computes: Record<string, Template> = {};

beforeAll(() => {
  lq = stubApp();
  computes.beta = Template.fromStack(lq.stage.compute);
  const pipeline = lq.pipeline as NonNullable<LedgerQuestApp["pipeline"]>;
  computes["pipeline beta"] = Template.fromStack(pipeline.beta.stacks.compute);
  computes["pipeline prod"] = Template.fromStack(pipeline.prod.stacks.compute);
});

const ENTITY = ENTITY_TABLE.logicalName;
const AUDIT = AUDIT_LOG.logicalName;
const BY_WORLD = `${ENTITY}/index/byWorld`;

/** `<table> <action> <key pattern>` for each grant of a function, sorted. */
function grantsOf(template: Template, handler: string): string[] {
  return keyGrantsOf(template, handler)
    .flatMap((g) => (g.keys ?? ["(every item)"]).map((k) => `${g.table} ${g.action} ${k}`))
    .sort();
}

const lines = (table: string, actions: readonly string[], keys: readonly string[]) =>
  actions.flatMap((a) => keys.map((k) => `${table} dynamodb:${a} ${k}`));

/**
 * What each function may do, written out by hand from the adapters' calls (data-model.md has
 * the same table). A grant added or lost anywhere shows here.
 */
const EXPECTED: Readonly<Record<string, readonly string[]>> = {
  authorizer: [],
  connect: [
    ...lines(ENTITY, ["GetItem"], ["world#*", "player#*", "acct#*"]),
    ...lines(ENTITY, ["BatchGetItem"], ["player#*", "acct#*"]),
    ...lines(ENTITY, ["GetItem", "PutItem"], ["conn#*"]),
    ...lines(ENTITY, ["GetItem", "UpdateItem"], ["presence#*"]),
  ],
  disconnect: [
    ...lines(ENTITY, ["DeleteItem"], ["conn#*"]),
    ...lines(ENTITY, ["UpdateItem"], ["presence#*"]),
  ],
  command: [
    ...lines(ENTITY, ["GetItem", "UpdateItem"], ["conn#*"]),
    ...lines(AUDIT, ["PutItem"], ["inbox#*", "cmdid#*"]),
    ...lines(AUDIT, ["ConditionCheckItem", "GetItem"], ["inbox#*"]),
  ],
  query: [
    ...lines(ENTITY, ["GetItem", "UpdateItem"], ["conn#*"]),
    ...lines(ENTITY, ["GetItem"], ["world#*", "player#*", "acct#*"]),
    ...lines(ENTITY, ["BatchGetItem"], ["player#*", "acct#*"]),
    `${ENTITY} dynamodb:Scan (every item)`,
    ...lines(BY_WORLD, ["Query"], ["conns#*"]),
    ...lines(AUDIT, ["GetItem", "Query"], ["journal#*", "batch#*"]),
    ...lines(AUDIT, ["Query"], ["inbox#*"]),
  ],
  tick: [
    ...lines(ENTITY, ["GetItem", "PutItem"], ["world#*"]),
    ...lines(ENTITY, ["PutItem"], ["player#*", "acct#*"]),
    ...lines(BY_WORLD, ["Query"], ["conns#*"]),
    ...lines(ENTITY, ["DeleteItem"], ["conn#*"]),
    ...lines(ENTITY, ["UpdateItem"], ["presence#*"]),
    ...lines(AUDIT, ["GetItem", "PutItem", "Query"], ["journal#*", "batch#*"]),
    ...lines(AUDIT, ["GetItem", "Query", "UpdateItem"], ["inbox#*"]),
  ],
  "audit-stream": [
    ...lines(ENTITY, ["GetItem"], ["world#*", "player#*", "acct#*"]),
    ...lines(ENTITY, ["BatchGetItem"], ["player#*", "acct#*"]),
    ...lines(ENTITY, ["GetItem", "UpdateItem"], ["chain#*"]),
    ...lines(ENTITY, ["GetItem", "PutItem"], ["leaderboard#*"]),
    ...lines(AUDIT, ["GetItem", "Query"], ["journal#*", "batch#*"]),
  ],
  supervisor: [
    ...lines(BY_WORLD, ["Query"], ["worlds#active"]),
    ...lines(ENTITY, ["GetItem"], ["world#*"]),
  ],
};

/** Whether any of `grants` allows `action` on an item with partition key `key` of `table`. */
function allows(grants: readonly KeyGrant[], table: string, action: string, key: string): boolean {
  return grants.some((g) => g.table === table && g.action === action && keyMatches(g.keys, key));
}

describe("each function's access to the tables", () => {
  it("is exactly its intents: these actions on these keys, nothing on any other item", () => {
    for (const [stage, template] of Object.entries(computes)) {
      for (const [handler, expected] of Object.entries(EXPECTED)) {
        expect(grantsOf(template, handler), `${stage} ${handler}`).toEqual([...expected].sort());
      }
    }
  });

  it("bounds every item action by its keys: only the operators' Scan reads the whole table", () => {
    for (const [stage, template] of Object.entries(computes)) {
      for (const handler of Object.keys(EXPECTED)) {
        for (const g of keyGrantsOf(template, handler)) {
          if (g.action === "dynamodb:Scan") expect(handler, stage).toBe("query");
          else expect(g.keys, `${stage} ${handler} ${g.action} on ${g.table}`).toBeDefined();
        }
      }
    }
  });
});

describe("the journal", () => {
  const journalKeys = ["journal#w1#0", "batch#w1"];

  it("is written by the tick function alone, and only by conditional creates", () => {
    for (const [stage, template] of Object.entries(computes)) {
      for (const handler of Object.keys(EXPECTED)) {
        const grants = keyGrantsOf(template, handler);
        for (const key of journalKeys) {
          expect(allows(grants, AUDIT, "dynamodb:PutItem", key), `${stage} ${handler} ${key}`).toBe(
            handler === "tick",
          );
          for (const action of ["dynamodb:UpdateItem", "dynamodb:DeleteItem"]) {
            expect(allows(grants, AUDIT, action, key), `${stage} ${handler} ${action} ${key}`).toBe(
              false,
            );
          }
        }
      }
    }
  });

  it("cannot be rewritten by the command function, which puts commands and command ids only", () => {
    const grants = keyGrantsOf(computes.beta as Template, "command");
    expect(allows(grants, AUDIT, "dynamodb:PutItem", "inbox#w1#0")).toBe(true);
    expect(allows(grants, AUDIT, "dynamodb:PutItem", "cmdid#w1#player_0001")).toBe(true);
    for (const key of [...journalKeys, "chain#w1", "anything"]) {
      expect(allows(grants, AUDIT, "dynamodb:PutItem", key), key).toBe(false);
    }
  });
});

describe("the inbox watermarks", () => {
  const watermark = "inbox#w1#3";

  it("can be read by the command function (its retry path reads the watermark that rose)", () => {
    for (const [stage, template] of Object.entries(computes)) {
      const grants = keyGrantsOf(template, "command");
      expect(allows(grants, AUDIT, "dynamodb:GetItem", watermark), stage).toBe(true);
      expect(allows(grants, AUDIT, "dynamodb:ConditionCheckItem", watermark), stage).toBe(true);
      expect(allows(grants, AUDIT, "dynamodb:UpdateItem", watermark), stage).toBe(false);
    }
  });

  it("are moved by the tick function alone", () => {
    for (const [stage, template] of Object.entries(computes)) {
      for (const handler of Object.keys(EXPECTED)) {
        const grants = keyGrantsOf(template, handler);
        expect(allows(grants, AUDIT, "dynamodb:UpdateItem", watermark), `${stage} ${handler}`).toBe(
          handler === "tick",
        );
      }
      // And the tick updates nothing else of the AuditLog.
      const tick = keyGrantsOf(template, "tick");
      for (const key of ["journal#w1#0", "batch#w1", "cmdid#w1#p"]) {
        expect(allows(tick, AUDIT, "dynamodb:UpdateItem", key), key).toBe(false);
      }
    }
  });
});

describe("publishing to the game's bus", () => {
  /** The `events:source` each function may publish with, one entry per PutEvents statement. */
  function publishSources(template: Template, handler: string): unknown[] {
    const prefix = `${constructIdOf(handler)}Role`;
    return policyStatements("compute", template.toJSON())
      .filter((f) => f.policy.startsWith(prefix))
      .filter((f) => actionsOf(f.statement).includes("events:PutEvents"))
      .map((f) => f.statement.Condition ?? "(any source)");
  }

  it("lets the tick publish game events and the stream verifier ops events, no one else anything", () => {
    for (const [stage, template] of Object.entries(computes)) {
      for (const handler of Object.keys(EXPECTED)) {
        const expected =
          handler === "tick"
            ? [{ StringEquals: { "events:source": "ledgerquest.game" } }]
            : handler === "audit-stream"
              ? [{ StringEquals: { "events:source": "ledgerquest.ops" } }]
              : [];
        expect(publishSources(template, handler), `${stage} ${handler}`).toEqual(expected);
      }
    }
  });
});
