/**
 * The suite registry. To add a suite, write `bench/src/suites/<name>.ts` exporting
 * `suite: Suite` (see ../harness.ts) and add one line here; `--only <name>` then selects it.
 * Modules load lazily, so a suite's dependencies load only when it runs.
 */
import type { Suite } from "../harness.js";

export const SUITES: Readonly<Record<string, () => Promise<{ suite: Suite }>>> = {
  ecs: () => import("./ecs.js"),
  physics: () => import("./physics.js"),
  snapshot: () => import("./snapshot.js"),
  ledger: () => import("./ledger.js"),
  "tick-pipeline": () => import("./tick-pipeline.js"),
  bundles: () => import("./bundles.js"),
  load: () => import("./load.js"),
  faults: () => import("./faults.js"),
  floods: () => import("./floods.js"),
  packages: () => import("./packages.js"),
  pushes: () => import("./pushes.js"),
};
