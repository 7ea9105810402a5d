import { RuntimeError } from "@ledgerquest/runtime";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as z from "zod/mini";
import {
  authorizerConfigSchema,
  type Environment,
  isAcceptableJwksUrl,
  readConfig,
  resourceVariables,
} from "../src/config.js";
import { AwsAdapterError, ConfigError, type ConfigProblem } from "../src/errors.js";
import { observabilitySettings } from "../src/observability.js";

/** The ConfigError `readConfig` throws for `env`; fails the test if it throws nothing else. */
// Tests here are alike (a bad environment, the problems it names): one per configuration.
function configError(schema: Parameters<typeof readConfig>[0], env: Environment): ConfigError {
  try {
    readConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("readConfig accepted the environment");
}

const variables = (problems: readonly ConfigProblem[]) => problems.map((p) => p.variable);

const validJwks = {
  LQ_AUTH_PROVIDER: "jwks",
  LQ_JWT_ISSUER: "http://127.0.0.1:4100",
  LQ_JWT_JWKS_URI: "http://127.0.0.1:4100/.well-known/jwks.json",
  LQ_JWT_AUDIENCE: "ledgerquest-dev",
} as const;

const validCognito = {
  LQ_AUTH_PROVIDER: "cognito",
  LQ_COGNITO_USER_POOL_ID: "eu-west-1_AbC123xyz",
  LQ_COGNITO_CLIENT_ID: "webclient123",
} as const;

const validResources = {
  LQ_ENTITY_TABLE: "ledgerquest-EntityTable-1A2B3C",
  LQ_AUDIT_TABLE: "ledgerquest-AuditLog-4D5E6F",
  LQ_EVENT_BUS: "ledgerquest.eventbus",
  LQ_ASSETS_BUCKET: "ledgerquest-assets-123456789012",
  LQ_STATE_MACHINE_ARN: "arn:aws:states:eu-west-1:123456789012:stateMachine:GameLoop",
} as const;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("readConfig", () => {
  it("reads process.env when no environment is given", () => {
    for (const [name, value] of Object.entries(validResources)) vi.stubEnv(name, value);
    expect(readConfig(resourceVariables)).toEqual(validResources);
  });

  it("throws a ConfigError, an AwsAdapterError and RuntimeError, with zod's error as cause", () => {
    const error = configError(resourceVariables, {});
    expect(error).toBeInstanceOf(AwsAdapterError);
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error.name).toBe("ConfigError");
    expect(error.cause).toBeInstanceOf(z.core.$ZodError);
  });

  it("ignores variables the schema does not name", () => {
    expect(
      readConfig(resourceVariables, { ...validResources, PATH: "/usr/bin", HOME: "/" }),
    ).toEqual(validResources);
  });
});

