export * from "./adapters/apigw-client-push.js";
export * from "./adapters/dynamodb-command-inbox.js";
export * from "./adapters/dynamodb-common.js";
export * from "./adapters/dynamodb-entity-store.js";
export * from "./adapters/dynamodb-journal.js";
export * from "./adapters/eventbridge-publisher.js";
export * from "./adapters/s3-blob-store.js";
export * from "./adapters/sfn-workflow-starter.js";
export * from "./config.js";
export * from "./errors.js";
// Each handler module exports its Lambda entry point as `handler`; bundles take it from the module
// itself, so the index re-exports the handlers' building blocks by name.
export {
  type AuthorizeResult,
  allowPolicy,
  authorize,
  type ConnectAuthorizer,
  type ConnectAuthorizerEvent,
  connectAuthorizerFromConfig,
  createAuthorizerHandler,
  createTokenVerifier,
  DENIED_PRINCIPAL_ID,
  type DenyReason,
  denyPolicy,
  PLAYER_ID_PATTERN,
  TOKEN_QUERY_PARAMETER,
  type TokenVerifier,
  type UnauthorizedReason,
} from "./handlers/authorizer.js";
export * from "./observability.js";
