export * from "./errors.js";
export * from "./eventbridge.js";
export * from "./lambda-context.js";
export * from "./s3.js";
export * from "./stepfunctions.js";
export * from "./usage.js";
export * from "./websocket-gateway/index.js";
