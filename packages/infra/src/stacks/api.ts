/**
 * ApiStack: how players reach the game.
 *
 * - the WebSocket API, its route selection and routes from the one-source command schema
 *   (`ROUTE_SELECTION_EXPRESSION`, `COMMAND_ROUTES`): `$connect` behind the Lambda REQUEST
 *   authorizer (a JWT from Cognito), `$disconnect`, `$default` and one route per command action,
 *   the command routes answering on the socket (route responses, see handlers/command.ts);
 * - the stage, throttled, with JSON access logs;
 * - the Cognito user pool players sign in with (created here, or an existing one by id);
 * - the dashboard's static site: a private bucket behind CloudFront with origin access control.
 *
 * This stack deploys before ComputeStack, which needs the stage's URL and the user pool for the
 * functions' configuration. The routes and the authorizer name the functions' live aliases by
 * ARN (naming.ts), not by reference, and ComputeStack grants API Gateway the right to invoke
 * them: so there is no cycle between the two stacks.
 */
import { existsSync } from "node:fs";
import { COMMAND_ROUTES, QUERY_ROUTE, ROUTE_SELECTION_EXPRESSION } from "@ledgerquest/runtime";
import { Annotations, CfnOutput, Duration, Stack, type StackProps, Validations } from "aws-cdk-lib";
import * as apigateway from "aws-cdk-lib/aws-apigateway";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { WebSocketLambdaAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { WebSocketLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import * as cognito from "aws-cdk-lib/aws-cognito";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import * as s3deploy from "aws-cdk-lib/aws-s3-deployment";
import type { Construct } from "constructs";
import type { HandlerName } from "../bundles.js";
import { secureBucket } from "../constructs/secure-bucket.js";
import { OUTPUTS } from "../contract.js";
import { allowWildcardActions, allowWildcardResource } from "../nag.js";
import { liveAliasArn, qualifiedName } from "../naming.js";
import type { StageName, StageSettings } from "../settings.js";

/**
 * BucketDeployment copies the site with a singleton Lambda of CDK's own (a custom resource run at
 * deployment time only), whose role and runtime cdk-nag reports.
 */
function acknowledgeBucketDeployment(files: s3deploy.BucketDeployment, site: s3.IBucket): void {
  const why = "CDK's BucketDeployment handler, run only while CloudFormation deploys the site";
  const role = files.handlerRole;
  Validations.of(role).acknowledge({
    id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
    reason: `${why}: its logging policy is the one CDK attaches to it.`,
  });
  allowWildcardActions(
    role,
    ["s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*"],
    `${why}: it reads the staged asset and replaces the site bucket's contents.`,
  );
  allowWildcardResource(
    role,
    site.arnForObjects("*"),
    `${why}: it replaces the objects of the site bucket.`,
  );
  // The bootstrap's asset bucket, by the name CDK's default synthesizer gives it (in this stack's
  // account and region, whether placeholders or, with an env, literals: nag.ts).
  allowWildcardResource(
    role,
    /^arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-<AWS::AccountId>-<AWS::Region>\/\*$/,
    `${why}: it reads the staged site from the objects of the CDK bootstrap's asset bucket.`,
  );
  const stack = Stack.of(files);
  for (const node of stack.node.findAll()) {
    if (node instanceof lambda.CfnFunction && node.node.path.includes("CDKBucketDeployment")) {
      Validations.of(node).acknowledge({
        id: "AwsSolutions-L1",
        reason: `${why}: CDK chooses its runtime.`,
      });
    }
  }
}

/** The query-string parameter clients put their token in (`TOKEN_QUERY_PARAMETER`, authorizer.ts). */
export const TOKEN_IDENTITY_SOURCE = "route.request.querystring.token";

/** The distribution's cdk-nag findings, acknowledged with their reasons. */
const DISTRIBUTION_ACKNOWLEDGEMENTS = [
  [
    "AwsSolutions-CFR1",
    "A game is played worldwide; there is no country to restrict to. Abuse is throttled at the WebSocket stage, where the game runs.",
  ],
  [
    "AwsSolutions-CFR2",
    "The site is static files behind a CDN; a WAF web ACL (from $5 a month plus requests, and only in us-east-1) would protect nothing that can change state.",
  ],
  [
    "AwsSolutions-CFR3",
    "Access logs of static files are not worth their storage here; CloudFront's own metrics show traffic and errors.",
  ],
  [
    "AwsSolutions-CFR4",
    "The distribution uses the default *.cloudfront.net certificate, with which CloudFront fixes the viewer protocol policy itself; TLS 1.2 applies as soon as a custom domain and certificate are added.",
  ],
] as const;

export interface ApiStackProps extends StackProps {
  readonly settings: StageSettings;
  /**
   * Set the account's API Gateway CloudWatch role, which WebSocket access logs need. It is one
   * setting per account and region: turn this off where another stack already manages it.
   * @default true
   */
  readonly manageApiGatewayAccountRole?: boolean;
}

/** A user pool, and the id of the app client its players' tokens are issued to. */
interface PlayerIdentity {
  readonly userPool: cognito.IUserPool;
  readonly clientId: string;
}

export class ApiStack extends Stack {
  readonly webSocketApi: apigwv2.WebSocketApi;
  readonly webSocketStage: apigwv2.WebSocketStage;
  readonly userPool: cognito.IUserPool;
  /** The app client ids tokens may be issued to (the authorizer's `LQ_COGNITO_CLIENT_ID`). */
  readonly userPoolClientId: string;
  readonly siteBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly accessLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const retention = settings.logRetentionDays as logs.RetentionDays;

    // ─── identity ──────────────────────────────────────────────────────────────────────────────
    const identity = this.playerIdentity(settings);
    this.userPool = identity.userPool;
    this.userPoolClientId = identity.clientId;

    // ─── the WebSocket API ─────────────────────────────────────────────────────────────────────
    this.webSocketApi = this.addWebSocketApi(settings.stage);
    this.accessLogGroup = new logs.LogGroup(this, "AccessLogs", { retention });
    this.webSocketStage = this.addWebSocketStage(settings, this.accessLogGroup);
    if (props.manageApiGatewayAccountRole ?? true) {
      this.addApiGatewayAccountRole();
    }
    Validations.of(this.webSocketApi).acknowledge({
      id: "AwsSolutions-APIG4",
      reason:
        "$connect is authorized by the JWT authorizer; the other routes run on a connection it authorized (API Gateway WebSocket APIs authorize only at $connect).",
    });

    // ─── the dashboard site ────────────────────────────────────────────────────────────────────
    this.siteBucket = secureBucket(this, "Site", {
      // The site is rebuilt from the repository; old versions are not worth keeping.
      versioned: false,
    });
    Validations.of(this.siteBucket).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "Only CloudFront reads this bucket (origin access control); the distribution is what to log, and the files are public build output.",
    });
    this.distribution = this.addSiteDistribution(settings.stage);
    this.deploySiteFiles(settings.siteAssetPath, retention);

    // ─── outputs ───────────────────────────────────────────────────────────────────────────────
    const out = OUTPUTS.Api;
    new CfnOutput(this, out.websocketUrl, { value: this.webSocketStage.url });
    new CfnOutput(this, out.connectionsUrl, { value: this.webSocketStage.callbackUrl });
    new CfnOutput(this, out.userPoolId, { value: this.userPool.userPoolId });
    new CfnOutput(this, out.userPoolClientId, { value: this.userPoolClientId });
    new CfnOutput(this, out.siteUrl, {
      value: `https://${this.distribution.distributionDomainName}`,
    });
  }

  /**
   * The user pool players sign in with, and the app client their tokens are issued to: those
   * `settings.existingUserPool` names, or by default a new pool of this stack's (`addUserPool`).
   */
  private playerIdentity(settings: StageSettings): PlayerIdentity {
    const existing = settings.existingUserPool;
    if (existing === undefined) {
      return this.addUserPool(settings.stage, settings.deletionProtection);
    }
    return {
      userPool: cognito.UserPool.fromUserPoolId(this, "UserPool", existing.userPoolId),
      clientId: existing.clientId,
    };
  }

  /**
   * The players' user pool (self sign-up, email or username, 12-character passwords, optional
   * TOTP MFA, recovery by email) and its one public app client (SRP sign-in, no OAuth, tokens of
   * an hour, refresh tokens of 30 days).
   */
  private addUserPool(stage: StageName, deletionProtection: boolean): PlayerIdentity {
    const pool = new cognito.UserPool(this, "UserPool", {
      userPoolName: qualifiedName(stage, "players"),
      selfSignUpEnabled: true,
      signInAliases: { email: true, username: true },
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection,
    });
    const client = pool.addClient("GameClient", {
      userPoolClientName: qualifiedName(stage, "game"),
      // A browser game: a public client, Secure Remote Password sign-in, no secret to leak.
      generateSecret: false,
      authFlows: { userSrp: true },
      // No hosted UI: the dashboard takes a pasted access token (`auth: "token"`) and the game
      // signs in with SRP, so no OAuth flow is needed, and CDK's defaults (the implicit grant,
      // a callback to https://example.com) would only be a way to mint tokens elsewhere.
      disableOAuth: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      preventUserExistenceErrors: true,
    });
    Validations.of(pool).acknowledge({
      id: "AwsSolutions-COG2",
      reason:
        "Players may turn on TOTP MFA (Mfa.OPTIONAL); requiring it of every player of a game would turn most of them away. Operators do not sign in through this pool.",
    });
    Validations.of(pool).acknowledge({
      id: "AwsSolutions-COG8",
      reason:
        "The Plus feature plan (threat protection) is billed per monthly active user; see COG3.",
    });
    Validations.of(pool).acknowledge({
      id: "AwsSolutions-COG3",
      reason:
        "Threat protection needs Cognito's Plus feature plan (billed per monthly active user); tokens are short-lived (1 hour) and the stage is throttled. Revisit at launch.",
    });
    return { userPool: pool, clientId: client.userPoolClientId };
  }

  /**
   * The WebSocket API: `$connect` behind the JWT authorizer, `$disconnect`, `$default` and every
   * command route to the command function (answering on the socket), the query route to its own.
   * Each integration names its function's live alias by ARN (ComputeStack grants the invoke).
   */
  private addWebSocketApi(stage: StageName): apigwv2.WebSocketApi {
    const target = (handler: HandlerName) =>
      lambda.Function.fromFunctionAttributes(this, `${handler}Alias`, {
        functionArn: liveAliasArn(this, stage, handler),
        // ComputeStack grants API Gateway the invoke permission, beside the function.
        skipPermissions: true,
      });
    const integration = (handler: HandlerName) =>
      new WebSocketLambdaIntegration(`${handler}Integration`, target(handler));
    const commandIntegration = integration("command");

    const webSocketApi = new apigwv2.WebSocketApi(this, "WebSocketApi", {
      apiName: qualifiedName(stage, "websocket"),
      description: `LedgerQuest ${stage}: players' WebSocket connections`,
      routeSelectionExpression: ROUTE_SELECTION_EXPRESSION,
      connectRouteOptions: {
        integration: integration("connect"),
        authorizer: new WebSocketLambdaAuthorizer("JwtAuthorizer", target("authorizer"), {
          authorizerName: "jwt",
          identitySource: [TOKEN_IDENTITY_SOURCE],
        }),
      },
      disconnectRouteOptions: { integration: integration("disconnect") },
      defaultRouteOptions: { integration: commandIntegration, returnResponse: true },
    });
    for (const route of COMMAND_ROUTES) {
      webSocketApi.addRoute(route, { integration: commandIntegration, returnResponse: true });
    }
    // Queries have their own, read-only function (client-protocol.md).
    webSocketApi.addRoute(QUERY_ROUTE, {
      integration: integration("query"),
      returnResponse: true,
    });
    return webSocketApi;
  }

  /**
   * The API's stage, named after the deployment's stage, deployed automatically, throttled by
   * `settings.apiThrottle`, with JSON access logs to `accessLogGroup`.
   */
  private addWebSocketStage(
    settings: StageSettings,
    accessLogGroup: logs.LogGroup,
  ): apigwv2.WebSocketStage {
    return new apigwv2.WebSocketStage(this, "Stage", {
      webSocketApi: this.webSocketApi,
      stageName: settings.stage,
      autoDeploy: true,
      throttle: settings.apiThrottle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogGroup),
        format: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: "$context.requestId",
            connectionId: "$context.connectionId",
            eventType: "$context.eventType",
            routeKey: "$context.routeKey",
            status: "$context.status",
            requestTime: "$context.requestTimeEpoch",
            ip: "$context.identity.sourceIp",
            principalId: "$context.authorizer.principalId",
            authorizerError: "$context.authorizer.error",
            integrationError: "$context.integration.error",
            integrationLatency: "$context.integration.latency",
          }),
        ),
      },
    });
  }

  /**
   * The account's API Gateway CloudWatch role (one per account and region), which the stage's
   * access logs need: the stage deploys after it.
   */
  private addApiGatewayAccountRole(): void {
    const role = new iam.Role(this, "ApiGatewayLogsRole", {
      assumedBy: new iam.ServicePrincipal("apigateway.amazonaws.com"),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName(
          "service-role/AmazonAPIGatewayPushToCloudWatchLogs",
        ),
      ],
    });
    const account = new apigateway.CfnAccount(this, "ApiGatewayAccount", {
      cloudWatchRoleArn: role.roleArn,
    });
    this.webSocketStage.node.addDependency(account);
    Validations.of(role).acknowledge({
      id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
      reason:
        "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for the account-wide API Gateway logging role; that role writes the logs of every API in the account and region, so it cannot be narrowed to this one.",
    });
  }

  /**
   * The dashboard's CloudFront distribution in front of `this.siteBucket` (origin access
   * control): HTTPS only, cached, security headers, the app's own routes answered with
   * `index.html`, HTTP/2 and 3, the cheapest price class.
   */
  private addSiteDistribution(stage: StageName): cloudfront.Distribution {
    const distribution = new cloudfront.Distribution(this, "SiteDistribution", {
      comment: `LedgerQuest ${stage} dashboard`,
      defaultRootObject: "index.html",
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.siteBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      // A single-page app: unknown paths are the app's own routes.
      errorResponses: [
        { httpStatus: 403, responseHttpStatus: 200, responsePagePath: "/index.html" },
        { httpStatus: 404, responseHttpStatus: 200, responsePagePath: "/index.html" },
      ],
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    for (const [ruleId, reason] of DISTRIBUTION_ACKNOWLEDGEMENTS) {
      Validations.of(distribution).acknowledge({ id: ruleId, reason });
    }
    return distribution;
  }

  /**
   * Copies the built dashboard at `siteAssetPath`, with the `config.json` that tells it where to
   * connect, into `this.siteBucket` at deployment time. Without a built dashboard, the bucket
   * stays empty and the synth warns.
   */
  private deploySiteFiles(siteAssetPath: string, retention: logs.RetentionDays): void {
    if (!existsSync(siteAssetPath)) {
      Annotations.of(this).addWarning(
        `The dashboard is not built (no ${siteAssetPath}): the site bucket is deployed empty. Build it with \`npm run build --workspace @ledgerquest/dashboard\` and deploy again.`,
      );
      return;
    }
    const files = new s3deploy.BucketDeployment(this, "SiteFiles", {
      sources: [
        s3deploy.Source.asset(siteAssetPath),
        // Where the page connects, as the local stack's /config.json says it there
        // (packages/local/src/dashboard-server.ts): players sign in with a Cognito token.
        s3deploy.Source.jsonData("config.json", {
          websocketUrl: this.webSocketStage.url,
          world: "demo",
          auth: "token",
        }),
      ],
      destinationBucket: this.siteBucket,
      // No CloudFront invalidation: its permission takes `Resource: "*"` in BucketDeployment.
      // Files carry a short max-age instead; Vite's hashed assets never change under a name.
      cacheControl: [
        s3deploy.CacheControl.setPublic(),
        s3deploy.CacheControl.maxAge(Duration.minutes(5)),
      ],
      memoryLimit: 512,
      logGroup: new logs.LogGroup(this, "SiteDeploymentLogs", { retention }),
    });
    acknowledgeBucketDeployment(files, this.siteBucket);
  }

  /**
   * The ARN `execute-api:ManageConnections` needs to post to this stage's connections: POST only,
   * on `@connections/*` of this stage (the tick pushes; it never lists or closes connections).
   */
  get postToConnectionsArn(): string {
    return this.formatArn({
      service: "execute-api",
      resource: this.webSocketApi.apiId,
      resourceName: `${this.webSocketStage.stageName}/POST/@connections/*`,
    });
  }

  /** The ARN API Gateway invokes the functions from (for their resource policies). */
  get executeApiArn(): string {
    return this.formatArn({
      service: "execute-api",
      resource: this.webSocketApi.apiId,
      resourceName: "*",
    });
  }
}
