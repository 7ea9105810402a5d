export * from "./bots.js";
export {
  DEMO_WORLD,
  numberedPlayerIds,
  type SeedOptions,
  type SeedResult,
  type SeedWorldSpec,
  seedWorlds,
} from "./commands/seed.js";
export { type DevOptions, runDev } from "./dev.js";
