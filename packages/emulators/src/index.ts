export * from "./eventbridge.js";
export * from "./s3.js";
export * from "./stepfunctions.js";
export * from "./usage.js";
