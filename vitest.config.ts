import { defineConfig } from "vitest/config";

/**
 * Tests run the packages' TypeScript sources, never a stale build: every package exports its
 * `src` under this condition (tsc and tsx use it too; the published `dist` is for everyone else).
 */
const SOURCE_CONDITION = "@ledgerquest/source";

/**
 * Tests that install a whole project from the packed packages and run its stack (npm install,
 * a local stack, bots): they run after every other test, one at a time, so that their load never
 * shares the 2-core machine with the fault suite's or the browser tests' timing bounds.
 */
const PROJECT_TESTS = [
  "packages/create-ledgerquest/test/acceptance.test.ts",
  "packages/create-ledgerquest/test/tutorial.test.ts",
];

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION, "module", "node", "import", "default"] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION], externalConditions: [SOURCE_CONDITION] } },
  test: {
    setupFiles: ["./vitest.setup.ts"],
    globalSetup: ["./vitest.global-setup.ts"],
    // Physics property tests run 100,000 steps; give them room on a 2-core CI machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // GitHub's workflow parser imports its schema (JSON) without an import attribute, which Node's
    // own loader refuses: Vite's transform loads it instead (the infra's workflow test).
    server: { deps: { inline: ["@actions/workflow-parser"] } },
    projects: [
      {
        extends: true,
        test: {
          name: "engine",
          include: [
            "packages/*/test/**/*.test.ts",
            "examples/*/test/**/*.test.ts",
            "bench/test/**/*.test.ts",
          ],
          exclude: ["**/node_modules/**", ...PROJECT_TESTS],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: "projects",
          include: PROJECT_TESTS,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
