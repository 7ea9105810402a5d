/**
 * LedgerQuest's testing kit for game authors: run a game made with `defineGame` headless, fast
 * and deterministic, on the runtime's own use cases over memory adapters (see
 * docs/testing-kit.md).
 */

export * from "./conservation.js";
export * from "./determinism.js";
export * from "./errors.js";
export * from "./property.js";
export * from "./test-world.js";
