import { afterEach, beforeEach } from "vitest";

/**
 * A fresh harness for each test of the enclosing `describe`, cleaned up after it: `use` hands
 * each test's harness to the suite. For the contracts whose tests all start from a new adapter.
 */
export function harnessPerTest<H extends { readonly cleanup?: () => Promise<void> }>(
  setup: () => Promise<H>,
  use: (harness: H) => void,
): void {
  let current: H | undefined;
  beforeEach(async () => {
    current = await setup();
    use(current);
  });
  afterEach(async () => {
    const done = current;
    current = undefined;
    await done?.cleanup?.();
  });
}

/**
 * Fresh world ids, `<prefix><time><n>` (letters and digits only), one a call: each test its own
 * worlds, for a fixture may share its table between tests.
 */
export function worldIds(prefix: string): () => string {
  let n = 0;
  return () => `${prefix}${Date.now().toString(36)}${(n++).toString(36)}`;
}
