export * from "./dev.js";
export * from "./dynamodb-local.js";
export * from "./eventbridge.js";
export * from "./idp.js";
export * from "./s3.js";
export * from "./stepfunctions.js";
export * from "./stream-poller.js";
export * from "./websocket-gateway.js";
