import { defineConfig } from "vitest/config";

/**
 * Tests run the packages' TypeScript sources, never a stale build: every package exports its
 * `src` under this condition (tsc and tsx use it too; the published `dist` is for everyone else).
 */
const SOURCE_CONDITION = "@ledgerquest/source";

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, "module", "node", "import", "default"] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION], externalConditions: [SOURCE_CONDITION] } },
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "examples/*/test/**/*.test.ts",
      "bench/test/**/*.test.ts",
    ],
    setupFiles: ["./vitest.setup.ts"],
    globalSetup: ["./vitest.global-setup.ts"],
    // Physics property tests run 100,000 steps; give them room on a 2-core CI machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
