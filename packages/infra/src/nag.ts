/**
 * cdk-nag's AwsSolutions pack as a validation plugin, with one addition: wildcards that a grant
 * means can be acknowledged where the grant is made, by what they are for.
 *
 * cdk-nag reports each wildcard of a policy as its own finding, named by the flattened resource,
 * e.g. `AwsSolutions-IAM5[Resource::LedgerQuest-beta-Core:ExportsOutputFnGetAttAssets...Arn.../worlds/*]`.
 * Those names hold export names and hashes that exist only once the app is synthesized, so they
 * cannot be written next to the grant. Instead a grant records its intent (`allowWildcardResource`:
 * "objects under worlds/ of the assets bucket"; `allowUnscopedActions`: "X-Ray takes no
 * resource"), and just before cdk-nag runs, each finding that such an intent covers is
 * acknowledged on its policy, with the intent's reason. Anything else still fails the synth.
 *
 * A resource intent names its resource exactly: the resource as the grant wrote it (tokens and
 * all: `bucket.arnForObjects("worlds/*")`), which is compared with each finding after both are
 * resolved in the policy's stack and flattened as cdk-nag flattens them; or, for resources that
 * a construct of CDK's own generates (CDK Pipelines' roles, BucketDeployment's asset bucket), an
 * anchored regular expression over the flattened name. A suffix would do neither: `/*` meant for
 * "objects of a bucket" also ends `role/*`, which would then pass under the bucket's reason.
 *
 * In a pattern, `<AWS::Partition>`, `<AWS::Region>` and `<AWS::AccountId>` stand for the policy's
 * stack's own, as cdk-nag names them there: the placeholders themselves in an environment-agnostic
 * stack, the literal values (`aws`, `eu-west-1`, `123456789012`) in a stack with a concrete
 * environment (`lq:account`, `lq:region`), where CDK writes them into the ARNs. Either way the
 * pattern names the one partition, region and account, never any.
 */
import {
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  Stack,
  Validations,
} from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { AwsSolutionsChecks } from "cdk-nag";
// cdk-nag's own flattening, so that the acknowledged names are the ones it reports.
import { flattenCfnReference } from "cdk-nag/lib/utils/flatten-cfn-reference.js";
import type { IConstruct } from "constructs";
import { InfraConfigError } from "./errors.js";

const INTENTS = Symbol.for("ledgerquest.wildcardIntents");

/**
 * A wildcard resource a grant means: the resource as granted (a string, tokens allowed), or an
 * anchored pattern (`^...$`) over cdk-nag's flattened name of it.
 */
export type IntendedResource = string | RegExp;

interface WildcardIntents {
  /** Wildcard resources that are meant (object keys under a prefix, and the like). */
  readonly resources: { readonly resource: IntendedResource; readonly reason: string }[];
  /** Actions that take no resource (`Resource: "*"` is the only way to grant them). */
  readonly unscoped: { readonly actions: ReadonlySet<string>; readonly reason: string }[];
  /** Wildcard actions that are meant (`s3:GetObject*` in CDK's own bucket grants). */
  readonly actions: { readonly actions: ReadonlySet<string>; readonly reason: string }[];
}

function intentsOf(scope: IConstruct): WildcardIntents {
  const holder = scope as IConstruct & { [INTENTS]?: WildcardIntents };
  holder[INTENTS] ??= { resources: [], unscoped: [], actions: [] };
  return holder[INTENTS];
}

/**
 * The policies under `scope` (a role, a function, a state machine) use `resource` on purpose,
 * e.g. `bucket.arnForObjects("worlds/*")` for the objects under a prefix. A string must be the
 * resource exactly as granted; a pattern must be anchored at both ends (`^...$`), so that it
 * names whole resources, never a tail that other resources share. A pattern's `<AWS::Partition>`,
 * `<AWS::Region>` and `<AWS::AccountId>` are those of the policy's stack, whatever its environment.
 */
export function allowWildcardResource(
  scope: IConstruct,
  resource: IntendedResource,
  reason: string,
): void {
  if (resource instanceof RegExp && !isAnchored(resource)) {
    throw new InfraConfigError(
      "allowWildcardResource",
      `the pattern ${resource} must be anchored at both ends (^...$): a partial match would pass other resources under this reason`,
    );
  }
  if (typeof resource === "string" && !resource.includes("*")) {
    throw new InfraConfigError(
      "allowWildcardResource",
      `${resource} has no wildcard: only wildcard resources are findings`,
    );
  }
  intentsOf(scope).resources.push({ resource, reason });
}

function isAnchored(pattern: RegExp): boolean {
  const { source } = pattern;
  return source.startsWith("^") && source.endsWith("$") && !source.endsWith("\\$");
}

/**
 * The policies under `scope` grant these actions on `Resource: "*"` on purpose: AWS documents
 * them as taking no resource (the IAM service authorization reference).
 */
export function allowUnscopedActions(
  scope: IConstruct,
  actions: readonly string[],
  reason: string,
): void {
  intentsOf(scope).unscoped.push({ actions: new Set(actions), reason });
}

/** The policies under `scope` use these wildcard actions on purpose. */
export function allowWildcardActions(
  scope: IConstruct,
  actions: readonly string[],
  reason: string,
): void {
  intentsOf(scope).actions.push({ actions: new Set(actions), reason });
}

