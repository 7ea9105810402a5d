export * from "./adapters/memory/index.js";
export * from "./definitions/commands.js";
export * from "./definitions/events.js";
export * from "./definitions/journal-entry.js";
export * from "./definitions/limits.js";
export * from "./definitions/queries.js";
export * from "./definitions/tables.js";
export * from "./definitions/workflow.js";
export * from "./errors.js";
export {
  type CompilePatternOptions,
  compilePattern,
  DEFAULT_MAX_WILDCARD_COMPLEXITY,
  type EventPattern,
  MAX_EVENT_PATTERN_CHARS,
  MAX_PATTERN_ALTERNATIVES,
  matchesPattern,
} from "./events/pattern.js";
export * from "./ports/index.js";
export * from "./usecases/index.js";
export * from "./world/define.js";
export * from "./world/game.js";
export * from "./world/state.js";
export * from "./world/tick.js";
