export * from "./bots.js";
export {
  DEFAULT_PLAYER_COUNT,
  numberedPlayerIds,
  type SeedOptions,
  type SeedResult,
  type SeedWorldSpec,
  seedWorlds,
  worldSpecsOf,
} from "./commands/seed.js";
export { DEV_LOOP, type DevOptions, runDev } from "./dev.js";
export * from "./errors.js";
export * from "./pricing.js";
export * from "./project.js";
