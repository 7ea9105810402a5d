// `ledgerquest dev` says at once, naming the option, when a port it was told to use is taken,
// instead of failing on it 40 s into the start with a bare EADDRINUSE.
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { takenPortProblem } from "../src/dev.js";

let held: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (held ? held.close(() => resolve()) : resolve()));
  held = undefined;
});

/** A port something listens on, held until the test ends. */
async function takenPort(): Promise<number> {
  const server = createServer();
  held = server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("ports named on the command line", () => {
  it("a taken dashboard port is named with --dashboard-port", async () => {
    const port = await takenPort();
    expect(await takenPortProblem({ dashboard: true, dashboardPort: port })).toBe(
      `the dashboard's port ${port} is in use: choose another with --dashboard-port, or stop what listens there`,
    );
    // Without the dashboard its port does not matter.
    expect(await takenPortProblem({ dashboard: false, dashboardPort: port })).toBeUndefined();
  });

  it("a taken WebSocket port is named with --websocket-port; free ports pass", async () => {
    const port = await takenPort();
    expect(await takenPortProblem({ dashboard: false, websocketPort: port })).toContain(
      `the WebSocket API's port ${port} is in use: choose another with --websocket-port`,
    );
    expect(await takenPortProblem({ dashboard: true })).toBeUndefined();
  });
});
