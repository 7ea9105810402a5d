export * from "./client-push.contract.js";
export * from "./event-publisher.contract.js";
export * from "./workflow-starter.contract.js";