describe("the authorizer's configuration", () => {
  it("reads a local JWKS issuer, with the player id in sub by default", () => {
    expect(readConfig(authorizerConfigSchema, validJwks)).toEqual({
      playerIdClaim: "sub",
      verifier: {
        provider: "jwks",
        issuer: "http://127.0.0.1:4100",
        jwksUri: "http://127.0.0.1:4100/.well-known/jwks.json",
        audiences: ["ledgerquest-dev"],
      },
    });
  });

  it("reads a Cognito user pool, with access tokens by default and a list of clients", () => {
    expect(
      readConfig(authorizerConfigSchema, {
        ...validCognito,
        LQ_COGNITO_CLIENT_ID: "webclient123, botclient456",
        LQ_PLAYER_ID_CLAIM: "custom:player_id",
      }),
    ).toEqual({
      playerIdClaim: "custom:player_id",
      verifier: {
        provider: "cognito",
        userPoolId: "eu-west-1_AbC123xyz",
        clientIds: ["webclient123", "botclient456"],
        tokenUse: "access",
      },
    });
    expect(
      readConfig(authorizerConfigSchema, { ...validCognito, LQ_COGNITO_TOKEN_USE: "id" }).verifier,
    ).toMatchObject({ tokenUse: "id" });
  });

  it("names LQ_AUTH_PROVIDER, and both choices, when it is missing", () => {
    const error = configError(authorizerConfigSchema, {});
    expect(error.problems).toEqual([
      {
        variable: "LQ_AUTH_PROVIDER",
        message: expect.stringMatching(/^missing; expected "cognito" .* or "jwks" /),
      },
    ]);
    expect(error.message).toBe(
      `invalid configuration (1 problem):\n  LQ_AUTH_PROVIDER: ${error.problems[0]?.message}`,
    );
  });

  it("quotes an unknown provider", () => {
    const error = configError(authorizerConfigSchema, { LQ_AUTH_PROVIDER: "okta" });
    expect(error.problems).toEqual([
      { variable: "LQ_AUTH_PROVIDER", message: expect.stringContaining('got "okta"') },
    ]);
  });

  it("names every missing Cognito variable", () => {
    const error = configError(authorizerConfigSchema, { LQ_AUTH_PROVIDER: "cognito" });
    expect(variables(error.problems)).toEqual(["LQ_COGNITO_USER_POOL_ID", "LQ_COGNITO_CLIENT_ID"]);
    for (const problem of error.problems) expect(problem.message).toMatch(/^missing; expected /);
    expect(error.message).toContain("invalid configuration (2 problems):");
  });

  it("names every missing JWKS variable", () => {
    const error = configError(authorizerConfigSchema, { LQ_AUTH_PROVIDER: "jwks" });
    expect(variables(error.problems)).toEqual([
      "LQ_JWT_ISSUER",
      "LQ_JWT_JWKS_URI",
      "LQ_JWT_AUDIENCE",
    ]);
    for (const problem of error.problems) expect(problem.message).toMatch(/^missing; expected /);
  });

  it("names every bad Cognito variable and says what it should be", () => {
    const error = configError(authorizerConfigSchema, {
      LQ_AUTH_PROVIDER: "cognito",
      LQ_COGNITO_USER_POOL_ID: "my-pool",
      LQ_COGNITO_CLIENT_ID: "webclient123,,bad client",
      LQ_COGNITO_TOKEN_USE: "refresh",
      LQ_PLAYER_ID_CLAIM: "player id",
    });
    expect(error.problems).toEqual([
      {
        variable: "LQ_PLAYER_ID_CLAIM",
        message: 'expected a JWT claim name (1-128 of A-Z a-z 0-9 _ : . -), got "player id"',
      },
      {
        variable: "LQ_COGNITO_USER_POOL_ID",
        message: 'expected a Cognito user pool id such as eu-west-1_AbC123xyz, got "my-pool"',
      },
      {
        variable: "LQ_COGNITO_CLIENT_ID",
        message: expect.stringContaining('(bad items: "", "bad client")'),
      },
      {
        variable: "LQ_COGNITO_TOKEN_USE",
        message: 'expected "id" or "access" (the token type clients send), got "refresh"',
      },
    ]);
  });

  it("names every bad JWKS variable and says what it should be", () => {
    const error = configError(authorizerConfigSchema, {
      LQ_AUTH_PROVIDER: "jwks",
      LQ_JWT_ISSUER: "dev-idp",
      LQ_JWT_JWKS_URI: "http://idp.example.com/.well-known/jwks.json",
      LQ_JWT_AUDIENCE: "a b",
    });
    expect(error.problems).toEqual([
      {
        variable: "LQ_JWT_ISSUER",
        message: 'expected the http(s) URL the tokens\' iss claim holds, got "dev-idp"',
      },
      {
        variable: "LQ_JWT_JWKS_URI",
        message:
          'expected the https URL of the issuer\'s JWKS (http only to localhost or 127.x.x.x), got "http://idp.example.com/.well-known/jwks.json"',
      },
      { variable: "LQ_JWT_AUDIENCE", message: expect.stringContaining('got "a b"') },
    ]);
  });

  it("refuses an empty variable rather than treating it as unset", () => {
    const error = configError(authorizerConfigSchema, { ...validJwks, LQ_PLAYER_ID_CLAIM: "" });
    expect(variables(error.problems)).toEqual(["LQ_PLAYER_ID_CLAIM"]);
  });
});

describe("JWKS URLs", () => {
  it.each([
    ["https://cognito-idp.eu-west-1.amazonaws.com/x/.well-known/jwks.json", true],
    ["https://idp.example.com/jwks", true],
    ["http://localhost:4100/jwks", true],
    ["http://127.0.0.1:4100/jwks", true],
    ["http://127.8.9.10/jwks", true],
    ["http://[::1]:4100/jwks", true],
    ["http://idp.example.com/jwks", false],
    ["http://10.0.0.5/jwks", false],
    ["http://localhost.example.com/jwks", false],
    ["http://127.0.0.1.nip.io/jwks", false],
    ["ftp://localhost/jwks", false],
  ])("%s → %s", (url, acceptable) => {
    expect(isAcceptableJwksUrl(new URL(url))).toBe(acceptable);
  });
});