interface Statement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly Resource?: unknown;
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** The pseudo parameters a pattern may name, by cdk-nag's placeholder for each. */
const PSEUDO_PARAMETERS = {
  "<AWS::Partition>": (stack: Stack) => stack.partition,
  "<AWS::Region>": (stack: Stack) => stack.region,
  "<AWS::AccountId>": (stack: Stack) => stack.account,
} as const;

/**
 * `pattern` with each placeholder replaced by what cdk-nag names that pseudo parameter in
 * `stack`: itself where the stack is environment-agnostic (`{ Ref: "AWS::Region" }` flattens to
 * `<AWS::Region>`), the stack's literal value where it has a concrete environment.
 */
function inStackEnvironment(pattern: RegExp, stack: Stack): RegExp {
  let source = pattern.source;
  for (const [placeholder, value] of Object.entries(PSEUDO_PARAMETERS)) {
    const name = flattenCfnReference(stack.resolve(value(stack)));
    const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    source = source.replaceAll(placeholder, () => escaped);
  }
  return new RegExp(source, pattern.flags);
}

/** Acknowledges, on each policy, the IAM5 resource findings its scopes' intents cover. */
export function acknowledgeIntendedWildcards(root: IConstruct): number {
  let acknowledged = 0;
  for (const node of root.node.findAll()) {
    if (!(node instanceof iam.CfnPolicy)) continue;
    const resources: WildcardIntents["resources"] = [];
    const unscoped: WildcardIntents["unscoped"] = [];
    const wildActions: WildcardIntents["actions"] = [];
    for (let scope: IConstruct | undefined = node; scope; scope = scope.node.scope) {
      const intents = (scope as { [INTENTS]?: WildcardIntents })[INTENTS];
      if (intents !== undefined) {
        resources.push(...intents.resources);
        unscoped.push(...intents.unscoped);
        wildActions.push(...intents.actions);
      }
    }
    if (resources.length + unscoped.length + wildActions.length === 0) continue;
    const stack = Stack.of(node);
    const doc = stack.resolve(node.policyDocument) as { Statement?: Statement[] };
    // Each intent's resource as cdk-nag names it in this policy's stack.
    const intended = resources.map(({ resource, reason }) => ({
      matches:
        typeof resource === "string"
          ? (name: string) => name === flattenCfnReference(stack.resolve(resource))
          : (name: string) => inStackEnvironment(resource, stack).test(name),
      reason,
    }));
    const acks = new Map<string, string>();
    let starStatements = 0;
    let starCovered = 0;
    const starReasons = new Set<string>();
    for (const statement of doc.Statement ?? []) {
      if (statement.Effect !== "Allow") continue;
      for (const action of list(statement.Action).filter((a) => a.includes("*"))) {
        const intent = wildActions.find((w) => w.actions.has(action));
        if (intent !== undefined) acks.set(`AwsSolutions-IAM5[Action::${action}]`, intent.reason);
      }
      for (const resource of list(statement.Resource).map((r) => flattenCfnReference(r))) {
        if (resource === "*") {
          starStatements++;
          const actions = list(statement.Action);
          const cover = actions.map((a) => unscoped.find((u) => u.actions.has(a)));
          if (cover.every((c) => c !== undefined)) {
            starCovered++;
            for (const c of cover) if (c !== undefined) starReasons.add(c.reason);
          }
          continue;
        }
        if (!resource.includes("*")) continue;
        const intent = intended.find((i) => i.matches(resource));
        if (intent !== undefined)
          acks.set(`AwsSolutions-IAM5[Resource::${resource}]`, intent.reason);
      }
    }
    // One finding stands for every `*` of a policy: acknowledged only if each is meant.
    if (starStatements > 0 && starCovered === starStatements) {
      acks.set("AwsSolutions-IAM5[Resource::*]", [...starReasons].join(" "));
    }
    for (const [id, reason] of acks) {
      Validations.of(node).acknowledge({ id, reason });
      acknowledged++;
    }
  }
  return acknowledged;
}

/** AwsSolutionsChecks, after acknowledging the wildcards the grants mean. */
export class LedgerQuestNagChecks implements IPolicyValidationPlugin {
  readonly name: string;
  readonly version?: string;
  readonly ruleIds?: string[];
  readonly #inner: AwsSolutionsChecks;

  constructor(private readonly root: IConstruct) {
    this.#inner = new AwsSolutionsChecks(root, { verbose: true });
    this.name = this.#inner.name;
    if (this.#inner.version !== undefined) this.version = this.#inner.version;
    if (this.#inner.ruleIds !== undefined) this.ruleIds = this.#inner.ruleIds;
  }

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    acknowledgeIntendedWildcards(this.root);
    return this.#inner.validate(context);
  }
}

/** X-Ray's write actions: AWS documents them as taking no resource. */
export const XRAY_WRITE_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"] as const;

/**
 * What a state machine with logging and tracing needs on `*`: CloudWatch Logs' vended-log
 * delivery actions and X-Ray's (the Step Functions developer guide lists them so).
 */
export const STATE_MACHINE_UNSCOPED_ACTIONS = [
  "logs:CreateLogDelivery",
  "logs:GetLogDelivery",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:DescribeResourcePolicies",
  "logs:DescribeLogGroups",
  ...XRAY_WRITE_ACTIONS,
  "xray:GetSamplingRules",
  "xray:GetSamplingTargets",
] as const;
