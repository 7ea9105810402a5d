import fc from "fast-check";

// Property tests explore new random cases on every local run; in CI they use a fixed seed so a
// run is reproducible (set FC_SEED to replay a local failure's seed anywhere).
const seed = process.env.FC_SEED ?? (process.env.CI ? "20261124" : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
