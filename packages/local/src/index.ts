// The EventBridge, Step Functions, S3 and WebSocket API emulators live in @ledgerquest/emulators;
// the local stack re-exports them, so that its users import them from here as before.
export * from "@ledgerquest/emulators";
export * from "./clients.js";
export * from "./dashboard-server.js";
export * from "./dev.js";
export * from "./dynamodb-local.js";
export * from "./gateway-client-push.js";
export * from "./idp.js";
export * from "./stream-poller.js";
export * from "./usage.js";
export * from "./usage-dynamodb.js";
