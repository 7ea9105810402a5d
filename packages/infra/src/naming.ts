/**
 * Physical names, in one place. Most resources keep CloudFormation's generated names (tables,
 * buckets), so that two stages can live in one account and a replacement never collides. A few
 * names are fixed on purpose, each for a reason given here.
 */
import { ArnFormat, Stack } from "aws-cdk-lib";
import type { Construct } from "constructs";
import type { StageName } from "./contract.js";

/** The prefix of every fixed name: `ledgerquest-beta-...`. */
export function qualifiedName(stage: StageName, name: string): string {
  return `ledgerquest-${stage}-${name}`;
}

/** The alias every function is invoked through; CodeDeploy shifts it between versions. */
export const LIVE_ALIAS = "live";

/**
 * A handler's function name. Fixed because ApiStack deploys before ComputeStack (the functions
 * need the WebSocket endpoint and the user pool) while its routes and authorizer must name the
 * functions: by name and alias ARN, with no CloudFormation reference that would close a cycle.
 */
export function functionName(stage: StageName, handler: string): string {
  return qualifiedName(stage, handler);
}

/** The ARN of a handler's live alias, in `scope`'s account and region. */
export function liveAliasArn(scope: Construct, stage: StageName, handler: string): string {
  return Stack.of(scope).formatArn({
    service: "lambda",
    resource: "function",
    resourceName: `${functionName(stage, handler)}:${LIVE_ALIAS}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * A state machine's name. Fixed because the game loop starts its own successor (continue-as-new)
 * and so needs `states:StartExecution` on its own ARN: a reference to itself in its role's policy
 * would be a cycle, the ARN built from the name is not.
 */
export function stateMachineName(stage: StageName, name: string): string {
  return qualifiedName(stage, name);
}

export function stateMachineArn(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({
    service: "states",
    resource: "stateMachine",
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
