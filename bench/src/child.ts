/** Child process entry: measures one contender of one scenario and reports over IPC. */
import { contenderOf, measureContender } from "./harness.js";
import type { ChildReply, ChildRequest } from "./isolate.js";
import { SUITES } from "./suites/index.js";

async function measure(request: ChildRequest): Promise<ChildReply> {
  const load = SUITES[request.suite];
  if (load === undefined) throw new Error(`unknown suite "${request.suite}"`);
  const { suite } = await load();
  const contender = contenderOf(suite, request.scenario, request.side);
  const measurement = await measureContender(request.label, contender, request.options);
  return { ok: true, measurement };
}

function send(reply: ChildReply): Promise<void> {
  return new Promise((resolve) => {
    if (process.send) process.send(reply, () => resolve());
    else {
      console.log(JSON.stringify(reply));
      resolve();
    }
  });
}

const request = JSON.parse(process.argv[2] ?? "{}") as ChildRequest;
measure(request)
  .catch((error: unknown): ChildReply => {
    const e = error instanceof Error ? error : new Error(String(error));
    return { ok: false, name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  })
  .then(send)
  .then(() => process.disconnect?.());
