export * from "./blob-store.js";
export * from "./client-push.js";
export * from "./command-inbox.js";
export * from "./deps.js";
export * from "./entity-store.js";
export * from "./event-publisher.js";
export * from "./journal.js";
export * from "./workflow-starter.js";
