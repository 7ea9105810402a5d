export * from "./adapters/apigw-client-push.js";
export * from "./adapters/dynamodb-command-inbox.js";
export * from "./adapters/dynamodb-common.js";
export * from "./adapters/dynamodb-entity-store.js";
export * from "./adapters/dynamodb-journal.js";
export * from "./adapters/eventbridge-publisher.js";
export * from "./adapters/s3-blob-store.js";
export * from "./adapters/sdk-errors.js";
export * from "./adapters/sfn-workflow-starter.js";
export * from "./config.js";
export * from "./errors.js";
export {
  AUDIT_STREAM_FILTER_PATTERN,
  type AuditStreamDeps,
  auditProjectionKeys,
  auditStreamDepsFromEnvironment,
  type ChainBreak,
  createAuditStreamDeps,
  createAuditStreamHandler,
  LEADERBOARD_SIZE,
  LEADERBOARD_UNIT,
  type LeaderboardRow,
  processAuditStream,
} from "./handlers/audit-stream.js";
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
export {
  type CommandAckFrame,
  type CommandReplyFrame,
  createCommandHandler,
  handleCommand,
  handleCommandFrame,
} from "./handlers/command.js";
export { createConnectHandler, handleConnect, WORLD_QUERY_PARAMETER } from "./handlers/connect.js";
export { createDisconnectHandler, handleDisconnect } from "./handlers/disconnect.js";
export { createQueryHandler, handleQuery, handleQueryFrame } from "./handlers/query.js";
export {
  createSupervisorHandler,
  handleSupervisorEvent,
  InvalidSupervisorEventError,
  SupervisorFailedError,
  type SupervisorHandlerDeps,
  supervisorConfigSchema,
  supervisorDepsFromEnvironment,
  worldsOfSupervisorEvent,
} from "./handlers/supervisor.js";
export {
  createTickHandler,
  DEFAULT_TICK_SETTINGS,
  InvalidTickInputError,
  parseTickTaskInput,
  runTickTask,
  type TickSettings,
  tickHandlerDepsFromEnvironment,
} from "./handlers/tick.js";
export * from "./handlers/websocket.js";
export * from "./log-queries.js";
export * from "./observability.js";
export * from "./wiring.js";
