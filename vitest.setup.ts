import fc from "fast-check";

// Property tests explore new random cases on every local run; in CI they use a fixed seed so a
// run is reproducible (set FC_SEED to replay a local failure's seed anywhere).
const seed = process.env.FC_SEED ?? (process.env.CI ? "20261124" : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });

// The AWS SDK warns once per process that its 2027 releases will need Node 22; the tests run on
// the project's supported Node 20 on purpose, so the notice is noise in every test file's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
