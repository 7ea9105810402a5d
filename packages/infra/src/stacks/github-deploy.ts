/**
 * GitHubDeployStack: what lets a GitHub Actions workflow deploy into this account with no
 * long-lived secret. Deployed once, by hand, into each account a stage deploys to (docs/deploy.md,
 * "Deploying from GitHub Actions"):
 *
 * - GitHub's OpenID Connect provider (`token.actions.githubusercontent.com`, audience
 *   `sts.amazonaws.com`), or the account's existing one (`lq:githubOidcProviderArn`: an account
 *   holds one provider per issuer);
 * - one deploy role per stage, `ledgerquest-github-deploy-<stage>`, that only a job of the named
 *   repository running in the GitHub environment of that stage may assume
 *   (`repo:<owner>/<name>:environment:<stage>`; GitHub environments add required reviewers, branch
 *   rules and their own variables, such as the role's ARN of the stage's account);
 * - the role may do what `ledgerquest deploy` does without a profile: look the CDK bootstrap stack
 *   up, and assume the CDK bootstrap roles of this account (deploy, file publishing, lookup),
 *   which hold the actual deployment permissions. It cannot bootstrap: that needs an
 *   administrator once.
 */
import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import type { StageName } from "../contract.js";
import { InfraConfigError } from "../errors.js";
import { allowWildcardResource } from "../nag.js";

/** The issuer of GitHub Actions' OIDC tokens. */
export const GITHUB_OIDC_ISSUER = "token.actions.githubusercontent.com";

/** The audience `aws-actions/configure-aws-credentials` asks GitHub's tokens for. */
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

/** The CDK bootstrap qualifier the app deploys with (CDK's default). */
export const CDK_QUALIFIER = "hnb659fds";

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

export interface GitHubDeployStackProps extends StackProps {
  /** The repository whose workflows may deploy, `owner/name`. */
  readonly repository: string;
  /** The stages this account receives: a deploy role each. */
  readonly stages: readonly StageName[];
  /** The account's existing GitHub OIDC provider. @default one is created */
  readonly oidcProviderArn?: string;
}

/** The name of a stage's deploy role: the workflow's `LQ_DEPLOY_ROLE_ARN` names it. */
export function githubDeployRoleName(stage: StageName): string {
  return `ledgerquest-github-deploy-${stage}`;
}

/** The `sub` claim of a job of `repository` running in the GitHub environment `stage`. */
export function githubSubject(repository: string, stage: StageName): string {
  return `repo:${repository}:environment:${stage}`;
}

export class GitHubDeployStack extends Stack {
  readonly provider: iam.IOidcProvider;
  readonly roles: Readonly<Partial<Record<StageName, iam.Role>>>;

  constructor(scope: Construct, id: string, props: GitHubDeployStackProps) {
    super(scope, id, props);
    if (!REPOSITORY.test(props.repository)) {
      throw new InfraConfigError(
        "lq:repository",
        `expected the repository as owner/name, got ${props.repository}`,
      );
    }
    this.provider =
      props.oidcProviderArn === undefined
        ? new iam.OidcProviderNative(this, "GitHubOidc", {
            url: `https://${GITHUB_OIDC_ISSUER}`,
            clientIds: [GITHUB_OIDC_AUDIENCE],
          })
        : iam.OidcProviderNative.fromOidcProviderArn(this, "GitHubOidc", props.oidcProviderArn);
    const roles: Partial<Record<StageName, iam.Role>> = {};
    for (const stage of props.stages) {
      roles[stage] = this.deployRole(props.repository, stage);
    }
    this.roles = roles;
  }

  private deployRole(repository: string, stage: StageName): iam.Role {
    const role = new iam.Role(this, `DeployRole-${stage}`, {
      roleName: githubDeployRoleName(stage),
      description: `GitHub Actions of ${repository}, environment ${stage}: ledgerquest deploy --stage ${stage}`,
      assumedBy: new iam.WebIdentityPrincipal(this.provider.oidcProviderArn, {
        StringEquals: {
          [`${GITHUB_OIDC_ISSUER}:aud`]: GITHUB_OIDC_AUDIENCE,
          [`${GITHUB_OIDC_ISSUER}:sub`]: githubSubject(repository, stage),
        },
      }),
    });
    // The bootstrap roles hold the deployment's permissions; this role only reaches them. Their
    // names end in the region, and a stage may deploy to any region of the account.
    const bootstrapRoles = ["deploy", "file-publishing", "image-publishing", "lookup"].map(
      (kind) =>
        `arn:${this.partition}:iam::${this.account}:role/cdk-${CDK_QUALIFIER}-${kind}-role-${this.account}-*`,
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ["sts:AssumeRole", "sts:TagSession"],
        resources: bootstrapRoles,
      }),
    );
    // `ledgerquest deploy` looks the bootstrap stack up before deciding to bootstrap.
    const bootstrapStack = `arn:${this.partition}:cloudformation:*:${this.account}:stack/CDKToolkit/*`;
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ["cloudformation:DescribeStacks"],
        resources: [bootstrapStack],
      }),
    );
    for (const resource of bootstrapRoles) {
      allowWildcardResource(
        role,
        resource,
        "The CDK bootstrap role of this account (qualifier hnb659fds) in whichever region the stage deploys to: the region ends its name.",
      );
    }
    allowWildcardResource(
      role,
      bootstrapStack,
      "The CDK bootstrap stack (CDKToolkit) of this account, in whichever region: a stack ARN ends in its generated id.",
    );
    new CfnOutput(this, `DeployRoleArn-${stage}`, {
      value: role.roleArn,
      description: `The ${stage} environment's LQ_DEPLOY_ROLE_ARN variable in the repository's settings`,
    });
    return role;
  }
}
