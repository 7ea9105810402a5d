/** Child process entry of the ECS contenders table: measures one contender on one scenario. */
import { measureContender, type RunOptions } from "../harness.js";
import type { ScenarioName } from "./contenders.js";
import { contenderNamed } from "./contenders.js";

/** What the parent sends (as the one argument, JSON). */
export interface EcsChildRequest {
  readonly scenario: ScenarioName;
  readonly contender: string;
  readonly label: string;
  readonly options: RunOptions;
}

const request = JSON.parse(process.argv[2] ?? "{}") as EcsChildRequest;

function send(reply: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (process.send) process.send(reply, () => resolve());
    else {
      console.log(JSON.stringify(reply));
      resolve();
    }
  });
}

const create = contenderNamed(request.contender).create[request.scenario];
measureContender(request.label, { create }, request.options)
  .then((measurement) => ({ ok: true, measurement }))
  .catch((error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    return { ok: false, name: e.name, message: e.message };
  })
  .then(send)
  .then(() => process.disconnect?.());
