export * from "./dynamodb-local.js";
export * from "./idp.js";
export * from "./websocket-gateway.js";
export * from "./eventbridge.js";
export * from "./stepfunctions.js";