describe("the AWS resources' variables", () => {
  it("names all five when none is set, each with what it should be", () => {
    const error = configError(resourceVariables, {});
    expect(variables(error.problems)).toEqual([
      "LQ_ENTITY_TABLE",
      "LQ_AUDIT_TABLE",
      "LQ_EVENT_BUS",
      "LQ_ASSETS_BUCKET",
      "LQ_STATE_MACHINE_ARN",
    ]);
    expect(error.problems[0]?.message).toBe(
      "missing; expected the EntityTable's DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)",
    );
  });

  it("names each bad value", () => {
    const error = configError(resourceVariables, {
      LQ_ENTITY_TABLE: "ab",
      LQ_AUDIT_TABLE: "audit log",
      LQ_EVENT_BUS: "bus:name",
      LQ_ASSETS_BUCKET: "Assets_Bucket",
      LQ_STATE_MACHINE_ARN: "GameLoop",
    });
    expect(error.problems).toEqual([
      { variable: "LQ_ENTITY_TABLE", message: expect.stringMatching(/, got "ab"$/) },
      { variable: "LQ_AUDIT_TABLE", message: expect.stringMatching(/, got "audit log"$/) },
      { variable: "LQ_EVENT_BUS", message: expect.stringMatching(/, got "bus:name"$/) },
      { variable: "LQ_ASSETS_BUCKET", message: expect.stringMatching(/, got "Assets_Bucket"$/) },
      { variable: "LQ_STATE_MACHINE_ARN", message: expect.stringMatching(/, got "GameLoop"$/) },
    ]);
  });

  it("accepts an event bus ARN", () => {
    const arn = "arn:aws:events:eu-west-1:123456789012:event-bus/ledgerquest.eventbus";
    expect(
      readConfig(resourceVariables, { ...validResources, LQ_EVENT_BUS: arn }).LQ_EVENT_BUS,
    ).toBe(arn);
  });

  it("lets a handler pick only what it needs", () => {
    const schema = z.pick(resourceVariables, { LQ_ENTITY_TABLE: true, LQ_AUDIT_TABLE: true });
    expect(
      readConfig(schema, {
        LQ_ENTITY_TABLE: validResources.LQ_ENTITY_TABLE,
        LQ_AUDIT_TABLE: validResources.LQ_AUDIT_TABLE,
      }),
    ).toEqual({
      LQ_ENTITY_TABLE: validResources.LQ_ENTITY_TABLE,
      LQ_AUDIT_TABLE: validResources.LQ_AUDIT_TABLE,
    });
    expect(variables(configError(schema, { LQ_ENTITY_TABLE: "x" }).problems)).toEqual([
      "LQ_ENTITY_TABLE",
      "LQ_AUDIT_TABLE",
    ]);
  });

  it("quotes at most 80 characters of a bad value", () => {
    const error = configError(z.pick(resourceVariables, { LQ_STATE_MACHINE_ARN: true }), {
      LQ_STATE_MACHINE_ARN: "x".repeat(500),
    });
    expect(error.problems[0]?.message).toMatch(/, got "x{79}…$/);
  });
});

describe("observability settings", () => {
  it("names the service ledgerquest unless POWERTOOLS_SERVICE_NAME says otherwise", () => {
    expect(observabilitySettings({}).serviceName).toBe("ledgerquest");
    expect(observabilitySettings({ POWERTOOLS_SERVICE_NAME: "" }).serviceName).toBe("ledgerquest");
    expect(observabilitySettings({ POWERTOOLS_SERVICE_NAME: "lq-tick" }).serviceName).toBe(
      "lq-tick",
    );
  });

  it.each([
    [{}, false],
    [{ AWS_LAMBDA_FUNCTION_NAME: "lq-tick" }, true],
    [{ AWS_LAMBDA_FUNCTION_NAME: "lq-tick", POWERTOOLS_DEV: "true" }, false],
    [{ AWS_LAMBDA_FUNCTION_NAME: "lq-tick", POWERTOOLS_METRICS_DISABLED: "true" }, false],
    [{ POWERTOOLS_METRICS_DISABLED: "false" }, true],
    [{ POWERTOOLS_METRICS_DISABLED: "0", POWERTOOLS_DEV: "1" }, true],
  ] satisfies [Environment, boolean][])("emits metrics for %o: %s", (env, enabled) => {
    expect(observabilitySettings(env).metricsEnabled).toBe(enabled);
  });
});
