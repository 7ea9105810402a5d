/**
 * Measuring each contender in a fresh Node process (as noctjs/ecs-benchmark does with workers):
 * the JIT's type feedback, inlining decisions and heap start clean for every measurement, so a
 * result does not depend on which scenarios or contenders ran before it.
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Measurement, Measurer, RunOptions, Side } from "./harness.js";

/** What the parent sends a child (as its one argument, JSON). */
export interface ChildRequest {
  readonly suite: string;
  readonly scenario: string;
  readonly side: Side;
  readonly label: string;
  readonly options: RunOptions;
}

/** What a child sends back over IPC. */
export type ChildReply =
  | { readonly ok: true; readonly measurement: Measurement }
  | {
      readonly ok: false;
      readonly name: string;
      readonly message: string;
      readonly stack?: string;
    };

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

/** A measurer that forks `child.ts` (with this process's Node flags, so tsx loads it) per measurement. */
export function processMeasurer(options: RunOptions): Measurer {
  return (suite, scenario, side, label) =>
    new Promise<Measurement>((resolve, reject) => {
      const request: ChildRequest = {
        suite: suite.name,
        scenario: scenario.name,
        side,
        label,
        options,
      };
      const child = fork(CHILD, [JSON.stringify(request)], {
        execArgv: process.execArgv,
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      let reply: ChildReply | undefined;
      child.on("message", (message) => {
        reply = message as ChildReply;
      });
      child.on("error", reject);
      child.on("exit", (code, signal) => {
        if (reply?.ok) resolve(reply.measurement);
        else if (reply) {
          const error = new Error(`${label}: ${reply.name}: ${reply.message}`);
          if (reply.stack !== undefined) error.stack = reply.stack;
          reject(error);
        } else
          reject(new Error(`${label}: child process exited (${signal ?? code}) without a result`));
      });
    });
}
