export * from "./checks.js";
export * from "./driver.js";
export * from "./dynamodb-proxy.js";
export * from "./flood.js";
export * from "./forensics.js";
export * from "./players.js";
export * from "./random.js";
