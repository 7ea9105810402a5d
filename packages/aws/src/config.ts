/**
 * Configuration of the Lambda handlers, read from environment variables once per cold start and
 * validated with zod. A handler declares the variables it needs as a schema and calls
 * `readConfig(schema)`; a bad deployment then fails on its first invocation with a `ConfigError`
 * naming every bad or missing variable and what it should hold, instead of failing later with an
 * SDK error about an empty table name.
 *
 * The error messages quote the values they reject: environment variables hold names and
 * identifiers here, never secrets (those belong in Secrets Manager).
 */
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { ConfigError, type ConfigProblem } from "./errors.js";

// `zod/mini` (which bundlers tree-shake, unlike classic `zod`) loads no locale: its default
// messages would all be "Invalid input". Every handler reads its configuration through this
// module, and its schemas are built on it, so English is configured before anything is parsed.
z.config(en());

/** The shape of `process.env`; tests pass a plain object instead. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Parses `env` with `schema` (a zod object, or a composition of objects, keyed by variable name)
 * and returns the parsed configuration, or throws a `ConfigError` listing every problem.
 * Variables the schema does not name are ignored.
 */
export function readConfig<S extends z.core.$ZodType>(
  schema: S,
  env: Environment = process.env,
): z.output<S> {
  const result = z.safeParse(schema, env);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map(toProblem), { cause: result.error });
}

function toProblem(issue: z.core.$ZodIssue): ConfigProblem {
  const variable = issue.path.length > 0 ? String(issue.path[0]) : "<environment>";
  return { variable, message: issue.message };
}

const MAX_QUOTED_CHARS = 80;

function quote(input: unknown): string {
  const text = JSON.stringify(input) ?? String(input);
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text;
}

/** The message for a variable that is absent or not a string, given what it should hold. */
function absentOrWrongType(expected: string) {
  return (issue: { readonly input?: unknown }) =>
    issue.input === undefined ? `missing; expected ${expected}` : `expected ${expected}`;
}

/**
 * A required variable whose whole value must match `pattern` (anchor it). `expected` completes the
 * sentence "expected …" in the error, so it says what to set, e.g. "a DynamoDB table name".
 */
export function envString(expected: string, pattern: RegExp) {
  return z
    .string({ error: absentOrWrongType(expected) })
    .check(
      z.regex(pattern, { error: (issue) => `expected ${expected}, got ${quote(issue.input)}` }),
    );
}

/**
 * A required variable holding a comma-separated list (spaces around commas allowed) of one or more
 * items, each matching `itemPattern`. Parses to the array of items.
 */
export function envList(expected: string, itemPattern: RegExp) {
  return z.pipe(
    z.string({ error: absentOrWrongType(expected) }),
    z.transform((value: string, ctx) => {
      const items = value.split(",").map((item) => item.trim());
      const bad = items.filter((item) => !itemPattern.test(item));
      if (bad.length === 0) return items;
      ctx.issues.push({
        code: "custom",
        input: value,
        message: `expected ${expected}, got ${quote(value)} (bad ${bad.length === 1 ? "item" : "items"}: ${bad.map(quote).join(", ")})`,
      });
      return z.NEVER;
    }),
  );
}

/**
 * A required variable holding an absolute URL that `accept` approves; `expected` says what the
 * URL must be.
 */
export function envUrl(expected: string, accept: (url: URL) => boolean) {
  return z.string({ error: absentOrWrongType(expected) }).check(
    z.refine(
      (value) => {
        const url = URL.canParse(value) ? new URL(value) : undefined;
        return url !== undefined && accept(url);
      },
      { error: (issue) => `expected ${expected}, got ${quote(issue.input)}` },
    ),
  );
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(["localhost", "[::1]"]);

function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127(?:\.\d{1,3}){3}$/.test(url.hostname);
}

/**
 * Whether a JWKS may be fetched from `url`. Plain HTTP would let anyone on the path swap the
 * signing keys and mint tokens, so it is allowed only to the same machine, where the local stack's
 * dev identity provider serves its keys.
 */
export function isAcceptableJwksUrl(url: URL): boolean {
  return url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url));
}

// ---------------------------------------------------------------------------------------------
// The $connect authorizer

/** The claim that names the player when `LQ_PLAYER_ID_CLAIM` is not set. */
export const DEFAULT_PLAYER_ID_CLAIM = "sub";

/** How the authorizer verifies tokens: against a Cognito user pool, or any issuer's JWKS. */
export type TokenVerifierConfig =
  | {
      readonly provider: "cognito";
      readonly userPoolId: string;
      /** App client ids, at least one of which the token must be issued to. */
      readonly clientIds: readonly string[];
      readonly tokenUse: "id" | "access";
    }
  | {
      readonly provider: "jwks";
      /** The exact `iss` claim the tokens carry. */
      readonly issuer: string;
      readonly jwksUri: string;
      /** Audiences, at least one of which the token's `aud` must hold. */
      readonly audiences: readonly string[];
    };

export interface AuthorizerConfig {
  /** The token claim whose value is the player id. */
  readonly playerIdClaim: string;
  readonly verifier: TokenVerifierConfig;
}

