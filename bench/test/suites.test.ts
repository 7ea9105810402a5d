import { describe, expect, it } from "vitest";
import type { Contender, Scenario } from "../src/harness.js";
import { SUITES } from "../src/suites/index.js";

// Benchmarks are measured by `npm run bench`, never timed here. This only proves that every
// scenario does the work it claims on both sides, so a benchmark cannot silently become a no-op.

async function checksumAfter(contender: Contender, ops: number): Promise<readonly number[]> {
  const subject = await contender.create();
  for (let i = 0; i < ops; i++) subject.run();
  return subject.checksum();
}

function close(a: readonly number[], b: readonly number[], tolerance: number): void {
  expect(a.length).toBe(b.length);
  a.forEach((x, i) => {
    const y = b[i] as number;
    if (tolerance === 0) expect(x).toBe(y);
    else
      expect(Math.abs(x - y)).toBeLessThanOrEqual(tolerance * Math.max(Math.abs(x), Math.abs(y)));
  });
}

describe("benchmark scenarios do their work", async () => {
  for (const [name, load] of Object.entries(SUITES)) {
    const { suite } = await load();
    for (const scenario of suite.scenarios as readonly Scenario[]) {
      it(`${name}/${scenario.name}`, async () => {
        const ops = 3;
        const ours = await checksumAfter(scenario.ours, ops);
        if (scenario.expected) close(ours, scenario.expected(ops), scenario.tolerance ?? 0);
        if (scenario.anchor) {
          const anchor = await checksumAfter(scenario.anchor, ops);
          if (scenario.expected) close(anchor, scenario.expected(ops), scenario.tolerance ?? 0);
          else close(ours, anchor, scenario.tolerance ?? 0);
        }
      });
    }
  }
});
