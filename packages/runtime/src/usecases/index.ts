export * from "./create-world.js";
export * from "./deps.js";
export * from "./export.js";
export * from "./players.js";
export * from "./replay.js";
export * from "./run-tick-batch.js";
export * from "./verify.js";
export * from "./world-io.js";