const cognitoVariables = z.object({
  LQ_AUTH_PROVIDER: z.literal("cognito"),
  LQ_COGNITO_USER_POOL_ID: envString(
    "a Cognito user pool id such as eu-west-1_AbC123xyz",
    // The form aws-jwt-verify accepts (region, underscore, id), so a typo fails here, at config.
    /^(?:eusc-[a-z]{2}|[a-z]{2})-(?:gov-)?[a-z]+-\d_[A-Za-z0-9]+$/,
  ),
  LQ_COGNITO_CLIENT_ID: envList(
    "a comma-separated list of Cognito app client ids (1-128 of A-Z a-z 0-9 _ +)",
    /^[\w+]{1,128}$/,
  ),
  LQ_COGNITO_TOKEN_USE: z._default(
    z.enum(["id", "access"], {
      error: (issue) =>
        `expected "id" or "access" (the token type clients send), got ${quote(issue.input)}`,
    }),
    "access",
  ),
});

const jwksVariables = z.object({
  LQ_AUTH_PROVIDER: z.literal("jwks"),
  LQ_JWT_ISSUER: envUrl(
    "the http(s) URL the tokens' iss claim holds",
    (url) => url.protocol === "https:" || url.protocol === "http:",
  ),
  LQ_JWT_JWKS_URI: envUrl(
    "the https URL of the issuer's JWKS (http only to localhost or 127.x.x.x)",
    isAcceptableJwksUrl,
  ),
  LQ_JWT_AUDIENCE: envList(
    "a comma-separated list of accepted audiences (the tokens' aud claim)",
    /^[\x21-\x2b\x2d-\x7e]{1,256}$/,
  ),
});

const PROVIDERS_EXPECTED =
  '"cognito" (with LQ_COGNITO_USER_POOL_ID and LQ_COGNITO_CLIENT_ID) or "jwks" (with LQ_JWT_ISSUER, LQ_JWT_JWKS_URI and LQ_JWT_AUDIENCE)';

function providerProblem(env: unknown): string {
  const provider =
    typeof env === "object" && env !== null && "LQ_AUTH_PROVIDER" in env
      ? env.LQ_AUTH_PROVIDER
      : undefined;
  return provider === undefined
    ? `missing; expected ${PROVIDERS_EXPECTED}`
    : `expected ${PROVIDERS_EXPECTED}, got ${quote(provider)}`;
}

/**
 * The `$connect` authorizer's variables. `LQ_AUTH_PROVIDER` picks the verifier explicitly rather
 * than guessing from which other variables happen to be set, so a half-configured stack fails
 * instead of silently verifying against the wrong issuer.
 */
export const authorizerConfigSchema = z.pipe(
  z.intersection(
    z.object({
      LQ_PLAYER_ID_CLAIM: z._default(
        envString("a JWT claim name (1-128 of A-Z a-z 0-9 _ : . -)", /^[A-Za-z0-9_:.-]{1,128}$/),
        DEFAULT_PLAYER_ID_CLAIM,
      ),
    }),
    z.discriminatedUnion("LQ_AUTH_PROVIDER", [cognitoVariables, jwksVariables], {
      error: (issue) => providerProblem(issue.input),
    }),
  ),
  z.transform((env): AuthorizerConfig => {
    const verifier: TokenVerifierConfig =
      env.LQ_AUTH_PROVIDER === "cognito"
        ? {
            provider: "cognito",
            userPoolId: env.LQ_COGNITO_USER_POOL_ID,
            clientIds: env.LQ_COGNITO_CLIENT_ID,
            tokenUse: env.LQ_COGNITO_TOKEN_USE,
          }
        : {
            provider: "jwks",
            issuer: env.LQ_JWT_ISSUER,
            jwksUri: env.LQ_JWT_JWKS_URI,
            audiences: env.LQ_JWT_AUDIENCE,
          };
    return { playerIdClaim: env.LQ_PLAYER_ID_CLAIM, verifier };
  }),
);

// ---------------------------------------------------------------------------------------------
// AWS resources, for the handlers to pick from

/**
 * The AWS resources the handlers use, by the variable that names each. A handler picks what it
 * needs, e.g. `readConfig(z.pick(resourceVariables, { LQ_ENTITY_TABLE: true, LQ_AUDIT_TABLE: true }))`
 * (`z` from `zod/mini`), or extends the picked object with its own variables (`z.extend`).
 */
export const resourceVariables = z.object({
  LQ_ENTITY_TABLE: envString(
    "the EntityTable's DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)",
    /^[A-Za-z0-9_.-]{3,255}$/,
  ),
  LQ_AUDIT_TABLE: envString(
    "the AuditLog's DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)",
    /^[A-Za-z0-9_.-]{3,255}$/,
  ),
  LQ_EVENT_BUS: envString(
    "an EventBridge event bus name (1-256 of A-Z a-z 0-9 / . _ -) or its ARN",
    /^(?:arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/)?[A-Za-z0-9/._-]{1,256}$/,
  ),
  LQ_ASSETS_BUCKET: envString(
    "an S3 bucket name (3-63 of a-z 0-9 . -, starting and ending with a letter or digit)",
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
  ),
  LQ_STATE_MACHINE_ARN: envString(
    "a Step Functions state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)",
    /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/,
  ),
});

export type ResourceConfig = z.output<typeof resourceVariables>;
